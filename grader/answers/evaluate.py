"""Parse tree → numpy values over a whole batch of sample points at once.

Scalars are arrays of shape (N,), matrices stacks of shape (N, rows, cols); a 1 x 1 product is
folded to a scalar at once, so ``w^T x`` scales a vector like any number. Undefined values (log of
a negative, 0/0) come out as nan, never as exceptions.

The same fold also carries forward-mode derivatives ("tangents", see ``duals``) when asked for a
gradient, which gives exact gradients with respect to scalars, vectors and matrices alike, with no
finite differences. Shapes are checked statically first (``shapes.infer_shape``); this module
trusts them. Built-in functions are evaluated by their entries in ``builtins``.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from . import duals as D
from .builtins import BUILTINS
from .duals import Array, Dual
from .namespace import Namespace
from .nodes import (ADD, AND, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Cases, Compare,
                    Const, Given, Identity, Name, Neg, Node, Num, Param, Pow, Size, Transpose,
                    fold)
from .shapes import integer_exponent

CONSTANT_VALUES = {"e": np.e, "pi": np.pi, "inf": np.inf}


def evaluate(tree: Node, ns: Namespace, env: Mapping[str, Array], dims: Mapping[str, int],
             n: int) -> Array:
    """Values of ``tree`` at ``n`` sample points: (n,) for a scalar, (n, rows, cols) otherwise."""
    with np.errstate(all="ignore"):
        return _Evaluation(ns, env, dims, n).run(tree)[0]


def gradient(tree: Node, ns: Namespace, env: Mapping[str, Array], dims: Mapping[str, int],
             n: int, wrt: str) -> Array:
    """The exact gradient of a scalar ``tree`` with respect to symbol ``wrt`` at every point.

    The result has the shape of ``wrt`` (denominator layout): (n,) for a scalar, (n, r, c) else.
    """
    with np.errstate(all="ignore"):
        value, tangent = _Evaluation(ns, env, dims, n, wrt).run(tree)
        if value.ndim != 1:
            raise ValueError("the gradient needs a scalar expression")
        seed = env[wrt]
        if tangent is None:
            return np.zeros_like(seed, dtype=float)
        if seed.ndim == 1:
            return tangent[:, 0]
        return tangent.reshape(seed.shape)


def kink_distance(tree: Node, ns: Namespace, env: Mapping[str, Array], dims: Mapping[str, int],
                  n: int) -> Array:
    """Per sample point, how close it is to a kink or a branch boundary of ``tree``: the smallest
    |g| over every g whose change of sign changes the formula (the argument of abs, relu, sign,
    step; the difference of max/min/clip's arguments; the two sides of a comparison in an
    indicator or a case). ``inf`` where the tree has none. Values of givens in ``env`` are
    recomputed, so kinks inside them count too."""
    with np.errstate(all="ignore"):
        evaluation = _Evaluation(ns, env, dims, n, track_kinks=True)
        evaluation.run(tree)
        assert evaluation.kinks is not None
        return evaluation.kinks


class _Evaluation:
    def __init__(self, ns: Namespace, env: Mapping[str, Array], dims: Mapping[str, int], n: int,
                 wrt: str | None = None, track_kinks: bool = False):
        self.ns = ns
        self.env = env
        self.dims = dims
        self.n = n
        self.wrt = wrt
        self.givens: dict[str, Dual] = {}
        self.frames: list[dict[str, Dual]] = []
        self.seed: D.Tangent = None
        self.kinks: Array | None = np.full(n, np.inf) if track_kinks else None
        if wrt is not None:
            value = env[wrt]
            if value.ndim == 1:
                self.seed = np.ones((n, 1))
            else:
                size = value.shape[1] * value.shape[2]
                eye = np.eye(size).reshape(size, value.shape[1], value.shape[2])
                self.seed = np.broadcast_to(eye, (n,) + eye.shape)

    def run(self, node: Node) -> Dual:
        return fold(node, self.visit)

    def visit(self, node: Node, kids: tuple) -> Dual:
        return _RULES[type(node)](self, node, kids)

    def full(self, value: float) -> Array:
        return np.full(self.n, value)

    def size(self, node: Node) -> int:
        """The size an argument of ``eye``/``ones`` stands for in this batch."""
        if isinstance(node, Num):
            return int(node.value)
        assert isinstance(node, Size)
        return node.dim if isinstance(node.dim, int) else self.dims[node.dim]

    def record(self, gaps: list[Array]) -> None:
        assert self.kinks is not None
        for gap in gaps:
            gap = np.abs(gap)
            if gap.ndim > 1:
                flat = gap.reshape(gap.shape[0], -1)
                gap = flat.min(axis=1) if flat.shape[1] else np.full(gap.shape[0], np.inf)
            self.kinks = np.fmin(self.kinks, np.broadcast_to(gap, self.kinks.shape))

    # -- leaves --------------------------------------------------------------------------------
    def num(self, node: Num, kids: tuple) -> Dual:
        return self.full(node.value), None

    def const(self, node: Const, kids: tuple) -> Dual:
        return self.full(CONSTANT_VALUES[node.name]), None

    def name(self, node: Name, kids: tuple) -> Dual:
        value = self.env[node.name]
        return value, (self.seed if node.name == self.wrt else None)

    def given(self, node: Given, kids: tuple) -> Dual:
        if self.wrt is None and self.kinks is None and node.name in self.env:
            return self.env[node.name], None  # computed once per batch by the caller
        cached = self.givens.get(node.name)
        if cached is None:
            saved, self.frames = self.frames, []
            cached = self.givens[node.name] = D.squeeze(*self.run(self.ns.givens[node.name]))
            self.frames = saved
        return cached

    def param(self, node: Param, kids: tuple) -> Dual:
        return self.frames[-1][node.name]

    def identity(self, node: Identity, kids: tuple) -> Dual:
        size = node.dim if isinstance(node.dim, int) else self.dims[node.dim]
        if size == 1:
            return self.full(1.0), None
        return np.broadcast_to(np.eye(size), (self.n, size, size)), None

    def size_value(self, node: Size, kids: tuple) -> Dual:
        return self.full(float(self.size(node))), None

    # -- operators -----------------------------------------------------------------------------
    def neg(self, node: Neg, kids: tuple) -> Dual:
        value, tangent = kids[0]
        return -value, D.neg(tangent)

    def transpose(self, node: Transpose, kids: tuple) -> Dual:
        value, tangent = kids[0]
        if value.ndim == 1:
            return value, tangent
        return value.swapaxes(-1, -2), (None if tangent is None else tangent.swapaxes(-1, -2))

    def binop(self, node: BinOp, kids: tuple) -> Dual:
        left, right = kids
        op = node.op
        (a, ta), (b, tb) = left, right
        if a.ndim == 1 and b.ndim == 1 and op in _SCALAR_OPS:  # the common case, kept short
            if ta is None and tb is None:
                return _SCALAR_OPS[op](a, b), None
            if op in (MUL, DOT):
                return D.product(left, right)
            if op == DIV:
                return D.quotient(left, right)
            return D.sum_(left, right, 1.0 if op == ADD else -1.0)
        if op == ADD:
            return D.sum_(left, right)
        if op == SUB:
            return D.sum_(left, right, -1.0)
        if op in (MUL, DOT):
            a, b = left[0], right[0]
            if op == DOT and a.ndim == 3 and a.shape == b.shape and a.shape[2] == 1:
                return D.inner(left, right)
            return D.matmul(left, right)
        if op == DIV:
            return D.quotient(left, right)
        if op in (HADAMARD, AND):
            return D.product(left, right)
        raise ValueError(f"unknown operator {op}")

    def power(self, node: Pow, kids: tuple) -> Dual:
        (a, ta), exponent = kids
        if a.ndim == 3 and not node.elementwise:
            k = integer_exponent(node.exponent)
            assert k is not None  # guaranteed by the shape check
            return D.matrix_power(a, ta, k)
        return D.power((a, ta), exponent)

    def call(self, node: Call, kids: tuple) -> Dual:
        builtin = BUILTINS[node.func]
        if self.kinks is not None and builtin.kinks is not None:
            self.record(builtin.kinks([value for value, _ in kids]))
        return builtin.value(self, node, list(kids))

    def apply(self, node: Apply, kids: tuple) -> Dual:
        function = self.ns.functions[node.func]
        self.frames.append(dict(zip(function.params, kids)))
        try:
            return self.run(function.body)
        finally:
            self.frames.pop()

    def compare(self, node: Compare, kids: tuple) -> Dual:
        a, _, b, _ = D.align(kids[0], kids[1])
        if self.kinks is not None:
            self.record([a - b])
        return D.finish(_COMPARE[node.op](a, b).astype(float), None)

    def cases(self, node: Cases, kids: tuple) -> Dual:
        count = len(node.values)
        values, conditions = list(kids[:count]), [value for value, _ in kids[count:]]
        default = values.pop() if node.otherwise else None
        return D.select(conditions, values, default)


def _close(a: Array, b: Array) -> Array:
    return np.isclose(a, b, rtol=1e-9, atol=1e-12)


_SCALAR_OPS: dict[str, Callable[[Array, Array], Array]] = {
    ADD: np.add, SUB: np.subtract, MUL: np.multiply, DOT: np.multiply, DIV: np.divide,
}

_COMPARE: dict[str, Callable[[Array, Array], Array]] = {
    "<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal,
    "==": _close, "!=": lambda a, b: ~_close(a, b),
}

_RULES: dict[type, Callable[[_Evaluation, Node, tuple], Dual]] = {
    Num: _Evaluation.num, Const: _Evaluation.const, Name: _Evaluation.name,
    Given: _Evaluation.given, Param: _Evaluation.param, Identity: _Evaluation.identity,
    Size: _Evaluation.size_value, Neg: _Evaluation.neg, Transpose: _Evaluation.transpose,
    BinOp: _Evaluation.binop, Pow: _Evaluation.power, Call: _Evaluation.call,
    Apply: _Evaluation.apply, Compare: _Evaluation.compare, Cases: _Evaluation.cases,
}
