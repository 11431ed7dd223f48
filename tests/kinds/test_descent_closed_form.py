"""Gradient descent on a quadratic is simulated in closed form (the error's components in the
Hessian's eigenbasis times (1 − αλ)^k): the verdicts are those of running the steps one by one."""

from __future__ import annotations

import numpy as np
import pytest

from grader.kinds.support.descent import Descent, LossSpec


def _stepped(descent: Descent, alphas: np.ndarray, steps: int = 2000) -> list[str]:
    """The simulation as a loop of steps (the definition the closed form must agree with)."""
    hessian, g0 = descent.hessian()
    size = hessian.shape[0]
    minimiser = np.linalg.solve(hessian, -g0)
    start = minimiser + np.linspace(1.0, 2.0, size)
    points = np.broadcast_to(start, (len(alphas), size)).copy()
    previous = halfway = points
    with np.errstate(all="ignore"):
        for index in range(steps):
            if index == steps // 2:
                halfway = points
            previous, points = points, points - alphas[:, None] * (points @ hessian.T + g0)
        error0 = np.linalg.norm(start - minimiser)
        error = np.linalg.norm(points - minimiser, axis=1)
        half = np.linalg.norm(halfway - minimiser, axis=1)
        last = np.linalg.norm(points - previous, axis=1)
    out = []
    for i in range(len(alphas)):
        if not np.isfinite(error[i]) or error[i] > 10 * error0 or error[i] > 1.001 * half[i]:
            out.append("diverges")
        elif error[i] < 1e-6 * error0 or error[i] < 0.999 * half[i]:
            out.append("converges")
        elif last[i] > 1e-9 * error0:
            out.append("oscillates")
        else:
            out.append("stays")
    return out


@pytest.mark.parametrize("case", range(12))
def test_closed_form_simulation_agrees_with_stepping(case):
    rng = np.random.default_rng(case)
    size = 1 + case % 4
    if size == 1:
        x, y = rng.uniform(0.5, 3), rng.uniform(-50, 50)
        descent = Descent(LossSpec(loss="(w x - y)^2 / 2", variable="w", params={"x": x, "y": y}), 0)
    else:
        a = rng.normal(size=(size + 1, size))
        b = rng.normal(size=size + 1)
        descent = Descent(LossSpec(loss="norm(A w - b)^2 / 2", variable="w",
                                   params={"A": a.tolist(), "b": b.tolist()}), [0] * size)
    interval, largest = descent.convergence()
    high = interval.parts[0].high
    alphas = np.concatenate([[0.0, high, high * (1 - 1e-12), high * (1 + 1e-12)],
                             rng.uniform(0, 2 * high, 40), high * np.array([0.5, 0.999, 1.001, 3])])
    assert descent.simulate(alphas) == _stepped(descent, alphas)
