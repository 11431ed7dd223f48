"""Kind ``gd_iterates`` (also ``iterates``): iterates of a descent method by hand, marked with
follow-through.

Step k is right when it is one exact step of the question's method (``gd``, ``momentum``,
``nesterov``, ``newton`` or a ``custom`` update) from the student's own step k−1 (from the start
for k = 1), with the state the method carries judged as ``support.methods.follow`` explains, so
one slip costs one step. Feedback names the first wrong step in words and never shows an
expected value.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, Mapping

import msgspec
import numpy as np
from msgspec import Meta

from ..answers import AnswerError
from ..rubric import NAME, QuestionBase, Rubric, at, default
from ..tolerance import Tolerance, within_all
from .base import Case, Outcome, Problem, SelfCheckData, WrittenKind
from .support.descent import HESSIAN_RTOL, Descent, LossSpec, describe_number
from .support.methods import Method, follow, make_method, singular
from .support.numbers import number_value

#: Methods that need a step size in the rubric (newton's defaults to 1; custom's is optional).
NEEDS_ALPHA = ("gd", "momentum", "nesterov")
NEEDS_BETA = ("momentum", "nesterov")


class IteratesQuestion(QuestionBase, kw_only=True):
    loss: str
    variable: NAME
    steps: Annotated[int, Meta(ge=1, le=100)]
    method: Literal["gd", "momentum", "nesterov", "newton", "custom"] = "gd"
    alpha: float | str | None = None
    beta: float | str | None = None
    #: custom only: initial values of the state the update carries, and the update lines in order.
    state: dict[NAME, Any] = default(dict)
    update: dict[str, str | float] = default(dict)
    params: dict[str, Any] = default(dict)
    start: Any = 0
    follow_through: bool = True
    tolerance: Tolerance = default(lambda: Tolerance(rtol=1.0e-4, atol=1.0e-6))

    def __post_init__(self) -> None:
        method = self.method
        if self.alpha is None and method in NEEDS_ALPHA:
            raise ValueError(at("alpha") + f"required field is missing (method `{method}` needs a step size)")
        if self.beta is None and method in NEEDS_BETA:
            raise ValueError(at("beta") + f"required field is missing (method `{method}` needs a momentum β)")
        if self.beta is not None and method not in NEEDS_BETA + ("custom",):
            raise ValueError(at("beta") + f"method `{method}` has no β (it is for momentum, nesterov "
                             "and custom updates)")
        if method != "custom":
            for name in ("state", "update"):
                if getattr(self, name):
                    raise ValueError(at(name) + "is only for `method: custom`")
        elif not self.update:
            raise ValueError(at("update") + "required field is missing (`method: custom` needs "
                             "update lines, like {v: \"beta v + grad\", w: \"w - alpha v\"})")


class IteratesKind(WrittenKind):
    names = ("gd_iterates", "iterates")
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
    reference_fields = ("loss", "alpha", "start", "params.x")
    cases = (Case(["20", "32", "39.2"], "correct", 1.0), Case("20, 32, 39.2", "correct", 1.0),
             Case(["20", "30", "38"], "partial", 2 / 3), Case(["20", "32"], "partial", 2 / 3),
             Case(["-20", "-32", "-39.2"], "incorrect", 0.0), Case({"w1": "20"}, "invalid", 0.0),
             Case("not a list", "invalid", 0.0), Case(["20", ["32"], "39.2"], "invalid", 0.0),
             Case(["20", {"w2": "32"}, "39.2"], "invalid", 0.0),
             Case(["20", "foo", "39.2"], "partial", 2 / 3))

    def __init__(self, question: IteratesQuestion, rubric: Rubric, params=None):
        super().__init__(question, rubric, params)
        q = question
        spec = LossSpec(loss=q.loss, variable=q.variable, params=q.params)
        self.descent = Descent(spec, q.start)
        self.start = self.descent.point(q.start, ("start",))
        self.alpha = None if q.alpha is None else self.read_field(("alpha",), number_value, q.alpha)
        beta = None if q.beta is None else self.read_field(("beta",), number_value, q.beta)
        self.method: Method = make_method(q.method, self.descent, self.alpha, beta, q.state,
                                          {name: str(text) for name, text in q.update.items()})
        self.truth = self.method.run(self.start, q.steps)
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

    def misshapen(self, entry: Any) -> str | None:
        """Why an entry is not an iterate at all (a mapping, or a list nested too deep); None
        when it has the right structure (its text may still not read)."""
        if self.descent.is_scalar:
            if isinstance(entry, (list, dict)):
                return f"expected a number, found {_kind_of(entry)}"
            return None
        wanted = f"expected a list of {self.descent.shape[0]} numbers"
        if isinstance(entry, dict):
            return f"{wanted}, found a mapping"
        if isinstance(entry, list) and any(isinstance(v, (list, dict)) for v in entry):
            return f"{wanted}, found a nested list"
        return None

    def value(self, entry: Any) -> np.ndarray:
        if self.descent.is_scalar:
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
        misshapen: set[int] = set()
        for index, entry in enumerate(entries[: steps + 1]):
            problem = self.misshapen(entry)
            if problem is not None:
                values.append(None)
                problems[index] = problem
                misshapen.add(index)
                continue
            try:
                value = self.value(entry)
                if not np.all(np.isfinite(value)):
                    raise AnswerError("not a finite number")
                values.append(value)
            except AnswerError as err:
                values.append(None)
                problems[index] = err.message.splitlines()[0]
        # What follows depends only on the numbers read (and what could not be read), not on how
        # they were written (`0.5`, `.50`, `1/2`): each such reading is judged once.
        key = (len(entries), tuple((v.shape, v.tobytes()) if v is not None else None for v in values),
               tuple(sorted(problems.items())), frozenset(misshapen))
        known = self._judged.get(key)
        if known is None:
            known = self._judged[key] = self._judge(len(entries), values, problems, misshapen)
        return known

    def _judge(self, count: int, values: list[np.ndarray | None], problems: dict[int, str],
               misshapen: set[int]) -> Outcome:
        """The outcome of ``count`` entries read as ``values`` (None where ``problems`` says why)."""
        steps = self.question.steps
        notes = []
        if self.looks_like_start_included(values):
            values = values[1:]
            problems = {k - 1: v for k, v in problems.items() if k}
            misshapen = {k - 1 for k in misshapen if k}
            notes.append(f"your first value looks like {self.name}0, the start; "
                         f"it was read as {self.name}0 and the rest as {self.name}1 onwards")
        marked = values[:steps]
        unreadable = [k for k in range(len(marked)) if marked[k] is None]
        if any(k < steps for k in misshapen) or (marked and len(unreadable) == len(marked)):
            # Nothing to mark (or not iterates at all): say what each unreadable step is.
            return Outcome.invalid("; ".join(f"{self.name}{k + 1}: {problems[k]}" for k in unreadable))
        candidates = self.candidates(marked)
        marks = self.mark(marked, candidates)
        correct = sum(marks)
        given = count - (1 if notes else 0)
        if given > steps:
            notes.append(f"you gave {given} values; only {self.name}1 .. {self.name}{steps} are marked")
        elif given == steps - 1:
            notes.append(f"{self.name}{steps} is missing")
        elif given < steps:
            notes.append(f"{self.name}{given + 1} .. {self.name}{steps} are missing")
        first_wrong = next((k for k, ok in enumerate(marks) if not ok), None)
        explained = []
        if first_wrong is not None and first_wrong < len(marked):
            explained.append(self.explain(first_wrong, marked, problems, candidates))
        # Every other unreadable step is named too: the student sees all they must fix.
        explained += [f"{self.name}{k + 1}: {problems[k]}" for k in unreadable if k != first_wrong]
        notes = explained + notes
        fraction = correct / steps
        signature = _signature(marked)
        feedback = "; ".join(notes) if notes else "correct"
        if correct == steps and not notes:
            return Outcome.correct(signature=signature)
        if correct == steps:
            return Outcome.correct(feedback, signature)
        return Outcome.partial(fraction, feedback, signature)

    def reference_signature(self) -> np.ndarray:
        return _signature(list(self.truth))

    def looks_like_start_included(self, values: list[np.ndarray | None]) -> bool:
        steps = self.question.steps
        if len(values) != steps + 1 or values[0] is None:
            return False
        if not self.close(values[0], self.start) or self.close(self.truth[0], self.start):
            return False
        shifted, plain = values[1:], values[:steps]
        return sum(self.mark(shifted, self.candidates(shifted))) > \
            sum(self.mark(plain, self.candidates(plain)))

    def close(self, value: np.ndarray, expected: np.ndarray) -> bool:
        return within_all(value, expected, self.tol.rtol, self.tol.atol)

    def candidates(self, values: list[np.ndarray | None]) -> list[list[np.ndarray]]:
        """Per given step: the values it may take (follow-through), or the true iterate."""
        if not self.question.follow_through:
            return [[self.truth[k]] for k in range(len(values))]
        return follow(self.method, self.start, values, self.truth)

    def mark(self, values: list[np.ndarray | None], candidates: list[list[np.ndarray]]) -> list[bool]:
        """Per step: right or wrong (missing and unreadable steps count as wrong)."""
        marks = []
        for k in range(self.question.steps):
            if k >= len(values) or values[k] is None:
                marks.append(False)
                continue
            marks.append(any(self.close(values[k], c) for c in candidates[k]))
        return marks

    def explain(self, k: int, values: list[np.ndarray | None], problems: dict[int, str],
                candidates: list[list[np.ndarray]]) -> str:
        name, var = f"{self.name}{k + 1}", self.name
        if values[k] is None:
            return f"{name}: {problems.get(k, 'cannot read this value')}"
        if not self.question.follow_through or (k > 0 and values[k - 1] is None):
            return f"{name} is not right"
        method = self.method
        previous = self.start if k == 0 else values[k - 1]
        source = f"the start {var}0 = {_show(self.start)}" if k == 0 else f"your {var}{k} = {_show(previous)}"
        if not any(np.all(np.isfinite(c)) for c in candidates[k]):
            undefined, why = method.undefined(previous[None, ...])
            if undefined[0]:
                return f"{name} cannot follow from {source}: {why}"
        if method.uses_two_iterates and k > 0:
            if k == 1:
                source += f" and the start {var}0 = {_show(self.start)}"
            elif values[k - 2] is not None:
                source += f" and {var}{k - 1} = {_show(values[k - 2])}"
        return f"{name} does not follow from {source}{method.phrase()}"

    # -- for the author ------------------------------------------------------------------------
    def validate(self) -> list[Problem]:
        problems: list[Problem] = []
        finite = np.isfinite(self.truth.reshape(len(self.truth), -1)).all(axis=1)
        points = np.array([self.start, *self.truth[:-1]])  # the point each step starts from
        if not finite.all():
            k = int(np.argmin(finite))
            undefined, why = self.method.undefined(points[k:k + 1])
            with np.errstate(all="ignore"):
                gradient = self.descent.gradients(points[k:k + 1])
            if not undefined[0] and np.isfinite(points[k]).all() and np.isnan(gradient).any():
                undefined, why = [True], "the loss's gradient is not a number there"
            if undefined[0]:
                problems.append(f"{self.name}{k + 1} cannot be computed: at {self.name}{k} = "
                                f"{_show(points[k])} {why}")
            else:
                problems.append("the iterates overflow: use fewer steps or a smaller step size")
            points = points[: k + 1]
        if self.method.name == "newton" or "hess" in getattr(self.method, "needs", ()):
            hessian, error = self.descent.hessians(points)
            scale = np.abs(hessian.reshape(len(points), -1)).max(axis=1)
            inaccurate = (error > HESSIAN_RTOL * scale) & ~singular(hessian, error)
            for k in np.flatnonzero(inaccurate)[:1]:
                problems.append(f"the Hessian at {self.name}{k} = {_show(points[k])} is known only "
                                f"to about {error[k] / scale[k]:.0e} relative: is the loss twice "
                                "differentiable there?")
        return problems

    def self_check(self, mode: str = "full") -> SelfCheckData:
        """The question's own fields (loss, start, step size, steps, method...): the prompt
        states them, and follow-through needs the exact step from a student's own iterate."""
        # The question's own fields: those every question has are in the bundle's header, except
        # `steps`, which this kind redefines (the number of iterates).
        base = set(QuestionBase.__struct_fields__) - {"steps"}
        fields = {k: v for k, v in msgspec.to_builtins(self.question).items() if k not in base}
        return SelfCheckData({"question": fields},
                             "the loss, start, step size and number of steps, as the question "
                             "states them: the iterates follow from these")

    @classmethod
    def from_self_check(cls, question: QuestionBase, data: Mapping[str, Any]) -> "IteratesKind":
        """The question prepared by this kind from its stated fields: the same code as grading."""
        fields = {**msgspec.structs.asdict(question), **data["question"]}
        return cls.prepare(msgspec.convert(fields, cls.Question, strict=False), None)  # type: ignore[arg-type]

    def describe_answer(self) -> str:
        return ", ".join(_show(v) for v in self.truth)

    def reference_answer(self) -> list[str]:
        return [_show(v) for v in self.truth]

    def reference_texts(self) -> list[str]:
        # The first iterate is stated by the question itself only when it equals the start.
        return [_show(v) for v in self.truth if not self.close(v, self.start)]


def _kind_of(entry: Any) -> str:
    return "a mapping" if isinstance(entry, dict) else "a list"


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
