r"""Each question's part of a write-up.

A template marker (``<!-- q1.sigmoid -->`` in Markdown; ``% q1.sigmoid`` or
``\\begin{answer}{q1.sigmoid}`` in LaTeX) starts a question's part wherever it is. Otherwise the
rubric's ``locate:`` says where: a regular expression, or a list matched one after the other,
searched in document order after the previous located question's start; the part starts at the
last match. A part ends where the next located part starts (in document order), at the end of
an answer environment, or earlier at the question's ``until:``. Patterns are matched ignoring
case, with ``^`` and ``$`` at line ends, in the prose first (so that ``\(b\)`` does not match
``f(b)`` in a formula) and in the math only when the prose has no match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable

from .extract import Document

FLAGS = re.IGNORECASE | re.MULTILINE


@dataclass(frozen=True)
class Part:
    """Where one question's answer is: [start, end) offsets of the document."""

    question: str
    start: int
    end: int
    line: int
    #: How it was found: ``marker <!-- q1.sigmoid -->`` or ``locate `Q\\.?\\s*4```.
    how: str


def patterns(question) -> list[str]:
    """The question's ``locate:`` as a list (empty when it has none)."""
    locate = getattr(question, "locate", None)
    if locate is None:
        return []
    return [locate] if isinstance(locate, str) else list(locate)


def marker_example(kind: str, question_id: str) -> str:
    return f"<!-- {question_id} -->" if kind == "md" else f"% {question_id}"


def locate_parts(doc: Document, questions: Iterable) -> tuple[dict[str, Part], dict[str, str]]:
    """Parts of the located questions, and for the others the sentence saying why not."""
    questions = list(questions)
    starts: dict[str, tuple[int, int, str, int | None]] = {}  # id → (start, search end, how, fixed end)
    problems: dict[str, str] = {}
    previous: tuple[str, int] | None = None
    text = doc.text
    for question in questions:
        qid = question.id
        marker = doc.markers.get(qid)
        if marker is not None:
            starts[qid] = (marker.start, marker.start, f"marker {marker.written}", marker.end)
            previous = (qid, marker.start)
            continue
        wanted = patterns(question)
        if not wanted:
            problems[qid] = (f"the rubric gives no `locate:` for {qid} and the write-up has no "
                             f"marker `{marker_example(doc.kind, qid)}`")
            continue
        at = previous[1] + 1 if previous else 0
        where = (f"after the start of {previous[0]} (line {doc.line_of(previous[1])})"
                 if previous else "in the write-up")
        match = None
        for index, pattern in enumerate(wanted):
            match = _search(doc, re.compile(pattern, FLAGS), min(at, len(text)))
            if match is None:
                label = "locate" if len(wanted) == 1 else f"locate[{index}]"
                problems[qid] = f"could not find this question's part: `{pattern}` ({label}) found nothing {where}"
                break
            at = match.end() if match.end() > match.start() else match.end() + 1
            where = f"after `{match.group()[:40]}` (line {doc.line_of(match.start())})"
        if match is None:
            continue
        shown = wanted[-1]
        starts[qid] = (match.start(), match.end(), f"locate `{shown}`", None)
        previous = (qid, match.start())
    ordered = sorted({start for start, _, _, _ in starts.values()})
    parts: dict[str, Part] = {}
    by_id = {q.id: q for q in questions}
    for qid, (start, search_from, how, fixed_end) in starts.items():
        later = [s for s in ordered if s > start]
        end = later[0] if later else len(text)
        if fixed_end is not None:
            end = min(end, fixed_end)
        until = getattr(by_id[qid], "until", None)
        if until:
            stop = _search(doc, re.compile(until, FLAGS), search_from, end)
            if stop is not None:
                end = stop.start()
        parts[qid] = Part(qid, start, end, doc.line_of(start), how)
    return parts, problems


def _search(doc: Document, pattern: re.Pattern, start: int, end: int | None = None) -> re.Match | None:
    """The first match in the prose (outside math, where headings are), else in the math too."""
    end = len(doc.text) if end is None else end
    return pattern.search(doc.prose_text, start, end) or pattern.search(doc.text, start, end)


__all__ = ["FLAGS", "Part", "locate_parts", "marker_example", "patterns"]
