"""Benchmark: write every report file for 10,000 students × 20 questions (target: <= 2 s).

Run with ``python benchmarks/bench_report.py [--students N] [--questions K] [--repeat R] [--dir D]``.
Prints the best wall (and CPU) time of write_outdir, regenerate, a per-stage breakdown and the
file system's floor for creating the 10,000 feedback files. Use ``--dir /dev/shm`` to take the
disk out of the picture.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from grader import reports as report
from grader.reports import QuestionInfo, ReportMeta
from grader.reports.csvfiles import csv_bytes, strs
from grader.reports.feedback import feedback_files, safe_names
from grader.reports.outdir import plot_data
from grader.reports.plots import draw_plots
from grader.reports.table import normalise
from grader.verdict import STATUSES


def synthetic(students: int, questions: int, seed: int = 0) -> tuple[pd.DataFrame, ReportMeta]:
    """A tidy table with realistic status mix, feedback text and a few wrong-answer groups."""
    rng = np.random.default_rng(seed)
    qids = [f"q{i + 1}" for i in range(questions)]
    points = rng.choice([1.0, 2.0, 3.0, 5.0], size=questions)
    meta = ReportMeta("Benchmark HW", tuple(QuestionInfo(q, p, "expr") for q, p in zip(qids, points)), 42, "bench.yaml")
    n = students * questions
    student = np.repeat([f"s{i:05d}" for i in range(students)], questions)
    question = np.tile(qids, students)
    maxs = np.tile(points, students)
    status = rng.choice(np.array(STATUSES, dtype=object), size=n, p=[0.6, 0.1, 0.2, 0.04, 0.03, 0.02, 0.01])
    frac = np.where(status == "correct", 1.0, np.where(status == "partial", 0.5, 0.0))
    group = np.where(np.isin(status, ["incorrect", "partial"]),
                     np.char.add("g", rng.integers(0, 8, size=n).astype(str)).astype(object), "")
    answer = np.char.add("f(x)^", rng.integers(0, 30, size=n).astype(str)).astype(object)
    mistake = np.where(group == "g0", "forgot chain rule", "")
    feedback = np.where(status == "correct", "Correct.", "Differs from the expected value at x = 0.5.")
    table = pd.DataFrame({
        "student": student, "question": question, "score": maxs * frac, "max_score": maxs,
        "status": status, "feedback": feedback, "answer": answer, "group": group, "mistake": mistake,
    })
    return table, meta


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def _timed2(fn) -> tuple[float, float]:
    """(wall, CPU) seconds: CPU (user + system) stays meaningful on a shared, busy machine."""
    w0, c0 = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w0, time.process_time() - c0


def _file_floor(d: Path, n: int) -> float:
    """Seconds to create n small files on this file system: the floor under feedback/."""
    d.mkdir()
    t0 = time.perf_counter()
    for i in range(n):
        (d / f"{i}.md").write_bytes(b"x" * 600)
    dt = time.perf_counter() - t0
    shutil.rmtree(d)
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--students", type=int, default=10_000)
    ap.add_argument("--questions", type=int, default=20)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--dir", type=Path, default=None, help="parent for the output (default: a temp dir)")
    args = ap.parse_args()
    table, meta = synthetic(args.students, args.questions)
    base = Path(tempfile.mkdtemp(prefix="bench_report-", dir=args.dir))
    out = base / "out"
    try:
        import matplotlib.figure  # noqa: F401  -- a CLI process pays this once; not a report cost
        report.write_outdir(table.head(40), meta, base / "warm")  # font cache, first-draw setup

        fresh, replace = [], []
        for i in range(args.repeat):
            fresh.append(_timed2(lambda: report.write_outdir(table, meta, base / f"fresh{i}")))
            replace.append(_timed2(lambda: report.write_outdir(table, meta, out)))
        print(f"{args.students} students x {args.questions} questions ({len(table)} rows)")
        for label, runs in (("new dir", fresh), ("replacing", replace)):
            wall, cpu = min(runs)
            print(f"write_outdir, {label:10s} best wall {wall:.3f} s (cpu {cpu:.3f} s); "
                  f"all wall: {', '.join(f'{w:.2f}' for w, _ in runs)}")
        print("  (replacing includes deleting the old tree)")
        print(f"regenerate (read + write):  {_timed(lambda: report.regenerate(out)):.3f} s")
        print(f"load_outdir alone:          {_timed(lambda: report.load_outdir(out)):.3f} s")

        norm = normalise(table, meta)
        grades = report.grades_table(norm, meta)
        summary = report.summary_table(norm, meta)
        texts = feedback_files(norm, grades, meta)
        cols = [strs(norm[c]) for c in report.DETAILS_COLUMNS]
        plots = base / "plots"
        plots.mkdir()
        stages = {
            "normalise table": lambda: normalise(table, meta),
            "details.csv bytes": lambda: csv_bytes(report.DETAILS_COLUMNS, cols),
            "grades table": lambda: report.grades_table(norm, meta),
            "summary table": lambda: report.summary_table(norm, meta),
            "wrong_answers table": lambda: report.wrong_answers_table(norm, meta),
            "feedback texts": lambda: feedback_files(norm, grades, meta),
            "safe file names": lambda: safe_names(texts),
            "two plots": lambda: draw_plots(plot_data(grades, summary), plots),
            f"floor: {len(texts)} bare files": lambda: _file_floor(base / "floor", len(texts)),
        }
        print("breakdown (one run each):")
        for name, fn in stages.items():
            print(f"  {name:24s} {_timed(fn):.3f} s")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
