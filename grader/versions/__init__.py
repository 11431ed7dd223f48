"""A version per student: each student's values, their questions, prepared once per distinct
version, and answers that fit another student's version.

The rubric's ``versions`` section (``grader.rubric.draw``) says how values are drawn; a student's
draw depends on the versions seed and their id only. A question that mentions no drawn name is
the same for everyone and prepared once (``shared``); a question that does is prepared once per
distinct tuple of the values it uses (``Versions.key``), however many students share them.

The API the grading pipeline uses::

    versions = Versions(rubric)                     # rubric.versions must be set
    values = versions.draw("alice")                 # {"x0": 2.0, "y0": 120.0, ...}
    every = versions.draw_all(students)             # the same, a class at once (None: no version)
    versions.key("q4.iterates", values)             # (2.0, 120.0): the values that question uses
    versions.materialize("q4.iterates", values)     # the question struct of that version
    versions.prompt("q4.iterates", values)          # its prompt with the numbers in
    versions.rubric_for(values)                     # the rubric as that version (for `grade`)
    prepared = prepare_version(rubric, versions, values, shared)   # every question, prepared
    fits = fits_elsewhere(rubric, versions, students_values, verdicts, prepared_by_student)
    rows = copied(rubric, versions, students_values, verdicts, prepared_by_student)

``fits`` maps (student, question) to the other students whose version the answer is right for
(the rows that get ``COPIED_FEEDBACK``); ``rows`` are copied.csv's. versions.csv is written and
read by ``handout.versions_csv`` and ``handout.read_versions_csv``.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterable, Mapping

from ..errors import QuestionError, RubricError
from ..kinds import Kind, registry, schemas
from ..rubric import QuestionBase, Rubric
from ..rubric.draw import NoVersion, describe_values, shown, shown_values
from ..rubric.messages import describe
from ..rubric.substitute import materialize, mentions, render

#: The feedback added to an answer that is wrong for its student but right for another
#: student's version.
COPIED_FEEDBACK = "this answer fits different parameters than yours"


class VersionError(ValueError):
    """A student who has no version (no draw meets the conditions, or no values were given)."""


class Versions:
    """The versions of a loaded rubric: draws, materialized questions and caches."""

    def __init__(self, rubric: Rubric):
        if rubric.versions is None:
            raise ValueError(f"{rubric.path}: the rubric has no `versions` section")
        self.rubric = rubric
        self.draws = rubric.versions
        self.names: tuple[str, ...] = self.draws.names
        self._schemas = schemas()
        names = set(self.names)
        self._raw: dict[str, Any] = {}
        self._index: dict[str, int] = {}
        #: Question id → the drawn names it uses, in declaration order (empty: shared).
        self.uses: dict[str, tuple[str, ...]] = {}
        for index, (question, raw) in enumerate(zip(rubric.questions, rubric.raw_questions)):
            used = mentions(raw, names)
            self.uses[question.id] = tuple(n for n in self.names if n in used)
            self._raw[question.id] = raw
            self._index[question.id] = index
        self._questions: dict[tuple, QuestionBase] = {}
        self._prepared: dict[tuple, Kind] = {}
        #: The copied-answer matches of the last grading of this rubric, for copied.csv.
        self.fits: dict[tuple[str, str], tuple[str, ...]] | None = None

    # -- values ----------------------------------------------------------------------------------
    def draw(self, student: str) -> dict[str, float]:
        """A student's values: from the versions seed and the id only. VersionError when no
        draw meets the ``where`` conditions."""
        try:
            return self.draws.draw(student)
        except NoVersion as err:
            raise VersionError(f"student {student!r} has no version: {err}") from None

    def draw_all(self, students: Iterable[str]) -> dict[str, dict[str, float] | None]:
        """``draw`` for a whole class at once (the same values, tested together): student →
        values, or None for a student no draw suits (an ``error`` row, never a fresh draw)."""
        students = list(dict.fromkeys(str(s) for s in students))
        return dict(zip(students, self.draws.draw_many(students)))

    def values_from_text(self, row: Mapping[str, str]) -> dict[str, float]:
        """Values read back from text (a row of versions.csv): every drawn name, as a number."""
        missing = [n for n in self.names if n not in row or not str(row[n]).strip()]
        if missing:
            raise VersionError(f"no value for {', '.join(missing)}")
        try:
            return {n: float(row[n]) for n in self.names}
        except ValueError as err:
            raise VersionError(f"a value is not a number ({err})") from None

    def is_shared(self, question_id: str) -> bool:
        """Whether the question is the same in every version."""
        return not self.uses[question_id]

    def key(self, question_id: str, values: Mapping[str, float]) -> tuple:
        """The values a question uses, in a fixed order: equal keys, equal questions."""
        return tuple(float(values[n]) for n in self.uses[question_id])

    # -- questions -------------------------------------------------------------------------------
    def materialize(self, question_id: str, values: Mapping[str, float]) -> QuestionBase:
        """The question of the version ``values`` (the shared struct when it uses none).
        RubricError, located and naming the values, when the version breaks the schema."""
        import msgspec

        try:
            return self.question_of(question_id, values)
        except msgspec.ValidationError as err:
            where = ("questions", self._index[question_id])
            used = {n: values[n] for n in self.uses[question_id]}
            raise RubricError([describe(err, where, self.rubric.lines, str(self.rubric.path))
                               + f" (in the version {describe_values(used)})"]) from None

    def question_of(self, question_id: str, values: Mapping[str, float]) -> QuestionBase:
        """``materialize`` with msgspec's own error (for callers that word it themselves)."""
        if self.is_shared(question_id):
            return self.rubric.question(question_id)
        cache_key = (question_id, self.key(question_id, values))
        question = self._questions.get(cache_key)
        if question is None:
            template = self.rubric.question(question_id)
            used = {n: values[n] for n in self.uses[question_id]}
            question = materialize(self._raw[question_id], shown_values(used),
                                   self._schemas[template.kind], getattr(template, "broadcast", None))
            self._questions[cache_key] = question
        return question

    def prompt(self, question_id: str, values: Mapping[str, float]) -> str:
        """The question's prompt with ``{{name}}`` replaced by the values as shown."""
        raw = self._raw[question_id]
        text = raw.get("prompt", "") if isinstance(raw, dict) else ""
        return render(str(text or ""), {n: shown(values[n]) for n in self.names if n in values})

    def rubric_for(self, values: Mapping[str, float]) -> Rubric:
        """The rubric as one version: every question materialized (for ``check``, handouts,
        bundles and solutions)."""
        questions = tuple(self.materialize(q.id, values) for q in self.rubric.questions)
        return dataclasses.replace(self.rubric, questions=questions)

    def prepared_count(self) -> int:
        """How many versions of questions have been prepared (each distinct key once)."""
        return len(self._prepared)


def prepare_version(rubric: Rubric, versions: Versions | None, values: Mapping[str, float],
                    shared: dict[str, Kind]) -> dict[str, Kind]:
    """Every question of the version ``values``, prepared: a shared question once (kept in
    ``shared``, which the caller passes to every call), the others once per distinct key (kept
    by ``versions``). RubricError, located and naming the values, when one cannot be prepared.
    With ``versions`` None (a rubric without versions) every question is shared."""
    kinds = registry()
    out: dict[str, Kind] = {}
    problems: list[str] = []
    for question in rubric.questions:
        qid = question.id
        try:
            out[qid] = _prepared(kinds, rubric, versions, question, values, shared)
        except RubricError as err:
            problems += err.problems
    if problems:
        raise RubricError(problems)
    return out


def _prepared(kinds: Mapping[str, type[Kind]], rubric: Rubric, versions: Versions | None,
              question: QuestionBase, values: Mapping[str, float], shared: dict[str, Kind]) -> Kind:
    qid = question.id
    if versions is None or versions.is_shared(qid):
        kind = shared.get(qid)
        if kind is None:
            kind = shared[qid] = _prepare(kinds, question, rubric, {})
        return kind
    # The seed is part of the key: the same versions may be prepared at another seed (a bundle's).
    cache_key = (qid, rubric.seed, versions.key(qid, values))
    kind = versions._prepared.get(cache_key)
    if kind is None:
        used = {n: float(values[n]) for n in versions.uses[qid]}
        kind = _prepare(kinds, versions.materialize(qid, values), rubric, used)
        versions._prepared[cache_key] = kind
    return kind


def _prepare(kinds: Mapping[str, type[Kind]], question: QuestionBase, rubric: Rubric,
             used: Mapping[str, float]) -> Kind:
    try:
        return kinds[question.kind].prepare(question, rubric, used)
    except QuestionError as err:
        suffix = f" (in the version {describe_values(used)})" if used else ""
        raise RubricError([f"{rubric.where(question.id, *err.field)}: {err.message}{suffix}"]) from None


from .copies import COPIED_COLUMNS, CopiedRow, copied, copied_columns, fits_elsewhere  # noqa: E402
from .validation import validate_versions  # noqa: E402

__all__ = ["COPIED_COLUMNS", "COPIED_FEEDBACK", "CopiedRow", "VersionError", "Versions", "copied",
           "copied_columns", "fits_elsewhere", "prepare_version", "validate_versions"]
