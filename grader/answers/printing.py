"""Parse tree → text, in plain form or LaTeX. Printing and parsing round-trip to equal values.

Both printers are folds: each node is printed from its children's text. Built-in functions print
through their entries in ``builtins``.
"""

from __future__ import annotations

from .builtins import BUILTINS
from .lexer import GREEK
from .nodes import (ADD, AND, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Cases, Compare,
                    Const, Given, Identity, Name, Neg, Node, Num, Param, Pow, Size, Transpose,
                    fold)

_ADD, _MUL, _NEG, _POW, _ATOM = 10, 20, 30, 40, 50


def _precedence(node: Node) -> int:
    if isinstance(node, BinOp):
        if node.op == AND:
            return _ATOM  # printed inside its indicator's brackets
        return _ADD if node.op in (ADD, SUB) else _MUL
    if isinstance(node, Neg):
        return _NEG
    if isinstance(node, Pow):
        return _POW
    if isinstance(node, Num) and node.value < 0:
        return _NEG
    return _ATOM


def number(value: float) -> str:
    """A float as a student would write it: ``2``, ``0.5``, ``1e-05``."""
    if value != value:
        return "nan"
    if value in (float("inf"), float("-inf")):
        return "inf" if value > 0 else "-inf"
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    return repr(value)


def to_plain(node: Node) -> str:
    """Plain math text that ``parse`` reads back to the same values."""
    return fold(node, _Plain().visit)


def to_latex(node: Node) -> str:
    """LaTeX that ``parse`` reads back to the same values."""
    return fold(node, _Latex().visit)


class _Condition(str):
    """A printed condition, with its text inside the indicator's brackets kept for ``and``."""

    inner: str

    def __new__(cls, text: str, inner: str) -> "_Condition":
        made = super().__new__(cls, text)
        made.inner = inner
        return made


def _inner(text: str) -> str:
    return text.inner if isinstance(text, _Condition) else text


class _Plain:
    times, dot, hadamard_op, transpose_mark = "*", " · ", " ⊙ ", "^T"
    comparisons = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "==": "==", "!=": "!="}

    def visit(self, node: Node, kids: tuple) -> str:
        kind = type(node)
        if kind is Num:
            return number(node.value)
        if kind in (Name, Given, Param):
            return self.name(node.name)
        if kind is Size:
            return self.name(str(node.dim))
        if kind is Const:
            return self.const(node.name)
        if kind is Identity:
            return self.call_text("eye", [str(node.dim)])
        if kind is Neg:
            return "-" + self.wrap(kids[0], node.operand, _NEG, strict=False)
        if kind is BinOp:
            return self.binop(node, kids)
        if kind is Pow:
            return self.power(node, kids)
        if kind is Transpose:
            return self.wrap(kids[0], node.operand, _ATOM, strict=False) + self.transpose_mark
        if kind is Call:
            builtin = BUILTINS[node.func]
            return self.builtin(builtin, list(kids))
        if kind is Apply:
            return self.call_text(self.name(node.func), list(kids))
        if kind is Compare:
            inner = f"{kids[0]} {self.comparisons[node.op]} {kids[1]}"
            return _Condition(self.indicator(inner), inner)
        if kind is Cases:
            return self.cases(node, kids)
        raise TypeError(f"cannot print {kind.__name__}")

    def builtin(self, builtin, args: list[str]) -> str:
        return builtin.plain(args)

    def name(self, name: str) -> str:
        return name

    def const(self, name: str) -> str:
        return name

    def wrap(self, text: str, child: Node, level: int, strict: bool) -> str:
        """``text`` in brackets when ``child`` binds less tightly than ``level`` (or as tightly,
        when ``strict``)."""
        mine = _precedence(child)
        needed = mine <= level if strict else mine < level
        return self.parens(text) if needed else text

    def parens(self, text: str) -> str:
        return f"({text})"

    def indicator(self, inner: str) -> str:
        return f"[{inner}]"

    def binop(self, node: BinOp, kids: tuple) -> str:
        if node.op == AND:
            inner = f"{_inner(kids[0])} and {_inner(kids[1])}"
            return _Condition(self.indicator(inner), inner)
        mine = _precedence(node)
        left = self.wrap(kids[0], node.left, mine, strict=False)
        # The right operand of - and / (and of any operator, for safety) binds tighter.
        right = self.wrap(kids[1], node.right, mine, strict=True)
        if node.op == DIV:
            return self.divide(kids, left, right)
        symbol = {ADD: " + ", SUB: " - ", MUL: self.times, DOT: self.dot,
                  HADAMARD: self.hadamard_op}[node.op]
        return f"{left}{symbol}{right}"

    def divide(self, kids: tuple, left: str, right: str) -> str:
        return f"{left}/{right}"

    def power(self, node: Pow, kids: tuple) -> str:
        base = self.wrap(kids[0], node.base, _POW, strict=True)
        exponent = self.wrap(kids[1], node.exponent, _ATOM, strict=False)
        return f"{base}^{exponent}"

    def call_text(self, func: str, args: list[str]) -> str:
        return f"{func}({', '.join(args)})"

    def cases(self, node: Cases, kids: tuple) -> str:
        count = len(node.values)
        values, conditions = kids[:count], [_inner(c) for c in kids[count:]]
        rows = [f"{value} & {condition}" for value, condition in zip(values, conditions)]
        if node.otherwise:
            rows.append(f"{values[-1]} & \\text{{otherwise}}")
        return "\\begin{cases} " + " \\\\ ".join(rows) + " \\end{cases}"


class _Latex(_Plain):
    times, dot, hadamard_op, transpose_mark = " \\times ", " \\cdot ", " \\odot ", "^{\\top}"
    comparisons = {"<": "<", "<=": "\\le", ">": ">", ">=": "\\ge", "==": "==", "!=": "\\ne"}

    def builtin(self, builtin, args: list[str]) -> str:
        return builtin.tex(args)

    def name(self, name: str) -> str:
        base, _, sub = name.partition("_")
        head = f"\\{base}" if base in GREEK else (base if len(base) == 1 else f"\\mathrm{{{base}}}")
        if sub:
            sub = f"\\{sub}" if sub in GREEK else sub
            return f"{head}_{{{sub}}}"
        return head

    def const(self, name: str) -> str:
        return {"e": "e", "pi": "\\pi", "inf": "\\infty"}[name]

    def parens(self, text: str) -> str:
        return f"\\left({text}\\right)"

    def indicator(self, inner: str) -> str:
        return f"\\mathbb{{1}}\\left[{inner}\\right]"

    def binop(self, node: BinOp, kids: tuple) -> str:
        if node.op == AND:
            inner = f"{_inner(kids[0])} \\land {_inner(kids[1])}"
            return _Condition(self.indicator(inner), inner)
        return super().binop(node, kids)

    def divide(self, kids: tuple, left: str, right: str) -> str:
        return f"\\frac{{{kids[0]}}}{{{kids[1]}}}"

    def power(self, node: Pow, kids: tuple) -> str:
        base = self.wrap(kids[0], node.base, _POW, strict=True)
        return f"{{{base}}}^{{{kids[1]}}}"

    def call_text(self, func: str, args: list[str]) -> str:
        return f"{func}\\left({', '.join(args)}\\right)"
