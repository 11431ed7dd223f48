"""``grader validate`` over many versions: every question that uses drawn names is prepared and
validated for each distinct version among many draws (every version, when the draw space is
small), and a draw that breaks it (a convergence interval that does not exist, a reference
divided by zero, a range that is empty) is reported once, with the values that broke it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import msgspec

from ..errors import QuestionError
from ..kinds import registry
from ..rubric import Rubric
from ..rubric.draw import TRIES, describe_values
from ..rubric.messages import describe

if TYPE_CHECKING:
    from . import Versions

#: Draws validated when the draw space is too large to validate whole.
DRAWS = 200


@dataclass
class _Seen:
    """A problem (``file:line: field: message``), the first version it showed in, how often."""

    problem: str
    values: dict
    count: int = 1


def validate_versions(rubric: Rubric, draws: int = DRAWS) -> list[str]:
    """Problems of the rubric's versions as ``file:line: field: message (in the version ...)``:
    each question that uses drawn names, prepared and validated for every distinct version
    among ``draws`` draws (or every version of a small space). [] without ``versions``."""
    if rubric.versions is None:
        return []
    from . import Versions

    versions = Versions(rubric)
    kinds = registry()
    seen: dict[str, _Seen] = {}
    done: set[tuple] = set()
    total = missing = 0
    drawn_ids = [q.id for q in rubric.questions if not versions.is_shared(q.id)]
    for values, _label in versions.draws.validation_draws(draws):
        total += 1
        if values is None:
            missing += 1
            continue
        for qid in drawn_ids:
            key = (qid, versions.key(qid, values))
            if key in done:
                continue
            done.add(key)
            used = {n: values[n] for n in versions.uses[qid]}
            for problem in _problems(rubric, versions, kinds, qid, values):
                if problem in seen:
                    seen[problem].count += 1
                else:
                    seen[problem] = _Seen(problem, used)
    problems = []
    if missing:
        problems.append(f"{rubric.path}:{_line(rubric, ('versions', 'where'))}: versions.where: "
                        f"{missing} of {total} draws found no version in {TRIES} tries: some "
                        "students would get none (widen the ranges or loosen the conditions)")
    for entry in seen.values():
        more = f"; and {entry.count - 1} other versions" if entry.count > 1 else ""
        problems.append(f"{entry.problem} (in the version {describe_values(entry.values)}{more})")
    return problems


def shared_problems(rubric: Rubric) -> list[str]:
    """Problems of the questions that use no drawn name (the same in every version): preparing
    and validating each, as ``grader validate`` does."""
    from . import Versions

    versions = Versions(rubric)
    kinds = registry()
    out = []
    for question in rubric.questions:
        if not versions.is_shared(question.id):
            continue
        try:
            kind = kinds[question.kind].prepare(question, rubric)
        except QuestionError as err:
            out.append(f"{rubric.where(question.id, *err.field)}: {err.message}")
            continue
        for problem in kind.validate():
            fields, message = problem if isinstance(problem, tuple) else ((), problem)
            out.append(f"{rubric.where(question.id, *fields)}: {message}")
    return out


def _problems(rubric: Rubric, versions: "Versions", kinds, qid: str, values: dict) -> list[str]:
    """What goes wrong with one question in one version, as ``file:line: field: message``."""
    index = next(i for i, q in enumerate(rubric.questions) if q.id == qid)
    try:
        question = versions.question_of(qid, values)
    except msgspec.ValidationError as err:
        return [describe(err, ("questions", index), rubric.lines, str(rubric.path))]
    try:
        kind = kinds[question.kind].prepare(question, rubric, {})
    except QuestionError as err:
        return [f"{rubric.where(qid, *err.field)}: {err.message}"]
    except Exception as err:  # noqa: BLE001 - a version that breaks the kind is a finding
        return [f"{rubric.where(qid)}: cannot be prepared ({type(err).__name__}: {err})"]
    out = []
    for problem in kind.validate():
        fields, message = problem if isinstance(problem, tuple) else ((), problem)
        out.append(f"{rubric.where(qid, *fields)}: {message}")
    return out


def _line(rubric: Rubric, path: tuple) -> int:
    from ..rubric.messages import line_of

    return line_of(rubric.lines, path)


__all__ = ["DRAWS", "shared_problems", "validate_versions"]
