"""Answers that are wrong for their student but right for another student's version.

Found by hashing, not by checking every answer against every version: each distinct version of a
question has a reference signature (``Kind.reference_signature``: the values a correct answer
has), and each is filed in a table under its cells on the tolerance grid
(``kinds.support.grid``) at a few coordinates, together with the neighbouring cells; a wrong
answer's signature is looked up by its own cells (one look-up), and only the versions found there
are asked, with the question's own ``check``, whether the answer is right for them. So the work is
about one look-up per distinct wrong answer, and a match is a real verdict, never a near miss.

An answer that matched one of the rubric's listed mistakes is left out: a classic mistake that
happens to be right for someone else's numbers says nothing about copying.
"""

from __future__ import annotations

import itertools
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterable, Mapping

import numpy as np

from ..kinds import Kind
from ..kinds.support import grid
from ..rubric import Rubric
from ..tolerance import Tolerance
from ..verdict import CORRECT, INCORRECT, PARTIAL, Verdict

if TYPE_CHECKING:
    from . import Versions

#: Coordinates of a signature used for the look-up (each costs 3x the entries in the table).
COORDINATES = 2
#: Questions that must fit one other student's version before a row is written.
AT_LEAST = 2
#: Versions looked at to choose the coordinates.
SAMPLE = 64


@dataclass(frozen=True)
class CopiedRow:
    """A student whose answers fit another student's version on ``len(questions)`` questions.

    ``fits`` lists the students with that version (usually one; several share a version when
    the draw space is small). ``answers`` are the student's own texts, in question order.
    """

    student: str
    fits: tuple[str, ...]
    questions: tuple[str, ...]
    answers: tuple[str, ...]


#: copied.csv's columns: the student, the students whose version fits (``; ``-separated), the
#: questions (``; ``-separated) and the student's answers to them (a JSON list of texts).
COPIED_COLUMNS = ("student", "fits", "questions", "answers")


def copied_columns(rows: Iterable[CopiedRow]) -> list[list[str]]:
    """copied.csv's columns (``COPIED_COLUMNS``) as lists of text, one entry per row, for the
    reports' spreadsheet-safe CSV writer."""
    rows = list(rows)
    return [[r.student for r in rows], ["; ".join(r.fits) for r in rows],
            ["; ".join(r.questions) for r in rows],
            [json.dumps(list(r.answers), ensure_ascii=False) for r in rows]]


def copied(rubric: Rubric, versions: "Versions", students_values: Mapping[str, Mapping[str, float]],
           verdicts: Iterable[Verdict], prepared_by_student: Mapping[str, Mapping[str, Kind]],
           at_least: int = AT_LEAST,
           fits: Mapping[tuple[str, str], tuple[str, ...]] | None = None) -> list[CopiedRow]:
    """One row per student and set of questions on which their wrong answers fit one other
    student's version (at least ``at_least`` questions), sorted by student. ``fits``: the
    matches ``fits_elsewhere`` already found for these verdicts (grading finds them first)."""
    verdicts = list(verdicts)
    if fits is None:
        fits = fits_elsewhere(rubric, versions, students_values, verdicts, prepared_by_student)
    answers = {(v.student, v.question): v.answer for v in verdicts}
    order = {q.id: i for i, q in enumerate(rubric.questions)}
    by_student: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for (student, question), others in fits.items():
        for other in others:
            by_student[student][other].add(question)
    rows = []
    for student in sorted(by_student):
        groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
        for other, questions in by_student[student].items():
            if len(questions) >= at_least:
                groups[tuple(sorted(questions, key=order.__getitem__))].append(other)
        # Where few values are drawn, students who share part of a version fit part of the same
        # answers: only the students that fit the most (no other fits a larger set) are named.
        sets = {questions: set(questions) for questions in groups}
        groups = {q: others for q, others in groups.items()
                  if not any(sets[q] < other for other in sets.values())}
        for questions, others in sorted(groups.items(), key=lambda g: (-len(g[0]), g[0])):
            rows.append(CopiedRow(student, tuple(sorted(others)), questions,
                                  tuple(answers[(student, q)] for q in questions)))
    return rows


def fits_elsewhere(rubric: Rubric, versions: "Versions",
                   students_values: Mapping[str, Mapping[str, float]], verdicts: Iterable[Verdict],
                   prepared_by_student: Mapping[str, Mapping[str, Kind]]) -> dict[tuple[str, str], tuple[str, ...]]:
    """(student, question) → the other students whose version the student's wrong answer is
    right for (only answers wrong for their own version, not matching a listed mistake)."""
    wrong: dict[str, list[Verdict]] = defaultdict(list)
    for verdict in verdicts:
        if verdict.status in (INCORRECT, PARTIAL) and not verdict.mistake and verdict.answer \
                and verdict.student in students_values:
            wrong[verdict.question].append(verdict)
    out: dict[tuple[str, str], tuple[str, ...]] = {}
    for question in rubric.questions:
        if versions.is_shared(question.id) or not wrong.get(question.id):
            continue
        out.update(_question_fits(question.id, versions, students_values, wrong[question.id],
                                  prepared_by_student))
    return out


def _question_fits(qid: str, versions: "Versions", students_values: Mapping[str, Mapping[str, float]],
                   wrong: list[Verdict], prepared_by_student: Mapping[str, Mapping[str, Kind]]
                   ) -> dict[tuple[str, str], tuple[str, ...]]:
    students_of: dict[tuple, list[str]] = defaultdict(list)
    kind_of: dict[tuple, Kind] = {}
    for student, values in students_values.items():
        key = versions.key(qid, values)
        students_of[key].append(student)
        if key not in kind_of and student in prepared_by_student and qid in prepared_by_student[student]:
            kind_of[key] = prepared_by_student[student][qid]
    if len(students_of) < 2 or not kind_of:
        return {}
    some = next(iter(kind_of.values()))
    if some.runs_code:
        return {}
    index = _Index(kind_of, some.group_tolerance())
    # Versions whose references are identical give an answer the same verdict: it is checked
    # against one of them (many versions may share a reference: an interval that depends on
    # one of the drawn values only).
    confirmed: dict[tuple[Any, str], bool] = {}
    matched: dict[tuple[tuple, str, str], list[tuple]] = {}
    out = {}
    for verdict in wrong:
        own_key = versions.key(qid, students_values[verdict.student])
        memo = (own_key, verdict.answer, verdict.status)
        if memo not in matched:  # each distinct wrong answer of a version is looked up once
            matched[memo] = []
            own_kind = kind_of.get(own_key)
            value, outcome = _reread(own_kind, verdict) if own_kind is not None else (None, None)
            if outcome is not None:
                for key in index.candidates(outcome.signature):
                    if key == own_key:
                        continue
                    same = (index.reference_of.get(key, key), verdict.answer)
                    if same not in confirmed:
                        confirmed[same] = _safe_status(kind_of[key], value) == CORRECT
                    if confirmed[same]:
                        matched[memo].append(key)
        others = [s for key in matched[memo] for s in students_of[key] if s != verdict.student]
        if others:
            out[(verdict.student, qid)] = tuple(sorted(others))
    return out


def _reread(kind: Kind, verdict: Verdict) -> tuple[Any, Any]:
    """The answer as submitted, recovered from the verdict's text (a list or mapping is stored
    as JSON), and its outcome for its own version: the reading whose status is the verdict's."""
    readings: list[Any] = [verdict.answer]
    if verdict.answer[:1] in "[{":
        try:
            readings.append(json.loads(verdict.answer))
        except ValueError:
            pass
    for value in readings:
        try:
            outcome = kind.check(value)
        except Exception:  # noqa: BLE001 - an answer that breaks a kind is not evidence
            continue
        if outcome.status == verdict.status and outcome.signature is not None:
            return value, outcome
    return None, None


def _safe_status(kind: Kind, value: Any) -> str:
    try:
        return kind.check(value).status
    except Exception:  # noqa: BLE001
        return ""


class _Index:
    """Versions' reference signatures filed by their cells on the tolerance grid."""

    def __init__(self, kinds: Mapping[tuple, Kind], tol: Tolerance):
        self.tol = tol
        self.table: dict[Any, list[tuple]] = defaultdict(list)
        self.everything: list[tuple] = []
        #: Signature length → the entries looked up.
        self.coordinates_of: dict[int, list[int]] = {}
        references: dict[tuple, Any] = {}
        #: Version key → its reference signature as exact bytes (equal: the same reference).
        self.reference_of: dict[tuple, Any] = {}
        for key, kind in kinds.items():
            try:
                signature = kind.reference_signature()
            except Exception:  # noqa: BLE001 - a version without a signature is not indexed
                signature = None
            if signature is not None:
                references[key] = signature
                try:
                    self.reference_of[key] = ("reference", _frozen(signature))
                    hash(self.reference_of[key])
                except TypeError:
                    self.reference_of[key] = key
        arrays = {k: _vector(s) for k, s in references.items()}
        numeric = {k: a for k, a in arrays.items() if a is not None}
        self.hashable = grid.hashable(tol)
        if not self.hashable:
            self.everything = list(references)  # too wide a tolerance for the grid: ask each
            return
        for key, signature in references.items():
            if key not in numeric:
                self.table[("exact", _frozen(signature))].append(key)
        lengths = {len(a) for a in numeric.values()}
        for length in lengths:
            group = {k: a for k, a in numeric.items() if len(a) == length}
            coordinates = self.coordinates_of[length] = self._coordinates(group, length)
            for key, vector in group.items():
                cells = [grid.neighbours(grid.cell(float(vector[i]), tol)) for i in coordinates]
                for combination in itertools.product(*cells):
                    self.table[(length, combination)].append(key)

    def _coordinates(self, group: Mapping[tuple, np.ndarray], length: int) -> list[int]:
        """The entries that tell versions apart best (most distinct cells, among a sample of
        the versions)."""
        if length == 0:
            return []
        sample = [group[k] for k in sorted(group)[:SAMPLE]]
        spread = []
        for i in range(length):
            cells = {grid.cell(float(v[i]), self.tol) for v in sample}
            spread.append((-len(cells), i))
        return [i for _, i in sorted(spread)[:COORDINATES]]

    def candidates(self, signature: Any) -> list[tuple]:
        if not self.hashable:
            return list(self.everything)
        vector = _vector(signature)
        if vector is None:
            try:
                return list(self.table.get(("exact", _frozen(signature)), ()))
            except TypeError:
                return []
        coordinates = self.coordinates_of.get(len(vector))
        if coordinates is None:
            return []
        cells = tuple(grid.cell(float(vector[i]), self.tol) for i in coordinates)
        return list(self.table.get((len(vector), cells), ()))


def _vector(signature: Any) -> np.ndarray | None:
    """A numeric signature as a flat float array (None for text and other signatures)."""
    if isinstance(signature, bool):
        return None
    if isinstance(signature, (int, float)):
        return None if math.isnan(signature) else np.array([float(signature)])
    if isinstance(signature, np.ndarray) and signature.dtype.kind in "fiu":
        return signature.astype(float).ravel()
    return None


def _frozen(signature: Any) -> Any:
    if isinstance(signature, (list, tuple)):
        return tuple(_frozen(s) for s in signature)
    if isinstance(signature, np.ndarray):
        return ("array", signature.shape, signature.tobytes())
    return signature


__all__ = ["AT_LEAST", "COPIED_COLUMNS", "CopiedRow", "copied", "copied_columns", "fits_elsewhere"]
