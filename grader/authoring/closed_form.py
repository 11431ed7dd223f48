"""A verified closed form for every ``gradient_of`` question, for ``grader validate --show`` and
the solutions file.

sympy proposes (``derive``); the question's exact forward-mode reference decides. A form is shown
only when its answer-language text reads back in the question's namespace, has the reference's
shape, and agrees with the reference at every one of the question's own sample points (in its
layout) within its tolerance. A form that disagrees is never shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ..answers import AnswerError, Namespace, Node, evaluate, read, show
from ..kinds import Kind
from ..tolerance import within

__all__ = ["ClosedForm", "closed_form", "NONE_AGREED"]

NONE_AGREED = "sympy's form did not agree numerically; none shown"


@dataclass(frozen=True)
class ClosedForm:
    """What was found for one question; every form here was verified. ``text`` is in the
    question's own symbols (None when only the form with the givens agreed)."""

    question: str
    text: str | None = None
    latex: str | None = None
    #: The same gradient written with the rubric's givens, when that is shorter (also verified).
    with_givens: str | None = None
    with_givens_latex: str | None = None
    #: Why there is none, or how the form was checked.
    note: str = ""

    @property
    def found(self) -> bool:
        return self.text is not None or self.with_givens is not None


@dataclass(frozen=True)
class _Target:
    """A gradient_of question seen the same way whatever its kind."""

    tree: Node
    ns: Namespace
    wrt: str
    transpose: bool
    positive: frozenset[str]
    #: text → None when it equals the reference everywhere, else why not.
    check: Callable[[str], str | None]
    points: str


def closed_form(kind: Kind, derive: Callable | None = None) -> ClosedForm | None:
    """The verified closed form of a prepared ``gradient_of`` question; None for other questions.

    ``derive`` (for tests) replaces the symbolic step, to show that a wrong form is refused.
    """
    target = _target(kind)
    if target is None:
        return None
    question = kind.question.id
    if derive is None:
        from .derive import derive
    from .derive import NoClosedForm

    try:
        derivation = derive(target.tree, target.ns, target.wrt, target.transpose, target.positive)
    except NoClosedForm as err:
        return ClosedForm(question, note=f"none found: {err}")
    except Exception as err:  # noqa: BLE001 - a sympy failure must not stop the author's lint
        return ClosedForm(question, note=f"none found: sympy failed ({type(err).__name__})")
    plain = next((f for f in derivation.plain if target.check(f.text) is None), None)
    givens = next((f for f in derivation.with_givens if target.check(f.text) is None), None)
    if plain is None and givens is None:
        return ClosedForm(question, note=NONE_AGREED)
    return ClosedForm(question, plain.text if plain else None, plain.latex if plain else None,
                      givens.text if givens else None, givens.latex if givens else None,
                      note=f"sympy, agrees at {target.points}")


def _target(kind: Kind) -> _Target | None:
    q = kind.question
    if getattr(q, "gradient_of", None) is None or getattr(q, "wrt", None) is None:
        return None
    if hasattr(kind, "batches") and hasattr(kind, "values"):
        return _expression_target(kind)
    if hasattr(kind, "prepared_calls") and getattr(kind, "ns", None) is not None:
        return _function_target(kind)
    return None


def _expression_target(kind: Any) -> _Target:
    q = kind.question
    positive = frozenset(n for n, spec in q.symbols.items() if getattr(spec, "positive", False))
    total = sum(b.n for b in kind.batches)
    sizes = len(kind.batches)

    def check(text: str) -> str | None:
        try:
            expression = read(text, kind.ns)
        except AnswerError as err:
            return f"does not read back: {err.message}"
        if expression.shape != kind.shape:
            return f"has shape {show(expression.shape)}, not {show(kind.shape)}"
        for batch, reference in zip(kind.batches, kind.values):
            with np.errstate(all="ignore"):
                values = evaluate(expression.tree, kind.ns, batch.env, batch.sizes, batch.n)
            if not _agree(values, reference, kind.tol):
                return "disagrees with the reference"
        return None

    where = f"{total} points" + (f" at {sizes} sizes" if sizes > 1 else "")
    return _Target(kind.reference_tree, kind.ns, kind.wrt, q.layout == "numerator", positive,
                   check, where)


def _function_target(kind: Any) -> _Target:
    q = kind.question
    positive = frozenset(n for n, spec in q.args.items() if spec.positive)
    one_d = {n for n, spec in q.args.items() if spec.shape is not None and len(spec.shape) == 1}
    names = list(q.args)

    def check(text: str) -> str | None:
        try:
            expression = read(text, kind.ns)
        except AnswerError as err:
            return f"does not read back: {err.message}"
        for call in kind.prepared_calls:
            env = {}
            for name, arg in zip(names, call.args):
                array = np.asarray(arg, dtype=float)
                # As the kind reads its own reference: a 1-D argument is a column.
                env[name] = array.reshape(1, -1, 1) if name in one_d else array.reshape(1, *array.shape)
            with np.errstate(all="ignore"):
                try:
                    value = evaluate(expression.tree, kind.ns, env, call.sizes, 1)[0]
                except AnswerError as err:
                    return f"cannot be evaluated: {err.message}"
            value = np.asarray(value, dtype=float)
            if value.size != call.expected.size:
                return "has the wrong size"
            if not _agree(value.reshape(call.expected.shape), call.expected, kind.tol):
                return "disagrees with the reference"
        return None

    return _Target(kind.source.tree, kind.ns, q.wrt, False, positive, check,
                   f"{len(kind.prepared_calls)} calls")


def _agree(values: np.ndarray, reference: np.ndarray, tol: Any) -> bool:
    values = np.asarray(values, dtype=float)
    if values.shape != reference.shape:
        values = np.broadcast_to(values, reference.shape) if values.size == 1 else values
        if values.shape != reference.shape:
            return False
    with np.errstate(all="ignore"):
        ok = within(values, reference, tol.rtol, tol.atol)
    return bool(np.all(ok) and np.all(np.isfinite(values)))
