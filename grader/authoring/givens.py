"""A closed form re-expressed with the question's givens: ``f (1 - f)`` for the sigmoid,
``f_i (1 - f_i)`` for softmax, ``(p - y) x`` for logistic regression with ``p`` given.

Each scalar given G becomes a stand-in symbol F; ``F = G`` is solved for the question's symbols
(and for the 1 x 1 products such as ``w^T x`` that the givens are made of), and the solution is
substituted into the gradient. A result is offered only when the solved-for symbols are gone and
it is smaller; like every closed form, it is checked numerically before it is shown.
"""

from __future__ import annotations

from typing import Any

import sympy as sp

from ..answers import Namespace
from ..answers.nodes import Apply, Given, Name, Node
from .budget import Deadline, TimeUp
from .writing import simplify_scalars

__all__ = ["Placeholder", "with_givens"]

#: Givens tried at once, and the size of a given's expression beyond which solving for it is not
#: attempted (sympy's solve can take very long on a big one).
MAX_GIVENS = 4
MAX_GIVEN_OPS = 40
#: Solutions of one system tried (a quadratic given has two branches; the check picks).
MAX_SOLUTIONS = 2

#: (stand-in symbol, sympy value, answer text, LaTeX) of one given.
Placeholder = tuple[Any, Any, str, str]


def with_givens(gradient: Any, ns: Namespace, wrt: str, symbols: dict[str, Any],
                ready: Any, deadline: Deadline) -> tuple[list[Any], dict[Any, tuple[str, str]]]:
    """Rewritten gradients (in the stand-ins) and the stand-ins' spellings (text, LaTeX).

    ``symbols`` are the question's scalar sympy symbols by name; ``ready(node)`` is the node as
    a sympy expression, made the same way as the gradient's.
    """
    candidates = _candidates(ns, wrt, ready)
    if not candidates:
        return [], {}
    # The 1 x 1 products and other scalar functionals of matrices the givens use become
    # symbols too, so that `p = sigmoid(w^T x)` can be solved for w^T x.
    functionals: list[Any] = []
    for expr in [gradient] + [c[1] for c in candidates]:
        _scalar_functionals(expr, functionals)
    stand_ins = {f: sp.Dummy(f"u{index}") for index, f in enumerate(functionals)}
    flat = gradient.xreplace(stand_ins)
    values = [c[1].xreplace(stand_ins) for c in candidates]
    order = [symbols[wrt]] if wrt in symbols else []
    order += list(stand_ins.values()) + [s for n, s in symbols.items() if n != wrt]
    back = {v: k for k, v in stand_ins.items()}
    found: list[Any] = []
    # All the givens at once first (softmax's f_i and f_j together); one at a time only if that
    # gave nothing, since each solve costs about 0.1 s.
    subsets = [list(range(len(candidates)))]
    if len(candidates) > 1:
        subsets += [[i] for i in range(len(candidates))]
    size = sp.count_ops(flat)
    for subset in subsets:
        if found:
            break
        used = set().union(*(values[i].free_symbols for i in subset))
        unknowns = [s for s in order if s in used and flat.has(s)][: len(subset)]
        if not unknowns:
            continue
        equations = [candidates[i][0] - values[i] for i in subset]
        try:
            solutions = deadline.run(lambda: sp.solve(equations, unknowns, dict=True))
        except (Exception, TimeUp):  # noqa: BLE001 - no solution is simply no re-expression
            continue
        for solution in solutions[:MAX_SOLUTIONS]:
            try:
                rewritten = deadline.run(simplify_scalars, flat.subs(solution))
            except (Exception, TimeUp):  # noqa: BLE001
                continue
            if rewritten.has(*unknowns) or sp.count_ops(rewritten) >= size:
                continue
            found.append(rewritten.xreplace(back))
    names = {c[0]: (c[2], c[3]) for c in candidates}
    return found, names


def _candidates(ns: Namespace, wrt: str, ready: Any) -> list[Placeholder]:
    """Each scalar given, and each one-parameter given function applied to a scalar ``wrt``."""
    nodes: list[tuple[str, str, Node]] = []
    for name, shape in ns.given_shapes.items():
        if shape == (1, 1):
            nodes.append((name, sp.latex(sp.Symbol(name)), Given(name)))
    if ns.symbols[wrt].is_scalar:
        for name, function in ns.functions.items():
            if len(function.params) == 1:
                own = ns.canonical(function.params[0]) == wrt
                text = name if own else f"{name}({wrt})"
                latex = rf"{sp.latex(sp.Symbol(name))}\left({sp.latex(sp.Symbol(wrt))}\right)"
                nodes.append((text, latex, Apply(name, (Name(wrt),))))
    out: list[Placeholder] = []
    for text, latex, node in nodes:
        try:
            value = ready(node)
        except Exception:  # noqa: BLE001 - a given sympy cannot represent is not offered
            continue
        if getattr(value, "is_Matrix", False) or not value.free_symbols:
            continue
        if sp.count_ops(value) > MAX_GIVEN_OPS or any(value == c[1] for c in out):
            continue
        out.append((sp.Dummy(text), value, text, latex))
    return out[:MAX_GIVENS]


def _scalar_functionals(expr: Any, found: list[Any]) -> None:
    """Scalar subexpressions that take a matrix argument (``tr(w^T x)``, ``det(X)``), outermost."""
    if not getattr(expr, "is_Matrix", False) and any(getattr(a, "is_Matrix", False) for a in expr.args):
        if expr not in found:
            found.append(expr)
        return
    for arg in expr.args:
        if isinstance(arg, sp.Basic):
            _scalar_functionals(arg, found)

