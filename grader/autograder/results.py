"""Gradescope's results.json for one submission, in the format its autograder documentation
gives (gradescope-autograders.readthedocs.io, "Autograder Specifications"): a top-level
``score`` and ``tests``, one per question, each with ``name``, ``score``, ``max_score``,
``status`` (``passed`` only when fully correct), ``output`` (our feedback, never a reference)
and ``visibility``."""

from __future__ import annotations

from typing import Any, Iterable

from grader.verdict import CORRECT, Verdict

VISIBILITIES = ("hidden", "after_due_date", "after_published", "visible")


def results_json(verdicts: Iterable[Verdict], prompts: dict[str, str], visibility: str,
                 notes: Iterable[str] = (), execution_time: float | None = None) -> dict[str, Any]:
    """results.json's content for one submission's verdicts (rubric order)."""
    if visibility not in VISIBILITIES:
        raise ValueError(f"visibility must be one of {', '.join(VISIBILITIES)}")
    tests = []
    total = maximum = 0.0
    for number, v in enumerate(verdicts, 1):
        total += v.score
        maximum += v.max_score
        output = v.feedback or v.status
        tests.append({
            "name": v.question,
            "number": str(number),
            "score": round(float(v.score), 4),
            "max_score": round(float(v.max_score), 4),
            "status": "passed" if v.status == CORRECT else "failed",
            "output": output,
            "tags": [v.question, v.status],
            "visibility": visibility,
            "extra_data": {"question": v.question, "status": v.status,
                           "prompt": prompts.get(v.question, "")},
        })
    lines = list(notes) + [f"Total: {round(total, 4):g} / {round(maximum, 4):g}"]
    data: dict[str, Any] = {
        "score": round(total, 4),
        "output": "\n".join(lines),
        "visibility": visibility,
        "stdout_visibility": "hidden",
        "tests": tests,
    }
    if execution_time is not None:
        data["execution_time"] = max(0, int(round(execution_time)))
    return data


def failure_json(message: str, visibility: str) -> dict[str, Any]:
    """results.json when the submission could not be graded at all (the score is 0 and the
    message says why; Gradescope shows it to the student)."""
    return {"score": 0.0, "output": message, "visibility": visibility,
            "stdout_visibility": "hidden", "tests": []}


__all__ = ["VISIBILITIES", "failure_json", "results_json"]
