"""The students of the realistic class generator (``realistic``): personas and their habits,
what a student means on a question (``Rates``), and typos that make an answer unreadable."""

from __future__ import annotations

import random
from dataclasses import dataclass
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import mathforms as mf

V = TypeVar("V")
Table = Sequence[tuple[float, V]]

#: The labels the model gives an answer (``wrong``: the grader's incorrect or partial).
CORRECT, WRONG, INVALID = "correct", "wrong", "invalid"
#: Answers spoilt by a slip of the keyboard.
TYPO_RATE = 0.035


def pick(rng: random.Random | float, table: Table[V]) -> V:
    """A value drawn by weight (a float in [0, 1) is used as the draw itself)."""
    total = sum(w for w, _ in table)
    point = (rng if isinstance(rng, float) else rng.random()) * total
    for weight, value in table:
        point -= weight
        if point < 0:
            return value
    return table[-1][1]


# -- the student and their habits ------------------------------------------------------------
PERSONAS: Table[str] = [(0.7, "plain"), (0.07, "python"), (0.23, "latex")]
PAREN, LEFT = ("(", ")"), (r"\left(", r"\right)")
HABITS: dict[str, dict[str, Table[Any]]] = {
    "plain": {
        "op_space": [(0.85, " "), (0.15, "")],
        "mul": [(0.75, " "), (0.13, ""), (0.08, "*"), (0.02, " * "), (0.01, "·"), (0.01, "⋅")],
        "transpose": [(0.88, "^T"), (0.06, "'"), (0.03, "^{T}"), (0.015, "ᵀ"), (0.015, ".T")],
        "outer": [(0.85, PAREN), (0.15, ("[", "]"))],
        "square": [(0.9, "^2"), (0.04, "^{2}"), (0.04, "²"), (0.02, "**2")],
        "exp": [(0.65, "exp"), (0.25, "e^()"), (0.1, "e^{}")],
        "greek": [(0.7, "word"), (0.3, "unicode")],
        "sigmoid": [(0.55, "sigmoid"), (0.3, "σ"), (0.15, "sigma")],
        "braces_subscript": [(0.9, False), (0.1, True)],
        "minus": [(0.97, "-"), (0.03, "−")],
    },
    "python": {
        "op_space": [(0.8, " "), (0.2, "")],
        "mul": [(0.7, "*"), (0.3, " * ")],
        "matmul": [(0.75, "@"), (0.25, " @ ")],
        "outer": [(1.0, PAREN)],
        "transpose": [(0.6, ".T"), (0.3, "^T"), (0.1, "'")],
        "square": [(0.75, "**2"), (0.25, "^2")],
        "sigmoid": [(0.8, "sigmoid"), (0.2, "sigma")],
    },
    "latex": {
        "latex": [(1.0, True)],
        "op_space": [(0.85, " "), (0.15, "")],
        "mul": [(0.7, " "), (0.22, ""), (0.05, r" \cdot "), (0.03, "\\cdot ")],
        "transpose": [(0.6, "^T"), (0.15, "^{T}"), (0.2, r"^\top"), (0.05, r"^{\top}")],
        "paren": [(0.85, PAREN), (0.15, LEFT)],
        "frac": [(0.92, r"\frac"), (0.05, r"\dfrac"), (0.03, "/")],
        "square": [(0.7, "^2"), (0.3, "^{2}")],
        "exp": [(0.75, "e^{}"), (0.25, r"\exp")],
        "greek": [(0.9, "latex"), (0.1, "unicode")],
        "sigmoid": [(0.9, r"\sigma"), (0.1, r"\operatorname{sigmoid}")],
        "diag": [(0.5, r"\operatorname{diag}"), (0.25, r"\mathrm{diag}"), (0.25, "diag")],
        "braces_subscript": [(0.7, False), (0.3, True)],
        "decorate": [(0.8, ("", "")), (0.1, (r"\mathbf", r"\mathbf")), (0.04, (r"\vec", "")),
                     (0.05, (r"\bar", r"\bar")), (0.05, (r"\boldsymbol", r"\boldsymbol"))],
    },
}


@dataclass(frozen=True)
class Student:
    """What stays the same over one student's answers."""

    persona: str
    style: mf.Style
    ability: float      # added to the chance of a right answer
    drift: float        # chance that an answer re-draws one habit
    dollars: bool       # $...$ around LaTeX answers
    lhs: float          # chance of writing `f'(x) =` in front
    spelling: float     # the draw used for the question's spellings (f or f(x)): a habit
    numbers: str        # how iterates are written
    listing: str


def draw_student(rng: random.Random) -> Student:
    persona = pick(rng, PERSONAS)
    # Conformists take the usual choice of their persona for most habits: the common forms.
    conform = pick(rng, [(0.82, 0.97), (0.1, 0.5), (0.08, 0.0)])
    style = _draw_habits(persona, rng, mf.Style(), conform=conform)
    sloppy = 0.0 if rng.random() < 0.84 else rng.uniform(0.25, 0.6)
    thin = rng.choice([0.0] * 8 + [0.3, 0.6]) if persona == "latex" else 0.0
    style = mf.restyle(style, sloppiness=sloppy, thin_space=thin)
    numbers = pick(rng, [(0.7, "decimal"), (0.1, "padded"), (0.12, "fraction"),
                         (0.08 if persona != "latex" else 0.4, "latex")])
    listing = pick(rng, [(0.7, "list"), (0.18, ", "), (0.07, ","), (0.05, "; ")])
    return Student(persona=persona, style=style, ability=rng.gauss(0.0, 0.12),
                   drift=0.0 if rng.random() < 0.92 else rng.uniform(0.03, 0.2),
                   dollars=persona == "latex" and rng.random() < 0.15,
                   lhs=0.0 if rng.random() < 0.92 else rng.uniform(0.1, 0.5),
                   spelling=rng.random(), numbers=numbers, listing=listing)


def _draw_habits(persona: str, rng: random.Random, style: mf.Style,
                 only: str | None = None, conform: float = 0.0) -> mf.Style:
    """Habits drawn from the persona's tables (the usual one, first, with chance ``conform``)."""
    table = {**HABITS["plain"], **HABITS[persona]}
    changes = {name: options[0][1] if rng.random() < conform else pick(rng, options)
               for name, options in table.items() if only is None or name == only}
    style = mf.restyle(style, **changes)
    if style.paren == LEFT and only in (None, "paren", "outer"):
        style = mf.restyle(style, outer=pick(rng, [(0.7, LEFT), (0.3, (r"\left[", r"\right]"))]))
    return style


def answer_style(student: Student, rng: random.Random) -> mf.Style:
    if rng.random() < student.drift:
        table = {**HABITS["plain"], **HABITS[student.persona]}
        return _draw_habits(student.persona, rng, student.style, rng.choice(sorted(table)))
    return student.style


@dataclass(frozen=True)
class Rates:
    """What a student means, before typos: right, a usual mistake, a slip, an unknown name."""

    correct: float
    mistake: float
    slip: float
    foreign: float = 0.02
    typo: float = TYPO_RATE

    def draw(self, rng: random.Random, ability: float) -> str:
        right = min(0.95, max(0.05, self.correct + ability))
        rest = (1 - right) / (self.mistake + self.slip + self.foreign)
        return pick(rng, [(right, "correct"), (self.mistake * rest, "mistake"),
                          (self.slip * rest, "slip"), (self.foreign * rest, "foreign")])

    def intended(self) -> dict[str, float]:
        """The fraction of each label among the answers given (typos make answers invalid)."""
        rest = (1 - self.correct) / (self.mistake + self.slip + self.foreign)
        foreign = self.foreign * rest
        return {CORRECT: self.correct * (1 - self.typo),
                WRONG: (self.mistake + self.slip) * rest * (1 - self.typo),
                INVALID: foreign + (1 - foreign) * self.typo}


TYPOS: tuple[Callable[[str, random.Random], str | None], ...] = (
    lambda t, r: _drop_closer(t, r),
    lambda t, r: t + r.choice([")", "]"]),
    lambda t, r: t + r.choice([" +", "*", " -", "/"]),
    lambda t, r: _insert(t, r, r.choice([";", "?", "&", "#", "`", "!"])),
)


def _drop_closer(text: str, rng: random.Random) -> str | None:
    places = [i for i, ch in enumerate(text) if ch in ")]}"]
    if not places:
        return None
    i = rng.choice(places)
    return text[:i] + text[i + 1:]


def _insert(text: str, rng: random.Random, char: str) -> str:
    i = rng.randrange(len(text) + 1)
    return text[:i] + char + text[i:]


def typo(text: str, rng: random.Random) -> str:
    """A slip of the keyboard that makes the answer unreadable."""
    while True:
        spoilt = rng.choice(TYPOS)(text, rng)
        if spoilt is not None:
            return spoilt
