"""Late work: each student's days late and penalty, from the rubric's ``due:`` and ``late:``
policy (kept in run.json), their submission time (students.csv) and their extension (the
roster's ``extension_hours``).

- Days late count started days after the due time (plus the extension): 1 minute late is 1 day,
  24 h 1 min is 2. Within ``grace`` of the due time nothing is late.
- ``per_day``: the penalty is ``per_day × days`` (at most 1); later than ``max_days``: 1.
  ``table``: the penalty of the first row whose ``days`` is at least the days late; later than
  the last row: 1.
- The penalty is a fraction of the student's total: ``total_after_penalty = total × (1 −
  penalty)``.
- No time known: not late (``late_days`` empty, penalty 0). The LMS said "late" without a time
  (Canvas's ``LATE``): ``late_days`` empty, penalty 0, listed in a warning: no automatic penalty.
"""

from __future__ import annotations

import csv
import io
import math
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grader.times import TimeError, parse_duration, parse_time

LATE_COLUMNS: tuple[str, ...] = ("late_days", "penalty", "total_after_penalty")


def penalty_for(days: int, policy: dict[str, Any]) -> float:
    """The fraction of the total lost ``days`` started days late."""
    if days <= 0:
        return 0.0
    if "table" in policy:
        for step in policy["table"]:
            if days <= float(step["days"]):
                return float(step["penalty"])
        return 1.0
    max_days = policy.get("max_days")
    if max_days is not None and days > float(max_days):
        return 1.0
    return min(1.0, float(policy.get("per_day", 0.0)) * days)


def days_late(submitted: datetime, due: datetime, grace: timedelta, extension: timedelta) -> int:
    """Started days after ``due + extension``; 0 within the grace period."""
    lateness = submitted - (due + extension)
    if lateness <= grace or lateness <= timedelta(0):
        return 0
    return math.ceil(lateness / timedelta(days=1))


def late_table(students: pd.DataFrame, meta_due: str, policy: dict[str, Any] | None,
               roster: pd.DataFrame | None, everyone: list[str]) -> tuple[pd.DataFrame, list[str]]:
    """``student, late_days, penalty`` for each of ``everyone`` (late_days NaN when unknown),
    and warnings (students marked late without a time, extensions that cannot be read)."""
    due = parse_time(meta_due)
    policy = policy or {"per_day": 0.0}
    grace = parse_duration(policy.get("grace", "0"))
    facts = students.set_index("student") if len(students) else pd.DataFrame()
    extensions, warnings = _extensions(roster)
    days = np.full(len(everyone), np.nan)
    penalty = np.zeros(len(everyone))
    unknown_late: list[str] = []
    for i, student in enumerate(everyone):
        row = facts.loc[student] if student in facts.index else None
        when = str(row["submitted_at"]) if row is not None else ""
        if when:
            try:
                n = days_late(parse_time(when), due, grace, extensions.get(student, timedelta(0)))
            except TimeError as err:
                warnings.append(f"{student}: submission time not read ({err})")
                continue
            days[i] = n
            penalty[i] = penalty_for(n, policy)
        elif row is not None and str(row.get("marked_late", "")) == "yes":
            unknown_late.append(student)
    if unknown_late:
        warnings.append(f"{len(unknown_late)} submission(s) marked late by the LMS with no time "
                        f"(no automatic penalty; give times with --times): {', '.join(unknown_late[:20])}")
    return pd.DataFrame({"student": everyone, "late_days": days, "penalty": penalty}), warnings


def _extensions(roster: pd.DataFrame | None) -> tuple[dict[str, timedelta], list[str]]:
    """Per-student extensions from the roster's ``extension_hours`` column."""
    if roster is None or "extension_hours" not in roster:
        return {}, []
    out: dict[str, timedelta] = {}
    bad: list[str] = []
    for student, hours in zip(roster["student"].astype(str), roster["extension_hours"].astype(str)):
        hours = hours.strip()
        if not hours:
            continue
        try:
            value = float(hours)
            if not math.isfinite(value) or value < 0:
                raise ValueError
        except ValueError:
            bad.append(f"{student} ({hours!r})")
            continue
        out[student] = timedelta(hours=value)
    warnings = [f"roster: extension_hours not a number of hours, ignored for {', '.join(bad)}"] if bad else []
    return out, warnings


def read_times(path: Path) -> tuple[dict[str, str], list[str]]:
    """``--times times.csv``: ``student, submitted_at`` (ISO 8601 with a zone) → {student: ISO
    text}; ValueError naming the line for a time that cannot be read."""
    path = Path(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValueError(f"{path.name}: not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip().lower() for h in next(reader, [])]
    if "student" not in header or "submitted_at" not in header:
        raise ValueError(f"{path.name}:1: expected the columns student,submitted_at; found "
                         f"{','.join(header) or 'nothing'}")
    at_student, at_time = header.index("student"), header.index("submitted_at")
    times: dict[str, str] = {}
    warnings: list[str] = []
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        student = row[at_student].strip() if at_student < len(row) else ""
        when = row[at_time].strip() if at_time < len(row) else ""
        if not student:
            raise ValueError(f"{path.name}:{line}: empty student")
        if not when:
            continue  # no submission: nothing to mark
        if student in times:
            warnings.append(f"{path.name}:{line}: {student} listed twice; the last time is used")
        try:
            times[student] = parse_time(when).isoformat()
        except TimeError as err:
            raise ValueError(f"{path.name}:{line}: {err}") from None
    return times, warnings


__all__ = ["LATE_COLUMNS", "days_late", "late_table", "penalty_for", "read_times"]
