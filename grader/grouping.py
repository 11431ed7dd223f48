"""Grouping wrong answers by meaning, in near-linear time.

The rule is greedy first-match, in sorted-text order: an answer joins the earliest group whose
representative (its first answer) it agrees with; otherwise it starts a group. "Agrees" is the
kind's ``same_meaning``; for array signatures that is, entry by entry, ``|a − r| ≤ atol + rtol·|r|``
with r the representative (nan matches nan). That relation is neither symmetric nor transitive
at the tolerance's edge, so the order and the choice of representative matter, and any faster
method must give exactly the greedy assignment.

Comparing each answer with every group is quadratic. Instead, each representative is filed in a
grid cell by a few of its entries, after a change of scale ``g(x) = asinh(x·rtol/atol)/rtol``
under which every pair that agrees is less than ``SPAN`` apart (``_SPAN`` below is proved for
rtol < 0.5). A new answer then only needs the representatives filed in its cell and the
neighbouring ones, and takes the earliest of them that agrees: exactly what the greedy scan
would take, since any representative that agrees is among them.
"""

from __future__ import annotations

import itertools
import math
from typing import Any, Callable, Sequence

import numpy as np

#: |g(a) − g(b)| ≤ 3 whenever |a − b| ≤ atol + rtol·|b| and rtol < 0.5 (see ``_span_bound``).
_SPAN = 3.0
#: Entries of the signature used to file it (more cells to look in, fewer candidates in each).
KEY_ENTRIES = 3
#: Below this many answers the plain scan is as fast.
SMALL = 64


def greedy_groups(signatures: Sequence[Any], agree: Callable[[Any, Any], bool]) -> list[int | None]:
    """The reference rule: for each signature (None: not grouped), its group number."""
    representatives: list[Any] = []
    out: list[int | None] = []
    for signature in signatures:
        if signature is None:
            out.append(None)
            continue
        for number, representative in enumerate(representatives):
            if agree(signature, representative):
                out.append(number)
                break
        else:
            out.append(len(representatives))
            representatives.append(signature)
    return out


def fast_groups(signatures: Sequence[Any], rtol: float, atol: float,
                agree: Callable[[Any, Any], bool]) -> list[int | None]:
    """The same assignment as ``greedy_groups`` for ``agree`` = arrays within (rtol, atol), other
    values by ``==``; near-linear in the number of answers."""
    if len(signatures) < SMALL or not (0 < rtol < 0.5) or atol <= 0:
        return greedy_groups(signatures, agree)
    columns = _key_columns(signatures)
    reps_of: dict[Any, list[int]] = {}  # cell → group numbers filed there, in creation order
    exact: dict[Any, int] = {}  # hashable (non-array) signatures → group number
    representatives: list[Any] = []
    out: list[int | None] = []
    for signature in signatures:
        if signature is None:
            out.append(None)
            continue
        if not isinstance(signature, np.ndarray):
            key = (type(signature), signature)
            try:
                found = exact.get(key)
            except TypeError:  # unhashable: compare the slow way
                found = next((n for n, r in enumerate(representatives)
                              if not isinstance(r, np.ndarray) and agree(signature, r)), None)
            if found is None:
                found = len(representatives)
                representatives.append(signature)
                try:
                    exact[key] = found
                except TypeError:
                    pass
            out.append(found)
            continue
        shape = signature.shape
        flat = signature.reshape(-1)
        picked = columns.get(shape, ())
        scaled = _scale(flat[list(picked)], rtol, atol) if picked else np.zeros(0)
        home = tuple(_cell(v) for v in scaled)
        best = None
        for cell in _neighbours(home):
            for number in reps_of.get((shape, cell), ()):
                if best is not None and number >= best:
                    break  # each list is in creation order: nothing earlier follows
                if agree(signature, representatives[number]):
                    best = number
                    break
        if best is None:
            best = len(representatives)
            representatives.append(signature)
            reps_of.setdefault((shape, home), []).append(best)
        out.append(best)
    return out


def _scale(values: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    with np.errstate(all="ignore"):
        return np.arcsinh(values * (rtol / atol)) / rtol


def _cell(value: float) -> Any:
    """A grid cell of width SPAN; nan and ±inf have cells of their own."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return math.floor(value / _SPAN)


def _neighbours(home: tuple) -> list[tuple]:
    """The cells within one step of ``home`` in every filed entry (nan/inf cells match only
    themselves: nan agrees only with nan, and inf agrees with nothing)."""
    options = [(c - 1, c, c + 1) if isinstance(c, int) else (c,) for c in home]
    return [tuple(choice) for choice in itertools.product(*options)]


def _key_columns(signatures: Sequence[Any]) -> dict[tuple, tuple[int, ...]]:
    """Per signature shape, the entries to file by: those that vary most across the answers
    (deterministic: it depends only on the set of signatures)."""
    by_shape: dict[tuple, list[np.ndarray]] = {}
    for signature in signatures:
        if isinstance(signature, np.ndarray):
            by_shape.setdefault(signature.shape, []).append(signature.reshape(-1))
    columns: dict[tuple, tuple[int, ...]] = {}
    for shape, rows in by_shape.items():
        stack = np.vstack(rows) if rows else np.zeros((0, 0))
        if stack.shape[1] == 0:
            columns[shape] = ()
            continue
        with np.errstate(all="ignore"):
            finite = np.where(np.isfinite(stack), stack, 0.0)
            spread = np.nan_to_num(np.std(np.arcsinh(finite), axis=0))
        order = np.argsort(-spread, kind="stable")[:KEY_ENTRIES]
        columns[shape] = tuple(int(i) for i in sorted(order) if spread[i] > 0)
    return columns


def _span_bound(rtol: float, atol: float, b: float) -> float:
    """|g(a) − g(b)| for the farthest a that agrees with b (for the tests): at most SPAN."""
    d = atol + rtol * abs(b)
    return max(abs(_scale(np.array([b + d]), rtol, atol)[0] - _scale(np.array([b]), rtol, atol)[0]),
               abs(_scale(np.array([b - d]), rtol, atol)[0] - _scale(np.array([b]), rtol, atol)[0]))


__all__ = ["fast_groups", "greedy_groups"]
