"""Scores set by hand: validated when added, kept outside OUTDIR, applied by every grade and
report, shown in the feedback, recorded in run.json, visible in grader diff."""

from __future__ import annotations

import json
import shutil

import pytest
from gradebook_course import rows, run, small_rubric
from lms_folders import put

ALICE = "answers:\n  q1.sigmoid: f(1-f)\n  q1.softmax_diag: f_i (1 - f_i)\n  q4.boundary_a2: oscillates\n"
BOB = "answers:\n  q1.sigmoid: f(1+f)\n"


@pytest.fixture
def course(tmp_path):
    rubric = small_rubric(tmp_path / "course")
    put(tmp_path / "class" / "alice.yaml", ALICE)
    put(tmp_path / "class" / "bob.yaml", BOB)
    out = tmp_path / "out"
    assert run("grade", rubric, tmp_path / "class", "-o", out).exit_code == 0
    return rubric, tmp_path / "class", out


def details(out):
    return {(r["student"], r["question"]): r for r in rows(out / "details.csv")}


def test_an_override_survives_regrading_and_shows_everywhere(course):
    rubric, classdir, out = course
    result = run("override", rubric, "bob", "q1.softmax_diag", 2.5, "--note", "emailed answer accepted", "-o", out)
    assert result.exit_code == 0, result.output
    overrides = rubric.parent / "overrides.csv"
    assert "student known from" in result.stdout and str(overrides) in result.stdout
    assert overrides.read_text() == "student,question,score,note\nbob,q1.softmax_diag,2.5,emailed answer accepted\n"
    assert not (out / "overrides.csv").exists(), "the instructor's file lives outside OUTDIR"

    result = run("grade", rubric, classdir, "-o", out)
    assert result.exit_code == 0, result.output
    assert f"1 score(s) set by hand, from {overrides}" in result.stderr
    row = details(out)[("bob", "q1.softmax_diag")]
    assert (row["score"], row["status"]) == ("2.5", "partial")
    assert row["feedback"] == "no answer\ninstructor: emailed answer accepted (0 → 2.5 of 4)"
    assert list(rows(out / "details.csv")[0]) == ["student", "question", "score", "max_score", "status", "feedback"]
    assert {r["student"]: r["total"] for r in rows(out / "grades.csv")}["bob"] == "2.5"
    assert "emailed answer accepted \\(0 → 2\\.5 of 4\\)" in (out / "feedback" / "bob.md").read_text(encoding="utf-8")
    recorded = json.loads((out / "run.json").read_text())
    assert recorded["overrides_file"] == str(overrides)
    assert recorded["overrides"] == [{"student": "bob", "question": "q1.softmax_diag", "score": 2.5,
                                      "note": "emailed answer accepted", "old_score": 0.0,
                                      "old_status": "missing", "old_feedback": "no answer"}]


def test_report_applies_the_file_afresh_and_diff_shows_it(course, tmp_path):
    rubric, classdir, out = course
    before = tmp_path / "before"
    shutil.copytree(out, before)
    run("override", rubric, "alice", "q4.boundary_a2", 0, "--note", "copied", "-o", out)
    result = run("report", out, "--overrides", rubric.parent / "overrides.csv")
    assert result.exit_code == 0, result.output
    row = details(out)[("alice", "q4.boundary_a2")]
    assert (row["score"], row["status"]) == ("0", "incorrect")
    diff = run("diff", before, out, "--csv")
    lines = diff.stdout.splitlines()
    assert lines[0].endswith(",change,override")
    assert "alice,q4.boundary_a2,3,0,-3,correct,incorrect,score+status,copied" in lines
    # The same report again changes nothing; taking the line out of the file undoes it.
    snapshot = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert run("report", out).exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == snapshot
    shutil.copytree(out, tmp_path / "with")
    (rubric.parent / "overrides.csv").write_text("student,question,score,note\n")
    assert run("report", out).exit_code == 0
    assert details(out)[("alice", "q4.boundary_a2")]["score"] == "3"
    assert "overrides" not in json.loads((out / "run.json").read_text())
    assert "alice,q4.boundary_a2,0,3,3,incorrect,correct,score+status,override removed" in \
        run("diff", tmp_path / "with", out, "--csv").stdout


@pytest.mark.parametrize(("args", "message"), [
    (("carl", "q1.sigmoid", 1), "not added: unknown student 'carl' (students are known from"),
    (("bob", "q9.nothing", 1), "not added: unknown question 'q9.nothing'"),
    (("bob", "q4.boundary_a2", 99), "not added: score 99 is outside 0 … 3 (the points of q4.boundary_a2)"),
    (("bob", "q4.boundary_a2", -1), "not added: score -1 is outside 0 … 3"),
])
def test_overrides_are_validated_when_added(course, args, message):
    rubric, _, out = course
    result = run("override", "-o", out, rubric, *args[:2], "--", args[2])
    assert result.exit_code == 2 and message in result.stderr
    assert not (rubric.parent / "overrides.csv").exists()


def test_students_may_come_from_the_roster(course, tmp_path):
    rubric, _, _ = course
    roster = put(tmp_path / "roster.csv", "student\nalice\nbob\ncarl\n")
    result = run("override", rubric, "carl", "q1.sigmoid", 4, "--roster", roster, "--overrides",
                 tmp_path / "mine.csv")
    assert result.exit_code == 0 and f"student known from {roster}" in result.stdout
    assert (tmp_path / "mine.csv").is_file()
    other = small_rubric(tmp_path / "other")
    assert "say where the students are known from" in run("override", other, "bob", "q1.sigmoid", 1).stderr


def test_the_last_run_of_the_rubric_knows_the_students(course):
    rubric, _, out = course
    result = run("override", rubric, "bob", "q1.sigmoid", 1, "--note", "partial credit")
    assert result.exit_code == 0, result.output
    assert f"student known from {out.resolve()}/details.csv" in result.stdout
    assert "unknown student 'carl'" in run("override", rubric, "carl", "q1.sigmoid", 1).stderr


def test_bad_lines_in_the_file_are_warned_about_not_applied(course):
    rubric, classdir, out = course
    (rubric.parent / "overrides.csv").write_text(
        "student,question,score,note\nbob,q1.sigmoid,99,typo\nbob,q1.sigmoid,x,\nzed,q1.sigmoid,1,\n"
        "alice,q1.sigmoid,3,fine\n")
    result = run("grade", rubric, classdir, "-o", out)
    assert result.exit_code == 0
    assert "overrides.csv:2: override not applied: score 99 is outside 0 … 4" in result.stderr
    assert "overrides.csv:3: score 'x' is not a number" in result.stderr
    assert "overrides.csv:4: override not applied: unknown student 'zed'" in result.stderr
    assert details(out)[("alice", "q1.sigmoid")]["score"] == "3"
    assert details(out)[("bob", "q1.sigmoid")]["score"] == "0"
