"""What every checker provides: prepare once per batch, then check many answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from ..rubric import QuestionBase, Rubric
from ..verdict import CORRECT, INCORRECT, INVALID, PARTIAL


@dataclass(frozen=True)
class Outcome:
    """A checker's judgement of one answer, before it is tied to a student.

    ``signature`` holds the answer's values at the question's sample points; answers whose
    signatures agree (``Checker.same_meaning``) form one group in the wrong-answer report.
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


class Checker:
    """Base class. A subclass sets ``kinds`` and ``Question`` (its schema, a msgspec struct).

    ``__init__`` does the per-batch work (sample points, reference values); ``check`` must be
    cheap, pure and deterministic, because it runs once per distinct answer.
    """

    kinds: ClassVar[tuple[str, ...]] = ()
    Question: ClassVar[type[QuestionBase]] = QuestionBase
    #: True for kinds answered by code (the grader runs them through the sandbox).
    runs_code: ClassVar[bool] = False

    def __init__(self, question: QuestionBase, rubric: Rubric):
        self.question = question
        self.rubric = rubric

    def check(self, answer: Any) -> Outcome:  # pragma: no cover - every kind overrides it
        raise NotImplementedError

    def validate(self) -> list[str | tuple[tuple, str]]:
        """Problems a rubric author should fix (beyond the schema): sentences, or (field path
        within the question, sentence) so the report can name the line."""
        return []

    def same_meaning(self, a: Any, b: Any) -> bool:
        """Whether two answers' signatures agree, for grouping wrong answers."""
        return signatures_agree(a, b)

    def describe_answer(self) -> str:
        """The reference in a form for the rubric author (``grader validate``), never a student."""
        return ""


def signatures_agree(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Arrays agree entry by entry within the tolerance (nan matches nan); anything else by ==."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
            return False
        with np.errstate(all="ignore"):
            close = np.abs(a - b) <= atol + rtol * np.abs(b)
        return bool(np.all(close | (np.isnan(a) & np.isnan(b))))
    return type(a) is type(b) and a == b


def wrong_type(answer: Any, expected: str) -> Outcome:
    return Outcome.invalid(f"expected {expected}, got {type(answer).__name__}")


INCORRECT_STATUSES = (INCORRECT, PARTIAL)
