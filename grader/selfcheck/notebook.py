"""``SelfCheck``: a bundle in a notebook or any Python session.

    from grader import SelfCheck
    hw = SelfCheck("hw1.check")
    hw.check("q1.sigmoid", r"f(1-f)")         # one written answer
    hw.check("p1.sigmoid_grad", sigmoid_grad)   # a function object from the notebook
    hw.check_file("answers.yaml")               # everything at once (a .yaml, a .py or a folder)

Each call returns a ``SelfCheckResult``: the familiar text when printed, a compact table in
Jupyter. Importing this module does not import pandas.
"""

from __future__ import annotations

import difflib
import os
from typing import Any, Mapping

from ..submissions import Submission
from .check import check_function, check_path, check_submission
from .load import Bundle, load_bundle
from .results import SelfCheckResult, Unchecked


class SelfCheck:
    """The questions of one self-check bundle, checked the way the final grading checks them
    (at other test points, and without the answer key)."""

    def __init__(self, bundle: str | os.PathLike[str], *, runner: str = "auto"):
        """``runner`` for .py files: ``sandbox`` (Linux), ``local`` (a plain child process) or
        ``auto`` (the sandbox on Linux)."""
        self.bundle: Bundle = load_bundle(bundle)
        self.runner = runner

    @property
    def title(self) -> str:
        return self.bundle.title

    @property
    def questions(self) -> list[str]:
        """Every question id, in the assignment's order."""
        return [q.id for q in self.bundle.rubric.questions]

    def check(self, question: str, answer: Any) -> SelfCheckResult:
        """One answer: text (or a list, for iterates) for a written question, a function object
        for a programming question."""
        kind = self._kind(question)
        if question in self.bundle.unchecked:
            points = kind.question.points
            rows = (Unchecked(question, points, self.bundle.unchecked[question]),)
            return SelfCheckResult(rows, {})
        if kind.runs_code:
            if not callable(answer):
                raise TypeError(f"{question} is answered with a Python function: pass the function "
                                f"itself, e.g. hw.check({question!r}, my_function), or check your "
                                ".py file with hw.check_file(path)")
            return check_function(self.bundle, question, answer)
        if callable(answer):
            raise TypeError(f"{question} is answered in writing (text), not with a function")
        result = check_submission(self.bundle, Submission("you", {question: answer}), self.runner)
        return SelfCheckResult((result[question],), result.prompts)

    def check_answers(self, answers: Mapping[str, Any]) -> SelfCheckResult:
        """Several answers at once: question id → text, list, or function object."""
        written = {q: a for q, a in answers.items() if not callable(a)}
        result = check_submission(self.bundle, Submission("you", written), self.runner)
        rows = list(result.rows)
        for question, function in answers.items():
            if callable(function):
                row = self.check(question, function).rows[0]
                rows = [row if r.question == question else r for r in rows]
        return SelfCheckResult(tuple(rows), result.prompts)

    def check_file(self, path: str | os.PathLike[str]) -> SelfCheckResult:
        """A submission as it will be handed in: answers.yaml, a .py file, or a folder."""
        return check_path(self.bundle, path, self.runner)

    def _kind(self, question: str):
        try:
            return self.bundle.prepared[question]
        except KeyError:
            close = difflib.get_close_matches(question, self.questions, n=1, cutoff=0.6)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise KeyError(f"no question {question!r} in this bundle{hint}") from None

    def __repr__(self) -> str:
        return (f"SelfCheck({str(self.bundle.path)!r}: {self.title}, {len(self.questions)} "
                f"questions, {len(self.bundle.checked_ids)} checked before the deadline)")


__all__ = ["SelfCheck"]
