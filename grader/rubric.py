"""YAML → validated rubric objects. Errors name the file, line and field, for the rubric's author:

    rubrics/hw1.yaml:42: questions[3].tolerance.rtol: must be a positive number

Each question kind validates its own fields (its checker module defines a schema struct); this
module holds the rubric's shared vocabulary: tolerances, symbols, givens, mistakes.

The schema is declared with msgspec: its structs validate types and bounds, and it imports and
builds in milliseconds, which keeps `grader check` quick from a cold start.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, Union

import msgspec
import yaml
from msgspec import Meta

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.]+$")
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NAME = Annotated[str, Meta(pattern=NAME_PATTERN.pattern)]
DEFAULT_SEED = 2022
Dim = Union[int, str]
Layout = Literal["denominator", "numerator"]
#: Marks a problem found inside a struct's own check with the field path it belongs to.
_AT = "\x00"


class RubricError(Exception):
    """A rubric that cannot be used; ``problems`` are ready-to-print ``file:line: field: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def default(factory: Any) -> Any:
    """A field default built fresh for every rubric (a dict, a list, a Tolerance...)."""
    return msgspec.field(default_factory=factory)


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Unknown fields are errors: a misspelt ``tolerence`` must not be silently ignored."""


def at(*path: str | int) -> str:
    """Prefix for a ValueError message raised in ``__post_init__``: the field it is about."""
    return _AT + ".".join(map(str, path)) + _AT


def convert(raw: Any, kind: type, *path: str | int) -> Any:
    """``raw`` validated as ``kind`` inside a struct's own check, errors keeping their path."""
    try:
        return msgspec.convert(raw, kind, strict=False)
    except msgspec.ValidationError as err:
        message, inner = _split_validation_error(str(err), name_field=False)
        raise ValueError(at(*path, *inner) + message) from None


def set_field(struct: Any, name: str, value: Any) -> None:
    """Store a normalised value on a frozen struct while it checks itself."""
    msgspec.structs.force_setattr(struct, name, value)


class Tolerance(Strict, kw_only=True):
    rtol: Annotated[float, Meta(gt=0)] = 1.0e-6
    atol: Annotated[float, Meta(ge=0)] = 1.0e-9


class SymbolSpec(Strict, kw_only=True):
    """A name an answer may use: a real scalar, or a matrix when ``shape`` is given."""

    domain: tuple[float, float] | None = None
    positive: bool = False
    shape: tuple[Dim, Dim] | None = None
    aliases: tuple[str, ...] = ()
    #: A name for the identity matrix of this size (``I: {identity: n}``).
    identity: Dim | None = None

    def __post_init__(self) -> None:
        if self.domain is not None and not self.domain[0] < self.domain[1]:
            raise ValueError("domain must be [low, high] with low < high")
        if self.positive and self.domain is not None and self.domain[0] < 0:
            raise ValueError("a positive symbol needs a domain with low >= 0")
        for dim in self.shape or ():
            _check_dim(dim)

    def bounds(self) -> tuple[float, float]:
        """The sampling domain, with defaults: [-5, 5], or [0.1, 5] for a positive symbol."""
        if self.domain is not None:
            low, high = self.domain
            return (max(low, 1e-3), high) if self.positive else (low, high)
        return (0.1, 5.0) if self.positive else (-5.0, 5.0)


class GivenFunction(Strict, kw_only=True):
    args: Annotated[tuple[str, ...], Meta(min_length=1)]
    value: str
    aliases: tuple[str, ...] = ()


class GivenValue(Strict, kw_only=True):
    value: str
    aliases: tuple[str, ...] = ()


class Mistake(Strict, kw_only=True):
    answer: Any
    feedback: str
    score: Annotated[float, Meta(ge=0, le=1)] = 0.0
    #: A short label for reports; defaults to the mistake's answer text.
    label: str = ""


class QuestionBase(Strict, kw_only=True):
    """Fields every question has. Kinds add their own in their checker module."""

    id: Annotated[str, Meta(pattern=ID_PATTERN.pattern)]
    kind: str
    points: Annotated[float, Meta(gt=0)]
    prompt: str = ""


class SymbolicQuestion(QuestionBase, kw_only=True):
    """The shared fields of questions answered with expressions over declared symbols."""

    symbols: dict[str, Any] = default(dict)
    dims: dict[str, tuple[int, int]] = default(dict)
    given: dict[str, Any] = default(dict)
    tolerance: Tolerance = default(Tolerance)
    samples: Annotated[int, Meta(ge=1, le=10_000)] = 24
    mistakes: tuple[Mistake, ...] = ()

    def __post_init__(self) -> None:
        # Entries of a mapping are converted here so that an error names its key (symbols.A).
        set_field(self, "symbols", {name: convert(spec if spec is not None else {}, SymbolSpec, "symbols", name)
                                    for name, spec in self.symbols.items()})
        given = {}
        for name, spec in self.given.items():
            if isinstance(spec, dict):
                kind = GivenFunction if "args" in spec else GivenValue
                given[name] = convert(spec, kind, "given", name)
            elif isinstance(spec, (str, int, float)) and not isinstance(spec, bool):
                given[name] = str(spec)
            else:
                raise ValueError(at("given", name) + "must be an expression, or {args: [...], value: ...}")
        set_field(self, "given", given)
        for name in [*self.symbols, *self.given]:
            if not NAME_PATTERN.match(str(name)):
                raise ValueError(f"`{name}` is not a usable name (letters, digits, '_')")
        clash = set(self.symbols) & set(self.given)
        if clash:
            raise ValueError(f"{sorted(clash)} declared both as symbols and as given")
        for dim, (low, high) in self.dims.items():
            if not 1 <= low <= high <= 64:
                raise ValueError(f"dims.{dim}: must be [low, high] with 1 <= low <= high <= 64")


def _check_dim(dim: Dim) -> None:
    if isinstance(dim, int):
        if dim < 1:
            raise ValueError("sizes must be positive")
    elif not NAME_PATTERN.match(str(dim)):
        raise ValueError(f"size `{dim}` must be a whole number or a dimension name")


class SandboxSettings(Strict, kw_only=True):
    """Limits for running student code (see docs/sandbox.md)."""

    wall_time: Annotated[float, Meta(gt=0)] = 10.0
    call_time: Annotated[float, Meta(gt=0)] = 2.0
    cpu_time: Annotated[float, Meta(gt=0)] = 10.0
    memory_mb: Annotated[int, Meta(ge=64)] = 1024
    processes: Annotated[int, Meta(ge=1)] = 16
    output_bytes: Annotated[int, Meta(ge=0)] = 10_000


class RubricHeader(Strict, kw_only=True):
    title: str
    questions: Annotated[list[Any], Meta(min_length=1)]
    seed: int = DEFAULT_SEED
    sandbox: SandboxSettings = default(SandboxSettings)
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

    # The schema check stops at its first error; missing top-level fields are listed first so
    # that an author sees them together with it.
    problems = [f"{shown}:1: {name}: required field is missing"
                for name in ("title", "questions") if name not in data]
    try:
        header = msgspec.convert({"title": "", "questions": [{}], **data}, RubricHeader, strict=False)
    except msgspec.ValidationError as err:
        problems.append(_describe(err, (), lines, shown))
    if problems:
        raise RubricError(problems)

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
            question = msgspec.convert(raw, kinds[kind].Question, strict=False)
        except msgspec.ValidationError as err:
            problems.append(_describe(err, where, lines, shown))
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


def _describe(err: msgspec.ValidationError, prefix: tuple, lines: dict[tuple, int], shown: str) -> str:
    message, path = _split_validation_error(str(err))
    path = prefix + path
    return f"{shown}:{_line(lines, path)}: {_field_path(path) or 'rubric'}: {_message(message, path)}"


_LOCATION = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]+)`")


def _split_validation_error(text: str, name_field: bool = True) -> tuple[str, tuple]:
    """msgspec's ``"Expected `float` > 0.0 - at `$.questions[3].tolerance.rtol`"`` → (message, path),
    with a field named by the message (unknown or missing) and any path our own checks marked
    (see ``at``) added to the path."""
    match = _LOCATION.match(text)
    message, raw_path = match.group("message"), match.group("path") or ""
    path: list[Any] = []
    for name, index in _PART.findall(raw_path):
        if name:
            path.append(name)
        elif index != "...":
            path.append(int(index))
    if message.startswith(_AT):
        marked, _, message = message[1:].partition(_AT)
        path.extend(int(p) if p.isdigit() else p for p in marked.split(".") if p)
    named = _FIELD.match(message) if name_field else None
    if named:
        path.append(named.group(1))
    return message, tuple(path)


def _message(message: str, path: tuple) -> str:
    """msgspec's wording → the rubric author's."""
    if message.startswith("Object missing required field"):
        return "required field is missing"
    if message.startswith("Object contains unknown field"):
        return "unknown field (check its spelling in docs/rubric-format.md)"
    bound = re.match(r"Expected `(\w+)` (>=|>|<=|<) (-?[\d.e+-]+)", message)
    if bound:
        op, value = bound.group(2), float(bound.group(3))
        if op == ">" and value == 0:
            return "must be a positive number"
        if op == ">=" and value == 0:
            return "must not be negative"
        words = {">": "greater than", ">=": "at least", "<": "less than", "<=": "at most"}[op]
        return f"must be {words} {value:g}"
    if "matching regex" in message:
        if path and path[-1] == "id":
            return "must use only letters, digits, '.' and '_'"
        return "must be a name: letters, digits and '_', starting with a letter"
    if re.match(r"Expected `array` of length >= 1", message):
        return "must not be empty"
    if re.match(r"Expected `array` of length", message):
        length = re.search(r"length (\d+)", message)
        return f"must be a list of {length.group(1)} items" if length else "must be a list"
    expected = re.match(r"Expected `([^`]+)`, got `([^`]+)`", message)
    if expected:
        wanted = expected.group(1)
        if wanted in ("float", "float | null", "int | float"):
            return "must be a number"
        if wanted in ("int", "int | null"):
            return "must be a whole number"
        if wanted.startswith("str"):
            return "must be text"
        if wanted == "bool":
            return "must be true or false"
        if wanted.startswith("array"):
            return "must be a list, like [x, y]"
        if wanted.startswith("object"):
            return "must be a mapping, like {key: value}"
        return f"must be {wanted}"
    if message.startswith("Invalid enum value"):
        return f"{message[len('Invalid enum value '):]} is not an allowed value"
    return message



#: Marks a problem found inside a struct's own check with the field path it belongs to.
_AT = "\x00"
