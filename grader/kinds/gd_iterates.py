"""Kind ``gd_iterates``: gradient-descent iterates by hand, marked with follow-through.

Step k is right when it is one exact gradient step from the student's own step k−1 (from the start
for k = 1), so one slip costs one step. Feedback names the first wrong step in words and never
shows an expected value.
"""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from msgspec import Meta

from ..answers import AnswerError
from ..rubric import NAME, QuestionBase, Rubric, default
from ..tolerance import Tolerance, within_all
from .base import Case, Outcome, WrittenKind
from .support.descent import Descent, LossSpec, describe_number
from .support.numbers import number_value


class IteratesQuestion(QuestionBase, kw_only=True):
    loss: str
    variable: NAME
    alpha: float | str
    steps: Annotated[int, Meta(ge=1, le=100)]
    params: dict[str, Any] = default(dict)
    start: Any = 0
    follow_through: bool = True
    tolerance: Tolerance = default(lambda: Tolerance(rtol=1.0e-4, atol=1.0e-6))


class IteratesKind(WrittenKind):
    names = ("gd_iterates",)
    Question = IteratesQuestion
    example = """
    id: q.iterates
    kind: gd_iterates
    points: 3
    prompt: "L(w) = (2w - 100)^2 / 2, w0 = 0, α = 0.1: give w1, w2, w3."
    loss: "(w x - y)^2 / 2"
    variable: w
    params: {x: 2, y: 100}
    alpha: 0.1
    start: 0
    steps: 3
    """
    reference_fields = ("loss", "alpha")
    cases = (Case(["20", "32", "39.2"], "correct", 1.0), Case("20, 32, 39.2", "correct", 1.0),
             Case(["20", "30", "38"], "partial", 2 / 3), Case(["20", "32"], "partial", 2 / 3),
             Case(["-20", "-32", "-39.2"], "incorrect", 0.0), Case({"w1": "20"}, "invalid", 0.0))

    def __init__(self, question: IteratesQuestion, rubric: Rubric, params=None):
        super().__init__(question, rubric, params)
        q = question
        spec = LossSpec(loss=q.loss, variable=q.variable, params=q.params)
        self.descent = Descent(spec, q.start)
        self.start = self.descent.point(q.start, ("start",))
        self.alpha = self.read_field(("alpha",), number_value, q.alpha)
        self.truth = self.descent.iterates(self.start, self.alpha, q.steps)
        self.tol = q.tolerance
        self.name = q.variable

    # -- reading -------------------------------------------------------------------------------
    def entries(self, answer: Any) -> list[Any]:
        if isinstance(answer, str):
            # "50, 75, 87.5" in one string: split at top-level commas or semicolons.
            return [part for part in _split_top_level(answer) if part.strip()]
        if isinstance(answer, list):
            return answer
        raise AnswerError(f"expected a list of {self.question.steps} values")

    def value(self, entry: Any) -> np.ndarray:
        if self.descent.is_scalar:
            if isinstance(entry, list):
                raise AnswerError("each iterate is one number")
            return np.array(number_value(entry))
        if isinstance(entry, str):
            entry = _split_top_level(entry.strip().strip("[]()"))
        if not isinstance(entry, list) or len(entry) != self.descent.shape[0]:
            raise AnswerError(f"each iterate is a list of {self.descent.shape[0]} numbers")
        return np.array([[number_value(v)] for v in entry])

    # -- checking ------------------------------------------------------------------------------
    def check(self, answer: Any) -> Outcome:
        steps = self.question.steps
        try:
            entries = self.entries(answer)
        except AnswerError as err:
            return Outcome.invalid(err.message)
        if not entries:
            return Outcome.invalid(f"expected a list of {steps} values")
        values: list[np.ndarray | None] = []
        problems: dict[int, str] = {}
        for index, entry in enumerate(entries[: steps + 1]):
            try:
                value = self.value(entry)
                if not np.all(np.isfinite(value)):
                    raise AnswerError("not a finite number")
                values.append(value)
            except AnswerError as err:
                values.append(None)
                problems[index] = err.message.splitlines()[0]
        notes = []
        if self.looks_like_start_included(values):
            values, problems = values[1:], {k - 1: v for k, v in problems.items() if k}
            notes.append(f"your first value looks like {self.name}0, the start; "
                         f"it was read as {self.name}0 and the rest as {self.name}1 onwards")
        marks = self.mark(values[:steps])
        correct = sum(marks)
        given = len(entries) - (1 if notes else 0)
        if given > steps:
            notes.append(f"you gave {given} values; only {self.name}1 .. {self.name}{steps} are marked")
        elif given == steps - 1:
            notes.append(f"{self.name}{steps} is missing")
        elif given < steps:
            notes.append(f"{self.name}{given + 1} .. {self.name}{steps} are missing")
        first_wrong = next((k for k, ok in enumerate(marks) if not ok), None)
        if first_wrong is not None and first_wrong < len(values):
            notes.insert(0, self.explain(first_wrong, values, problems))
        fraction = correct / steps
        signature = _signature(values[:steps])
        feedback = "; ".join(notes) if notes else "correct"
        if correct == steps and not notes:
            return Outcome.correct(signature=signature)
        if correct == steps:
            return Outcome.correct(feedback, signature)
        return Outcome.partial(fraction, feedback, signature)

    def looks_like_start_included(self, values: list[np.ndarray | None]) -> bool:
        steps = self.question.steps
        if len(values) != steps + 1 or values[0] is None:
            return False
        if not self.close(values[0], self.start) or self.close(self.truth[0], self.start):
            return False
        return sum(self.mark(values[1:])) > sum(self.mark(values[:steps]))

    def close(self, value: np.ndarray, expected: np.ndarray) -> bool:
        return within_all(value, expected, self.tol.rtol, self.tol.atol)

    def mark(self, values: list[np.ndarray | None]) -> list[bool]:
        """Per step: right or wrong (missing steps count as wrong)."""
        marks = []
        for k in range(self.question.steps):
            if k >= len(values) or values[k] is None:
                marks.append(False)
                continue
            marks.append(self.close(values[k], self.expected(k, values)))
        return marks

    def expected(self, k: int, values: list[np.ndarray | None]) -> np.ndarray:
        """The value step k must have: one step from the student's previous value (follow-through)
        or the true k-th iterate. After an unreadable step, follow-through uses the true iterate."""
        if not self.question.follow_through:
            return self.truth[k]
        previous = self.start if k == 0 else values[k - 1]
        if previous is None:
            return self.truth[k]
        return self.descent.steps(previous[None, ...], self.alpha)[0]

    def explain(self, k: int, values: list[np.ndarray | None], problems: dict[int, str]) -> str:
        name = f"{self.name}{k + 1}"
        if values[k] is None:
            return f"{name}: {problems.get(k, 'cannot read this value')}"
        if not self.question.follow_through:
            return f"{name} is not right"
        if k == 0:
            return f"{name} does not follow from the start {self.name}0 = {_show(self.start)}"
        if values[k - 1] is None:
            return f"{name} is not right"
        return f"{name} does not follow from your {self.name}{k} = {_show(values[k - 1])}"

    def validate(self) -> list[str]:
        if not np.all(np.isfinite(self.truth)):
            return ["the iterates overflow: use fewer steps or a smaller step size"]
        return []

    def describe_answer(self) -> str:
        return ", ".join(_show(v) for v in self.truth)

    def reference_answer(self) -> list[str]:
        return [_show(v) for v in self.truth]

    def reference_texts(self) -> list[str]:
        # The first iterate is stated by the question itself only when it equals the start.
        return [_show(v) for v in self.truth if not self.close(v, self.start)]


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, ""
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch in ",;" and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += ch
    parts.append(current)
    return [p.strip() for p in parts]


def _show(value: np.ndarray) -> str:
    if value.ndim == 0:
        return describe_number(float(value))
    return "[" + ", ".join(describe_number(float(v)) for v in value.reshape(-1)) + "]"


def _signature(values: list[np.ndarray | None]) -> np.ndarray:
    return np.concatenate([np.full(1, np.nan) if v is None else v.reshape(-1) for v in values]) \
        if values else np.zeros(0)


__all__ = ["IteratesKind", "IteratesQuestion"]
