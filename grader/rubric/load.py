"""Reading a rubric file: YAML with line numbers → header → one struct per question, by kind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping

import msgspec
import yaml

from ..errors import RubricError
from . import substitute
from .draw import DrawError, Draws, NoVersion, VersionsSpec, describe_values, shown_values
from .messages import describe, field_path, line_of
from .schema import GradescopeSettings, LatePolicy, QuestionBase, RubricHeader, SandboxSettings, set_field
from .yamlload import RubricYAMLError, load_with_lines


@dataclass(frozen=True)
class Rubric:
    """A validated rubric: its questions (one schema struct each, by kind) and settings."""

    title: str
    seed: int
    questions: tuple[QuestionBase, ...]
    sandbox: SandboxSettings
    path: Path
    description: str = ""
    #: YAML line of each field path, for messages about questions found after validation.
    lines: dict = field(default_factory=dict, repr=False, compare=False)
    #: When the work is due (aware datetime) and how late work loses marks; None: no late marking.
    due: datetime | None = None
    late: LatePolicy | None = None
    #: What ``grader gradescope`` packages (result visibility).
    gradescope: GradescopeSettings = field(default_factory=GradescopeSettings)
    #: A version per student (``versions`` in the file): the draws, and each question's YAML,
    #: from which ``grader.versions`` makes a student's question. ``questions`` then hold the
    #: questions of one stand-in version, ``versions.template()``.
    versions: Draws | None = field(default=None, repr=False, compare=False)
    raw_questions: tuple[Any, ...] = field(default=(), repr=False, compare=False)

    def where(self, question_id: str, *fields: str | int) -> str:
        """``file:line: questions[i].field`` for a problem found in a question's content."""
        index = next(i for i, q in enumerate(self.questions) if q.id == question_id)
        path = ("questions", index, *fields)
        return f"{self.path}:{line_of(self.lines, path)}: {field_path(path)}"

    def question(self, question_id: str) -> QuestionBase:
        for question in self.questions:
            if question.id == question_id:
                return question
        raise KeyError(question_id)

    @property
    def max_total(self) -> float:
        return sum(q.points for q in self.questions)

    @property
    def base_dir(self) -> Path:
        return self.path.parent


def load_rubric(path: str | Path, kinds: Mapping[str, type[QuestionBase]],
                seed: int | None = None) -> Rubric:
    """Read and validate a rubric file; raise RubricError with every problem found.

    ``kinds`` maps each question kind's name to its schema struct (``grader.kinds.schemas()``);
    the rubric package knows no kind itself. ``grader.pipeline.load_rubric`` passes them in.
    """
    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError([f"{shown}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise RubricError([f"{shown}: cannot read: {err}"]) from None
    try:
        data, lines = load_with_lines(text)
    except RubricYAMLError as err:
        raise RubricError([f"{shown}:{err.line}: {err}"]) from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = getattr(err, "problem", None) or str(err)
        raise RubricError([f"{where}: not valid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise RubricError([f"{shown}:1: a rubric is a mapping with title and questions"])

    # `shared:` (and any `x-...` key) is a place for YAML anchors that questions refer to
    # (`symbols: *common`); it is not read otherwise.
    data = {k: v for k, v in data.items() if not (k == "shared" or str(k).startswith("x-"))}
    # The schema check stops at its first error; missing top-level fields are listed first so
    # that an author sees them together with it.
    problems = [f"{shown}:1: {name}: required field is missing"
                for name in ("title", "questions") if name not in data]
    try:
        header = msgspec.convert({"title": "", "questions": [{}], **data}, RubricHeader, strict=False)
    except msgspec.ValidationError as err:
        problems.append(describe(err, (), lines, shown))
    if problems:
        raise RubricError(problems)
    draws, template = _versions(header, lines, shown)

    questions: list[QuestionBase] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(header.questions):
        where = ("questions", index)
        if not isinstance(raw, dict):
            problems.append(f"{shown}:{line_of(lines, where)}: questions[{index}]: must be a mapping")
            continue
        kind = raw.get("kind")
        if kind not in kinds:
            known = ", ".join(sorted(kinds))
            message = "missing field `kind`" if kind is None else f"unknown kind {kind!r}"
            problems.append(f"{shown}:{line_of(lines, where + ('kind',))}: questions[{index}].kind: "
                            f"{message} (known kinds: {known})")
            continue
        drawn = draws is not None and bool(substitute.mentions(raw, set(draws.names)))
        if draws is not None:
            version_problems = _version_problems(raw, draws, where, lines, shown, drawn)
            if version_problems:
                problems += version_problems
                continue
        try:
            if drawn:
                question = substitute.materialize(raw, shown_values(template), kinds[kind], None)
            else:
                question = msgspec.convert(raw, kinds[kind], strict=False)
        except msgspec.ValidationError as err:
            at_draw = f" (in the version {describe_values(template)})" if drawn else ""
            problems.append(describe(err, where, lines, shown) + at_draw)
            continue
        if question.id in seen:
            problems.append(f"{shown}:{line_of(lines, where + ('id',))}: questions[{index}].id: "
                            f"duplicate id {question.id!r} (also questions[{seen[question.id]}])")
            continue
        seen[question.id] = index
        if getattr(question, "broadcast", False) is None:
            set_field(question, "broadcast", header.broadcast)
        questions.append(question)
    if problems:
        raise RubricError(problems)
    return Rubric(title=header.title, seed=header.seed if seed is None else seed,
                  questions=tuple(questions), sandbox=header.sandbox, path=path,
                  description=header.description, lines=lines, due=header.due, late=header.late,
                  gradescope=header.gradescope, versions=draws,
                  raw_questions=tuple(header.questions) if draws is not None else ())


def _versions(header: RubricHeader, lines: dict, shown: str) -> tuple[Draws | None, dict]:
    """The compiled ``versions`` section and its stand-in draw; RubricError when unusable. The
    default versions seed is the file's own ``seed`` (``--seed`` never changes a version)."""
    if header.versions is None:
        return None, {}
    try:
        spec = msgspec.convert(header.versions, VersionsSpec, strict=False)
        draws = Draws.from_spec(spec, header.seed)
        return draws, draws.template()
    except msgspec.ValidationError as err:
        raise RubricError([describe(err, ("versions",), lines, shown)]) from None
    except DrawError as err:
        path = ("versions", *err.path)
        raise RubricError([f"{shown}:{line_of(lines, path)}: {field_path(path)}: {err.message}"]) from None
    except NoVersion as err:
        path = ("versions", "where")
        raise RubricError([f"{shown}:{line_of(lines, path)}: {field_path(path)}: cannot be "
                           f"satisfied: {err}"]) from None


def _version_problems(raw: dict, draws: Draws, where: tuple, lines: dict, shown: str,
                      drawn: bool) -> list[str]:
    """A question's uses of drawn names that cannot work: ``{{name}}`` naming no parameter, and
    (when it uses drawn names) a drawn name it also declares as its own."""
    names = set(draws.names)
    problems = []
    known = ", ".join(draws.names)
    for inner, name in substitute.undeclared(raw, names):
        path = where + inner
        problems.append(f"{shown}:{line_of(lines, path)}: {field_path(path)}: {{{{{name}}}}} is "
                        f"not a drawn parameter (versions.draw has {known})")
    if drawn:
        for inner, name in substitute.declared(raw, names):
            path = where + inner
            problems.append(f"{shown}:{line_of(lines, path)}: {field_path(path)}: `{name}` is "
                            "drawn (versions.draw) and also a name this question declares: "
                            "rename one of them")
    return problems


def peek_question_ids(path: str | Path) -> frozenset[str] | None:
    """The question ids a rubric file names, read in a millisecond without validating anything
    (for reading submissions while the rubric is still being loaded); None when that fails."""
    try:
        loader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
        data = yaml.load(Path(path).read_text(encoding="utf-8"), Loader=loader)
        ids = frozenset(str(q["id"]) for q in data["questions"] if isinstance(q, dict) and "id" in q)
    except Exception:  # noqa: BLE001 - any problem is load_rubric's to report
        return None
    return ids or None
