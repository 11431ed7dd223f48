"""Table-driven test of the answer language: each input, plain or LaTeX, has its value at fixed
sample points computed independently with numpy (see ``answers_cases.CASES``)."""

from __future__ import annotations

import numpy as np
import pytest

from answers_cases import CASES, DIMS, ENVS, N, NAMESPACES, V, sig
from grader.answers import AnswerError, Expression, evaluate, read


def _expected(case) -> np.ndarray:
    want = np.asarray(case.expected(V(ENVS[case.ns])), dtype=float)
    if want.ndim == 0:
        want = np.full(N, float(want))
    return want


def test_table_is_big_enough():
    assert len(CASES) >= 150
    texts = [(case.ns, case.text) for case in CASES]
    assert len(texts) == len(set(texts)), "duplicate rows in the table"
    assert sum("\\" in case.text for case in CASES) >= 50, "too few LaTeX rows"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_value_at_sample_points(case):
    ns = NAMESPACES[case.ns]
    expression = read(case.text, ns)
    assert isinstance(expression, Expression)
    assert expression.text == case.text
    if case.shape is not None:
        assert expression.shape == case.shape
    got = evaluate(expression.tree, ns, ENVS[case.ns], DIMS, N)
    want = _expected(case)
    assert got.shape == want.shape, (got.shape, want.shape)
    assert expression.is_scalar == (want.ndim == 1)
    assert np.allclose(got, want, rtol=1e-9, atol=1e-12, equal_nan=True), (got, want)


# -- rules the table alone does not pin down ----------------------------------------------------

def _value(text: str, key: str = "s") -> np.ndarray:
    ns = NAMESPACES[key]
    return evaluate(read(text, ns).tree, ns, ENVS[key], DIMS, N)


def test_names_are_case_sensitive():
    with pytest.raises(AnswerError) as info:
        read("X", NAMESPACES["s"])
    assert "unknown name `X`" in info.value.message
    v = V(ENVS["case"])
    assert np.allclose(_value("X", "case"), v.X)
    assert np.allclose(_value("x", "case"), v.x)
    assert not np.allclose(v.X, v.x)


def test_declared_T_makes_a_power_and_undeclared_T_a_transpose():
    v = V(ENVS["T"])
    assert np.allclose(_value("x^T", "T"), v.x ** v.T)
    # Without a declared T the same text is a transpose: of a scalar, the scalar itself.
    assert np.allclose(_value("x^T"), V(ENVS["s"]).x)


def test_declared_e_is_a_symbol_not_eulers_number():
    v = V(ENVS["e"])
    assert np.allclose(_value("e", "e"), v.e)
    assert not np.allclose(v.e, np.e)
    assert np.allclose(_value("e", "s"), np.e)


def test_f_of_an_expression_in_f_is_a_product_but_f_of_x_is_a_call():
    v = V(ENVS["s"])
    product = sig(v.x) * (1 - sig(v.x))
    call = sig(1 - v.x)
    assert np.allclose(_value("f(1 - f)"), product)
    assert np.allclose(_value("f(1 - x)"), call)
    assert not np.allclose(product, call)
    # x is not a function: x(1 - x) is always a product.
    assert np.allclose(_value("x(1 - x)"), v.x * (1 - v.x))


def test_infinity_only_where_the_question_allows_it():
    with pytest.raises(AnswerError) as info:
        read("inf", NAMESPACES["s"])
    assert "infinity" in info.value.message
    assert np.all(np.isposinf(_value("inf", "inf")))


def test_hatted_symbol_is_separate_only_when_declared():
    v = V(ENVS["hat"])
    assert np.allclose(_value("\\hat{x}", "hat"), v.x_hat)
    assert np.allclose(_value("\\hat{x}", "s"), V(ENVS["s"]).x)


def test_lhs_is_ignored_even_when_it_would_not_parse():
    v = V(ENVS["s"])
    assert np.allclose(_value("\\frac{\\partial L}{\\partial x} = 2x"), 2 * v.x)


def test_plain_and_latex_spellings_agree():
    pairs = [
        ("1/(1 + exp(-beta*x))", "\\frac{1}{1 + e^{-\\beta x}}"),
        ("sqrt(x^2 + 1)", "\\sqrt{x^{2} + 1}"),
        ("f(x)*(1 - f(x))", "f\\left(x\\right)\\left[1 - f\\left(x\\right)\\right]"),
        ("log(x)/x", "\\frac{\\ln x}{x}"),
    ]
    for plain, latex in pairs:
        assert np.allclose(_value(plain), _value(latex))


def test_matrix_answers_at_other_sizes():
    """Symbolic sizes: the same parsed answer evaluates at other (n, m) (the sampler never draws a
    size of 1, so neither does this test)."""
    from answers_cases import sample

    ns = NAMESPACES["mat"]
    expression = read("2 (W x + b - y) x^T", ns)
    for n, m in [(2, 5), (6, 2), (4, 4)]:
        env = sample(ns, seed=n * 10 + m, points=7, dims={"n": n, "m": m})
        got = evaluate(expression.tree, ns, env, {"n": n, "m": m}, 7)
        v = V(env)
        want = 2 * (v.W @ v.x + v.b - v.y) @ np.swapaxes(v.x, 1, 2)
        assert got.shape == want.shape
        assert np.allclose(got, want)


SYMPY_TEXTS = [
    "\\frac{1}{1 + e^{-\\beta x}}", "f(1 - f)", "f_i(1-f_i)", "-f_i f_j", "x^{-1}", "2^3^2",
    "\\sqrt[3]{x}", "softplus(x)", "\\frac{e^{-x}}{(1+e^{-x})^2}", "175/2", "|x - y|",
    "max(x, y)", "tanh(x)", "x_i x_j", "\\lambda x", "omega t",
]


@pytest.mark.parametrize("text", SYMPY_TEXTS)
def test_sympy_bridge_agrees_with_the_table(text):
    sympy = pytest.importorskip("sympy")
    from grader.answers.sympy_bridge import to_sympy

    ns = NAMESPACES["s"]
    case = next(c for c in CASES if c.ns == "s" and c.text == text)
    expr = to_sympy(read(text, ns).tree, ns)
    env = ENVS["s"]
    point = {sympy.Symbol(name, real=True): sympy.Float(float(values[0]), 30)
             for name, values in env.items()}
    got = float(expr.subs(point).evalf(20))
    assert np.isclose(got, _expected(case)[0], rtol=1e-9)
