"""sympy expression → answer-language text (plain, for pasting as ``answer:``) and LaTeX.

Only the node types a derivation produces are printed: numbers, symbols, ``+ * ^``, the scalar
functions of the answer language, and the matrix expressions (``MatAdd``, ``MatMul``,
``Transpose``, ``Inverse``, ``Trace``, ``Determinant``, ``HadamardProduct``). Anything else is
``Unprintable``: a closed form the answer language cannot write is no closed form for an author.
Whatever is printed is read back and checked by the caller; this module only writes.
"""

from __future__ import annotations

import re
from typing import Any, Mapping

import sympy as sp
from sympy.matrices.expressions.diagonal import DiagMatrix
from sympy.printing.latex import LatexPrinter

__all__ = ["Unprintable", "to_answer_text", "to_latex"]

_ADD, _MUL, _NEG, _POW, _ATOM = 10, 20, 30, 40, 50

#: sympy function → the answer language's name for it.
FUNCTIONS: Mapping[type, str] = {
    sp.exp: "exp", sp.log: "log", sp.Abs: "abs", sp.sin: "sin", sp.cos: "cos", sp.tan: "tan",
    sp.tanh: "tanh", sp.sinh: "sinh", sp.cosh: "cosh", sp.atan: "arctan", sp.asin: "arcsin",
    sp.acos: "arccos", sp.sec: "sec", sp.csc: "csc", sp.cot: "cot", sp.sech: "sech",
    sp.csch: "csch", sp.coth: "coth", sp.sign: "sign", sp.Max: "max", sp.Min: "min",
}


class Unprintable(Exception):
    """The expression holds something the answer language has no spelling for."""


def to_answer_text(expr: Any, names: Mapping[Any, str] | None = None, *,
                   inner_products: bool = True) -> str:
    """Plain answer-language text for ``expr``. ``names`` spells placeholder symbols (a given,
    ``f(x)``); with ``inner_products``, ``Trace`` of a 1 x 1 product is written as the product
    itself (``w^T x``), as students write it, else as ``trace(w^T x)``."""
    return _Plain(names or {}, inner_products).show(expr)[0]


def to_latex(expr: Any, names: Mapping[Any, str] | None = None) -> str:
    """LaTeX for ``expr`` by sympy's printer, with 1 x 1 traces written as the product inside
    and ``names`` (sympy symbol → LaTeX) for placeholders."""
    return _Latex(dict(names or {})).doprint(expr)


def _is_matrix(expr: Any) -> bool:
    return bool(getattr(expr, "is_Matrix", False))


def _square_norm_operand(expr: Any) -> Any | None:
    """M when ``expr`` is tr(MᵀM) (the squared norm ‖M‖²), else None."""
    if isinstance(expr, sp.Trace):
        inner = expr.arg
        if isinstance(inner, sp.MatMul) and len(inner.args) == 2:
            left, right = inner.args
            if isinstance(left, sp.Transpose) and left.arg == right:
                return right
    return None


class _Plain:
    def __init__(self, names: Mapping[Any, str], inner_products: bool):
        self.names = names
        self.inner_products = inner_products

    def wrap(self, expr: Any, above: int) -> str:
        """``expr``'s text, in parentheses when it binds less tightly than ``above``."""
        text, precedence = self.show(expr)
        return f"({text})" if precedence < above else text

    def show(self, expr: Any) -> tuple[str, int]:
        if expr in self.names:
            return self.names[expr], _ATOM
        if expr.is_Number:
            return self.number(expr)
        if expr is sp.E:
            return "e", _ATOM
        if expr is sp.pi:
            return "pi", _ATOM
        if isinstance(expr, (sp.Symbol, sp.MatrixSymbol)):
            return str(expr.name), _ATOM
        if isinstance(expr, (sp.Add, sp.MatAdd)):
            return self.sum(expr)
        if isinstance(expr, (sp.Mul, sp.MatMul)):
            return self.product(expr)
        if isinstance(expr, sp.Pow):
            return self.power(expr)
        if isinstance(expr, sp.Inverse):  # before MatPow, which it subclasses
            return f"inv({self.show(expr.arg)[0]})", _ATOM
        if isinstance(expr, sp.MatPow):
            return f"{self.wrap(expr.base, _ATOM)}^{self.wrap(expr.exp, _ATOM)}", _POW
        if isinstance(expr, sp.Transpose):
            return f"{self.wrap(expr.arg, _ATOM)}^T", _ATOM
        if isinstance(expr, sp.Trace):
            return self.trace(expr)
        if isinstance(expr, sp.Determinant):
            return f"det({self.show(expr.arg)[0]})", _ATOM
        if isinstance(expr, sp.HadamardProduct):
            return self.nest("hadamard", list(expr.args)), _ATOM
        if isinstance(expr, DiagMatrix):
            return f"diag({self.show(expr.args[0])[0]})", _ATOM
        if isinstance(expr, sp.Identity) and isinstance(expr.rows, (sp.Symbol, sp.Integer)):
            return f"eye({expr.rows})", _ATOM
        if isinstance(expr, sp.Function) and type(expr) in FUNCTIONS and len(expr.args) <= 2:
            args = ", ".join(self.show(arg)[0] for arg in expr.args)
            return f"{FUNCTIONS[type(expr)]}({args})", _ATOM
        raise Unprintable(type(expr).__name__)

    def number(self, value: Any) -> tuple[str, int]:
        if value.is_Integer:
            return str(int(value)), (_NEG if value < 0 else _ATOM)
        if value.is_Rational:
            text = f"{abs(value.p)}/{value.q}"
            return (f"-{text}", _NEG) if value < 0 else (text, _MUL)
        if value.is_Float and value.is_finite:
            number = float(value)
            return repr(number), (_NEG if number < 0 else _ATOM)
        raise Unprintable(f"the number {value}")

    def sum(self, expr: Any) -> tuple[str, int]:
        terms = list(expr.as_ordered_terms()) if isinstance(expr, sp.Add) else list(expr.args)
        # A positive term first reads better than a leading minus: `1 - f` rather than `-f + 1`.
        terms.sort(key=lambda t: _negative(t))
        text = ""
        for index, term in enumerate(terms):
            if _negative(term):
                body = self.wrap(-term, _ADD + 1)
                text += f" - {body}" if index else f"-{body}"
            else:
                body = self.wrap(term, _ADD + 1)
                text += f" + {body}" if index else body
        return text, _ADD

    def product(self, expr: Any) -> tuple[str, int]:
        if _negative(expr):
            return "-" + self.wrap(-expr, _MUL), _NEG
        if not _is_matrix(expr):  # (MatMul is a subclass of Mul)
            # Scalars commute: simple factors before bracketed sums reads as people write it,
            # `f (1 - f)` rather than `(1 - f) f`. A matrix product keeps its order.
            factors = sorted(expr.as_ordered_factors(), key=lambda f: isinstance(f, sp.Add))
        else:
            # A scalar coefficient's own factors join the product (`2 v (...) x`, not
            # `(2 v (...)) x`); the matrices keep their order.
            factors = []
            for arg in expr.args:
                if isinstance(arg, sp.Mul) and not _is_matrix(arg):
                    factors.extend(arg.as_ordered_factors())
                else:
                    factors.append(arg)
        negative = False
        for index, factor in enumerate(factors):
            if factor.is_Number and factor < 0:
                negative, factors[index] = not negative, -factor
        factors = [f for f in factors if f != 1] or [sp.Integer(1)]
        if negative:
            rest = self.product_of(factors)
            return "-" + (f"({rest[0]})" if rest[1] < _MUL else rest[0]), _NEG
        return self.product_of(factors)

    def product_of(self, factors: list[Any]) -> tuple[str, int]:
        numerator, denominator = [], []
        for factor in factors:
            if isinstance(factor, sp.Pow) and factor.exp.is_Number and factor.exp < 0 \
                    and not _is_matrix(factor.base):
                denominator.append(sp.Pow(factor.base, -factor.exp))
            elif factor.is_Rational and factor.q != 1:
                if factor.p != 1:
                    numerator.append(sp.Integer(factor.p))
                denominator.append(sp.Integer(factor.q))
            else:
                numerator.append(factor)
        top = self.join(numerator) if numerator else "1"
        if not denominator:
            return top, _MUL
        bottom = denominator[0] if len(denominator) == 1 else sp.Mul(*denominator, evaluate=False)
        # Left to right: `a b/c` is (a b)/c, and `x/2 y` would be (x/2) y, so a product in the
        # denominator is always bracketed (a power binds tighter than `/`).
        return f"{top}/{self.wrap(bottom, _POW)}", _MUL

    def join(self, factors: list[Any]) -> str:
        text = ""
        for factor in factors:
            part, precedence = self.show(factor)
            # After another factor, a signed one needs brackets too: `a -x` would be a - x.
            if precedence <= _MUL or (text and precedence == _NEG):
                part = f"({part})"
            text = part if not text else text + _product_sign(text, part) + part
        return text

    def power(self, expr: Any) -> tuple[str, int]:
        base, exponent = expr.base, expr.exp
        if exponent == sp.Rational(1, 2):
            norm = _square_norm_operand(base)
            if norm is not None:
                return f"norm({self.show(norm)[0]})", _ATOM
            return f"sqrt({self.show(base)[0]})", _ATOM
        if exponent.is_Number and exponent < 0:
            return f"1/{self.wrap(sp.Pow(base, -exponent), _ATOM)}", _MUL
        return f"{self.wrap(base, _POW + 1)}^{self.wrap(exponent, _ATOM)}", _POW

    def trace(self, expr: Any) -> tuple[str, int]:
        inner = expr.arg
        if self.inner_products and inner.shape == (1, 1):
            # tr(wᵀx) is the 1 x 1 product wᵀx, which the answer language treats as a scalar.
            text, precedence = self.show(inner)
            return text, min(precedence, _MUL)
        return f"trace({self.show(inner)[0]})", _ATOM

    def nest(self, name: str, args: list[Any]) -> str:
        """``hadamard(a, hadamard(b, c))``: the answer language's hadamard takes two arguments."""
        if len(args) == 1:
            return self.show(args[0])[0]
        return f"{name}({self.show(args[0])[0]}, {self.nest(name, args[1:])})"


def _negative(term: Any) -> bool:
    return bool(term.could_extract_minus_sign()) if hasattr(term, "could_extract_minus_sign") else False


def _product_sign(left: str, right: str) -> str:
    """A space between factors, as people write them, except where it could be read otherwise:
    a name before a bracket (`f (1 - f)` may be a call) or anything before a number."""
    if right[0] == "(" and re.search(r"[A-Za-z_0-9]$", left) and not left.endswith("^T") \
            and not re.search(r"(^|[^A-Za-z_0-9.])[0-9.]+$", left):
        return "*"
    if right[0].isdigit() or right[0] == ".":
        return "*"
    return " "


class _Latex(LatexPrinter):
    def __init__(self, names: dict[Any, str]):
        super().__init__({"symbol_names": {k: v for k, v in names.items()
                                           if isinstance(k, sp.Symbol)}})

    def _print_Transpose(self, expr: Any) -> str:
        # ^{\top}, as the answer language's own LaTeX writes it.
        return super()._print_Transpose(expr).replace("^{T}", "^{\\top}")

    def _print_Trace(self, expr: Any) -> str:
        inner = expr.arg
        if inner.shape == (1, 1):
            return r"\left(" + self._print(inner) + r"\right)"
        return super()._print_Trace(expr)

    def _print_Add(self, expr: Any, order: Any = None) -> str:
        return self._sum(list(self._as_ordered_terms(expr, order=order)))

    def _print_MatAdd(self, expr: Any) -> str:
        return self._sum(list(expr.args))

    def _sum(self, terms: list[Any]) -> str:
        # As the plain printer: positive terms first (`w^T x - y`, not `- y + w^T x`), and a
        # 1 x 1 product needs no brackets as a term of a sum.
        terms.sort(key=_negative)
        tex = ""
        for index, term in enumerate(terms):
            if _negative(term):
                tex += " - " if index else "-"
                term = -term
            elif index:
                tex += " + "
            if isinstance(term, sp.Trace) and term.arg.shape == (1, 1):
                text = self._print(term.arg)
            else:
                text = self._print(term)
                if self._needs_add_brackets(term):
                    text = r"\left(" + text + r"\right)"
            tex += text
        return tex

    def _print_Pow(self, expr: Any, *args, **kwargs) -> str:
        if expr.exp == sp.Rational(1, 2):
            norm = _square_norm_operand(expr.base)
            if norm is not None:
                return r"\left\|" + self._print(norm) + r"\right\|"
        return super()._print_Pow(expr, *args, **kwargs)
