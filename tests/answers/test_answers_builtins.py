"""Every built-in function, straight from the ``builtins`` table: each of its examples parses,
prints and parses back (plain and LaTeX) to the same values, every spelling of its name means the
same function, and its value and derivative agree with sympy and with central finite differences
at points away from its kinks. A new entry is covered without being listed here."""

from __future__ import annotations

import numpy as np
import pytest

from grader.answers import (BUILTINS, Namespace, Symbol, evaluate, gradient, infer_shape,
                            kink_distance, parse)
from grader.answers.nodes import HADAMARD, BinOp, Call, Name, Size, walk
from grader.answers.printing import to_latex, to_plain

#: The probe names the table's examples use.
SIZES = {"n": 3, "m": 2}
NS = Namespace(
    symbols={"x": Symbol("x"), "y": Symbol("y"), "p": Symbol("p"), "u": Symbol("u"),
             "v": Symbol("v", ("n", 1)), "w": Symbol("w", ("n", 1)),
             "A": Symbol("A", ("n", "n")), "B": Symbol("B", ("n", "n"))},
    dims=frozenset(SIZES))
POINTS = 12
KINK_MARGIN = 1e-3
STEP = 1e-6


def _env(seed: int = 5) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    n = SIZES["n"]
    square = rng.uniform(-1, 1, (2, POINTS, n, n))
    # Symmetric positive definite and well conditioned: det > 0, so logdet is defined.
    spd = [s @ np.swapaxes(s, 1, 2) / n + np.eye(n) for s in square]
    return {"x": rng.uniform(-2, 2, POINTS), "y": rng.uniform(-2, 2, POINTS),
            "p": rng.uniform(0.3, 2, POINTS), "u": rng.uniform(-0.9, 0.9, POINTS),
            "v": rng.uniform(-1, 1, (POINTS, n, 1)), "w": rng.uniform(-1, 1, (POINTS, n, 1)),
            "A": spd[0], "B": spd[1] + rng.uniform(-0.3, 0.3, (POINTS, n, n))}


ENV = _env()
EXAMPLES = [(entry.name, example) for entry in BUILTINS.values() for example in entry.examples]


def _values(tree, ns=NS, env=ENV) -> np.ndarray:
    return evaluate(tree, ns, env, SIZES, POINTS)


def _usable(tree) -> np.ndarray:
    """Points away from the tree's kinks, where its value is defined."""
    values = _values(tree)
    finite = np.isfinite(values.reshape(POINTS, -1)).all(axis=1)
    return finite & (kink_distance(tree, NS, ENV, SIZES, POINTS) > KINK_MARGIN)


def test_every_builtin_has_examples_that_use_it():
    for entry in BUILTINS.values():
        assert entry.examples, f"{entry.name} has no examples"
        for example in entry.examples:
            calls = [node.func for node in walk(parse(example, NS)) if isinstance(node, Call)]
            assert entry.name in calls, (entry.name, example)
        assert entry.arity and all(k >= 1 for k in entry.arity)
        arities = {len(node.args) for example in entry.examples for node in walk(parse(example, NS))
                   if isinstance(node, Call) and node.func == entry.name}
        assert arities == set(entry.arity), f"{entry.name}: examples cover {arities}, not {entry.arity}"


@pytest.mark.parametrize("name, example", EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_round_trip_through_both_printers(name, example):
    tree = parse(example, NS)
    shape = infer_shape(tree, NS)
    want = _values(tree)
    for show in (to_plain, to_latex):
        text = show(tree)
        again = parse(text, NS)
        assert infer_shape(again, NS) == shape, text
        np.testing.assert_allclose(_values(again), want, rtol=1e-12, atol=1e-14, err_msg=text)
        assert show(again) == text, "printing is not a fixed point"


@pytest.mark.parametrize("name, example", EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_every_spelling_is_the_same_function(name, example):
    entry = BUILTINS[name]
    assert example.startswith(f"{name}(")
    arguments = example[len(name):]
    spellings = [*entry.aliases, *(f"\\{command}" for command in entry.latex),
                 f"\\operatorname{{{name}}}", f"\\mathrm{{{name}}}"]
    want = _values(parse(example, NS))
    for spelling in spellings:
        tree = parse(spelling + arguments, NS)
        assert any(isinstance(n, Call) and n.func == name for n in walk(tree)), spelling
        np.testing.assert_allclose(_values(tree), want, rtol=0, atol=0, err_msg=spelling)


def _objective(tree, shape):
    """A scalar whose gradient checks every entry's derivative: the tree itself, or the sum of
    its entries weighted by a fixed random matrix K of its shape."""
    if shape == (1, 1):
        return tree, NS, ENV
    symbols = dict(NS.symbols, K=Symbol("K", shape))
    ns = Namespace(symbols=symbols, dims=NS.dims)
    rows, cols = (d if isinstance(d, int) else SIZES[d] for d in shape)
    env = dict(ENV, K=np.random.default_rng(9).uniform(-1, 1, (POINTS, rows, cols)))
    return Call("sum", (BinOp(HADAMARD, Name("K"), tree),)), ns, env


@pytest.mark.parametrize("name, example", EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_derivative_agrees_with_finite_differences(name, example):
    tree = parse(example, NS)
    variables = sorted({n.name for n in walk(tree) if isinstance(n, Name)})
    if not variables:
        assert all(isinstance(n, (Call, Size)) or type(n).__name__ == "Num" for n in walk(tree))
        return  # a constructor of sizes: nothing to differentiate
    objective, ns, env = _objective(tree, infer_shape(tree, NS))
    keep = _usable(tree)
    assert keep.sum() >= 3, "too few points away from kinks"
    for wrt in variables:
        exact = gradient(objective, ns, env, SIZES, POINTS, wrt)
        base = env[wrt]
        numeric = np.zeros_like(base)
        for index in np.ndindex(base.shape[1:]):
            step = np.zeros_like(base)
            step[(slice(None), *index)] = STEP
            up = evaluate(objective, ns, dict(env, **{wrt: base + step}), SIZES, POINTS)
            down = evaluate(objective, ns, dict(env, **{wrt: base - step}), SIZES, POINTS)
            numeric[(slice(None), *index)] = (up - down) / (2 * STEP)
        np.testing.assert_allclose(exact[keep], numeric[keep], rtol=1e-5, atol=1e-6,
                                   err_msg=f"d/d{wrt} of {example}")


@pytest.mark.parametrize("name, example", EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_value_agrees_with_sympy(name, example):
    sympy = pytest.importorskip("sympy")
    from grader.answers.sympy_bridge import to_sympy

    tree = parse(example, NS)
    expr = to_sympy(tree, NS, sizes=SIZES)
    values = _values(tree)
    keep = np.flatnonzero(_usable(tree))[:3]
    for point in keep:
        mapping = {}
        for symbol_name, symbol in NS.symbols.items():
            value = ENV[symbol_name][point]
            if symbol.is_scalar:
                mapping[sympy.Symbol(symbol_name, real=True)] = sympy.Float(float(value), 30)
            else:
                rows, cols = value.shape
                mapping[sympy.MatrixSymbol(symbol_name, rows, cols)] = sympy.Matrix(value)
        result = expr.subs(mapping).doit()
        got = np.array(result.evalf(20), dtype=float) if getattr(result, "is_Matrix", False) \
            else float(result.evalf(20))
        want = values[point]
        np.testing.assert_allclose(np.reshape(got, np.shape(want)), want, rtol=1e-9, atol=1e-12,
                                   err_msg=f"{example} at point {point}")
