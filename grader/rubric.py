"""YAML → validated rubric objects. Errors name the file, line and field, for the rubric's author:

    rubrics/hw1.yaml:42: questions[3].tolerance.rtol: must be a positive number

Each question kind validates its own fields (its checker module defines a pydantic model); this
module holds the rubric's shared vocabulary: tolerances, symbols, givens, mistakes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.]+$")
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
DEFAULT_SEED = 2022
Dim = Union[int, str]


class RubricError(Exception):
    """A rubric that cannot be used; ``problems`` are ready-to-print ``file:line: field: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class Strict(BaseModel):
    """Unknown fields are errors: a misspelt ``tolerence`` must not be silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Tolerance(Strict):
    rtol: float = Field(1.0e-6, gt=0)
    atol: float = Field(1.0e-9, ge=0)


class SymbolSpec(Strict):
    """A name an answer may use: a real scalar, or a matrix when ``shape`` is given."""

    domain: tuple[float, float] | None = None
    positive: bool = False
    shape: tuple[Dim, Dim] | None = None
    aliases: tuple[str, ...] = ()
    #: A name for the identity matrix of this size (``I: {identity: n}``).
    identity: Dim | None = None

    @model_validator(mode="after")
    def _domain_order(self) -> "SymbolSpec":
        if self.domain is not None and not self.domain[0] < self.domain[1]:
            raise ValueError("domain must be [low, high] with low < high")
        if self.positive and self.domain is not None and self.domain[0] < 0:
            raise ValueError("a positive symbol needs a domain with low >= 0")
        for dim in self.shape or ():
            _check_dim(dim)
        return self

    def bounds(self) -> tuple[float, float]:
        """The sampling domain, with defaults: [-5, 5], or [0.1, 5] for a positive symbol."""
        if self.domain is not None:
            low, high = self.domain
            return (max(low, 1e-3), high) if self.positive else (low, high)
        return (0.1, 5.0) if self.positive else (-5.0, 5.0)


class GivenFunction(Strict):
    args: tuple[str, ...] = Field(min_length=1)
    value: str
    aliases: tuple[str, ...] = ()


class GivenValue(Strict):
    value: str
    aliases: tuple[str, ...] = ()


class Mistake(Strict):
    answer: Any
    feedback: str
    score: float = Field(0.0, ge=0, le=1)
    #: A short label for reports; defaults to the mistake's answer text.
    label: str = ""


class QuestionBase(Strict):
    """Fields every question has. Kinds add their own in their checker module."""

    id: str
    kind: str
    points: float = Field(gt=0)
    prompt: str = ""

    @field_validator("id")
    @classmethod
    def _id_chars(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("must use only letters, digits, '.' and '_'")
        return value


class SymbolicQuestion(QuestionBase):
    """The shared fields of questions answered with expressions over declared symbols."""

    symbols: dict[str, SymbolSpec] = {}
    dims: dict[str, tuple[int, int]] = {}
    given: dict[str, Union[str, float, GivenFunction, GivenValue]] = {}
    tolerance: Tolerance = Tolerance()
    samples: int = Field(24, ge=1, le=10_000)
    mistakes: tuple[Mistake, ...] = ()

    @model_validator(mode="after")
    def _names(self) -> "SymbolicQuestion":
        for name in [*self.symbols, *self.given]:
            if not NAME_PATTERN.match(name):
                raise ValueError(f"`{name}` is not a usable name (letters, digits, '_')")
        clash = set(self.symbols) & set(self.given)
        if clash:
            raise ValueError(f"{sorted(clash)} declared both as symbols and as given")
        for dim, (low, high) in self.dims.items():
            if not 1 <= low <= high <= 64:
                raise ValueError(f"dims.{dim}: must be [low, high] with 1 <= low <= high <= 64")
        return self


def _check_dim(dim: Dim) -> None:
    if isinstance(dim, int):
        if dim < 1:
            raise ValueError("sizes must be positive")
    elif not NAME_PATTERN.match(str(dim)):
        raise ValueError(f"size `{dim}` must be a whole number or a dimension name")


class SandboxSettings(Strict):
    """Limits for running student code (see docs/sandbox.md)."""

    wall_time: float = Field(10.0, gt=0)
    call_time: float = Field(2.0, gt=0)
    cpu_time: float = Field(10.0, gt=0)
    memory_mb: int = Field(1024, ge=64)
    processes: int = Field(16, ge=1)
    output_bytes: int = Field(10_000, ge=0)


class RubricHeader(Strict):
    title: str
    seed: int = DEFAULT_SEED
    questions: list[dict[str, Any]] = Field(min_length=1)
    sandbox: SandboxSettings = SandboxSettings()
    description: str = ""


@dataclass(frozen=True)
class Rubric:
    title: str
    seed: int
    questions: tuple[QuestionBase, ...]
    sandbox: SandboxSettings
    path: Path
    description: str = ""
    #: YAML line of each field path, for messages about questions found after validation.
    lines: dict = field(default_factory=dict, repr=False, compare=False)

    def where(self, question_id: str, *fields: str | int) -> str:
        """``file:line: questions[i].field`` for a problem found in a question's content."""
        index = next(i for i, q in enumerate(self.questions) if q.id == question_id)
        path = ("questions", index, *fields)
        return f"{self.path}:{_line(self.lines, path)}: {_field_path(path)}"

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


# -- YAML with line numbers ------------------------------------------------------------------
class _LineLoader(yaml.SafeLoader):
    """A safe loader that also records the line of every mapping key and sequence item.

    Only ``true`` and ``false`` are booleans (as in YAML 1.2): a choice option ``yes`` or ``no``
    stays text instead of turning into True or False.
    """


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


def _load_with_lines(text: str) -> tuple[Any, dict[tuple, int]]:
    loader = _LineLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[tuple, int] = {}
        data = _construct(loader, node, (), lines) if node is not None else None
        return data, lines
    finally:
        loader.dispose()


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: tuple, lines: dict[tuple, int]) -> Any:
    lines.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        loader.flatten_mapping(node)
        result = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            if not isinstance(key, (str, int, float, bool)) or key is None:
                key = str(key)
            lines[path + (key,)] = key_node.start_mark.line + 1
            result[key] = _construct(loader, value_node, path + (key,), lines)
        return result
    if isinstance(node, yaml.SequenceNode):
        return [_construct(loader, item, path + (i,), lines) for i, item in enumerate(node.value)]
    return loader.construct_object(node, deep=True)


# -- loading ----------------------------------------------------------------------------------
def load_rubric(path: str | Path, seed: int | None = None) -> Rubric:
    """Read and validate a rubric file; raise RubricError with every problem found."""
    from .checkers import registry

    path = Path(path)
    shown = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RubricError([f"{shown}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as err:
        raise RubricError([f"{shown}: cannot read: {err}"]) from None
    try:
        data, lines = _load_with_lines(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"{shown}:{mark.line + 1}" if mark else shown
        problem = getattr(err, "problem", None) or str(err)
        raise RubricError([f"{where}: not valid YAML: {problem}"]) from None
    if not isinstance(data, dict):
        raise RubricError([f"{shown}:1: a rubric is a mapping with title and questions"])

    problems: list[str] = []
    try:
        header = RubricHeader.model_validate(data)
    except ValidationError as err:
        problems.extend(_describe(err, (), lines, shown))
        raise RubricError(problems) from None

    kinds = registry()
    questions: list[QuestionBase] = []
    seen: dict[str, int] = {}
    for index, raw in enumerate(header.questions):
        where = ("questions", index)
        if not isinstance(raw, dict):
            problems.append(f"{shown}:{_line(lines, where)}: questions[{index}]: must be a mapping")
            continue
        kind = raw.get("kind")
        if kind not in kinds:
            known = ", ".join(sorted(kinds))
            message = "missing field `kind`" if kind is None else f"unknown kind {kind!r}"
            problems.append(f"{shown}:{_line(lines, where + ('kind',))}: questions[{index}].kind: "
                            f"{message} (known kinds: {known})")
            continue
        try:
            question = kinds[kind].Question.model_validate(raw)
        except ValidationError as err:
            problems.extend(_describe(err, where, lines, shown))
            continue
        if question.id in seen:
            problems.append(f"{shown}:{_line(lines, where + ('id',))}: questions[{index}].id: "
                            f"duplicate id {question.id!r} (also questions[{seen[question.id]}])")
            continue
        seen[question.id] = index
        questions.append(question)
    if problems:
        raise RubricError(problems)
    return Rubric(title=header.title, seed=header.seed if seed is None else seed,
                  questions=tuple(questions), sandbox=header.sandbox, path=path,
                  description=header.description, lines=lines)


def _line(lines: dict[tuple, int], path: tuple) -> int:
    """The line of the deepest part of ``path`` that the YAML had."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def _field_path(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _describe(err: ValidationError, prefix: tuple, lines: dict[tuple, int], shown: str) -> list[str]:
    problems = []
    for item in _best_union_member(err.errors()):
        path = _real_path(prefix, item["loc"], lines)
        problems.append(f"{shown}:{_line(lines, path)}: {_field_path(path) or 'rubric'}: "
                        f"{_message(item)}")
    return list(dict.fromkeys(problems))


def _best_union_member(items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A value tried against a union (a ``given`` entry) fails every member; report only the
    member that came closest (fewest errors; a model over a plain type), as its author meant."""
    members: dict[tuple, dict[str, list]] = {}
    for item in items:
        loc = item["loc"]
        tag_at = next((i for i, p in enumerate(loc) if _is_union_tag(p)), None)
        if tag_at is not None:
            members.setdefault(loc[:tag_at], {}).setdefault(loc[tag_at], []).append(item)
    chosen = {base: min(tags.items(), key=lambda kv: (not kv[0][:1].isupper(), len(kv[1])))[0]
              for base, tags in members.items()}
    kept = []
    for item in items:
        loc = item["loc"]
        tag_at = next((i for i, p in enumerate(loc) if _is_union_tag(p)), None)
        if tag_at is None or chosen[loc[:tag_at]] == loc[tag_at]:
            kept.append(item)
    return kept


def _real_path(prefix: tuple, loc: tuple, lines: dict[tuple, int]) -> tuple:
    """The field path of an error: the parts of pydantic's ``loc`` that are keys or indexes in
    the YAML, and a last, missing field; not the names of union members it tried. (A key such as
    ``A`` in ``symbols`` is a field even though it looks like a class name.)"""
    path = prefix
    for index, part in enumerate(loc):
        if path + (part,) in lines or (index == len(loc) - 1 and not _is_union_tag(part)):
            path += (part,)
    return path


def _is_union_tag(part: Any) -> bool:
    # pydantic names the union member it tried ("str", "GivenFunction", "function-after[...]").
    return isinstance(part, str) and (part[:1].isupper() or "[" in part or part in
                                      ("str", "float", "int", "list", "dict", "bool"))


def _message(item: dict[str, Any]) -> str:
    kind, ctx = item["type"], item.get("ctx", {})
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (check its spelling in docs/rubric-format.md)"
    if kind == "greater_than":
        return "must be a positive number" if ctx.get("gt") == 0 else f"must be greater than {ctx.get('gt')}"
    if kind == "greater_than_equal":
        return "must not be negative" if ctx.get("ge") == 0 else f"must be at least {ctx.get('ge')}"
    if kind == "less_than_equal":
        return f"must be at most {ctx.get('le')}"
    if kind in ("float_parsing", "float_type", "int_parsing", "int_type", "int_from_float"):
        return "must be a number" if kind.startswith("float") else "must be a whole number"
    if kind in ("string_type",):
        return "must be text"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a mapping, like {key: value}"
    if kind in ("tuple_type", "list_type"):
        return "must be a list, like [x, y]"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    if kind == "too_short":
        return "must not be empty"
    if kind == "value_error":
        return str(ctx.get("error", item["msg"]))
    return item["msg"]


Layout = Literal["denominator", "numerator"]
