"""Kind ``number``: an expression that evaluates to a number (``87.5``, ``175/2``,
``\\frac{175}{2}``), compared with the reference within the question's tolerance."""

from __future__ import annotations

import math
from typing import Any, Mapping

import msgspec

from ..answers import AnswerError
from ..rubric import QuestionBase, Rubric, default
from ..tolerance import Tolerance, within
from .base import Case, Outcome, SelfCheckData, WrittenKind, signatures_agree, wrong_type
from .support import grid
from .support.numbers import number_value


def close(value: float, reference: float, tol: Tolerance) -> bool:
    return bool(within(value, reference, tol.rtol, tol.atol))


class NumberQuestion(QuestionBase, kw_only=True):
    answer: str | float
    tolerance: Tolerance = default(Tolerance)


class NumberKind(WrittenKind):
    names = ("number",)
    Question = NumberQuestion
    example = """
    id: q.value
    kind: number
    points: 2
    prompt: "w2 after two steps"
    answer: "175/2"
    tolerance: {rtol: 1.0e-4}
    """
    reference_fields = ("answer",)
    cases = (Case("87.5", "correct", 1.0), Case(r"\frac{175}{2}", "correct", 1.0),
             Case("87.50001", "correct", 1.0), Case("88", "incorrect", 0.0),
             Case("eighty", "invalid", 0.0))

    def __init__(self, question: NumberQuestion, rubric: Rubric, params=None):
        super().__init__(question, rubric, params)
        self.reference = self.read_field(("answer",), number_value, question.answer)
        self.tol = question.tolerance
        #: What an answer's value is compared with: the reference here, hashes in a bundle.
        self.key: grid.PlainValue | grid.HashedValue = grid.PlainValue(self.reference, self.tol)

    def check(self, answer: Any) -> Outcome:
        if isinstance(answer, (list, dict)):
            return wrong_type(answer, "a number")
        try:
            value = number_value(answer)
        except AnswerError as err:
            return Outcome.invalid(str(err))
        if not math.isfinite(value):
            return Outcome.incorrect("your answer is not a finite number", value)
        if self.key.matches(value):
            return Outcome.correct(signature=value)
        return Outcome.incorrect("not the right value", value)

    def reference_signature(self) -> float:
        return float(self.reference)

    def same_meaning(self, a: Any, b: Any) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return close(a, b, self.tol) or (math.isnan(a) and math.isnan(b))
        return signatures_agree(a, b)

    def self_check(self, mode: str = "full") -> SelfCheckData:
        """The tolerance and salted hashes of the reference's cells on the tolerance grid."""
        if not grid.hashable(self.tol) or not math.isfinite(self.reference):
            raise NotImplementedError(f"a tolerance with rtol >= {grid.MAX_RTOL} cannot be hashed")
        salt = grid.question_salt(self.rubric.seed, self.question.id)
        hashes = grid.value_hashes(salt, "value", self.reference, self.tol)
        data = {"tolerance": msgspec.to_builtins(self.tol), "salt": salt, "hashes": hashes}
        return SelfCheckData(data, "salted hashes of the value on the tolerance grid (a value "
                                   "up to about twice the tolerance away is accepted)")

    @classmethod
    def from_self_check(cls, question: QuestionBase, data: Mapping[str, Any]) -> "NumberKind":
        kind = cls._rebuilt(question)
        kind.tol = msgspec.convert(data["tolerance"], Tolerance)
        kind.key = grid.HashedValue(data["salt"], data["hashes"], kind.tol, "value")
        return kind

    def validate(self) -> list[str]:
        return [] if math.isfinite(self.reference) else ["the answer is not a finite number"]

    def describe_answer(self) -> str:
        return repr(self.reference)

    def reference_answer(self) -> str:
        return repr(self.reference)
