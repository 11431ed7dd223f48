"""A small class for the report tests: five students, four questions in a non-alphabetical
rubric order, one wrong-answer group spelt three ways."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from grader.reports import QuestionInfo, ReportMeta
from grader.verdict import Verdict

#: Appears in no verdict: must never reach a feedback file.
SECRET = "REFERENCE-ANSWER-sigma(x)(1-sigma(x))"

# Rubric order deliberately not alphabetical, so sorting by name would be caught.
META = ReportMeta(
    title="HW3: logistic regression",
    questions=(
        QuestionInfo("loss", 2, "expression"),
        QuestionInfo("grad", 3, "expression"),
        QuestionInfo("hess", 1, "matrix"),
        QuestionInfo("code", 4, "code"),
    ),
    seed=7,
    rubric="rubrics/hw3.yaml",
)

# Three texts that agree in meaning: one group, whatever their spelling.
SQ = "grp-f-plus-f2"


def verdicts() -> list[Verdict]:
    v = Verdict
    rows = [
        # alice: everything right
        v("alice", "loss", 2, 2, "correct", "Correct.", "-log(p)", "ok"),
        v("alice", "grad", 3, 3, "correct", "Correct.", "f(1-f)", "ok"),
        v("alice", "hess", 1, 1, "correct", "Correct.", "X^T S X", "ok"),
        v("alice", "code", 4, 4, "correct", "All 12 tests pass.", "def f(): ...", "ok"),
        # bob, carol, dave: the shared wrong group on grad
        v("bob", "loss", 2, 2, "correct", "Correct.", "-log(p)", "ok"),
        v("bob", "grad", 0, 3, "incorrect", "Sign error? Differs at x = 0.5.", "f(1+f)", SQ),
        v("bob", "hess", 0.5, 1, "partial", 'Off by a factor, "check 1/n", maybe', "X^T X", "grp-xtx",
          "dropped weights"),
        v("bob", "code", 2, 4, "partial", "6 of 12 tests pass\nfirst failure: test_shape", "def f(): ...", ""),
        v("carol", "loss", 0, 2, "incorrect", "Differs at p = 0.2.", "log(p)", "grp-log"),
        v("carol", "grad", 0, 3, "incorrect", "Sign error? Differs at x = 0.5.", "f + f^2", SQ, "sign of f"),
        v("carol", "hess", 1, 1, "correct", "Correct.", "X^T S X", "ok"),
        v("carol", "code", 0, 4, "error", "Your code raised ZeroDivisionError.", "def f(): 1/0", ""),
        v("dave", "loss", 2, 2, "correct", "Correct.", "-log(p)", "ok"),
        v("dave", "grad", 0, 3, "incorrect", "Sign error? Differs at x = 0.5.", "f(x)[1+f(x)]", SQ),
        v("dave", "hess", 0, 1, "invalid", "Could not parse: unbalanced ']'", "X^T S X]", ""),
        v("dave", "code", 0, 4, "timeout", "Time limit (5 s) exceeded.", "while True: pass", ""),
        # erin: a different wrong group on grad, missing hess
        v("erin", "loss", 2, 2, "correct", "Correct.", "-log(p)", "ok"),
        v("erin", "grad", 1.5, 3, "partial", "Half credit: missing factor.", "f", "grp-f"),
        v("erin", "hess", 0, 1, "missing", "No answer.", "", ""),
        v("erin", "code", 4, 4, "correct", "All 12 tests pass.", "def f(): ...", ""),
    ]
    return rows[::-1]  # reversed: verdict_table must sort


def read_csv(path: Path) -> pd.DataFrame:
    """A report CSV as text cells, the way docs/reports.md says to read them."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``root`` (relative path → bytes)."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path
