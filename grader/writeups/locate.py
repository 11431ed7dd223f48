r"""Each question's part of a write-up.

A template marker (``<!-- q1.sigmoid -->`` in Markdown; ``% q1.sigmoid`` or
``\\begin{answer}{q1.sigmoid}`` in LaTeX) starts a question's part wherever it is. Otherwise the
rubric's ``locate:`` says where: a regular expression, searched after the previous located
question's start; or a list matched one after the other: its first pattern finds the section
(``Question 2``) and the others are searched in order inside that section (up to the next
section, found by another list's first pattern), the last one after the previous located
question's start. The part starts at the last match.

A part ends where the next located part starts (in document order), at the end of an answer
environment, or earlier at the question's ``until:``. Patterns are matched ignoring case, with
``^`` and ``$`` at line ends, in the prose first (so that ``\(b\)`` does not match ``f(b)`` in a
formula) and in the math only when the prose has no match.
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
    heads = sorted({patterns(q)[0] for q in questions if len(patterns(q)) > 1})
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
        found = (_single(doc, wanted[0], previous) if len(wanted) == 1
                 else _in_section(doc, wanted, previous, heads))
        if isinstance(found, str):
            problems[qid] = f"could not find this question's part: {found}"
            continue
        starts[qid] = (found.start(), found.end(), f"locate `{wanted[-1]}`", None)
        previous = (qid, found.start())
    ordered = sorted({start for start, _, _, _ in starts.values()})
    parts: dict[str, Part] = {}
    by_id = {q.id: q for q in questions}
    for qid, (start, search_from, how, fixed_end) in starts.items():
        later = [s for s in ordered if s > start]
        end = later[0] if later else len(doc.text)
        if fixed_end is not None:
            end = min(end, fixed_end)
        until = getattr(by_id[qid], "until", None)
        if until:
            stop = _search(doc, re.compile(until, FLAGS), search_from, end)
            if stop is not None:
                end = stop.start()
        parts[qid] = Part(qid, start, end, doc.line_of(start), how)
    return parts, problems


def _single(doc: Document, pattern: str, previous: tuple[str, int] | None) -> re.Match | str:
    """One pattern, searched after the previous located question's start."""
    at = previous[1] + 1 if previous else 0
    match = _search(doc, re.compile(pattern, FLAGS), min(at, len(doc.text)))
    if match is not None:
        return match
    where = (f"after the start of {previous[0]} (line {doc.line_of(previous[1])})"
             if previous else "in the write-up")
    return f"`{pattern}` (locate) found nothing {where}"


def _in_section(doc: Document, wanted: list[str], previous: tuple[str, int] | None,
                heads: list[str]) -> re.Match | str:
    """A list: the first pattern finds the section (``Question 2``), the others are matched in
    order after it and before the next section (the next match of another list's first
    pattern), and the last one after the previous located question's start too. So a skipped
    sub-part is missing rather than found in the next section."""
    head = _search(doc, re.compile(wanted[0], FLAGS), 0)
    if head is None:
        return f"`{wanted[0]}` (locate[0]) found nothing in the write-up"
    section_end, next_head = len(doc.text), None
    for other in heads:
        if other == wanted[0]:
            continue
        match = _search(doc, re.compile(other, FLAGS), head.end(), section_end)
        if match is not None and match.start() < section_end:
            section_end, next_head = match.start(), match
    at, match = head.end(), head
    for index, pattern in enumerate(wanted[1:], start=1):
        if index == len(wanted) - 1 and previous is not None and head.start() <= previous[1] < section_end:
            at = max(at, previous[1] + 1)
        match = _search(doc, re.compile(pattern, FLAGS), min(at, section_end), section_end)
        if match is None:
            until = (f"`{next_head.group()[:40]}` (line {doc.line_of(next_head.start())})"
                     if next_head is not None else "the end")
            return (f"`{pattern}` (locate[{index}]) found nothing between `{head.group()[:40]}` "
                    f"(line {doc.line_of(head.start())}) and {until}")
        at = match.end() if match.end() > match.start() else match.end() + 1
    return match


def _search(doc: Document, pattern: re.Pattern, start: int, end: int | None = None) -> re.Match | None:
    """The first match in the prose (outside math, where headings are), else in the math too."""
    end = len(doc.text) if end is None else end
    return pattern.search(doc.prose_text, start, end) or pattern.search(doc.text, start, end)


__all__ = ["FLAGS", "Part", "locate_parts", "marker_example", "patterns"]
