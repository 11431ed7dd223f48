"""The rubric's schema: msgspec structs for the fields every rubric and many kinds share
(symbols, givens, mistakes, sandbox settings). Each question kind declares its own struct in its
module under ``grader/kinds``, built on ``QuestionBase`` or ``SymbolicQuestion``.

msgspec validates types and bounds, and it imports and builds in milliseconds, which keeps
`grader check` quick from a cold start.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal, Union

import msgspec
from msgspec import Meta

from ..errors import RubricError
from ..times import TimeError, parse_duration
from ..tolerance import Tolerance
from .messages import AT, split_validation_error

ID_PATTERN = re.compile(r"^[A-Za-z0-9_.]+$")
NAME_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NAME = Annotated[str, Meta(pattern=NAME_PATTERN.pattern)]
DEFAULT_SEED = 2022
Dim = Union[int, str]
Layout = Literal["denominator", "numerator"]
#: What a self-check bundle does with a question: check it with feedback, say only right or not,
#: or leave it out (docs/self-check.md).
SelfCheckMode = Literal["full", "verdict", "off"]
def default(factory: Any) -> Any:
    """A field default built fresh for every rubric (a dict, a list, a Tolerance...)."""
    return msgspec.field(default_factory=factory)


class Strict(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """Unknown fields are errors: a misspelt ``tolerence`` must not be silently ignored."""


def at(*path: str | int) -> str:
    """Prefix for a ValueError message raised in ``__post_init__``: the field it is about."""
    return AT + ".".join(map(str, path)) + AT


def convert(raw: Any, kind: type, *path: str | int) -> Any:
    """``raw`` validated as ``kind`` inside a struct's own check, errors keeping their path."""
    try:
        return msgspec.convert(raw, kind, strict=False)
    except msgspec.ValidationError as err:
        message, inner = split_validation_error(str(err), name_field=False)
        raise ValueError(at(*path, *inner) + message) from None


def set_field(struct: Any, name: str, value: Any) -> None:
    """Store a normalised value on a frozen struct while it checks itself."""
    msgspec.structs.force_setattr(struct, name, value)


class SymbolSpec(Strict, kw_only=True):
    """A name an answer may use: a real scalar, or a matrix when ``shape`` is given."""

    domain: tuple[float, float] | None = None
    positive: bool = False
    shape: tuple[Dim, Dim] | None = None
    aliases: tuple[str, ...] = ()
    #: A name for the identity matrix of this size (``I: {identity: n}``).
    identity: Dim | None = None
    #: Drawn so the question's assumptions hold at every point: onehot, simplex, unit (vectors);
    #: symmetric, spd, diagonal (square matrices); orthogonal (orthonormal columns).
    structure: Literal["onehot", "simplex", "unit", "symmetric", "spd", "diagonal",
                       "orthogonal"] | None = None

    def __post_init__(self) -> None:
        if self.domain is not None and not self.domain[0] < self.domain[1]:
            raise ValueError("domain must be [low, high] with low < high")
        if self.positive and self.domain is not None and self.domain[0] < 0:
            raise ValueError("a positive symbol needs a domain with low >= 0")
        for dim in self.shape or ():
            _check_dim(dim)
        if self.structure is not None:
            self._check_structure()

    def _check_structure(self) -> None:
        structure, shape = self.structure, self.shape
        if shape is None:
            raise ValueError(at("structure") + f"a {structure} symbol needs a `shape`")
        rows, cols = shape
        if structure in ("onehot", "simplex", "unit") and 1 not in (rows, cols):
            raise ValueError(at("structure") + f"{structure} is for vectors ([k, 1] or [1, k])")
        if structure in ("symmetric", "spd", "diagonal") and rows != cols:
            raise ValueError(at("structure") + f"{structure} is for square matrices ([n, n])")
        if structure == "orthogonal" and isinstance(rows, int) and isinstance(cols, int) and rows < cols:
            raise ValueError(at("structure") + "orthogonal needs at least as many rows as columns")
        if structure == "spd" and self.domain is not None and self.domain[0] <= 0:
            raise ValueError(at("domain") + "for spd the domain is the eigenvalue range: it must be positive")

    def bounds(self) -> tuple[float, float]:
        """The sampling domain, with defaults: [-5, 5], or [0.1, 5] for a positive symbol, or
        eigenvalues in [0.5, 2] for spd."""
        if self.domain is not None:
            low, high = self.domain
            return (max(low, 1e-3), high) if self.positive else (low, high)
        if self.structure == "spd":
            return (0.5, 2.0)
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
    self_check: SelfCheckMode = "full"
    #: Write-ups (docs/writeups.md): where this question's part starts, a regular expression or
    #: a list matched one after the other; and where it ends at the latest.
    locate: str | list[str] | None = None
    until: str | None = None
    #: Write-ups: the share of the points for a derivation without a wrong step (0 ≤ steps < 1).
    #: ``gd_iterates`` questions use ``steps`` for the number of iterates instead.
    steps: Annotated[float, Meta(ge=0, lt=1)] = 0.0

    def __post_init__(self) -> None:
        _check_writeup_fields(self)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Kinds override __post_init__ without calling this one; the write-up fields are still
        # checked for every kind.
        super().__init_subclass__(**kwargs)
        own = cls.__dict__.get("__post_init__")
        if own is not None and not getattr(own, "_checks_writeup", False):
            def __post_init__(self: Any, _own: Any = own) -> None:
                _check_writeup_fields(self)
                _own(self)
            __post_init__._checks_writeup = True  # type: ignore[attr-defined]
            cls.__post_init__ = __post_init__  # type: ignore[method-assign]


QuestionBase.__post_init__._checks_writeup = True  # type: ignore[attr-defined]


def _check_writeup_fields(question: QuestionBase) -> None:
    """``locate`` and ``until`` must be usable regular expressions."""
    locate = question.locate
    if isinstance(locate, list) and not locate:
        raise ValueError(at("locate") + "give a pattern, or a list of at least one")
    for index, pattern in enumerate([locate] if isinstance(locate, str) else locate or []):
        _check_pattern(pattern, ("locate",) if isinstance(locate, str) else ("locate", index))
    if question.until is not None:
        _check_pattern(question.until, ("until",))


def _check_pattern(pattern: str, path: tuple) -> None:
    if not pattern.strip():
        raise ValueError(at(*path) + "an empty pattern matches everywhere")
    try:
        re.compile(pattern)
    except re.error as err:
        raise ValueError(at(*path) + f"not a valid regular expression: {err}") from None


class SymbolicQuestion(QuestionBase, kw_only=True):
    """The shared fields of questions answered with expressions over declared symbols."""

    symbols: dict[str, Any] = default(dict)
    dims: dict[str, tuple[int, int]] = default(dict)
    given: dict[str, Any] = default(dict)
    tolerance: Tolerance = default(Tolerance)
    samples: Annotated[int, Meta(ge=1, le=10_000)] = 24
    mistakes: tuple[Mistake, ...] = ()
    #: Elementwise shorthand (`1 + e^{-Xw}`, `h^2` of a vector); None: the rubric's default.
    broadcast: bool | None = None

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
    #: Size of each of the submission's private file systems (its folder, /tmp, /dev/shm).
    disk_mb: Annotated[int, Meta(ge=1, le=4096)] = 64
    #: Packages students may import beyond the standard library and numpy (scipy, matplotlib...).
    modules: tuple[Annotated[str, Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")], ...] = ()


class LateStep(Strict, kw_only=True):
    """One row of a late table: up to ``days`` days late (inclusive), ``penalty`` of the score."""

    days: Annotated[float, Meta(gt=0)]
    penalty: Annotated[float, Meta(ge=0, le=1)]


class LatePolicy(Strict, kw_only=True):
    """How late work loses marks (docs/gradebook.md): ``per_day`` (a fraction of the score per
    started day late) with ``max_days`` (later than that: everything), or a ``table``; no
    penalty within ``grace`` of the due time (a duration: 15m, 2h, 1d, PT15M)."""

    per_day: Annotated[float, Meta(ge=0, le=1)] | None = None
    max_days: Annotated[float, Meta(gt=0)] | None = None
    grace: Union[str, float] = "0"
    #: Rows ``{days, penalty}``, or a mapping ``{days: penalty}`` (``{1: 0.1, 3: 0.3}``).
    table: Union[tuple[LateStep, ...], dict[float, Annotated[float, Meta(ge=0, le=1)]]] = ()

    def __post_init__(self) -> None:
        if isinstance(self.table, dict):
            steps = []
            for days, penalty in sorted(self.table.items()):
                if not days > 0:
                    raise ValueError(at("table") + "days must be > 0")
                steps.append(LateStep(days=days, penalty=penalty))
            set_field(self, "table", tuple(steps))
        if (self.per_day is None) == (not self.table):
            raise ValueError("give either `per_day` (with an optional `max_days`) or a `table`")
        if self.table and self.max_days is not None:
            raise ValueError(at("max_days") + "a table ends the penalties itself: later than its "
                             "last row, the penalty is 100%")
        days = [step.days for step in self.table]
        if days != sorted(set(days)):
            raise ValueError(at("table") + "rows must be in increasing order of `days`")
        try:
            parse_duration(self.grace)
        except TimeError as err:
            raise ValueError(at("grace") + str(err)) from None

    def as_dict(self) -> dict[str, Any]:
        """The policy as plain data (what run.json keeps for the reports)."""
        out: dict[str, Any] = {"grace": str(self.grace)}
        if self.per_day is not None:
            out["per_day"] = self.per_day
            if self.max_days is not None:
                out["max_days"] = self.max_days
        else:
            out["table"] = [{"days": s.days, "penalty": s.penalty} for s in self.table]
        return out


Visibility = Literal["hidden", "after_due_date", "after_published", "visible"]


class GradescopeSettings(Strict, kw_only=True):
    """What ``grader gradescope`` packages: when students see each question's result.
    ``after_due_date`` by default: feedback (``wrong at x = 0.7``) says much about the key."""

    visibility: Visibility = "after_due_date"


class RubricHeader(Strict, kw_only=True):
    title: str
    questions: Annotated[list[Any], Meta(min_length=1)]
    seed: int = DEFAULT_SEED
    sandbox: SandboxSettings = default(SandboxSettings)
    description: str = ""
    #: The default of every question's `broadcast` (elementwise shorthand in answers).
    broadcast: bool = False
    #: When the work is due (ISO 8601 with a time zone); late work is then marked in grades.csv.
    due: datetime | None = None
    late: LatePolicy | None = None
    gradescope: GradescopeSettings = default(GradescopeSettings)
    #: A version per student (``draw.VersionsSpec``, converted by ``load`` with located errors).
    versions: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.due is not None and self.due.tzinfo is None:
            raise ValueError(at("due") + "give a time zone, e.g. 2024-02-01T23:59:00-05:00")
        if self.late is not None and self.due is None:
            raise ValueError(at("late") + "a late policy needs `due:` (when the work is due)")


__all__ = [
    "DEFAULT_SEED", "Dim", "GivenFunction", "GivenValue", "GradescopeSettings", "ID_PATTERN",
    "LatePolicy", "LateStep", "Layout", "Mistake", "NAME", "NAME_PATTERN", "QuestionBase",
    "RubricError", "RubricHeader", "SandboxSettings", "SelfCheckMode", "Strict", "SymbolSpec",
    "SymbolicQuestion", "Tolerance", "Visibility", "at", "convert", "default", "set_field",
]
