"""Reading each question's answer from its part of a write-up.

The answer is the boxed expression if there is one (the last boxed one that reads), else the last
term of the last chain that reads as an answer for the question's kind: the kind's own ``check``
decides what reads (anything but ``invalid``), so "reads" means exactly what it means for a typed
answer. Which candidates are tried, and in what order, depends on the kind:

- expressions: the chain whose left side is the derivative the question asks for, then other
  display chains, then inline math; never a definition (``where S = …``), an equation to solve
  or a point picked (``x = 0``); names the write-up defines are substituted;
- numbers: the last term of a chain; shapes: also ``\\underbrace{…}_{n \\times 1}``,
  ``\\in \\mathbb{R}^{n \\times 1}``, ``(\\dim = …)`` and ``n x 1`` in prose; intervals: the whole
  statement (``\\alpha > 0 \\text{ and } \\alpha < 2``) or its last term; choices: a boxed or bold
  word, or the only option the prose names;
- descent iterates: for each k the last value of the last chain whose left side is ``w_k``
  (also ``w_{k}``, ``w^{(k)}``).

Answers are never chosen by comparing them with the key.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

from ..kinds.shape import split_shape
from ..verdict import INVALID
from .chains import Boxed, Chain, is_zero, last_term
from .derivatives import leading_derivative, looks_like_derivative
from .latex import plain, pretty
from .points import Evaluator
from .steps import Target, descent_text, iterate_index, meaning

#: At most this many candidate answers are tried per question (from the last one back).
MAX_CANDIDATES = 60
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__|\\textbf\s*\{([^{}]*)\}|\\emph\s*\{([^{}]*)\}")
_PROSE_SHAPE = re.compile(r"(?<![\w\\])([A-Za-z0-9]{1,3})\s*(?:x|×|\\times|by)\s*([A-Za-z0-9]{1,3})(?!\w)")
_SIZE = re.compile(r"^\s*(?:\d+|[A-Za-z](?:_\{?\w+\}?)?)(?:\s*[*+\-]?\s*(?:\d+|[A-Za-z](?:_\{?\w+\}?)?))*\s*$")
_MATRIX = re.compile(r"\\begin\s*\{\s*[pbvBV]?matrix\s*\}(.*?)\\end\s*\{\s*[pbvBV]?matrix\s*\}", re.S)


@dataclass(frozen=True)
class Found:
    """The answer read for one question: what the kind's ``check`` takes, and what to show."""

    value: Any = None
    shown: str = ""
    line: int | None = None
    problem: str = ""


@dataclass
class View:
    """One question's part: what was read there, and how to read terms for this question."""

    kind_name: str
    kind: Any
    chains: list[Chain]
    boxed: list[Boxed]
    prose: str
    evaluator: Evaluator | None
    target: Target | None
    #: The part's text, math included (for tables of iterates).
    text: str = ""
    #: Offset of the part's first character in the document (``text`` starts there).
    start: int = 0
    #: The document's line of an offset.
    line_of: Callable[[int], int] | None = None
    lines: dict[int, Chain] = field(default_factory=dict)


@dataclass(frozen=True)
class _Candidate:
    written: str
    line: int | None
    offset: int
    chain: Chain | None = None


def read_answer(view: View) -> Found:
    """The answer of one question's part (``Found.value`` is None when nothing reads)."""
    reader = READERS.get(view.kind_name, _generic)
    return reader(view)


def _readable(view: View, text: str) -> bool:
    try:
        return view.kind.check(text).status != INVALID
    except Exception:  # noqa: BLE001 - a term that breaks a kind is a term that does not read
        return False


def _first_readable(view: View, candidates: Iterable[_Candidate], substitute: bool = True,
                    transform: Callable[[str], str] = lambda t: t,
                    keep: Callable[[_Candidate], bool] | None = None) -> Found | None:
    """The last candidate that reads (candidates are in document order; at most
    ``MAX_CANDIDATES`` are tried, from the last one back; ``keep`` filters them lazily)."""
    tried = 0
    for candidate in reversed(list(candidates)):
        if tried >= MAX_CANDIDATES:
            break
        if keep is not None and not keep(candidate):
            continue
        tried += 1
        written = transform(candidate.written)
        if not written.strip():
            continue
        text, used = written, ()
        if substitute and view.evaluator is not None:
            text, used = view.evaluator.substitute(written, candidate.offset)
        if _readable(view, text):
            shown = pretty(written)
            if used:
                names = ", ".join(used)
                shown += f" (with {names} as you defined {'it' if len(used) == 1 else 'them'})"
            return Found(text, shown, candidate.line)
    return None


def _boxed(view: View) -> list[_Candidate]:
    return [_Candidate(last_term(b.text), b.line, b.offset) for b in view.boxed]


def _tail(chain: Chain) -> _Candidate:
    """The chain's last term (the one before a final ``= 0``)."""
    terms = chain.terms
    term = terms[-2] if len(terms) >= 2 and is_zero(terms[-1].text) else terms[-1]
    return _Candidate(term.text, term.line, chain.offset, chain)


def _claims(chain: Chain) -> list[_Candidate]:
    """The terms a chain claims as its result, last first: its right sides (every one equals
    the last), without a final ``= 0``; so a last term that does not read (``\\frac{e^x}{S}``
    with S undefined) gives way to the one before it."""
    terms = list(chain.terms)
    if len(terms) >= 2 and is_zero(terms[-1].text):
        terms = terms[:-1]
    leading = leading_derivative(chain)
    start = leading[0] + 1 if leading is not None else (1 if len(terms) >= 2 else 0)
    return [_Candidate(t.text, t.line, chain.offset, chain) for t in terms[start:]]


def _ordinary_tail(view: View) -> Callable[[_Candidate], bool]:
    return lambda candidate: candidate.chain is None or _ordinary(view, candidate.chain)


def _ordinary(view: View, chain: Chain) -> bool:
    """A chain whose last term may be an answer: not a definition, an equation, or a point."""
    if chain.definition or chain.equation:
        return False
    if len(chain.terms) == 1 and looks_like_derivative(chain.terms[0].text):
        return False
    if len(chain.terms) >= 2 and view.evaluator is not None:
        lhs = view.evaluator.read(chain.terms[0].text, chain.offset)
        if lhs is not None and lhs.is_assignment:
            return False
    return True


def _asks(view: View, chain: Chain) -> bool:
    """Whether the chain's left side is the derivative the question asks for."""
    leading = leading_derivative(chain) if view.target is not None and view.evaluator else None
    if leading is None:
        return False
    found = meaning(leading[1], chain.offset, view.evaluator, view.target)
    return found is not None and found.asks


def _chains_in_order(view: View) -> list[Chain]:
    """Inline chains first and display chains after them, each in document order: the last
    candidate tried first is then the last display chain."""
    inline = [c for c in view.chains if not c.display]
    display = [c for c in view.chains if c.display]
    return inline + display


# -- readers by kind -------------------------------------------------------------------------------
def _expression(view: View) -> Found:
    found = _first_readable(view, _boxed(view))
    if found is None:
        asked = [t for c in view.chains if _asks(view, c) and not c.definition for t in _claims(c)]
        found = _first_readable(view, asked)
    if found is None:
        others = [t for c in _chains_in_order(view) for t in _claims(c)]
        found = _first_readable(view, others, keep=_ordinary_tail(view))
    return found or Found(problem="no boxed answer, and no line of this part reads as an answer "
                                  "(an expression in the question's names): box your final answer "
                                  "with \\boxed{...}")


def _number(view: View) -> Found:
    found = _first_readable(view, _boxed(view))
    if found is None:
        found = _first_readable(view, [_tail(c) for c in _chains_in_order(view)],
                                keep=_ordinary_tail(view))
    return found or Found(problem="no boxed answer, and no line of this part ends in a number: "
                                  "box your final answer with \\boxed{...}")


def _shape_like(text: str) -> bool:
    parts = split_shape(text)
    return parts is not None and all(_SIZE.match(p) for p in parts)


def _shape(view: View) -> Found:
    found = _first_readable(view, [c for c in _boxed(view) if _shape_like(c.written)],
                            substitute=False)
    if found is None:
        candidates = []
        for chain in _chains_in_order(view):
            candidates += [_Candidate(a, chain.line, chain.offset) for a in chain.annotations]
            candidates += [_Candidate(t.text, t.line, chain.offset) for t in chain.terms]
        candidates = [c for c in candidates if _shape_like(c.written)]
        found = _first_readable(view, candidates, substitute=False)
    if found is None:
        matches = list(_PROSE_SHAPE.finditer(view.prose))
        candidates = [_Candidate(f"{m.group(1)} x {m.group(2)}", None, 0) for m in matches]
        found = _first_readable(view, candidates, substitute=False)
    return found or Found(problem="no shape found in this part (write it as n \\times 1, and box it)")


_CONNECTIVE = re.compile(r"\\(?:text|mathrm|textrm|mbox|quad|qquad)\s*(?:\{\s*(and|or)\s*\})?")


def _interval(view: View) -> Found:
    connectives = lambda text: _CONNECTIVE.sub(lambda m: f" {m.group(1) or ''} ", text)  # noqa: E731
    found = _first_readable(view, _boxed(view), substitute=False, transform=connectives)
    if found is None:
        candidates: list[_Candidate] = []
        for chain in _chains_in_order(view):
            if chain.definition:
                continue
            # Tried from the end: the whole row first (``\\alpha > 0 \\text{ and } \\alpha < 2``
            # is one answer), then the statement, then its last term.
            for text in (chain.last.text, chain.source, chain.row):
                if text:
                    candidates.append(_Candidate(text, chain.line, chain.offset))
        candidates = _dedupe(candidates[::-1])[::-1]
        found = _first_readable(view, candidates, substitute=False, transform=connectives)
    return found or Found(problem="no boxed answer, and no line of this part reads as an interval "
                                  "(like 0 < \\alpha < 2): box your final answer")


def _dedupe(candidates: list[_Candidate]) -> list[_Candidate]:
    seen: set[tuple[str, int]] = set()
    out = []
    for candidate in candidates:
        key = (candidate.written, candidate.offset)
        if key not in seen:
            seen.add(key)
            out.append(candidate)
    return out


def _choice(view: View) -> Found:
    found = _first_readable(view, _boxed(view), substitute=False, transform=plain)
    if found is None:
        texts = [_Candidate(t.text, t.line, c.offset) for c in _chains_in_order(view)
                 for t in c.terms if "\\text" in t.text or "\\mathrm" in t.text]
        found = _first_readable(view, texts, substitute=False, transform=plain)
    if found is None:
        bold = [_Candidate(next(g for g in m.groups() if g), None, 0) for m in _BOLD.finditer(view.prose)]
        found = _first_readable(view, bold, substitute=False, transform=plain)
    if found is None:
        found = _only_option(view)
    return found or Found(problem="no boxed or bold choice in this part, and the text names more "
                                  "than one option (or none): box or bold your choice")


def _only_option(view: View) -> Found | None:
    lookup = getattr(view.kind, "lookup", None)
    if not lookup:
        return None
    prose = " ".join(view.prose.casefold().split())
    named: dict[str, str] = {}
    for key, option in lookup.items():
        if re.search(r"(?<![\w])" + re.escape(key) + r"(?![\w])", prose):
            named.setdefault(option, key)
    if len(named) != 1:
        return None
    key = next(iter(named.values()))
    return Found(key, key, None) if _readable(view, key) else None


def _iterates(view: View) -> Found:
    question = view.kind.question
    variable, steps = question.variable, question.steps
    # (offset, k) → (value as written, line); later entries for the same k win.
    entries: dict[int, tuple[int, str, int | None]] = {}
    lines: dict[int, Chain] = {}
    rows_seen: set[tuple[int, str]] = set()
    tuple_rows: set[tuple[int, str]] = set()
    for chain in view.chains:
        row = (chain.offset, chain.row)
        if row not in rows_seen:
            rows_seen.add(row)
            for k, value in _tuple_iterates(chain.row, variable):
                tuple_rows.add(row)
                if 1 <= k <= steps:
                    entries[k] = (chain.offset, value, chain.line)
                    lines.pop(k, None)
        if len(chain.terms) < 2 or row in tuple_rows:
            continue
        k = iterate_index(chain.terms[0].text, variable)
        if k is not None and 1 <= k <= steps and chain.offset >= entries.get(k, (-1,))[0]:
            lines[k] = chain
            entries[k] = (chain.offset, chain.last.text, chain.last.line)
    for k, value, line, offset in _table_iterates(view, variable):
        if 1 <= k <= steps and offset >= entries.get(k, (-1,))[0]:
            entries[k] = (offset, value, line)
            lines.pop(k, None)
    view.lines.update(lines)
    if not entries:
        return Found(problem=f"no line of this part starts with {variable}_1, {variable}_2, ... "
                             f"(write each iterate as {variable}_k = ...)")
    last = max(entries)
    values = [_iterate_value(entries[k][1], variable) if k in entries else "" for k in range(1, last + 1)]
    shown = ", ".join(f"{variable}_{k} = {pretty(entries[k][1])}" if k in entries
                      else f"{variable}_{k} missing" for k in range(1, last + 1))
    return Found(values, shown, entries[min(entries)][2])


def _tuple_iterates(row: str, variable: str) -> list[tuple[int, str]]:
    """``w_1, w_2, w_3 = 50, 75, 87.5`` (also in brackets): the iterates it names, in order."""
    if row.count("=") != 1 or "," not in row:
        return []
    left, right = (_unbracket(side) for side in row.split("="))
    names, values = _commas(left), _commas(right)
    if len(names) < 2 or len(names) != len(values):
        return []
    ks = [iterate_index(name, variable) for name in names]
    if any(k is None for k in ks):
        return []
    return list(zip(ks, values))  # type: ignore[arg-type]


def _unbracket(text: str) -> str:
    text = text.strip()
    for left, right in (("\\left(", "\\right)"), ("(", ")"), ("\\left[", "\\right]"), ("[", "]")):
        if text.startswith(left) and text.endswith(right):
            return text[len(left):-len(right)]
    return text


def _commas(text: str) -> list[str]:
    parts, depth, current = [], 0, []
    for ch in text:
        depth += ch in "([{"
        depth -= ch in ")]}"
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    parts.append("".join(current).strip())
    return [p for p in parts if p]


_TABLE_ROW = re.compile(r"^[ \t]*\|?(.+\|.+?)\|?[ \t]*$", re.M)


def _table_iterates(view: View, variable: str) -> list[tuple[int, str, int | None, int]]:
    """Rows of a Markdown table whose header names the iterates (``| k | w_k |``), as
    (k, value, line, offset)."""
    out: list[tuple[int, str, int | None, int]] = []
    column = None
    for match in _TABLE_ROW.finditer(view.text):
        cells = [c.strip().strip("$").strip() for c in match.group(1).split("|")]
        if column is None:
            named = [i for i, c in enumerate(cells)
                     if re.match(r"^\\?" + re.escape(variable) + r"(?![A-Za-z])", c)]
            if named and named[0] > 0:
                column = named[0]
            continue
        if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
            continue
        k = re.fullmatch(r"(?:k\s*=\s*)?(\d{1,3})", cells[0]) if cells else None
        if k is None or column >= len(cells) or not cells[column]:
            continue
        offset = view.start + match.start()
        line = view.line_of(offset) if view.line_of else None
        out.append((int(k.group(1)), cells[column], line, offset))
    return out


def _iterate_value(text: str, variable: str) -> str:
    """An iterate as the kind reads it: a number, or for a vector ``[a, b]``."""
    matrix = _MATRIX.search(text)
    if matrix:
        entries = [e.strip() for row in matrix.group(1).split("\\\\") for e in row.split("&") if e.strip()]
        return "[" + ", ".join(entries) + "]"
    text = re.sub(r"\^\s*(?:\{\s*)?(?:T|\\top|\\intercal|\\mathsf\{T\})(?:\s*\})?\s*$", "", text.strip())
    return descent_text(text, variable)


def _generic(view: View) -> Found:
    found = _first_readable(view, _boxed(view))
    if found is None:
        found = _first_readable(view, [_tail(c) for c in _chains_in_order(view)],
                                keep=_ordinary_tail(view))
    return found or Found(problem="no boxed answer, and no line of this part reads as an answer: "
                                  "box your final answer with \\boxed{...}")


READERS: dict[str, Callable[[View], Found]] = {
    "expression": _expression, "matrix_expression": _expression, "number": _number,
    "shape": _shape, "interval": _interval, "choice": _choice, "gd_iterates": _iterates,
    "iterates": _iterates,
}

__all__ = ["Found", "MAX_CANDIDATES", "READERS", "View", "read_answer"]
