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


def export_canvas(outdir: Path, assignment: str, dest: Path | None = None) -> Path:
    """A Canvas gradebook import CSV with each student's total; returns its path.

    Columns: Student (roster name, else the id), ID (the roster's separate ``id`` column, else
    empty), SIS User ID, SIS Login ID (login, else email, else the id), Section, and the
    assignment (``"HW1 (12345)"`` targets an existing Canvas assignment). A ``Points Possible``
    row, as in Canvas's own exports, follows the header. Every cell is spreadsheet-safe.
    """
    if not assignment.strip():
        raise ValueError("the Canvas assignment name must not be empty")
    outdir = Path(outdir)
    table, meta, roster = load_outdir(outdir)
    grades = grades_table(table, meta)
    r = _roster_for(grades["student"], roster)
    student = grades["student"].astype(str)
    name = r["name"].where(r["name"] != "", student.to_numpy())
    login = r["login"].where(r["login"] != "", r["email"])
    login = login.where(login != "", student.to_numpy())
    max_total = fmt(float(grades["max_total"].iloc[0])) if len(grades) else fmt(
        sum(q.points for q in meta.questions))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    rows = [["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment],
            ["    Points Possible", "", "", "", "", max_total]]
    rows += zip(name.tolist(), r["id"].tolist(), r["sis_id"].tolist(), login.tolist(),
                r["section"].tolist(), fmt_array(grades["total"]))
    writer.writerows([spreadsheet_cell(str(cell)) for cell in row] for row in rows)
    path = Path(dest) if dest is not None else outdir / "exports" / "canvas.csv"
    atomic_write(path, buf.getvalue().encode("utf-8"))
    return path


def export_gradescope(outdir: Path, dest: Path | None = None) -> Path:
    """Gradescope autograder ``results.json`` per student under ``dest/<student>/``; returns dest.

    Each question is a test: status ``passed`` only when correct (partial credit shows as failed
    with its score), our status word in ``tags`` and ``extra_data``, feedback as ``output``.
    """
    outdir = Path(outdir)
    table, meta, _ = load_outdir(outdir)
    grades = grades_table(table, meta)
    totals = dict(zip(grades["student"], grades["total"].tolist()))
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
