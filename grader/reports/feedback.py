"""feedback/<student>.md: what each student reads (only what the table holds: never a reference)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from grader.reports.meta import ReportMeta
from grader.reports.numbers import fmt, fmt_array
from grader.verdict import CORRECT, PARTIAL

_MARKS = {CORRECT: "✓", PARTIAL: "~"}  # anything else gets ✗
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}


def safe_names(students: Iterable[str]) -> dict[str, str]:
    """File-name stem per student id: ASCII-safe, unique even on case-insensitive file systems.

    Ids that had to be altered (or collide ignoring case) get a short hash of the original id
    appended, so two different ids never share a file and the name stays recognisable.
    """
    def digest(s: str) -> str:
        return hashlib.sha1(s.encode("utf-8")).hexdigest()[:8]

    names: dict[str, str] = {}
    for s in students:
        base = _UNSAFE_CHARS.sub("_", s)[:80]
        if base.startswith("."):
            base = "_" + base[1:]
        if base != s or not base or base.split(".")[0].lower() in _WINDOWS_RESERVED:
            base = f"{base}-{digest(s)}"
        names[s] = base
    by_lower: dict[str, list[str]] = {}
    for s, n in names.items():
        by_lower.setdefault(n.lower(), []).append(s)
    for group in by_lower.values():
        if len(group) > 1:
            for s in group:
                names[s] = f"{names[s]}-{digest(s)}"
    return names


def feedback_files(table: pd.DataFrame, grades: pd.DataFrame, meta: ReportMeta,
                    score_s: list[str] | None = None, max_s: list[str] | None = None) -> dict[str, str]:
    """Markdown feedback per student id (only what the table holds: never a reference)."""
    n = len(table)
    if n == 0:
        return {}
    student = table["student"].to_numpy(dtype=object)
    score_s = fmt_array(table["score"]) if score_s is None else score_s
    max_s = fmt_array(table["max_score"]) if max_s is None else max_s
    lines = [
        f"## {_MARKS.get(st, '✗')} {q} — {sc} / {mx} ({st})\n\n" + (f"{fb}\n\n" if fb else "")
        for q, sc, mx, st, fb in zip(
            table["question"].tolist(), score_s, max_s, table["status"].tolist(), table["feedback"].tolist()
        )
    ]
    # Table rows are sorted by student, so each student's lines are one contiguous slice.
    starts = np.flatnonzero(np.r_[True, student[1:] != student[:-1]])
    ends = np.r_[starts[1:], n]
    g = grades.set_index("student")
    totals = dict(zip(g.index, fmt_array(g["total"])))
    pcts = dict(zip(g.index, fmt_array(g["percent"])))
    max_total = fmt(float(grades["max_total"].iloc[0])) if len(grades) else "0"
    title = meta.title or "Feedback"
    out: dict[str, str] = {}
    for a, b in zip(starts.tolist(), ends.tolist()):
        s = student[a]
        pct = f" ({pcts[s]}%)" if pcts[s] else ""
        out[s] = (
            f"# {title} — {s}\n\n" + "".join(lines[a:b])
            + f"**Total: {totals[s]} / {max_total}{pct}**\n"
        )
    return out
