"""Property tests: random trees, printed with ``to_plain`` and ``to_latex``, parse back to trees
with the same values (and, for matrices, the same shape) at fixed sample points."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.answers import Namespace, Symbol, evaluate, infer_shape, parse, read
from grader.answers.nodes import (ADD, AND, COMPARISONS, DIV, MUL, SUB, BinOp, Call, Cases,
                                  Compare, Identity, Name, Neg, Num, Pow, Transpose)
from grader.answers.printing import to_latex, to_plain

POINTS = 7
SETTINGS = settings(max_examples=200, deadline=None, derandomize=True, database=None,
                    suppress_health_check=[HealthCheck.too_slow])

# -- scalars ----------------------------------------------------------------------------------

SCALAR_NS = Namespace(symbols={name: Symbol(name) for name in ("x", "y", "beta")})
_rng = np.random.default_rng(20240611)
SCALAR_ENV = {
    "x": np.concatenate([[0.0, -1.0, 2.5], _rng.uniform(-2, 2, POINTS - 3)]),
    "y": _rng.uniform(-2, 2, POINTS),
    "beta": _rng.uniform(0.1, 3, POINTS),
}

numbers = st.one_of(
    st.integers(0, 12).map(float),
    st.sampled_from([0.5, 0.25, 1.5, 2.5, 0.1, 1e-3, 1e-05, 3.75, 100.0]),
).map(Num)
scalar_leaves = st.one_of(st.sampled_from([Name("x"), Name("y"), Name("beta")]), numbers)
exponents = st.one_of(st.integers(0, 3).map(float).map(Num),
                      st.integers(1, 2).map(float).map(lambda k: Neg(Num(k))))


def _scalar_extend(children):
    return st.one_of(
        st.builds(BinOp, st.sampled_from([ADD, SUB, MUL, DIV]), children, children),
        st.builds(Neg, children),
        st.builds(Pow, children, exponents),
        st.builds(lambda f, a: Call(f, (a,)),
                  st.sampled_from(["exp", "sin", "tanh", "sigmoid", "cos", "abs"]), children),
        st.builds(lambda a: Call("sqrt", (Pow(a, Num(2.0)),)), children),
        st.builds(Transpose, children),
        # piecewise: multi-argument builtins, indicators (with `and`) and cases
        st.builds(lambda f, a, b: Call(f, (a, b)), st.sampled_from(["max", "min"]), children, children),
        st.builds(lambda a, b, c: Call("clip", (a, b, c)), children, children, children),
        st.builds(Compare, st.sampled_from(COMPARISONS), children, children),
        st.builds(lambda a, b, c, d: BinOp(AND, Compare("<", a, b), Compare(">=", c, d)),
                  children, children, children, children),
        st.builds(lambda a, b, c: Cases((a, b), (Compare(">", c, Num(0.5)),)), children, children, children),
        st.builds(lambda a, b, c: Cases((a, b, Num(1.0)), (Compare("<=", c, Num(0.5)),
                                                          Compare("!=", c, Num(2.0)))),
                  children, children, children),
    )


scalar_trees = st.recursive(scalar_leaves, _scalar_extend, max_leaves=12)


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12, equal_nan=True))


def _scalar_value(tree):
    return evaluate(tree, SCALAR_NS, SCALAR_ENV, {}, POINTS)


@SETTINGS
@given(scalar_trees)
def test_scalar_plain_round_trip(tree):
    text = to_plain(tree)
    back = parse(text, SCALAR_NS)
    assert _same(_scalar_value(back), _scalar_value(tree)), text


@SETTINGS
@given(scalar_trees)
def test_scalar_latex_round_trip(tree):
    text = to_latex(tree)
    back = parse(text, SCALAR_NS)
    assert _same(_scalar_value(back), _scalar_value(tree)), text


@SETTINGS
@given(scalar_trees)
def test_printing_is_a_fixed_point(tree):
    """Printing the re-parsed tree gives the same text again: nothing drifts on a second pass."""
    for show in (to_plain, to_latex):
        text = show(tree)
        assert show(parse(text, SCALAR_NS)) == show(parse(show(parse(text, SCALAR_NS)), SCALAR_NS))


# -- matrices ---------------------------------------------------------------------------------

MATRIX_NS = Namespace(
    symbols={"A": Symbol("A", ("n", "n")), "x": Symbol("x", ("n", 1)), "beta": Symbol("beta")},
    identities={"I": "n"}, dims=frozenset({"n"}))
MATRIX_SIZES = [{"n": 2}, {"n": 4}]
MATRIX_ENVS = []
for _sizes in MATRIX_SIZES:
    _n = _sizes["n"]
    MATRIX_ENVS.append({
        "A": _rng.uniform(-1, 1, (POINTS, _n, _n)) + 2 * np.eye(_n),
        "x": _rng.uniform(-1, 1, (POINTS, _n, 1)),
        "beta": _rng.uniform(0.5, 2, POINTS),
    })

SQUARE, COLUMN, ROW, SCALAR = "n x n", "n x 1", "1 x n", "1 x 1"


@st.composite
def typed(draw, kind: str, depth: int = 3):
    """A random tree of the given shape whose products all conform."""
    if depth <= 0 or draw(st.integers(0, 3)) == 0:
        return draw(_leaf(kind))
    sub = lambda k: typed(k, depth - 1)  # noqa: E731
    if kind == SCALAR:
        choice = draw(st.integers(0, 4))
        if choice == 0:
            return BinOp(MUL, draw(sub(ROW)), draw(sub(COLUMN)))  # a 1 x 1 product is a scalar
        if choice == 1:
            return BinOp(draw(st.sampled_from([ADD, SUB, MUL])), draw(sub(SCALAR)), draw(sub(SCALAR)))
        if choice == 2:
            return Call(draw(st.sampled_from(["sum", "trace", "norm"])),
                        (draw(sub(COLUMN if draw(st.booleans()) else SQUARE)),))
        if choice == 3:
            return Transpose(draw(sub(SCALAR)))
        return Neg(draw(sub(SCALAR)))
    if kind == ROW:
        choice = draw(st.integers(0, 2))
        if choice == 0:
            return Transpose(draw(sub(COLUMN)))
        if choice == 1:
            return BinOp(MUL, draw(sub(ROW)), draw(sub(SQUARE)))
        return BinOp(draw(st.sampled_from([ADD, SUB])), draw(sub(ROW)), draw(sub(ROW)))
    if kind == COLUMN:
        choice = draw(st.integers(0, 4))
        if choice == 0:
            return BinOp(MUL, draw(sub(SQUARE)), draw(sub(COLUMN)))
        if choice == 1:
            return BinOp(draw(st.sampled_from([ADD, SUB])), draw(sub(COLUMN)), draw(sub(COLUMN)))
        if choice == 2:
            left, right = draw(sub(SCALAR)), draw(sub(COLUMN))
            return BinOp(MUL, left, right) if draw(st.booleans()) else BinOp(MUL, right, left)
        if choice == 3:
            return Transpose(draw(sub(ROW)))
        return Neg(draw(sub(COLUMN)))
    choice = draw(st.integers(0, 5))
    if choice == 0:
        return BinOp(MUL, draw(sub(SQUARE)), draw(sub(SQUARE)))
    if choice == 1:
        return BinOp(draw(st.sampled_from([ADD, SUB])), draw(sub(SQUARE)), draw(sub(SQUARE)))
    if choice == 2:
        return BinOp(MUL, draw(sub(COLUMN)), draw(sub(ROW)))  # an outer product
    if choice == 3:
        return Transpose(draw(sub(SQUARE)))
    if choice == 4:
        return Pow(draw(sub(SQUARE)), Num(float(draw(st.integers(0, 2)))))
    return BinOp(DIV, draw(sub(SQUARE)), draw(sub(SCALAR)))


def _leaf(kind: str):
    if kind == SCALAR:
        return st.one_of(st.just(Name("beta")), st.integers(1, 5).map(float).map(Num))
    if kind == COLUMN:
        return st.just(Name("x"))
    if kind == ROW:
        return st.just(Transpose(Name("x")))
    return st.sampled_from([Name("A"), Transpose(Name("A")), Identity("n")])


matrix_trees = st.sampled_from([SQUARE, COLUMN, ROW, SCALAR]).flatmap(typed)


def _matrix_values(tree):
    return [evaluate(tree, MATRIX_NS, env, sizes, POINTS)
            for env, sizes in zip(MATRIX_ENVS, MATRIX_SIZES)]


@SETTINGS
@given(matrix_trees)
def test_matrix_round_trip(tree):
    shape = infer_shape(tree, MATRIX_NS)
    want = _matrix_values(tree)
    for show in (to_plain, to_latex):
        text = show(tree)
        expression = read(text, MATRIX_NS)
        assert expression.shape == shape, text
        for got, expected in zip(_matrix_values(expression.tree), want):
            assert _same(got, expected), text


def test_generators_cover_the_interesting_shapes():
    """A sanity check on the strategy itself: all four shapes occur and trees are not trivial."""
    from hypothesis import find

    for kind, expected in [(SQUARE, ("n", "n")), (COLUMN, ("n", 1)), (ROW, (1, "n")), (SCALAR, (1, 1))]:
        tree = find(typed(kind), lambda t: isinstance(t, BinOp),
                    settings=settings(derandomize=True, database=None))
        assert infer_shape(tree, MATRIX_NS) == expected
