"""Self-check export and rebuild for the descent kinds (``gd_iterates`` and ``interval``).

These are adapters outside the kinds' own modules only while those modules are being changed
elsewhere; each pair of functions is meant to become the kind's ``self_check`` and
``from_self_check`` methods (see ``grader.kinds.base``). They use the prepared kinds' public
attributes only.

- ``gd_iterates``: the question's own fields (loss, variable, params, start, alpha, steps,
  follow_through, tolerance and any variant fields such as a method): the prompt states them, and
  follow-through needs the exact step from a student's own previous iterate. The rebuilt question
  is prepared by the kind itself, so checking runs the very same code as grading.
- ``interval``: salted hashes of each endpoint (with whether it is included) on the tolerance
  grid, the variable's names and the parameters an endpoint may mention. Never the loss: with it a
  student could compute the range. So feedback says which endpoint is wrong, but not what gradient
  descent does at a step size (a documented difference from grading).
"""

from __future__ import annotations

from typing import Any, Mapping

import msgspec
import numpy as np

from ..answers import AnswerError, Namespace, Symbol
from ..answers.intervals import IntervalSet, parse_interval
from ..kinds.base import Outcome, SelfCheckData, WrittenKind, wrong_type
from ..kinds.gd_iterates import IteratesKind
from ..kinds.interval import IntervalKind
from ..kinds.support import grid
from ..kinds.support.descent import describe_number, display
from ..rubric import QuestionBase
from ..tolerance import Tolerance

#: Fields every question has; the rest of a question's fields are its kind's.
_BASE_FIELDS = frozenset(QuestionBase.__struct_fields__)
_SIDES = ("lower", "upper")


# -- gd_iterates ---------------------------------------------------------------------------------
def iterates_self_check(kind: IteratesKind, mode: str = "full") -> SelfCheckData:
    """A gd_iterates question's stated fields (the iterates follow from them)."""
    fields = {k: v for k, v in msgspec.to_builtins(kind.question).items() if k not in _BASE_FIELDS}
    return SelfCheckData({"question": fields},
                         "the loss, start, step size and number of steps, as the question states "
                         "them: the iterates follow from these")


def iterates_from_self_check(question: QuestionBase, data: Mapping[str, Any]) -> IteratesKind:
    """The question prepared by its own kind from its stated fields."""
    fields = {**msgspec.structs.asdict(question), **data["question"]}
    full = msgspec.convert(fields, IteratesKind.Question, strict=False)
    return IteratesKind.prepare(full, None)  # type: ignore[arg-type]


# -- interval --------------------------------------------------------------------------------------
def _label(part: int, side: int, closed: bool) -> str:
    return f"part {part} {_SIDES[side]} {'closed' if closed else 'open'}"


def interval_self_check(kind: IntervalKind, mode: str = "full") -> SelfCheckData:
    """An interval question's names and parameters, and salted hashes of its endpoints."""
    q = kind.question
    if not grid.hashable(kind.tol):
        raise NotImplementedError(f"a tolerance with rtol >= {grid.MAX_RTOL} cannot be hashed")
    salt = grid.question_salt(kind.rubric.seed, q.id)
    ends = []
    for index, part in enumerate(kind.reference.parts):
        ends.append([grid.value_hashes(salt, _label(index, side, closed), value, kind.tol)
                     for side, (value, closed) in enumerate(((part.low, part.low_closed),
                                                             (part.high, part.high_closed)))])
    data = {"variable": q.variable, "aliases": list(q.aliases), "params": dict(kind.params),
            "tolerance": msgspec.to_builtins(kind.tol), "endpoint_credit": q.endpoint_credit,
            "salt": salt, "ends": ends}
    return SelfCheckData(data, "salted hashes of the endpoints on the tolerance grid, with "
                               "whether each is included (not the loss)")


def interval_from_self_check(question: QuestionBase, data: Mapping[str, Any]) -> "HashedInterval":
    return HashedInterval(question, data)


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


#: kind name → (export, rebuild), for the kinds whose modules do not yet have the hooks.
ADAPTERS = {
    "gd_iterates": (iterates_self_check, iterates_from_self_check),
    "interval": (interval_self_check, interval_from_self_check),
}

__all__ = ["ADAPTERS", "HashedInterval", "interval_from_self_check", "interval_self_check",
           "iterates_from_self_check", "iterates_self_check"]
