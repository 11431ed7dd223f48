"""The README's example: a Canvas download graded in one command, then with the roster, and
exported back to Canvas."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from gradebook_course import HW1, rows, run
from lms_folders import canvas_download, put


@pytest.fixture(scope="module")
def canvas(tmp_path_factory) -> Path:
    return canvas_download(tmp_path_factory.mktemp("canvas") / "submissions")


@pytest.fixture(scope="module")
def graded(canvas, tmp_path_factory) -> tuple[Path, object]:
    out = tmp_path_factory.mktemp("out") / "reports"
    result = run("grade", HW1, canvas, "-o", out)
    return out, result


def test_a_canvas_download_graded_in_one_command(graded):
    out, result = graded
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0].endswith("(read as a Canvas download, detected; choose with --layout)")
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert list(grades) == ["12345", "23456", "34567", "anon_Qx9Zp"]
    # One student, code and answers together (the issue: two students, 68 and 28 points).
    assert grades["12345"]["total"] == "96" and grades["12345"]["max_total"] == "96"
    assert "late_days" not in grades["12345"], "no due date in the rubric: no late columns"
    students = {r["student"]: r for r in rows(out / "students.csv")}
    assert students["12345"]["marked_late"] == "yes" and students["12345"]["lms_id"] == "12345"
    assert students["12345"]["name"] == "smithjohn"
    details = rows(out / "details.csv")
    assert list(details[0]) == ["student", "question", "score", "max_score", "status", "feedback"]
    assert {r["student"] for r in details} == set(grades)


def test_canvas_export_without_a_roster_uses_the_canvas_user_ids(graded):
    out, _ = graded
    result = run("export", out, "--format", "canvas", "--assignment", "HW1")
    assert result.exit_code == 0, result.output
    assert "warning: no roster: Canvas matches each row by its ID" in result.stderr
    assert "1 student(s) have no Canvas ID and will match only if their id is their SIS Login ID: anon_Qx9Zp" \
        in result.stderr
    lines = (out / "exports" / "canvas.csv").read_text(encoding="utf-8").splitlines()
    exported = {r[0]: r for r in csv.reader(lines[2:])}
    assert exported["12345"][1] == "12345" and exported["12345"][5] == "96"
    assert exported["anon_Qx9Zp"][1] == "", "an anonymous id is not a Canvas user id"


def test_with_a_canvas_roster_its_ids_are_the_students_everywhere(canvas, tmp_path):
    # The roster as Canvas exports its gradebook: Student is the name, SIS Login ID the id.
    roster = put(tmp_path / "gradebook.csv",
                 "Student,ID,SIS User ID,SIS Login ID,Section\n"
                 "    Points Possible,,,,\n"
                 '"Smith, John",12345,900001,jsmith,A1\n'
                 '"Doe, Jane",23456,900002,jdoe,A1\n'
                 '"Lee, Bruce",34567,900003,blee,A2\n'
                 '"Absent, Amy",45678,900004,aabsent,A2\n')
    out = tmp_path / "out"
    result = run("grade", HW1, canvas, "-o", out, "--roster", roster, "--layout", "canvas")
    assert result.exit_code == 0, result.output
    assert "(read as a Canvas download, --layout)" in result.stdout
    assert "3 submission(s) found on the roster under another id (3 by the id read = roster id)" in result.stderr
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert sorted(grades) == ["aabsent", "anon_Qx9Zp", "blee", "jdoe", "jsmith"]
    assert grades["jsmith"]["total"] == "96" and grades["aabsent"]["total"] == "0"
    for name in ("details.csv", "answers.csv", "students.csv"):
        assert "12345" not in {r["student"] for r in rows(out / name)}, name
    assert (out / "feedback" / "jsmith.md").is_file()
    assert {r["student"] for r in rows(out / "students.csv")} >= {"jsmith", "jdoe", "blee"}
    result = run("export", out, "--format", "canvas", "--assignment", "HW1 (777)")
    assert "1 student(s) not on the roster, left out of the Canvas import" in result.stderr
    lines = (out / "exports" / "canvas.csv").read_text(encoding="utf-8").splitlines()
    exported = list(csv.reader(lines[2:]))
    assert [r[:4] for r in exported] == [
        ["Absent, Amy", "45678", "900004", "aabsent"], ["Lee, Bruce", "34567", "900003", "blee"],
        ["Doe, Jane", "23456", "900002", "jdoe"], ["Smith, John", "12345", "900001", "jsmith"]]
