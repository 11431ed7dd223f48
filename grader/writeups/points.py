"""Terms of one question read in its namespace (with the names the write-up defines substituted)
and evaluated at its sample points; two terms compared there.

Student text goes through ``grader.answers`` only (tokenize, parse, shape, evaluate): nothing is
ever executed. A term that does not read (an unknown name, ``\\sum``, ``\\partial``, a matrix
written entry by entry) is None, and a step with such a term is skipped, never called wrong.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np

from ..answers import AnswerError, Expression, Namespace, evaluate, gradient, read, show
from ..answers.builtins import SPELLINGS
from ..answers.lexer import LATEX_FUNCTIONS, LP, NAME, tokenize
from ..answers.namespace import CONSTANTS
from ..answers.nodes import Name, Size
from ..kinds.support.symbolic import Batch, point_description, used_names
from ..tolerance import within
from .chains import Definition
from .derivatives import looks_like_derivative
from .latex import pretty

#: Longest term read (the answer language's own limit).
MAX_TERM = 2000
#: How many definitions deep a substitution goes (``v`` defined with ``u``, ``u`` with ``t``...).
MAX_DEFINITION_DEPTH = 4
_LONE_NUMBER = re.compile(r"^\s*[-−]?\s*(\d*)\.(\d+)\s*$")
#: Decorations that keep a defined name's meaning (``\\vec{v}`` is the v defined earlier).
_SAME_NAME_DECOR = ("", "vec", "bar")
#: Decorations that make another name (``\\hat{y}`` is a prediction, not y): such a name reads
#: only when the question declares it (``y_hat``) or the write-up defines it.
_OTHER_NAME_DECOR = ("hat", "tilde", "dot")
_NUMBER = re.compile(r"^\s*[-−]?\s*(?:\d+\.?\d*|\.\d+)\s*$")


@dataclass(frozen=True)
class Value:
    """A term that reads: what was read (after substitution) and its values at every batch."""

    written: str
    text: str
    expression: Expression
    values: tuple[np.ndarray, ...]
    #: Names of definitions substituted.
    substituted: tuple[str, ...] = ()

    @property
    def is_assignment(self) -> bool:
        """A lone free symbol or size (``x``, ``n``): ``x = 0`` picks a point, it is no identity."""
        return isinstance(self.expression.tree, (Name, Size))


@dataclass(frozen=True)
class Comparison:
    """Whether two terms agree: True, False, or None (no point where both are defined)."""

    holds: bool | None
    detail: str = ""
    #: The computed value of the left side, for messages about numbers (``is 57.8125``).
    left: float | None = None


@dataclass
class Evaluator:
    """Reads and evaluates terms for one question."""

    ns: Namespace
    batches: list[Batch]
    rtol: float
    atol: float
    definitions: tuple[Definition, ...] = ()
    #: The question's part, for choosing among definitions of one name.
    part: tuple[int, int] = (0, 1 << 62)
    #: Whether a plain line ``a = 2`` defines ``a`` (for numbers and iterates; in a derivation
    #: it is more often an example than a definition).
    numeric_definitions: bool = False
    _cache: dict = field(default_factory=dict, repr=False)
    _keys: dict | None = field(default=None, repr=False)
    _overrides: dict = field(default_factory=dict, repr=False)

    # -- definitions ---------------------------------------------------------------------------
    def defined(self) -> dict[str, list[Definition]]:
        """Usable definitions by the name they define (a new name, not one of the question's)."""
        if self._keys is None:
            keys: dict[str, list[Definition]] = {}
            overrides: dict[str, list[Definition]] = {}
            for definition in self.definitions:
                name = single_name(definition.name)
                if name is None or (not definition.explicit and not self.numeric_definitions
                                    and _NUMBER.match(definition.value)):
                    continue
                key = _key(*name)
                if key is None:
                    continue
                if self._may_define(key):
                    keys.setdefault(key, []).append(definition)
                elif self.ns.canonical(key) in self.ns.symbols and not _NUMBER.match(definition.value):
                    # `let s = \sum_j e^{x_j}` where the question's s means something else.
                    # (`x = 0` picks a point: it redefines nothing.)
                    overrides.setdefault(self.ns.canonical(key), []).append(definition)
            self._keys, self._overrides = keys, overrides
        return self._keys

    def _may_define(self, name: str) -> bool:
        if "^" in name:  # \hat{y}: definable unless the question declares y_hat
            base, decor = name.split("^")
            return not self.ns.declares(f"{base}_{decor}")
        return not (self.ns.declares(name) or name in SPELLINGS or name in ("pi", "inf")
                    or name in LATEX_FUNCTIONS or name in self.ns.dims)

    def definition_for(self, name: str, offset: int, symbols: bool = False) -> Definition | None:
        """The definition of ``name`` that a term at ``offset`` uses: the last one before it, or
        else the first one after it within the part (``… = v x, where v = …``). With
        ``symbols``, also a definition the write-up gives to one of the question's symbols."""
        options = self.defined().get(name, [])
        start, end = self.part
        if not options and symbols:
            # A line `s = …` redefines a symbol within its part only; `let s = …` from there on.
            options = [d for d in self._overrides.get(self.ns.canonical(name), [])
                       if d.explicit or start <= d.offset < end]
        if not options:
            return None
        if name in CONSTANTS:
            # `let e = W x + b - y` renames Euler's number only within that question's part.
            options = [d for d in options if start <= d.offset < end]
            if not options:
                return None
        offsets = [d.offset for d in options] if len(options) < 8 or symbols else self._offsets(name, options)
        index = bisect.bisect_right(offsets, offset)
        if index:
            return options[index - 1]
        return options[0] if offset < options[0].offset < end else None

    def _offsets(self, name: str, options: list[Definition]) -> list[int]:
        key = ("offsets", name, len(options), id(options))
        if key not in self._cache:
            self._cache[key] = [d.offset for d in options]
        return self._cache[key]

    def substitute(self, text: str, offset: int, depth: int = 0,
                   exclude: frozenset[str] = frozenset(),
                   symbols: bool = False) -> tuple[str, tuple[str, ...]]:
        """``text`` with each name the write-up defines replaced by its value in brackets. With
        ``symbols`` (for steps, never for answers), a symbol of the question that the write-up
        explicitly defines (``let s = …``) takes the write-up's meaning too."""
        if not (self.defined() or (symbols and self._overrides)) or depth > MAX_DEFINITION_DEPTH:
            return text, ()
        try:
            tokens = tokenize(text)
        except AnswerError:
            return text, ()
        pieces, at, used = [], 0, []
        for index, token in enumerate(tokens):
            key = _key(token.value, token.decor) if token.kind == NAME else None
            if key is None or key in exclude:
                continue
            nxt = tokens[index + 1] if index + 1 < len(tokens) else None
            if nxt is not None and nxt.kind == LP and nxt.value == "(" and nxt.start == token.end:
                continue  # v(x) is a call of something, not the value v
            definition = self.definition_for(key, offset, symbols)
            if definition is None:
                continue
            value, inner = self.substitute(definition.value, definition.offset, depth + 1,
                                           exclude | {key}, symbols)
            pieces += [text[at:token.start], "(", value, ")"]
            at = token.end
            used += [pretty(definition.name), *inner]
        if not used:
            return text, ()
        pieces.append(text[at:])
        return "".join(pieces), tuple(dict.fromkeys(used))

    # -- reading -------------------------------------------------------------------------------
    def read(self, written: str, offset: int) -> Value | None:
        """The term read and evaluated, or None when it does not read."""
        if not written or len(written) > MAX_TERM or looks_like_derivative(written):
            return None
        text, used = self.substitute(written, offset, symbols=True)
        key = text
        if key in self._cache:
            cached = self._cache[key]
            return None if cached is None else Value(written, text, cached.expression,
                                                     cached.values, used)
        value = None
        if _bare_e(text, self.ns) or self._other_name(text):
            self._cache[key] = None
            return None
        try:
            expression = read(text, self.ns)
            with np.errstate(all="ignore"):
                values = tuple(evaluate(expression.tree, self.ns, b.env, b.sizes, b.n)
                               for b in self.batches)
            value = Value(written, text, expression, values, used)
        except (AnswerError, RecursionError, KeyError, IndexError, ValueError, TypeError,
                ArithmeticError, AttributeError):
            value = None
        self._cache[key] = value
        return value

    def _other_name(self, text: str) -> bool:
        """A name such as ``\\hat{y}`` that the question does not declare (``y_hat``)."""
        if "\\" not in text:
            return False
        try:
            tokens = tokenize(text)
        except AnswerError:
            return False
        return any(t.kind == NAME and t.decor in _OTHER_NAME_DECOR
                   and not self.ns.declares(f"{t.value}_{t.decor}") for t in tokens)

    def gradient_of(self, value: Value, wrt: str, transpose: bool) -> tuple[np.ndarray, ...] | None:
        """The exact gradient of a scalar term with respect to symbol ``wrt`` at every batch."""
        if not value.expression.is_scalar or wrt not in self.ns.symbols:
            return None
        out = []
        try:
            for b in self.batches:
                clean = {k: v for k, v in b.env.items() if k not in self.ns.givens}
                grad = gradient(value.expression.tree, self.ns, clean, b.sizes, b.n, wrt)
                out.append(grad.swapaxes(1, 2) if transpose and grad.ndim == 3 else grad)
        except (AnswerError, RecursionError, KeyError, ValueError, TypeError, ArithmeticError):
            return None
        return tuple(out)

    # -- comparing -----------------------------------------------------------------------------
    def compare(self, left: Value, right: Value) -> Comparison:
        """Whether ``left = right`` holds at the sample points (a lone decimal number on either
        side stands for any value that rounds to it)."""
        atol = self.atol + max(_rounding(left.written), _rounding(right.written))
        return self.agree(left.values, right.values, left.expression.shape,
                          right.expression.shape, atol, left, right)

    def agree(self, a: tuple[np.ndarray, ...], b: tuple[np.ndarray, ...], shape_a, shape_b,
              atol: float | None = None, left: Value | None = None,
              right: Value | None = None) -> Comparison:
        atol = self.atol if atol is None else atol
        if shape_a != shape_b:
            if tuple(reversed(shape_a)) == tuple(shape_b):
                swapped = tuple(v.swapaxes(1, 2) if v.ndim == 3 else v for v in a)
                result = self.agree(swapped, b, shape_b, shape_b, atol, left, right)
                # The same values in the other layout: a change of convention, not a wrong step.
                if result.holds is not False:
                    return result
            return Comparison(False, f"one side has shape {show(shape_a)} and the other "
                                     f"{show(shape_b)}")
        compared = 0
        for index, (x, y) in enumerate(zip(a, b)):
            try:
                x, y = np.broadcast_arrays(np.asarray(x, float), np.asarray(y, float))
            except ValueError:
                return Comparison(None)
            flat_x, flat_y = x.reshape(len(x), -1), y.reshape(len(y), -1)
            finite = np.isfinite(flat_x).all(axis=1) & np.isfinite(flat_y).all(axis=1)
            compared += int(finite.sum())
            close = within(flat_x, flat_y, self.rtol, atol).all(axis=1)
            bad = np.flatnonzero(finite & ~close)
            if len(bad):
                point = int(bad[0])
                return Comparison(False, self._where(index, point, left, right),
                                  float(flat_x[point, 0]) if flat_x.shape[1] == 1 else None)
        if compared == 0:
            return Comparison(None)
        first = a[0].reshape(len(a[0]), -1) if len(a) else None
        value = float(first[0, 0]) if first is not None and first.size and first.shape[1] == 1 else None
        return Comparison(True, "", value)

    def _where(self, batch: int, point: int, left: Value | None, right: Value | None) -> str:
        names: list[str] = []
        for value in (left, right):
            if value is not None:
                names += used_names(value.expression.tree)
        place = point_description(self.batches[batch], point, self.ns, list(dict.fromkeys(names)))
        return f"at {place}" if place else ""


def single_name(text: str) -> tuple[str, str] | None:
    """(name, decoration) when ``text`` is one name of the answer language."""
    try:
        tokens = tokenize(text)
    except AnswerError:
        return None
    if len(tokens) != 2 or tokens[0].kind != NAME:
        return None
    return tokens[0].value, tokens[0].decor


def _key(name: str, decor: str) -> str | None:
    """How a written name is known among definitions: ``v`` (also ``\\vec{v}``), ``y^hat``."""
    if decor in _SAME_NAME_DECOR:
        return name
    return f"{name}^{decor}" if decor in _OTHER_NAME_DECOR else None


def _bare_e(text: str, ns: Namespace) -> bool:
    """Whether ``e`` stands alone (``2 e x^T``): written by a student, that is a name of theirs
    (an error vector), not Euler's number, which comes with an exponent (``e^{-x}``)."""
    if ns.declares("e") or "e" not in text:
        return False
    try:
        tokens = tokenize(text)
    except AnswerError:
        return False
    return any(t.kind == NAME and t.value == "e" and not t.latex and
               (i + 1 >= len(tokens) or tokens[i + 1].value != "^") for i, t in enumerate(tokens))


def _rounding(text: str) -> float:
    """Half a unit in the last place of a lone decimal number (``57.81`` → 0.005), else 0."""
    match = _LONE_NUMBER.match(text)
    return 0.5 * 10.0 ** -len(match.group(2)) if match else 0.0


def scalar_batch(env: Mapping[str, float]) -> Batch:
    """One sample point holding the given scalar values (descent lines, numbers, parameters)."""
    return Batch({}, {name: np.array([float(v)]) for name, v in env.items()}, 1)


__all__ = ["Comparison", "Evaluator", "Value", "scalar_batch", "single_name"]
