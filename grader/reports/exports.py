"""Grades for an LMS: the Canvas gradebook import CSV and Gradescope ``results.json`` files."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd

from grader.reports.csvfiles import atomic_write, spreadsheet_cell, write_new
from grader.reports.feedback import safe_names
from grader.reports.numbers import fmt, fmt_array
from grader.reports.outdir import load_outdir
from grader.reports.roster import ROSTER_COLUMNS, normalise_roster
from grader.reports.swap import replace_dir
from grader.reports.table import grades_table
from grader.verdict import CORRECT


def _looks_like_gradescope_export(path: Path) -> bool:
    return all(p.is_dir() and [c.name for c in p.iterdir()] == ["results.json"] for p in path.iterdir())


def _roster_for(students: pd.Series, roster: pd.DataFrame | None) -> pd.DataFrame:
    """Roster fields aligned with ``students`` ("" where a student is not on the roster)."""
    r = normalise_roster(roster if roster is not None else pd.DataFrame(columns=list(ROSTER_COLUMNS)))
    return r.set_index("student").reindex(students.to_numpy()).fillna("").reset_index(drop=True)


def _graded(outdir: Path, warnings: list[str] | None = None):
    """OUTDIR's table, meta, roster, students.csv and grades (late columns included)."""
    from grader.reports.students import load_students

    table, meta, roster = load_outdir(outdir)
    students = load_students(outdir)
    grades = grades_table(table, meta, students, roster, warnings)
    return table, meta, roster, students, grades


def _counted(grades: pd.DataFrame) -> pd.Series:
    """The total the LMS gets: after the late penalty when there is one."""
    return grades["total_after_penalty"] if "total_after_penalty" in grades else grades["total"]


def export_canvas(outdir: Path, assignment: str, dest: Path | None = None,
                  warnings: list[str] | None = None) -> Path:
    """A Canvas gradebook import CSV with each student's total (after any late penalty);
    returns its path. ``warnings`` collects what the instructor must know before uploading.

    Columns: Student (roster name, else the id), ID (the roster's ``id`` column, else the
    Canvas user id the download's file names gave), SIS User ID, SIS Login ID (login, else
    email, else the id), Section, and the assignment (``"HW1 (12345)"`` targets an existing
    Canvas assignment). A ``Points Possible`` row, as in Canvas's own exports, follows the
    header. With a roster, only roster students are exported (the others are listed in a
    warning, never written with empty ids); without one, Canvas can match a row only by its
    Canvas ID or SIS Login ID, and a warning says which students have neither for certain.
    Every cell is spreadsheet-safe.
    """
    if not assignment.strip():
        raise ValueError("the Canvas assignment name must not be empty")
    outdir = Path(outdir)
    notes = warnings if warnings is not None else []
    _, meta, roster, students, grades = _graded(outdir, notes)
    student = grades["student"].astype(str)
    lms_ids = dict(zip(students["student"], students["lms_id"])) if students is not None else {}
    if roster is not None:
        listed = set(roster["student"].astype(str))
        outside = [s for s in student if s not in listed]
        if outside:
            notes.append(f"{len(outside)} student(s) not on the roster, left out of the Canvas "
                         f"import (add them to the roster to export them): {', '.join(outside[:20])}")
        grades = grades.loc[student.isin(listed).to_numpy()].reset_index(drop=True)
        student = grades["student"].astype(str)
    r = _roster_for(grades["student"], roster)
    canvas_id = r["id"].where(r["id"] != "", pd.Series([_canvas_user_id(lms_ids.get(s, "")) for s in student]))
    name = r["name"].where(r["name"] != "", student.to_numpy())
    login = r["login"].where(r["login"] != "", r["email"])
    login = login.where(login != "", student.to_numpy())
    if roster is None:
        unknown = [s for s, cid in zip(student, canvas_id) if not cid]
        notes.append("no roster: Canvas matches each row by its ID (the Canvas user id, known "
                     "from a Canvas download's file names) or its SIS Login ID (here the "
                     "student id); export with the roster (grade --roster) to be sure"
                     + (f"; {len(unknown)} student(s) have no Canvas ID and will match only if "
                        f"their id is their SIS Login ID: {', '.join(unknown[:20])}" if unknown else ""))
    max_total = fmt(float(grades["max_total"].iloc[0])) if len(grades) else fmt(
        sum(q.points for q in meta.questions))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment],
            ["    Points Possible", "", "", "", "", max_total]]
    rows += zip(name.tolist(), canvas_id.tolist(), r["sis_id"].tolist(), login.tolist(),
                r["section"].tolist(), fmt_array(_counted(grades)))
    writer.writerows([spreadsheet_cell(str(cell)) for cell in row] for row in rows)
    path = Path(dest) if dest is not None else outdir / "exports" / "canvas.csv"
    atomic_write(path, buf.getvalue().encode("utf-8"))
    return path


def _canvas_user_id(lms_id: str) -> str:
    """A Canvas user id from the intake (digits); an anonymous id (anon_…) is not one."""
    return lms_id if lms_id.isdigit() else ""


def export_gradescope(outdir: Path, dest: Path | None = None) -> Path:
    """Gradescope autograder ``results.json`` per student under ``dest/<student>/``; returns dest.

    Each question is a test: status ``passed`` only when correct (partial credit shows as failed
    with its score), our status word in ``tags`` and ``extra_data``, feedback as ``output``.
    ``score`` is the total after any late penalty.
    """
    outdir = Path(outdir)
    table, _, _, _, grades = _graded(outdir)
    totals = dict(zip(grades["student"], _counted(grades).tolist()))
    target = Path(dest) if dest is not None else outdir / "exports" / "gradescope"

    def build(d: Path) -> None:
        names = safe_names(totals)
        for student, rows in table.groupby("student", sort=True):
            tests = [
                {
                    "name": q, "number": str(i), "score": float(fmt(sc) or 0), "max_score": float(fmt(mx) or 0),
                    "status": "passed" if st == CORRECT else "failed", "output": fb,
                    "tags": [st], "extra_data": {"status": st},
                }
                for i, (q, sc, mx, st, fb) in enumerate(zip(
                    rows["question"], rows["score"], rows["max_score"], rows["status"], rows["feedback"]), 1)
            ]
            result = {"score": float(fmt(totals[student]) or 0), "tests": tests,
                      "extra_data": {"student": student}}
            sub = d / names[student]
            sub.mkdir()
            write_new(sub / "results.json",
                       (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    target.parent.mkdir(parents=True, exist_ok=True)
    replace_dir(target, build, _looks_like_gradescope_export, "a Gradescope export directory")
    return target
