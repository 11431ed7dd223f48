"""Plain-text answers (``answers.md``, ``answers.txt``, ``<student>.md``): no YAML, so no escaping
traps; backslashes are literal. Two forms::

    ## q1.sigmoid                      q1.sigmoid: f(1-f)
    f(1 - f)                           q2.quadratic: \\left(A + A^\\top\\right) x + z

    ## q2.quadratic
    \\left(A + A^\\top\\right) x + z

The rule that makes a file an answers file (docs/intake.md): its headings of one level (or, with
no such heading, its ``id: answer`` lines) are question ids, and at least one of them is a
question of the rubric (when the rubric's ids are known; otherwise: looks like an id). Any other
Markdown (a write-up with ``## Derivation of the gradient``) is not an answers file: the reader
returns None, and a write-up reader can take it."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass

from grader.rubric.schema import ID_PATTERN

_HEADING = re.compile(r"^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$")
_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_ID_LINE = re.compile(r"^([A-Za-z0-9_.]+)[ \t]*:(?:[ \t]+(.*?))?[ \t]*$")
_ITEM = re.compile(r"^[ \t]*(?:[-*+]|\d{1,3}[.)])[ \t]+(.*?)[ \t]*$")
_COMMENT = re.compile(r"<!--.*?-->", re.S)


@dataclass(frozen=True)
class TextAnswers:
    """The answers of a plain-text answers file (text, a list for a bulleted answer, None when
    blank) and remarks about how it was read (an id answered twice)."""

    answers: dict[str, str | list[str] | None]
    notes: tuple[str, ...] = ()


def read_answers_text(text: str, name: str, question_ids: Collection[str] | None = None
                      ) -> TextAnswers | None:
    """The answers of ``text`` if it is an answers file by the rule above, else None."""
    lines = _COMMENT.sub(lambda m: "\n" * m.group().count("\n"), text.lstrip("\ufeff")).splitlines()
    fenced = _fenced_lines(lines)
    headings = [(i, len(m.group(1)), _heading_id(m.group(2) or ""))
                for i, line in enumerate(lines) if i not in fenced and (m := _HEADING.match(line))]
    known = (lambda key: key in question_ids) if question_ids is not None else looks_like_id
    level = next((lvl for _, lvl, key in headings if known(key)), None)
    if level is not None:
        return _by_headings(lines, headings, level, name)
    return _by_lines(lines, fenced, name, known)


def looks_like_id(key: str) -> bool:
    """What a question id looks like (the rubric's id pattern)."""
    return bool(key) and ID_PATTERN.match(key) is not None


def _heading_id(text: str) -> str:
    """``q1.sigmoid``, `` `q1.sigmoid` ``, ``q1.sigmoid:`` and ``**q1.sigmoid**`` name one id."""
    return text.strip().strip("`*_").rstrip(":").strip().strip("`*_")


def _fenced_lines(lines: list[str]) -> set[int]:
    """Indices of lines inside fenced code blocks (fence lines included)."""
    inside: set[int] = set()
    fence = None
    for i, line in enumerate(lines):
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            inside.add(i)
        elif fence is not None:
            inside.add(i)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence) \
                    and not line.strip()[len(match.group(1)):].strip():
                fence = None
    return inside


def _by_headings(lines: list[str], headings: list[tuple[int, int, str]], level: int,
                 name: str) -> TextAnswers | None:
    """Sections under the headings of ``level``; a heading of that level that is not an id means
    the file is something else (a write-up)."""
    sections = [(i, key) for i, lvl, key in headings if lvl == level]
    if not all(looks_like_id(key) for _, key in sections):
        return None
    # A section ends at the next heading of its level or above (deeper ones are its text):
    # found for every heading in one backward pass.
    ends: dict[int, int] = {}
    following = len(lines)
    for i, lvl, _ in reversed(headings):
        ends[i] = following
        if lvl <= level:
            following = i
    answers: dict[str, str | list[str] | None] = {}
    repeated: list[str] = []
    for start, key in sections:
        _put(answers, repeated, key, answer_body(lines[start + 1:ends[start]]))
    return _done(answers, repeated, name)


def _by_lines(lines: list[str], fenced: set[int], name: str, known) -> TextAnswers | None:
    """``id: answer`` lines (an indented line goes on with the answer above it); headings and
    blank lines are skipped; any other line means the file is something else."""
    entries: list[tuple[str, list[str]]] = []
    for i, line in enumerate(lines):
        if not line.strip() or (i not in fenced and _HEADING.match(line)):
            continue
        match = _ID_LINE.match(line) if i not in fenced else None
        if match:
            entries.append((match.group(1), [match.group(2) or ""]))
        elif entries and line[:1] in (" ", "\t") and not _ID_LINE.match(line.strip()):
            # An indented `key: value` under `answers:` is YAML, not this form.
            entries[-1][1].append(line.strip())
        else:
            return None
    if not any(known(key) for key, _ in entries):
        return None
    answers: dict[str, str | list[str] | None] = {}
    repeated: list[str] = []
    for key, parts in entries:
        _put(answers, repeated, key, answer_body(parts))
    return _done(answers, repeated, name)


def _put(answers: dict, repeated: list[str], key: str, value) -> None:
    if key in answers:
        repeated.append(key)
        return
    answers[key] = value


def _done(answers: dict, repeated: list[str], name: str) -> TextAnswers:
    """The answers, bounded as YAML answers are, with one note for every repeated id."""
    answers = bound_answers(answers)
    if not repeated:
        return TextAnswers(answers)
    shown = ", ".join(f"`{key}`" for key in dict.fromkeys(repeated[:5]))
    more = f" and {len(set(repeated)) - 5} more" if len(set(repeated)) > 5 else ""
    what = "is" if len(set(repeated)) == 1 else "are"
    return TextAnswers(answers, (f"{name}: {shown}{more} {what} answered more than once; the first "
                                 "is graded",))


def bound_answers(answers: dict) -> dict:
    """At most ``MAX_ENTRIES`` answers and list entries in all, each list at most ``MAX_LIST``
    long (as for YAML answers): a file of a million headings costs its student, not the batch."""
    from grader.submissions.yamlfile import MAX_ENTRIES, MAX_LIST

    out: dict = {}
    budget = MAX_ENTRIES
    for key, value in answers.items():
        budget -= 1 + (len(value) if isinstance(value, list) else 0)
        if budget < 0:
            break
        out[key] = value[:MAX_LIST] if isinstance(value, list) else value
    return out


def answer_body(lines: list[str]) -> str | list[str] | None:
    """An answer's text: a fenced block's content, a bulleted list as a list, or the text;
    None when blank."""
    while lines and not lines[0].strip():
        lines = lines[1:]
    while lines and not lines[-1].strip():
        lines = lines[:-1]
    if not lines:
        return None
    opening = _FENCE.match(lines[0])
    if opening and len(lines) >= 2 and lines[-1].strip().startswith(opening.group(1)):
        inner = "\n".join(lines[1:-1]).strip()
        return inner or None
    items = [_ITEM.match(line) for line in lines if line.strip()]
    if all(items):
        values = [m.group(1) for m in items if m is not None]
        return values if any(v.strip() for v in values) else None
    return "\n".join(line.rstrip() for line in lines).strip() or None


__all__ = ["TextAnswers", "answer_body", "bound_answers", "looks_like_id", "read_answers_text"]
