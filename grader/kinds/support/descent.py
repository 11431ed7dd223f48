"""Gradient descent on a rubric's loss: exact steps (forward-mode gradients of the parse tree),
the step sizes for which it converges (from the Hessian of a quadratic loss), and simulation to
confirm and to explain. Shared by the ``gd_iterates`` and ``interval`` kinds."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from ...answers import SCALAR, AnswerError, Namespace, Symbol, gradient, infer_shape, parse
from ...answers.intervals import Interval, IntervalSet
from ...errors import QuestionError
from ...rubric import NAME, Strict, default
from .numbers import number_value

GREEK_DISPLAY = {"alpha": "α", "eta": "η", "beta": "β", "gamma": "γ", "lambda": "λ", "mu": "μ",
                 "tau": "τ", "epsilon": "ε"}


class LossSpec(Strict, kw_only=True):
    """A loss in the answer language, the variable it is minimised over, and fixed parameters."""

    loss: str
    variable: NAME
    params: dict[str, Any] = default(dict)
    #: The variable's shape, for a vector variable when no start point says it.
    shape: tuple[int, int] | None = None


def display(name: str) -> str:
    """How a step-size name is shown to students: ``alpha`` → ``α``."""
    return GREEK_DISPLAY.get(name, name)


def param_value(value: Any, field: tuple) -> np.ndarray:
    """A parameter: a number or numeric text → float; a list → column vector; a list of lists → matrix."""
    try:
        if isinstance(value, list):
            if value and all(isinstance(row, list) for row in value):
                array = np.array([[number_value(v) for v in row] for row in value], dtype=float)
            else:
                array = np.array([[number_value(v)] for v in value], dtype=float)
            if array.ndim != 2 or array.size == 0:
                raise ValueError
            return array
        return np.array(number_value(value))
    except (AnswerError, ValueError):
        raise QuestionError(field, "must be a number, a list of numbers, or a list of rows") from None


class Descent:
    """Gradient descent w ← w − α ∇L(w) for one loss, exactly and in batches."""

    def __init__(self, spec: LossSpec, start: Any = None, field: tuple = ()):
        self._quadratic: tuple[np.ndarray, np.ndarray] | None = None
        self.variable = spec.variable
        self.params = {name: param_value(v, field + ("params", name)) for name, v in spec.params.items()}
        symbols = {name: Symbol(name, SCALAR if v.ndim == 0 else v.shape)
                   for name, v in self.params.items()}
        if spec.variable in symbols:
            raise QuestionError(field + ("params",), f"`{spec.variable}` is the variable, not a parameter")
        shape = self._shape(spec, start)
        candidates = [shape] if shape is not None else [SCALAR] + [(k, 1) for k in range(2, 9)]
        problem = None
        for candidate in candidates:
            ns = Namespace(symbols={**symbols, spec.variable: Symbol(spec.variable, candidate)})
            try:
                tree = parse(spec.loss, ns)
                if infer_shape(tree, ns) == SCALAR:
                    self.ns, self.tree, self.shape = ns, tree, candidate
                    break
                problem = "the loss must be a scalar"
            except AnswerError as err:
                problem = err.message
        else:
            raise QuestionError(field + ("loss",), problem or "cannot read the loss")

    @staticmethod
    def _shape(spec: LossSpec, start: Any) -> tuple[int, int] | None:
        if spec.shape is not None:
            return tuple(spec.shape)
        if isinstance(start, list):
            return (len(start), 1)
        if start is not None:
            return SCALAR
        return None

    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR

    def point(self, value: Any, field: tuple) -> np.ndarray:
        """A start point from the rubric, as the batch element shape: () or (k, 1)."""
        array = param_value(value, field)
        wanted = () if self.is_scalar else self.shape
        if array.shape != wanted:
            raise QuestionError(field, f"must have {self.shape[0]} entries")
        return array

    def gradients(self, points: np.ndarray) -> np.ndarray:
        """∇L at a batch of points: (N,) for a scalar variable, (N, k, 1) for a vector."""
        n = points.shape[0]
        env = {name: (np.full(n, float(v)) if v.ndim == 0 else np.broadcast_to(v, (n, *v.shape)))
               for name, v in self.params.items()}
        env[self.variable] = points
        return gradient(self.tree, self.ns, env, {}, n, self.variable)

    def steps(self, points: np.ndarray, alphas: np.ndarray | float) -> np.ndarray:
        """One step from each point (each with its own α when ``alphas`` is an array)."""
        with np.errstate(all="ignore"):
            alphas = np.asarray(alphas, dtype=float)
            if alphas.ndim == 1 and points.ndim == 3:
                alphas = alphas[:, None, None]
            return points - alphas * self.gradients(points)

    def iterates(self, start: np.ndarray, alpha: float, count: int) -> np.ndarray:
        """w1 .. w_count from ``start``."""
        out, current = [], start[None, ...]
        for _ in range(count):
            current = self.steps(current, alpha)
            out.append(current[0])
        return np.array(out)

    # -- convergence ---------------------------------------------------------------------------
    def hessian(self) -> tuple[np.ndarray, np.ndarray]:
        """H and ∇L(0) of a quadratic loss, so that ∇L(w) = H w + ∇L(0); QuestionError otherwise."""
        if self._quadratic is None:
            self._quadratic = self._fit_quadratic()
        return self._quadratic

    def _fit_quadratic(self) -> tuple[np.ndarray, np.ndarray]:
        size = 1 if self.is_scalar else self.shape[0]
        basis = np.vstack([np.zeros(size), np.eye(size)])
        points = basis if not self.is_scalar else basis[:, 0]
        if not self.is_scalar:
            points = points[:, :, None]
        grads = self.gradients(points).reshape(size + 1, size)
        g0 = grads[0]
        hessian = (grads[1:] - g0).T
        rng = np.random.default_rng(0)
        probe = rng.uniform(-3, 3, (4, size))
        probe_points = probe[:, 0] if self.is_scalar else probe[:, :, None]
        actual = self.gradients(probe_points).reshape(4, size)
        predicted = probe @ hessian.T + g0
        scale = 1e-8 * (1 + np.abs(actual).max())
        if not np.all(np.isfinite(actual)) or np.abs(actual - predicted).max() > scale:
            raise QuestionError(("convergence_of", "loss"), "the loss is not quadratic in "
                                f"{self.variable}: its convergence range cannot be analysed")
        return (hessian + hessian.T) / 2, g0

    def convergence(self) -> tuple[IntervalSet, float]:
        """The step sizes for which descent converges to the minimiser from every start: (0, 2/λmax)."""
        hessian, _ = self.hessian()
        eigenvalues = np.linalg.eigvalsh(hessian)
        if eigenvalues.min() <= 1e-12 * max(1.0, abs(eigenvalues).max()):
            raise QuestionError(("convergence_of", "loss"), "the loss has no unique minimiser "
                                "(its Hessian is not positive definite): cannot analyse")
        largest = float(eigenvalues.max())
        return IntervalSet((Interval(0.0, 2.0 / largest, False, False),)), largest

    def behaviour(self, alpha: float) -> str:
        """What descent does at this step size, from the Hessian: converges, diverges, oscillates or stays."""
        hessian, _ = self.hessian()
        factors = 1.0 - alpha * np.linalg.eigvalsh(hessian)
        largest = np.abs(factors).max()
        if largest < 1 - 1e-9:
            return "converges"
        if largest > 1 + 1e-9:
            return "diverges"
        return "oscillates" if np.any(np.isclose(factors, -1.0, atol=1e-9)) else "stays"

    def simulate(self, alphas: np.ndarray, steps: int = 2000) -> list[str]:
        """What descent does at each step size, found by running it from a start off the minimiser."""
        with np.errstate(all="ignore"):
            return self._simulate(np.asarray(alphas, dtype=float), steps)

    def _simulate(self, alphas: np.ndarray, steps: int) -> list[str]:
        # On a quadratic loss one step is exactly w ← w − α (H w + g0); iterating that map for all
        # step sizes at once is the simulation, at numpy speed.
        hessian, g0 = self.hessian()
        size = hessian.shape[0]
        minimiser = np.linalg.solve(hessian, -g0)
        start = minimiser + np.linspace(1.0, 2.0, size)  # off the minimiser in every direction
        points = np.broadcast_to(start, (len(alphas), size)).copy()
        previous = halfway = points
        step = alphas[:, None]
        for index in range(steps):
            if index == steps // 2:
                halfway = points
            previous, points = points, points - step * (points @ hessian.T + g0)
        error0 = np.linalg.norm(start - minimiser)
        error = np.linalg.norm(points - minimiser, axis=1)
        error_half = np.linalg.norm(halfway - minimiser, axis=1)
        last_step = np.linalg.norm(points - previous, axis=1)
        result = []
        for i in range(len(alphas)):
            # Slow directions make the absolute error a poor judge; its trend over the second
            # half of the run tells shrinking from growing from neither.
            if not np.isfinite(error[i]) or error[i] > 10 * error0 or error[i] > 1.001 * error_half[i]:
                result.append("diverges")
            elif error[i] < 1e-6 * error0 or error[i] < 0.999 * error_half[i]:
                result.append("converges")
            elif last_step[i] > 1e-9 * error0:
                result.append("oscillates")  # still moving, neither closer nor further
            else:
                result.append("stays")
        return result

    def confirm(self, interval: IntervalSet, rng: np.random.Generator) -> None:
        """Check the analysed range by simulation at step sizes inside, outside and at the ends."""
        (part,) = interval.parts
        high = part.high
        inside = rng.uniform(0.1 * high, 0.9 * high, 3)
        outside = rng.uniform(1.1 * high, 2.0 * high, 2)
        alphas = np.concatenate([inside, outside, [0.0, high]])
        seen = self.simulate(alphas)
        expected = ["converges"] * 3 + ["diverges"] * 2 + ["stays", self.behaviour(high)]
        for alpha, got, want in zip(alphas, seen, expected):
            if got != want:
                raise QuestionError(("convergence_of",), f"simulating gradient descent at step "
                                    f"size {alpha:.4g} gives '{got}', but the analysis says "
                                    f"'{want}': cannot confirm the range")


def describe_number(value: float) -> str:
    """A step size or value as students would write it."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


__all__ = ["Descent", "LossSpec", "describe_number", "display", "param_value"]
