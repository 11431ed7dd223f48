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
from typing import Any

import sympy as sp

from ..answers import AnswerError, Namespace, infer_shape
from ..answers.nodes import DOT, MUL, Apply, BinOp, Call, Given, Neg, Node, Num, Pow, Transpose
from ..answers.sympy_bridge import to_sympy
from .budget import Deadline, TimeUp
from .givens import with_givens
from .writing import Form, forms, functions, variants

__all__ = ["Derivation", "Form", "NoClosedForm", "derive", "differentiate", "sympy_ready"]


#: Time for one question's derivation and rewrites (each rewrite at most 2 s of it): simplify
#: can run for minutes on a modest expression.
SECONDS = 8.0


class NoClosedForm(Exception):
    """sympy found no closed form the answer language can write; the message says why."""


@dataclass(frozen=True)
class Derivation:
    """Candidate forms, best first: in the question's own symbols, and with its givens."""

    plain: tuple[Form, ...]
    with_givens: tuple[Form, ...] = ()


def derive(tree: Node, ns: Namespace, wrt: str, transpose: bool,
           positive: frozenset[str] = frozenset()) -> Derivation:
    """Candidate closed forms of the gradient of scalar ``tree`` with respect to ``wrt``, in
    denominator layout (``transpose`` for numerator layout). Raises NoClosedForm."""
    def ready(node: Node) -> Any:
        return to_sympy(sympy_ready(node, ns), ns, positive)

    try:
        expr = ready(tree)
    except (AnswerError, KeyError, TypeError, ValueError, AttributeError) as err:
        raise NoClosedForm(f"sympy cannot represent it ({_reason(err)})") from None
    variable = _variable(expr, ns, wrt, positive)
    deadline = Deadline(SECONDS)
    try:
        gradient = deadline.run(differentiate, expr, variable, cap=SECONDS)
    except NoClosedForm:
        raise
    except TimeUp:
        raise NoClosedForm(f"sympy took more than {SECONDS:g} s") from None
    except Exception as err:  # noqa: BLE001 - sympy raises anything from deep inside
        raise NoClosedForm(f"sympy could not differentiate it ({_reason(err)})") from None
    familiar = functions(expr)
    plain = forms(variants(gradient, transpose, deadline), {}, familiar)
    symbols = {name: _symbol_named(expr, name, positive)
               for name, s in ns.symbols.items() if s.is_scalar}
    rewritten, names = with_givens(gradient, ns, wrt, symbols, ready, deadline)
    given = forms([v for r in rewritten for v in variants(r, transpose, deadline)], names,
                  familiar)
    if not plain and not given:
        raise NoClosedForm("sympy's result uses operations the answer language cannot write")
    return Derivation(tuple(plain), tuple(given))


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


def _symbol_named(expr: Any, name: str, positive: frozenset[str]) -> Any:
    """The scalar symbol ``name`` as the bridge made it in ``expr`` (sympy symbols with other
    assumptions are other symbols), or as it would make it when ``expr`` does not use it."""
    for symbol in expr.free_symbols:
        if isinstance(symbol, sp.Symbol) and symbol.name == name:
            return symbol
    return sp.Symbol(name, positive=True) if name in positive else sp.Symbol(name, real=True)


def _variable(expr: Any, ns: Namespace, wrt: str, positive: frozenset[str]) -> Any:
    if ns.symbols[wrt].is_scalar:
        return _symbol_named(expr, wrt, positive)
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
            inner = _derivative_of_functional(functional, variable)
            if inner == 0 or isinstance(inner, sp.ZeroMatrix):
                # It depends on the variable: a zero is sympy not knowing how, not a zero.
                raise NoClosedForm(f"sympy cannot differentiate {_name(functional)}")
            terms.append(coefficient * inner)
    terms = [t for t in terms if not (t == 0 or isinstance(t, sp.ZeroMatrix))]
    if not terms:
        if _is_matrix(variable):
            raise NoClosedForm("the gradient is zero")
        return sp.Integer(0)
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
    if isinstance(functional, sp.Determinant):
        return _derivative_of_determinant(functional, variable)
    result = functional.diff(variable)
    if result.has(sp.Derivative):
        raise NoClosedForm(f"sympy cannot differentiate {_name(functional)}")
    return result


def _name(functional: Any) -> str:
    from sympy.matrices.expressions.matexpr import MatrixElement

    names = {sp.Trace: "a trace", sp.Determinant: "a determinant",
             MatrixElement: "an entry of a matrix (from sum)"}
    return names.get(type(functional), type(functional).__name__)


def _derivative_of_determinant(functional: Any, variable: Any) -> Any:
    """Jacobi's formula, which sympy leaves unevaluated: d det(M) = det(M) tr(M⁻¹ dM), so the
    gradient is det(M) times that of tr(C M) with C = M⁻¹ held constant."""
    matrix = functional.arg
    if matrix == variable:
        return functional * sp.Inverse(variable).T
    held = sp.MatrixSymbol("_held_inverse", matrix.cols, matrix.rows)
    inner = sp.Trace(held * matrix).diff(variable)
    if inner.has(sp.Derivative):
        raise NoClosedForm("sympy cannot differentiate this determinant")
    return functional * inner.subs(held, sp.Inverse(matrix))


def _is_matrix(expr: Any) -> bool:
    return bool(getattr(expr, "is_Matrix", False))


def _reason(err: Exception) -> str:
    text = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return text[:120]
