"""Time `grader grade` on synthetic HW1 classes: wall time and peak memory of the whole run.

    python benchmarks/bench_grade.py                          # written part, 1,000 and 10,000 students
    python benchmarks/bench_grade.py 1000 3000 10000 30000 --repeat 3   # medians of 3
    python benchmarks/bench_grade.py 1000 --generator few     # the old class: few distinct answers
    python benchmarks/bench_grade.py 1000 --part code         # the programming part alone
    python benchmarks/bench_grade.py 1000 --part whole        # written and programming parts
    python benchmarks/bench_grade.py 10000 --profile /tmp/prof  # cProfile of the grader process
    python benchmarks/bench_grade.py 10000 --profile /tmp/prof --profiler pyinstrument

The class comes from ``realistic.py`` (answers as varied as a real class's: hundreds of distinct
texts per question) or, with ``--generator few``, from ``generate.py`` (a dozen forms per question).
The distinct-texts-per-question range of the class is printed, and so is the time to merely read
its YAML files in one process (``find_submissions``, after the imports), measured before each run.

The rubric is rubrics/hw1.yaml, cut down to the part measured (`--part written` leaves out the
function questions, `--part code` keeps only them and gives the students only their .py files).
Targets on the 2-core reference machine: written part 1,000 students <= 5 s; programming part
<= 10 s; whole HW1 <= 12 s; peak memory <= 500 MB. Issue 16 (realistic class, median of 3):
written 1,000 <= 1.2 s; 10,000 <= 4x the time to read the YAML files alone; 30,000 <= 12 s and
<= 800 MB PSS; whole HW1 at 10,000 (`--part whole`) <= 1.2x the same run with the sandbox as it
was before (commit 86d1e08) and <= 600 MB PSS. Measured figures: docs/performance.md.

Peak memory is sampled every 50 ms over the grader's whole process tree (the grader, its sandbox
workers and their children, the plotting and reading processes). ``--memory pss`` (the default)
sums each process's proportional set size from /proc/PID/smaps_rollup, so pages that forked
processes share are counted once in all; ``--memory rss`` sums resident sizes, which counts them
once per process and so overstates the true figure.
"""

from __future__ import annotations

import argparse
import json
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

import generate as few  # noqa: E402
import realistic  # noqa: E402

GENERATORS = {"realistic": realistic.generate, "few": few.generate}
EXPRESSION_KINDS = ("expression", "matrix_expression")


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


def _children(pid: int) -> list[int]:
    found = []
    for tid in os.listdir(f"/proc/{pid}/task"):
        with open(f"/proc/{pid}/task/{tid}/children") as handle:
            found.extend(int(child) for child in handle.read().split())
    return found


def _rss(pid: int) -> int:
    with open(f"/proc/{pid}/statm") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _pss(pid: int) -> int:
    with open(f"/proc/{pid}/smaps_rollup") as handle:
        for line in handle:
            if line.startswith("Pss:"):
                return int(line.split()[1]) * 1024
    return 0


def tree_memory(root: int, measure: str = "pss") -> int:
    """Bytes over ``root`` and its descendants (walked through /proc/PID/task/TID/children):
    the sum of PSS (shared pages split between their sharers) or of RSS."""
    size = _pss if measure == "pss" else _rss
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            total += size(pid)
            stack.extend(_children(pid))
        except (OSError, ValueError, IndexError):
            continue  # the process ended while we looked
    return total


_PROFILED = {"cprofile": """
import cProfile, sys
profile = cProfile.Profile()
profile.enable()
try:
    from grader.cli import main
    main(sys.argv[2:], standalone_mode=False)
finally:
    profile.disable()
    profile.dump_stats(sys.argv[1])
""", "pyinstrument": """
import sys
from pyinstrument import Profiler
profile = Profiler(interval=0.001)
profile.start()
try:
    from grader.cli import main
    main(sys.argv[2:], standalone_mode=False)
finally:
    profile.stop()
    with open(sys.argv[1], "w") as out:
        out.write(profile.output_text(unicode=True))
"""}


def run(rubric: Path, submissions: Path, outdir: Path, jobs: int | None, measure: str,
        profile: Path | None = None, profiler: str = "cprofile",
        extra: list[str] | None = None) -> tuple[float, float]:
    """(wall seconds, peak MB of the process tree) of one `grader grade`."""
    # `grader` ends with os._exit (no teardown), so a profiler's own -o would never write: the
    # profiled run calls the command's main function and saves the profile itself.
    start_command = ["-c", _PROFILED[profiler], str(profile)] if profile else ["-m", "grader.cli"]
    command = [sys.executable, *start_command, "grade", str(rubric), str(submissions),
               "-o", str(outdir)] + (["--jobs", str(jobs)] if jobs else []) + list(extra or [])
    peak = [0]
    start = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, cwd=REPO)

    def sample() -> None:
        while process.poll() is None:
            peak[0] = max(peak[0], tree_memory(process.pid, measure))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    code = process.wait()
    wall = time.perf_counter() - start
    sampler.join()
    if code != 0:
        raise SystemExit(f"grader grade failed with exit code {code}")
    return wall, peak[0] / 2**20


_READER = """
import json, sys, time
from grader.submissions import find_submissions
start = time.perf_counter()
found = find_submissions(sys.argv[1])
seconds = time.perf_counter() - start
from grader.pipeline import answer_key
from grader.submissions import is_blank
seen = {}
for submission in found:
    for question, value in submission.answers.items():
        if not is_blank(value):
            seen.setdefault(question, set()).add(answer_key(value))
print(json.dumps({"seconds": seconds, "distinct": {q: len(v) for q, v in seen.items()}}))
"""


def read_class(submissions: Path) -> tuple[float, dict[str, int]]:
    """Seconds to read the class's files in one process (imports excluded), and the distinct
    answer texts per question (grader's own notion of the same answer)."""
    done = subprocess.run([sys.executable, "-c", _READER, str(submissions)], cwd=REPO,
                          capture_output=True, text=True, check=True)
    result = json.loads(done.stdout)
    return result["seconds"], result["distinct"]


def distinct_range(distinct: dict[str, int], rubric: Path) -> str:
    kinds = {q["id"]: q["kind"] for q in yaml.safe_load(rubric.read_text())["questions"]}
    expressions = [n for q, n in distinct.items() if kinds.get(q) in EXPRESSION_KINDS]
    others = [n for q, n in distinct.items() if q in kinds and kinds[q] not in EXPRESSION_KINDS]
    parts = []
    if expressions:
        parts.append(f"expression questions {min(expressions)}-{max(expressions)}")
    if others:
        parts.append(f"others {min(others)}-{max(others)}")
    return "distinct texts per question: " + ", ".join(parts) if parts else "no written answers"


def make_class(directory: Path, count: int, generator: str, part: str, seed: int) -> Path:
    """The class (generated once per directory: a rerun with --dir reuses it)."""
    subs = directory / f"{generator}-{count}-{'code' if part != 'written' else 'written'}-s{seed}"
    marker = directory / f"{subs.name}.complete"  # beside: not an entry of the class
    if not marker.exists():
        GENERATORS[generator](count, subs, part != "written", seed=seed)
        marker.write_text("")
    if part == "code":  # only the .py files
        only = directory / f"{subs.name}-py"
        done = directory / f"{only.name}.complete"
        if not done.exists():
            shutil.rmtree(only, ignore_errors=True)
            only.mkdir()
            for path in subs.glob("*.py"):
                os.link(path, only / path.name)
            done.write_text("")
        return only
    return subs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("counts", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--part", choices=("written", "code", "whole"), default="written")
    parser.add_argument("--code", action="store_true", help="same as --part whole (older spelling)")
    parser.add_argument("--generator", choices=sorted(GENERATORS), default="realistic",
                        help="realistic (default) or few (a dozen distinct answers per question)")
    parser.add_argument("--memory", choices=("pss", "rss"), default="pss",
                        help="sum of PSS (default; shared pages counted once) or of RSS over the tree")
    parser.add_argument("--jobs", type=int, default=None, help="default: grader's own (CPUs + 1)")
    parser.add_argument("--repeat", type=int, default=1, help="runs per count; prints each and the median")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--dir", type=Path, default=None,
                        help="keep the generated classes here and reuse them (default: a temporary folder)")
    parser.add_argument("--profile", type=Path, default=None,
                        help="folder for a profile of the grader process per count (first run)")
    parser.add_argument("--profiler", choices=sorted(_PROFILED), default="cprofile",
                        help="cprofile (.prof, for pstats) or pyinstrument (a text tree; pip install it)")
    args = parser.parse_args()
    part = "whole" if args.code else args.part
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        classes = args.dir or tmp_path
        classes.mkdir(parents=True, exist_ok=True)
        rubric = part_rubric(tmp_path, part)
        jobs = f"--jobs {args.jobs}" if args.jobs else "default --jobs"
        label = f"{part} part, {args.generator} class, {jobs}"
        for count in args.counts:
            subs = make_class(classes, count, args.generator, part, args.seed)
            walls, peaks, reads = [], [], []
            distinct: dict[str, int] = {}
            for attempt in range(args.repeat):
                if part != "code":
                    seconds, distinct = read_class(subs)
                    reads.append(seconds)
                profile = None
                if args.profile and attempt == 0:
                    args.profile.mkdir(parents=True, exist_ok=True)
                    suffix = ".prof" if args.profiler == "cprofile" else ".txt"
                    profile = args.profile / f"grade-{part}-{args.generator}-{count}{suffix}"
                wall, peak = run(rubric, subs, classes / f"out{count}", args.jobs, args.memory,
                                 profile, args.profiler)
                walls.append(wall)
                peaks.append(peak)
                read = f"; reading the YAML files alone {reads[-1]:.2f} s" if reads else ""
                print(f"{count:>6} students, {label}: {wall:6.2f} s wall, peak {args.memory.upper()} "
                      f"of the process tree {peak:5.0f} MB{read}", flush=True)
            if distinct:
                print(f"{count:>6} students: {distinct_range(distinct, rubric)}", flush=True)
            if args.repeat > 1:
                read = f"; reading alone median {statistics.median(reads):.2f} s" if reads else ""
                print(f"{count:>6} students, {label}: median {statistics.median(walls):.2f} s "
                      f"(min {min(walls):.2f}, max {max(walls):.2f}); peak {args.memory.upper()} median "
                      f"{statistics.median(peaks):.0f} MB (max {max(peaks):.0f}){read}", flush=True)


if __name__ == "__main__":
    main()
