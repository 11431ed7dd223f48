"""Versions per student: the cost of drawing, of preparing each distinct version, and of finding
copied answers, on a generated class where every student has their own draw.

    python benchmarks/bench_versions.py              # 1,000 students, rubrics/hw1_versions.yaml
    python benchmarks/bench_versions.py --wide       # the same with wide draws: a version each
    python benchmarks/bench_versions.py 5000 --rubric rubrics/hw1_versions.yaml

Prints, for N students: the time to draw the class (``Versions.draw_all``); the number of distinct versions of each question and
the cost of preparing them (per distinct question-version and per student); checking each
student's written answers against their own version (``pipeline.grade`` once per student, as a
stand-in for the pipeline's own loop); ``copied`` over the class (10% of the students copy a
classmate); and the peak memory of the process. The issue's target (the written part of a
randomized HW1 for 1,000 students <= 4 s, <= 400 MB) is for ``grader grade`` once the pipeline
grades by version; the preparation measured here is the part versions add.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("students", type=int, nargs="?", default=1000)
    parser.add_argument("--rubric", default=str(REPO / "rubrics" / "hw1_versions.yaml"))
    parser.add_argument("--wide", action="store_true",
                        help="draw y0 and the step size from wide ranges, so that (almost) every "
                             "student has a version of their own")
    args = parser.parse_args()
    if args.wide:
        import tempfile

        text = Path(args.rubric).read_text(encoding="utf-8")
        text = text.replace("y0: {integer: [50, 150], step: 10}", "y0: {uniform: [10, 1000], round: 2}")
        text = text.replace("a:  {uniform: [0.05, 0.45], round: 2}", "a:  {uniform: [0.01, 0.45], round: 3}")
        wide = Path(tempfile.mkdtemp()) / "hw1_versions_wide.yaml"
        wide.write_text(text, encoding="utf-8")
        args.rubric = str(wide)

    from grader.pipeline import grade, load_rubric
    from grader.submissions import Submission
    from grader.versions import Versions, copied, prepare_version

    start = time.perf_counter()
    rubric = load_rubric(args.rubric)
    versions = Versions(rubric)
    loaded = time.perf_counter()
    students = [f"student{i:05d}" for i in range(args.students)]
    values = versions.draw_all(students)
    drawn = time.perf_counter()
    shared: dict = {}
    prepared = {s: prepare_version(rubric, versions, values[s], shared) for s in students}
    ready = time.perf_counter()
    distinct = {q.id: len({versions.key(q.id, v) for v in values.values()})
                for q in rubric.questions}
    total_versions = versions.prepared_count()

    rng = random.Random(1)
    submissions = []
    for student in students:
        source = rng.choice(students) if rng.random() < 0.1 else student  # 10% copy a classmate
        answers = {}
        for question in rubric.questions:
            right = prepared[source][question.id].reference_answer()
            if right is not None and rng.random() < 0.85:
                answers[question.id] = right
            elif right is not None:
                answers[question.id] = "0"
        submissions.append(Submission(student, answers))
    made = time.perf_counter()
    verdicts = []
    for submission in submissions:
        student = submission.student
        verdicts += grade(versions.rubric_for(values[student]), [submission], prepared[student])
    graded = time.perf_counter()
    rows = copied(rubric, versions, values, verdicts, prepared)
    found = time.perf_counter()
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    n = len(students)
    print(f"{Path(args.rubric).name}: {len(rubric.questions)} questions, drawn: "
          f"{', '.join(versions.names)}; {n:,} students")
    print(f"  load the rubric              {loaded - start:7.3f} s")
    print(f"  draw every student           {drawn - loaded:7.3f} s  ({(drawn - loaded) / n * 1e6:.0f} µs per student)")
    print(f"  prepare every version        {ready - drawn:7.3f} s  ({total_versions:,} distinct "
          f"question-versions: {(ready - drawn) / max(total_versions, 1) * 1e3:.2f} ms each, "
          f"{(ready - drawn) / n * 1e3:.2f} ms per student)")
    for qid, count in distinct.items():
        print(f"      {qid:24s} {count:6,} versions")
    print(f"  check every student (grade)  {graded - made:7.3f} s  (one pipeline.grade call per student)")
    print(f"  copied answers               {found - graded:7.3f} s  ({len(rows)} rows)")
    print(f"  peak memory                  {peak:7.0f} MB")


if __name__ == "__main__":
    main()
