"""The result of checking one answer: the unit every report is built from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

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

#: Statuses of an answer that was read and judged wrong (fully or in part): these are grouped by
#: meaning in the wrong-answer report.
WRONG_STATUSES: tuple[str, ...] = (INCORRECT, PARTIAL)
#: The mark shown beside a question in terminals and feedback files; anything else gets ✗.
MARKS = {CORRECT: "✓", PARTIAL: "~"}


def mark(status: str) -> str:
    """✓, ~ or ✗ for a status."""
    return MARKS.get(status, "✗")


@dataclass(frozen=True)
class Outcome:
    """A kind's judgement of one answer, before it is tied to a student.

    ``signature`` holds the answer's values at the question's sample points (or another value
    that is equal for answers of the same meaning); answers whose signatures agree form one group
    in the wrong-answer report. ``mistake`` labels the rubric's listed mistake it matched.
    """

    status: str
    fraction: float = 0.0
    feedback: str = ""
    mistake: str = ""
    signature: Any = None

    @classmethod
    def correct(cls, feedback: str = "correct", signature: Any = None) -> "Outcome":
        return cls(CORRECT, 1.0, feedback, signature=signature)

    @classmethod
    def incorrect(cls, feedback: str, signature: Any = None) -> "Outcome":
        return cls(INCORRECT, 0.0, feedback, signature=signature)

    @classmethod
    def invalid(cls, feedback: str) -> "Outcome":
        return cls(INVALID, 0.0, feedback)

    @classmethod
    def partial(cls, fraction: float, feedback: str, signature: Any = None,
                mistake: str = "") -> "Outcome":
        status = PARTIAL if 0 < fraction < 1 else (CORRECT if fraction >= 1 else INCORRECT)
        return cls(status, fraction, feedback, mistake, signature)
