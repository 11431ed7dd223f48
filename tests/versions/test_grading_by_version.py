"""`grade` with per-student versions: each student against their own numbers, answers that fit a
classmate's numbers marked, students without a version reported, never drawn afresh."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.pipeline import grade, load
from grader.submissions import find_submissions
from grader.versions import COPIED_FEEDBACK, Versions

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = ROOT / "rubrics" / "hw1_versions.yaml"
CLASS = ROOT / "submissions" / "versions"


@pytest.fixture(scope="module")
def loaded():
    rubric, prepared = load(RUBRIC)
    return rubric, prepared, find_submissions(CLASS)


def rows(verdicts):
    return {(v.student, v.question): v for v in verdicts}


def test_every_student_against_their_own_version(loaded):
    rubric, prepared, submissions = loaded
    r = rows(grade(rubric, submissions, prepared))
    for student in ("ana", "dan"):
        assert {r[student, q.id].status for q in rubric.questions} == {"correct"}
    # ben hands in ana's numbers: wrong for him, and each such answer says so
    copied = [q.id for q in rubric.questions if COPIED_FEEDBACK in r["ben", q.id].feedback]
    assert len(copied) >= 2
    assert all(r["ben", qid].status in ("incorrect", "partial") for qid in copied)
    assert not any(COPIED_FEEDBACK in r["cleo", q.id].feedback for q in rubric.questions)


def test_a_student_without_a_version_is_an_error_row_naming_them(loaded):
    rubric, prepared, submissions = loaded
    versions = Versions(rubric)
    known = {s.student: versions.draw(s.student) for s in submissions if s.student != "dan"}
    r = rows(grade(rubric, submissions, prepared, versions_of=known))
    assert {r["dan", q.id].status for q in rubric.questions} == {"error"}
    assert "'dan'" in r["dan", rubric.questions[0].id].feedback
    assert r["ana", rubric.questions[0].id].status == "correct"


def test_the_same_verdicts_whatever_the_order_of_the_class(loaded):
    rubric, prepared, submissions = loaded
    first = grade(rubric, submissions, prepared)
    again = grade(rubric, list(reversed(submissions)), prepared)
    assert first == again


def test_wrong_answers_are_grouped_within_a_version(loaded):
    rubric, prepared, submissions = loaded
    for verdict in grade(rubric, submissions, prepared):
        if verdict.group and not verdict.mistake:
            assert verdict.group.startswith(f"{verdict.question}#v"), verdict.group


def test_grader_grade_with_versions_needs_the_roster_and_writes_versions_and_copied(tmp_path):
    from click.testing import CliRunner

    from grader.cli import main

    roster = ROOT / "rubrics" / "hw1_versions_roster.csv"
    runner = CliRunner()
    refused = runner.invoke(main, ["grade", str(RUBRIC), str(CLASS), "-o", str(tmp_path / "no")])
    assert refused.exit_code == 2 and "--roster" in refused.stderr
    out = tmp_path / "out"
    done = runner.invoke(main, ["grade", str(RUBRIC), str(CLASS), "-o", str(out), "--roster", str(roster)])
    assert done.exit_code == 0, done.output
    copied = (out / "copied.csv").read_text().splitlines()
    assert copied[0] == "student,fits,questions,answers"
    assert [line.split(",")[:2] for line in copied[1:]] == [["ben", "ana"]]
    versions = (out / "versions.csv").read_text().splitlines()
    assert versions[0].startswith("student,") and len(versions) == 1 + 5  # the roster's students
    # `grader report` keeps the run's own files; `grade --versions` reads versions.csv back.
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert runner.invoke(main, ["report", str(out)]).exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    again = tmp_path / "again"
    (tmp_path / "versions.csv").write_bytes(before["versions.csv"])
    done = runner.invoke(main, ["grade", str(RUBRIC), str(CLASS), "-o", str(again), "--versions",
                                str(tmp_path / "versions.csv")])
    assert done.exit_code == 0, done.output
    assert (again / "copied.csv").read_bytes() == before["copied.csv"]
    assert (again / "versions.csv").read_bytes() == before["versions.csv"]
