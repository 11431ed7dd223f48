"""The result of checking one answer: the unit every report is built from."""

from __future__ import annotations

from dataclasses import dataclass

#: Verdict statuses, the same words everywhere (CSV, JSON, terminal, feedback files).
CORRECT = "correct"
PARTIAL = "partial"
INCORRECT = "incorrect"
MISSING = "missing"
INVALID = "invalid"
ERROR = "error"
TIMEOUT = "timeout"
STATUSES: tuple[str, ...] = (CORRECT, PARTIAL, INCORRECT, MISSING, INVALID, ERROR, TIMEOUT)


@dataclass(frozen=True, slots=True)
class Verdict:
    """One student's mark on one question.

    ``answer`` is the student's text as submitted (for grouping wrong answers); ``group`` is a key
    that is equal for answers that agree at the question's sample points; ``mistake`` names the
    rubric ``mistakes`` entry the answer matched, if any. None of them ever holds a reference.
    """

    student: str
    question: str
    score: float
    max_score: float
    status: str
    feedback: str = ""
    answer: str = ""
    group: str = ""
    mistake: str = ""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown verdict status {self.status!r}")
