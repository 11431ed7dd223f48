"""Parse tree → numpy values over a whole batch of sample points at once.

Scalars are arrays of shape (N,), matrices stacks of shape (N, rows, cols); a 1 x 1 product is
folded to a scalar at once, so ``w^T x`` scales a vector like any number. Undefined values (log of
a negative, 0/0) come out as nan, never as exceptions.

The same walk also carries forward-mode derivatives ("tangents") when asked for a gradient: each
value then travels with its derivative along every entry of the variable, an extra axis of size D
right after the sample axis, (N, D) for scalars and (N, D, rows, cols) for matrices. That gives
exact gradients with respect to scalars, vectors and matrices alike, with no finite differences.
Shapes are checked statically first (``shapes.infer_shape``); this module trusts them.
"""

from __future__ import annotations

from typing import Callable, Mapping

import numpy as np

from .namespace import Namespace
from .nodes import (ADD, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Const, Given, Identity,
                    Name, Neg, Node, Num, Param, Pow, Transpose)
from .shapes import integer_exponent

Array = np.ndarray
Tangent = Array | None
Dual = tuple[Array, Tangent]

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


def _d(x: Array) -> Array:
    """Insert the derivative axis so a value lines up with tangents."""
    return x[:, None]


def _lift(scalar: Array, ndim: int) -> Array:
    """A scalar batch (N,) or its tangent (N, D), broadcastable against matrices."""
    return scalar.reshape(scalar.shape + (1,) * (ndim - scalar.ndim))


def _add(a: Tangent, b: Tangent) -> Tangent:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _scale(factor: Array, tangent: Tangent) -> Tangent:
    """Tangent of f(u) given f'(u) (same shape as u) and u's tangent."""
    return None if tangent is None else _d(factor) * tangent


def _sigmoid(x: Array) -> Array:
    return np.exp(-np.logaddexp(0.0, -x))


_ELEMENTWISE: dict[str, tuple[Callable[[Array], Array], Callable[[Array, Array], Array]]] = {
    # name: (f, f' given (u, f(u)))
    "exp": (np.exp, lambda u, v: v),
    "log": (np.log, lambda u, v: 1.0 / u),
    "sqrt": (np.sqrt, lambda u, v: 0.5 / v),
    "abs": (np.abs, lambda u, v: np.sign(u)),
    "sin": (np.sin, lambda u, v: np.cos(u)),
    "cos": (np.cos, lambda u, v: -np.sin(u)),
    "tan": (np.tan, lambda u, v: 1.0 + v * v),
    "tanh": (np.tanh, lambda u, v: 1.0 - v * v),
    "sinh": (np.sinh, lambda u, v: np.cosh(u)),
    "cosh": (np.cosh, lambda u, v: np.sinh(u)),
    "arctan": (np.arctan, lambda u, v: 1.0 / (1.0 + u * u)),
    "arcsin": (np.arcsin, lambda u, v: 1.0 / np.sqrt(1.0 - u * u)),
    "arccos": (np.arccos, lambda u, v: -1.0 / np.sqrt(1.0 - u * u)),
    "sec": (lambda u: 1.0 / np.cos(u), lambda u, v: v * np.tan(u)),
    "csc": (lambda u: 1.0 / np.sin(u), lambda u, v: -v / np.tan(u)),
    "cot": (lambda u: 1.0 / np.tan(u), lambda u, v: -(1.0 + v * v)),
    "sech": (lambda u: 1.0 / np.cosh(u), lambda u, v: -v * np.tanh(u)),
    "csch": (lambda u: 1.0 / np.sinh(u), lambda u, v: -v / np.tanh(u)),
    "coth": (lambda u: 1.0 / np.tanh(u), lambda u, v: 1.0 - v * v),
    "sigmoid": (_sigmoid, lambda u, v: v * (1.0 - v)),
    "softplus": (lambda u: np.logaddexp(0.0, u), lambda u, v: _sigmoid(u)),
    "relu": (lambda u: np.maximum(u, 0.0), lambda u, v: (u > 0).astype(float)),
    "sign": (np.sign, lambda u, v: np.zeros_like(u)),
}


class _Evaluation:
    def __init__(self, ns: Namespace, env: Mapping[str, Array], dims: Mapping[str, int], n: int,
                 wrt: str | None = None):
        self.ns = ns
        self.env = env
        self.dims = dims
        self.n = n
        self.wrt = wrt
        self.givens: dict[str, Dual] = {}
        self.frames: list[dict[str, Dual]] = []
        self.seed: Tangent = None
        if wrt is not None:
            value = env[wrt]
            size = 1 if value.ndim == 1 else value.shape[1] * value.shape[2]
            if value.ndim == 1:
                self.seed = np.ones((n, 1))
            else:
                eye = np.eye(size).reshape(size, value.shape[1], value.shape[2])
                self.seed = np.broadcast_to(eye, (n,) + eye.shape)

    def run(self, node: Node) -> Dual:
        return _RULES[type(node)](self, node)

    def full(self, value: float) -> Array:
        return np.full(self.n, value)

    # -- leaves --------------------------------------------------------------------------------
    def num(self, node: Num) -> Dual:
        return self.full(node.value), None

    def const(self, node: Const) -> Dual:
        return self.full(CONSTANT_VALUES[node.name]), None

    def name(self, node: Name) -> Dual:
        value = self.env[node.name]
        return value, (self.seed if node.name == self.wrt else None)

    def given(self, node: Given) -> Dual:
        if self.wrt is None and node.name in self.env:
            return self.env[node.name], None  # computed once per batch by the caller
        cached = self.givens.get(node.name)
        if cached is None:
            saved, self.frames = self.frames, []
            cached = self.givens[node.name] = _fold(*self.run(self.ns.givens[node.name]))
            self.frames = saved
        return cached

    def param(self, node: Param) -> Dual:
        return self.frames[-1][node.name]

    def identity(self, node: Identity) -> Dual:
        size = node.dim if isinstance(node.dim, int) else self.dims[node.dim]
        if size == 1:
            return self.full(1.0), None
        return np.broadcast_to(np.eye(size), (self.n, size, size)), None

    # -- operators -----------------------------------------------------------------------------
    def neg(self, node: Neg) -> Dual:
        value, tangent = self.run(node.operand)
        return -value, (None if tangent is None else -tangent)

    def transpose(self, node: Transpose) -> Dual:
        value, tangent = self.run(node.operand)
        if value.ndim == 1:
            return value, tangent
        return value.swapaxes(-1, -2), (None if tangent is None else tangent.swapaxes(-1, -2))

    def binop(self, node: BinOp) -> Dual:
        a, ta = self.run(node.left)
        b, tb = self.run(node.right)
        op = node.op
        if op == ADD:
            return a + b, _add(ta, tb)
        if op == SUB:
            return a - b, _add(ta, None if tb is None else -tb)
        if op == DOT and a.ndim == 3 and a.shape == b.shape and a.shape[2] == 1:
            tangent = _add(None if ta is None else (ta * _d(b)).sum(axis=(2, 3)),
                           None if tb is None else (_d(a) * tb).sum(axis=(2, 3)))
            return (a * b).sum(axis=(1, 2)), tangent
        if op in (MUL, DOT):
            return _multiply(a, ta, b, tb)
        if op == DIV:
            value = a / _lift(b, a.ndim)
            tangent = None
            if ta is not None or tb is not None:
                numerator = _add(ta, None if tb is None else -_d(value) * _lift(tb, value.ndim + 1))
                tangent = numerator / _lift(_d(b), value.ndim + 1)
            return value, tangent
        if op == HADAMARD:
            return _fold(a * b, _add(None if ta is None else ta * _d(b),
                                     None if tb is None else _d(a) * tb))
        raise ValueError(f"unknown operator {op}")

    def power(self, node: Pow) -> Dual:
        a, ta = self.run(node.base)
        if a.ndim == 3:
            return self.matrix_power(a, ta, integer_exponent(node.exponent))
        b, tb = self.run(node.exponent)
        value = np.power(a, b)
        tangent = None
        if ta is not None:
            tangent = _d(b * np.power(a, b - 1.0)) * ta
        if tb is not None:
            tangent = _add(tangent, _d(value * np.log(a)) * tb)
        return value, tangent

    def matrix_power(self, a: Array, ta: Tangent, k: int | None) -> Dual:
        assert k is not None  # guaranteed by the shape check
        if k < 0:
            a, ta = _inverse(a, ta)
            k = -k
        if k == 0:
            return np.broadcast_to(np.eye(a.shape[1]), a.shape), None
        value, tangent = a, ta
        for _ in range(k - 1):
            value, tangent = _multiply(value, tangent, a, ta)
        return value, tangent

    def call(self, node: Call) -> Dual:
        func = node.func
        args = [self.run(arg) for arg in node.args]
        u, tu = args[0]
        if func in _ELEMENTWISE:
            f, derivative = _ELEMENTWISE[func]
            value = f(u)
            return value, (None if tu is None else _scale(derivative(u, value), tu))
        return _CALLS[func](self, args)

    def apply(self, node: Apply) -> Dual:
        function = self.ns.functions[node.func]
        frame = {param: self.run(arg) for param, arg in zip(function.params, node.args)}
        self.frames.append(frame)
        try:
            return self.run(function.body)
        finally:
            self.frames.pop()


def _fold(value: Array, tangent: Tangent) -> Dual:
    """A 1 x 1 matrix is a scalar."""
    if value.ndim == 3 and value.shape[1] == 1 and value.shape[2] == 1:
        return value[:, 0, 0], (None if tangent is None else tangent[:, :, 0, 0])
    return value, tangent


def _multiply(a: Array, ta: Tangent, b: Array, tb: Tangent) -> Dual:
    if a.ndim == 3 and b.ndim == 3:
        value = a @ b
        tangent = _add(None if ta is None else ta @ _d(b), None if tb is None else _d(a) @ tb)
        return _fold(value, tangent)
    ndim = max(a.ndim, b.ndim)
    la, lb = _lift(a, ndim), _lift(b, ndim)
    tangent = _add(None if ta is None else _lift(ta, ndim + 1) * _d(lb),
                   None if tb is None else _d(la) * _lift(tb, ndim + 1))
    return la * lb, tangent


def _inverse(a: Array, ta: Tangent) -> Dual:
    try:
        inverse = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        inverse = np.full_like(a, np.nan)
        for i, matrix in enumerate(a):
            try:
                inverse[i] = np.linalg.inv(matrix)
            except np.linalg.LinAlgError:
                pass
    tangent = None if ta is None else -(_d(inverse) @ ta @ _d(inverse))
    return inverse, tangent


def _diag(ev: _Evaluation, args: list[Dual]) -> Dual:
    u, tu = args[0]
    if u.ndim == 1:
        return u, tu
    rows, cols = u.shape[1], u.shape[2]
    if rows == 1 or cols == 1:
        size = max(rows, cols)
        index = np.arange(size)
        value = np.zeros((u.shape[0], size, size))
        value[:, index, index] = u.reshape(u.shape[0], size)
        tangent = None
        if tu is not None:
            tangent = np.zeros(tu.shape[:2] + (size, size))
            tangent[:, :, index, index] = tu.reshape(tu.shape[:2] + (size,))
        return value, tangent
    index = np.arange(rows)
    return (u[:, index, index][:, :, None],
            None if tu is None else tu[:, :, index, index][..., None])


def _sum(ev: _Evaluation, args: list[Dual]) -> Dual:
    u, tu = args[0]
    if u.ndim == 1:
        return u, tu
    return u.sum(axis=(1, 2)), (None if tu is None else tu.sum(axis=(2, 3)))


def _norm(ev: _Evaluation, args: list[Dual]) -> Dual:
    u, tu = args[0]
    if u.ndim == 1:
        return np.abs(u), _scale(np.sign(u), tu)
    value = np.sqrt((u * u).sum(axis=(1, 2)))
    tangent = None
    if tu is not None:
        tangent = (_d(u) * tu).sum(axis=(2, 3)) / _d(value)
    return value, tangent


def _extreme(ev: _Evaluation, args: list[Dual], pick: Callable, arg: Callable) -> Dual:
    if len(args) == 2:
        (a, ta), (b, tb) = args
        ndim = max(a.ndim, b.ndim)
        la, lb = _lift(a, ndim), _lift(b, ndim)
        value = pick(la, lb)
        tangent = None
        if ta is not None or tb is not None:
            first = np.broadcast_to(_d(pick(la, lb) == la), (value.shape[0], 1) + value.shape[1:])
            zero = np.zeros((1,) * (ndim + 1))
            ta_ = zero if ta is None else _lift(ta, ndim + 1)
            tb_ = zero if tb is None else _lift(tb, ndim + 1)
            tangent = np.where(first, ta_, tb_)
        return value, tangent
    u, tu = args[0]
    if u.ndim == 1:
        return u, tu
    flat = u.reshape(u.shape[0], -1)
    index = arg(flat, axis=1)
    value = np.take_along_axis(flat, index[:, None], axis=1)[:, 0]
    tangent = None
    if tu is not None:
        tflat = tu.reshape(tu.shape[:2] + (-1,))
        tangent = np.take_along_axis(tflat, index[:, None, None], axis=2)[:, :, 0]
    return value, tangent


def _hadamard(ev: _Evaluation, args: list[Dual]) -> Dual:
    return _fold(
        args[0][0] * args[1][0],
        _add(None if args[0][1] is None else args[0][1] * _d(args[1][0]),
             None if args[1][1] is None else _d(args[0][0]) * args[1][1]))


def _trace(ev: _Evaluation, args: list[Dual]) -> Dual:
    u, tu = args[0]
    if u.ndim == 1:
        return u, tu
    index = np.arange(u.shape[1])
    return (u[:, index, index].sum(axis=1),
            None if tu is None else tu[:, :, index, index].sum(axis=2))


def _det(ev: _Evaluation, args: list[Dual]) -> Dual:
    u, tu = args[0]
    if u.ndim == 1:
        return u, tu
    value = np.linalg.det(u)
    tangent = None
    if tu is not None:
        inverse, _ = _inverse(u, None)
        index = np.arange(u.shape[1])
        tangent = _d(value) * (_d(inverse) @ tu)[:, :, index, index].sum(axis=2)
    return value, tangent


def _inv(ev: _Evaluation, args: list[Dual]) -> Dual:
    u, tu = args[0]
    if u.ndim == 1:
        return 1.0 / u, (None if tu is None else -tu / _d(u * u))
    return _inverse(u, tu)


def _softmax(ev: _Evaluation, args: list[Dual]) -> Dual:
    u, tu = args[0]
    if u.ndim == 1:
        return np.ones_like(u), None
    shifted = np.exp(u - u.max(axis=(1, 2), keepdims=True))
    value = shifted / shifted.sum(axis=(1, 2), keepdims=True)
    tangent = None
    if tu is not None:
        inner = (_d(value) * tu).sum(axis=(2, 3), keepdims=True)
        tangent = _d(value) * (tu - inner)
    return value, tangent


_CALLS: dict[str, Callable[[_Evaluation, list[Dual]], Dual]] = {
    "diag": _diag, "sum": _sum, "norm": _norm, "hadamard": _hadamard, "trace": _trace,
    "det": _det, "inv": _inv, "softmax": _softmax,
    "max": lambda ev, args: _extreme(ev, args, np.maximum, np.argmax),
    "min": lambda ev, args: _extreme(ev, args, np.minimum, np.argmin),
}

_RULES: dict[type, Callable[[_Evaluation, Node], Dual]] = {
    Num: _Evaluation.num, Const: _Evaluation.const, Name: _Evaluation.name,
    Given: _Evaluation.given, Param: _Evaluation.param, Identity: _Evaluation.identity,
    Neg: _Evaluation.neg, Transpose: _Evaluation.transpose, BinOp: _Evaluation.binop,
    Pow: _Evaluation.power, Call: _Evaluation.call, Apply: _Evaluation.apply,
}
