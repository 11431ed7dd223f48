"""The convergence `interval` for heavy-ball momentum and Nesterov on quadratic losses, checked
against step sizes simulated by a loop written here."""

from __future__ import annotations

import numpy as np
import pytest
import yaml

from grader.errors import RubricError
from grader.kinds.support.descent import Descent, LossSpec, Momentum
from grader.pipeline import load, load_rubric, prepare, validate

X = np.array([[1.0, 2.0], [0.0, 1.0]])
Y = np.array([1.0, 1.0])
LOSSES = {
    "scalar": ({"loss": "(w x - y)^2 / 2", "variable": "w", "params": {"x": 1, "y": 100}},
               np.array([[1.0]]), np.array([-100.0])),
    "vector": ({"loss": "norm(X w - y)^2 / 2", "variable": "w", "params": {"X": X.tolist(), "y": Y.tolist()}},
               X.T @ X, -X.T @ Y),
}


def simulate(method: str, hessian, g0, alpha: float, beta: float, steps: int = 3000) -> float:
    """Distance to the minimiser after ``steps`` steps (position forms), from off the minimiser."""
    minimiser = np.linalg.solve(hessian, -g0)
    w = previous = minimiser + np.linspace(1.0, 2.0, len(g0))
    with np.errstate(all="ignore"):
        for _ in range(steps):
            if method == "momentum":
                w, previous = w - alpha * (hessian @ w + g0) + beta * (w - previous), w
            else:
                y = w + beta * (w - previous)
                w, previous = y - alpha * (hessian @ y + g0), w
        distance = float(np.linalg.norm(w - minimiser))
    return distance if np.isfinite(distance) else np.inf


def interval_question(spec: dict, **convergence) -> dict:
    return {"id": "q", "kind": "interval", "points": 2, "variable": "alpha",
            "convergence_of": {**spec, **convergence}}


def prepared(tmp_path, question: dict):
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump({"title": "t", "questions": [question]}, sort_keys=False))
    rubric, kinds = load(path)
    return kinds["q"], validate(rubric, kinds)


@pytest.mark.parametrize("shape", ["scalar", "vector"])
@pytest.mark.parametrize("method, beta", [("momentum", 0.9), ("momentum", 0.5), ("momentum", -0.3),
                                          ("nesterov", 0.9), ("nesterov", 0.0), ("nesterov", 0.5)])
def test_the_range_is_where_a_hand_written_loop_converges(tmp_path, shape, method, beta):
    spec, hessian, g0 = LOSSES[shape]
    checker, problems = prepared(tmp_path, interval_question(spec, method=method, beta=beta))
    assert problems == []
    (part,) = checker.reference.parts
    assert part.low == 0 and not part.low_closed and not part.high_closed
    high = part.high
    start = simulate(method, hessian, g0, 0.0, beta, steps=0)
    assert simulate(method, hessian, g0, 0.97 * high, beta) < 1e-6 * start
    assert simulate(method, hessian, g0, 0.5 * high, beta) < 1e-6 * start
    assert simulate(method, hessian, g0, 1.03 * high, beta) > 1e3 * start
    # And the closed forms: 2(1 + β)/λmax, and 2(1 + β)/((1 + 2β) λmax) for Nesterov.
    largest = np.linalg.eigvalsh(hessian).max()
    bound = 2 * (1 + beta) if method == "momentum" else 2 * (1 + beta) / (1 + 2 * beta)
    assert high == pytest.approx(bound / largest, rel=1e-12)


def test_answers_and_feedback_name_the_method(tmp_path):
    spec, _, _ = LOSSES["scalar"]
    checker, _ = prepared(tmp_path, interval_question(spec, method="momentum", beta=0.5))
    assert checker.check("(0, 3)").status == "correct"
    assert checker.check("0 < alpha < 3").status == "correct"
    upper = checker.check("(0, 3]")
    assert upper.status == "partial"
    assert upper.feedback.endswith("at α = 3 gradient descent with momentum β = 0.5 oscillates")
    narrow = checker.check("(0, 2)")  # plain gradient descent's range
    assert narrow.status == "incorrect"
    assert narrow.feedback == ("at α = 2.5 gradient descent with momentum β = 0.5 converges, "
                               "but your set leaves it out")
    wide = checker.check("(0, 4)")
    assert "your set includes α = 3.5, but there gradient descent with momentum β = 0.5 diverges" \
        == wide.feedback
    nesterov, _ = prepared(tmp_path, interval_question(spec, method="nesterov", beta=0.5))
    assert nesterov.check("(0, 1.5)").status == "correct"
    assert "Nesterov's accelerated gradient with β = 0.5 diverges" in nesterov.check("(0, 2)").feedback


def test_behaviour_by_analysis_and_by_simulation_agree_with_momentum():
    descent = Descent(LossSpec(loss="norm(X w - y)^2 / 2", variable="w",
                               params={"X": X.tolist(), "y": Y.tolist()}))
    for momentum in (Momentum("momentum", 0.8), Momentum("nesterov", 0.8)):
        interval, _ = descent.convergence(momentum)
        high = interval.parts[0].high
        alphas = np.array([0.0, 0.3 * high, 0.99 * high, high, 1.01 * high, 3 * high])
        expected = ["stays", "converges", "converges", "oscillates", "diverges", "diverges"]
        assert descent.simulate(alphas, momentum=momentum) == expected
        assert [descent.behaviour(a, momentum) for a in alphas] == expected


@pytest.mark.parametrize("convergence, field, message", [
    ({"method": "momentum"}, "convergence_of.beta", "required field is missing"),
    ({"beta": 0.5}, "convergence_of.beta", "has no β"),
    ({"method": "momentum", "beta": 1}, "convergence_of.beta", "unless −1 < β < 1"),
    ({"method": "nesterov", "beta": -0.5}, "convergence_of.beta", "0 ≤ β < 1"),
    ({"method": "nesterov", "beta": "zz"}, "convergence_of.beta", "unknown name `zz`"),
    ({"method": "newton", "beta": 0.5}, "convergence_of.method", "not an allowed value"),
])
def test_convergence_fields_are_checked_and_located(tmp_path, convergence, field, message):
    spec, _, _ = LOSSES["scalar"]
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump({"title": "t", "questions": [interval_question(spec, **convergence)]},
                                   sort_keys=False))
    with pytest.raises(RubricError) as caught:
        prepare(load_rubric(path))
    (problem,) = caught.value.problems
    assert f"questions[0].{field}: " in problem, problem
    assert message in problem, problem
