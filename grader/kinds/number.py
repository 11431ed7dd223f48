"""Kind ``number``: an expression that evaluates to a number (``87.5``, ``175/2``,
``\\frac{175}{2}``), compared with the reference within the question's tolerance."""

from __future__ import annotations

import math
from typing import Any

from ..answers import AnswerError
from ..rubric import QuestionBase, Rubric, default
from ..tolerance import Tolerance, within
from .base import Case, Outcome, WrittenKind, signatures_agree, wrong_type
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

    def check(self, answer: Any) -> Outcome:
        if isinstance(answer, (list, dict)):
            return wrong_type(answer, "a number")
        try:
            value = number_value(answer)
        except AnswerError as err:
            return Outcome.invalid(str(err))
        if not math.isfinite(value):
            return Outcome.incorrect("your answer is not a finite number", value)
        if close(value, self.reference, self.tol):
            return Outcome.correct(signature=value)
        return Outcome.incorrect("not the right value", value)

    def same_meaning(self, a: Any, b: Any) -> bool:
        if isinstance(a, float) and isinstance(b, float):
            return close(a, b, self.tol) or (math.isnan(a) and math.isnan(b))
        return signatures_agree(a, b)

    def validate(self) -> list[str]:
        return [] if math.isfinite(self.reference) else ["the answer is not a finite number"]

    def describe_answer(self) -> str:
        return repr(self.reference)

    def reference_answer(self) -> str:
        return repr(self.reference)
