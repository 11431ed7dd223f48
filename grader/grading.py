"""Rubric × submissions → verdicts, deterministically.

The reference side is prepared once per question per batch (``prepare``). Each distinct answer
text to a question is checked once, however many students gave it; wrong answers are then grouped
by meaning. Code questions run each student's files once through the sandbox. The result never
depends on the number of parallel jobs.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .checkers import Checker, Outcome, registry
from .checkers.symbolic import QuestionError
from .rubric import Rubric, RubricError
from .submissions import Submission, is_blank
from .verdict import ERROR, INCORRECT, MISSING, PARTIAL, Verdict

Progress = Callable[[int], None]


def prepare(rubric: Rubric) -> dict[str, Checker]:
    """A checker per question, with its sample points and reference values; RubricError if any
    question's content (reference, givens, mistakes) is unusable."""
    kinds = registry()
    checkers: dict[str, Checker] = {}
    problems: list[str] = []
    for question in rubric.questions:
        try:
            checkers[question.id] = kinds[question.kind](question, rubric)
        except QuestionError as err:
            problems.append(f"{rubric.where(question.id, *err.field)}: {err.message}")
    if problems:
        raise RubricError(problems)
    return checkers


def answer_key(value: Any) -> str:
    """Identical answers share a key, so each is checked once."""
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@dataclass
class _Judged:
    outcome: Outcome
    group: str = ""


def grade(rubric: Rubric, submissions: Iterable[Submission],
          checkers: Mapping[str, Checker] | None = None, jobs: int = 1,
          progress: Progress | None = None, meanwhile: Callable[[], Any] | None = None,
          sandbox: Any = None) -> list[Verdict]:
    """Verdicts for every student × question, sorted by student then rubric order.

    Student code starts running in the sandbox first; the written answers are checked (and
    ``meanwhile`` is called, for the caller's own preparations) while it runs. ``sandbox``: a
    pool from ``coderun.start_sandbox`` started earlier (the caller closes it).
    """
    checkers = checkers if checkers is not None else prepare(rubric)
    submissions = sorted(submissions, key=lambda s: s.student)
    coded = [q for q in rubric.questions if checkers[q.id].runs_code]
    if not coded:
        if meanwhile:
            meanwhile()
        return _grade(rubric, submissions, checkers, progress, {})

    import gc

    from .coderun import CodeRun

    # Everything alive now (modules, the rubric, the submissions) lives until the end: frozen,
    # the collector stops re-scanning it each time the sandbox's results trigger a collection.
    gc.freeze()
    # This thread stays busy (checking answers, importing) while the sandbox's threads wait for
    # children; a short switch interval lets them take the GIL back within half a millisecond.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    try:
        with CodeRun([checkers[q.id] for q in coded], submissions, rubric, jobs, progress,
                     pool=sandbox) as code:
            written = _check_written(rubric, submissions, checkers, progress)
            if meanwhile:
                meanwhile()
            return _grade(rubric, submissions, checkers, progress, code.outcomes(), written)
    finally:
        sys.setswitchinterval(interval)
        gc.unfreeze()


def _check_written(rubric: Rubric, submissions: list[Submission], checkers: Mapping[str, Checker],
                   progress: Progress | None) -> dict[str, dict[str, _Judged]]:
    """Each distinct answer to each written question, checked once and grouped."""
    judged: dict[str, dict[str, _Judged]] = {}
    for question in rubric.questions:
        if checkers[question.id].runs_code:
            continue
        checker = checkers[question.id]
        keys: dict[str, Any] = {}
        for submission in submissions:
            value = submission.answers.get(question.id)
            if not submission.problem and not is_blank(value):
                keys.setdefault(answer_key(value), value)
        table = {key: _Judged(_safe_check(checker, value)) for key, value in sorted(keys.items())}
        _group(checker, question.id, table)
        judged[question.id] = table
        if progress:
            progress(0)
    return judged


def _grade(rubric: Rubric, submissions: list[Submission], checkers: Mapping[str, Checker],
           progress: Progress | None, code_outcomes: Mapping[str, Mapping[str, Outcome]],
           judged: dict[str, dict[str, _Judged]] | None = None) -> list[Verdict]:
    """The verdicts, from the checked written answers and the code's outcomes."""
    if judged is None:
        judged = _check_written(rubric, submissions, checkers, progress)
    verdicts: list[Verdict] = []
    known = {q.id for q in rubric.questions}
    for submission in submissions:
        unknown = sorted(set(submission.answers) - known)
        rows = []
        for question in rubric.questions:
            checker = checkers[question.id]
            value = submission.answers.get(question.id)
            if checker.runs_code:
                outcome, group = code_outcomes[submission.student][question.id], ""
                answer = ""
            elif submission.problem:
                outcome, group, answer = Outcome.invalid(submission.problem), "", ""
            elif is_blank(value):
                outcome, group, answer = Outcome(MISSING, 0.0, "no answer"), "", ""
            else:
                entry = judged[question.id][answer_key(value)]
                outcome, group, answer = entry.outcome, entry.group, _shown(value)
            rows.append(_verdict(submission.student, question.id, question.points, outcome,
                                 answer, group))
        if unknown:
            rows = _note_unknown(rows, unknown)
        verdicts.extend(rows)
        if progress:
            progress(1)
    return verdicts


def _safe_check(checker: Checker, value: Any) -> Outcome:
    """One answer that breaks a checker costs that answer an ``error``, never the batch."""
    try:
        return checker.check(value)
    except RecursionError:
        return Outcome.invalid("the answer is nested too deeply")
    except Exception as err:  # noqa: BLE001 - the batch must go on; the message says what broke
        return Outcome(ERROR, 0.0, f"the grader could not check this answer ({type(err).__name__}); "
                                   "please tell your instructor")


def _group(checker: Checker, question_id: str, table: dict[str, _Judged]) -> None:
    """Give answers that agree at the sample points one group key (in sorted-text order, so the
    keys do not depend on who submitted first)."""
    representatives: list[tuple[str, Any]] = []
    for entry in table.values():
        outcome = entry.outcome
        if outcome.status not in (INCORRECT, PARTIAL) or outcome.signature is None:
            continue
        for group, signature in representatives:
            if checker.same_meaning(outcome.signature, signature):
                entry.group = group
                break
        else:
            entry.group = f"{question_id}#{len(representatives) + 1}"
            representatives.append((entry.group, outcome.signature))


def _shown(value: Any) -> str:
    return value.strip() if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _verdict(student: str, question: str, points: float, outcome: Outcome, answer: str,
             group: str) -> Verdict:
    score = round(points * max(0.0, min(1.0, outcome.fraction)), 6)
    return Verdict(student=student, question=question, score=score, max_score=points,
                   status=outcome.status, feedback=outcome.feedback, answer=answer, group=group,
                   mistake=outcome.mistake)


def _note_unknown(rows: list[Verdict], unknown: list[str]) -> list[Verdict]:
    """Say which answered ids the rubric does not know, on the row of the id it most likely
    misspells (``q1.sigmod`` → q1.sigmoid), or on the first row when none is close."""
    import difflib

    ids = [row.question for row in rows]
    notes: dict[int, list[str]] = {}
    for name in unknown:
        close = difflib.get_close_matches(name, ids, n=1, cutoff=0.6)
        if close:
            index = ids.index(close[0])
            notes.setdefault(index, []).append(f"your file has an answer under `{name}`, which "
                                               f"this assignment does not have: did you mean "
                                               f"`{close[0]}`?")
        else:
            notes.setdefault(0, []).append(f"your file answers `{name}`, which this "
                                           "assignment does not have (check the id)")
    out = list(rows)
    for index, extra in notes.items():
        row = out[index]
        feedback = "; ".join(([row.feedback] if row.feedback else []) + extra)
        out[index] = Verdict(row.student, row.question, row.score, row.max_score, row.status,
                             feedback, row.answer, row.group, row.mistake)
    return out


__all__ = ["answer_key", "grade", "prepare"]
