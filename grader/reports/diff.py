"""``grader diff``: which students' scores changed between two runs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from grader.reports.csvfiles import csv_bytes, strs
from grader.reports.meta import ReportMeta
from grader.reports.numbers import fmt_array, round4
from grader.reports.outdir import read_details

DIFF_COLUMNS: tuple[str, ...] = (
    "student", "question", "old_score", "new_score", "delta", "old_status", "new_status", "change",
    "override",
)
#: Question label of the per-student total rows in ``diff_outdirs`` (parentheses keep it apart
#: from any plausible question id).
TOTAL_LABEL = "(total)"


def diff_outdirs(old: Path, new: Path) -> pd.DataFrame:
    """Rows of details.csv whose score or status changed between two runs, plus total rows.

    ``change`` is ``score``, ``status``, ``score+status``, ``added`` or ``removed`` (a row only in
    the new / old run: students added or removed show up with all their rows). ``override``
    names a change made by hand: the new run's override note (``set by hand`` without one), or
    ``override removed`` when only the old run had one. Every student with a change also gets a
    ``(total)`` row (change ``total``). Sorted by student, then question order (the new run's
    rubric first), total last.
    """
    a, b = read_details(Path(old)), read_details(Path(new))
    metas = [Path(p) / "run.json" for p in (new, old)]
    order: list[str] = []
    hand: list[dict[tuple[str, str], str]] = []
    for mp in metas:
        meta = ReportMeta.from_json(mp.read_text(encoding="utf-8")) if mp.is_file() else None
        hand.append({(str(o.get("student")), str(o.get("question"))): str(o.get("note") or "set by hand")
                     for o in (meta.overrides if meta else ())})
        if meta is not None:
            order += [q for q in meta.question_ids if q not in order]
    for q in list(b["question"]) + list(a["question"]):
        if q not in order:
            order.append(q)
    keys = ["student", "question"]
    m = a[keys + ["score", "status"]].merge(
        b[keys + ["score", "status"]], on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
    os_, ns_ = m["score_old"].to_numpy(float), m["score_new"].to_numpy(float)
    score_changed = ~((os_ == ns_) | (np.isnan(os_) & np.isnan(ns_)) | (np.abs(os_ - ns_) < 1e-9))
    status_changed = m["status_old"].fillna("").to_numpy() != m["status_new"].fillna("").to_numpy()
    change = np.select(
        [m["_merge"].eq("right_only").to_numpy(), m["_merge"].eq("left_only").to_numpy(),
         score_changed & status_changed, score_changed, status_changed],
        ["added", "removed", "score+status", "score", "status"], default="")
    out = pd.DataFrame({
        "student": m["student"], "question": m["question"], "old_score": os_, "new_score": ns_,
        "delta": round4(ns_ - os_), "old_status": m["status_old"].fillna(""),
        "new_status": m["status_new"].fillna(""), "change": change,
        "override": [hand[0].get(key, "override removed" if key in hand[1] else "")
                     for key in zip(m["student"], m["question"])],
    })
    out = out.loc[out["change"] != ""]
    if len(out):
        changed = out["student"].unique()
        tot_old = a.groupby("student")["score"].sum().reindex(changed)
        tot_new = b.groupby("student")["score"].sum().reindex(changed)
        totals = pd.DataFrame({
            "student": changed, "question": TOTAL_LABEL, "old_score": round4(tot_old.to_numpy()),
            "new_score": round4(tot_new.to_numpy()), "delta": round4(tot_new.to_numpy() - tot_old.to_numpy()),
            "old_status": "", "new_status": "", "change": "total", "override": "",
        })
        out = pd.concat([out, totals], ignore_index=True)
    pos = {q: i for i, q in enumerate(order)}
    out = out.assign(_q=out["question"].map(pos).fillna(len(order)))
    out = out.sort_values(["student", "_q"], kind="stable").drop(columns="_q")
    return out[list(DIFF_COLUMNS)].reset_index(drop=True)


def diff_csv(changes: pd.DataFrame) -> str:
    """``diff_outdirs``'s table as CSV text (what ``grader diff --csv`` prints): numbers in the
    report files' format, every cell spreadsheet-safe."""
    columns = [strs(changes[c]) if c not in ("old_score", "new_score", "delta") else fmt_array(changes[c])
               for c in DIFF_COLUMNS]
    return csv_bytes(DIFF_COLUMNS, columns).decode("utf-8")
