"""Time `grader grade` on synthetic HW1 classes: wall time and peak memory of the whole run.

    python benchmarks/bench_grade.py                          # written part, 1,000 and 10,000 students
    python benchmarks/bench_grade.py 1000 --part code         # the programming part alone
    python benchmarks/bench_grade.py 1000 --part whole        # written and programming parts
    python benchmarks/bench_grade.py 1000 --part whole --repeat 5

The rubric is rubrics/hw1.yaml, cut down to the part measured (`--part written` leaves out the
function questions, `--part code` keeps only them and gives the students only their .py files).
Targets on the 2-core reference machine: written part 1,000 students <= 5 s; programming part
<= 10 s; whole HW1 <= 12 s; peak memory <= 500 MB.

Peak memory is sampled every 50 ms over the grader's whole process tree (the grader, its sandbox
workers and their children, the plotting process) as the sum of their resident sizes, which
counts shared pages once per process and so overstates the true figure.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from generate import generate  # noqa: E402


def part_rubric(directory: Path, part: str) -> Path:
    if part == "whole":
        return REPO / "rubrics" / "hw1.yaml"
    data = yaml.safe_load((REPO / "rubrics" / "hw1.yaml").read_text())
    keep = (lambda q: q["kind"] == "function") if part == "code" else (lambda q: q["kind"] != "function")
    data["questions"] = [q for q in data["questions"] if keep(q)]
    path = directory / f"hw1_{part}.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    if part == "code":  # the instructor's reference module sits beside the rubric
        shutil.copy(REPO / "rubrics" / "hw1_reference.py", directory / "hw1_reference.py")
    return path


def tree_rss(root: int) -> int:
    """Sum of resident sizes (bytes) over ``root`` and its descendants, walked through
    /proc/PID/task/TID/children (cheap: the sampler must not slow down what it measures)."""
    page = os.sysconf("SC_PAGE_SIZE")
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/statm") as handle:
                total += int(handle.read().split()[1]) * page
            for tid in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{tid}/children") as handle:
                    stack.extend(int(child) for child in handle.read().split())
        except (OSError, ValueError, IndexError):
            continue
    return total


def run(rubric: Path, submissions: Path, outdir: Path, jobs: int | None) -> tuple[float, float]:
    """(wall seconds, peak MB of the process tree) of one `grader grade`."""
    command = [sys.executable, "-m", "grader.cli", "grade", str(rubric), str(submissions),
               "-o", str(outdir)] + (["--jobs", str(jobs)] if jobs else [])
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=REPO)

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_rss(process.pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    wall = time.perf_counter() - start
    sampler.join()
    if code != 0:
        raise SystemExit(f"grader grade failed with exit code {code}")
    return wall, peak[0] / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--part", choices=("written", "code", "whole"), default="written")
    parser.add_argument("--code", action="store_true", help="same as --part whole (older spelling)")
    parser.add_argument("--jobs", type=int, default=None, help="default: grader's own (CPUs + 1)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per count; prints each and the median")
    args = parser.parse_args()
    part = "whole" if args.code else args.part
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        rubric = part_rubric(tmp_path, part)
        for count in args.counts:
            subs = tmp_path / f"subs{count}"
            generate(count, subs, part != "written", seed=1)
            if part == "code":
                for path in subs.glob("*.yaml"):
                    path.unlink()
            walls, peaks = [], []
            for _ in range(args.repeat):
                wall, peak = run(rubric, subs, tmp_path / f"out{count}", args.jobs)
                walls.append(wall)
                peaks.append(peak)
                jobs = f"--jobs {args.jobs}" if args.jobs else "default --jobs"
                print(f"{count:>6} students, {part} part, {jobs}: {wall:6.2f} s wall, "
                      f"peak memory of the process tree {peak:5.0f} MB", flush=True)
            if args.repeat > 1:
                print(f"{count:>6} students, {part} part: median {statistics.median(walls):.2f} s "
                      f"(min {min(walls):.2f}, max {max(walls):.2f}); peak memory at most "
                      f"{max(peaks):.0f} MB", flush=True)


if __name__ == "__main__":
    main()
