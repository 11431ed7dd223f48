"""Gradient descent on a rubric's loss: exact steps (forward-mode gradients of the parse tree),
the step sizes for which it converges (from the Hessian of a quadratic loss), and simulation to
confirm and to explain. Shared by the ``gd_iterates`` and ``interval`` kinds."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ...answers import SCALAR, AnswerError, Namespace, Symbol, gradient, infer_shape, parse
from ...answers.intervals import Interval, IntervalSet
from ...errors import QuestionError
from ...rubric import NAME, Strict, at, default
from .numbers import number_value

#: Relative step sizes of the finite differences behind ``Descent.hessians``, and how many
#: orders of Richardson extrapolation are tried on them.
_FD_STEPS = 0.1 * 0.5 ** np.arange(12)
_FD_ORDERS = 4
#: The relative accuracy a Hessian must reach for ``grader validate`` to be satisfied.
HESSIAN_RTOL = 1e-8

GREEK_DISPLAY = {"alpha": "α", "eta": "η", "beta": "β", "gamma": "γ", "lambda": "λ", "mu": "μ",
                 "tau": "τ", "epsilon": "ε"}


class LossSpec(Strict, kw_only=True):
    """A loss in the answer language, the variable it is minimised over, and fixed parameters."""

    loss: str
    variable: NAME
    params: dict[str, Any] = default(dict)
    #: The variable's shape, for a vector variable when no start point says it.
    shape: tuple[int, int] | None = None


class ConvergenceSpec(LossSpec, kw_only=True):
    """``convergence_of``: a loss, and the method whose convergence range is asked for."""

    method: Literal["gd", "momentum", "nesterov"] = "gd"
    beta: float | str | None = None

    def __post_init__(self) -> None:
        if self.method == "gd" and self.beta is not None:
            raise ValueError(at("beta") + "plain gradient descent (`method: gd`) has no β")
        if self.method != "gd" and self.beta is None:
            raise ValueError(at("beta") + f"required field is missing (method `{self.method}` "
                             "needs a momentum β)")


@dataclass(frozen=True)
class Momentum:
    """Which method a convergence analysis is about: plain gradient descent, heavy-ball momentum
    (w' = w − α∇L(w) + β(w − w_prev)) or Nesterov's (w' = y − α∇L(y), y = w + β(w − w_prev))."""

    method: str = "gd"
    beta: float = 0.0

    def noun(self) -> str:
        """How feedback names the method: "gradient descent with momentum β = 0.9"..."""
        if self.method == "gd":
            return "gradient descent"
        beta = describe_number(self.beta)
        return f"gradient descent with momentum β = {beta}" if self.method == "momentum" else \
            f"Nesterov's accelerated gradient with β = {beta}"

    def factor_bound(self) -> float:
        """The bound B such that the method converges on a quadratic iff 0 < αλ < B for every
        eigenvalue λ of its Hessian (Jury's test on each eigen-direction's recurrence)."""
        beta = self.beta
        if self.method == "gd":
            return 2.0
        if self.method == "momentum":
            # z² − (1 + β − αλ) z + β: roots inside the unit circle iff |β| < 1, 0 < αλ < 2(1 + β).
            if not -1 < beta < 1:
                raise QuestionError(("convergence_of", "beta"), "momentum converges for no step size "
                                    "unless −1 < β < 1")
            return 2.0 * (1.0 + beta)
        # z² − c(1 + β) z + cβ with c = 1 − αλ: for 0 ≤ β < 1, inside iff 0 < αλ < 2(1+β)/(1+2β).
        if not 0 <= beta < 1:
            raise QuestionError(("convergence_of", "beta"), "the convergence range of Nesterov "
                                "momentum is analysed for 0 ≤ β < 1")
        return 2.0 * (1.0 + beta) / (1.0 + 2.0 * beta)

    def characteristic(self, alpha_lambda: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(a1, a0) of z² + a1 z + a0, the recurrence of one eigen-direction's error."""
        beta = self.beta
        if self.method == "momentum":
            return -(1.0 + beta - alpha_lambda), np.full_like(alpha_lambda, beta)
        factor = 1.0 - alpha_lambda
        return -factor * (1.0 + beta), factor * beta


GRADIENT_DESCENT = Momentum()


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

    def param_env(self, n: int) -> dict[str, np.ndarray]:
        """The parameters' values for a batch of ``n`` points."""
        return {name: (np.full(n, float(v)) if v.ndim == 0 else np.broadcast_to(v, (n, *v.shape)))
                for name, v in self.params.items()}

    def gradients(self, points: np.ndarray) -> np.ndarray:
        """∇L at a batch of points: (N,) for a scalar variable, (N, k, 1) for a vector."""
        n = points.shape[0]
        env = self.param_env(n)
        env[self.variable] = points
        return gradient(self.tree, self.ns, env, {}, n, self.variable)

    def hessians(self, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """∇²L at a batch of points, (N,) or (N, k, k), with an error estimate (N,) for each.

        Central differences of the exact gradient at step sizes h, h/2, h/4, ..., extrapolated
        (Richardson/Romberg) to h → 0; for each point the extrapolation whose error estimate is
        smallest is kept. Exact up to rounding for quadratic losses (the gradient is linear), and
        typically to 1e-11 relative for smooth ones; ``grader validate`` reports an estimate
        worse than ``HESSIAN_RTOL`` relative.
        """
        scalar = self.is_scalar
        n = points.shape[0]
        size = 1 if scalar else self.shape[0]
        flat = np.asarray(points, dtype=float).reshape(n, size)
        steps = _FD_STEPS[None, :, None] * np.maximum(1.0, np.abs(flat))[:, None, :]  # (n, L, k)
        eye = np.eye(size)
        with np.errstate(all="ignore"):
            plus = flat[:, None, None, :] + steps[..., None] * eye    # (n, L, k, k): row i moved
            minus = flat[:, None, None, :] - steps[..., None] * eye
            width = (plus - minus)[..., np.arange(size), np.arange(size)]  # exact 2h as represented
            both = np.concatenate([plus, minus]).reshape(-1, size)
            grads = self.gradients(both[:, 0] if scalar else both[:, :, None])
            grads = grads.reshape(2, n, len(_FD_STEPS), size, size)
            # table[n, l, i, j] ≈ ∂g_j/∂w_i from step l; the error expands in even powers of h.
            table = (grads[0] - grads[1]) / width[..., None]
            best = np.full((n, size, size), np.nan)
            error = np.full(n, np.inf)
            previous = table
            for order in range(1, _FD_ORDERS + 1):
                factor = 4.0 ** order - 1.0
                current = previous[:, 1:] + (previous[:, 1:] - previous[:, :-1]) / factor
                # Two estimates of the error: against the same step's lower order, and against
                # the next-larger step's extrapolation of this order.
                change = np.abs(current - previous[:, 1:]).max(axis=(2, 3))
                if current.shape[1] > 1:
                    drift = np.abs(current[:, 1:] - current[:, :-1]).max(axis=(2, 3))
                    change[:, 1:] = np.maximum(change[:, 1:], drift)
                change[~(np.isfinite(current).all(axis=(2, 3)) & np.isfinite(change))] = np.inf
                pick = np.argmin(change, axis=1)
                rows = np.arange(n)
                better = change[rows, pick] < error
                best[better] = current[rows, pick][better]
                error[better] = change[rows, pick][better]
                previous = current
            hessian = (best + best.swapaxes(1, 2)) / 2
            # Rounding in the differences sets a floor under the error, whatever the table says:
            # about ε·|∇L| / h at the finest step.
            finest = _FD_STEPS[-1] * np.maximum(1.0, np.abs(flat)).min(axis=1)
            size_of_gradient = np.where(np.isfinite(grads), np.abs(grads), 0.0).max(axis=(0, 2, 3, 4))
            error = np.maximum(error, 4 * np.finfo(float).eps * size_of_gradient / finest)
        if scalar:
            return hessian[:, 0, 0], error
        return hessian, error

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

    def convergence(self, momentum: Momentum = GRADIENT_DESCENT) -> tuple[IntervalSet, float]:
        """The step sizes for which the method converges to the minimiser from every start:
        (0, 2/λmax) for gradient descent, (0, B/λmax) with ``Momentum.factor_bound`` otherwise."""
        hessian, _ = self.hessian()
        eigenvalues = np.linalg.eigvalsh(hessian)
        if eigenvalues.min() <= 1e-12 * max(1.0, abs(eigenvalues).max()):
            raise QuestionError(("convergence_of", "loss"), "the loss has no unique minimiser "
                                "(its Hessian is not positive definite): cannot analyse")
        largest = float(eigenvalues.max())
        high = momentum.factor_bound() / largest
        return IntervalSet((Interval(0.0, high, False, False),)), largest

    def behaviour(self, alpha: float, momentum: Momentum = GRADIENT_DESCENT) -> str:
        """What the method does at this step size, from the Hessian: converges, diverges,
        oscillates or stays."""
        hessian, _ = self.hessian()
        eigenvalues = np.linalg.eigvalsh(hessian)
        if momentum.method == "gd":
            factors = 1.0 - alpha * eigenvalues
            largest = np.abs(factors).max()
            if largest < 1 - 1e-9:
                return "converges"
            if largest > 1 + 1e-9:
                return "diverges"
            return "oscillates" if np.any(np.isclose(factors, -1.0, atol=1e-9)) else "stays"
        a1, a0 = momentum.characteristic(alpha * eigenvalues)
        roots = np.concatenate([np.roots([1.0, b, c]) for b, c in zip(a1, a0)])
        largest = np.abs(roots).max()
        if largest < 1 - 1e-9:
            return "converges"
        if largest > 1 + 1e-9:
            return "diverges"
        return "oscillates" if np.any(np.abs(roots + 1.0) < 1e-6) else "stays"

    def simulate(self, alphas: np.ndarray, steps: int = 2000,
                 momentum: Momentum = GRADIENT_DESCENT) -> list[str]:
        """What the method does at each step size, found by running it."""
        with np.errstate(all="ignore"):
            alphas = np.asarray(alphas, dtype=float)
            if momentum.method == "gd":
                return self._simulate(alphas, steps)
            return self._simulate_two_step(alphas, momentum)

    def _simulate(self, alphas: np.ndarray, steps: int) -> list[str]:
        # On a quadratic loss one step is exactly e ← (I − αH) e for the error e = w − w*; in H's
        # eigenbasis each component is multiplied by 1 − αλ, so the error after k steps is known
        # in closed form, for all step sizes at once (no loop of `steps` small numpy calls: this
        # runs whenever an interval question is prepared, once per version of it).
        hessian, g0 = self.hessian()
        size = hessian.shape[0]
        minimiser = np.linalg.solve(hessian, -g0)
        start = minimiser + np.linspace(1.0, 2.0, size)  # off the minimiser in every direction
        eigenvalues, vectors = np.linalg.eigh(hessian)
        e0 = vectors.T @ (start - minimiser)
        factors = 1.0 - alphas[:, None] * eigenvalues[None, :]

        def after(k: int) -> np.ndarray:
            return factors ** k * e0

        error0 = np.linalg.norm(start - minimiser)
        error = np.linalg.norm(after(steps), axis=1)
        error_half = np.linalg.norm(after(steps // 2), axis=1)
        last_step = np.linalg.norm(after(steps - 1) * (factors - 1.0), axis=1)
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

    def _simulate_two_step(self, alphas: np.ndarray, momentum: Momentum) -> list[str]:
        # With momentum the error e_k = w_k − w* follows e_{k+1} = A e_k + B e_{k−1}: the state
        # (e_k, e_{k−1}) is multiplied by M = [[A, B], [I, 0]] each step. Running 2^11 steps from
        # every start at once is M^2048, reached by squaring (normalised, the scale kept as a
        # logarithm); a snapshot of one run could catch a spiralling error near a zero.
        hessian, _ = self.hessian()
        size = hessian.shape[0]
        eye = np.eye(size)
        beta = momentum.beta
        contraction = eye - alphas[:, None, None] * hessian  # I − αH
        if momentum.method == "momentum":
            a = contraction + beta * eye
            b = np.broadcast_to(-beta * eye, a.shape)
        else:
            a, b = (1 + beta) * contraction, -beta * contraction
        top = np.concatenate([a, b], axis=2)
        bottom = np.broadcast_to(np.concatenate([eye, 0 * eye], axis=1), top.shape)
        matrix = np.concatenate([top, bottom], axis=1)
        scale = np.linalg.norm(matrix, axis=(1, 2))
        power, log_norm, logs = matrix / scale[:, None, None], np.log(scale), []
        for _ in range(11):
            power = power @ power
            scale = np.linalg.norm(power, axis=(1, 2))
            power = power / scale[:, None, None]
            log_norm = 2 * log_norm + np.log(scale)
            logs.append(log_norm)
        growth = logs[-1] - logs[-2]  # log(‖M^2048‖ / ‖M^1024‖)
        moved = np.linalg.norm(matrix @ power - power, axis=(1, 2))
        result = []
        for i in range(len(alphas)):
            if not np.isfinite(growth[i]) or growth[i] > math.log(1.001):
                result.append("diverges")
            elif growth[i] < math.log(0.999):
                result.append("converges")
            else:
                result.append("oscillates" if moved[i] > 1e-6 else "stays")
        return result

    def confirm(self, interval: IntervalSet, rng: np.random.Generator,
                momentum: Momentum = GRADIENT_DESCENT) -> None:
        """Check the analysed range by simulation at step sizes inside, outside and at the ends."""
        (part,) = interval.parts
        high = part.high
        inside = rng.uniform(0.1 * high, 0.9 * high, 3)
        outside = rng.uniform(1.1 * high, 2.0 * high, 2)
        alphas = np.concatenate([inside, outside, [0.0, high]])
        seen = self.simulate(alphas, momentum=momentum)
        expected = ["converges"] * 3 + ["diverges"] * 2 + ["stays", self.behaviour(high, momentum)]
        for alpha, got, want in zip(alphas, seen, expected):
            if got != want:
                raise QuestionError(("convergence_of",), f"simulating {momentum.noun()} at step "
                                    f"size {alpha:.4g} gives '{got}', but the analysis says "
                                    f"'{want}': cannot confirm the range")


def describe_number(value: float) -> str:
    """A step size or value as students would write it."""
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return f"{value:.6g}"


__all__ = ["GRADIENT_DESCENT", "HESSIAN_RTOL", "ConvergenceSpec", "Descent", "LossSpec", "Momentum",
           "describe_number", "display", "param_value"]
