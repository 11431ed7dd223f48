"""Closed forms of ``gradient_of`` questions: derived by sympy, shown only when the text reads back
in the question's namespace and agrees with the exact forward-mode reference in its layout."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from grader.answers import read
from grader.answers.nodes import Apply, Call, Given, walk
from grader.authoring.closed_form import NONE_AGREED, closed_form
from grader.authoring.derive import Derivation, NoClosedForm
from grader.authoring.writing import Form

#: hw1's gradient_of questions and an answer an author would write for each: the closed form must
#: be marked correct by the question itself and equal this one at its sample points.
HW1_FORMS = {
    "q1.sigmoid": "f (1 - f)",
    "q1.softmax_diag": "f_i (1 - f_i)",
    "q1.softmax_offdiag": "-f_i f_j",
    "q1.softplus": "sigmoid(beta x)",
    "q2.quadratic": "(A + A^T) x + z",
    "q2.l2_single": "(w^T x - y) x",
    "q2.l2_multi": "X^T (X w - y)",
    "q3.linear": "2 (W x + b - y) x^T",
}
#: hw1's function questions with gradient_of that sympy can do, and their closed forms' values.
HW1_FUNCTION_FORMS = {
    "p2.quadratic_grad": "(A + A^T) x + z",
    "p2.l2_multi_grad": "X^T (X w - y)",
    "p3.linear_grad_W": "2 (W x + b - y) x^T",
}


@pytest.fixture(scope="module")
def hw1_forms(hw1, hw1_checkers):
    return {q.id: closed_form(hw1_checkers[q.id]) for q in hw1.questions}


def values(kind, text):
    expression = read(text, kind.ns)
    return expression.shape, kind.values_of(expression)


@pytest.mark.parametrize("qid", sorted(HW1_FORMS))
def test_hw1_gradient_questions_get_a_closed_form_that_the_question_marks_correct(
        qid, hw1_forms, hw1_checkers):
    kind, form = hw1_checkers[qid], hw1_forms[qid]
    assert form is not None and form.found and form.text, form
    assert kind.check(form.text).status == "correct"
    shape, got = values(kind, form.text)
    expected_shape, expected = values(kind, HW1_FORMS[qid])
    assert shape == expected_shape == kind.shape
    assert kind.matches(got, expected) is None
    assert form.latex and "agrees at" in form.note


@pytest.mark.parametrize("qid", sorted(HW1_FORMS))
def test_the_main_form_is_in_the_questions_own_symbols(qid, hw1_forms, hw1_checkers):
    tree = read(hw1_forms[qid].text, hw1_checkers[qid].ns).tree
    assert not any(isinstance(node, (Given, Apply)) for node in walk(tree))


@pytest.mark.parametrize("qid", ["q1.sigmoid", "q1.softmax_diag", "q1.softmax_offdiag"])
def test_scalar_forms_are_re_expressed_with_the_givens_when_that_is_simpler(
        qid, hw1_forms, hw1_checkers):
    kind, form = hw1_checkers[qid], hw1_forms[qid]
    assert form.with_givens, form
    tree = read(form.with_givens, kind.ns).tree
    assert any(isinstance(node, (Given, Apply)) for node in walk(tree))
    assert not any(isinstance(node, Call) and node.func == "exp" for node in walk(tree))
    assert kind.check(form.with_givens).status == "correct"
    assert form.with_givens_latex


def test_matrix_forms_read_as_a_textbook_writes_them(hw1_forms):
    assert hw1_forms["q2.quadratic"].text == "(A + A^T) x + z"
    assert hw1_forms["q2.l2_single"].text == "(w^T x - y) x"
    assert hw1_forms["q2.l2_multi"].text == "X^T (X w - y)"
    assert hw1_forms["q3.linear"].text == "2 (W x + b - y) x^T"


@pytest.mark.parametrize("qid", sorted(HW1_FUNCTION_FORMS))
def test_function_questions_closed_forms_pass_the_kinds_own_judge(qid, hw1_forms, hw1_checkers):
    kind, form = hw1_checkers[qid], hw1_forms[qid]
    assert form.found and "12 calls" in form.note
    assert _judged(kind, form.text) == "correct"
    assert _judged(kind, HW1_FUNCTION_FORMS[qid]) == "correct"
    assert _judged(kind, "2 " + form.text if "2 " not in form.text else form.text[2:]) == "incorrect"


def _judged(kind, text):
    """The kind's verdict on a student whose function returns ``text``'s values at every call."""
    from grader.answers import evaluate

    expression = read(text, kind.ns)
    one_d = {n for n, spec in kind.question.args.items() if spec.shape is not None and len(spec.shape) == 1}
    results = []
    for call in kind.prepared_calls:
        env = {name: (np.asarray(a, float).reshape(1, -1, 1) if name in one_d
                      else np.asarray(a, float).reshape(1, *np.shape(a)))
               for name, a in zip(kind.question.args, call.args)}
        value = np.asarray(evaluate(expression.tree, kind.ns, env, call.sizes, 1)[0])
        results.append(SimpleNamespace(status="ok", value=value.reshape(call.expected.shape)))
    return kind.judge(results).status


def test_a_gradient_sympy_cannot_express_says_none_was_found(hw1_forms):
    form = hw1_forms["p1.sigmoid_grad"]
    assert form is not None and not form.found
    assert form.note.startswith("none found")


def test_questions_without_gradient_of_have_no_closed_form(hw1, hw1_forms):
    for question in hw1.questions:
        if getattr(question, "gradient_of", None) is None:
            assert hw1_forms[question.id] is None, question.id


LAYOUTS = """
title: layouts
questions:
  - id: quad
    kind: matrix_expression
    points: 1
    layout: {layout}
    symbols: {{A: {{shape: [n, n]}}, x: {{shape: [n, 1]}}, z: {{shape: [n, 1]}}}}
    gradient_of: "x^T (A x + z)"
    wrt: x
  - id: linear
    kind: matrix_expression
    points: 1
    layout: {layout}
    symbols: {{W: {{shape: [m, n]}}, x: {{shape: [n, 1]}}, b: {{shape: [m, 1]}}, y: {{shape: [m, 1]}}}}
    gradient_of: "norm(W x + b - y)^2"
    wrt: W
  - id: row
    kind: matrix_expression
    points: 1
    layout: {layout}
    symbols: {{u: {{shape: [1, n]}}, x: {{shape: [n, 1]}}}}
    gradient_of: "(u x)^2"
    wrt: u
  - id: scalar
    kind: expression
    points: 1
    layout: {layout}
    symbols: {{x: {{}}, beta: {{positive: true}}}}
    gradient_of: "log(1 + exp(beta x)) / beta"
    wrt: x
"""


@pytest.fixture(scope="module")
def layouts(tmp_path_factory):
    from grader.pipeline import load

    out = {}
    for layout in ("denominator", "numerator"):
        path = tmp_path_factory.mktemp(layout) / "rubric.yaml"
        path.write_text(LAYOUTS.format(layout=layout), encoding="utf-8")
        rubric, prepared = load(path)
        out[layout] = {q.id: (prepared[q.id], closed_form(prepared[q.id])) for q in rubric.questions}
    return out


@pytest.mark.parametrize("qid", ["quad", "linear", "row", "scalar"])
@pytest.mark.parametrize("layout", ["denominator", "numerator"])
def test_closed_forms_are_in_the_questions_layout(layouts, layout, qid):
    kind, form = layouts[layout][qid]
    assert form.found, form
    assert read(form.text, kind.ns).shape == kind.shape
    assert kind.check(form.text).status == "correct"


@pytest.mark.parametrize("qid", ["quad", "linear", "row"])
def test_the_two_layouts_give_transposed_forms(layouts, qid):
    den_kind, den = layouts["denominator"][qid]
    num_kind, num = layouts["numerator"][qid]
    assert num_kind.shape == (den_kind.shape[1], den_kind.shape[0])
    assert num_kind.check(den.text).status == "incorrect"
    assert den_kind.check(num.text).status == "incorrect"
    assert den_kind.check(f"({num.text})^T").status == "correct"


def test_numerator_layout_keeps_a_sum_whole_inside_the_transpose(layouts):
    _, form = layouts["numerator"]["linear"]
    assert form.text == "2 x*(W x + b - y)^T"


# -- a wrong form is never shown ---------------------------------------------------------------
def _fake(*texts, givens=()):
    def derive(*_args, **_kwargs):
        return Derivation(tuple(Form(t, "x") for t in texts), tuple(Form(t, "x") for t in givens))
    return derive


@pytest.mark.parametrize("wrong", [
    "2 A x + z",          # the classic mistake: right shape, wrong values
    "x^T (A + A^T) + z^T",  # the numerator layout
    "(A + A^T) x",        # almost
    "(A + A^T x + z",     # does not read back
    "(A + A^T) x + q",    # an unknown name
])
def test_a_form_that_disagrees_with_the_reference_is_suppressed(hw1_checkers, wrong):
    form = closed_form(hw1_checkers["q2.quadratic"], derive=_fake(wrong))
    assert not form.found and form.text is None and form.latex is None
    assert form.note == NONE_AGREED == "sympy's form did not agree numerically; none shown"


def test_the_first_form_that_agrees_is_shown(hw1_checkers):
    form = closed_form(hw1_checkers["q2.quadratic"], derive=_fake("2 A x + z", "A x + A^T x + z"))
    assert form.text == "A x + A^T x + z"


def test_a_wrong_form_with_the_givens_is_suppressed_and_the_right_one_kept(hw1_checkers):
    kind = hw1_checkers["q1.sigmoid"]
    form = closed_form(kind, derive=_fake("exp(-x)/(1 + exp(-x))^2", givens=["f (1 + f)"]))
    assert form.text == "exp(-x)/(1 + exp(-x))^2" and form.with_givens is None
    form = closed_form(kind, derive=_fake("exp(x)/(1 + exp(-x))^2", givens=["f (1 + f)", "f - f^2"]))
    assert form.text is None and form.with_givens == "f - f^2" and form.found


def test_a_failing_derivation_is_a_note_not_a_traceback(hw1_checkers):
    def broken(*_args, **_kwargs):
        raise RuntimeError("deep inside sympy")

    def nothing(*_args, **_kwargs):
        raise NoClosedForm("the gradient is zero")

    assert closed_form(hw1_checkers["q2.quadratic"], derive=broken).note == \
        "none found: sympy failed (RuntimeError)"
    assert closed_form(hw1_checkers["q2.quadratic"], derive=nothing).note == \
        "none found: the gradient is zero"


MORE = """
title: more gradients
questions:
  - id: relu
    kind: expression
    points: 1
    symbols: {x: {}}
    gradient_of: "relu(x)"
    wrt: x
  - id: logistic
    kind: matrix_expression
    points: 1
    symbols: {w: {shape: [n, 1]}, x: {shape: [n, 1]}, y: {domain: [0, 1]}}
    given: {p: "sigmoid(w^T x)"}
    gradient_of: "-y log(p) - (1 - y) log(1 - p)"
    wrt: w
  - id: trace
    kind: matrix_expression
    points: 1
    symbols: {A: {shape: [n, n]}, X: {shape: [n, n]}}
    gradient_of: "trace(A X)"
    wrt: X
  - id: logdet
    kind: matrix_expression
    points: 1
    symbols: {X: {shape: [n, n]}}
    gradient_of: "log(det(X^T X + eye(n)))"
    wrt: X
  - id: norm
    kind: matrix_expression
    points: 1
    symbols: {x: {shape: [n, 1]}}
    gradient_of: "norm(x)"
    wrt: x
  - id: ridge
    kind: matrix_expression
    points: 1
    symbols: {X: {shape: [n, m]}, w: {shape: [m, 1]}, y: {shape: [n, 1]}, lam: {positive: true}}
    gradient_of: "norm(X w - y)^2 / 2 + lam/2 norm(w)^2"
    wrt: w
  - id: dot
    kind: matrix_expression
    points: 1
    symbols: {w: {shape: [n, 1]}, x: {shape: [n, 1]}}
    gradient_of: "exp(w · x)"
    wrt: w
  - id: by_a_scalar
    kind: expression
    points: 1
    symbols: {X: {shape: [n, m]}, w: {shape: [m, 1]}, lam: {positive: true}}
    gradient_of: "lam norm(X w)^2 + log(lam)"
    wrt: lam
  - id: network
    kind: matrix_expression
    points: 1
    symbols: {w: {shape: [n, 1]}, x: {shape: [n, 1]}, v: {}}
    gradient_of: "(v tanh(w^T x) - 1)^2"
    wrt: w
  - id: identity
    kind: matrix_expression
    points: 1
    symbols: {x: {shape: [n, 1]}, A: {shape: [n, n]}, I: {identity: n}}
    gradient_of: "x^T (A + 2 I) x"
    wrt: x
  - id: matrix_given
    kind: matrix_expression
    points: 1
    symbols: {X: {shape: [n, m]}, w: {shape: [m, 1]}, y: {shape: [n, 1]}}
    given: {r: "X w - y"}
    gradient_of: "norm(r)^2 / 2"
    wrt: w
  - id: alias
    kind: matrix_expression
    points: 1
    symbols: {w: {shape: [n, 1], aliases: [omega]}, x: {shape: [n, 1]}}
    gradient_of: "(omega^T x)^2"
    wrt: w
  - id: independent
    kind: expression
    points: 1
    symbols: {x: {}, y: {}}
    gradient_of: "y^2"
    wrt: x
  - id: sum
    kind: matrix_expression
    points: 1
    symbols: {w: {shape: [n, 1]}, X: {shape: [m, n]}}
    gradient_of: "sum(X w)"
    wrt: w
  - id: code_scalar
    kind: function
    points: 1
    args: {x: {domain: [-3, 3]}, beta: {positive: true}}
    gradient_of: "log(1 + exp(beta x)) / beta"
    wrt: x
  - id: code_matrix
    kind: function
    points: 1
    args: {W: {shape: [m, n]}, x: {shape: [n]}}
    gradient_of: "norm(W x)^2"
    wrt: W
"""


@pytest.fixture(scope="module")
def more(tmp_path_factory):
    from grader.pipeline import load

    path = tmp_path_factory.mktemp("more") / "rubric.yaml"
    path.write_text(MORE, encoding="utf-8")
    rubric, prepared = load(path)
    return {q.id: (prepared[q.id], closed_form(prepared[q.id])) for q in rubric.questions}


def test_sympys_derivative_of_relu_has_no_spelling_here(more):
    _, form = more["relu"]
    assert not form.found and form.note.startswith("none found")


@pytest.mark.parametrize("qid", ["logistic", "trace", "logdet", "norm", "ridge", "dot",
                                 "by_a_scalar", "network", "identity", "matrix_given", "alias",
                                 "independent"])
def test_more_gradients_get_closed_forms_the_question_accepts(more, qid):
    kind, form = more[qid]
    assert form.found, form.note
    for text in filter(None, (form.text, form.with_givens)):
        assert kind.check(text).status == "correct", text


@pytest.mark.parametrize("qid", ["code_scalar", "code_matrix"])
def test_more_function_questions_get_closed_forms_their_judge_accepts(more, qid):
    kind, form = more[qid]
    assert form.found, form.note
    assert _judged(kind, form.text) == "correct"


def test_a_zero_gradient_is_the_number_zero(more):
    assert more["independent"][1].text == "0"


def test_sympy_not_knowing_a_derivative_is_not_mistaken_for_zero(more):
    # sympy differentiates the entry of a matrix that sum() becomes to zero: that is no answer.
    _, form = more["sum"]
    assert not form.found
    assert form.note == "none found: sympy cannot differentiate an entry of a matrix (from sum)"


def test_logistic_regression_is_re_expressed_with_its_given(more):
    kind, form = more["logistic"]
    assert form.with_givens == "(p - y) x"


def test_a_determinant_is_differentiated_by_jacobis_formula(more):
    kind, form = more["logdet"]
    assert "inv(" in form.text and kind.check("2 X inv(X^T X + eye(n))").status == "correct"
