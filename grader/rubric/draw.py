"""A version per student: the rubric's ``versions`` section and the draws it describes.

```yaml
versions:
  seed: 7
  draw:
    x0:  {choice: [1, 2, 3]}
    y0:  {integer: [50, 150], step: 10}
    lam: {uniform: [0.1, 2.0], round: 2}
    c:   {value: "y0 / x0"}
  where: ["y0 != 100 x0"]
```

A draw is a pure function of the versions seed and a label (a student id), never of the grading
seed, of other students or of the order of the class. Each drawn name has its own random stream,
so adding a parameter to a rubric leaves the values of the others as they were. Candidates are
drawn in chunks of ``CHUNK`` at once and tested together (numpy): the first that meets every
``where`` (and whose derived values are finite) is the version; after ``TRIES`` candidates the
draw gives up (``NoVersion``).

Values are rounded as declared when drawn, so the value a reference uses is exactly the value a
student is shown (``shown``).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Iterator, Mapping

import numpy as np
from msgspec import Meta

from ..answers import AnswerError, Namespace, Symbol, evaluate, parse, parse_condition
from ..answers.builtins import BUILTINS
from ..answers.namespace import CONSTANT_ALIASES, CONSTANTS
from ..answers.nodes import Name, Node, walk
from ..answers.printing import number
from ..sampling import generator
from .schema import NAME_PATTERN, Strict, at, convert, set_field

#: Candidates drawn and tested at once, and the most a student's draw tries.
CHUNK = 256
TRIES = 4 * CHUNK
#: Default decimals of a `uniform` draw.
UNIFORM_ROUND = 2
#: A draw space this small (every parameter a choice or an integer) is validated whole.
SMALL_SPACE = 512


class DrawSpec(Strict, kw_only=True):
    """How one parameter is drawn: exactly one of ``choice``, ``integer`` (with ``step``),
    ``uniform`` (with ``round``) or ``value`` (an expression over the other names)."""

    choice: Annotated[tuple[float, ...], Meta(min_length=1)] | None = None
    integer: tuple[int, int] | None = None
    step: Annotated[int, Meta(ge=1)] | None = None
    uniform: tuple[float, float] | None = None
    #: Decimals kept (uniform: default 2; value: all of them).
    round: Annotated[int, Meta(ge=0, le=12)] | None = None
    value: str | None = None

    def __post_init__(self) -> None:
        given = [n for n in ("choice", "integer", "uniform", "value") if getattr(self, n) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of choice, integer, uniform and value")
        if self.step is not None and self.integer is None:
            raise ValueError(at("step") + "is only for `integer`")
        if self.round is not None and self.uniform is None and self.value is None:
            raise ValueError(at("round") + "is only for `uniform` and `value`")
        if self.integer is not None and not self.integer[0] <= self.integer[1]:
            raise ValueError(at("integer") + "must be [low, high] with low <= high")
        if self.uniform is not None:
            low, high = self.uniform
            if not (math.isfinite(low) and math.isfinite(high) and low < high):
                raise ValueError(at("uniform") + "must be [low, high] with low < high")
            scale = 10.0 ** self.decimals
            if math.ceil(low * scale - 1e-9) > math.floor(high * scale + 1e-9):
                raise ValueError(at("round") + f"no number with {self.decimals} decimals lies in "
                                 f"[{number(low)}, {number(high)}]")
        if self.choice is not None and not all(math.isfinite(v) for v in self.choice):
            raise ValueError(at("choice") + "must be finite numbers")

    @property
    def decimals(self) -> int:
        return UNIFORM_ROUND if self.round is None and self.uniform is not None else (self.round or 0)

    def size(self) -> int | None:
        """How many values a choice or integer draw can take (None: continuous or derived)."""
        if self.choice is not None:
            return len(self.choice)
        if self.integer is not None:
            return (self.integer[1] - self.integer[0]) // (self.step or 1) + 1
        return None

    def values_at(self, u: np.ndarray) -> np.ndarray:
        """The drawn values for uniform numbers ``u`` in [0, 1) (not for ``value``)."""
        if self.choice is not None:
            options = np.asarray(self.choice, dtype=float)
            return options[np.minimum((u * len(options)).astype(int), len(options) - 1)]
        if self.integer is not None:
            count = self.size() or 1
            index = np.minimum((u * count).astype(int), count - 1)
            return (self.integer[0] + (self.step or 1) * index).astype(float)
        assert self.uniform is not None
        scale = 10.0 ** self.decimals
        low = math.ceil(self.uniform[0] * scale - 1e-9) / scale
        high = math.floor(self.uniform[1] * scale + 1e-9) / scale
        return np.round(low + (high - low) * u, self.decimals)

    def all_values(self) -> np.ndarray:
        """Every value of a choice or integer draw, in order."""
        if self.choice is not None:
            return np.unique(np.asarray(self.choice, dtype=float))
        assert self.integer is not None
        return np.arange(self.integer[0], self.integer[1] + 1, self.step or 1, dtype=float)


class VersionsSpec(Strict, kw_only=True):
    """The rubric's ``versions`` section."""

    #: Default: the rubric's own `seed` field as written (never `grade --seed`).
    seed: int | None = None
    draw: Annotated[dict[str, Any], Meta(min_length=1)]
    where: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        # Each entry is converted here so that an error names its parameter (draw.x0.step).
        for name in self.draw:
            if not NAME_PATTERN.match(str(name)):
                raise ValueError(at("draw", name) + "must be a name: letters, digits and '_', "
                                 "starting with a letter")
        set_field(self, "draw", {name: convert(spec, DrawSpec, "draw", name)
                                 for name, spec in self.draw.items()})


class DrawError(ValueError):
    """A problem in the ``versions`` section, at a field path inside it."""

    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path, self.message = path, message


class NoVersion(ValueError):
    """No candidate among ``TRIES`` meets the ``where`` conditions."""


def shown(value: float) -> str:
    """A value as a student is shown it: the shortest text that reads back as the same number
    (values are rounded when drawn, so ``0.1``, ``2``, ``0.25``)."""
    return number(float(value))


def shown_values(values: Mapping[str, float]) -> dict[str, str]:
    return {name: shown(value) for name, value in values.items()}


def describe_values(values: Mapping[str, float]) -> str:
    """``x0 = 2, y0 = 100``: a draw as an author reads it in a message."""
    return ", ".join(f"{name} = {shown(value)}" for name, value in values.items())


#: Names a drawn parameter may not take: the answer language's constants and functions.
def reserved_names() -> frozenset[str]:
    names = set(CONSTANTS) | set(CONSTANT_ALIASES)
    for builtin in BUILTINS.values():
        names.add(builtin.name)
        names.update(builtin.aliases)
    return frozenset(names)


@dataclass(frozen=True)
class Draws:
    """A compiled ``versions`` section: ``draw(student)`` gives a student's values."""

    spec: VersionsSpec
    seed: int
    namespace: Namespace
    #: Derived names' trees, in an order where each uses only names computed before it.
    derived: tuple[tuple[str, Node], ...]
    conditions: tuple[Node, ...]
    names: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "names", tuple(self.spec.draw))

    @classmethod
    def from_spec(cls, spec: VersionsSpec, default_seed: int) -> "Draws":
        """Parse the derived values and conditions; DrawError naming the field when unusable."""
        reserved = reserved_names()
        for name in spec.draw:
            if name in reserved:
                raise DrawError(("draw", name), f"`{name}` is a name of the answer language "
                                "(a constant or a function): choose another name")
        ns = Namespace(symbols={name: Symbol(name) for name in spec.draw})
        trees: dict[str, Node] = {}
        for name, draw in spec.draw.items():
            if draw.value is None:
                continue
            try:
                tree = parse(draw.value, ns)
            except AnswerError as err:
                raise DrawError(("draw", name, "value"), err.message) from None
            if name in _names_in(tree):
                raise DrawError(("draw", name, "value"), f"`{name}` is defined by itself")
            trees[name] = tree
        conditions = []
        for index, text in enumerate(spec.where):
            try:
                conditions.append(parse_condition(text, ns))
            except AnswerError as err:
                raise DrawError(("where", index), err.message) from None
        return cls(spec, default_seed if spec.seed is None else spec.seed, ns,
                   _in_order(trees), tuple(conditions))

    # -- drawing -------------------------------------------------------------------------------
    def draw(self, student: str) -> dict[str, float]:
        """A student's values (the same on every machine, in every run, in any class)."""
        return self.draw_for("student", str(student))

    def template(self) -> dict[str, float]:
        """The draw that stands for every version where one is needed (loading, ``validate``)."""
        return self.draw_for("template")

    def draw_for(self, *labels: str) -> dict[str, float]:
        """The first candidate of the stream ``labels`` that meets the conditions; NoVersion
        after ``TRIES`` candidates."""
        streams = {name: generator(self.seed, "versions", *labels, name)
                   for name, draw in self.spec.draw.items() if draw.value is None}
        for _ in range(TRIES // CHUNK):
            env = {name: self.spec.draw[name].values_at(rng.random(CHUNK))
                   for name, rng in streams.items()}
            ok = self.complete(env, CHUNK)
            hits = np.flatnonzero(ok)
            if len(hits):
                i = int(hits[0])
                return {name: _plain(env[name][i]) for name in self.names}
        raise NoVersion(f"no draw among {TRIES} meets the `where` conditions")

    def draw_many(self, students: list[str], first: int = 16) -> list[dict[str, float] | None]:
        """``draw`` for many students at once (the same values, faster): each student's first
        ``first`` candidates are tested together, in one evaluation for the whole class; a
        student none of them suits is drawn alone. None for a student with no version."""
        random = [name for name, d in self.spec.draw.items() if d.value is None]
        n = len(students)
        env = {}
        for name in random:
            u = np.concatenate([generator(self.seed, "versions", "student", str(s), name).random(first)
                                for s in students]) if n else np.zeros(0)
            env[name] = self.spec.draw[name].values_at(u)
        ok = self.complete(env, n * first).reshape(n, first) if n else np.zeros((0, first), bool)
        found = ok.any(axis=1)
        index = ok.argmax(axis=1)
        out: list[dict[str, float] | None] = []
        for row, student in enumerate(students):
            if found[row]:
                i = row * first + int(index[row])
                out.append({name: _plain(env[name][i]) for name in self.names})
                continue
            try:
                out.append(self.draw(student))
            except NoVersion:
                out.append(None)
        return out

    def complete(self, env: dict[str, np.ndarray], n: int) -> np.ndarray:
        """Add the derived values to ``env`` (n candidates each); which candidates are usable
        (derived values finite, every condition met)."""
        ok = np.ones(n, dtype=bool)
        with np.errstate(all="ignore"):
            for name, tree in self.derived:
                value = np.asarray(evaluate(tree, self.namespace, env, {}, n), dtype=float)
                decimals = self.spec.draw[name].round
                if decimals is not None:
                    value = np.round(value, decimals)
                env[name] = value
                ok &= np.isfinite(value)
            for tree in self.conditions:
                ok &= np.asarray(evaluate(tree, self.namespace, env, {}, n)) == 1
        return ok

    def every_version(self) -> list[dict[str, float]] | None:
        """Every possible draw, when every parameter is a choice or an integer and there are at
        most ``SMALL_SPACE`` combinations (else None)."""
        random = [name for name, d in self.spec.draw.items() if d.value is None]
        sizes = [self.spec.draw[name].size() for name in random]
        if any(s is None for s in sizes) or math.prod(s or 1 for s in sizes) > SMALL_SPACE:
            return None
        combos = list(itertools.product(*(self.spec.draw[n].all_values() for n in random)))
        env = {name: np.array([c[i] for c in combos], dtype=float) for i, name in enumerate(random)}
        ok = self.complete(env, len(combos))
        return [{name: _plain(env[name][i]) for name in self.names} for i in np.flatnonzero(ok)]

    def validation_draws(self, count: int) -> Iterator[tuple[dict[str, float] | None, str]]:
        """Draws to validate a rubric with: every version of a small space, else the stand-in
        draw and ``count`` more (None for one that found no version), each with a label."""
        every = self.every_version()
        if every is not None:
            for values in every:
                yield values, "every version"
            return
        yield self.template(), "stand-in"
        for index in range(count):
            try:
                yield self.draw_for("validate", str(index)), f"draw {index}"
            except NoVersion:
                yield None, f"draw {index}"


def _plain(value: float) -> float:
    value = float(value)
    return 0.0 if value == 0 else value  # -0.0 would be shown as "0" but print as -0.0 elsewhere


def _names_in(tree: Node) -> set[str]:
    return {node.name for node in walk(tree) if isinstance(node, Name)}


def _in_order(trees: dict[str, Node]) -> tuple[tuple[str, Node], ...]:
    """Derived values ordered so that each comes after the derived values it uses."""
    done: dict[str, Node] = {}
    pending = dict(trees)
    while pending:
        ready = [name for name, tree in pending.items()
                 if not (_names_in(tree) & (set(pending) - {name}))]
        if not ready:
            cycle = ", ".join(sorted(pending))
            raise DrawError(("draw", sorted(pending)[0], "value"),
                            f"these values are defined in terms of each other: {cycle}")
        for name in ready:
            done[name] = pending.pop(name)
    return tuple(done.items())


__all__ = ["CHUNK", "DrawError", "DrawSpec", "Draws", "NoVersion", "TRIES", "VersionsSpec",
           "describe_values", "reserved_names", "shown", "shown_values"]
