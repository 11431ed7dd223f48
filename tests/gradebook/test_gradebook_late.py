"""Late work: the rubric's due date and policy, times from Gradescope or a times.csv, extensions
from the roster, Canvas's LATE without a time; grades.csv gains its late columns only with a
due date, per-question statistics stay raw."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime, timedelta, timezone

import pytest
from gradebook_course import rows, run, small_rubric
from lms_folders import canvas_download, example, gradescope_export, put

from grader.errors import RubricError
from grader.reports.late import days_late, penalty_for

DUE = datetime(2024, 2, 1, 23, 59, tzinfo=timezone(timedelta(hours=-5)))
HOUR = timedelta(hours=1)


@pytest.mark.parametrize(("late_by", "grace", "days"), [
    (-HOUR, timedelta(0), 0), (timedelta(0), timedelta(0), 0), (timedelta(minutes=1), timedelta(0), 1),
    (timedelta(minutes=10), timedelta(minutes=15), 0), (timedelta(minutes=16), timedelta(minutes=15), 1),
    (24 * HOUR, timedelta(0), 1), (24 * HOUR + timedelta(seconds=1), timedelta(0), 2), (72 * HOUR, timedelta(0), 3),
])
def test_started_days_late(late_by, grace, days):
    assert days_late(DUE + late_by, DUE, grace, timedelta(0)) == days


def test_an_extension_moves_the_due_time():
    assert days_late(DUE + 30 * HOUR, DUE, timedelta(0), 48 * HOUR) == 0
    assert days_late(DUE + 50 * HOUR, DUE, timedelta(0), 48 * HOUR) == 1


@pytest.mark.parametrize(("days", "policy", "penalty"), [
    (0, {"per_day": 0.1}, 0.0), (1, {"per_day": 0.1}, 0.1), (3, {"per_day": 0.1, "max_days": 3}, pytest.approx(0.3)),
    (4, {"per_day": 0.1, "max_days": 3}, 1.0), (20, {"per_day": 0.1}, 1.0),
    (1, {"table": [{"days": 1, "penalty": 0.05}, {"days": 3, "penalty": 0.25}]}, 0.05),
    (2, {"table": [{"days": 1, "penalty": 0.05}, {"days": 3, "penalty": 0.25}]}, 0.25),
    (4, {"table": [{"days": 1, "penalty": 0.05}, {"days": 3, "penalty": 0.25}]}, 1.0),
])
def test_penalties(days, policy, penalty):
    assert penalty_for(days, policy) == penalty


LATE_HEADER = """\
due: 2024-02-01T23:59:00-05:00
late: {per_day: 0.25, max_days: 2, grace: 15m}
"""


def test_late_columns_from_gradescope_times_and_roster_extensions(tmp_path):
    rubric = small_rubric(tmp_path / "r", header=LATE_HEADER)
    classdir = gradescope_export(tmp_path / "export")
    put(classdir / "submission_1002" / "answers.yaml", example("bob.yaml"))  # the group: all right
    roster = put(tmp_path / "roster.csv", "student,name,extension_hours\n12345,John,\na1,Ann,\n"
                                          "b2,Ben,72\nc3,Cy,\nd4,Dee,\n")
    out = tmp_path / "out"
    result = run("grade", rubric, classdir, "-o", out, "--roster", roster)
    assert result.exit_code == 0, result.output
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert list(grades["12345"])[-6:] == ["total", "max_total", "late_days", "penalty", "total_after_penalty",
                                          "percent"]
    # 12345 on time (23:30); the group a1/b2 32 hours late, b2 with a 72-hour extension;
    # c3 11 minutes late: within the 15-minute grace; d4 has no submission.
    assert [grades["12345"][c] for c in ("late_days", "penalty", "total", "total_after_penalty", "percent")] \
        == ["0", "0", "11", "11", "100"]
    assert [grades["a1"][c] for c in ("late_days", "penalty", "total", "total_after_penalty", "percent")] \
        == ["2", "0.5", "11", "5.5", "50"]
    assert [grades["b2"][c] for c in ("late_days", "penalty")] == ["0", "0"]
    assert grades["c3"]["late_days"] == "0"
    assert grades["d4"]["late_days"] == "" and grades["d4"]["penalty"] == "0"
    summary = {r["question"]: r for r in rows(out / "summary.csv")}
    assert summary["q1.sigmoid"]["mean"] == "3.2", "per-question statistics stay on raw scores"
    assert {r["score"] for r in rows(out / "details.csv") if r["student"] == "a1"} == {"4", "3"}
    run_json = json.loads((out / "run.json").read_text())
    assert run_json["due"] == "2024-02-01T23:59:00-05:00"
    assert run_json["late"] == {"grace": "15m", "per_day": 0.25, "max_days": 2.0}
    # regenerating keeps every byte, late columns included
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    assert run("report", out).exit_code == 0
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before


def test_times_csv_and_penalised_exports(tmp_path):
    rubric = small_rubric(tmp_path / "r", header=LATE_HEADER)
    put(tmp_path / "class" / "alice.yaml",
        "answers:\n  q1.sigmoid: f(1-f)\n  q1.softmax_diag: f_i (1 - f_i)\n  q4.boundary_a2: oscillates\n")
    put(tmp_path / "class" / "bob.yaml", "answers:\n  q1.sigmoid: f(1-f)\n")
    put(tmp_path / "class" / "carl.yaml", "answers:\n  q1.sigmoid: f(1-f)\n")
    times = put(tmp_path / "times.csv", "student,submitted_at\nalice,2024-02-02T10:00:00-05:00\n"
                                        "bob,2024-02-01T20:00:00-05:00\nnobody,2024-02-01T20:00:00Z\n")
    out = tmp_path / "out"
    result = run("grade", rubric, tmp_path / "class", "-o", out, "--times", times)
    assert result.exit_code == 0, result.output
    assert "times.csv: 1 student(s) with no submission: nobody" in result.stderr
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert [grades["alice"][c] for c in ("late_days", "penalty", "total", "total_after_penalty")] \
        == ["1", "0.25", "11", "8.25"]
    assert grades["carl"]["late_days"] == "", "no time known: not marked late"
    students = {r["student"]: r for r in rows(out / "students.csv")}
    assert students["alice"]["time_from"] == "times.csv"
    feedback = (out / "feedback" / "alice.md").read_text(encoding="utf-8")
    assert "Late by 1 day (started days): penalty 25%; **8.25 / 11 after the penalty.**" in feedback
    assert feedback.rstrip().endswith("**Total: 11 / 11 (100%)**")
    run("export", out, "--format", "canvas", "--assignment", "HW")
    canvas = list(csv.reader((out / "exports" / "canvas.csv").read_text().splitlines()))
    assert {r[0]: r[5] for r in canvas[2:]}["alice"] == "8.25"
    run("export", out, "--format", "gradescope")
    assert json.loads((out / "exports" / "gradescope" / "alice" / "results.json").read_text())["score"] == 8.25


def test_a_canvas_late_marker_without_a_time_is_listed_not_penalised(tmp_path):
    rubric = small_rubric(tmp_path / "r", header=LATE_HEADER)
    out = tmp_path / "out"
    result = run("grade", rubric, canvas_download(tmp_path / "canvas"), "-o", out)
    assert result.exit_code == 0, result.output
    assert ("2 submission(s) marked late by the LMS with no time (no automatic penalty; give times "
            "with --times): 12345, anon_Qx9Zp") in result.stderr
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert grades["12345"]["late_days"] == "" and grades["12345"]["penalty"] == "0"
    assert grades["12345"]["total_after_penalty"] == grades["12345"]["total"]


@pytest.mark.parametrize(("header", "message"), [
    ("due: 2024-02-01T23:59:00\n", "due: give a time zone"),
    ("late: {per_day: 0.1}\n", "late: a late policy needs `due:`"),
    ("due: 2024-02-01T23:59:00Z\nlate: {per_day: 0.1, grace: soon}\n", "late.grace: 'soon' is not a duration"),
    ("due: 2024-02-01T23:59:00Z\nlate: {per_day: 1.5}\n", "late.per_day"),
    ("due: 2024-02-01T23:59:00Z\nlate: {grace: 1h}\n", "give either `per_day`"),
    ("due: 2024-02-01T23:59:00Z\nlate: {table: [{days: 3, penalty: 0.5}, {days: 1, penalty: 0.1}]}\n",
     "late.table: rows must be in increasing order"),
    ("due: tomorrow\n", "due:"),
])
def test_late_policy_mistakes_are_located(tmp_path, header, message):
    from grader.pipeline import load_rubric

    with pytest.raises(RubricError) as err:
        load_rubric(small_rubric(tmp_path, header=header))
    (problem,) = err.value.problems
    assert message in problem
    assert re.match(r".*rubric\.yaml:[34]: ", problem), "the line of the field at fault"
