"""Kind ``interval``: a set of values of one variable, typically the step sizes for which gradient
descent converges. Same set → correct; same endpoints but other openness → ``endpoint_credit``
with what happens at that endpoint; otherwise incorrect, naming a step size where the student's
set and the truth disagree, with what gradient descent does there (found by simulation)."""

from __future__ import annotations

import math
from typing import Annotated, Any, Mapping

import msgspec
import numpy as np
from msgspec import Meta

from ..answers import AnswerError, Namespace, Symbol
from ..answers.intervals import Interval, IntervalSet, parse_interval
from ..errors import QuestionError
from ..rubric import NAME, QuestionBase, Rubric, default
from ..sampling import generator
from ..tolerance import Tolerance, within
from .base import Case, Outcome, SelfCheckData, WrittenKind, wrong_type
from .support import grid
from .support.descent import (GRADIENT_DESCENT, ConvergenceSpec, Descent, Momentum, describe_number,
                              display, param_value)
from .support.numbers import number_value


class IntervalQuestion(QuestionBase, kw_only=True):
    variable: NAME
    aliases: tuple[str, ...] = ()
    answer: str | None = None
    convergence_of: ConvergenceSpec | None = None
    #: Parameters an answer's endpoints may mention (``(0, 2/x^2)``); defaults to convergence_of's.
    params: dict[str, Any] = default(dict)
    endpoint_credit: Annotated[float, Meta(ge=0, le=1)] = 0.5
    tolerance: Tolerance = default(lambda: Tolerance(rtol=1.0e-4, atol=1.0e-9))

    def __post_init__(self) -> None:
        if (self.answer is None) == (self.convergence_of is None):
            raise ValueError("give exactly one of `answer` and `convergence_of`")


class IntervalKind(WrittenKind):
    names = ("interval",)
    Question = IntervalQuestion
    example = """
    id: q.converge_range
    kind: interval
    points: 5
    prompt: "For which step sizes α does gradient descent on L(w) = (w x - y)^2 / 2 converge?"
    variable: alpha
    convergence_of:
      loss: "(w x - y)^2 / 2"
      variable: w
      params: {x: 2, y: 100}
    """
    reference_fields = ("convergence_of.loss",)
    cases = (Case("(0, 0.5)", "correct", 1.0), Case("0 < alpha < 1/2", "correct", 1.0),
             Case("(0, 0.5]", "partial", 0.5), Case("(0, 1)", "incorrect", 0.0),
             Case("(0, ", "invalid", 0.0))

    def __init__(self, question: IntervalQuestion, rubric: Rubric, params=None):
        super().__init__(question, rubric, params)
        q = question
        raw_params = dict(q.convergence_of.params if q.convergence_of else {})
        raw_params.update(q.params)
        self.params = {}
        for name, value in raw_params.items():
            array = param_value(value, ("params", name))
            if array.ndim == 0:  # only scalar parameters can appear in an endpoint
                self.params[name] = float(array)
        self.variables = {q.variable, *q.aliases}
        self.ns = Namespace(symbols={name: Symbol(name) for name in self.params},
                            aliases={alias: q.variable for alias in q.aliases}, allow_inf=True)
        self.tol = q.tolerance
        self.descent: Descent | None = None
        self.momentum: Momentum = GRADIENT_DESCENT
        if q.convergence_of is not None:
            spec = q.convergence_of
            self.descent = Descent(spec, field=("convergence_of",))
            if spec.beta is not None:
                beta = self.read_field(("convergence_of", "beta"), number_value, spec.beta)
                self.momentum = Momentum(spec.method, beta)
            self.reference, _ = self.descent.convergence(self.momentum)
            self.descent.confirm(self.reference, generator(rubric.seed, q.id, "confirm"), self.momentum)
        else:
            try:
                self.reference = self.read(q.answer)
            except AnswerError as err:
                raise QuestionError(("answer",), err.message) from None
        self.name = display(q.variable)

    def read(self, text: str) -> IntervalSet:
        return parse_interval(text, self.variables, self.ns, self.params)

    def check(self, answer: Any) -> Outcome:
        if not isinstance(answer, str):
            return wrong_type(answer, "an interval written as text, like (0, 2)")
        try:
            student = self.read(answer)
        except AnswerError as err:
            return Outcome.invalid(str(err))
        signature = _signature(student)
        if self.same_endpoints(student, self.reference):
            if self.same_openness(student, self.reference):
                return Outcome.correct(signature=signature)
            return Outcome.partial(self.question.endpoint_credit, self.endpoint_message(student),
                                   signature)
        return Outcome.incorrect(self.witness_message(student), signature)

    def reference_signature(self) -> np.ndarray:
        return _signature(self.reference)

    # -- comparison ----------------------------------------------------------------------------
    def close(self, a: float, b: float) -> bool:
        if math.isinf(a) or math.isinf(b):
            return a == b
        return bool(within(a, b, self.tol.rtol, self.tol.atol))

    def same_endpoints(self, a: IntervalSet, b: IntervalSet) -> bool:
        return len(a.parts) == len(b.parts) and all(
            self.close(p.low, q.low) and self.close(p.high, q.high) for p, q in zip(a.parts, b.parts))

    @staticmethod
    def same_openness(a: IntervalSet, b: IntervalSet) -> bool:
        return all(p.low_closed == q.low_closed and p.high_closed == q.high_closed
                   for p, q in zip(a.parts, b.parts))

    # -- feedback ------------------------------------------------------------------------------
    def what_happens(self, alpha: float) -> str | None:
        """What descent does at this step size, by simulation; many students' answers lead to
        the same few step sizes, so each is simulated once."""
        if self.descent is None:
            return None
        if alpha == 0:
            return "stays where it starts"
        cache = self.__dict__.setdefault("_happens", {})
        if alpha not in cache:
            seen = self.descent.simulate(np.array([alpha]), momentum=self.momentum)[0]
            cache[alpha] = seen.replace("stays", "stays where it starts")
        return cache[alpha]

    def endpoint_message(self, student: IntervalSet) -> str:
        for p, q in zip(student.parts, self.reference.parts):
            for mine, theirs, value in ((p.low_closed, q.low_closed, q.low),
                                        (p.high_closed, q.high_closed, q.high)):
                if mine == theirs:
                    continue
                at = f"{self.name} = {describe_number(value)}"
                happens = self.what_happens(value)
                reason = f": at {at} {self.momentum.noun()} {happens}" if happens else ""
                if mine:
                    return f"the endpoints are right, but your set includes {at}, which it should not{reason}"
                return f"the endpoints are right, but your set leaves out {at}{reason}"
        return "the endpoints are right, but not whether they are included"

    def witness_message(self, student: IntervalSet) -> str:
        witness, inside = _witness(student, self.reference)
        if witness is None:
            return "not the right set"
        at = f"{self.name} = {describe_number(witness)}"
        happens = self.what_happens(witness)
        if inside:
            if happens:
                return f"your set includes {at}, but there {self.momentum.noun()} {happens}"
            return f"your set includes {at}, which it should not"
        if happens:
            return f"at {at} {self.momentum.noun()} {happens}, but your set leaves it out"
        return f"your set leaves out {at}, which it should include"

    def self_check(self, mode: str = "full") -> SelfCheckData:
        """An interval question's names and parameters, and salted hashes of its endpoints."""
        q = self.question
        if not grid.hashable(self.tol):
            raise NotImplementedError(f"a tolerance with rtol >= {grid.MAX_RTOL} cannot be hashed")
        salt = grid.question_salt(self.rubric.seed, q.id)
        ends = []
        for index, part in enumerate(self.reference.parts):
            ends.append([grid.value_hashes(salt, _label(index, side, closed), value, self.tol)
                         for side, (value, closed) in enumerate(((part.low, part.low_closed),
                                                                 (part.high, part.high_closed)))])
        data = {"variable": q.variable, "aliases": list(q.aliases), "params": dict(self.params),
                "tolerance": msgspec.to_builtins(self.tol), "endpoint_credit": q.endpoint_credit,
                "salt": salt, "ends": ends}
        return SelfCheckData(data, "salted hashes of the endpoints on the tolerance grid, with "
                                   "whether each is included (not the loss)")

    @classmethod
    def from_self_check(cls, question: QuestionBase, data: Mapping[str, Any]) -> "HashedInterval":
        """The question known only by the hashes of its endpoints."""
        return HashedInterval(question, data)

    def describe_answer(self) -> str:
        return f"{self.question.variable} in {self.reference.show()}"

    def reference_answer(self) -> str:
        return self.reference.show(describe_number)

    def reference_texts(self) -> list[str]:
        return [self.reference.show(), self.reference.show(describe_number)]


_SIDES = ("lower", "upper")


def _label(part: int, side: int, closed: bool) -> str:
    return f"part {part} {_SIDES[side]} {'closed' if closed else 'open'}"


class HashedInterval(WrittenKind):
    """An interval question known by the hashes of its endpoints. The answer is read exactly as
    in grading (``parse_interval``); the comparison is by hash."""

    def __init__(self, question: QuestionBase, data: Mapping[str, Any]):
        super().__init__(question, None)  # type: ignore[arg-type]
        self.params = {name: float(value) for name, value in data["params"].items()}
        variable = data["variable"]
        aliases = list(data["aliases"])
        self.variables = {variable, *aliases}
        self.ns = Namespace(symbols={name: Symbol(name) for name in self.params},
                            aliases={alias: variable for alias in aliases}, allow_inf=True)
        self.tol = msgspec.convert(data["tolerance"], Tolerance)
        self.endpoint_credit = float(data["endpoint_credit"])
        self.salt = data["salt"]
        self.ends = [[list(side) for side in part] for part in data["ends"]]
        self.name = display(variable)

    def check(self, answer: Any) -> Outcome:
        if not isinstance(answer, str):
            return wrong_type(answer, "an interval written as text, like (0, 2)")
        try:
            student = parse_interval(answer, self.variables, self.ns, self.params)
        except AnswerError as err:
            return Outcome.invalid(str(err))
        signature = _signature(student)
        if len(student.parts) != len(self.ends):
            return Outcome.incorrect("not the right set", signature)
        wrong, openness = [], []
        for index, part in enumerate(student.parts):
            for side, (value, closed) in enumerate(((part.low, part.low_closed),
                                                    (part.high, part.high_closed))):
                state = self._endpoint(index, side, value, closed)
                if state == "wrong":
                    wrong.append((index, side))
                elif state == "openness" and not openness:
                    openness.append((value, closed))
        if wrong:
            return Outcome.incorrect(self._wrong_message(wrong), signature)
        if openness:
            value, closed = openness[0]
            at = f"{self.name} = {describe_number(value)}"
            message = (f"the endpoints are right, but your set includes {at}, which it should not"
                       if closed else f"the endpoints are right, but your set leaves out {at}")
            return Outcome.partial(self.endpoint_credit, message, signature)
        return Outcome.correct(signature=signature)

    def _endpoint(self, part: int, side: int, value: float, closed: bool) -> str:
        """right, openness (the value is right, its inclusion is not) or wrong."""
        hashes = self.ends[part][side]
        if grid.value_matches(self.salt, _label(part, side, closed), value, self.tol, hashes):
            return "right"
        if grid.value_matches(self.salt, _label(part, side, not closed), value, self.tol, hashes):
            return "openness"
        return "wrong"

    def _wrong_message(self, wrong: list[tuple[int, int]]) -> str:
        if len(self.ends) == 1:
            if len(wrong) == 2:
                return "not the right set: neither endpoint is right"
            return f"not the right set: the {_SIDES[wrong[0][1]]} endpoint is not right"
        part, side = wrong[0]
        return f"not the right set: the {_SIDES[side]} endpoint of interval {part + 1} is not right"


def _signature(value: IntervalSet) -> np.ndarray:
    return np.array([x for p in value.parts for x in (p.low, p.high, p.low_closed, p.high_closed)],
                    dtype=float)


def _witness(student: IntervalSet, reference: IntervalSet) -> tuple[float | None, bool]:
    """A simple number in one set but not the other; True when it is in the student's set."""
    points = sorted({x for s in (student, reference) for p in s.parts for x in (p.low, p.high)})
    finite = [x for x in points if math.isfinite(x)]
    candidates: list[float] = []
    if finite:
        candidates.append(min(finite) - max(1.0, abs(min(finite))))
        candidates.append(max(finite) + max(1.0, abs(max(finite))))
    for a, b in zip(finite, finite[1:]):
        candidates.append(_nice_between(a, b))
    candidates += finite
    for value in candidates:
        mine, truth = student.contains(value), reference.contains(value)
        if mine != truth:
            return value, mine
    return None, False


def _nice_between(a: float, b: float) -> float:
    """A short number strictly between a and b (1.5 rather than 1.4999)."""
    middle = (a + b) / 2
    for digits in range(0, 8):
        rounded = round(middle, digits)
        if a < rounded < b:
            return rounded
    return middle


__all__ = ["HashedInterval", "Interval", "IntervalKind", "IntervalQuestion"]
