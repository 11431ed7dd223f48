"""sympy → answer-language text: whatever is printed reads back (grader.answers.read) to the same
values, for scalar expressions (a hypothesis property against sympy's own numbers) and for the
matrix expressions derivations produce; and the tree rewrite that makes sympy's job possible."""

from __future__ import annotations

import numpy as np
import pytest
import sympy as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.answers import Namespace, Symbol, evaluate, read
from grader.answers.printing import to_plain
from grader.authoring.derive import differentiate, sympy_ready
from grader.authoring.sympy_text import Unprintable, to_answer_text, to_latex

x, y = sp.Symbol("x", real=True), sp.Symbol("y", real=True)
SCALARS = Namespace(symbols={"x": Symbol("x"), "y": Symbol("y")})
POINTS = 16


def _leaves():
    return st.sampled_from([x, y, sp.Integer(2), sp.Integer(3), sp.Rational(1, 2),
                            sp.Rational(-3, 4), sp.Float(0.25), sp.pi, sp.E])


def _grow(children):
    return st.one_of(
        st.tuples(children, children).map(lambda p: p[0] + p[1]),
        st.tuples(children, children).map(lambda p: p[0] - p[1]),
        st.tuples(children, children).map(lambda p: p[0] * p[1]),
        st.tuples(children, children).map(lambda p: p[0] / (p[1] ** 2 + 1)),
        st.tuples(children, st.sampled_from([2, 3, -1, -2])).map(lambda p: p[0] ** p[1]),
        children.map(lambda c: -c),
        children.map(lambda c: sp.exp(c / 4)),
        children.map(lambda c: sp.log(c ** 2 + 1)),
        children.map(lambda c: sp.sqrt(c ** 2 + 1)),
        children.map(sp.tanh),
        children.map(sp.sin),
        children.map(sp.Abs),
    )


EXPRESSIONS = st.recursive(_leaves(), _grow, max_leaves=8)


def _ours(text, ns, env, n):
    with np.errstate(all="ignore"):
        return np.broadcast_to(np.asarray(evaluate(read(text, ns).tree, ns, env, {}, n), float), (n,))


@settings(max_examples=150, deadline=None)
@given(EXPRESSIONS)
def test_printed_scalar_expressions_read_back_to_sympys_values(expr):
    from hypothesis import assume

    from grader.authoring.sympy_text import Unprintable

    try:
        text = to_answer_text(expr)
    except Unprintable:  # zoo, nan...: "none found", which the caller reports
        assume(False)
    rng = np.random.default_rng(7)
    env = {"x": rng.uniform(-2, 2, POINTS), "y": rng.uniform(-2, 2, POINTS)}
    with np.errstate(all="ignore"):
        expected = np.broadcast_to(np.asarray(sp.lambdify((x, y), expr, "numpy")(env["x"], env["y"]),
                                              dtype=complex), (POINTS,))
    got = _ours(text, SCALARS, env, POINTS)
    real = np.isfinite(expected) & (np.abs(expected.imag) < 1e-12) & (np.abs(expected) < 1e12)
    assert np.allclose(got[real], expected.real[real], rtol=1e-7, atol=1e-9), text


@pytest.mark.parametrize(("expr", "text"), [
    (x * (1 - x), "x*(1 - x)"),  # a name before a bracket could be a call
    (-x * y, "-x y"),
    (x / 2 - y, "x/2 - y"),
    (sp.exp(x) / (sp.exp(x) + 1) ** 2, "exp(x)/(exp(x) + 1)^2"),
    (1 / (x * y), "1/(x y)"),
    (sp.Rational(3, 2) * x, "3 x/2"),
    (x ** sp.Rational(1, 2), "sqrt(x)"),
])
def test_scalar_spellings(expr, text):
    assert to_answer_text(expr) == text


n, m = sp.Symbol("n", integer=True, positive=True), sp.Symbol("m", integer=True, positive=True)
A, X = sp.MatrixSymbol("A", n, n), sp.MatrixSymbol("X", n, m)
w, v, z = sp.MatrixSymbol("w", m, 1), sp.MatrixSymbol("v", n, 1), sp.MatrixSymbol("z", n, 1)
MATRICES = Namespace(symbols={"A": Symbol("A", ("n", "n")), "X": Symbol("X", ("n", "m")),
                              "w": Symbol("w", ("m", 1)), "v": Symbol("v", ("n", 1)),
                              "z": Symbol("z", ("n", 1)), "y": Symbol("y")},
                     dims=frozenset({"n", "m"}))


@pytest.mark.parametrize(("expr", "equivalent"), [
    ((A + A.T) * v + z, "A v + A' v + z"),
    (2 * (X * w - v) * w.T, "2 X w w^T - 2 v w^T"),
    (X.T * (X * w - v), "X^T X w - X^T v"),
    ((sp.Trace(v.T * z) - y) * v, "(z^T v - y) v"),
    (-y * v / (sp.exp(y * sp.Trace(v.T * z)) + 1), "-y v/(1 + exp(y z^T v))"),
    (sp.Inverse(A).T, "inv(A^T)"),
    (sp.Determinant(A) * sp.Inverse(A).T, "det(A) inv(A)^T"),
    (v / sp.sqrt(sp.Trace(v.T * v)), "v/sqrt(v^T v)"),
    (sp.Identity(n) * y + A, "y eye(n) + A"),
    (sp.HadamardProduct(v, z), "hadamard(z, v)"),
    (sp.MatMul(sp.Transpose(sp.MatAdd(X * w, -v)), A), "(w^T X^T - v^T) A"),
])
def test_printed_matrix_expressions_read_back_to_the_same_values(expr, equivalent):
    text = to_answer_text(expr)
    rng = np.random.default_rng(3)
    sizes, count = {"n": 3, "m": 2}, 5
    env = {"A": rng.uniform(-1, 1, (count, 3, 3)) + 3 * np.eye(3), "X": rng.uniform(-1, 1, (count, 3, 2)),
           "w": rng.uniform(-1, 1, (count, 2, 1)), "v": rng.uniform(-1, 1, (count, 3, 1)),
           "z": rng.uniform(-1, 1, (count, 3, 1)), "y": rng.uniform(-1, 1, count)}
    ours = read(text, MATRICES)
    reference = read(equivalent, MATRICES)
    assert ours.shape == reference.shape, text
    got = evaluate(ours.tree, MATRICES, env, sizes, count)
    expected = evaluate(reference.tree, MATRICES, env, sizes, count)
    assert np.allclose(got, expected), (text, equivalent)
    assert to_latex(expr)


def test_a_one_by_one_product_is_written_as_the_product_or_as_its_trace():
    expr = (sp.Trace(v.T * z) - y) * v
    assert to_answer_text(expr) == "(v^T z - y) v"
    assert to_answer_text(expr, inner_products=False) == "(trace(v^T z) - y) v"
    assert to_latex(expr) == r"\left(v^{\top} z - y\right) v"


def test_placeholders_are_spelled_by_name():
    f = sp.Dummy("f")
    assert to_answer_text(f * (1 - f), {f: "f"}) == "f*(1 - f)"
    assert to_latex(f * (1 - f), {f: r"f\left(x\right)"}) == r"f\left(x\right) \left(1 - f\left(x\right)\right)"


@pytest.mark.parametrize("expr", [sp.Heaviside(x), sp.gamma(x), sp.Integral(x, x), sp.I * x,
                                  sp.ZeroMatrix(n, 1)])
def test_what_the_answer_language_cannot_write_is_unprintable(expr):
    with pytest.raises(Unprintable):
        to_answer_text(expr)


# -- the tree rewrite and the chain rule ---------------------------------------------------------
def test_norm_squared_and_inner_products_become_traces():
    assert to_plain(sympy_ready(read("norm(X w - v)^2", MATRICES).tree, MATRICES)) == \
        "trace((X*w - v)^T*(X*w - v))"
    assert to_plain(sympy_ready(read("(v · z - y)^2", MATRICES).tree, MATRICES)) == \
        "(trace(v^T*z) - y)^2"
    assert to_plain(sympy_ready(read("exp(v^T A z)", MATRICES).tree, MATRICES)) == \
        "exp(trace(v^T*A*z))"
    assert to_plain(sympy_ready(read("y^2 + 1", MATRICES).tree, MATRICES)) == "y^2 + 1"


def test_a_scalar_function_of_a_trace_is_differentiated_by_the_chain_rule():
    # sympy's own diff gives the zero matrix here; the chain rule through a stand-in does not.
    expr = (sp.Trace(v.T * z) - y) ** 2 / 2
    assert isinstance(sp.diff(expr, v), sp.ZeroMatrix)
    assert differentiate(expr, v) == (sp.Trace(v.T * z) - y) * z
