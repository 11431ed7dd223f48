"""``grader check RUBRIC SUBMISSION --student ID``: one submission checked against its student's
own version (the rubric's questions with that student's values).

The grading core is passed in (``grade``: ``grader.pipeline.grade``) rather than imported, so that
the pipeline can import this package without an import cycle.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import UnusableInput
from ..kinds import Kind, schemas
from ..rubric import Rubric, load_rubric
from ..verdict import Verdict
from . import VersionError, Versions, prepare_version


def student_version(rubric: Rubric, student: str | None) -> tuple[Rubric, dict[str, Kind]]:
    """The rubric as ``student`` is given it (every question with their values) and its prepared
    questions. A rubric without versions is the same for everyone (``student`` is not needed);
    one with versions needs the id (UnusableInput without it)."""
    if rubric.versions is None:
        return rubric, prepare_version(rubric, None, {}, {})
    if not student:
        raise UnusableInput("this assignment gives every student their own numbers: "
                            "say whose submission this is with --student ID")
    versions = Versions(rubric)
    try:
        values = versions.draw(student)
    except VersionError as err:
        raise UnusableInput(str(err)) from None
    return versions.rubric_for(values), prepare_version(rubric, versions, values, {})


def check_student(rubric_path: str | Path, path: str | Path, student: str | None,
                  grade: Callable[..., list[Verdict]], seed: int | None = None) -> tuple[Rubric, list[Verdict]]:
    """Load the rubric, take the student's version, read the submission and check it with
    ``grade`` (``grader.pipeline.grade``). RubricError or UnusableInput as ``grader check``."""
    from ..submissions import load_checkable

    rubric = load_rubric(rubric_path, schemas(), seed)
    version, prepared = student_version(rubric, student)
    submission = load_checkable(path, {q.id for q in rubric.questions})
    if rubric.versions is None:
        verdicts: Any = grade(version, [submission], prepared)
    else:  # the submission is checked as the student's, whatever its file is called
        values = Versions(rubric).draw(student)  # type: ignore[arg-type]
        verdicts = grade(version, [submission], prepared, versions_of={submission.student: values})
    return version, verdicts


__all__ = ["check_student", "student_version"]
