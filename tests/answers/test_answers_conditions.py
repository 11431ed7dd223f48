"""Indicators, cases, rubric conditions (``parse_condition``), kink distances, and the
elementwise-shorthand flag's finer points."""

from __future__ import annotations

import numpy as np
import pytest

from grader.answers import (AnswerError, Function, Namespace, Symbol, evaluate, gradient,
                            infer_shape, kink_distance, parse, parse_condition, read)
from grader.answers.nodes import Apply, Cases, Compare, Name, Pow, walk

NS = Namespace(symbols={"x": Symbol("x"), "y": Symbol("y"), "h": Symbol("h", ("n", 1)),
                        "x0": Symbol("x0"), "y0": Symbol("y0")},
               dims=frozenset({"n"}))
X = np.array([-1.5, -0.25, 0.01, 0.7, 2.0])
Y = np.array([0.5, 0.5, -3.0, 0.75, 2.0])
H = np.array([[[1.0], [-0.2]], [[3.0], [4.0]], [[0.05], [-1.0]], [[-2.0], [0.3]], [[0.6], [0.6]]])
ENV = {"x": X, "y": Y, "h": H, "x0": np.array([1.0, 2.0, 3.0, 4.0, 5.0]),
       "y0": np.array([100.0, 150.0, 300.0, 400.0, 1.0])}
SIZES = {"n": 2}


def value(text: str, ns: Namespace = NS) -> np.ndarray:
    return evaluate(read(text, ns).tree, ns, ENV, SIZES, len(X))


def kinks(text: str, ns: Namespace = NS, env=ENV) -> np.ndarray:
    return kink_distance(read(text, ns).tree, ns, env, SIZES, len(X))


# -- kink distance ----------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("relu(x)", np.abs(X)),
    ("[x > 0]", np.abs(X)),
    ("abs(x - y)", np.abs(X - Y)),
    ("max(x, y)", np.abs(X - Y)),
    ("min(x, 2 y)", np.abs(X - 2 * Y)),
    ("sign(x) + step(y)", np.minimum(np.abs(X), np.abs(Y))),
    ("clip(x, -1, 1)", np.minimum(np.abs(X + 1), np.abs(X - 1))),
    (r"\begin{cases} 1 & x > y \\ 0 & \text{otherwise} \end{cases}", np.abs(X - Y)),
    (r"\mathbb{1}_{0 < x < 1}", np.minimum(np.abs(X), np.abs(X - 1))),
    ("relu(h)", np.abs(H).min(axis=(1, 2))),
    ("max(h)", np.abs(H[:, 0, 0] - H[:, 1, 0])),
    ("norm(h, 1)", np.abs(H).min(axis=(1, 2))),
    ("x^2 + exp(y)", np.full(len(X), np.inf)),
])
def test_kink_distance(text, expected):
    np.testing.assert_allclose(kinks(text), expected)


def test_kinks_inside_givens_and_functions_count():
    body = parse("abs(t - 1)", Namespace(params=frozenset({"t"})))
    ns = Namespace(symbols=dict(NS.symbols), dims=NS.dims,
                   functions={"g": Function("g", ("t",), body)},
                   givens={"q": parse("relu(y)", NS)}, given_shapes={"q": (1, 1)})
    env = dict(ENV, q=np.zeros(len(X)))  # a stale value: kink_distance recomputes givens
    np.testing.assert_allclose(kinks("g(x)", ns, env), np.abs(X - 1))
    np.testing.assert_allclose(kinks("q + x", ns, env), np.abs(Y))


def test_kinks_do_not_change_values():
    text = r"x \begin{cases} 1 & x > 0 \\ -1 & \text{otherwise}\end{cases} + relu(y)"
    np.testing.assert_allclose(value(text), np.abs(X) + np.maximum(Y, 0))


# -- indicators and cases ---------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("[x > 0]", (X > 0) * 1.0),
    ("[x >= 0.01]", (X >= 0.01) * 1.0),
    (r"[x \ge y]", (X >= Y) * 1.0),
    ("[x < y]", (X < Y) * 1.0),
    ("[x ≤ y]", (X <= Y) * 1.0),
    ("[0 < x < 1]", ((X > 0) & (X < 1)) * 1.0),
    ("[x > 0 and y > 0]", ((X > 0) & (Y > 0)) * 1.0),
    (r"\mathbb{1}[x > 0 \land y > 0]", ((X > 0) & (Y > 0)) * 1.0),
    ("2[x > 0] - 1", np.where(X > 0, 1.0, -1.0)),
    ("x[x > 0]", np.maximum(X, 0)),
    (r"\begin{cases} x^2 & x > 0 \\ -x & \text{otherwise} \end{cases}", np.where(X > 0, X ** 2, -X)),
    (r"\begin{cases} 1 & x > 1 \\ 2 & x > 0 \\ 3 & \text{else} \end{cases}",
     np.select([X > 1, X > 0], [1.0, 2.0], 3.0)),
    (r"\begin{cases} 1 & x > 1 \\ 2 & x < -1 \end{cases}", np.select([X > 1, X < -1], [1.0, 2.0], np.nan)),
])
def test_indicator_values(text, expected):
    np.testing.assert_array_equal(value(text), expected)


def test_cases_of_vectors_are_elementwise():
    got = value(r"\begin{cases} h & h > 0 \\ 0 & \text{otherwise} \end{cases}")
    np.testing.assert_array_equal(got, np.maximum(H, 0))
    assert read("[h > 0]", NS).shape == ("n", 1)
    assert read(r"\begin{cases} 1 & h > x \\ 0 & \text{otherwise} \end{cases}", NS).shape == ("n", 1)


def test_gradients_through_cases_and_indicators():
    tree = read(r"\begin{cases} x^2 & x > 0 \\ 3x & \text{otherwise} \end{cases} + x [y > 0]", NS).tree
    got = gradient(tree, NS, ENV, SIZES, len(X), "x")
    np.testing.assert_allclose(got, np.where(X > 0, 2 * X, 3.0) + (Y > 0))


def test_a_bracket_is_an_indicator_only_when_it_holds_a_comparison():
    assert not any(isinstance(n, Compare) for n in walk(read("x[1 - x]", NS).tree))
    np.testing.assert_allclose(value("x[1 - x]"), X * (1 - X))
    assert isinstance(read("[x > 0]", NS).tree, Compare)


def test_ones_subscript_is_a_size_and_a_condition_is_an_indicator():
    assert read(r"\mathbb{1}_n", NS).shape == ("n", 1)
    assert read(r"\mathbb{1}_{x > 0}", NS).shape == (1, 1)
    np.testing.assert_array_equal(value(r"\mathbb{1}_{x > 0}"), (X > 0) * 1.0)


@pytest.mark.parametrize("text, fragment", [
    ("x > 0", "belongs inside an indicator"),
    ("relu(x > 0)", "belongs inside an indicator"),
    ("[x and y]", "`and` joins two comparisons"),
    (r"\begin{cases} 1 & x \end{cases}", "condition of a case is a comparison"),
    (r"\begin{cases} 1 \\ 0 \end{cases}", "value & condition"),
    (r"\begin{cases} 1 x > 0 \\ 0 & x \le 0 \end{cases}", "value & condition"),
    (r"\begin{cases} 1 & \text{otherwise} \\ 0 & x > 0 \end{cases}", "comes last"),
    (r"\begin{cases} 1 & x > 0", "expected `\\\\`"),
    (r"1 & x > 0", "belongs in a case"),
    (r"\begin{pmatrix} 1 \end{pmatrix}", "only environment"),
    ("[x == 0]", ""),
    (r"\mathbb{1}_{x}", "`x` in 1_x is not a size of this question"),
    (r"\mathbb{1}_{x + 1}", "1_n for a vector of ones"),
])
def test_misused_comparisons_and_cases_are_refused(text, fragment):
    if not fragment:
        read(text, NS)  # equality inside a bracket is allowed (and almost surely 0)
        return
    with pytest.raises(AnswerError) as info:
        read(text, NS)
    assert fragment in info.value.message


# -- parse_condition --------------------------------------------------------------------------

@pytest.mark.parametrize("text, expected", [
    ("y0 != 100 x0", ENV["y0"] != 100 * ENV["x0"]),
    ("y0 == 100 x0", ENV["y0"] == 100 * ENV["x0"]),
    (r"y0 \neq 100 x0", ENV["y0"] != 100 * ENV["x0"]),
    ("y0 ≠ 100 x0", ENV["y0"] != 100 * ENV["x0"]),
    ("0 < x < 1", (X > 0) & (X < 1)),
    ("x >= 0 and y >= 0", (X >= 0) & (Y >= 0)),
    (r"x \le y", X <= Y),
])
def test_parse_condition(text, expected):
    tree = parse_condition(text, NS)
    got = evaluate(tree, NS, ENV, SIZES, len(X))
    np.testing.assert_array_equal(got, np.asarray(expected, dtype=float))
    assert infer_shape(tree, NS) == (1, 1)


def test_parse_condition_equality_is_within_rounding():
    tree = parse_condition("x == 0.1 + 0.2", Namespace(symbols={"x": Symbol("x")}))
    got = evaluate(tree, Namespace(symbols={"x": Symbol("x")}), {"x": np.array([0.3, 0.31])}, {}, 2)
    np.testing.assert_array_equal(got, [1.0, 0.0])


@pytest.mark.parametrize("text, fragment", [
    ("x + 1", "a condition compares"),
    ("", "empty"),
    ("x > ", "ends too early"),
    ("h > x0 and x > 0 > h^T", "shapes must be equal"),
    ("z > 0", "unknown name `z`"),
])
def test_parse_condition_errors(text, fragment):
    with pytest.raises(AnswerError) as info:
        parse_condition(text, NS)
    assert fragment in info.value.message


# -- elementwise shorthand --------------------------------------------------------------------

BROADCAST = Namespace(symbols={"W": Symbol("W", ("m", "n")), "A": Symbol("A", ("n", "n")),
                               "h": Symbol("h", ("n", 1))},
                      dims=frozenset({"n", "m"}), broadcast=True)


def test_a_power_of_a_non_square_matrix_stays_elementwise_when_sizes_coincide():
    """W is m x n: W^2 is elementwise even in a batch where m == n happens to hold."""
    tree = read("W^2", BROADCAST).tree
    assert isinstance(tree, Pow) and tree.elementwise
    rng = np.random.default_rng(1)
    env = {"W": rng.normal(size=(3, 4, 4)), "A": rng.normal(size=(3, 4, 4)), "h": rng.normal(size=(3, 4, 1))}
    np.testing.assert_allclose(evaluate(tree, BROADCAST, env, {"n": 4, "m": 4}, 3), env["W"] ** 2)
    square = read("A^2", BROADCAST).tree
    assert isinstance(square, Pow) and not square.elementwise
    np.testing.assert_allclose(evaluate(square, BROADCAST, env, {"n": 4, "m": 4}, 3), env["A"] @ env["A"])


def test_elementwise_gradient():
    env = {"h": np.random.default_rng(2).uniform(0.5, 1.5, (4, 3, 1)), "W": np.zeros((4, 2, 3)),
           "A": np.zeros((4, 3, 3))}
    tree = read("sum(1/(1 + h^2))", BROADCAST).tree
    got = gradient(tree, BROADCAST, env, {"n": 3, "m": 2}, 4, "h")
    h = env["h"]
    np.testing.assert_allclose(got, -2 * h / (1 + h ** 2) ** 2)


def test_declared_functions_still_take_scalars_under_broadcast():
    ns = Namespace(symbols=dict(BROADCAST.symbols), dims=BROADCAST.dims, broadcast=True,
                   functions={"f": Function("f", ("t",), parse("t^2", Namespace(params=frozenset({"t"}))))})
    with pytest.raises(AnswerError, match="takes scalars"):
        read("f(h)", ns)
    assert isinstance(read("f(1)", ns).tree, Apply)


# -- messages -----------------------------------------------------------------------------------

@pytest.mark.parametrize("ns, text, fragment", [
    (NS, "N x", "this question's size is `n` (case matters)"),
    (NS, "x/d", "it looks like a size, and this question's sizes are n"),
    (Namespace(symbols={"x": Symbol("x")}), "x/n", "it looks like a size, and this question has none"),
    (NS, "x^{-T}", ""),
    (Namespace(symbols={"A": Symbol("A", ("n", "n"))}, dims=frozenset({"n"})), "A^{T-1}",
     "write X^T, X^{-1}, or X^{-T} for the inverse of the transpose"),
    (NS, "g'(x)", "(a derivative) cannot be read: write the derivative itself as a formula"),
    (NS, "tanh'(x)", "`tanh'` (a derivative)"),
    (NS, r"\tanh^{\prime}(x)", "(a derivative)"),
])
def test_messages_say_what_to_write(ns, text, fragment):
    if not fragment:
        read(text, ns)  # X^{-T} is never "unknown name T"
        return
    with pytest.raises(AnswerError) as info:
        read(text, ns)
    assert fragment in info.value.message
    assert "unknown name `T`" not in info.value.message


def test_cases_node_records_the_otherwise_branch():
    tree = read(r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}", NS).tree
    assert isinstance(tree, Cases) and tree.otherwise and len(tree.conditions) == 1
    assert [n.name for n in walk(tree) if isinstance(n, Name)] == ["x"]


# -- the sympy bridge reads the new nodes -------------------------------------------------------

@pytest.mark.parametrize("text", [
    "[x > 0] + 2 [x <= y]",
    "[0 < x < 1]",
    r"\begin{cases} x^2 & x > 0 \\ -x & \text{otherwise} \end{cases}",
    r"\begin{cases} 1 & x > 1 \\ 2 & x > 0 \\ 3 & \text{else} \end{cases}",
    "x / n + sum(1_n)",
    "sum([h > 0])",
    "sum(h ⊙ [h > x])",
])
def test_sympy_bridge_agrees(text):
    sympy = pytest.importorskip("sympy")
    from grader.answers.sympy_bridge import to_sympy

    tree = read(text, NS).tree
    expr = to_sympy(tree, NS, sizes=SIZES)
    want = evaluate(tree, NS, ENV, SIZES, len(X))
    for point in range(len(X)):
        mapping = {sympy.Symbol("x", real=True): sympy.Float(X[point], 30),
                   sympy.Symbol("y", real=True): sympy.Float(Y[point], 30),
                   sympy.MatrixSymbol("h", 2, 1): sympy.Matrix(H[point])}
        got = float(expr.subs(mapping).doit().evalf(20))
        assert got == pytest.approx(want[point], rel=1e-12), point


def test_sympy_keeps_sizes_symbolic_without_numbers():
    sympy = pytest.importorskip("sympy")
    from grader.answers.sympy_bridge import to_sympy

    expr = to_sympy(read("x / n", NS).tree, NS)
    n = sympy.Symbol("n", integer=True, positive=True)
    assert sympy.simplify(expr - sympy.Symbol("x", real=True) / n) == 0
