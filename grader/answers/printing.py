"""Parse tree → text, in plain form or LaTeX. Printing and parsing round-trip to equal values."""

from __future__ import annotations

from .lexer import GREEK
from .nodes import (ADD, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Const, Given, Identity,
                    Name, Neg, Node, Num, Param, Pow, Transpose)

_ADD, _MUL, _NEG, _POW, _ATOM = 10, 20, 30, 40, 50


def _precedence(node: Node) -> int:
    if isinstance(node, BinOp):
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
    return _Plain().show(node)


def to_latex(node: Node) -> str:
    """LaTeX that ``parse`` reads back to the same values."""
    return _Latex().show(node)


class _Plain:
    times, dot, hadamard_op = "*", " · ", " ⊙ "

    def show(self, node: Node) -> str:
        kind = type(node)
        if kind is Num:
            return self.num(node.value)
        if kind in (Name, Given, Param):
            return self.name(node.name)
        if kind is Const:
            return self.const(node.name)
        if kind is Identity:
            return self.call_text("eye", [str(node.dim)])
        if kind is Neg:
            return "-" + self.wrap(node.operand, _precedence(node.operand) < _NEG)
        if kind is BinOp:
            return self.binop(node)
        if kind is Pow:
            return self.power(node)
        if kind is Transpose:
            return self.wrap(node.operand, _precedence(node.operand) < _ATOM) + self.transpose_mark
        if kind is Call:
            return self.call(node)
        if kind is Apply:
            return self.call_text(self.name(node.func), [self.show(a) for a in node.args])
        raise TypeError(f"cannot print {kind.__name__}")

    transpose_mark = "^T"

    def num(self, value: float) -> str:
        return number(value)

    def name(self, name: str) -> str:
        return name

    def const(self, name: str) -> str:
        return name

    def wrap(self, node: Node, needed: bool) -> str:
        text = self.show(node)
        return self.parens(text) if needed else text

    def parens(self, text: str) -> str:
        return f"({text})"

    def binop(self, node: BinOp) -> str:
        mine = _precedence(node)
        left = self.wrap(node.left, _precedence(node.left) < mine)
        # The right operand of - and / (and of any operator, for safety) binds tighter.
        right = self.wrap(node.right, _precedence(node.right) <= mine)
        if node.op == DIV:
            return self.divide(node, left, right)
        symbol = {ADD: " + ", SUB: " - ", MUL: self.times, DOT: self.dot,
                  HADAMARD: self.hadamard_op}[node.op]
        return f"{left}{symbol}{right}"

    def divide(self, node: BinOp, left: str, right: str) -> str:
        return f"{left}/{right}"

    def power(self, node: Pow) -> str:
        base = self.wrap(node.base, _precedence(node.base) <= _POW)
        exponent = self.wrap(node.exponent, _precedence(node.exponent) < _ATOM)
        return f"{base}^{exponent}"

    def call(self, node: Call) -> str:
        args = [self.show(arg) for arg in node.args]
        return self.call_text(node.func, args)

    def call_text(self, func: str, args: list[str]) -> str:
        return f"{func}({', '.join(args)})"


class _Latex(_Plain):
    times, dot, hadamard_op = " \\times ", " \\cdot ", " \\odot "
    transpose_mark = "^{\\top}"

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

    def binop(self, node: BinOp) -> str:
        if node.op == DIV:
            # Each side is shown once: building the plain operands first and then the fraction
            # made nested fractions cost 2^depth.
            return f"\\frac{{{self.show(node.left)}}}{{{self.show(node.right)}}}"
        return super().binop(node)

    def power(self, node: Pow) -> str:
        base = self.wrap(node.base, _precedence(node.base) <= _POW)
        return f"{{{base}}}^{{{self.show(node.exponent)}}}"

    def call(self, node: Call) -> str:
        args = [self.show(arg) for arg in node.args]
        if node.func == "sqrt":
            return f"\\sqrt{{{args[0]}}}"
        if node.func == "abs":
            return f"\\left|{args[0]}\\right|"
        if node.func == "norm":
            return f"\\left\\|{args[0]}\\right\\|"
        if node.func in ("exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "max", "min", "det"):
            return f"\\{node.func}\\left({', '.join(args)}\\right)"
        return f"\\operatorname{{{node.func}}}\\left({', '.join(args)}\\right)"

    def call_text(self, func: str, args: list[str]) -> str:
        return f"{func}\\left({', '.join(args)}\\right)"
