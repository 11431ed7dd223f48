"""``grader bundle``: a rubric → one self-check file that holds what checking needs and no key.

Each question is prepared a second time, at the *bundle seed*: sample points, sizes, calls and
salts all come from it, so nothing in the bundle is a value grading uses. The bundle seed is an
HMAC of the grading seed keyed by the rubric's own bytes: rebuilding the same rubric gives the same
file, and without the rubric (which the student never has) the grading seed cannot be recovered
from the bundle, even by trying every small seed.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator

import msgspec

from ..version import __version__
from ..errors import QuestionError, RubricError
from ..kinds import registry
from ..pipeline import load, validate
from ..rubric import Rubric
from ..kinds.support.grid import derive
from .format import Entry, Payload, encode
from .hooks import NotExportable, export


@dataclass(frozen=True)
class Exported:
    """What the bundle holds for one question, for the instructor (``grader bundle`` prints it)."""

    id: str
    kind: str
    mode: str
    checked: bool
    reveals: str


@dataclass(frozen=True)
class Built:
    data: bytes
    questions: tuple[Exported, ...]
    title: str


def bundle_seed(rubric: Rubric, student: str = "") -> int:
    """The seed of the bundle's points: one-way from the grading seed and the rubric's bytes
    (and the student, for a bundle of one student's version)."""
    content = hashlib.sha256(rubric.path.read_bytes()).hexdigest()
    labels = (content, student) if student else (content,)
    seed = int.from_bytes(derive(rubric.seed, "bundle seed", *labels, size=8), "big")
    return seed if seed != rubric.seed else seed + 1


def build(rubric_path: str | Path, seed: int | None = None, *,
          seed_of_bundle: int | None = None, student: str | None = None) -> Built:
    """The bundle of a rubric; RubricError when the rubric does not validate (as ``grader
    validate`` would say). ``seed`` overrides the rubric's grading seed, as ``grader grade --seed``
    does; ``seed_of_bundle`` fixes the bundle seed (for tests that compare bundles).

    A rubric with ``versions`` needs ``student``: the bundle then holds that student's version
    only (their prompts and values), never another student's. Without versions, ``student`` is
    not used."""
    rubric, prepared = load(rubric_path, seed)
    rubric, prepared, student = _version_of(rubric, prepared, student)
    return _build(rubric, prepared, student, seed_of_bundle)


def build_each(rubric_path: str | Path, students: Iterable[str],
               seed: int | None = None) -> Iterator[tuple[str, Built]]:
    """(student, bundle of their version) for each student of a rubric with versions, loading
    and preparing the rubric once; RubricError as ``build``."""
    rubric, prepared = load(rubric_path, seed)
    if rubric.versions is None:
        raise RubricError([f"{rubric.path}: the rubric has no `versions`: one bundle serves "
                           "every student (grader bundle RUBRIC -o FILE)"])
    from ..versions import VersionError, Versions, prepare_version

    versions, shared = Versions(rubric), {}
    for student in students:
        try:
            values = versions.draw(student)
        except VersionError as err:
            raise RubricError([str(err)]) from None
        version = versions.rubric_for(values)
        yield student, _build(version, prepare_version(rubric, versions, values, shared), student, None)


def _build(rubric: Rubric, prepared: dict, student: str, seed_of_bundle: int | None) -> Built:
    problems = validate(rubric, prepared)
    if problems:
        raise RubricError(problems)
    at_bundle = dataclasses.replace(
        rubric, seed=bundle_seed(rubric, student) if seed_of_bundle is None else seed_of_bundle)
    kinds = registry()
    entries: list[Entry] = []
    exported: list[Exported] = []
    problems = []
    for question in rubric.questions:
        base = dict(id=question.id, kind=question.kind, points=float(question.points),
                    prompt=question.prompt, mode=question.self_check)
        if question.self_check == "off":
            note = "self_check: off"
            entries.append(Entry(**base, note=note))
            exported.append(Exported(question.id, question.kind, "off", False, note))
            continue
        try:
            kind = kinds[question.kind].prepare(question, at_bundle)
            shipped = export(kind, question.self_check)
        except QuestionError as err:
            # The reference is fine at the grading seed (it validated) but not at the bundle's
            # points: say so where the author can act on it.
            problems.append(f"{rubric.where(question.id, *err.field)}: at the bundle's sample "
                            f"points: {err.message}")
            continue
        except NotExportable as err:
            note = f"cannot be self-checked: {err}"
            entries.append(Entry(**base, note=note))
            exported.append(Exported(question.id, question.kind, question.self_check, False, note))
            continue
        entries.append(Entry(**base, data=dict(shipped.data)))
        exported.append(Exported(question.id, question.kind, question.self_check, True,
                                 shipped.reveals))
    if problems:
        raise RubricError(problems)
    payload = Payload(grader=__version__, title=rubric.title, questions=entries,
                      sandbox=msgspec.to_builtins(rubric.sandbox), student=student)
    return Built(encode(payload), tuple(exported), rubric.title)


def _version_of(rubric: Rubric, prepared: dict, student: str | None) -> tuple[Rubric, dict, str]:
    """The rubric of one student's version, its prepared questions and the student ("" for a
    rubric without versions)."""
    if rubric.versions is None:
        return rubric, prepared, ""
    from ..versions import VersionError, Versions, prepare_version

    if not student:
        raise RubricError([f"{rubric.path}: every student has their own version: build one "
                           "bundle per student (grader bundle RUBRIC --student ID, or --roster)"])
    versions = Versions(rubric)
    try:
        values = versions.draw(student)
    except VersionError as err:
        raise RubricError([str(err)]) from None
    return versions.rubric_for(values), prepare_version(rubric, versions, values, {}), student


def write(built: Built, path: str | Path) -> None:
    """Write the bundle whole (a temporary file renamed into place)."""
    path = Path(path)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(built.data)
    partial.replace(path)


__all__ = ["Built", "Exported", "build", "build_each", "bundle_seed", "write"]
