"""Gradient-descent kinds: gd_iterates (follow-through marking) and interval (convergence range)."""

from __future__ import annotations

import math
import textwrap
from pathlib import Path

import numpy as np
import pytest

from grader.answers import Namespace, Symbol
from grader.answers.errors import AnswerError
from grader.answers.intervals import Interval, IntervalSet, parse_interval
from grader.kinds.support.descent import Descent, LossSpec
from grader.pipeline import prepare
from grader.errors import RubricError
from grader.pipeline import load_rubric

REPO = Path(__file__).resolve().parents[2]


def checkers_for(tmp_path: Path, questions: str) -> dict:
    path = tmp_path / "rubric.yaml"
    path.write_text("title: t\nquestions:\n" + textwrap.indent(textwrap.dedent(questions), "  "))
    return prepare(load_rubric(path))


SCALAR_GD = """
- id: a05
  kind: gd_iterates
  points: 4
  loss: "(w x - y)^2 / 2"
  variable: w
  params: {x: 1, y: 100}
  start: 0
  alpha: 0.5
  steps: 4
"""


@pytest.fixture()
def a05(tmp_path):
    return checkers_for(tmp_path, SCALAR_GD)["a05"]


# -- gd_iterates ---------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [
    [50, 75, 87.5, 93.75],
    ["50", "75", "175/2", "375/4"],
    ["50", "75", r"\frac{175}{2}", r"\dfrac{375}{4}"],
    "50, 75, 87.5, 93.75",
    [50.00001, 75, 87.5, 93.75],
])
def test_iterates_accept_numbers_and_expressions(a05, answer):
    outcome = a05.check(answer)
    assert outcome.status == "correct", outcome.feedback


def test_follow_through_costs_only_the_slip(a05):
    # w2 is wrong (80 instead of 75); w3 and w4 follow correctly from the student's own values.
    outcome = a05.check([50, 80, 90, 95])
    assert outcome.status == "partial"
    assert outcome.fraction == pytest.approx(0.75)
    assert outcome.feedback.startswith("w2 does not follow from your w1 = 50")
    assert "75" not in outcome.feedback  # never the expected value


def test_without_follow_through_every_later_step_is_wrong(tmp_path):
    checker = checkers_for(tmp_path, SCALAR_GD.replace("steps: 4", "steps: 4\n  follow_through: false"))["a05"]
    outcome = checker.check([50, 80, 90, 95])
    assert outcome.fraction == pytest.approx(0.25)
    assert outcome.feedback.startswith("w2 is not right")


def test_missing_and_extra_entries(a05):
    short = a05.check([50, 75, 87.5])
    assert short.fraction == pytest.approx(0.75)
    assert "w4 is missing" in short.feedback
    long = a05.check([50, 75, 87.5, 93.75, 96.875, 1])
    assert long.status == "correct"
    assert "only w1 .. w4 are marked" in long.feedback


def test_a_list_starting_with_w0_is_read_as_w0(a05):
    outcome = a05.check([0, 50, 75, 87.5, 93.75])
    assert outcome.status == "correct"
    assert "w0" in outcome.feedback


def test_unreadable_entries_are_wrong_with_a_reason(a05):
    outcome = a05.check(["fifty", 75, 87.5, 93.75])
    assert outcome.fraction == pytest.approx(0.75)
    assert outcome.feedback.startswith("w1: unknown name")
    assert a05.check({"w1": 50}).status == "invalid"


def test_first_step_names_the_start(a05):
    outcome = a05.check([40, 70, 85, 92.5])
    assert outcome.feedback.startswith("w1 does not follow from the start w0 = 0")
    assert outcome.fraction == pytest.approx(0.75)


def test_diverging_iterates(tmp_path):
    checker = checkers_for(tmp_path, SCALAR_GD.replace("alpha: 0.5", "alpha: 2.5"))["a05"]
    assert checker.check([250, -125, 437.5, -406.25]).status == "correct"
    assert checker.check([250, 125, 437.5, 406.25]).fraction == pytest.approx(0.25)


def test_vector_iterates(tmp_path):
    checker = checkers_for(tmp_path, """
    - id: vec
      kind: gd_iterates
      points: 2
      loss: "norm(X w - y)^2 / 2"
      variable: w
      params: {X: [[1, 2], [0, 1]], y: [1, 1]}
      start: [0, 0]
      alpha: 0.1
      steps: 2
    """)["vec"]
    X = np.array([[1.0, 2.0], [0.0, 1.0]])
    y = np.array([1.0, 1.0])
    w, truth = np.zeros(2), []
    for _ in range(2):
        w = w - 0.1 * X.T @ (X @ w - y)
        truth.append(w.tolist())
    assert checker.check(truth).status == "correct"
    assert checker.check([[str(v) for v in row] for row in truth]).status == "correct"
    slip = [truth[0], [0.2, 0.4]]
    outcome = checker.check(slip)
    assert outcome.fraction == pytest.approx(0.5)
    assert "w2 does not follow from your w1 = [0.1, 0.3]" in outcome.feedback
    assert checker.check([[0.1], [0.2]]).fraction == 0  # scalars where vectors are due


# -- interval reading ----------------------------------------------------------------------------
NS = Namespace(symbols={"x": Symbol("x")}, allow_inf=True)


@pytest.mark.parametrize("text, expected", [
    ("(0, 2)", [(0, 2, False, False)]),
    ("]0, 2[", [(0, 2, False, False)]),
    ("(0,2]", [(0, 2, False, True)]),
    ("[0, 2)", [(0, 2, True, False)]),
    ("0 < alpha < 2", [(0, 2, False, False)]),
    ("0 < α < 2", [(0, 2, False, False)]),
    ("0 <= alpha < 2", [(0, 2, True, False)]),
    (r"0 \le \alpha \leq 2", [(0, 2, True, True)]),
    ("alpha in (0, 2)", [(0, 2, False, False)]),
    (r"\alpha \in (0, 2)", [(0, 2, False, False)]),
    ("α ∈ (0, 2)", [(0, 2, False, False)]),
    ("2 > alpha > 0", [(0, 2, False, False)]),
    ("alpha > 0", [(0, math.inf, False, False)]),
    ("alpha > 0 and alpha < 2", [(0, 2, False, False)]),
    ("(-inf, 0) U (2, inf)", [(-math.inf, 0, False, False), (2, math.inf, False, False)]),
    (r"(-\infty, 0) \cup (2, \infty)", [(-math.inf, 0, False, False), (2, math.inf, False, False)]),
    ("(-∞, 0) ∪ (2, ∞)", [(-math.inf, 0, False, False), (2, math.inf, False, False)]),
    ("(0, 2/x^2)", [(0, 0.5, False, False)]),
    ("(0, 2/3)", [(0, 2 / 3, False, False)]),
    (r"(0, \frac{2}{3})", [(0, 2 / 3, False, False)]),
    ("[0, 1] U [1, 2)", [(0, 2, True, False)]),
    ("empty", []),
])
def test_interval_forms(text, expected):
    result = parse_interval(text, {"alpha"}, NS, {"x": 2.0})
    got = [(p.low, p.high, p.low_closed, p.high_closed) for p in result.parts]
    assert len(got) == len(expected)
    for (low, high, lc, hc), (wlow, whigh, wlc, whc) in zip(got, expected):
        assert low == pytest.approx(wlow) and high == pytest.approx(whigh)
        assert (lc, hc) == (wlc, whc)


@pytest.mark.parametrize("text", ["(0, 2", "0 < beta < 2", "(0, 1, 2)", "(2, 0)", "", "0 < alpha > 2",
                                  "alpha", "(0; 2", "__import__('os')"])
def test_interval_errors_are_answer_errors(text):
    with pytest.raises(AnswerError):
        parse_interval(text, {"alpha"}, NS, {"x": 2.0})


def test_interval_set_merges_and_contains():
    merged = IntervalSet.of([Interval(2, 3), Interval(0, 2, False, True)])
    assert merged.parts == (Interval(0, 3, False, False),)
    assert merged.contains(2.0) and not merged.contains(0.0)


# -- convergence ---------------------------------------------------------------------------------
def test_convergence_ranges():
    hw1 = Descent(LossSpec(loss="(w x - y)^2 / 2", variable="w", params={"x": 1, "y": 100}))
    assert hw1.convergence()[0].parts == (Interval(0.0, 2.0),)
    other = Descent(LossSpec(loss="(w x - y)^2 / 2", variable="w", params={"x": 2, "y": 3}))
    assert other.convergence()[0].parts[0].high == pytest.approx(0.5)
    X = np.array([[1.0, 2.0], [0.5, 1.5]])
    vector = Descent(LossSpec(loss="norm(X w - y)^2 / 2", variable="w",
                              params={"X": X.tolist(), "y": [1, -1]}))
    assert vector.shape == (2, 1)
    expected = 2 / np.linalg.eigvalsh(X.T @ X).max()
    assert vector.convergence()[0].parts[0].high == pytest.approx(expected)
    vector.confirm(vector.convergence()[0], np.random.default_rng(0))


def test_behaviour_by_analysis_and_by_simulation_agree():
    descent = Descent(LossSpec(loss="(w x - y)^2 / 2", variable="w", params={"x": 1, "y": 100}))
    alphas = np.array([0.0, 0.5, 1.0, 1.9, 2.0, 2.5, -0.5])
    assert descent.simulate(alphas) == ["stays", "converges", "converges", "converges",
                                        "oscillates", "diverges", "diverges"]
    assert [descent.behaviour(a) for a in alphas[:6]] == descent.simulate(alphas[:6])


@pytest.mark.parametrize("loss", ["w^4", "w^3 + w^2", "exp(w)", "(w x)^2 - w^2"])
def test_losses_that_cannot_be_analysed_are_rubric_errors(tmp_path, loss):
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent(f"""\
        title: t
        questions:
          - id: r
            kind: interval
            points: 1
            variable: alpha
            convergence_of: {{loss: "{loss}", variable: w, params: {{x: 1}}}}
        """))
    with pytest.raises(RubricError) as err:
        prepare(load_rubric(path))
    message = str(err.value)
    assert "r.yaml:" in message and "convergence_of" in message
    assert "cannot be analysed" in message or "cannot analyse" in message


RANGE = """
- id: range
  kind: interval
  points: 4
  variable: alpha
  convergence_of: {loss: "(w x - y)^2 / 2", variable: w, params: {x: X, y: 3}}
"""


@pytest.fixture()
def range_hw1(tmp_path):
    return checkers_for(tmp_path, RANGE.replace("X", "1"))["range"]


@pytest.mark.parametrize("answer", ["(0, 2)", "0 < alpha < 2", "]0, 2[", r"\alpha \in (0, 2)", "0 < α < 2",
                                    "(0, 2.00001)", "2 > alpha > 0", "alpha > 0 and alpha < 2"])
def test_range_correct_forms(range_hw1, answer):
    assert range_hw1.check(answer).status == "correct"


def test_range_endpoint_openness_gets_partial_credit_and_says_what_happens(range_hw1):
    upper = range_hw1.check("(0, 2]")
    assert upper.status == "partial" and upper.fraction == pytest.approx(0.5)
    assert "at α = 2 gradient descent oscillates" in upper.feedback
    lower = range_hw1.check("[0, 2)")
    assert lower.status == "partial"
    assert "α = 0" in lower.feedback and "stays" in lower.feedback


def test_range_wrong_sets_name_a_step_size_found_by_simulation(range_hw1):
    too_wide = range_hw1.check("(0, 3)")
    assert too_wide.status == "incorrect"
    assert "your set includes α = 2.5, but there gradient descent diverges" == too_wide.feedback
    too_narrow = range_hw1.check("(0, 1)")
    assert "gradient descent converges, but your set leaves it out" in too_narrow.feedback
    assert range_hw1.check("(0, 2").status == "invalid"
    assert range_hw1.check(["0", "2"]).status == "invalid"


def test_range_with_parameters_in_endpoints(tmp_path):
    checker = checkers_for(tmp_path, RANGE.replace("X", "2"))["range"]
    assert checker.check("(0, 0.5)").status == "correct"
    assert checker.check("(0, 2/x^2)").status == "correct"
    assert checker.check("(0, 1/2)").status == "correct"
    assert checker.check("(0, 2)").status == "incorrect"


def test_explicit_answer_interval(tmp_path):
    checker = checkers_for(tmp_path, """
    - id: r
      kind: interval
      points: 1
      variable: t
      answer: "(-inf, 0) U [1, inf)"
    """)["r"]
    assert checker.check("t < 0 or t >= 1").status == "correct"
    assert checker.check("(-inf, 0) U (1, inf)").status == "partial"
    assert "leaves out t = 1" in checker.check("(-inf, 0) U (1, inf)").feedback


def test_hw1_gradient_descent_questions():
    checkers = prepare(load_rubric(REPO / "rubrics" / "hw1.yaml"))
    assert checkers["q4.iterates_a15"].check([150, 75, 112.5, 93.75, 103.125]).status == "correct"
    assert checkers["q4.iterates_a25"].check([250, -125, 437.5, -406.25]).status == "correct"
    assert checkers["q4.converge_range"].check("(0, 2)").status == "correct"
