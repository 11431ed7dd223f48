"""Ways of writing one closed form, and which an author would rather read.

sympy's first result is seldom the form a textbook prints (``2 X^T (1/2 X w - 1/2 y)``,
``A x + A^T x + z``). Equivalent variants are generated (simplified, expanded, common factors
collected, numbers pulled out, transposes pushed in or kept outside) and ranked; the caller
checks them numerically in that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

import sympy as sp

from .budget import Deadline, TimeUp
from .sympy_text import Unprintable, to_answer_text, to_latex

__all__ = ["Form", "forms", "functions", "simplify_scalars", "variants"]


@dataclass(frozen=True)
class Form:
    """One way of writing a candidate closed form: answer-language text and LaTeX."""

    text: str
    latex: str


def variants(gradient: Any, transpose: bool, deadline: Deadline) -> list[Any]:
    """Equivalent expressions for ``gradient`` (transposed for numerator layout); rewrites that
    fail or run out of time are left out, the gradient as differentiated never is."""
    if not _is_matrix(gradient):
        return [gradient] + _each([sp.cancel, sp.factor, sp.simplify], [gradient], deadline)
    out = [gradient] + _each([sp.expand, simplify_scalars], [gradient], deadline)
    out += _each([lambda v: _pull_coefficients(_collect(v))], out, deadline)
    if transpose:
        out = _each([_transpose, lambda v: sp.transpose(v).doit()], out, deadline)
    return out


def _each(rewrites: list[Callable], exprs: list[Any], deadline: Deadline) -> list[Any]:
    """Every rewrite of every expression, leaving out those that fail (sympy raises freely)."""
    out = []
    for expr in exprs:
        for rewrite in rewrites:
            try:
                out.append(deadline.run(rewrite, expr))
            except (Exception, TimeUp):  # noqa: BLE001 - a rewrite that fails is not offered
                pass
    return out


def simplify_scalars(expr: Any) -> Any:
    """``simplify`` applied to each scalar coefficient of a matrix expression."""
    if not _is_matrix(expr):
        return sp.simplify(expr)
    if isinstance(expr, sp.MatAdd):
        return sp.MatAdd(*(simplify_scalars(t) for t in expr.args))
    if isinstance(expr, sp.MatMul):
        scalars = [a for a in expr.args if not _is_matrix(a)]
        matrices = [simplify_scalars(a) for a in expr.args if _is_matrix(a)]
        coefficient = sp.simplify(sp.Mul(*scalars)) if scalars else sp.Integer(1)
        return sp.MatMul(coefficient, *matrices) if coefficient != 1 else sp.MatMul(*matrices)
    return expr


def _collect(expr: Any) -> Any:
    """``A x + A^T x + z`` as ``(A + A^T) x + z``: terms of a sum that end (or start) with the
    same factor share it (a scalar left alone becomes that multiple of the identity)."""
    if not isinstance(expr, sp.MatAdd):
        return expr
    for side in (-1, 0):
        groups: dict[Any, list[Any]] = {}
        for term in expr.args:
            factors = _factors(term)
            key = factors[side] if len(factors) > 1 and _is_matrix(factors[side]) else None
            groups.setdefault(key, []).append(term)
        shared = [k for k, v in groups.items() if k is not None and len(v) > 1]
        if not shared:
            continue
        key = shared[0]
        size = key.rows if side == -1 else key.cols
        others = []
        for term in groups[key]:
            rest = _factors(term)[:-1] if side == -1 else _factors(term)[1:]
            other = sp.MatMul(*rest) if any(_is_matrix(r) for r in rest) else sp.Mul(*rest)
            others.append(other if _is_matrix(other) else other * sp.Identity(size))
        inner = sp.MatAdd(*others)
        grouped = sp.MatMul(inner, key) if side == -1 else sp.MatMul(key, inner)
        rest_terms = [t for t in expr.args if t not in groups[key]]
        return sp.MatAdd(grouped, *(_collect(t) for t in rest_terms)) if rest_terms else grouped
    return expr


def _factors(term: Any) -> list[Any]:
    if isinstance(term, sp.MatMul):
        coefficient, matrices = term.as_coeff_matrices()
        return ([coefficient] if coefficient != 1 else []) + list(matrices)
    return [term]


def _pull_coefficients(expr: Any) -> Any:
    """``2 X^T (1/2 X w - 1/2 y)`` as ``X^T (X w - y)``: a number common to a sum's terms moves
    out to the product's coefficient."""
    if isinstance(expr, sp.MatAdd):
        return sp.MatAdd(*(_pull_coefficients(t) for t in expr.args))
    if not isinstance(expr, sp.MatMul):
        return expr
    coefficient, factors = sp.Integer(1), []
    for factor in expr.args:
        if isinstance(factor, sp.MatAdd):
            numbers = [t.as_coeff_mmul()[0] if isinstance(t, sp.MatMul) else sp.Integer(1)
                       for t in factor.args]
            common = sp.gcd_list(numbers) if all(n.is_Rational for n in numbers) else sp.Integer(1)
            if common not in (0, 1):
                factor = sp.MatAdd(*(t / common for t in factor.args))
                coefficient *= common
        factors.append(factor)
    return sp.MatMul(coefficient, *factors).doit(deep=False) if coefficient != 1 else expr


def _transpose(expr: Any) -> Any:
    """The transpose with sums inside products kept whole: ``2 x (W x + b - y)^T`` rather than
    sympy's ``2 x (x^T W^T + b^T - y^T)``."""
    if isinstance(expr, sp.MatAdd):
        return sp.MatAdd(*(_transpose(t) for t in expr.args))
    if isinstance(expr, sp.MatMul):
        scalars = [a for a in expr.args if not _is_matrix(a)]
        matrices = [a for a in expr.args if _is_matrix(a)]
        flipped = [sp.Transpose(m) if isinstance(m, sp.MatAdd) else m.T for m in reversed(matrices)]
        return sp.MatMul(*scalars, *flipped)
    return expr.T


def forms(exprs: Iterable[Any], names: Mapping[Any, tuple[str, str]],
          familiar: set[type]) -> list[Form]:
    """Distinct printable forms, best first: no function the question did not use (simplify's
    ``1/(4 cosh(x/2)^2)`` for the sigmoid's derivative is right but not what anyone writes),
    then the fewest occurrences of symbols (``(A + A^T) x`` over ``A x + A^T x``), then the
    shortest. Each 1 x 1 product is also offered as ``trace(...)`` in case the inner-product
    spelling does not read back in some context. ``names`` spells placeholders (text, LaTeX)."""
    ranked: dict[str, tuple] = {}
    text_names = {k: v[0] for k, v in names.items()}
    latex_names = {k: v[1] for k, v in names.items()}
    for expr in exprs:
        for inner_products in (True, False):
            try:
                text = to_answer_text(expr, text_names, inner_products=inner_products)
                latex = to_latex(expr, latex_names)
            except (Unprintable, RecursionError, TypeError, ValueError, AttributeError):
                continue
            key = (len(functions(expr) - familiar), _leaves(expr), not inner_products,
                   len(text.replace(" ", "")), text)
            if text not in ranked or key < ranked[text][0]:
                ranked[text] = (key, Form(text, latex))
    return [form for _, form in sorted(ranked.values(), key=lambda item: item[0])]


def functions(expr: Any) -> set[type]:
    """The kinds of function (exp, cosh, ...) an expression uses."""
    return {type(f) for f in expr.atoms(sp.Function)}


def _leaves(expr: Any) -> int:
    """Occurrences of symbols and matrices (a matrix's sizes are not counted)."""
    if isinstance(expr, (sp.Symbol, sp.MatrixSymbol)):
        return 1
    return sum(_leaves(arg) for arg in expr.args if isinstance(arg, sp.Basic))


def _is_matrix(expr: Any) -> bool:
    return bool(getattr(expr, "is_Matrix", False))
