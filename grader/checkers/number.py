"""Kind ``number``: an expression that evaluates to a number (``87.5``, ``175/2``,
``\\frac{175}{2}``), compared with the reference within the question's tolerance."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ..answers import AnswerError, Namespace, evaluate, read
from ..rubric import QuestionBase, Rubric, Tolerance, default
from .base import Checker, Outcome, signatures_agree, wrong_type

_NO_NAMES = Namespace()


def number_value(text: Any, ns: Namespace = _NO_NAMES, params: dict[str, float] | None = None) -> float:
    """The value of a numeric answer; AnswerError when it is not a single number."""
    expression = read(str(text), ns)
    if not expression.is_scalar:
        raise AnswerError("expected a single number")
    env = {k: np.array([v]) for k, v in (params or {}).items()}
    with np.errstate(all="ignore"):
        return float(evaluate(expression.tree, ns, env, {}, 1)[0])


def close(value: float, reference: float, tol: Tolerance) -> bool:
    return abs(value - reference) <= tol.atol + tol.rtol * abs(reference)


class NumberQuestion(QuestionBase, kw_only=True):
    answer: str | float
    tolerance: Tolerance = default(Tolerance)


class NumberChecker(Checker):
    kinds = ("number",)
    Question = NumberQuestion

    def __init__(self, question: NumberQuestion, rubric: Rubric):
        super().__init__(question, rubric)
        self.reference = number_value(question.answer)
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
