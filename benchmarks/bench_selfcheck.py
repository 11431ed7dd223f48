"""Time self-check: `grader bundle` of hw1, and `grader check` with the bundle against `grader
check` with the rubric, cold processes, interleaved (rubric, bundle, rubric, bundle, ...) so that
both see the same machine load.

    python benchmarks/bench_selfcheck.py              # 15 rounds, the written part
    python benchmarks/bench_selfcheck.py --rounds 30 --code

Targets: bundle of hw1 < 2 s; check with the bundle at most as slow as check with the rubric.
"written part": the student's answers file alone (no .py), so no code runs; `--code` adds the
student's .py file (the grading sandbox runs it either way on Linux).
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent


def timed(args: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "grader.cli", *args], capture_output=True, cwd=REPO)
    elapsed = time.perf_counter() - start
    if done.returncode not in (0, 1):
        raise SystemExit(f"grader {' '.join(args)} failed:\n{done.stderr.decode()}")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--code", action="store_true", help="check carol's .py file too")
    args = parser.parse_args()
    rubric = REPO / "rubrics" / "hw1.yaml"
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        bundle = folder / "hw1.check"
        submission = folder / "carol.yaml"
        shutil.copy(REPO / "submissions" / "hw1" / "carol.yaml", submission)
        if args.code:
            shutil.copy(REPO / "submissions" / "hw1" / "carol.py", folder / "carol.py")
        builds = [timed(["bundle", str(rubric), "-o", str(bundle)]) for _ in range(5)]
        print(f"grader bundle hw1: median {statistics.median(builds):.3f} s over 5 runs "
              f"({bundle.stat().st_size:,} bytes)")
        with_rubric, with_bundle = [], []
        for _ in range(args.rounds):
            with_rubric.append(timed(["check", str(rubric), str(submission)]))
            with_bundle.append(timed(["check", str(bundle), str(submission)]))
        for name, times in (("rubric", with_rubric), ("bundle", with_bundle)):
            print(f"grader check with the {name}: median {statistics.median(times):.3f} s, "
                  f"min {min(times):.3f} s over {len(times)} interleaved runs")
        ratio = statistics.median(with_bundle) / statistics.median(with_rubric)
        print(f"bundle / rubric: {ratio:.2f}")


if __name__ == "__main__":
    main()
