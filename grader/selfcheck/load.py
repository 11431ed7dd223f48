"""Reading a bundle: its questions rebuilt into kinds that check exactly as grading does."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import msgspec

from ..errors import AnswerError, QuestionError
from ..kinds import Kind
from ..kinds.base import WrittenKind
from ..rubric import QuestionBase, Rubric, SandboxSettings
from ..verdict import MISSING, Outcome
from .format import BundleError, Entry, read
from .hooks import NotExportable, rebuild


class NotChecked(WrittenKind):
    """Stands for a question the bundle leaves out, so that the assignment's ids stay known
    (an answer to it is not "an id this assignment does not have")."""

    def __init__(self, question: QuestionBase, note: str):
        super().__init__(question, None)  # type: ignore[arg-type]
        self.note = note

    def check(self, answer: Any) -> Outcome:
        return Outcome(MISSING, 0.0, "not checked before the deadline")


@dataclass(frozen=True)
class Bundle:
    """A loaded bundle. ``rubric`` lists every question (the checked ones with their public
    fields); ``prepared`` maps each id to its rebuilt kind (``NotChecked`` for the others)."""

    path: Path
    title: str
    made_by: str
    rubric: Rubric
    prepared: dict[str, Kind]
    modes: dict[str, str]
    #: Question id → why it is not checked before the deadline.
    unchecked: dict[str, str]
    #: The student whose version it checks ("" for an assignment with one version).
    student: str = ""

    @property
    def checked_ids(self) -> list[str]:
        return [q.id for q in self.rubric.questions if q.id not in self.unchecked]

    @property
    def max_checked(self) -> float:
        return sum(q.points for q in self.rubric.questions if q.id not in self.unchecked)


def load_bundle(path: str | Path) -> Bundle:
    """A bundle file, read and rebuilt; BundleError when it cannot be used."""
    path = Path(path)
    payload = read(path)
    questions, prepared, modes, unchecked = [], {}, {}, {}
    seen = set()
    for entry in payload.questions:
        if entry.id in seen:
            raise BundleError(f"{path} is damaged (question {entry.id} appears twice)")
        seen.add(entry.id)
        base = QuestionBase(id=entry.id, kind=entry.kind, points=entry.points,
                            prompt=entry.prompt, self_check=entry.mode)
        modes[entry.id] = entry.mode
        kind, note = _rebuilt(base, entry, path)
        if kind is None:
            unchecked[entry.id] = note
            kind = NotChecked(base, note)
        questions.append(kind.question)
        prepared[entry.id] = kind
    try:
        sandbox = msgspec.convert(payload.sandbox, SandboxSettings)
    except msgspec.ValidationError as err:
        raise BundleError(f"{path} is damaged ({err})") from None
    rubric = Rubric(title=payload.title, seed=0, questions=tuple(questions), sandbox=sandbox,
                    path=path)
    return Bundle(path, payload.title, payload.grader, rubric, prepared, modes, unchecked,
                  payload.student)


def _rebuilt(question: QuestionBase, entry: Entry, path: Path) -> tuple[Kind | None, str]:
    """The rebuilt kind, or None and why the question is not checked."""
    if entry.data is None:
        return None, entry.note or "not in this bundle"
    try:
        return rebuild(question, entry.data), ""
    except NotExportable as err:
        return None, str(err)  # a kind this grader does not know
    except (KeyError, TypeError, ValueError, IndexError, AttributeError, QuestionError,
            AnswerError, msgspec.ValidationError) as err:
        raise BundleError(f"{path} is damaged (question {entry.id}: {type(err).__name__})") from None


__all__ = ["Bundle", "BundleError", "NotChecked", "load_bundle"]
