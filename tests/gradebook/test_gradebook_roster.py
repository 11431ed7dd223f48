"""Finding each submission's student on the roster: by the id read, the LMS's id, the
Gradescope sid, the email, and (last, only when unique) the name; the roster's id is then the
student everywhere."""

from __future__ import annotations

import pandas as pd
import pytest
from gradebook_course import rows, run, small_rubric
from lms_folders import gradescope_export, moodle_download, put

from grader.reports import read_roster, roster_matcher
from grader.submissions import scan_submissions
from grader.submissions.identity import put_roster_ids

ROSTER = pd.DataFrame({
    "student": ["jsmith", "jdoe", "blee", "twin1", "twin2"],
    "name": ["John Smith", "Doe, Jane", "Bruce Lee", "Sam Twin", "Sam Twin"],
    "email": ["jsmith@example.edu", "JDoe@Example.edu", "", "", ""],
    "section": "", "sis_id": ["900001", "", "", "", ""], "id": ["12345", "", "Participant 34567", "", ""],
    "login": ["", "", "", "", ""], "extension_hours": "",
})


@pytest.mark.parametrize(("student", "identity", "expected"), [
    ("jsmith", {}, ("jsmith", "the id read = roster student")),
    ("JSmith", {}, ("jsmith", "the id read = roster student")),
    ("12345", {"lms_id": "12345"}, ("jsmith", "the id read = roster id")),
    ("x", {"lms_id": "900001"}, ("jsmith", "the LMS's id = roster sis_id")),
    ("34567", {"lms_id": "34567"}, ("blee", "the id read = roster id")),       # Moodle's "Participant 34567"
    ("s9", {"sid": "s9", "email": "jdoe@example.edu"}, ("jdoe", "the email = roster email")),
    ("smithjohn", {"lms_id": "999", "name": "smithjohn"}, ("jsmith", "name = roster name")),  # Canvas's sortable name
    ("x", {"name": "Jane Doe"}, ("jdoe", "name = roster name")),
    ("x", {"name": "Sam Twin"}, (None, "")),                                # two of them: no guess
    ("nobody", {"email": "nobody@example.edu"}, (None, "")),
])
def test_matching(student, identity, expected):
    assert roster_matcher(ROSTER)(student, identity) == expected


def test_moodle_participants_and_their_worksheet(tmp_path):
    classdir = moodle_download(tmp_path / "moodle")
    worksheet = put(tmp_path / "worksheet.csv",
                    "Identifier,Full name,Email address,Status,Grade\n"
                    "Participant 12345,John Smith,jsmith@example.edu,Submitted,\n"
                    "Participant 23456,Jane Doe,jdoe@example.edu,Submitted,\n"
                    "Participant 34567,Bruce Lee,blee@example.edu,Submitted,\n")
    roster, _ = read_roster(worksheet)
    subs, notes = put_roster_ids(list(scan_submissions(classdir).submissions), roster_matcher(roster))
    assert [s.student for s in subs] == ["Participant 12345", "Participant 23456", "Participant 34567"]
    assert subs[0].identity["intake_id"] == "12345"
    assert notes == ["3 submission(s) found on the roster under another id (3 by the id read = roster student)"]


def test_gradescope_students_found_by_email_in_every_report(tmp_path):
    rubric = small_rubric(tmp_path / "r")
    classdir = gradescope_export(tmp_path / "export")
    roster = put(tmp_path / "roster.csv", "student,email\njsmith,jsmith@example.edu\nann,ann@example.edu\n"
                                          "ben,ben@example.edu\ncy,cy@example.edu\n")
    out = tmp_path / "out"
    result = run("grade", rubric, classdir, "-o", out, "--roster", roster)
    assert result.exit_code == 0, result.output
    assert "4 submission(s) found on the roster under another id (4 by the email = roster email)" in result.stderr
    assert "not on the roster" not in result.stderr
    for name in ("details.csv", "answers.csv", "grades.csv", "students.csv"):
        assert {r["student"] for r in rows(out / name)} == {"jsmith", "ann", "ben", "cy"}, name
    students = {r["student"]: r for r in rows(out / "students.csv")}
    assert students["ann"]["group"] == students["ben"]["group"] == "submission_1002"
    assert sorted(p.name for p in (out / "feedback").iterdir()) == ["ann.md", "ben.md", "cy.md", "jsmith.md"]


def test_two_submissions_for_one_roster_student_are_graded_once(tmp_path):
    put(tmp_path / "class" / "jsmith.yaml", "answers:\n  q1.sigmoid: x\n")
    put(tmp_path / "class" / "jsmith@example.edu.yaml", "answers:\n  q1.sigmoid: y\n")
    subs, notes = put_roster_ids(list(scan_submissions(tmp_path / "class").submissions), roster_matcher(ROSTER))
    assert [s.student for s in subs] == ["jsmith"]
    assert any(n.startswith("jsmith has 2 submissions: graded jsmith.yaml; not graded: "
                            "jsmith@example.edu.yaml") for n in notes)
