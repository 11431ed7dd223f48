"""HW2-style questions end to end through the kinds: elementwise shorthand where the rubric
allows it, sizes as numbers, nonsmooth references sampled away from their kinks."""

from __future__ import annotations

import numpy as np
import pytest

LOGISTIC = """
title: t
broadcast: {default}
questions:
  - id: logistic
    kind: matrix_expression
    points: 1
    {flag}
    symbols:
      X: {{shape: [n, d]}}
      w: {{shape: [d, 1], domain: [-1, 1]}}
      y: {{shape: [n, 1], structure: simplex}}
    dims: {{n: [3, 8], d: [2, 5]}}
    answer: "X^T (sigmoid(X w) - y) / n"
"""


@pytest.mark.parametrize(("default", "flag", "allowed"), [
    ("false", "", False), ("true", "", True), ("false", "broadcast: true", True),
    ("true", "broadcast: false", False)])
def test_elementwise_shorthand_follows_the_question_then_the_rubric(prepared, default, flag, allowed):
    _, kinds = prepared(LOGISTIC.format(default=default, flag=flag))
    logistic = kinds["logistic"]
    assert logistic.check(r"\frac{1}{n} X^T (\sigma(X w) - y)").status == "correct"
    outcome = logistic.check("(1/n) X^T (1/(1 + e^{-X w}) - y)")
    if allowed:
        assert outcome.status == "correct", outcome
    else:
        assert outcome.status == "incorrect"
        assert "does not allow elementwise shorthand" in outcome.feedback


def test_relu_derivative_in_every_spelling(prepared):
    _, kinds = prepared("""
        title: t
        questions:
          - id: relu
            kind: expression
            points: 1
            symbols:
              x: {domain: [-1, 1]}
            gradient_of: "relu(x)"
            wrt: x
    """)
    relu = kinds["relu"]
    # No sample point sits at the kink, so > and >= are both right.
    assert np.all(np.abs(relu.batches[0].env["x"]) > 1e-6)
    for answer in ["1[x > 0]", "1[x >= 0]", r"\mathbb{1}[x > 0]", r"\mathbb{1}_{x > 0}",
                   "step(x)", "heaviside(x)", r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
                   "(sign(x) + 1)/2"]:
        assert relu.check(answer).status == "correct", answer
    for answer in ["1[x < 0]", "relu(x)", "sign(x)", "1"]:
        assert relu.check(answer).status == "incorrect", answer


def test_points_near_a_kink_of_the_reference_are_redrawn(prepared):
    _, kinds = prepared("""
        title: t
        questions:
          - id: huber
            kind: expression
            points: 1
            symbols:
              r: {domain: [-2, 2]}
            answer: "clip(r, -1, 1)"
    """)
    huber = kinds["huber"]
    r = np.concatenate([b.env["r"] for b in huber.batches])
    assert np.min(np.abs(np.abs(r) - 1)) > 1e-6
    assert huber.check(r"\begin{cases} r & |r| \le 1 \\ sign(r) & \text{otherwise} \end{cases}").status == "correct"
    assert huber.check("max(-1, min(1, r))").status == "correct"
