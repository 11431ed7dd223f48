"""Descent methods beyond plain gradient descent: momentum, Nesterov, Newton and custom updates.

Every expected iterate here comes from a numpy loop written in the test (position forms of
momentum and Nesterov, analytic Hessians for Newton), never from the code under test.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import numpy as np
import pytest
import yaml

from grader.errors import RubricError
from grader.kinds.support.descent import Descent, LossSpec
from grader.pipeline import load, load_rubric, prepare, validate

ALPHA, BETA = 0.1, 0.9
X = np.array([[1.0, 2.0], [0.0, 1.0]])
Y = np.array([1.0, 1.0])


def question(**fields) -> dict:
    base = {"id": "q", "kind": "gd_iterates", "points": 4}
    return {**base, **fields}


def rubric_file(tmp_path: Path, *questions: dict) -> Path:
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump({"title": "t", "questions": list(questions)}, sort_keys=False,
                                   allow_unicode=True))
    return path


def prepared(tmp_path: Path, **fields):
    rubric, kinds = load(rubric_file(tmp_path, question(**fields)))
    return kinds["q"], validate(rubric, kinds)


# -- the problems, with gradients and Hessians written by hand ----------------------------------
SCALAR = dict(loss="(w x - y)^2 / 2", variable="w", params={"x": 1, "y": 100}, start=0)
VECTOR = dict(loss="norm(X w - y)^2 / 2", variable="w", params={"X": X.tolist(), "y": Y.tolist()},
              start=[0, 0])


def grad_scalar(w):
    return w - 100.0


def grad_vector(w):
    return X.T @ (X @ w - Y)


PROBLEMS = {"scalar": (SCALAR, grad_scalar, 0.0), "vector": (VECTOR, grad_vector, np.zeros(2))}


def heavy_ball(grad, start, alpha, beta, steps):
    """w_{k+1} = w_k − α ∇L(w_k) + β (w_k − w_{k−1}), w_{−1} = w_0."""
    out, previous, w = [], start, start
    for _ in range(steps):
        previous, w = w, w - alpha * grad(w) + beta * (w - previous)
        out.append(w)
    return out


def nesterov(grad, start, alpha, beta, steps):
    """y = w_k + β (w_k − w_{k−1}); w_{k+1} = y − α ∇L(y)."""
    out, previous, w = [], start, start
    for _ in range(steps):
        y = w + beta * (w - previous)
        previous, w = w, y - alpha * grad(y)
        out.append(w)
    return out


def plain(grad, start, alpha, beta, steps):
    out, w = [], start
    for _ in range(steps):
        w = w - alpha * grad(w)
        out.append(w)
    return out


LOOPS = {"gd": plain, "momentum": heavy_ball, "nesterov": nesterov}


def as_answer(values) -> list:
    return [[repr(float(x)) for x in np.ravel(v)] if np.ndim(v) else repr(float(v)) for v in values]


def method_fields(method: str) -> dict:
    fields = {"method": method, "alpha": ALPHA, "steps": 5}
    if method != "gd":
        fields["beta"] = BETA
    return fields


@pytest.mark.parametrize("shape", ["scalar", "vector"])
@pytest.mark.parametrize("method", ["gd", "momentum", "nesterov"])
def test_first_order_methods_match_a_hand_written_loop(tmp_path, method, shape):
    spec, grad, start = PROBLEMS[shape]
    checker, problems = prepared(tmp_path, **spec, **method_fields(method))
    assert problems == []
    expected = LOOPS[method](grad, start, ALPHA, BETA, 5)
    np.testing.assert_allclose(np.array(checker.truth).reshape(5, -1),
                               np.array(expected).reshape(5, -1), rtol=1e-12, atol=1e-12)
    assert checker.check(as_answer(expected)).status == "correct"
    # The plain gradient-descent iterates are not momentum iterates, after the first.
    if method != "gd":
        outcome = checker.check(as_answer(plain(grad, start, ALPHA, BETA, 5)))
        assert outcome.fraction == pytest.approx(1 / 5), outcome


def test_momentum_iterates_by_hand():
    # α = 0.5, β = 0.9 on (w - 100)^2 / 2 from 0: 50, then 50 + 0.9·50 − 0.5·(−50) = 120, ...
    assert heavy_ball(grad_scalar, 0.0, 0.5, 0.9, 3) == [50.0, 120.0, 173.0]


# -- Newton ---------------------------------------------------------------------------------------
A_LOG = np.array([[1.0, 2.0], [0.0, 1.0], [1.0, -1.0]])
Y_LOG = np.array([1.0, -1.0, 1.0])
LOGISTIC = dict(loss="sum(log(exp(0 y) + exp(-hadamard(y, A w)))) + w^T w / 2", variable="w",
                params={"A": A_LOG.tolist(), "y": Y_LOG.tolist()}, start=[0, 0])


def logistic_grad_hess(w):
    margin = Y_LOG * (A_LOG @ w)
    s = 1 / (1 + np.exp(-margin))
    grad = -A_LOG.T @ (Y_LOG * (1 - s)) + w
    hess = (A_LOG.T * (s * (1 - s))) @ A_LOG + np.eye(2)
    return grad, hess


def newton_loop(grad_hess, start, alpha, steps):
    out, w = [], start
    for _ in range(steps):
        g, h = grad_hess(w)
        w = w - alpha * np.linalg.solve(np.atleast_2d(h), np.atleast_1d(g)).reshape(np.shape(w))
        out.append(w)
    return out


SCALAR_NEWTON = dict(loss="exp(w) - 2 w + w^2 / 2", variable="w", start=0)


def scalar_grad_hess(w):
    return np.exp(w) - 2 + w, np.exp(w) + 1


@pytest.mark.parametrize("alpha", [None, 0.5])
@pytest.mark.parametrize("shape", ["scalar", "vector"])
def test_newton_matches_analytic_hessians(tmp_path, shape, alpha):
    spec, grad_hess, start = ((SCALAR_NEWTON, scalar_grad_hess, 0.0) if shape == "scalar"
                              else (LOGISTIC, logistic_grad_hess, np.zeros(2)))
    fields = {"method": "newton", "steps": 4, **({} if alpha is None else {"alpha": alpha})}
    checker, problems = prepared(tmp_path, **spec, **fields)
    assert problems == []
    expected = newton_loop(grad_hess, start, 1.0 if alpha is None else alpha, 4)
    np.testing.assert_allclose(np.array(checker.truth).reshape(4, -1),
                               np.array(expected).reshape(4, -1), rtol=1e-10, atol=1e-12)
    assert checker.check(as_answer(expected)).status == "correct"


def test_hessians_are_accurate_to_far_better_than_1e_8():
    rng = np.random.default_rng(3)
    logistic = Descent(LossSpec(**{k: v for k, v in LOGISTIC.items() if k != "start"}), [0, 0])
    points = rng.uniform(-2, 2, (6, 2, 1))
    hessians, errors = logistic.hessians(points)
    for point, hessian, error in zip(points, hessians, errors):
        exact = logistic_grad_hess(point[:, 0])[1]
        assert np.abs(hessian - exact).max() <= 1e-10 * np.abs(exact).max()
        assert error <= 1e-8 * np.abs(exact).max()
    for loss, exact in [("exp(3 w)", lambda w: 9 * np.exp(3 * w)), ("w^4", lambda w: 12 * w ** 2),
                        ("log(w)", lambda w: -1 / w ** 2), ("sqrt(w)", lambda w: -0.25 * w ** -1.5)]:
        descent = Descent(LossSpec(loss=loss, variable="w"), 0.0)
        points = np.array([0.05, 0.7, 1.9, 25.0])
        values, _ = descent.hessians(points)
        np.testing.assert_allclose(values, exact(points), rtol=1e-10)


def test_newton_singular_hessian_is_a_validation_problem_and_named_in_feedback(tmp_path):
    checker, problems = prepared(tmp_path, loss="w^3 / 3 - w", variable="w", start=0,
                                 method="newton", steps=2)
    assert len(problems) == 1
    assert "questions[0]: w1 cannot be computed: at w0 = 0 the Hessian is singular there" in problems[0]
    outcome = checker.check(["1", "1"])
    assert outcome.feedback.startswith("w1 cannot follow from the start w0 = 0: the Hessian is singular there")
    checker, problems = prepared(tmp_path, loss="w^3 / 3 - w", variable="w", start=2,
                                 method="newton", steps=3)
    assert problems == []
    # Newton from 2: w1 = 2 − 3/4 = 1.25. From a student's w1 = 0 no Newton step exists (w2 is
    # wrong whatever it is); from their w2 = 1, w3 = 1 follows (the minimiser).
    outcome = checker.check(["0", "1", "1"])
    assert outcome.fraction == pytest.approx(1 / 3)
    assert outcome.feedback.startswith("w1 does not follow from the start w0 = 2 by a Newton step")
    singular_point = checker.candidates([np.array(0.0), np.array(1.0)])[1]
    assert not np.isfinite(singular_point).any()


def test_newton_on_a_loss_without_a_second_derivative_is_reported(tmp_path):
    _, problems = prepared(tmp_path, loss="abs(w) + w^2", variable="w", start=0, method="newton",
                           steps=2)
    assert any("Hessian at w0 = 0 is known only to about" in p for p in problems), problems


# -- custom updates -------------------------------------------------------------------------------
def custom(spec: dict, **fields) -> dict:
    return {**spec, "kind": "iterates", "method": "custom", **fields}


@pytest.mark.parametrize("shape", ["scalar", "vector"])
def test_custom_momentum_equals_the_heavy_ball_loop(tmp_path, shape):
    spec, grad, start = PROBLEMS[shape]
    fields = custom(spec, alpha=ALPHA, beta=BETA, steps=5, state={"v": 0},
                    update={"v": "beta v + grad", "w": "w - alpha v"})
    checker, problems = prepared(tmp_path, **fields)
    assert problems == []
    expected = heavy_ball(grad, start, ALPHA, BETA, 5)
    np.testing.assert_allclose(np.array(checker.truth).reshape(5, -1),
                               np.array(expected).reshape(5, -1), rtol=1e-12, atol=1e-12)


def test_custom_lines_run_in_order_with_the_newest_values(tmp_path):
    # w first, then v from the new w: v1 = w1 (not w0); w2 = w1 − α grad(w1) + v1.
    spec, grad, _ = PROBLEMS["scalar"]
    checker, _ = prepared(tmp_path, **custom(spec, alpha=0.5, steps=3, state={"v": 0},
                                             update={"w": "w - alpha grad + v", "v": "w / 10"}))
    w, v, expected = 0.0, 0.0, []
    for _ in range(3):
        w = w - 0.5 * grad(w) + v
        v = w / 10
        expected.append(w)
    np.testing.assert_allclose(checker.truth, expected, rtol=1e-12)


def test_custom_grad_is_at_the_variable_not_at_other_names(tmp_path):
    # p is a half step, but grad stays the gradient at w (which p does not change).
    spec, grad, _ = PROBLEMS["scalar"]
    checker, _ = prepared(tmp_path, **custom(spec, alpha=0.25, steps=2, state={"p": 0},
                                             update={"p": "w - alpha grad", "w": "p - alpha grad"}))
    w, expected = 0.0, []
    for _ in range(2):
        w = w - 2 * 0.25 * grad(w)
        expected.append(w)
    assert checker.truth.tolist() == expected


def test_custom_with_hess_and_a_scalar_state(tmp_path):
    # Newton written out with hess, on a vector variable; then AdaGrad-norm with a scalar state G.
    checker, problems = prepared(tmp_path, **custom(LOGISTIC, alpha=1, steps=3,
                                                    update={"w": "w - alpha inv(hess) grad"}))
    assert problems == []
    expected = newton_loop(logistic_grad_hess, np.zeros(2), 1.0, 3)
    np.testing.assert_allclose(np.array(checker.truth)[..., 0], expected, rtol=1e-10)
    checker, problems = prepared(tmp_path, **custom(VECTOR, alpha=0.5, steps=3, state={"G": 0},
                                                    update={"G": "G + norm(grad)^2",
                                                            "w": "w - alpha grad / sqrt(G)"}))
    assert problems == []
    w, G, expected = np.zeros(2), 0.0, []
    for _ in range(3):
        g = grad_vector(w)
        G += g @ g
        w = w - 0.5 * g / np.sqrt(G)
        expected.append(w)
    np.testing.assert_allclose(np.array(checker.truth)[..., 0], expected, rtol=1e-12)
    assert checker.check(as_answer(expected)).status == "correct"


def test_custom_scalar_hess_is_a_number(tmp_path):
    checker, _ = prepared(tmp_path, **custom(SCALAR_NEWTON, steps=3, update={"w": "w - grad / hess"}))
    expected = newton_loop(scalar_grad_hess, 0.0, 1.0, 3)
    np.testing.assert_allclose(checker.truth, np.ravel(expected), rtol=1e-10)


def test_the_general_kind_name_and_the_old_one_agree(tmp_path):
    spec = {**SCALAR, **method_fields("momentum")}
    a, _ = prepared(tmp_path, **spec)
    b, _ = prepared(tmp_path, **{**spec, "kind": "iterates"})
    assert a.truth.tolist() == b.truth.tolist()


# -- follow-through: one slip costs one step ------------------------------------------------------
def slipped_heavy_ball(grad, start, alpha, beta, steps, slip_at, slip_in):
    """A student working in velocity form (v ← β v − α ∇L(w), w ← w + v) who adds 1 to one line
    at step ``slip_at`` and carries on correctly from their own numbers."""
    out, w, v = [], start, start * 0
    for k in range(1, steps + 1):
        v = beta * v - alpha * grad(w) + (1.0 if (k == slip_at and slip_in == "v") else 0.0)
        w = w + v + (1.0 if (k == slip_at and slip_in == "w") else 0.0)
        out.append(w)
    return out


def slipped_position_form(loop_step, start, steps, slip_at):
    """A student using the two-iterate form who adds 1 to w at step ``slip_at``."""
    out, previous, w = [], start, start
    for k in range(1, steps + 1):
        previous, w = w, loop_step(w, previous) + (1.0 if k == slip_at else 0.0)
        out.append(w)
    return out


@pytest.mark.parametrize("shape", ["scalar", "vector"])
@pytest.mark.parametrize("slip_at", [1, 2, 4])
@pytest.mark.parametrize("slip_in", ["v", "w"])
def test_momentum_slip_in_either_line_costs_one_step(tmp_path, shape, slip_at, slip_in):
    spec, grad, start = PROBLEMS[shape]
    for fields in (method_fields("momentum"),
                   custom({}, alpha=ALPHA, beta=BETA, steps=5, state={"v": 0},
                          update={"v": "beta v - alpha grad", "w": "w + v"}),
                   custom({}, alpha=ALPHA, beta=BETA, steps=5, state={"v": 0},
                          update={"v": "beta v + grad", "w": "w - alpha v"})):
        checker, _ = prepared(tmp_path, **spec, **fields)
        answer = slipped_heavy_ball(grad, start, ALPHA, BETA, 5, slip_at, slip_in)
        outcome = checker.check(as_answer(answer))
        assert outcome.fraction == pytest.approx(4 / 5), (fields["method"], outcome)
        assert outcome.feedback.startswith(f"w{slip_at} does not follow from ")


@pytest.mark.parametrize("method", ["momentum", "nesterov"])
@pytest.mark.parametrize("shape", ["scalar", "vector"])
def test_two_iterate_form_slip_costs_one_step(tmp_path, method, shape):
    spec, grad, start = PROBLEMS[shape]
    checker, _ = prepared(tmp_path, **spec, **method_fields(method))
    if method == "momentum":
        def step(w, previous):
            return w - ALPHA * grad(w) + BETA * (w - previous)
    else:
        def step(w, previous):
            y = w + BETA * (w - previous)
            return y - ALPHA * grad(y)
    for slip_at in range(1, 6):
        outcome = checker.check(as_answer(slipped_position_form(step, start, 5, slip_at)))
        assert outcome.fraction == pytest.approx(4 / 5), (slip_at, outcome)


def test_nesterov_velocity_form_slip_in_w_costs_one_step(tmp_path):
    spec, grad, start = PROBLEMS["vector"]
    checker, _ = prepared(tmp_path, **spec, **method_fields("nesterov"))
    w, v, answer = start, start * 0, []
    for k in range(1, 6):
        v = BETA * v - ALPHA * grad(w + BETA * v)
        w = w + v + (1.0 if k == 3 else 0.0)
        answer.append(w)
    outcome = checker.check(as_answer(answer))
    assert outcome.fraction == pytest.approx(4 / 5)
    assert outcome.feedback.startswith("w3 does not follow from your w2 = ")
    assert "with Nesterov momentum β = 0.9" in outcome.feedback


@pytest.mark.parametrize("shape", ["scalar", "vector"])
def test_newton_slip_costs_one_step(tmp_path, shape):
    spec, grad_hess, start = ((SCALAR_NEWTON, scalar_grad_hess, 0.0) if shape == "scalar"
                              else (LOGISTIC, logistic_grad_hess, np.zeros(2)))
    checker, _ = prepared(tmp_path, **spec, method="newton", steps=4)
    w, answer = start, []
    for k in range(1, 5):
        g, h = grad_hess(w)
        step = np.linalg.solve(np.atleast_2d(h), np.atleast_1d(g)).reshape(np.shape(w))
        w = w - step + (0.5 if k == 2 else 0.0)
        answer.append(w)
    outcome = checker.check(as_answer(answer))
    assert outcome.fraction == pytest.approx(3 / 4)
    assert outcome.feedback.startswith("w2 does not follow from your w1 = ")
    assert outcome.feedback.endswith("by a Newton step")


def test_custom_slip_in_the_variable_with_a_carried_scalar_state_costs_one_step(tmp_path):
    # AdaGrad-norm: G cannot be read back from the iterates, but a slip in w alone leaves the
    # student's G as the method carries it from their own iterates.
    checker, _ = prepared(tmp_path, **custom(VECTOR, alpha=0.5, steps=4, state={"G": 0},
                                             update={"G": "G + norm(grad)^2",
                                                     "w": "w - alpha grad / sqrt(G)"}))
    w, G, answer = np.zeros(2), 0.0, []
    for k in range(1, 5):
        g = grad_vector(w)
        G += g @ g
        w = w - 0.5 * g / np.sqrt(G) + (0.25 if k == 2 else 0.0)
        answer.append(w)
    outcome = checker.check(as_answer(answer))
    assert outcome.fraction == pytest.approx(3 / 4)
    assert outcome.feedback.startswith("w2 does not follow from your w1 = ")


def test_momentum_feedback_names_both_iterates_and_never_the_expected_value(tmp_path):
    checker, _ = prepared(tmp_path, **SCALAR, method="momentum", alpha=0.5, beta=0.9, steps=4)
    truth = heavy_ball(grad_scalar, 0.0, 0.5, 0.9, 4)  # 50, 120, 173, 184.2
    outcome = checker.check(["50", "120", "170", "180"])  # w4 = 170 − 0.5·70 + 0.9·50
    assert outcome.fraction == pytest.approx(3 / 4)
    assert outcome.feedback == "w3 does not follow from your w2 = 120 and w1 = 50 with momentum β = 0.9"
    outcome = checker.check(["50", "100", "160", "180"])
    assert outcome.feedback.startswith(
        "w2 does not follow from your w1 = 50 and the start w0 = 0 with momentum β = 0.9")
    for value in truth[1:]:
        assert not re.search(rf"(?<![\w.]){value:g}(?![\w.])", outcome.feedback)


def test_without_follow_through_a_slip_costs_every_later_step(tmp_path):
    spec, grad, start = PROBLEMS["scalar"]
    checker, _ = prepared(tmp_path, **spec, **method_fields("momentum"), follow_through=False)
    answer = slipped_heavy_ball(grad, start, ALPHA, BETA, 5, 2, "w")
    assert checker.check(as_answer(answer)).fraction == pytest.approx(1 / 5)


# -- answers that are not numbers -----------------------------------------------------------------
@pytest.mark.parametrize("answer, status, fraction, feedback", [
    ("not a list", "invalid", 0, "w1: unknown name `not`"),
    ("foo, bar", "invalid", 0,
     "w1: unknown name `foo`: this question knows no names (numbers only); w2: unknown name `bar`"),
    ([["50"], ["75"], ["87.5"], ["93.75"]], "invalid", 0, "w1: expected a number, found a list"),
    (["50", ["75"], {"w3": "87.5"}, "93.75"], "invalid", 0,
     "w2: expected a number, found a list; w3: expected a number, found a mapping"),
    ({"w1": "50"}, "invalid", 0, "expected a list of 4 values"),
    ([], "invalid", 0, "expected a list of 4 values"),
    (["50", "foo", "87.5", "bar"], "partial", 0.5, "w2: unknown name `foo`"),
    (["50", "foo", "87.5", "bar"], "partial", 0.5, "w4: unknown name `bar`"),
    (["50", "80", "90", "x"], "partial", 0.5, "w2 does not follow from your w1 = 50; w4: unknown name `x`"),
    (["1e400", "75", "87.5", "93.75"], "partial", 0.75, "w1: not a finite number"),
])
def test_answers_that_are_not_numbers(tmp_path, answer, status, fraction, feedback):
    checker, _ = prepared(tmp_path, **SCALAR, alpha=0.5, steps=4)
    outcome = checker.check(answer)
    assert outcome.status == status, outcome
    assert outcome.fraction == pytest.approx(fraction)
    assert feedback in outcome.feedback


@pytest.mark.parametrize("answer, status, feedback", [
    ([["0.1", "0.3"], [["0.2"], "0.4"]], "invalid", "w2: expected a list of 2 numbers, found a nested list"),
    ([["0.1", "0.3"], {"a": 1}], "invalid", "w2: expected a list of 2 numbers, found a mapping"),
    ([["0.1"], ["0.2"]], "invalid", "w1: each iterate is a list of 2 numbers; w2: each iterate"),
    ("not a list", "invalid", "w1: each iterate is a list of 2 numbers"),
    ([["0.1", "0.3"], "foo"], "partial", "w2: each iterate is a list of 2 numbers"),
])
def test_vector_answers_that_are_not_iterates(tmp_path, answer, status, feedback):
    checker, _ = prepared(tmp_path, **VECTOR, alpha=0.1, steps=2)
    outcome = checker.check(answer)
    assert outcome.status == status, outcome
    assert feedback in outcome.feedback, outcome


# -- rubric errors --------------------------------------------------------------------------------
CUSTOM = custom(SCALAR, alpha=0.5, beta=0.9, steps=3, state={"v": 0},
                update={"v": "beta v + grad", "w": "w - alpha v"})


def rubric_problem(tmp_path, **changes) -> tuple[str, str]:
    fields = {**CUSTOM, **changes}
    path = rubric_file(tmp_path, question(**fields))
    with pytest.raises(RubricError) as caught:
        prepare(load_rubric(path))
    (problem,) = caught.value.problems
    return problem, path.read_text()


@pytest.mark.parametrize("update, key, message", [
    ({"v": "beta v + grad + zz", "w": "w - alpha v"}, "v", "unknown name `zz`"),
    ({"v": "beta v +", "w": "w - alpha v"}, "v", ""),
    ({"v": "beta v + grad", "w": "w - gamma v"}, "w", "unknown name `gamma`"),
    ({"v": "beta v + grad(w)", "w": "w - alpha v"}, "v", "not functions"),
    ({"v": "beta v + grad", "w": "w - alpha v", "u": "w"}, "u", "neither the variable"),
])
def test_broken_update_lines_are_located(tmp_path, update, key, message):
    problem, text = rubric_problem(tmp_path, update=update)
    rows = text.splitlines()
    after = next(i for i, row in enumerate(rows) if row.strip() == "update:")
    line = next(i for i, row in enumerate(rows[after:], after + 1) if row.strip().startswith(f"{key}:"))
    assert re.match(rf"^\S+rubric\.yaml:{line}: questions\[0\]\.update\.{key}: \S", problem), problem
    assert message in problem


@pytest.mark.parametrize("changes, field, message", [
    ({"update": {"v": "beta v + grad"}}, "update", "must say how the variable `w` is updated"),
    ({"state": {"grad": 0}, "update": {"w": "w - alpha grad"}}, "state.grad", "reserved name"),
    ({"state": {"w": 0}, "update": {"w": "w - alpha grad"}}, "state.w", "is the variable"),
    ({"state": {"v": "foo +"}}, "state.v", "must be a number"),
    ({"state": {"v": [1, 2]}}, "state.v", "variable's shape"),
    ({"alpha": None}, "update.w", "unknown name `alpha`"),
    ({"method": "momentum", "state": {}, "update": {}, "beta": None}, "beta", "required"),
    ({"method": "gd", "state": {}, "update": {}}, "beta", "has no β"),
    ({"method": "gd", "beta": None}, "state", "only for `method: custom`"),
    ({"method": "momentum", "state": {}, "update": {}, "alpha": None}, "alpha", "required"),
    ({"update": {}}, "update", "required"),
    ({"method": "adam"}, "method", "not an allowed value"),
    ({"beta": "zz * 2"}, "beta", "unknown name `zz`"),
    ({"params": {"x": 1, "y": 100, "grad": 2}}, "params.grad", "means something else"),
])
def test_method_fields_are_checked_and_located(tmp_path, changes, field, message):
    changes = {k: v for k, v in changes.items()}
    fields = {**CUSTOM, **changes}
    fields = {k: v for k, v in fields.items() if v is not None and v != {}}
    path = rubric_file(tmp_path, question(**fields))
    with pytest.raises(RubricError) as caught:
        prepare(load_rubric(path))
    (problem,) = caught.value.problems
    assert f"questions[0].{field}: " in problem, problem
    assert message in problem, problem
    assert "Traceback" not in problem


def test_a_line_of_the_wrong_shape_is_located(tmp_path):
    problem, _ = rubric_problem(tmp_path, **VECTOR, state={}, update={"w": "grad^T grad"})
    assert "questions[0].update.w: has shape a scalar; `w` is 2 x 1" in problem


def test_a_state_given_as_a_number_is_a_scalar_when_its_update_is(tmp_path):
    checker, problems = prepared(tmp_path, **custom(VECTOR, alpha=0.1, steps=3, state={"s": 0, "v": 0},
                                                    update={"s": "s + grad^T grad",
                                                            "v": "v + grad", "w": "w - alpha v / (1 + s)"}))
    assert problems == []
    assert checker.method.shapes == {"s": (), "v": (2, 1)}
    w, s, v, expected = np.zeros(2), 0.0, np.zeros(2), []
    for _ in range(3):
        g = grad_vector(w)
        s, v = s + g @ g, v + g
        w = w - 0.1 * v / (1 + s)
        expected.append(w)
    np.testing.assert_allclose(np.array(checker.truth)[..., 0], expected, rtol=1e-12)


def test_custom_grad_after_the_variable_changes_is_at_the_new_value(tmp_path):
    spec, grad, _ = PROBLEMS["scalar"]
    checker, _ = prepared(tmp_path, **custom(spec, alpha=0.5, steps=3, state={"v": 0},
                                             update={"w": "w - alpha grad + v", "v": "-alpha grad"}))
    w, v, expected = 0.0, 0.0, []
    for _ in range(3):
        w = w - 0.5 * grad(w) + v
        v = -0.5 * grad(w)  # the gradient where w now is
        expected.append(w)
    np.testing.assert_allclose(checker.truth, expected, rtol=1e-12)
    assert expected[:2] == [50.0, 100.0]


def test_overflowing_methods_are_validation_problems(tmp_path):
    _, problems = prepared(tmp_path, **SCALAR, method="momentum", alpha=1e5, beta=0.9, steps=100)
    assert problems and "overflow" in problems[0]
    _, problems = prepared(tmp_path, **custom(SCALAR, alpha=1e5, steps=100, update={"w": "w - alpha grad"}))
    assert problems and "overflow" in problems[0]


def test_the_custom_example_from_the_docs_validates(tmp_path):
    _, problems = prepared(tmp_path, **CUSTOM)
    assert problems == []


def test_yaml_order_of_update_lines_is_kept(tmp_path):
    text = textwrap.dedent("""\
        title: t
        questions:
          - id: q
            kind: iterates
            points: 1
            loss: "(w x - y)^2 / 2"
            variable: w
            params: {x: 1, y: 100}
            start: 0
            alpha: 0.5
            steps: 2
            method: custom
            state: {v: 0}
            update:
              w: "w + v"
              v: "-alpha grad"
        """)
    path = tmp_path / "r.yaml"
    path.write_text(text)
    _, kinds = load(path)
    # w1 = 0 + 0 = 0 (v is updated after w), v1 = 50; w2 = 50.
    assert kinds["q"].truth.tolist() == [0.0, 50.0]


def test_a_step_to_where_the_gradient_is_undefined_is_named(tmp_path):
    # sqrt(w) has no gradient at w1 = 4 − 2 (4 − 1/2) = −3.
    _, problems = prepared(tmp_path, loss="w^2 / 2 - 2 sqrt(w)", variable="w", start=4, alpha=2, steps=3)
    assert len(problems) == 1
    assert "w2 cannot be computed: at w1 = -3 the loss's gradient is not a number there" in problems[0]


def test_custom_feedback_names_the_iterates_it_follows_from(tmp_path):
    checker, _ = prepared(tmp_path, **CUSTOM)  # the heavy ball: 50, 120, 173 with α = 0.5, β = 0.9
    outcome = checker.check(["50", "120", "170"])
    assert outcome.feedback == "w3 does not follow from your w2 = 120 and w1 = 50 by the update rule"
    stateless, _ = prepared(tmp_path, **custom(SCALAR, alpha=0.5, steps=2, update={"w": "w - alpha grad"}))
    assert stateless.check(["50", "70"]).feedback == "w2 does not follow from your w1 = 50 by the update rule"
