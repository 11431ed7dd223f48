"""The result of checking one answer: the unit every report is built from."""

from __future__ import annotations

from dataclasses import dataclass
from collections.abc import Iterable, Sequence
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

class VerdictColumns(Sequence):
    """Many verdicts held as one list per field (the table's columns), not one object each: a
    class of 30,000 × 17 questions is half a million verdicts, and the report needs columns.
    Reads as a sequence of ``Verdict`` (each made on demand)."""

    FIELDS: tuple[str, ...] = ("student", "question", "score", "max_score", "status", "feedback",
                               "answer", "group", "mistake")

    __slots__ = ("columns",)

    def __init__(self, verdicts: Iterable[Verdict] = ()) -> None:
        self.columns: dict[str, list[Any]] = {name: [] for name in self.FIELDS}
        self.extend(verdicts)

    def add(self, student: str, question: str, score: float, max_score: float, status: str,
            feedback: str, answer: str, group: str, mistake: str) -> None:
        """One verdict, by fields (the caller vouches for ``status``)."""
        c = self.columns
        c["student"].append(student)
        c["question"].append(question)
        c["score"].append(score)
        c["max_score"].append(max_score)
        c["status"].append(status)
        c["feedback"].append(feedback)
        c["answer"].append(answer)
        c["group"].append(group)
        c["mistake"].append(mistake)

    def extend(self, verdicts: Iterable[Verdict]) -> None:
        for v in verdicts:
            self.add(v.student, v.question, v.score, v.max_score, v.status, v.feedback or "",
                     v.answer or "", v.group or "", v.mistake or "")

    def __len__(self) -> int:
        return len(self.columns["student"])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, VerdictColumns):
            return self.columns == other.columns
        if isinstance(other, (list, tuple)):
            return list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable, like a list

    def __repr__(self) -> str:
        return f"VerdictColumns({list(self)!r})"

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return Verdict(*(self.columns[name][index] for name in self.FIELDS))


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
