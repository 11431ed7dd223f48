"""Time `grader grade` on synthetic HW1 classes and report wall time and peak memory.

    python benchmarks/bench_grade.py                 # 1,000 and 10,000 students, written part
    python benchmarks/bench_grade.py --code 1000     # 1,000 students, written + programming part

The rubric is rubrics/hw1.yaml; without --code the programming questions are left out (a copy of
the rubric without them), so the written-part targets are measured on their own.
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def written_rubric(directory: Path) -> Path:
    data = yaml.safe_load((REPO / "rubrics" / "hw1.yaml").read_text())
    data["questions"] = [q for q in data["questions"] if q["kind"] != "function"]
    path = directory / "hw1_written.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


def run(rubric: Path, submissions: Path, outdir: Path, jobs: int) -> tuple[float, float]:
    command = [sys.executable, "-m", "grader.cli", "grade", str(rubric), str(submissions),
               "-o", str(outdir), "--jobs", str(jobs)]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kb / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--code", action="store_true", help="the whole HW1, programming part included")
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        rubric = REPO / "rubrics" / "hw1.yaml" if args.code else written_rubric(tmp_path)
        for count in args.counts:
            subs = tmp_path / f"subs{count}"
            generate(count, subs, args.code, seed=1)
            wall, peak = run(rubric, subs, tmp_path / f"out{count}", args.jobs)
            part = "whole HW1" if args.code else "written part"
            print(f"{count:>6} students, {part}, --jobs {args.jobs}: {wall:6.2f} s wall, "
                  f"peak RSS of the largest child so far {peak:6.0f} MB")


if __name__ == "__main__":
    main()
