"""Habits of students' notation that must read as they mean: `A^Tx`, `ff^T`, `w · x`."""

from __future__ import annotations

import numpy as np
import pytest

from grader.answers import AnswerError, Namespace, Symbol, evaluate, read

NS = Namespace(symbols={"A": Symbol("A", ("n", "n")), "x": Symbol("x", ("n", 1)),
                        "w": Symbol("w", ("n", 1)), "f": Symbol("f", ("n", 1)),
                        "y": Symbol("y")}, dims=frozenset({"n"}))
RNG = np.random.default_rng(7)
N, n = 4, 3
ENV = {"A": RNG.normal(size=(N, n, n)), "x": RNG.normal(size=(N, n, 1)),
       "w": RNG.normal(size=(N, n, 1)), "f": RNG.normal(size=(N, n, 1)), "y": RNG.normal(size=N)}


def value(text: str) -> np.ndarray:
    return evaluate(read(text, NS).tree, NS, ENV, {"n": n}, N)


@pytest.mark.parametrize("glued, spaced", [
    ("A^Tx", "A^T x"),
    ("Ax + A^Tx", "A x + A^T x"),
    ("(w^Tx - y)x", "(w^T x - y) x"),
    ("ff^T", "f f^T"),
    ("xx^Tw", "x x^T w"),
    ("x^Txy", "x^T x y"),
])
def test_glued_names_read_as_spaced(glued, spaced):
    np.testing.assert_allclose(value(glued), value(spaced))


@pytest.mark.parametrize("text", ["w · x", r"w \cdot x", "w⋅x", "w ∙ x"])
def test_a_dot_between_two_columns_is_their_inner_product(text):
    np.testing.assert_allclose(value(text), value("w^T x"))
    assert read(text, NS).is_scalar


def test_a_dot_elsewhere_is_an_ordinary_product():
    np.testing.assert_allclose(value(r"A \cdot x"), value("A x"))
    np.testing.assert_allclose(value("y · x"), value("y x"))
    np.testing.assert_allclose(value("x · w^T"), value("x w^T"))
    with pytest.raises(AnswerError):
        read("x * w", NS)  # `*` stays the matrix product: n x 1 by n x 1 does not conform


def test_a_declared_T_is_never_a_transpose():
    ns = Namespace(symbols={"x": Symbol("x"), "T": Symbol("T"), "Tx": Symbol("Tx")})
    tree = read("x^Tx", ns).tree
    assert type(tree).__name__ == "Pow"


SCALAR_NS = Namespace(symbols={"x": Symbol("x")})
POINTS = {"x": np.array([-1.3, -0.2, 0.4, 2.1])}


def scalar(text: str) -> np.ndarray:
    return evaluate(read(text, SCALAR_NS).tree, SCALAR_NS, POINTS, {}, 4)


@pytest.mark.parametrize("text, expected", [
    (r"\sin^2 x", np.sin(POINTS["x"]) ** 2),
    ("tanh^2(x)", np.tanh(POINTS["x"]) ** 2),
    (r"\operatorname{sech}^{2}\left(\frac{x}{2}\right)", 1 / np.cosh(POINTS["x"] / 2) ** 2),
    (r"\frac14 \cosh x", np.cosh(POINTS["x"]) / 4),
    (r"\frac{1}{4}\left(1-\tanh^2\frac{x}{2}\right)", (1 - np.tanh(POINTS["x"] / 2) ** 2) / 4),
    ("sec(x) + csc(x) + cot(x) + coth(x) + csch(x)",
     1 / np.cos(POINTS["x"]) + 1 / np.sin(POINTS["x"]) + 1 / np.tan(POINTS["x"])
     + 1 / np.tanh(POINTS["x"]) + 1 / np.sinh(POINTS["x"])),
])
def test_function_powers_before_the_argument_and_more_functions(text, expected):
    np.testing.assert_allclose(scalar(text), expected)


def test_an_inverse_written_as_a_power_is_refused_with_a_hint():
    with pytest.raises(AnswerError, match="inverse function by its name"):
        read(r"\sin^{-1} x", SCALAR_NS)
