"""Checking steps: neighbouring terms compared at the question's points, descent lines
re-evaluated exactly, the first right side of the asked derivative compared with the reference,
and never a correct step called wrong."""

from __future__ import annotations

import itertools

import pytest

import grader.writeups.steps as steps_module
from grader.writeups import read_writeup
from writeup_cases import marked

GD_025 = """
    title: t
    questions:
      - id: q4.gd
        kind: gd_iterates
        points: 3
        loss: "(w x - y)^2 / 2"
        variable: w
        params: {x: 1, y: 100}
        start: 0
        alpha: 0.25
        steps: 3
        locate: 'Q\\.?\\s*4'
    """

ISSUE_EXAMPLE = r"""Q.4  1) Doing gradient descent, $\alpha = 0.25$

$$\begin{aligned} w_1 &= 0 - (0.25) \times (-100) \\ &= 25 \end{aligned}$$

$$\begin{aligned} w_2 &= 25 - (0.25) \times (-75) \\ &= 43.75 \end{aligned}$$

$$\begin{aligned} w_3 &= 43.75 - (0.25) \times (-56.25) \\ &= 60 \end{aligned}$$
"""


def report(read_hw1, question, body):
    return read_hw1(marked(question, body)).reports[question]


def test_the_issue_example_names_the_wrong_arithmetic(rubric_from):
    rubric, prepared = rubric_from(GD_025)
    writeup = read_writeup(ISSUE_EXAMPLE, "md", rubric, prepared)
    found = writeup.reports["q4.gd"]
    assert found.first_wrong == "in your w_3 line, 43.75 − (0.25) × (−56.25) is 57.8125, not 60 (line 7)"
    assert found.line == 7
    assert (found.steps_checked, found.steps_skipped) == (3, 0)
    # The score is the kind's, with follow-through: w1 and w2 are right, w3 is not.
    outcome = prepared["q4.gd"].check(writeup.answers["q4.gd"])
    assert outcome.fraction == pytest.approx(2 / 3)


def test_a_rounded_result_is_not_a_wrong_step(rubric_from):
    rubric, prepared = rubric_from(GD_025)
    text = ISSUE_EXAMPLE.replace("&= 60", "&= 57.81").replace("-56.25) \\\\", "-56.25) = 43.75 + 14.0625 \\\\")
    found = read_writeup(text, "md", rubric, prepared).reports["q4.gd"]
    assert found.first_wrong is None
    assert found.steps_checked == 4


def test_descent_lines_may_use_alpha_the_parameters_and_earlier_iterates(rubric_from):
    rubric, prepared = rubric_from(GD_025)
    text = ("Q4\n$$w_1 = w_0 - \\alpha (w_0 x - y) x = 25$$\n"
            "$$w^{(2)} = w^{(1)} - \\alpha (w^{(1)} - y) = 25 + 18.75 = 43.75$$\n"
            "$$w_3 = w_2 - \\alpha \\nabla L(w_2) = 43.75 - 0.25 \\cdot (43.75 - 100) = 57.8125$$")
    writeup = read_writeup(text, "md", rubric, prepared)
    found = writeup.reports["q4.gd"]
    assert found.first_wrong is None
    assert (found.steps_checked, found.steps_skipped) == (4, 1)   # ∇L(w_2) does not read
    assert prepared["q4.gd"].check(writeup.answers["q4.gd"]).status == "correct"


SIGMOID_FORMS = [r"\frac{e^{-x}}{(1+e^{-x})^2}", r"f(1-f)", r"f - f^2", r"\sigma(x)\left(1-\sigma(x)\right)",
                 r"\frac{1}{1+e^{-x}} \cdot \frac{e^{-x}}{1+e^{-x}}", r"\frac{e^{x}}{(1+e^{x})^2}",
                 r"f(x)\left[1 - f(x)\right]", r"\frac{1}{2 + e^{x} + e^{-x}}"]


@pytest.mark.parametrize("forms", list(itertools.permutations(SIGMOID_FORMS, 3))[::7])
def test_a_correct_derivation_is_never_called_wrong(read_hw1, forms):
    body = "$$\\frac{d f}{d x} = " + " \\\\ &= ".join(forms) + "$$"
    body = body.replace("$$\\frac", "$$\\begin{aligned}\\frac").replace("$$", "\\end{aligned}$$", 2)
    body = body.replace("\\end{aligned}$$\\begin{aligned}", "$$\\begin{aligned}", 1)
    found = report(read_hw1, "q1.sigmoid", body)
    assert found.first_wrong is None, found.first_wrong
    assert found.steps_checked == len(forms)


def test_a_wrong_step_is_reported_with_both_sides_and_its_line(read_hw1):
    found = report(read_hw1, "q1.sigmoid", r"""
        $$\frac{d f}{d x} = \frac{e^{-x}}{\left(1+e^{-x}\right)^{2}}$$
        $$= \frac{1}{1+e^{-x}} \cdot \frac{e^{-x}}{1+e^{-x}}$$
        $$= f(x)\left(1 + f(x)\right)$$
        $$= \boxed{f(1 + f)}$$
        """)
    assert found.line == 4
    assert found.first_wrong.startswith(
        "\\frac{1}{1+e^{−x}} · \\frac{e^{−x}}{1+e^{−x}} = f(x)(1 + f(x)) does not hold at x = ")
    assert found.first_wrong.endswith(" (line 4)")
    assert found.steps_checked == 4


def test_the_first_line_after_differentiating_is_compared_with_the_reference(read_hw1):
    found = report(read_hw1, "q1.sigmoid", r"""
        $$\frac{d f}{d x} = \frac{-e^{-x}}{(1 + e^{-x})^2} = -f(1 - f)$$
        """)
    assert found.first_wrong == (
        "the first line after differentiating (line 2), \\frac{−e^{−x}}{(1 + e^{−x})^2}, is not "
        "\\frac{d f}{d x}: The sigmoid is increasing, so its derivative is positive: check the signs "
        "from the chain rule.; the lines after it follow from it")


def test_a_derivative_of_part_of_the_function_is_checked_against_its_own_derivative(read_hw1):
    right = report(read_hw1, "q2.quadratic", r"""
        $$\frac{\partial}{\partial x}\left(x^T A x\right) = A x + A^T x$$
        $$\frac{\partial (x^T A x)}{\partial x} = x^T (A + A^T)$$
        """)
    assert right.first_wrong is None and right.steps_checked == 2
    wrong = report(read_hw1, "q2.quadratic", r"$$\frac{\partial}{\partial x}\left(x^T A x\right) = 2 A x$$")
    assert wrong.first_wrong.startswith("the first line after differentiating (line 2), 2 A x, is not")


def test_definitions_make_steps_checkable(read_hw1):
    found = report(read_hw1, "q2.l2_single", r"""
        $$\frac{\partial L}{\partial \bar{w}} = \underbrace{(\bar{w}^T \bar{x} - y)}_{v} \bar{x} = v \bar{x}$$
        """)
    assert (found.steps_checked, found.steps_skipped, found.first_wrong) == (2, 0, None)


def test_names_tied_to_nothing_are_skipped_and_counted(read_hw1):
    found = report(read_hw1, "q1.softmax_diag", r"""
        $$\frac{\partial f_i}{\partial x_i} = \frac{e^{x_i} S - e^{2 x_i}}{S^2} = \frac{e^{x_i}}{S} - \frac{e^{2x_i}}{S^2}$$
        $$= \sum_j \delta_{ij} f_i - f_i f_j = \begin{pmatrix} f_1 \\ \vdots \end{pmatrix} = \boxed{f_i(1-f_i)}$$
        """)
    assert found.first_wrong is None
    assert (found.steps_checked, found.steps_skipped) == (1, 4)


@pytest.mark.parametrize("body", [
    r"At $x = 0$ the slope is $f(0)(1 - f(0)) = 0.25$, and $\sigma(2) = 0.88$.",
    r"$$\frac{d f}{d x} = f(1 - f) = 0$$ has no solution.",
    r"$$f(1-f) \approx 0.2 \approx \frac{1}{5}$$",
    r"$$\hat{y} = f(x) \Rightarrow (\hat{y} - y) = f - y$$",
    r"$$e = f - 1 \Rightarrow 2 e x = 2 (f - 1) x$$",
    r"Setting the derivative to zero: $$f(1 - f) = f$$",
    r"$$f^2 - f = 0 \Rightarrow f = f^2$$",
    r"$$n = 3$$",
])
def test_steps_that_are_not_identities_are_never_called_wrong(read_hw1, body):
    assert report(read_hw1, "q1.sigmoid", body).first_wrong is None


def test_a_change_of_layout_between_lines_is_not_a_wrong_step(read_hw1):
    found = report(read_hw1, "q2.l2_multi", r"""
        $$\nabla_w L = (X w - y)^T X = X^T (X w - y)$$
        """)
    assert found.first_wrong is not None   # the first line is the numerator layout...
    assert "numerator layout" in found.first_wrong
    assert "follow from it" in found.first_wrong   # ...and the transposed line after it is fine


def test_shapes_that_cannot_be_equal_are_a_wrong_step(read_hw1):
    found = report(read_hw1, "q2.l2_multi", r"$$g = X^T (X w - y) = X^T X$$")
    assert found.first_wrong == ("X^T (X w − y) = X^T X does not hold: one side has shape m x 1 and "
                                 "the other m x m (line 2)")


def test_an_example_value_later_does_not_redefine_a_name(read_hw1):
    found = read_hw1(marked("q2.l2_single", r"""
        Let $v = w^T x - y$. Then $$\nabla_w L = \boxed{v x}$$
        For instance with $v = 3$ the gradient is $3x$.
        """))
    assert found.answers["q2.l2_single"] == "(w^T x - y) x"


def test_the_number_of_steps_checked_is_capped(read_hw1, monkeypatch):
    monkeypatch.setattr(steps_module, "MAX_STEPS", 3)
    body = "$$\\frac{df}{dx} = " + " = ".join(["f(1-f)"] * 8) + "$$"
    writeup = read_hw1(marked("q1.sigmoid", body))
    found = writeup.reports["q1.sigmoid"]
    assert found.steps_checked + found.steps_skipped == 8
    assert found.steps_checked <= 3
    assert "q1.sigmoid: only the first 3 steps were checked" in writeup.notes


def test_a_remark_about_another_function_is_neither_the_answer_nor_a_wrong_step(read_hw1):
    writeup = read_hw1(marked("q1.softplus", r"""
        $$\frac{d}{dx}\, \frac{1}{\beta} \ln\left(1 + e^{\beta x}\right) = \frac{e^{\beta x}}{1 + e^{\beta x}}
          = \frac{1}{1 + e^{-\beta x}}$$
        Recall $\frac{d\sigma}{dx} = \sigma(x)(1 - \sigma(x))$, which is not needed here.
        """))
    found = writeup.reports["q1.softplus"]
    assert writeup.answers["q1.softplus"] == r"\frac{1}{1 + e^{-\beta x}}"
    assert found.first_wrong is None and found.steps_checked == 2


ISSUE_RUBRIC = """
    title: the issue's example
    questions:
      - id: q4.gd
        kind: gd_iterates
        points: 3
        loss: "(w x - y)^2 / 2"
        variable: w
        params: {x: 1, y: 100}
        start: 0
        alpha: 0.25
        steps: 3
        locate: ['Q\\.?\\s*4', '1\\)']
      - id: q4.softmax
        kind: expression
        points: 4
        locate: ['Q\\.?\\s*4', '2\\)']
        symbols:
          x_i: {domain: [-3, 3]}
          x_j: {domain: [-3, 3]}
          s: {domain: [0.1, 10], positive: true}
        given:
          f: {args: [t], value: "exp(t) / (exp(x_i) + exp(x_j) + s)"}
          f_i: "f(x_i)"
        gradient_of: "exp(x_i) / (exp(x_i) + exp(x_j) + s)"
        wrt: x_i
        steps: 0.3
    """

ISSUE_SOFTMAX = r"""
2) Softmax $f(x_i) = \frac{e^{x_i}}{\sum_j e^{x_j}}$

$$\frac{\partial f}{\partial x_i} = \frac{e^{x_i} \cdot S - e^{x_i} \cdot e^{x_i}}{S^2}$$

$$= \underbrace{\frac{e^{x_i}}{S}}_{f_i} - \left(\frac{e^{x_i}}{S}\right)^2 = \boxed{f_i (1 - f_i)}$$

$$\therefore \underbrace{\frac{\partial f}{\partial \vec{x}}}_{n \times 1} = (\bar{A} + \bar{A}^T) \vec{x} + \vec{z} \quad \left(\because \frac{\partial (a^T x)}{\partial x} = a\right)$$
"""


def test_the_whole_issue_example(rubric_from):
    from grader.writeups import score_with_steps, steps_share
    rubric, prepared = rubric_from(ISSUE_RUBRIC)
    writeup = read_writeup(ISSUE_EXAMPLE + ISSUE_SOFTMAX, "md", rubric, prepared)
    assert writeup.answers == {"q4.gd": ["25", "43.75", "60"], "q4.softmax": "f_i (1 - f_i)"}
    softmax = writeup.reports["q4.softmax"]
    assert (softmax.answer_read, softmax.answer_line, softmax.first_wrong) == ("f_i (1 − f_i)", 13, None)
    # S is defined nowhere: the steps with it are skipped, the boxed line is checked.
    assert (softmax.steps_checked, softmax.steps_skipped) == (1, 3)
    question = rubric.question("q4.softmax")
    outcome = score_with_steps(prepared["q4.softmax"].check(writeup.answers["q4.softmax"]), softmax,
                               steps_share(question))
    assert (outcome.status, outcome.fraction) == ("correct", 1.0)
    assert outcome.feedback == "your answer is right; 1 step of your derivation checked (3 could not be read)"


def test_a_symbol_the_writeup_redefines_takes_the_writeups_meaning_in_steps(read_hw1):
    # The question's s is the sum over the *other* entries; this student's s is over all of them.
    writeup = read_hw1(marked("q1.softmax_diag", r"""
        Let $s = \sum_j e^{x_j}$. Then
        $$\frac{\partial f_i}{\partial x_i} = \frac{e^{x_i} s - e^{x_i} e^{x_i}}{s^2} = \boxed{f_i(1 - f_i)}$$
        """))
    found = writeup.reports["q1.softmax_diag"]
    assert found.first_wrong is None
    assert (found.steps_checked, found.steps_skipped) == (1, 1)
    assert writeup.answers["q1.softmax_diag"] == "f_i(1 - f_i)"   # answers keep the question's names


def test_a_line_that_redefines_a_symbol_does_so_within_its_part(read_hw1):
    writeup = read_hw1(marked("q1.softmax_diag", r"""
        $$s = \sum_j e^{x_j}$$
        $$\frac{\partial f_i}{\partial x_i} = \frac{e^{x_i} s - e^{2 x_i}}{s^2} = \boxed{f_i - f_i^2}$$
        """))
    assert writeup.reports["q1.softmax_diag"].first_wrong is None
