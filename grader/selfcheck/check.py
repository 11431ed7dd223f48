"""Checking a submission against a bundle: the grading pipeline itself (``pipeline.grade``),
given the bundle's rebuilt questions and a code runner, then the bundle's modes applied."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any, Callable, Iterable

from ..kinds import Kind
from ..pipeline import grade
from ..submissions import Submission, load_checkable
from ..verdict import CORRECT, INCORRECT, PARTIAL, Outcome, Verdict
from .load import Bundle
from .results import SelfCheckResult, Unchecked
from .runner import LocalCall, LocalPool, run_function

#: Feedback of a wrong answer to a ``self_check: verdict`` question.
VERDICT_ONLY = "not right (before the deadline this question says only whether an answer is right)"
RUNNERS = ("auto", "sandbox", "local")


def default_runner() -> str:
    """The grading sandbox on Linux; a plain child process elsewhere."""
    return "sandbox" if sys.platform.startswith("linux") else "local"


class _PlainCalls:
    """A code question whose calls are plain records, for the local runner (the sandbox's own
    ``Call`` type is not importable where the sandbox is not)."""

    runs_code = True

    def __init__(self, kind: Kind):
        self.kind = kind
        self.question = kind.question

    def calls(self) -> list[LocalCall]:
        return [LocalCall(name, args) for name, args in self.kind.planned_calls()]

    def judge(self, results: Iterable[Any]) -> Outcome:
        return self.kind.judge(results)

    def check(self, answer: Any) -> Outcome:
        return self.kind.check(answer)


def check_submission(bundle: Bundle, submission: Submission, runner: str = "auto") -> SelfCheckResult:
    """One submission checked against the bundle, as ``grader check RUBRIC`` would check it."""
    runner = default_runner() if runner == "auto" else runner
    if runner not in RUNNERS:
        raise ValueError(f"runner must be one of {RUNNERS}")
    prepared: dict[str, Any] = dict(bundle.prepared)
    pool = None
    coded = [q for q, k in prepared.items() if k.runs_code and q not in bundle.unchecked]
    if coded and submission.code:
        if runner == "sandbox":
            from ..coderun import start_sandbox

            pool = start_sandbox(bundle.rubric, 1, "weak-ok")  # the student's own code
        else:
            pool = LocalPool(bundle.rubric.sandbox)
            prepared = {q: _PlainCalls(k) if k.runs_code else k for q, k in prepared.items()}
    try:
        verdicts = grade(bundle.rubric, [submission], prepared, sandbox=pool)
    finally:
        if pool is not None:
            pool.close()
    return _result(bundle, verdicts)


def check_path(bundle: Bundle, path: str | Path, runner: str = "auto") -> SelfCheckResult:
    """A submission file or folder checked against the bundle; UnusableInput when nothing in it
    can be read."""
    return check_submission(bundle, load_checkable(path, {q.id for q in bundle.rubric.questions}),
                            runner)


def check_function(bundle: Bundle, question_id: str, function: Callable) -> SelfCheckResult:
    """A function object (from a notebook) checked for one function question."""
    kind = bundle.prepared[question_id]
    calls = [LocalCall(name, args) for name, args in kind.planned_calls()]
    results = run_function(function, calls, bundle.rubric.sandbox)
    try:
        outcome = kind.judge(results)
    except Exception as err:  # noqa: BLE001 - as in grading: the grader's fault is an error row
        outcome = Outcome("error", 0.0, f"the grader could not judge this function ({type(err).__name__})")
    question = kind.question
    score = round(question.points * max(0.0, min(1.0, outcome.fraction)), 6)
    verdict = Verdict("you", question.id, score, question.points, outcome.status, outcome.feedback)
    return _result(bundle, [verdict])


def _result(bundle: Bundle, verdicts: list[Verdict]) -> SelfCheckResult:
    rows = []
    for verdict in verdicts:
        if verdict.question in bundle.unchecked:
            points = verdict.max_score
            rows.append(Unchecked(verdict.question, points, bundle.unchecked[verdict.question]))
        elif bundle.modes.get(verdict.question) == "verdict":
            rows.append(_verdict_only(verdict))
        else:
            rows.append(verdict)
    prompts = {q.id: q.prompt for q in bundle.rubric.questions}
    return SelfCheckResult(tuple(rows), prompts)


def _verdict_only(verdict: Verdict) -> Verdict:
    """``self_check: verdict``: right, or not right with no feedback and no partial credit."""
    if verdict.status == CORRECT:
        return replace(verdict, feedback=CORRECT)
    if verdict.status in (PARTIAL, INCORRECT):
        return replace(verdict, status=INCORRECT, score=0.0, feedback=VERDICT_ONLY, mistake="")
    return verdict


__all__ = ["RUNNERS", "VERDICT_ONLY", "check_function", "check_path", "check_submission",
           "default_runner"]
