"""Parse tree → sympy expression, for symbolic work on trusted rubric text and for display.

sympy is imported only here and only when called: grading never needs it. The bridge refuses to
build huge numbers (``9^9^9^9`` would make sympy compute a number with millions of digits) and
never expands. Built-in functions become sympy through their entries in ``builtins``.

With ``sizes`` (dimension name → number) matrices get concrete shapes, and functions that have
no symbolic matrix form (the largest entry of a vector, an entrywise max of two matrices) are
built entry by entry.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Mapping

from .builtins import BUILTINS
from .errors import AnswerError
from .namespace import Namespace
from .nodes import (ADD, AND, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Cases, Compare,
                    Const, Given, Identity, Name, Neg, Node, Num, Param, Pow, Size, Transpose,
                    fold)

MAX_DIGITS = 300


def to_sympy(tree: Node, ns: Namespace, positive: frozenset[str] = frozenset(),
             sizes: Mapping[str, int] | None = None) -> Any:
    """A sympy expression for ``tree``; declared matrices become MatrixSymbols."""
    import sympy

    return _Bridge(sympy, ns, positive, sizes or {}).convert(tree, {})


class _Bridge:
    def __init__(self, sympy: Any, ns: Namespace, positive: frozenset[str],
                 sizes: Mapping[str, int]):
        self.sp = sympy
        self.ns = ns
        self.positive = positive
        self.sizes = sizes
        self.dims: dict[Any, Any] = {}
        self.givens: dict[str, Any] = {}

    # -- what builtins' sympy rules use ---------------------------------------------------------
    def is_matrix(self, expr: Any) -> bool:
        return bool(getattr(expr, "is_Matrix", False))

    def entries(self, matrix: Any) -> list[Any]:
        """The entries of a matrix of concrete shape."""
        rows, cols = matrix.shape
        if not (isinstance(rows, int) or getattr(rows, "is_Integer", False)) or not (
                isinstance(cols, int) or getattr(cols, "is_Integer", False)):
            raise AnswerError("this function of a matrix has a symbolic form only at given sizes")
        explicit = matrix.as_explicit()
        return [explicit[i, j] for i in range(int(rows)) for j in range(int(cols))]

    def entrywise(self, f: Callable[..., Any], args: list[Any]) -> Any:
        """``f`` applied entry by entry; scalar arguments apply to every entry."""
        sp = self.sp
        matrices = [a for a in args if self.is_matrix(a)]
        if not matrices:
            return f(*args)
        if len(matrices) == 1 and len(args) == 1:
            from sympy.matrices.expressions.applyfunc import ElementwiseApplyFunction

            dummy = sp.Dummy("u", real=True)
            return ElementwiseApplyFunction(sp.Lambda(dummy, f(dummy)), matrices[0])
        rows, cols = matrices[0].shape
        values = [self.entries(a) if self.is_matrix(a) else None for a in args]
        flat = [f(*(v[k] if v is not None else a for v, a in zip(values, args)))
                for k in range(int(rows) * int(cols))]
        return sp.ImmutableMatrix(int(rows), int(cols), flat)

    def dim(self, dim: Any) -> Any:
        if isinstance(dim, int):
            return self.sp.Integer(dim)
        if dim in self.sizes:
            return self.sp.Integer(self.sizes[dim])
        if dim not in self.dims:
            self.dims[dim] = self.sp.Symbol(dim, integer=True, positive=True)
        return self.dims[dim]

    # -- the fold --------------------------------------------------------------------------------
    def convert(self, tree: Node, frame: dict[str, Any]) -> Any:
        return fold(tree, lambda node, kids: self.visit(node, kids, frame))

    def visit(self, node: Node, kids: tuple, frame: dict[str, Any]) -> Any:
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
        if kind is Size:
            return self.dim(node.dim)
        if kind is Neg:
            return -kids[0]
        if kind is Transpose:
            return kids[0].T if self.is_matrix(kids[0]) else kids[0]
        if kind is BinOp:
            return self.binop(node, kids[0], kids[1])
        if kind is Pow:
            return self.power(node, kids[0], kids[1])
        if kind is Call:
            return self.call(node, list(kids))
        if kind is Apply:
            function = self.ns.functions[node.func]
            return self.convert(function.body, dict(zip(function.params, kids)))
        if kind is Compare:
            relation = {"<": sp.Lt, "<=": sp.Le, ">": sp.Gt, ">=": sp.Ge, "==": sp.Eq,
                        "!=": sp.Ne}[node.op]
            indicator = lambda a, b: sp.Piecewise((1, relation(a, b)), (0, True))  # noqa: E731
            return self.entrywise(indicator, list(kids))
        if kind is Cases:
            return self.cases(node, list(kids))
        raise AnswerError(f"cannot turn {kind.__name__} into sympy")

    def binop(self, node: BinOp, left: Any, right: Any) -> Any:
        sp = self.sp
        op = node.op
        if op in (ADD, SUB):
            if self.is_matrix(left) != self.is_matrix(right):  # elementwise shorthand
                matrix = left if self.is_matrix(left) else right
                ones = sp.OneMatrix(*matrix.shape)
                left, right = (left if self.is_matrix(left) else left * ones,
                               right if self.is_matrix(right) else right * ones)
            return left + right if op == ADD else left - right
        if op == DOT and self.is_matrix(left) and left.shape == right.shape and left.shape[1] == 1:
            return (left.T * right)[0, 0]
        if op in (MUL, DOT):
            if self.is_matrix(left) and self.is_matrix(right):
                return sp.MatMul(left, right)
            return left * right
        if op == DIV:
            if self.is_matrix(right):
                reciprocal = sp.HadamardPower(right, -1)
                if self.is_matrix(left):
                    return sp.HadamardProduct(left, reciprocal)
                return left * reciprocal
            return left / right if not self.is_matrix(left) else left * (1 / right)
        if op in (HADAMARD, AND):
            if self.is_matrix(left) and self.is_matrix(right):
                return sp.HadamardProduct(left, right)
            return left * right
        raise AnswerError(f"unknown operator {op}")

    def power(self, node: Pow, base: Any, exponent: Any) -> Any:
        sp = self.sp
        if getattr(base, "is_Number", False) and getattr(exponent, "is_Number", False):
            magnitude = abs(float(base))
            if magnitude > 1 and float(exponent) * math.log10(magnitude) > MAX_DIGITS:
                raise AnswerError("a number in this answer is too large to work with exactly")
        if node.elementwise:
            if self.is_matrix(base):
                return sp.HadamardPower(base, exponent)
            return self.entrywise(lambda e: sp.Pow(base, e), [exponent])
        if self.is_matrix(base):
            return sp.MatPow(base, exponent)
        return sp.Pow(base, exponent)

    def call(self, node: Call, args: list[Any]) -> Any:
        builtin = BUILTINS[node.func]
        if builtin.elementwise:
            return self.entrywise(builtin.sympy(self.sp), args)
        return builtin.sympy(self, args)

    def cases(self, node: Cases, kids: list[Any]) -> Any:
        sp = self.sp
        count = len(node.values)
        values, conditions = kids[:count], kids[count:]
        if any(self.is_matrix(k) for k in kids):
            raise AnswerError("cases of matrices have no symbolic form here")
        pieces = [(value, _relation(sp, condition)) for value, condition in zip(values, conditions)]
        if node.otherwise:
            pieces.append((values[-1], True))
        return sp.Piecewise(*pieces)


def _relation(sp: Any, condition: Any) -> Any:
    """The relation an indicator ``Piecewise((1, rel), (0, True))`` stands for."""
    if (isinstance(condition, sp.Piecewise) and len(condition.args) == 2
            and condition.args[0].expr == 1):
        return condition.args[0].cond
    return sp.Eq(condition, 1)


def _number(sp: Any, value: float) -> Any:
    if value.is_integer() and abs(value) < 1e15:
        return sp.Integer(int(value))
    if math.isfinite(value):
        text = repr(value)
        if len(text) <= 20:
            return sp.Rational(text)
        return sp.Float(value)
    return sp.oo if value > 0 else -sp.oo
