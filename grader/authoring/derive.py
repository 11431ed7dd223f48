"""Closed forms of a rubric's ``gradient_of`` by sympy: candidates only, never trusted.

The parse tree is first made easy for sympy (givens inlined, ``norm(v)^2`` as ``tr(vᵀv)``, a 1 x 1
product of matrices as its trace, which sympy treats as a scalar). A scalar ``wrt`` is then
differentiated by ``diff``; a matrix one by the chain rule through the scalar functionals of
matrices (traces, determinants), whose matrix derivatives come from sympy's matrix calculus:
sympy's own ``diff`` of a scalar function of a trace is silently wrong (it gives zero for
``(tr(wᵀx) − y)²``), so the outer function is differentiated with respect to a stand-in symbol
per functional instead. Every candidate is checked numerically by the caller before it is shown.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from functools import reduce
from operator import add
from typing import Any, Iterable

import sympy as sp

from ..answers import AnswerError, Namespace, infer_shape
from ..answers.nodes import (DOT, MUL, Apply, BinOp, Call, Given, Name, Neg, Node, Num, Pow,
                             Transpose)
from ..answers.sympy_bridge import to_sympy
from .sympy_text import Unprintable, to_answer_text, to_latex

__all__ = ["Derivation", "Form", "NoClosedForm", "derive"]

#: Givens tried at once when re-expressing a closed form with them, and the size of a given's
#: expression beyond which solving for it is not attempted (sympy's solve can take very long).
MAX_GIVENS = 4
MAX_GIVEN_OPS = 40


class NoClosedForm(Exception):
    """sympy found no closed form the answer language can write; the message says why."""


@dataclass(frozen=True)
class Form:
    """One way of writing a candidate closed form: answer-language text and LaTeX."""

    text: str
    latex: str


@dataclass(frozen=True)
class Derivation:
    """Candidate forms, shortest first: in the question's own symbols, and with its givens."""

    plain: tuple[Form, ...]
    with_givens: tuple[Form, ...]


def derive(tree: Node, ns: Namespace, wrt: str, transpose: bool,
           positive: frozenset[str] = frozenset()) -> Derivation:
    """Candidate closed forms of the gradient of scalar ``tree`` with respect to ``wrt``, in
    denominator layout (``transpose`` for numerator layout). Raises NoClosedForm."""
    try:
        expr = to_sympy(sympy_ready(tree, ns), ns, positive)
    except (AnswerError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise NoClosedForm(f"sympy cannot represent it ({_reason(err)})") from None
    variable = _variable(expr, ns, wrt, positive)
    try:
        gradient = differentiate(expr, variable)
    except NoClosedForm:
        raise
    except Exception as err:  # noqa: BLE001 - sympy raises anything from deep inside
        raise NoClosedForm(f"sympy could not differentiate it ({_reason(err)})") from None
    if _is_matrix(gradient):
        variants = _matrix_variants(gradient, transpose)
    else:
        variants = _scalar_variants(gradient)
    plain = _forms(variants, {}, _functions(expr))
    if not plain:
        raise NoClosedForm("sympy's result uses operations the answer language cannot write")
    givens = () if _is_matrix(gradient) else _with_givens(gradient, ns, wrt, positive, plain[0])
    return Derivation(tuple(plain), tuple(givens))


# -- the tree, made easy for sympy --------------------------------------------------------------
def sympy_ready(tree: Node, ns: Namespace) -> Node:
    """``tree`` with givens inlined, ``norm(v)^2`` as ``trace(v^T v)`` and each 1 x 1 product of
    matrices (``w^T x``) as its trace, so that sympy sees a scalar where the answer language
    does."""
    def shape(node: Node) -> tuple:
        return infer_shape(node, ns)

    def visit(node: Node) -> Node:
        if isinstance(node, Given):
            return visit(ns.givens[node.name])
        if isinstance(node, Pow) and isinstance(node.base, Call) and node.base.func == "norm" \
                and isinstance(node.exponent, Num) and node.exponent.value == 2:
            inner = visit(node.base.args[0])
            if shape(inner) != (1, 1):
                return Call("trace", (BinOp(MUL, Transpose(inner), inner),))
        if isinstance(node, (Neg, Transpose)):
            node = dataclasses.replace(node, operand=visit(node.operand))
        elif isinstance(node, BinOp):
            node = dataclasses.replace(node, left=visit(node.left), right=visit(node.right))
        elif isinstance(node, Pow):
            node = dataclasses.replace(node, base=visit(node.base), exponent=visit(node.exponent))
        elif isinstance(node, (Call, Apply)):
            node = dataclasses.replace(node, args=tuple(visit(a) for a in node.args))
        if isinstance(node, BinOp) and node.op in (MUL, DOT):
            left, right = shape(node.left), shape(node.right)
            if (1, 1) not in (left, right) and shape(node) == (1, 1):
                if node.op == DOT and left == right:  # w · x between columns is wᵀx
                    node = BinOp(MUL, Transpose(node.left), node.right)
                return Call("trace", (node,))
        return node

    return visit(tree)


def _variable(expr: Any, ns: Namespace, wrt: str, positive: frozenset[str]) -> Any:
    symbol = ns.symbols[wrt]
    if symbol.is_scalar:
        return sp.Symbol(wrt, positive=True) if wrt in positive else sp.Symbol(wrt, real=True)
    for matrix in expr.atoms(sp.MatrixSymbol):
        if matrix.name == wrt:
            return matrix
    raise NoClosedForm(f"the expression does not depend on {wrt}")


# -- differentiation -----------------------------------------------------------------------------
def differentiate(expr: Any, variable: Any) -> Any:
    """d expr / d variable, a scalar or a matrix of the variable's shape (denominator layout)."""
    if _is_matrix(expr):
        if expr.shape != (1, 1):
            raise NoClosedForm("the expression is not a scalar")
        expr = sp.Trace(expr)
    functionals = _functionals(expr)
    stand_ins = [sp.Dummy(f"t{index}") for index in range(len(functionals))]
    outer = expr.xreplace(dict(zip(functionals, stand_ins)))
    if any(_is_matrix(node) for node in sp.preorder_traversal(outer)):
        raise NoClosedForm("sympy cannot separate its matrix parts")
    terms = []
    if not _is_matrix(variable):
        terms.append(outer.diff(variable))
    for functional, stand_in in zip(functionals, stand_ins):
        coefficient = outer.diff(stand_in)
        if coefficient != 0 and functional.has(variable):
            terms.append(coefficient * _derivative_of_functional(functional, variable))
    terms = [t for t in terms if not (t == 0 or isinstance(t, sp.ZeroMatrix))]
    if not terms:
        raise NoClosedForm("the gradient is zero")
    result = reduce(add, terms).xreplace(dict(zip(stand_ins, functionals)))
    if result.has(sp.Derivative) or result.has(sp.Subs):
        raise NoClosedForm("sympy left a derivative unevaluated")
    wanted = variable.shape if _is_matrix(variable) else None
    if (_is_matrix(result) and result.shape != wanted) or (not _is_matrix(result) and wanted):
        raise NoClosedForm("sympy's result has the wrong shape")
    return result


def _functionals(expr: Any) -> list[Any]:
    """The outermost scalar subexpressions that take a matrix argument (traces, determinants)."""
    found: list[Any] = []

    def visit(node: Any) -> None:
        if any(_is_matrix(arg) for arg in node.args):
            if node not in found:
                found.append(node)
            return
        for arg in node.args:
            visit(arg)

    visit(expr)
    return found


def _derivative_of_functional(functional: Any, variable: Any) -> Any:
    if isinstance(functional, sp.Determinant) and functional.arg == variable:
        return functional * sp.Inverse(variable).T  # Jacobi's formula; sympy leaves it unevaluated
    result = functional.diff(variable)
    if result.has(sp.Derivative):
        raise NoClosedForm(f"sympy cannot differentiate {type(functional).__name__.lower()}")
    return result


# -- ways of writing the result ------------------------------------------------------------------
def _scalar_variants(gradient: Any) -> list[Any]:
    variants = [gradient]
    for rewrite in (sp.simplify, sp.factor, sp.cancel):
        try:
            variants.append(rewrite(gradient))
        except Exception:  # noqa: BLE001 - a rewrite that fails is just not offered
            pass
    return variants


def _matrix_variants(gradient: Any, transpose: bool) -> list[Any]:
    variants = [gradient, sp.expand(gradient)]
    variants += [_pull_coefficients(_collect(v)) for v in list(variants)]
    if transpose:
        variants = [w for v in variants for w in (sp.transpose(v), sp.transpose(v).doit())]
    return variants


def _collect(expr: Any) -> Any:
    """``A x + A^T x + z`` as ``(A + A^T) x + z``: terms of a sum that end (or start) with the
    same factor share it."""
    if not isinstance(expr, sp.MatAdd):
        return expr
    for side in (-1, 0):
        groups: dict[Any, list[Any]] = {}
        for term in expr.args:
            factors = _factors(term)
            key = factors[side] if len(factors) > 1 else None
            groups.setdefault(key, []).append(term)
        shared = [k for k, v in groups.items() if k is not None and len(v) > 1]
        if shared:
            key = shared[0]
            rest = [t for t in expr.args if t not in groups[key]]
            others = [sp.MatMul(*(_factors(t)[:-1] if side == -1 else _factors(t)[1:]))
                      for t in groups[key]]
            inner = sp.MatAdd(*others)
            grouped = sp.MatMul(inner, key) if side == -1 else sp.MatMul(key, inner)
            return sp.MatAdd(grouped, *(_collect(t) for t in rest)) if rest else grouped
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


def _forms(variants: Iterable[Any], names: dict[Any, tuple[str, str]],
           familiar: set[type]) -> list[Form]:
    """Distinct printable forms, best first: no function the question did not use (simplify's
    ``1/(4 cosh(x/2)^2)`` for the sigmoid's derivative is right but not what anyone writes),
    then the fewest occurrences of symbols (``(A + A^T) x`` over ``A x + A^T x``), then the
    shortest. Each 1 x 1 product is also offered as ``trace(...)`` in case the inner-product
    spelling does not read back in some context."""
    ranked: dict[str, tuple] = {}
    text_names = {k: v[0] for k, v in names.items()}
    latex_names = {k: v[1] for k, v in names.items()}
    for variant in variants:
        for inner_products in (True, False):
            try:
                text = to_answer_text(variant, text_names, inner_products=inner_products)
                latex = to_latex(variant, latex_names)
            except (Unprintable, RecursionError, TypeError, ValueError):
                continue
            key = (len(_functions(variant) - familiar), _leaves(variant), not inner_products,
                   len(text.replace(" ", "")), text)
            if text not in ranked or key < ranked[text][0]:
                ranked[text] = (key, Form(text, latex))
    return [form for _, form in sorted(ranked.values(), key=lambda item: item[0])]


def _functions(expr: Any) -> set[type]:
    return {type(f) for f in expr.atoms(sp.Function)}


def _leaves(expr: Any) -> int:
    """Occurrences of symbols and matrices (a matrix's sizes are not counted)."""
    if isinstance(expr, (sp.Symbol, sp.MatrixSymbol)):
        return 1
    return sum(_leaves(arg) for arg in expr.args if isinstance(arg, sp.Basic))


# -- re-expressed with the givens ---------------------------------------------------------------
def _with_givens(gradient: Any, ns: Namespace, wrt: str, positive: frozenset[str],
                 best: Form) -> list[Form]:
    """The scalar gradient written with the question's scalar givens (``f (1 - f)``) when that is
    shorter: each given G becomes a symbol F, F = G is solved for the question's symbols and
    the solution substituted."""
    candidates = _given_candidates(ns, wrt, positive)
    if not candidates:
        return []
    order = [sp.Symbol(wrt, positive=True) if wrt in positive else sp.Symbol(wrt, real=True)]
    for name, symbol in ns.symbols.items():
        if symbol.is_scalar and name != wrt:
            order.append(sp.Symbol(name, positive=True) if name in positive else sp.Symbol(name, real=True))
    # All the givens at once first (softmax's f_i and f_j together); one at a time only if that
    # gave nothing, since each solve costs about 0.1 s.
    subsets = [candidates] + ([[c] for c in candidates] if len(candidates) > 1 else [])
    best_size = sp.count_ops(gradient)
    found: list[Any] = []
    for subset in subsets:
        if found:
            break
        used = set().union(*(c[1].free_symbols for c in subset))
        unknowns = [s for s in order if s in used and s in gradient.free_symbols][: len(subset)]
        if not unknowns:
            continue
        try:
            solutions = sp.solve([c[0] - c[1] for c in subset], unknowns, dict=True)
        except Exception:  # noqa: BLE001 - no solution is simply no re-expression
            continue
        for solution in solutions[:2]:
            try:
                rewritten = sp.simplify(gradient.subs(solution))
            except Exception:  # noqa: BLE001
                continue
            if rewritten.free_symbols & set(unknowns) or sp.count_ops(rewritten) >= best_size:
                continue
            found.append(rewritten)
    names = {c[0]: (c[2], c[3]) for c in candidates}
    return [f for f in _forms(found, names, _functions(gradient)) if len(f.text) <= len(best.text) * 2]


def _given_candidates(ns: Namespace, wrt: str, positive: frozenset[str]) -> list[tuple]:
    """(stand-in symbol, sympy value, answer text, LaTeX) for each scalar given and for each
    one-parameter given function applied to ``wrt``."""
    out: list[tuple] = []
    nodes: list[tuple[str, str, Node]] = []
    for name, shape in ns.given_shapes.items():
        if shape == (1, 1):
            nodes.append((name, sp.latex(sp.Symbol(name)), Given(name)))
    if ns.symbols[wrt].is_scalar:
        for name, function in ns.functions.items():
            if len(function.params) == 1:
                own = ns.canonical(function.params[0]) == wrt
                text = name if own else f"{name}({wrt})"
                nodes.append((text, f"{sp.latex(sp.Symbol(name))}\\left({sp.latex(sp.Symbol(wrt))}\\right)",
                              Apply(name, (Name(wrt),))))
    for text, latex, node in nodes:
        try:
            value = to_sympy(sympy_ready(node, ns), ns, positive)
        except Exception:  # noqa: BLE001 - a given sympy cannot represent is not offered
            continue
        if _is_matrix(value) or sp.count_ops(value) > MAX_GIVEN_OPS or not value.free_symbols:
            continue
        if any(value == c[1] for c in out):
            continue
        out.append((sp.Dummy(text), value, text, latex))
    return out[:MAX_GIVENS]


def _is_matrix(expr: Any) -> bool:
    return bool(getattr(expr, "is_Matrix", False))


def _reason(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:120]
