"""The contract every question kind fulfils.

A kind is one module under ``grader/kinds`` with one concrete subclass of ``WrittenKind`` (answered
with text or lists) or ``CodeKind`` (answered with a Python function). Like a pluggy hook spec or
the MITx grading library's ``ObjectWithSchema``, the class declares everything the rest of grader
needs, and the registry finds it by module, with no list to update:

====================  ===========================================================================
``names``             the YAML ``kind:`` values it checks (``("expression", "matrix_expression")``)
``Question``          its schema: a msgspec struct built on ``QuestionBase``/``SymbolicQuestion``
``__init__``          prepare once per batch (and once per set of drawn parameter values):
                      sample points, reference values; raise ``QuestionError`` naming the field
``check`` (written)   one answer → ``Outcome``; cheap, pure, deterministic (once per distinct text)
``calls``/``judge``   (code) the sandbox calls to make, and an ``Outcome`` from their results
``validate``          problems a rubric author should fix, beyond the schema
``describe_answer``   the reference for the author (``grader validate``), never for a student
``reference_answer``  an answer stating the reference (author-only; checked to be correct)
``reference_texts``   texts that give the key away: no feedback may contain them
``example``/``cases`` a documented example question and a table of (answer, status, fraction)
                      that the contract test runs for every registered kind
====================  ===========================================================================

Hooks the coming features build on, declared here so that every kind answers them the same way:

- ``group_tolerance``: how close two signatures must be to count as one meaning; with array
  signatures this lets wrong answers be bucketed on a grid instead of compared pairwise.
- ``self_check`` / ``from_self_check``: what a self-check bundle carries for the question without
  the key (``SelfCheckData``: plain data and float64 arrays, and a sentence for the instructor on
  what it reveals), and the object rebuilt from it, whose ``check``/``judge`` runs the same code as
  grading. A kind that cannot be exported says why in ``no_self_check``; its questions are listed
  as "not checked before the deadline".
- ``params``: the values drawn for one student's version; a kind prepares once per distinct set.
- ``reference_signature``: the signature of a correct answer, which ``grader.versions`` hashes on
  the tolerance grid to find answers that are right for another student's version.
- variants of a kind (a descent ``method``) are fields of its schema, chosen in ``__init__``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar, Iterable, Mapping

import numpy as np

from ..errors import AnswerError, QuestionError
from ..rubric import QuestionBase, Rubric
from ..tolerance import Tolerance, within
from ..verdict import CORRECT, MISSING, Outcome

__all__ = ["Case", "CodeKind", "Kind", "Outcome", "Problem", "SelfCheckData", "WrittenKind",
           "signatures_agree", "wrong_type"]

#: A problem for the rubric author: a sentence, or (field path within the question, sentence).
Problem = str | tuple[tuple, str]


@dataclass(frozen=True)
class SelfCheckData:
    """What a self-check bundle carries for one question.

    ``data`` holds plain values (dict, list, str, int, float, bool, None) and float64 numpy arrays,
    never a reference answer's text, code or plain final value; ``reveals`` tells the instructor
    what a student can learn from it (``grader bundle`` prints it).
    """

    data: Mapping[str, Any]
    reveals: str


@dataclass(frozen=True)
class Case:
    """One row of a kind's table of answers: what a student writes and what it earns."""

    answer: Any
    status: str
    fraction: float


class Kind(ABC):
    """What every question kind declares. Subclass ``WrittenKind`` or ``CodeKind``, not this."""

    names: ClassVar[tuple[str, ...]] = ()
    Question: ClassVar[type[QuestionBase]] = QuestionBase
    #: True for kinds answered by code (the pipeline runs them through the sandbox).
    runs_code: ClassVar[bool] = False
    #: A documented example question (one YAML mapping, as in docs/rubric-format.md).
    example: ClassVar[str] = ""
    #: Answers to ``example`` and what they earn; the contract test runs them.
    cases: ClassVar[tuple[Case, ...]] = ()
    #: Fields of ``example`` that hold reference text: each, broken, must give a located error.
    reference_fields: ClassVar[tuple[str, ...]] = ()
    #: Why the kind's questions cannot go into a self-check bundle ("" when they can).
    no_self_check: ClassVar[str] = ""

    def __init__(self, question: QuestionBase, rubric: Rubric,
                 params: Mapping[str, float] | None = None):
        self.question = question
        self.rubric = rubric
        self.params = dict(params or {})
        #: A kind's own memo of outcomes by what the outcome depends on (a parse tree, the numbers
        #: read), for answers that differ only in how they are written.
        self._judged: dict[Any, Any] = {}

    @classmethod
    def prepare(cls, question: QuestionBase, rubric: Rubric,
                params: Mapping[str, float] | None = None) -> "Kind":
        """The prepared question; any answer-language error in the rubric's own text becomes a
        ``QuestionError`` (located at the question when the kind did not name a field)."""
        try:
            return cls(question, rubric, params)
        except QuestionError:
            raise
        except AnswerError as err:
            raise QuestionError((), err.message) from None

    def validate(self) -> list[Problem]:
        """Problems a rubric author should fix (beyond the schema)."""
        return []

    def describe_answer(self) -> str:
        """The reference in a form for the rubric author (``grader validate``), never a student."""
        return ""

    def reference_answer(self) -> Any:
        """An answer that states the reference, as a student would submit it (None when the
        kind has no closed form to give, e.g. a gradient known only numerically). Author-only:
        the contract test checks that it is marked correct."""
        return None

    def reference_texts(self) -> list[str]:
        """Texts that give the key away; no feedback may contain one (unless the student wrote
        it). The contract test and the leak tests read this."""
        answer = self.reference_answer()
        return [str(answer)] if isinstance(answer, (str, int, float)) else []

    def self_check(self, mode: str = "full") -> SelfCheckData:
        """What a self-check bundle carries for this question, prepared at the bundle's seed
        (never the key). ``mode`` is the question's ``self_check``: ``full``, or ``verdict``
        (right or not, no feedback: leave out what only feedback needs)."""
        raise NotImplementedError(self.no_self_check or
                                  f"{type(self).__name__} cannot be exported for self-checking")

    @classmethod
    def from_self_check(cls, question: QuestionBase, data: Mapping[str, Any]) -> "Kind":
        """The question rebuilt from a bundle: ``question`` holds its public fields (id, kind,
        points, prompt), ``data`` what ``self_check`` exported. Only ``check`` (or ``calls`` and
        ``judge``) is used on the result."""
        raise NotImplementedError(cls.no_self_check or
                                  f"{cls.__name__} cannot be rebuilt from a self-check bundle")

    @classmethod
    def _rebuilt(cls, question: QuestionBase) -> "Kind":
        """An instance that skips ``__init__`` (the reference side comes from a bundle)."""
        kind = cls.__new__(cls)
        Kind.__init__(kind, question, None)  # type: ignore[arg-type]
        return kind

    @staticmethod
    def read_field(field: tuple, read, *args):
        """``read(*args)``, with an AnswerError from the rubric's own text located at ``field``."""
        try:
            return read(*args)
        except AnswerError as err:
            raise QuestionError(field, err.message) from None


class WrittenKind(Kind):
    """A kind answered with text (or a list of texts) in the answers file."""

    @abstractmethod
    def check(self, answer: Any) -> Outcome:
        """One answer's outcome; cheap, pure and deterministic (it runs once per distinct text)."""

    def group_tolerance(self) -> Tolerance:
        """How close two answers' array signatures must be to count as one meaning."""
        tolerance = getattr(self.question, "tolerance", None)
        return tolerance if isinstance(tolerance, Tolerance) else Tolerance()

    def reference_signature(self) -> Any:
        """The ``Outcome.signature`` a correct answer has (None when unknown): versions hash it
        to find answers that are right for another student's version."""
        answer = self.reference_answer()
        if answer is None:
            return None
        outcome = self.check(answer)
        return outcome.signature if outcome.status == CORRECT else None

    def same_meaning(self, a: Any, b: Any) -> bool:
        """Whether two answers' signatures agree, for grouping wrong answers (``b`` is the
        earlier group's representative)."""
        tol = self.group_tolerance()
        return signatures_agree(a, b, tol.rtol, tol.atol)


class CodeKind(Kind):
    """A kind answered with a Python function that the sandbox runs."""

    runs_code = True

    @abstractmethod
    def calls(self) -> list[Any]:
        """The sandbox calls (``coderun.sandbox.Call``) this question makes of the student's code."""

    def planned_calls(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The same calls as (function name, arguments), for a runner other than the sandbox
        (self-check on a student's machine)."""
        raise NotImplementedError(f"{type(self).__name__} does not list its calls")

    @abstractmethod
    def judge(self, results: Iterable[Any]) -> Outcome:
        """The outcome from the sandbox's results for this question's calls, in order."""

    def check(self, answer: Any) -> Outcome:
        """A written answer to a code question is not read."""
        return Outcome(MISSING, 0.0, "this question is answered with code")


def signatures_agree(a: Any, b: Any, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Arrays agree entry by entry within the tolerance (nan matches nan); anything else by ==."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape:
            return False
        with np.errstate(all="ignore"):
            close = within(a, b, rtol, atol)
        return bool(np.all(close | (np.isnan(a) & np.isnan(b))))
    return type(a) is type(b) and a == b


def wrong_type(answer: Any, expected: str) -> Outcome:
    return Outcome.invalid(f"expected {expected}, got {type(answer).__name__}")
