"""`grader grade` of a class where every student has a version of their own (issue 15's target:
the written part of a randomized HW1, 1,000 students, <= 4 s and <= 400 MB).

    python benchmarks/bench_versions_grade.py 1000 [--repeat 3]

Students answer from their own version (most right, some with a slip, some with a classmate's
numbers), written with `grader`'s own reference values, so every verdict path runs: right,
follow-through slips, copied answers.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

from bench_grade import run  # noqa: E402

RUBRIC = REPO / "rubrics" / "hw1_versions.yaml"


def generate(count: int, folder: Path, seed: int = 1) -> Path:
    """``count`` students and their roster; returns the roster's path."""
    from grader.pipeline import load_rubric
    from grader.versions import Versions, prepare_version

    rng = random.Random(seed)
    rubric = load_rubric(RUBRIC)
    versions = Versions(rubric)
    students = [f"s{i:05d}" for i in range(count)]
    values = versions.draw_all(students)
    shared: dict = {}
    folder.mkdir(parents=True, exist_ok=True)
    for index, student in enumerate(students):
        source = students[rng.randrange(count)] if rng.random() < 0.03 else student  # copying
        prepared = prepare_version(rubric, versions, values[source], shared)
        answers = {}
        for question in rubric.questions:
            reference = prepared[question.id].reference_answer()
            if reference is None or rng.random() < 0.05:
                continue
            if isinstance(reference, list) and rng.random() < 0.2:
                reference = list(reference)
                reference[-1] = str(float(reference[-1]) + 1)  # a slip in the last step
            answers[question.id] = reference
        (folder / f"{student}.yaml").write_text(yaml.safe_dump({"answers": answers}))
    roster = folder.parent / "roster.csv"
    roster.write_text("student\n" + "".join(f"{s}\n" for s in students))
    return roster


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=REPO.parent) as tmp:
        folder = Path(tmp) / "class"
        roster = generate(args.count, folder)
        walls, peaks = [], []
        for _ in range(args.repeat):
            wall, peak = run(RUBRIC, folder, Path(tmp) / "out", None, "pss",
                             extra=["--roster", str(roster)])
            walls.append(wall)
            peaks.append(peak)
            print(f"{args.count} students, own versions: {wall:.2f} s, peak PSS {peak:.0f} MB", flush=True)
        print(f"median {statistics.median(walls):.2f} s, peak PSS at most {max(peaks):.0f} MB")


if __name__ == "__main__":
    main()
