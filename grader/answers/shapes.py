"""Static shape checking with symbolic sizes: ``1 x n`` times ``m x 1`` is an error before any
number is computed, whatever sizes the sample happens to draw.

A 1 x 1 result is a scalar: it may scale anything and be added to scalars. Nothing is broadcast in
``+`` or ``-``: a matrix minus a number is an error, not a matrix minus a constant matrix.
"""

from __future__ import annotations

from .errors import AnswerError
from .namespace import SCALAR, Namespace, Shape
from .nodes import (ADD, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Const, Given, Identity,
                    Name, Neg, Node, Num, Param, Pow, Transpose)

ELEMENTWISE = frozenset({
    "exp", "log", "sqrt", "abs", "sin", "cos", "tan", "tanh", "sinh", "cosh", "arctan", "arcsin",
    "arccos", "sigmoid", "softplus", "relu", "sign", "sec", "csc", "cot", "sech", "csch", "coth",
})


def show(shape: Shape) -> str:
    """``n x 1``; a scalar is ``1 x 1 (a scalar)``."""
    text = f"{shape[0]} x {shape[1]}"
    return f"{text} (a scalar)" if shape == SCALAR else text


def is_vector(shape: Shape) -> bool:
    return 1 in shape


def integer_exponent(node: Node) -> int | None:
    """The exponent as a whole number when it is a literal one (``2``, ``-1``, ``{-1}``)."""
    sign = 1
    while isinstance(node, Neg):
        node, sign = node.operand, -sign
    if isinstance(node, Num) and node.value.is_integer() and abs(node.value) <= 64:
        return sign * int(node.value)
    return None


def infer_shape(node: Node, ns: Namespace, params: frozenset[str] = frozenset()) -> Shape:
    """The shape of a tree, or AnswerError naming the operation that does not conform."""
    return _Shapes(ns, params).of(node)


class _Shapes:
    def __init__(self, ns: Namespace, params: frozenset[str]):
        self.ns = ns
        self.params = params

    def fail(self, message: str, node: Node) -> AnswerError:
        return AnswerError(message, span=node.span if node.span != (0, 0) else None)

    def of(self, node: Node) -> Shape:
        kind = type(node)
        if kind in (Num, Const, Param):
            return SCALAR
        if kind is Name:
            return self.ns.symbols[node.name].shape
        if kind is Given:
            return self.ns.given_shapes.get(node.name, SCALAR)
        if kind is Identity:
            return (node.dim, node.dim)
        if kind is Neg:
            return self.of(node.operand)
        if kind is Transpose:
            rows, cols = self.of(node.operand)
            return (cols, rows)
        if kind is BinOp:
            return self.binop(node)
        if kind is Pow:
            return self.power(node)
        if kind is Call:
            return self.call(node)
        if kind is Apply:
            return self.apply(node)
        raise self.fail(f"cannot use {kind.__name__} here", node)

    def binop(self, node: BinOp) -> Shape:
        left, right = self.of(node.left), self.of(node.right)
        op = node.op
        if op in (ADD, SUB):
            if left != right:
                verb = "add" if op == ADD else "subtract"
                hint = ""
                if SCALAR in (left, right):
                    hint = ": a number is not added to every entry; use a matrix of the right shape"
                elif left == right[::-1]:
                    hint = ": is a transpose missing?"
                raise self.fail(f"cannot {verb} {show(left)} and {show(right)}{hint}", node)
            return left
        if op == DOT and left == right and left[1] == 1 and left != SCALAR:
            return SCALAR  # w · x of two columns: their inner product
        if op in (MUL, DOT):
            if left == SCALAR:
                return right
            if right == SCALAR:
                return left
            if left[1] != right[0]:
                hint = ""
                if left[0] == right[0] or left[1] == right[1]:
                    hint = ": is a transpose missing or misplaced?"
                raise self.fail(f"cannot multiply {show(left)} by {show(right)}{hint}", node)
            return (left[0], right[1])
        if op == DIV:
            if right != SCALAR:
                raise self.fail(f"cannot divide by {show(right)}: only by a scalar", node)
            return left
        if op == HADAMARD:
            if left != right:
                raise self.fail(f"the elementwise product needs equal shapes, not {show(left)} "
                                f"and {show(right)}", node)
            return left
        raise self.fail(f"unknown operator {op}", node)

    def power(self, node: Pow) -> Shape:
        base, exponent = self.of(node.base), self.of(node.exponent)
        if exponent != SCALAR:
            raise self.fail(f"an exponent must be a scalar, not {show(exponent)}", node)
        if base == SCALAR:
            return base
        if base[0] != base[1]:
            raise self.fail(f"cannot raise {show(base)} to a power: only square matrices have "
                            "powers (for elementwise squares use hadamard(v, v))", node)
        if integer_exponent(node.exponent) is None:
            raise self.fail("a matrix power must be a whole number, like A^2 or A^{-1}", node)
        return base

    def call(self, node: Call) -> Shape:
        func = node.func
        shapes = [self.of(arg) for arg in node.args]
        first = shapes[0]
        if func in ELEMENTWISE:
            return first
        if func in ("max", "min"):
            if len(shapes) == 2:
                if shapes[0] != shapes[1] and SCALAR not in shapes:
                    raise self.fail(f"{func}() of {show(shapes[0])} and {show(shapes[1])}", node)
                return shapes[0] if shapes[0] != SCALAR else shapes[1]
            return SCALAR
        if func in ("sum", "norm"):
            return SCALAR
        if func == "diag":
            if first == SCALAR:
                return SCALAR
            if first[1] == 1:
                return (first[0], first[0])
            if first[0] == 1:
                return (first[1], first[1])
            if first[0] == first[1]:
                return (first[0], 1)
            raise self.fail(f"diag() takes a vector or a square matrix, not {show(first)}", node)
        if func == "hadamard":
            if shapes[0] != shapes[1]:
                raise self.fail(f"hadamard() needs equal shapes, not {show(shapes[0])} and "
                                f"{show(shapes[1])}", node)
            return first
        if func in ("trace", "det", "inv"):
            if first[0] != first[1]:
                raise self.fail(f"{func}() needs a square matrix, not {show(first)}", node)
            return first if func == "inv" else SCALAR
        if func == "softmax":
            if not is_vector(first):
                raise self.fail(f"softmax() takes a vector, not {show(first)}", node)
            return first
        raise self.fail(f"unknown function {func}", node)

    def apply(self, node: Apply) -> Shape:
        function = self.ns.functions[node.func]
        for arg in node.args:
            shape = self.of(arg)
            if shape != SCALAR:
                raise self.fail(f"{node.func}() takes scalars, not {show(shape)}", node)
        return infer_shape(function.body, self.ns, frozenset(function.params))
