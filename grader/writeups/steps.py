"""Checking a derivation step by step.

Every pair of neighbouring terms of a chain that both read is compared at the question's sample
points (``points.Evaluator``). A chain whose left side is the derivative the question asks for
has its first right side that reads compared with the reference, by the kind's own ``check``
(so its feedback, such as a rubric mistake's, is what the student reads). Descent lines
(``w_3 = 43.75 - (0.25)(-56.25) = 60``) are re-evaluated exactly.

What is never called wrong: a step with a term that does not read or uses a name tied to
nothing, a step into ``0`` (setting something to zero), an equation to solve, ``x = 0`` (picking a
point), a change of layout (the same values transposed), ``\\approx``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..answers import Namespace, Symbol
from ..answers.builtins import SPELLINGS
from ..answers.lexer import LATEX_FUNCTIONS
from ..verdict import CORRECT
from .chains import Chain, is_zero, name_like
from .derivatives import Derivative, leading_derivative
from .latex import pretty
from .points import Comparison, Evaluator, Value, scalar_batch, single_name

#: At most this many steps are checked per question; the rest are counted as skipped.
MAX_STEPS = 300


@dataclass
class StepTally:
    """What checking found: counts and the first step that does not hold."""

    checked: int = 0
    skipped: int = 0
    first_wrong: str | None = None
    line: int | None = None
    notes: list[str] | None = None

    def wrong(self, message: str, line: int) -> None:
        if self.first_wrong is None:
            self.first_wrong, self.line = message, line

    @property
    def full(self) -> bool:
        return self.checked + self.skipped >= MAX_STEPS


@dataclass(frozen=True)
class Target:
    """The derivative a question asks for: with respect to which symbol, and how to judge it."""

    wrt: str
    kind: Any
    reference: tuple[np.ndarray, ...] | None
    transpose: bool


def target_of(kind: Any) -> Target | None:
    """The derivative an expression question asks for, if the question says: its ``wrt``, or
    the only symbol it declares."""
    ns = getattr(kind, "ns", None)
    if ns is None or not hasattr(kind, "values"):
        return None
    wrt = getattr(kind, "wrt", None)
    if wrt is None:
        symbols = [name for name in ns.symbols]
        wrt = symbols[0] if len(symbols) == 1 else None
    if wrt is None:
        return None
    layout = getattr(kind.question, "layout", "denominator")
    return Target(wrt, kind, tuple(kind.values), layout == "numerator")


# -- expression chains ---------------------------------------------------------------------------
def check_chains(chains: list[Chain], evaluator: Evaluator, target: Target | None) -> StepTally:
    """Check every chain of a question's part; the first wrong step, in document order, wins."""
    tally = StepTally()
    for chain in chains:
        if tally.full:
            tally.skipped += max(0, len(chain.terms) - 1)
            continue
        _check_chain(chain, evaluator, target, tally)
    return tally


def _check_chain(chain: Chain, evaluator: Evaluator, target: Target | None, tally: StepTally) -> None:
    terms = chain.terms
    if len(terms) < 2:
        return
    leading = leading_derivative(chain)
    first = leading[0] + 1 if leading is not None else (1 if name_like(terms[0].text) else 0)
    if chain.equation and leading is None:
        tally.skipped += len(terms) - 1 - first
        return
    wrong_before = tally.first_wrong
    derivative_wrong = False
    if leading is not None:
        derivative_wrong = _check_derivative(chain, leading[0], leading[1], evaluator, target, tally)
    later_ok, later_checked = True, 0
    b = evaluator.read(terms[first].text, chain.offset) if first < len(terms) else None
    for i in range(first, len(terms) - 1):
        if tally.full:
            tally.skipped += len(terms) - 1 - i
            break
        a, b = b, evaluator.read(terms[i + 1].text, chain.offset)
        if is_zero(terms[i + 1].text) and not is_zero(terms[i].text):
            continue  # `... = 0`: setting it to zero, not a claim that it is zero
        if a is None or b is None or a.is_assignment or b.is_assignment:
            tally.skipped += 1
            continue
        result = evaluator.compare(a, b)
        if result.holds is None:
            tally.skipped += 1
            continue
        tally.checked += 1
        later_checked += 1
        if result.holds is False:
            later_ok = False
            tally.wrong(_step_message(terms[i + 1].line, a, b, result), terms[i + 1].line)
    if derivative_wrong and tally.first_wrong is not None and tally.first_wrong is not wrong_before \
            and later_ok and later_checked:
        tally.first_wrong += "; the lines after it follow from it"


def _step_message(line: int, a: Value, b: Value, result: Comparison) -> str:
    left, right = pretty(a.written), pretty(b.written)
    if _is_number(a) and _is_number(b) and result.left is not None:
        return f"{left} is {_number(result.left)}, not {right} (line {line})"
    where = f" {result.detail}" if result.detail.startswith("at ") else \
        (f": {result.detail}" if result.detail else "")
    return f"{left} = {right} does not hold{where} (line {line})"


def _is_number(value: Value) -> bool:
    return not re.search(r"[A-Za-z]", re.sub(r"\\(?:times|cdot|frac|dfrac|left|right|div)", "", value.text))


@dataclass(frozen=True)
class Meaning:
    """What a written derivative is: with respect to which symbol, its exact values when the
    differentiated function reads, and whether it is the derivative the question asks for."""

    wrt: str
    computed: tuple[np.ndarray, ...] | None
    asks: bool


def meaning(written: Derivative, offset: int, evaluator: Evaluator,
            target: Target | None) -> Meaning | None:
    """None when the derivative cannot be tied to the question (another variable, a function
    that does not read and is not a plain name of the loss)."""
    ns = evaluator.ns
    wrt = _resolve(written.wrt, ns) if written.wrt is not None else (target.wrt if target else None)
    if wrt is None or wrt not in ns.symbols:
        return None
    what = written.of if written.of is not None else written.operand
    function = evaluator.read(_strip_brackets(what), offset) if what else None
    computed = evaluator.gradient_of(function, wrt, bool(target and target.transpose)) if function else None
    asks = target is not None and wrt == target.wrt
    if computed is not None:
        if asks and target.reference is not None:
            shape = target.kind.shape
            asks = evaluator.agree(computed, target.reference, shape, shape).holds is True
        return Meaning(wrt, computed, asks)
    # Not computable: `L`, `f`, `J`, a name of the function the question differentiates.
    if asks and written.of is not None and _plain_name(written.of, ns):
        return Meaning(wrt, None, True)
    return None


def _check_derivative(chain: Chain, at: int, written: Derivative, evaluator: Evaluator,
                      target: Target | None, tally: StepTally) -> bool:
    """Compare the first right side that reads with the derivative the left side writes;
    True when it is wrong."""
    ns = evaluator.ns
    found = meaning(written, chain.offset, evaluator, target)
    if found is None:
        return False
    wrt, computed, asks = found.wrt, found.computed, found.asks
    gradient_shape = ns.symbols[wrt].shape
    if target is not None and target.transpose:
        gradient_shape = (gradient_shape[1], gradient_shape[0])
    lhs = pretty(chain.terms[at].text)
    for index, term in enumerate(chain.terms[at + 1:], start=1):
        value = evaluator.read(term.text, chain.offset)
        if value is None or is_zero(term.text):
            continue
        which = "the first line after differentiating" if index == 1 else "the first line that can be read"
        if asks:
            outcome = target.kind.check(value.text)
            tally.checked += 1
            if outcome.status == CORRECT:
                return False
            feedback = (outcome.feedback or "").splitlines()[0] if outcome.feedback else ""
            tally.wrong(f"{which} (line {term.line}), {pretty(term.text)}, is not {lhs}"
                        + (f": {feedback}" if feedback else ""), term.line)
            return True
        result = evaluator.agree(value.values, computed, value.expression.shape, gradient_shape)
        if result.holds is None:
            tally.skipped += 1
            return False
        tally.checked += 1
        if result.holds:
            return False
        where = f" ({result.detail})" if result.detail else ""
        tally.wrong(f"{which} (line {term.line}), {pretty(term.text)}, is not {lhs}{where}", term.line)
        return True
    tally.skipped += 1
    return False


def _resolve(text: str, ns: Namespace) -> str | None:
    name = single_name(_strip_brackets(text))
    return ns.canonical(name[0]) if name else None


def _plain_name(text: str, ns: Namespace) -> bool:
    """``L``, ``f``, ``\\mathcal{L}``, ``J``, ``\\ell``: a bare name with no subscript, not one
    of the question's symbols or sizes, nor a built-in function it does not declare (``\\sigma``
    in a softplus question is the sigmoid, not the softplus)."""
    name = single_name(text)
    if name is None or "_" in name[0]:
        return False
    canonical = ns.canonical(name[0])
    if canonical in ns.symbols or canonical in ns.dims:
        return False
    return ns.declares(canonical) or not (canonical in SPELLINGS or canonical in LATEX_FUNCTIONS)


def _strip_brackets(text: str) -> str:
    text = text.strip()
    for left, right in (("\\left(", "\\right)"), ("(", ")"), ("\\left[", "\\right]"), ("[", "]"), ("{", "}")):
        if text.startswith(left) and text.endswith(right):
            return text[len(left):-len(right)]
    return text


# -- descent lines ------------------------------------------------------------------------------
def iterate_index(text: str, variable: str) -> int | None:
    """k when ``text`` names the k-th iterate of ``variable``: ``w_3``, ``w_{3}``, ``w^{(3)}``,
    ``\\mathbf{w}_3``, ``\\theta^{3}``."""
    name = re.escape(variable)
    pattern = (r"^\s*(?:\\(?:bar|vec|mathbf|boldsymbol|bm|hat|mathrm|mathit)\s*\{\s*)?\\?" + name
               + r"\s*\}?\s*(?:_\s*\{?\s*(\d{1,3})\s*\}?|\^\s*\{\s*\(?\s*(\d{1,3})\s*\)?\s*\}|\^\s*\(\s*(\d{1,3})\s*\))\s*$")
    match = re.match(pattern, text)
    if not match:
        return None
    return int(next(g for g in match.groups() if g is not None))


def descent_text(text: str, variable: str) -> str:
    """``w^{(2)}`` written as ``w_{2}`` so that the answer language reads it as a name."""
    name = re.escape(variable)
    return re.sub(r"(\\?" + name + r")\s*\^\s*\{\s*\(\s*(\d{1,3})\s*\)\s*\}|(\\?" + name + r")\s*\^\s*\(\s*(\d{1,3})\s*\)",
                  lambda m: f"{m.group(1) or m.group(3)}_{{{m.group(2) or m.group(4)}}}", text)


def check_descent(lines: dict[int, Chain], kind: Any) -> tuple[StepTally, dict[int, float]]:
    """Re-evaluate each ``w_k`` line's arithmetic exactly, with ``alpha``, the loss's scalar
    parameters and the student's own earlier iterates as known names. Vector iterates are not
    re-evaluated (their steps are counted as skipped)."""
    tally = StepTally()
    question = kind.question
    variable = question.variable
    known: dict[str, float] = {}
    for name, value in (("alpha", getattr(kind, "alpha", None)),):
        if value is not None:
            known[name] = float(value)
    for name, value in (getattr(question, "params", {}) or {}).items():
        try:
            known[name] = float(value)
        except (TypeError, ValueError):
            continue
    scalar = bool(getattr(kind.descent, "is_scalar", False))
    if scalar:
        known[f"{variable}_0"] = float(np.asarray(kind.start).reshape(-1)[0])
    own: dict[int, float] = {}
    for k in sorted(lines):
        chain = lines[k]
        terms = chain.terms[1:]
        if not scalar or len(terms) == 0:
            tally.skipped += max(0, len(terms) - 1)
            continue
        ns = Namespace(symbols={name: Symbol(name) for name in known})
        evaluator = Evaluator(ns, [scalar_batch(known)], rtol=1e-9, atol=1e-12)
        read = lambda term: evaluator.read(descent_text(term.text, variable), chain.offset)  # noqa: E731
        b = read(terms[0])
        for i in range(len(terms) - 1):
            if tally.full:
                tally.skipped += len(terms) - 1 - i
                break
            term_a, term_b = terms[i], terms[i + 1]
            a, b = b, read(term_b)
            if a is None or b is None:
                tally.skipped += 1
                continue
            result = evaluator.compare(a, b)
            if result.holds is None:
                tally.skipped += 1
                continue
            tally.checked += 1
            if result.holds is False:
                shown = _number(result.left) if result.left is not None else "something else"
                tally.wrong(f"in your {variable}_{k} line, {pretty(term_a.text)} is {shown}, not "
                            f"{pretty(term_b.text)} (line {term_b.line})", term_b.line)
        last = read(terms[-1])
        if last is not None and last.expression.is_scalar:
            value = float(np.asarray(last.values[0]).reshape(-1)[0])
            if np.isfinite(value):
                own[k] = value
                known[f"{variable}_{k}"] = value
    return tally, own


def _number(value: float) -> str:
    text = f"{value:.10g}"
    return text.replace("-", "−")


__all__ = ["MAX_STEPS", "Meaning", "StepTally", "Target", "meaning", "check_chains", "check_descent", "descent_text",
           "iterate_index", "target_of"]
