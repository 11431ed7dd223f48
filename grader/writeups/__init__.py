"""Write-ups: a student's own derivation (LaTeX from Overleaf, Markdown with ``$$`` math from a
notebook or an OCR tool), read as the answers file it replaces, with every step it can read
checked. How instructors and students use it: docs/writeups.md.

The API the pipeline uses::

    from grader.writeups import is_writeup, read_writeup, score_with_steps, steps_share

    decision = is_writeup(name, text, question_ids)      # truthy or not; decision.reason says why,
                                                         # decision.kind is "md" or "tex"
    writeup = read_writeup(text, decision.kind, rubric, prepared)
    writeup.answers[qid]      # what the kind's check() takes (text, or a list for iterates)
    writeup.reports[qid]      # StepReport: answer_read, steps_checked, steps_skipped,
                              # first_wrong, line, located, locate_problem (+ answer_line,
                              # problem, part_line, found_by; .summary() for grader check)
    writeup.notes             # sentences about the whole write-up (limits, unclosed math)
    outcome = score_with_steps(kind.check(writeup.answers[qid]), writeup.reports[qid],
                               steps_share(question))

``plain_answer_ids(text, ids)`` is the plain-answers-file rule itself, for the reader of
``answers.md`` to share. A notebook's Markdown cells, joined with blank lines, are read as "md".

A question with no entry in ``answers`` is missing: ``reports[qid].locate_problem`` (it could
not be located: which pattern found nothing) or ``reports[qid].problem`` (located, but no
answer read) says why. Questions answered by code are not read from a write-up.

Pure functions of the text and the prepared kinds: deterministic, nothing is executed (student
text goes through ``grader.answers`` only), and the work is bounded: at most ``MAX_CHARS``
characters and ``MAX_BLOCKS`` pieces of math are read, ``MAX_STEPS`` steps checked and
``MAX_CANDIDATES`` answers tried per question; a note says when a limit was reached.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import PurePath
from typing import Any, Iterable, Literal, Mapping

from ..answers import Namespace
from ..verdict import CORRECT, ERROR, INVALID, MISSING, TIMEOUT, Outcome
from .answers import MAX_CANDIDATES, Found, View, read_answer
from .chains import read_math
from .extract import MAX_BLOCKS, MAX_CHARS
from .extract import extract as extract_document
from .locate import locate_parts
from .points import Evaluator, scalar_batch
from . import steps as steps_module
from .steps import MAX_STEPS, StepTally, check_chains, check_descent, target_of

__all__ = ["MAX_BLOCKS", "MAX_CANDIDATES", "MAX_CHARS", "MAX_STEPS", "StepReport", "Writeup",
           "WriteupDecision", "is_writeup", "plain_answer_ids", "read_writeup",
           "score_with_steps", "steps_share"]


@dataclass(frozen=True)
class StepReport:
    """What was read and checked for one question of a write-up."""

    #: The answer read, as the student wrote it (shown by ``grader check``); "" when none.
    answer_read: str = ""
    steps_checked: int = 0
    steps_skipped: int = 0
    #: The first step that does not hold, as a sentence with both sides and the line.
    first_wrong: str | None = None
    #: The line of ``first_wrong``.
    line: int | None = None
    located: bool = False
    #: Why the question could not be located (which pattern found nothing); "" when located.
    locate_problem: str = ""
    #: The line the answer was read from (None for an answer read from prose).
    answer_line: int | None = None
    #: Located, but why no answer was read ("" when one was).
    problem: str = ""
    #: Where the part starts and how it was found (``locate `\\(a\\)```, ``marker % q1.sigmoid``).
    part_line: int | None = None
    found_by: str = ""

    def summary(self) -> str:
        """One line for ``grader check``: what was read and how much was checked (or why
        nothing was): ``read f_i (1 − f_i) (line 13); 1 step checked, 3 could not be read``."""
        if not self.located:
            return self.locate_problem
        if not self.answer_read:
            read = self.problem or "no answer read"
        else:
            where = f" (line {self.answer_line})" if self.answer_line else ""
            read = f"read {self.answer_read}{where}"
        noun = "step" if self.steps_checked == 1 else "steps"
        steps = f"{self.steps_checked} {noun} checked"
        if self.steps_skipped:
            steps += f", {self.steps_skipped} could not be read"
        return f"{read}; {steps}"


@dataclass(frozen=True)
class Writeup:
    """A write-up read against a rubric."""

    answers: dict[str, Any] = field(default_factory=dict)
    reports: dict[str, StepReport] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class WriteupDecision:
    """Whether a submitted file is a write-up, and the rule that decided (truthy when it is)."""

    is_writeup: bool
    kind: Literal["md", "tex", ""]
    reason: str

    def __bool__(self) -> bool:
        return self.is_writeup


_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]*`?([A-Za-z0-9_.]+)`?[ \t]*#*[ \t]*$", re.M)
_ANSWER_LINE = re.compile(r"^[ \t]*`?([A-Za-z0-9_.]+)`?[ \t]*:", re.M)


def plain_answer_ids(text: str, question_ids: Iterable[str]) -> list[str]:
    """The rubric's question ids that a Markdown file uses as headings (``## q1.sigmoid``) or at
    the start of a line (``q1.sigmoid: f(1-f)``): the rule of the plain answers file."""
    ids = {q.casefold(): q for q in question_ids}
    found = [m.group(1) for m in _HEADING.finditer(text)] + [m.group(1) for m in _ANSWER_LINE.finditer(text)]
    return list(dict.fromkeys(ids[f.casefold()] for f in found if f.casefold() in ids))


def is_writeup(name: str, text: str, question_ids: Iterable[str]) -> WriteupDecision:
    """``.tex`` files are write-ups; a ``.md`` file is one unless it is a plain answers file
    (its headings ``## q1.sigmoid`` or lines ``q1.sigmoid: …`` name the rubric's questions)."""
    suffix = PurePath(name).suffix.lower()
    if suffix in (".tex", ".latex"):
        return WriteupDecision(True, "tex", "a LaTeX file is read as a write-up")
    if suffix in (".md", ".markdown"):
        ids = plain_answer_ids(text, question_ids)
        if ids:
            shown = ", ".join(ids[:3]) + (", ..." if len(ids) > 3 else "")
            return WriteupDecision(False, "", "a Markdown file whose headings or `id:` lines name "
                                   f"the rubric's questions ({shown}) is a plain answers file")
        return WriteupDecision(True, "md", "a Markdown file without the rubric's question ids as "
                               "headings (`## q1.sigmoid`) is read as a write-up")
    return WriteupDecision(False, "", f"a {suffix or 'file without a suffix'} file is not a write-up "
                           "(write-ups are .tex or .md)")


def read_writeup(text: str, kind: Literal["md", "tex"], rubric: Any,
                 prepared: Mapping[str, Any]) -> Writeup:
    """Each question's answer and step report from a write-up (see the module docstring)."""
    if kind not in ("md", "tex"):
        raise ValueError(f"a write-up is md or tex, not {kind!r}")
    questions = [q for q in rubric.questions if not getattr(prepared[q.id], "runs_code", False)]
    doc = extract_document(text, kind, {q.id for q in questions})
    notes = list(doc.notes)
    parts, problems = locate_parts(doc, questions)
    reading = read_math(doc, [part.start for part in parts.values()])
    answers: dict[str, Any] = {}
    reports: dict[str, StepReport] = {}
    for question in questions:
        part = parts.get(question.id)
        if part is None:
            reports[question.id] = StepReport(locate_problem=problems.get(question.id, ""))
            continue
        try:
            found, tally = _read_question(question, prepared[question.id], doc, reading, part)
        except RecursionError:
            found, tally = Found(problem="this part is nested too deeply to be read"), StepTally()
        if tally.notes:
            notes += [f"{question.id}: {note}" for note in tally.notes]
        if found.value is not None:
            answers[question.id] = found.value
        reports[question.id] = StepReport(
            answer_read=found.shown, steps_checked=tally.checked, steps_skipped=tally.skipped,
            first_wrong=tally.first_wrong, line=tally.line, located=True, answer_line=found.line,
            problem=found.problem, part_line=part.line, found_by=part.how)
    return Writeup(answers, reports, notes)


def _read_question(question, kind, doc, reading, part) -> tuple[Found, StepTally]:
    inside = lambda offset: part.start <= offset < part.end  # noqa: E731
    chains = [c for c in reading.chains if inside(c.offset)]
    boxed = [b for b in reading.boxed if inside(b.offset)]
    evaluator = _evaluator(question, kind, reading.definitions, (part.start, part.end))
    target = target_of(kind) if evaluator is not None and evaluator.ns is getattr(kind, "ns", None) else None
    view = View(question.kind, kind, chains, boxed, doc.prose(part.start, part.end), evaluator, target,
                doc.text[part.start:part.end], part.start, doc.line_of)
    found = read_answer(view)
    if view.lines:
        tally, _ = check_descent(view.lines, kind)
    elif evaluator is not None:
        tally = check_chains(chains, evaluator, target)
    else:
        tally = StepTally()
    if tally.full:
        tally.notes = [f"only the first {steps_module.MAX_STEPS} steps were checked"]
    return found, tally


def _evaluator(question, kind, definitions, part) -> Evaluator | None:
    """How terms of this question are read and evaluated: at the kind's own sample points
    (expressions), at the parameters (intervals) or as plain numbers."""
    ns = getattr(kind, "ns", None)
    batches = getattr(kind, "batches", None)
    tolerance = getattr(kind, "tol", None) or getattr(question, "tolerance", None)
    rtol = getattr(tolerance, "rtol", 1e-6)
    atol = getattr(tolerance, "atol", 1e-9)
    if ns is not None and batches:
        return Evaluator(ns, list(batches), rtol, atol, tuple(definitions), part)
    if question.kind in ("gd_iterates", "iterates", "shape", "choice"):
        return None
    if question.kind == "interval" and ns is not None:
        params = {k: v for k, v in getattr(kind, "params", {}).items()}
        return Evaluator(ns, [scalar_batch(params)], rtol, atol, tuple(definitions), part, True)
    if question.kind == "number":
        return Evaluator(Namespace(), [scalar_batch({})], rtol, atol, tuple(definitions), part, True)
    return None


def steps_share(question: Any) -> float:
    """The rubric's ``steps`` share for a question: 0 when it has none, and for ``gd_iterates``
    questions, whose ``steps`` is the number of iterates."""
    value = getattr(question, "steps", 0.0)
    if isinstance(value, bool) or not isinstance(value, float) or not 0 <= value < 1:
        return 0.0
    return value


def score_with_steps(outcome: Outcome, report: StepReport | None, share: float) -> Outcome:
    """The kind's usual score of the answer found, with ``share`` of the points (0 ≤ share < 1)
    given to a derivation without a wrong step: ``(1 − share) × score + share`` when at least
    one step was checked and none is wrong (or the answer is right and nothing could be checked).
    The wrong step and how many steps were checked go into the feedback whether or not they
    cost points."""
    if not 0 <= share < 1:
        raise ValueError(f"the steps share must be in [0, 1), not {share}")
    if report is None or outcome.status in (ERROR, TIMEOUT):
        return outcome
    notes = [outcome.feedback] if outcome.feedback else []
    if outcome.status == CORRECT and (report.first_wrong or report.steps_checked or report.steps_skipped):
        notes = ["your answer is right"]
    if report.first_wrong:
        if outcome.feedback and outcome.feedback in report.first_wrong:
            notes = []  # the wrong step already quotes the kind's feedback
        notes.append(report.first_wrong)
    if report.steps_checked or report.steps_skipped:
        notes.append(_steps_sentence(report))
    feedback = "; ".join(notes)
    if share == 0:
        return replace(outcome, feedback=feedback)
    sound = report.first_wrong is None and (report.steps_checked > 0 or outcome.status == CORRECT)
    fraction = (1 - share) * outcome.fraction + (share if sound else 0.0)
    if fraction <= 0 and outcome.status in (MISSING, INVALID):
        return replace(outcome, feedback=feedback)
    status = Outcome.partial(fraction, feedback).status
    return replace(outcome, status=status, fraction=fraction, feedback=feedback)


def _steps_sentence(report: StepReport) -> str:
    checked, skipped = report.steps_checked, report.steps_skipped
    noun = "step" if checked == 1 else "steps"
    text = f"{checked} {noun} of your derivation checked"
    if skipped:
        text += f" ({skipped} could not be read)"
    return text
