"""Manual overrides: scores the instructor sets by hand, kept in a file they own
(``overrides.csv`` beside the rubric, outside OUTDIR, which is replaced whole) and applied by
every ``grade`` and ``report``.

The file: ``student,question,score,note``, one line per override; for a (student, question)
the last line wins. Applying one sets the score, derives the status from it (``correct`` at
full marks, ``partial`` in between; at 0 a zero status such as ``missing`` is kept, anything
else becomes ``incorrect``) and adds the note to the feedback. run.json keeps what was replaced,
so ``grader report`` can take the overrides off and apply the file afresh.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grader.reports.csvfiles import atomic_write, clean_text, from_spreadsheet_cell, spreadsheet_cell
from grader.reports.meta import OVERRIDES_NAME as DEFAULT_NAME, ReportMeta, overrides_path as default_path
from grader.reports.numbers import fmt
from grader.verdict import CORRECT, ERROR, INCORRECT, INVALID, MISSING, PARTIAL, TIMEOUT

OVERRIDE_COLUMNS: tuple[str, ...] = ("student", "question", "score", "note")
_ZERO_STATUSES = {INCORRECT, MISSING, INVALID, ERROR, TIMEOUT}


@dataclass(frozen=True)
class Override:
    student: str
    question: str
    score: float
    note: str
    line: int = 0


def read_overrides(path: Path) -> tuple[list[Override], list[str]]:
    """The file's overrides (the last per student × question) and a problem per unusable line."""
    path = Path(path)
    if not path.is_file():
        return [], []
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        return [], [f"{path}: cannot read ({err})"]
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    missing = [c for c in OVERRIDE_COLUMNS[:3] if c not in header]
    if missing:
        return [], [f"{path}:1: expected the columns {','.join(OVERRIDE_COLUMNS)}; "
                    f"missing {', '.join(missing)}"]
    at = {c: header.index(c) for c in OVERRIDE_COLUMNS if c in header}
    found: dict[tuple[str, str], Override] = {}
    problems: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        cell = {c: from_spreadsheet_cell(row[i].strip() if i < len(row) else "") for c, i in at.items()}
        try:
            score = float(cell["score"])
            if not math.isfinite(score):
                raise ValueError
        except ValueError:
            problems.append(f"{path}:{line}: score {cell['score']!r} is not a number")
            continue
        if not cell["student"] or not cell["question"]:
            problems.append(f"{path}:{line}: student and question must not be empty")
            continue
        found[(cell["student"], cell["question"])] = Override(
            cell["student"], cell["question"], score, cell.get("note", ""), line)
    return list(found.values()), problems


def check_override(override: Override, points: dict[str, float], students: set[str] | None) -> str:
    """Why ``override`` cannot apply ("" when it can)."""
    if override.question not in points:
        return f"unknown question {override.question!r}"
    if students is not None and override.student not in students:
        return f"unknown student {override.student!r}"
    top = points[override.question]
    if not 0 <= override.score <= top:
        return f"score {fmt(override.score)} is outside 0 … {fmt(top)} (the points of {override.question})"
    return ""


def add_override(path: Path, override: Override) -> None:
    """Append one line to the overrides file (created with its header when missing)."""
    path = Path(path)
    old = path.read_bytes().decode("utf-8-sig") if path.is_file() else ""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    if not old.strip():
        writer.writerow(OVERRIDE_COLUMNS)
    elif not old.endswith("\n"):
        buf.write("\n")
    writer.writerow([spreadsheet_cell(override.student), spreadsheet_cell(override.question),
                     fmt(override.score), spreadsheet_cell(clean_text(override.note))])
    atomic_write(path, (old + buf.getvalue()).encode("utf-8"))


def apply_overrides(table: pd.DataFrame, meta: ReportMeta, path: Path | None
                    ) -> tuple[pd.DataFrame, ReportMeta, list[str]]:
    """The table with the file's overrides applied, the meta recording them, and a warning per
    override that could not apply. ``table`` must hold no override already (see
    ``undo_overrides``)."""
    if path is None:
        return table, meta, []
    from dataclasses import replace

    overrides, warnings = read_overrides(path)
    points = {q.id: q.points for q in meta.questions}
    students = set(table["student"].astype(str))
    index = {(s, q): i for i, (s, q) in enumerate(zip(table["student"], table["question"]))}
    out = table.copy()
    applied: list[dict[str, Any]] = []
    for override in sorted(overrides, key=lambda o: (o.student, o.question)):
        problem = check_override(override, points, students)
        if not problem and (override.student, override.question) not in index:
            problem = f"{override.student} has no row for {override.question}"
        if problem:
            warnings.append(f"{path}:{override.line}: override not applied: {problem}")
            continue
        row = index[(override.student, override.question)]
        old_score = float(out.at[row, "score"])
        old_status, old_feedback = str(out.at[row, "status"]), str(out.at[row, "feedback"])
        top = points[override.question]
        out.at[row, "score"] = round(override.score, 4)
        out.at[row, "status"] = _status(override.score, top, old_status)
        note = f"instructor: {override.note}" if override.note else "instructor: score set by hand"
        out.at[row, "feedback"] = clean_text(
            f"{old_feedback}\n{note} ({fmt(old_score)} → {fmt(override.score)} of {fmt(top)})"
            if old_feedback else f"{note} ({fmt(old_score)} → {fmt(override.score)} of {fmt(top)})")
        applied.append({"student": override.student, "question": override.question,
                        "score": round(override.score, 4), "note": override.note,
                        "old_score": old_score, "old_status": old_status, "old_feedback": old_feedback})
    meta = replace(meta, overrides_file=str(path), overrides=tuple(applied))
    return out, meta, warnings


def undo_overrides(table: pd.DataFrame, meta: ReportMeta) -> pd.DataFrame:
    """``table`` with the overrides run.json records taken off (the graded rows back)."""
    if not meta.overrides:
        return table
    out = table.copy()
    index = {(s, q): i for i, (s, q) in enumerate(zip(out["student"], out["question"]))}
    for entry in meta.overrides:
        row = index.get((str(entry.get("student")), str(entry.get("question"))))
        if row is None:
            continue
        out.at[row, "score"] = float(entry.get("old_score", out.at[row, "score"]))
        out.at[row, "status"] = str(entry.get("old_status", out.at[row, "status"]))
        out.at[row, "feedback"] = str(entry.get("old_feedback", out.at[row, "feedback"]))
    return out


def _status(score: float, top: float, old: str) -> str:
    if np.isclose(score, top):
        return CORRECT
    if score > 0:
        return PARTIAL
    return old if old in _ZERO_STATUSES else INCORRECT


__all__ = ["DEFAULT_NAME", "OVERRIDE_COLUMNS", "Override", "add_override", "apply_overrides",
           "check_override", "default_path", "read_overrides", "undo_overrides"]
