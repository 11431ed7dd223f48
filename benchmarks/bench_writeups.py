"""Benchmark reading write-ups (grader.writeups) against rubrics/hw1_writeup.yaml.

    python benchmarks/bench_writeups.py            # the examples, a 1 MB write-up, hostile ones
    python benchmarks/bench_writeups.py --strict   # exit 1 when a target is missed

Cases: the two example write-ups (submissions/writeups/), a 1 MB Markdown write-up with 10,000
derivation blocks inside one question's part, and hostile files (unclosed environments, a
hundred thousand rows in one block, 20,000 parts). For each, the median of a few runs of
``read_writeup`` (extraction, locating, chains, answers, steps). Targets: an example write-up in
under 0.2 s; any write-up of at most 1 MB in under 10 s (the reader's limits: MAX_CHARS,
MAX_BLOCKS, MAX_STEPS, MAX_CANDIDATES).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

from grader.pipeline import load
from grader.writeups import read_writeup

ROOT = Path(__file__).resolve().parents[1]
TARGETS = {"example": 0.2, "large": 10.0}


def cases() -> dict[str, tuple[str, str, str]]:
    kim = (ROOT / "submissions" / "writeups" / "kim.md").read_text(encoding="utf-8")
    lee = (ROOT / "submissions" / "writeups" / "lee.tex").read_text(encoding="utf-8")
    derivation = (r"$$\frac{\partial f}{\partial x} = \frac{e^{-x}}{(1+e^{-x})^2} = f(1-f) = f - f^2$$"
                  " and at $x = {i}$ it is positive.\n\n")
    big = kim.replace("(b) Softmax", "(b) " + "".join(derivation.replace("{i}", str(i))
                                                      for i in range(10_000)) + "Softmax")
    return {
        "kim.md (OCR Markdown)": ("md", kim, "example"),
        "lee.tex (Overleaf)": ("tex", lee, "example"),
        "1 MB, 10,000 blocks in one part": ("md", big[:1_000_000], "large"),
        "unclosed \\begin{equation} x 60,000": ("tex", "\\begin{equation}" * 60_000, "large"),
        "100,000 rows in one block": ("md", "$$\n" + "a = b \\\\\n" * 100_000 + "$$", "large"),
        "20,000 located parts": ("md", "".join(f"Question 1 (a) $$x = {i}$$\n" for i in range(20_000)), "large"),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--strict", action="store_true")
    args = parser.parse_args()
    rubric, prepared = load(ROOT / "rubrics" / "hw1_writeup.yaml")
    missed = False
    print(f"{'case':40s} {'chars':>9s} {'median s':>9s} {'target s':>9s}")
    for name, (kind, text, target) in cases().items():
        times = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            read_writeup(text, kind, rubric, prepared)
            times.append(time.perf_counter() - start)
        median = statistics.median(times)
        limit = TARGETS[target]
        flag = "" if median <= limit else "  MISSED"
        missed |= median > limit
        print(f"{name:40s} {len(text):9,d} {median:9.3f} {limit:9.1f}{flag}")
    return 1 if missed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
