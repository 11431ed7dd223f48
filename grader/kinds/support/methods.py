"""Iterative methods on a rubric's loss, and follow-through marking of a student's iterates.

Every method is one step ``(w, state) → (w', state')`` over a batch of points (scalars ``(N,)``,
vectors ``(N, k, 1)``; each state entry batched the same way):

=============  ==========================================================================  =========
``gd``         w' = w − α ∇L(w)                                                            no state
``momentum``   v' = β v − α ∇L(w);  w' = w + v'   (heavy ball; v0 = 0)                       v
``nesterov``   v' = β v − α ∇L(w + β v);  w' = w + v'   (v0 = 0)                             v
``newton``     w' = w − α ∇²L(w)⁻¹ ∇L(w)   (α defaults to 1)                                no state
``custom``     the rubric's ``update`` lines, in order, each using the newest values        declared
=============  ==========================================================================  =========

The velocity v of momentum and Nesterov is the last displacement w_k − w_{k−1}, so both read
in iterates alone: w_{k+1} = w_k − α ∇L(w_k) + β (w_k − w_{k−1}) (heavy ball) and
w_{k+1} = y − α ∇L(y) with y = w_k + β (w_k − w_{k−1}) (Nesterov), with w_{−1} = w_0.

Follow-through (``follow``): step k is judged from the student's own w_{k−1} together with a
state the student could have carried into it, either

- *carried*: the state the method computes when it is fed the student's own iterates from the
  start (right for a student whose slip was in w alone, e.g. in w' = w + v' with v' right), or
- *implied*: the state the student's last two iterates imply (for momentum and Nesterov
  v = w_{k−1} − w_{k−2}; for a custom update, solved from w_{k−1} = step(w_{k−2}, s) when that
  step is affine in the state and fixes it), right for a student whose slip was in the state.

Both are one exact step from what the student wrote, so a single arithmetic slip at step k costs
step k alone, whichever line of the method it was in. With all earlier steps right, both equal
the true state and the rule is ordinary marking.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, Mapping

import numpy as np

from ...answers import SCALAR, AnswerError, Namespace, Symbol, evaluate, infer_shape, parse
from ...errors import QuestionError
from .descent import Descent, describe_number, param_value
from .symbolic import used_names

State = dict[str, np.ndarray]

#: A step is undefined where the Hessian's smallest singular value is below this fraction of its
#: largest (or below the error of its estimate): Newton's method cannot continue there.
SINGULAR_RCOND = 1e-12
METHODS = ("gd", "momentum", "nesterov", "newton", "custom")
#: Names an update line may use besides the variable, the state and the parameters.
RESERVED = ("alpha", "beta", "grad", "hess")
#: A custom update's state names (each shape is found by trying both readings of a number).
MAX_STATES = 8


class Method(ABC):
    """One iterative method on a Descent's loss, batched."""

    #: The method's name in the rubric (``method:``).
    name = ""
    #: State entries, in the order they are carried.
    state_names: tuple[str, ...] = ()

    def __init__(self, descent: Descent, alpha: float, beta: float | None = None):
        self.descent = descent
        self.alpha = alpha
        self.beta = beta

    @property
    def element_shape(self) -> tuple[int, ...]:
        return () if self.descent.is_scalar else tuple(self.descent.shape)

    def initial(self, n: int) -> State:
        """The state before the first step (zeros of the variable's shape)."""
        return {name: np.zeros((n, *self.element_shape)) for name in self.state_names}

    @abstractmethod
    def step(self, w: np.ndarray, state: State) -> tuple[np.ndarray, State]:
        """One step from each point of the batch."""

    def implied(self, previous: np.ndarray, current: np.ndarray) -> tuple[State, np.ndarray]:
        """The state after a step from ``previous`` that landed on ``current`` (rows where the
        two iterates determine it; the mask says which)."""
        return {}, np.ones(len(previous), dtype=bool)

    def undefined(self, w: np.ndarray) -> tuple[np.ndarray, str]:
        """Where a step from ``w`` is not defined, and why (for feedback and validation)."""
        return np.zeros(len(w), dtype=bool), ""

    def phrase(self) -> str:
        """How feedback names the method after "does not follow from ...": "" for plain GD."""
        return ""

    #: Whether a step depends on the iterate before the previous one (feedback names both).
    uses_two_iterates = False

    def run(self, start: np.ndarray, count: int) -> np.ndarray:
        """w1 .. w_count from ``start``."""
        out, w, state = [], start[None, ...], self.initial(1)
        with np.errstate(all="ignore"):  # an overflow is the author's to see (validate)
            for _ in range(count):
                w, state = self.step(w, state)
                out.append(w[0])
        return np.array(out)

    def gradients(self, w: np.ndarray) -> np.ndarray:
        with np.errstate(all="ignore"):
            return self.descent.gradients(w)


class GradientDescent(Method):
    name = "gd"

    def step(self, w, state):
        return w - self.alpha * self.gradients(w), {}


class _Velocity(Method):
    """Methods whose state is the last displacement v = w_k − w_{k−1}."""

    state_names = ("v",)
    uses_two_iterates = True

    def implied(self, previous, current):
        return {"v": current - previous}, np.ones(len(previous), dtype=bool)


class HeavyBall(_Velocity):
    name = "momentum"

    def step(self, w, state):
        v = self.beta * state["v"] - self.alpha * self.gradients(w)
        return w + v, {"v": v}

    def phrase(self) -> str:
        return f" with momentum β = {_number(self.beta)}"


class Nesterov(_Velocity):
    name = "nesterov"

    def step(self, w, state):
        ahead = w + self.beta * state["v"]
        v = self.beta * state["v"] - self.alpha * self.gradients(ahead)
        return w + v, {"v": v}

    def phrase(self) -> str:
        return f" with Nesterov momentum β = {_number(self.beta)}"


class Newton(Method):
    name = "newton"

    def step(self, w, state):
        return newton_step(self.descent, w, self.alpha), {}

    def undefined(self, w):
        hessian, error = self.descent.hessians(w)
        return singular(hessian, error), "the Hessian is singular there"

    def phrase(self) -> str:
        return " by a Newton step" + ("" if self.alpha == 1 else f" with α = {_number(self.alpha)}")


def singular(hessian: np.ndarray, error: np.ndarray) -> np.ndarray:
    """Per point: whether a Hessian (N,) or (N, k, k) cannot be inverted reliably."""
    with np.errstate(all="ignore"):
        if hessian.ndim == 1:
            smallest = largest = np.abs(hessian)
        else:
            values = np.linalg.svd(np.nan_to_num(hessian), compute_uv=False)
            smallest, largest = values[:, -1], values[:, 0]
        # Singular: the smallest singular value is lost in the estimate's own error, or tiny
        # beside the largest (a condition number past 1e12).
        bad = ~np.isfinite(hessian.reshape(len(hessian), -1)).all(axis=1)
        return bad | (smallest <= np.maximum(SINGULAR_RCOND * largest, error))


def newton_step(descent: Descent, w: np.ndarray, alpha: float) -> np.ndarray:
    """w − α H⁻¹ g at each point; nan where the Hessian is singular."""
    with np.errstate(all="ignore"):
        g = descent.gradients(w)
        hessian, error = descent.hessians(w)
        bad = singular(hessian, error)
        if hessian.ndim == 1:
            out = w - alpha * g / np.where(bad, 1.0, hessian)
        else:
            safe = np.where(bad[:, None, None], np.eye(hessian.shape[1]), hessian)
            out = w - alpha * np.linalg.solve(safe, g)
        out[bad] = np.nan
        return out


class CustomUpdate(Method):
    """The rubric's own update: ``update`` lines run in order, each line's name taking its new
    value at once, so later lines see it (``v`` then ``w - alpha v`` uses the new v). ``grad``
    and ``hess`` are the gradient and Hessian of the loss at the newest value of the variable."""

    name = "custom"

    def __init__(self, descent: Descent, alpha: float | None, beta: float | None,
                 state: Mapping[str, Any], update: Mapping[str, str]):
        super().__init__(descent, alpha if alpha is not None else float("nan"), beta)
        variable = descent.variable
        self.scalars = {name: value for name, value in (("alpha", alpha), ("beta", beta))
                        if value is not None}
        self.state_names = tuple(state)
        self.uses_two_iterates = bool(state)
        if len(state) > MAX_STATES:
            raise QuestionError(("state",), f"at most {MAX_STATES} names")
        for name in descent.params:
            if name in RESERVED:
                raise QuestionError(("params", name), f"`{name}` means something else in an update "
                                    "line; give the parameter another name")
        for name in state:
            if name == variable or name in descent.params or name in RESERVED:
                what = "the variable" if name == variable else (
                    "a parameter" if name in descent.params else "a reserved name")
                raise QuestionError(("state", name), f"`{name}` is {what}; give the state another name")
        initial = {name: param_value(value, ("state", name)) for name, value in state.items()}
        for name, value in initial.items():
            if value.ndim and value.shape != self.element_shape:
                raise QuestionError(("state", name), f"must be one number or have the variable's "
                                    f"shape ({_shape_words(self.element_shape)})")
        if variable not in update:
            raise QuestionError(("update",), f"must say how the variable `{variable}` is updated")
        for name, text in update.items():
            if name != variable and name not in state:
                raise QuestionError(("update", name), f"`{name}` is neither the variable `{variable}` "
                                    "nor a name declared under `state`")
            if re.search(r"\b(grad|hess)\s*\(", str(text)):
                raise QuestionError(("update", name), "`grad` and `hess` are values at the newest "
                                    f"`{variable}`, not functions: write `grad * (...)` for a product")
        self.lines, self.shapes = self._parse(update, initial)
        self.start_state = {name: np.broadcast_to(initial[name], self.shapes[name]).astype(float)
                            for name in state}
        self.needs = {word for _, _, uses in self.lines for word in uses & {"grad", "hess"}}

    def _parse(self, update: Mapping[str, str], initial: Mapping[str, np.ndarray]):
        """Each line parsed, with the shape of every state: a state given as one number is the
        variable's shape when that makes every line consistent, else a scalar."""
        shape = self.descent.shape
        loose = [name for name, value in initial.items() if value.ndim == 0]
        first_error: QuestionError | None = None
        for mask in range(2 ** len(loose)):  # 0: every loose state takes the variable's shape
            shapes = {name: (SCALAR if value.ndim == 0 else value.shape) for name, value in initial.items()}
            for bit, name in enumerate(loose):
                shapes[name] = SCALAR if mask >> bit & 1 else shape
            try:
                return self._parse_with(update, shapes), {
                    name: () if s == SCALAR else tuple(s) for name, s in shapes.items()}
            except QuestionError as err:
                first_error = first_error or err
        assert first_error is not None
        raise first_error

    def _parse_with(self, update: Mapping[str, str], shapes: Mapping[str, tuple]):
        descent, variable = self.descent, self.descent.variable
        size = 1 if descent.is_scalar else descent.shape[0]
        symbols = {**descent.ns.symbols, **{name: Symbol(name, tuple(s)) for name, s in shapes.items()}}
        symbols.update({name: Symbol(name) for name in self.scalars})
        symbols["grad"] = Symbol("grad", descent.shape)
        symbols["hess"] = Symbol("hess", SCALAR if descent.is_scalar else (size, size))
        ns = Namespace(symbols=symbols)
        lines = []
        for name, text in update.items():
            field = ("update", name)
            try:
                tree = parse(str(text), ns)
                got = infer_shape(tree, ns)
            except AnswerError as err:
                raise QuestionError(field, err.message) from None
            wanted = descent.shape if name == variable else tuple(shapes[name])
            if tuple(got) != tuple(wanted):
                raise QuestionError(field, f"has shape {_shape_words(got)}; `{name}` is "
                                    f"{_shape_words(wanted)}")
            lines.append((name, tree, _names(tree)))
        self.ns = ns
        return lines

    def initial(self, n: int) -> State:
        return {name: np.broadcast_to(value, (n, *value.shape)).copy()
                for name, value in self.start_state.items()}

    def step(self, w, state):
        n = len(w)
        descent, variable = self.descent, self.descent.variable
        env = descent.param_env(n)
        env.update({name: np.full(n, value) for name, value in self.scalars.items()})
        env.update(state)
        env[variable] = w
        at = None  # the w at which grad/hess were last computed
        with np.errstate(all="ignore"):
            for name, tree, uses in self.lines:
                if uses & self.needs and at is not env[variable]:
                    at = env[variable]
                    if "grad" in self.needs:
                        env["grad"] = descent.gradients(at)
                    if "hess" in self.needs:
                        env["hess"] = descent.hessians(at)[0]
                env[name] = np.asarray(evaluate(tree, self.ns, env, {}, n), dtype=float)
        return env[variable], {name: env[name] for name in self.state_names}

    def implied(self, previous, current):
        """Solve current = step(previous, s) for the state s at the start of the step when the
        step is affine in s and determines it; the state after that step, per row."""
        rows = len(previous)
        if not self.state_names:
            return {}, np.ones(rows, dtype=bool)
        sizes = [int(np.prod(self.shapes[name], dtype=int)) for name in self.state_names]
        total = sum(sizes)
        # Probe each row's step at s = 0, at each unit state and at two random states: the unit
        # ones give the Jacobian, the random ones test that the step is affine in s.
        probes = np.vstack([np.zeros(total), np.eye(total),
                            np.random.default_rng(0).uniform(-1, 1, (2, total))])
        count = len(probes)
        starts = np.repeat(previous, count, axis=0)
        landed, _ = self.step(starts, self._unflatten(np.tile(probes, (rows, 1)), sizes))
        landed = landed.reshape(rows, count, -1)
        base = landed[:, 0]                                                   # (rows, d)
        jacobian = (landed[:, 1:total + 1] - base[:, None]).swapaxes(1, 2)   # (rows, d, m)
        predicted = base[:, None] + probes[total + 1:] @ jacobian.swapaxes(1, 2)
        scale = 1.0 + np.abs(np.nan_to_num(landed, nan=np.inf)).max(axis=(1, 2))
        affine = np.isfinite(landed).all(axis=(1, 2)) & \
            (np.abs(predicted - landed[:, total + 1:]).max(axis=(1, 2)) <= 1e-9 * scale)
        solutions = np.zeros((rows, total))
        ok = np.zeros(rows, dtype=bool)
        for row in np.flatnonzero(affine):
            values = np.linalg.svd(jacobian[row], compute_uv=False)
            if len(values) < total or values[-1] <= 1e-10 * max(values[0], 1e-300):
                continue  # the iterates do not fix the state
            target = current[row].reshape(-1) - base[row]
            solution = np.linalg.lstsq(jacobian[row], target, rcond=None)[0]
            if np.abs(jacobian[row] @ solution - target).max() > 1e-9 * (scale[row] + np.abs(target).max()):
                continue  # no state leads there
            solutions[row], ok[row] = solution, True
        _, after = self.step(previous.copy(), self._unflatten(solutions, sizes))
        return after, ok

    def _unflatten(self, flat: np.ndarray, sizes: list[int]) -> State:
        state, offset = {}, 0
        for name, size in zip(self.state_names, sizes):
            state[name] = flat[:, offset:offset + size].reshape(len(flat), *self.shapes[name])
            offset += size
        return state

    def undefined(self, w):
        if "hess" not in self.needs:
            return super().undefined(w)
        hessian, _ = self.descent.hessians(w)
        return ~np.isfinite(hessian.reshape(len(w), -1)).all(axis=1), "the Hessian is undefined there"

    def phrase(self) -> str:
        return " by the update rule"


def make_method(name: str, descent: Descent, alpha: float | None, beta: float | None,
                state: Mapping[str, Any] | None = None, update: Mapping[str, str] | None = None) -> Method:
    """The method named in the rubric."""
    if name == "custom":
        return CustomUpdate(descent, alpha, beta, state or {}, update or {})
    cls = {"gd": GradientDescent, "momentum": HeavyBall, "nesterov": Nesterov, "newton": Newton}[name]
    return cls(descent, 1.0 if alpha is None else alpha, beta)


def follow(method: Method, start: np.ndarray, values: list[np.ndarray | None],
           truth: np.ndarray) -> list[list[np.ndarray]]:
    """For each given step k = 1 .. len(values): the values w_k may take by follow-through.

    w_k must be one exact step from the student's w_{k−1} with the carried or the implied state
    (see the module's docstring). After an unreadable w_{k−1}, w_k must be the true iterate, and
    the true iterate stands in for the unreadable one in later steps.
    """
    count = len(values)
    candidates: list[list[np.ndarray]] = [[] for _ in range(count)]
    if not count:
        return candidates
    # The point each step starts from: the start, then the student's iterates (the true ones
    # standing in for unreadable values).
    points = np.array([start] + [truth[k] if v is None else v for k, v in enumerate(values[:-1])])
    readable = [True] + [v is not None for v in values[:-1]]
    with np.errstate(all="ignore"):  # a student's huge values may overflow: then they are wrong
        _follow(method, points, candidates)
    for k in range(count):
        if not readable[k]:
            candidates[k] = [truth[k]]
    return candidates


def _follow(method: Method, points: np.ndarray, candidates: list[list[np.ndarray]]) -> None:
    count = len(points)
    if not method.state_names:
        stepped, _ = method.step(points, {})
        for k in range(count):
            candidates[k].append(stepped[k])
    else:
        state = method.initial(1)
        for k in range(count):  # carried state: the method fed the student's own iterates
            stepped, state = method.step(points[k:k + 1], state)
            candidates[k].append(stepped[0])
        if count > 1:  # implied state: from the student's two iterates before each step
            implied, ok = method.implied(points[:-1], points[1:])
            stepped, _ = method.step(points[1:], implied)
            for k in range(1, count):
                if ok[k - 1]:
                    candidates[k].append(stepped[k - 1])


def _names(tree) -> frozenset[str]:
    return frozenset(used_names(tree))


def _number(value: float | None) -> str:
    return describe_number(float(value)) if value is not None else "?"


def _shape_words(shape: tuple) -> str:
    if tuple(shape) in ((), SCALAR):
        return "a scalar"
    return " x ".join(str(d) for d in shape)


__all__ = ["METHODS", "CustomUpdate", "GradientDescent", "HeavyBall", "Method", "Newton",
           "Nesterov", "follow", "make_method", "newton_step", "singular"]
