"""Parse tree → sympy expression, for symbolic work on trusted rubric text and for display.

sympy is imported only here and only when called: grading never needs it. The bridge refuses to
build huge numbers (``9^9^9^9`` would make sympy compute a number with millions of digits) and
never expands.
"""

from __future__ import annotations

import math
from typing import Any

from .errors import AnswerError
from .namespace import Namespace
from .nodes import (ADD, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Const, Given, Identity,
                    Name, Neg, Node, Num, Param, Pow, Transpose)

MAX_DIGITS = 300


def to_sympy(tree: Node, ns: Namespace, positive: frozenset[str] = frozenset()) -> Any:
    """A sympy expression for ``tree``; declared matrices become MatrixSymbols."""
    import sympy

    return _Bridge(sympy, ns, positive).convert(tree, {})


class _Bridge:
    def __init__(self, sympy: Any, ns: Namespace, positive: frozenset[str]):
        self.sp = sympy
        self.ns = ns
        self.positive = positive
        self.dims: dict[Any, Any] = {}
        self.givens: dict[str, Any] = {}

    def dim(self, dim: Any) -> Any:
        if isinstance(dim, int):
            return dim
        if dim not in self.dims:
            self.dims[dim] = self.sp.Symbol(dim, integer=True, positive=True)
        return self.dims[dim]

    def convert(self, node: Node, frame: dict[str, Any]) -> Any:
        sp = self.sp
        kind = type(node)
        if kind is Num:
            return _number(sp, node.value)
        if kind is Const:
            return {"e": sp.E, "pi": sp.pi, "inf": sp.oo}[node.name]
        if kind is Name:
            symbol = self.ns.symbols[node.name]
            if symbol.is_scalar:
                if node.name in self.positive:
                    return sp.Symbol(node.name, positive=True)
                return sp.Symbol(node.name, real=True)
            return sp.MatrixSymbol(node.name, self.dim(symbol.shape[0]), self.dim(symbol.shape[1]))
        if kind is Given:
            if node.name not in self.givens:
                self.givens[node.name] = self.convert(self.ns.givens[node.name], {})
            return self.givens[node.name]
        if kind is Param:
            return frame[node.name]
        if kind is Identity:
            return sp.Identity(self.dim(node.dim))
        if kind is Neg:
            return -self.convert(node.operand, frame)
        if kind is Transpose:
            operand = self.convert(node.operand, frame)
            return operand.T if _is_matrix(sp, operand) else operand
        if kind is BinOp:
            return self.binop(node, frame)
        if kind is Pow:
            return self.power(node, frame)
        if kind is Call:
            return self.call(node, frame)
        if kind is Apply:
            function = self.ns.functions[node.func]
            inner = {p: self.convert(a, frame) for p, a in zip(function.params, node.args)}
            return self.convert(function.body, inner)
        raise AnswerError(f"cannot turn {kind.__name__} into sympy")

    def binop(self, node: BinOp, frame: dict[str, Any]) -> Any:
        sp = self.sp
        left, right = self.convert(node.left, frame), self.convert(node.right, frame)
        if node.op == ADD:
            return left + right
        if node.op == SUB:
            return left - right
        if node.op == DOT and _is_matrix(sp, left) and left.shape == right.shape and left.shape[1] == 1:
            return (left.T * right)[0, 0]
        if node.op in (MUL, DOT):
            if _is_matrix(sp, left) and _is_matrix(sp, right):
                return sp.MatMul(left, right)
            return left * right
        if node.op == DIV:
            return left / right if not _is_matrix(sp, left) else left * (1 / right)
        if node.op == HADAMARD:
            return sp.HadamardProduct(left, right) if _is_matrix(sp, left) else left * right
        raise AnswerError(f"unknown operator {node.op}")

    def power(self, node: Pow, frame: dict[str, Any]) -> Any:
        sp = self.sp
        base, exponent = self.convert(node.base, frame), self.convert(node.exponent, frame)
        if getattr(base, "is_Number", False) and getattr(exponent, "is_Number", False):
            magnitude = abs(float(base))
            if magnitude > 1 and float(exponent) * math.log10(magnitude) > MAX_DIGITS:
                raise AnswerError("a number in this answer is too large to work with exactly")
        if _is_matrix(sp, base):
            return sp.MatPow(base, exponent)
        return sp.Pow(base, exponent)

    def call(self, node: Call, frame: dict[str, Any]) -> Any:
        sp = self.sp
        args = [self.convert(arg, frame) for arg in node.args]
        x = args[0]
        if _is_matrix(sp, x) or (len(args) > 1 and _is_matrix(sp, args[1])):
            return self.matrix_call(node.func, args)
        scalar = {
            "exp": sp.exp, "log": sp.log, "sqrt": sp.sqrt, "abs": sp.Abs, "sin": sp.sin,
            "cos": sp.cos, "tan": sp.tan, "tanh": sp.tanh, "sinh": sp.sinh, "cosh": sp.cosh,
            "sec": sp.sec, "csc": sp.csc, "cot": sp.cot, "sech": sp.sech, "csch": sp.csch,
            "coth": sp.coth, "arctan": sp.atan, "arcsin": sp.asin, "arccos": sp.acos, "sign": sp.sign,
            "sigmoid": lambda u: 1 / (1 + sp.exp(-u)), "softplus": lambda u: sp.log(1 + sp.exp(u)),
            "relu": lambda u: sp.Max(u, 0), "sum": lambda u: u, "norm": sp.Abs, "diag": lambda u: u,
            "trace": lambda u: u, "det": lambda u: u, "inv": lambda u: 1 / u,
            "softmax": lambda u: sp.Integer(1),
        }
        if node.func in ("max", "min"):
            if len(args) == 1:
                return x
            return (sp.Max if node.func == "max" else sp.Min)(*args)
        if node.func == "hadamard":
            return args[0] * args[1]
        return scalar[node.func](x)

    def matrix_call(self, func: str, args: list[Any]) -> Any:
        sp = self.sp
        x = args[0]
        if func == "trace":
            return sp.Trace(x)
        if func == "det":
            return sp.Determinant(x)
        if func == "inv":
            return sp.Inverse(x)
        if func == "hadamard":
            return sp.HadamardProduct(*args)
        if func == "diag" and 1 in x.shape:
            from sympy.matrices.expressions.diagonal import DiagMatrix

            return DiagMatrix(x)
        if func == "sum":
            ones_left = sp.OneMatrix(1, x.shape[0])
            ones_right = sp.OneMatrix(x.shape[1], 1)
            return (ones_left * x * ones_right)[0, 0]
        if func == "norm":
            return sp.sqrt(sp.Trace(x.T * x))
        raise AnswerError(f"{func}() of a matrix has no symbolic form here")


def _number(sp: Any, value: float) -> Any:
    if value.is_integer() and abs(value) < 1e15:
        return sp.Integer(int(value))
    if math.isfinite(value):
        text = repr(value)
        if len(text) <= 20:
            return sp.Rational(text)
        return sp.Float(value)
    return sp.oo if value > 0 else -sp.oo


def _is_matrix(sp: Any, expr: Any) -> bool:
    return bool(getattr(expr, "is_Matrix", False))
