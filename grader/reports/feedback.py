"""feedback/<student>.md: what each student reads (only what the table holds: never a reference).

The files are Markdown that renders as written: every text a student could have shaped (the
feedback quotes their answers, their exception messages, their file names) is escaped so that it
cannot become a link, an image, HTML or formatting; a caret diagram (a line and a ``^`` line
under it) goes into a fenced code block so that the caret stays under its character; each
question's prompt is quoted above its feedback, as ``grader check`` shows it."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator

import numpy as np
import pandas as pd

from grader.reports.meta import ReportMeta
from grader.reports.numbers import fmt, fmt_array
from grader.verdict import CORRECT, PARTIAL

_MARKS = {CORRECT: "✓", PARTIAL: "~"}  # anything else gets ✗
_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}
#: ASCII punctuation that can start Markdown syntax somewhere (links, images, HTML, emphasis,
#: code, autolinks via ``:`` ``.`` ``@``, math via ``$``, tables, headings, lists, entities).
#: Kept as they are: , ; ' " ? % / and letters, digits, spaces.
_ESCAPED = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~$&:=@^])")
#: Instructor text (titles, prompts) is not hostile: only what would turn into formatting.
_LIGHT = re.compile(r"([\\`*_\[\]<>|~$&])")
_PLAIN_ID = re.compile(r"^[A-Za-z0-9_.-]+$")
_CARETS = re.compile(r"^\s*\^+\s*$")


def escape_markdown(text: str) -> str:
    """``text`` as literal Markdown inline content: every character that could start syntax is
    backslash-escaped, lines keep their breaks, and leading spaces (an indented code block)
    are dropped."""
    lines = [_ESCAPED.sub(r"\\\1", line.strip()) for line in text.split("\n")]
    return "\\\n".join(line for line in lines if line) if any(lines) else ""


def _light(text: str) -> str:
    text = _LIGHT.sub(r"\\\1", " ".join(text.split()))
    return re.sub(r"^([#+\-=>]|\d+[.)])", r"\\\1", text)


def _name(text: str) -> str:
    """An id as shown in a heading: as it is when it is plain, else escaped."""
    return text if _PLAIN_ID.match(text) else escape_markdown(text)


def code_block(lines: list[str]) -> str:
    """A fenced block holding ``lines`` verbatim: the fence is longer than any run of backticks
    in them, so nothing inside can close it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}\n" + "\n".join(lines) + f"\n{fence}\n\n"


def feedback_markdown(text: str) -> str:
    """A question's feedback as Markdown blocks: prose escaped, caret diagrams in code blocks."""
    lines = text.split("\n")
    out: list[str] = []
    prose: list[str] = []
    i = 0
    while i < len(lines):
        if i + 1 < len(lines) and _CARETS.match(lines[i + 1]) and lines[i].strip():
            if prose:
                out.append(escape_markdown("\n".join(prose)) + "\n\n")
                prose = []
            out.append(code_block([lines[i].rstrip(), lines[i + 1].rstrip()]))
            i += 2
            continue
        prose.append(lines[i])
        i += 1
    if prose and escape_markdown("\n".join(prose)):
        out.append(escape_markdown("\n".join(prose)) + "\n\n")
    return "".join(out)


def safe_names(students: Iterable[str]) -> dict[str, str]:
    """File-name stem per student id: ASCII-safe, unique even on case-insensitive file systems.

    Ids that had to be altered (or collide ignoring case) get a short hash of the original id
    appended, so two different ids never share a file and the name stays recognisable.
    """
    def digest(s: str) -> str:
        return hashlib.sha1(s.encode("utf-8")).hexdigest()[:8]

    names: dict[str, str] = {}
    for s in students:
        base = _UNSAFE_CHARS.sub("_", s)[:80]
        if base.startswith("."):
            base = "_" + base[1:]
        if base != s or not base or base.split(".")[0].lower() in _WINDOWS_RESERVED:
            base = f"{base}-{digest(s)}"
        names[s] = base
    by_lower: dict[str, list[str]] = {}
    for s, n in names.items():
        by_lower.setdefault(n.lower(), []).append(s)
    for group in by_lower.values():
        if len(group) > 1:
            for s in group:
                names[s] = f"{names[s]}-{digest(s)}"
    return names


def feedback_files(table: pd.DataFrame, grades: pd.DataFrame, meta: ReportMeta,
                   score_s: list[str] | None = None, max_s: list[str] | None = None) -> dict[str, str]:
    """Markdown feedback per student id (only what the table holds: never a reference)."""
    return dict(iter_feedback(table, grades, meta, score_s, max_s))


def iter_feedback(table: pd.DataFrame, grades: pd.DataFrame, meta: ReportMeta,
                  score_s: list[str] | None = None, max_s: list[str] | None = None
                  ) -> Iterator[tuple[str, str]]:
    """``feedback_files`` one student at a time, in table order (so that a class's feedback is
    never all in memory at once)."""
    n = len(table)
    if n == 0:
        return
    student = table["student"].to_numpy(dtype=object)
    score_s = fmt_array(table["score"]) if score_s is None else score_s
    max_s = fmt_array(table["max_score"]) if max_s is None else max_s
    prompts = {q.id: _quoted(q.prompt) for q in meta.questions if q.prompt}
    # Each distinct feedback text is turned into Markdown once (a class shares most of them).
    shown = {fb: feedback_markdown(fb) for fb in pd.unique(table["feedback"])}
    question, status, feedback = (table["question"].tolist(), table["status"].tolist(),
                                  table["feedback"].tolist())
    # Table rows are sorted by student, so each student's lines are one contiguous slice.
    starts = np.flatnonzero(np.r_[True, student[1:] != student[:-1]])
    ends = np.r_[starts[1:], n]
    g = grades.set_index("student")
    totals = dict(zip(g.index, fmt_array(g["total"])))
    max_total_value = float(grades["max_total"].iloc[0]) if len(grades) else 0.0
    max_total = fmt(max_total_value)
    late = "total_after_penalty" in g
    raw_pct = (fmt_array(100.0 * g["total"] / max_total_value) if max_total_value > 0
               else [""] * len(g))
    pcts = dict(zip(g.index, raw_pct if late else fmt_array(g["percent"])))
    title = _light(meta.title or "Feedback")
    for a, b in zip(starts.tolist(), ends.tolist()):
        s = student[a]
        pct = f" ({pcts[s]}%)" if pcts[s] else ""
        tail = _late_line(g.loc[s], max_total) if late else ""
        lines = "".join(
            f"## {_MARKS.get(status[i], '✗')} {_name(question[i])} — {score_s[i]} / {max_s[i]} "
            f"({status[i]})\n\n" + prompts.get(question[i], "") + shown[feedback[i]]
            for i in range(a, b))
        yield s, (f"# {title} — {_name(s)}\n\n" + lines + tail
                  + f"**Total: {totals[s]} / {max_total}{pct}**\n")


def _quoted(prompt: str) -> str:
    """The prompt as a block quote (instructor text: only formatting characters escaped)."""
    lines = [_light(line) for line in prompt.strip().split("\n") if line.strip()]
    return "".join(f"> {line}\n" for line in lines) + "\n" if lines else ""


def _late_line(row: pd.Series, max_total: str) -> str:
    days = row["late_days"]
    if days != days:  # unknown: no time, or marked late without one
        return ""
    if not days:
        return "On time.\n\n"
    penalty = fmt(100.0 * float(row["penalty"]))
    unit = "day" if days == 1 else "days"
    return (f"Late by {fmt(float(days))} {unit} (started days): penalty {penalty}%; "
            f"**{fmt(float(row['total_after_penalty']))} / {max_total} after the penalty.**\n\n")
