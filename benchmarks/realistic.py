"""Write a synthetic HW1 class that varies the way real classes do.

    python benchmarks/realistic.py 1000 /tmp/subs [--code] [--seed 1]

The model of student variation (rubrics/hw1.yaml):

* Each student has a **style**, drawn once: a persona (plain text 55 %, Python-like 10 %, LaTeX
  35 %) and within it one habit per dimension (spaces around ``+``, products written together,
  with ``*``, ``\\cdot``, ``·`` or ``@``; ``^T``, ``'``, ``.T``, ``^{T}``, ``^\\top``, ``ᵀ``;
  ``\\left(``; ``[ ]`` around brackets; ``\\frac`` or ``/``; ``e^{}`` or ``exp()``; Greek letters as
  words, Unicode or LaTeX; ``\\mathbf{}``/``\\vec{}``/``\\bar{}``; ``x_{i}``; ``$...$``; ``f'(x) =``
  in front). Each habit has a common choice and a tail of rarer ones, so most students write
  alike and few write exactly like anyone else. A student's **drift** re-draws one habit for an
  answer now and then, and their **sloppiness** (zero for most, heavy-tailed for the rest) adds
  or drops a space, doubles a bracket or inserts a LaTeX ``\\,`` per place.
* Each student has an **ability** that raises or lowers the chance of a right answer on every
  question together.
* For an expression question the student picks what they mean: one of the right base forms
  (``f(1-f)``, ``f - f^2``, ``e^{-x}/(1+e^{-x})^2``...), one of the usual mistakes (the rubric's
  and others), or a right form with one **slip** (a sign, a dropped term, a constant 2 or 1/2, a
  transpose put on or left off, two matrix factors swapped; ``mathforms.slip``), or a name the
  question does not know. The form is then **rewritten** without changing its meaning (sums
  reordered, a scalar factor moved, ``f`` spelt ``f(x)`` or ``σ(x)``, redundant brackets) and
  spelt in the student's style (``mathforms.Renderer``). A **typo** that breaks reading (an
  unclosed or extra bracket, a stray character, a dangling operator) spoils a few answers.
* Iterates: the true iterates in the student's number format (``87.5``, ``87.50``, ``175/2``,
  ``\\frac{175}{2}``, Unicode minus) and list format (a YAML list, or one text with commas or
  semicolons); slips: one arithmetic slip carried forward (follow-through), the update's sign
  wrong, a value rounded, the last one missing, an unreadable value; some start with w0.
* Intervals, shapes and the choice question: the same idea with their own spellings
  (``0 < α < 2``, ``\\alpha \\in (0, 2)``, ``]0, 2[``; ``n x 1``, ``(n, 1)``, ``n \\times 1``;
  ``Oscillates.``) and slips (an endpoint closed, a bound off, a swapped shape, a misspelling).
* 4 % of answers are missing (left out, empty or ``null``) and 1 % of files are broken.

Every answer carries the label the model intends (``correct``, ``wrong``: incorrect or partial,
``invalid``); ``tests/benchmarks`` grades a class and checks the grader agrees. Deterministic for
a seed, and student i is the same in every class size. Distinct texts per expression question
(seed 1): 187-370 at 1,000 students, 320-832 at 3,000, 686-2,153 at 10,000, 1,361-5,481 at 30,000
(the short ``-f_i f_j`` has the fewest, ``(w^T x - y) x`` the most); iterates 211-259 at 1,000.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from pathlib import Path
from collections.abc import Iterable, Sequence
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

import mathforms as mf  # noqa: E402
from students import (CORRECT, INVALID, LEFT, TYPO_RATE, WRONG, Rates, Student, Table,  # noqa: E402
                      answer_style, draw_student, pick, typo)

MISSING_RATE = 0.04
BROKEN_FILES = 0.01


# -- the questions ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Expression:
    correct: Table[str]
    mistakes: Table[str]
    foreign: Sequence[str]
    rates: Rates
    shapes: dict[str, mf.Shape] = field(default_factory=dict)
    functions: frozenset[str] = frozenset()
    spellings: Table[dict[str, str]] = ((1.0, {}),)
    lhs: Sequence[str] = ()


V1, N1 = ("n", 1), ("m", 1)
EXPRESSIONS: dict[str, Expression] = {
    "q1.sigmoid": Expression(
        correct=[(0.5, "f*(1-f)"), (0.1, "f - f^2"), (0.2, "exp(-x)/(1+exp(-x))^2"),
                 (0.06, "exp(x)/(1+exp(x))^2"), (0.06, "1/(1+exp(-x))*(1 - 1/(1+exp(-x)))"),
                 (0.04, "exp(-x)*(1+exp(-x))^(-2)")],
        mistakes=[(0.35, "f*(1+f)"), (0.2, "-f*(1-f)"), (0.2, "exp(-x)/(1+exp(-x))"),
                  (0.1, "f + f^2"), (0.1, "exp(-x)"), (0.05, "-exp(-x)/(1+exp(-x))^2")],
        foreign=["y*(1-y)", "s*(1-s)", "f'(x)", "df/dx"],
        rates=Rates(0.58, 0.28, 0.09), functions=frozenset({"f"}),
        spellings=[(0.62, {}), (0.25, {"f": "f(x)"}), (0.13, {"f": "sigmoid(x)"})],
        lhs=["f'(x) = ", "df/dx = ", r"\frac{df}{dx} = ", "σ'(x) = "]),
    "q1.softmax_diag": Expression(
        correct=[(0.7, "f_i*(1-f_i)"), (0.2, "f_i - f_i^2"), (0.1, "f_i*(1-f_i)")],
        mistakes=[(0.4, "f_i*(1+f_i)"), (0.25, "-f_i^2"), (0.2, "f_i"), (0.15, "-f_i*f_j")],
        foreign=["f_k*(1-f_k)", "p_i*(1-p_i)", "softmax"],
        rates=Rates(0.6, 0.302, 0.078), functions=frozenset({"f"}),
        spellings=[(0.7, {}), (0.3, {"f_i": "f(x_i)", "f_j": "f(x_j)"})],
        lhs=[r"\frac{\partial f_i}{\partial x_i} = ", "df_i/dx_i = "]),
    "q1.softmax_offdiag": Expression(
        correct=[(0.8, "-f_i*f_j"), (0.2, "-f_j*f_i")],
        mistakes=[(0.45, "f_i*f_j"), (0.25, "f_j*(1-f_j)"), (0.15, "-f_i"), (0.15, "0")],
        foreign=["-f_i*f_k", "-p_i*p_j"],
        rates=Rates(0.6, 0.32, 0.06), functions=frozenset({"f"}),
        spellings=[(0.7, {}), (0.3, {"f_i": "f(x_i)", "f_j": "f(x_j)"})],
        lhs=[r"\frac{\partial f_i}{\partial x_j} = "]),
    "q1.softmax_jacobian": Expression(
        correct=[(0.85, "diag(f) - f*f^T"), (0.15, "diag(f) - f*f^T")],
        mistakes=[(0.35, "f*f^T - diag(f)"), (0.25, "diag(f) + f*f^T"), (0.2, "diag(f)"),
                  (0.2, "diag(f) - f^T*f")],
        foreign=["I - f*f^T", "diag(p) - p*p^T", "J"],
        rates=Rates(0.55, 0.352, 0.078), shapes={"f": V1},
        lhs=["J = ", r"\frac{\partial f}{\partial x} = "]),
    "q1.softplus": Expression(
        correct=[(0.55, "sigmoid(beta*x)"), (0.2, "1/(1+exp(-beta*x))"),
                 (0.18, "exp(beta*x)/(1+exp(beta*x))"),
                 (0.07, "(1/beta)*beta*exp(beta*x)/(1+exp(beta*x))")],
        mistakes=[(0.3, "sigmoid(beta*x)/beta"), (0.25, "beta*sigmoid(beta*x)"),
                  (0.2, "1/(1+exp(beta*x))"), (0.15, "sigmoid(x)"),
                  (0.1, "exp(beta*x)/(1+exp(beta*x))/beta")],
        foreign=["sigmoid(b*x)", "softplus'"],
        rates=Rates(0.55, 0.34, 0.09),
        lhs=["f'(x) = ", r"\frac{d}{dx} = "]),
    "q2.quadratic": Expression(
        correct=[(0.55, "(A + A^T)*x + z"), (0.3, "A*x + A^T*x + z"), (0.15, "z + (A + A^T)*x")],
        mistakes=[(0.35, "2*A*x + z"), (0.2, "x^T*(A + A^T) + z^T"), (0.15, "(A + A^T)*x"),
                  (0.15, "A*x + z"), (0.15, "2*A*x")],
        foreign=["(A + A^T)*x + b", "(A + B)*x + z"],
        rates=Rates(0.5, 0.39, 0.09), shapes={"A": ("n", "n"), "x": V1, "z": V1},
        lhs=[r"\nabla_x = ", r"\frac{\partial}{\partial x} = "]),
    "q2.l2_single": Expression(
        correct=[(0.6, "(w^T*x - y)*x"), (0.15, "(x^T*w - y)*x"), (0.15, "x*x^T*w - y*x"),
                 (0.1, "x*(w^T*x - y)")],
        mistakes=[(0.3, "(w^T*x - y)*x^T"), (0.3, "2*(w^T*x - y)*x"), (0.2, "(w^T*x - y)*w"),
                  (0.2, "(w^T*x - y)")],
        foreign=["(w^T*x - y)*z", "(w^T*x_i - y_i)*x_i"],
        rates=Rates(0.55, 0.34, 0.09), shapes={"w": V1, "x": V1},
        spellings=[(0.85, {}), (0.15, {"w": "omega"})],
        lhs=[r"\nabla_w = ", r"\frac{\partial L}{\partial w} = ", "dL/dw = "]),
    "q2.l2_multi": Expression(
        correct=[(0.65, "X^T*(X*w - y)"), (0.25, "X^T*X*w - X^T*y"), (0.1, "-X^T*y + X^T*X*w")],
        mistakes=[(0.3, "(X*w - y)^T*X"), (0.3, "2*X^T*(X*w - y)"), (0.2, "X*(X*w - y)"),
                  (0.2, "X^T*(X*w + y)")],
        foreign=["X^T*(X*w - b)", "A^T*(A*w - y)"],
        rates=Rates(0.55, 0.34, 0.09), shapes={"X": ("n", "m"), "w": N1, "y": V1},
        lhs=[r"\nabla_w L = ", r"\frac{\partial L}{\partial w} = "]),
    "q3.linear": Expression(
        correct=[(0.7, "2*(W*x + b - y)*x^T"), (0.2, "2*W*x*x^T + 2*(b - y)*x^T"),
                 (0.1, "2*(W*x*x^T + b*x^T - y*x^T)")],
        mistakes=[(0.35, "(W*x + b - y)*x^T"), (0.25, "2*x*(W*x + b - y)^T"),
                  (0.2, "2*(W*x + b - y)*x"), (0.2, "2*(W*x + b - y)")],
        foreign=["2*(W*x + b - y)*z^T", "2*(W*x + c - y)*x^T"],
        rates=Rates(0.5, 0.39, 0.09),
        shapes={"W": ("m", "n"), "x": V1, "b": N1, "y": N1},
        lhs=[r"\nabla_W = ", r"\frac{\partial L}{\partial W} = "]),
}


@cache
def _tree(question: str, text: str) -> mf.Node:
    return mf.parse(text, EXPRESSIONS[question].functions)


def expression_answer(question: str, student: Student, rng: random.Random) -> tuple[str, str]:
    spec = EXPRESSIONS[question]
    meaning = spec.rates.draw(rng, student.ability)
    style = answer_style(student, rng)
    render = mf.Renderer(style, rng, spec.shapes)
    if meaning == "foreign":
        raw = rng.choice(spec.foreign)
        return (raw if "'" in raw else render(mf.parse(raw, spec.functions))), INVALID
    tree = _tree(question, pick(rng, spec.mistakes if meaning == "mistake" else spec.correct))
    if meaning == "slip":
        tree, _ = mf.slip(tree, rng, spec.shapes)
    shuffle = 0.05 + style.sloppiness
    tree = mf.rewrite(tree, rng, spec.shapes, shuffle, style.sloppiness / 2)
    spelling = pick(student.spelling, spec.spellings)
    if spelling:
        tree = mf.substitute(tree, {k: _tree(question, v) for k, v in spelling.items()})
    text = render(tree)
    if rng.random() < style.sloppiness / 4:
        text = render.group(text)
    label = CORRECT if meaning == "correct" else WRONG
    if rng.random() < TYPO_RATE:
        text, label = typo(text, rng), INVALID
    if spec.lhs and rng.random() < student.lhs:
        text = rng.choice(spec.lhs) + text
    if student.dollars:
        text = f"${text}$"
    return text, label


# -- iterates -----------------------------------------------------------------------------------
ITERATES = {"q4.iterates_a05": (Fraction(1, 2), 4), "q4.iterates_a15": (Fraction(3, 2), 5),
            "q4.iterates_a25": (Fraction(5, 2), 4)}
TARGET = Fraction(100)  # L(w) = (w x - y)^2 / 2 with x = 1, y = 100, w0 = 0
ITERATE_RATES = Rates(0.62, 0.0, 0.38, 0.0, typo=0.0)  # a slip of the keyboard is a slip


def descend(alpha: Fraction, start: Fraction, steps: int, sign: int = 1) -> list[Fraction]:
    values, w = [], start
    for _ in range(steps):
        w = w - sign * alpha * (w - TARGET)
        values.append(w)
    return values


def number_text(value: Fraction, how: str, rng: random.Random) -> str:
    minus = "−" if value < 0 and rng.random() < 0.03 else "-"
    sign, value = (minus if value < 0 else ""), abs(value)
    if value.denominator == 1:
        whole = str(value.numerator)
        return sign + (whole + ".0" if how == "padded" and rng.random() < 0.3 else whole)
    if how == "fraction":
        return f"{sign}{value.numerator}/{value.denominator}"
    if how == "latex":
        return f"{sign}\\frac{{{value.numerator}}}{{{value.denominator}}}"
    text = _decimal(value)
    return sign + (text + "0" if how == "padded" else text)


def _decimal(value: Fraction) -> str:
    whole, rest = divmod(value.numerator, value.denominator)
    digits = ""
    while rest and len(digits) < 8:
        rest *= 10
        digit, rest = divmod(rest, value.denominator)
        digits += str(digit)
    return f"{whole}.{digits}" if digits else str(whole)


def iterates_answer(question: str, student: Student, rng: random.Random) -> tuple[Any, str]:
    alpha, steps = ITERATES[question]
    values = descend(alpha, Fraction(0), steps)
    if ITERATE_RATES.draw(rng, student.ability) == "correct":
        if rng.random() < 0.05:
            values = [Fraction(0)] + values  # w0 first: read as the start
        return _listing([number_text(v, student.numbers, rng) for v in values], student), CORRECT
    slip = pick(rng, [(0.5, "arithmetic"), (0.15, "sign"), (0.12, "rounded"), (0.13, "short"),
                      (0.1, "unreadable")])
    if slip == "arithmetic":  # one wrong step, the rest done right from it (follow-through)
        k = rng.randrange(1, steps) if rng.random() < 0.85 else 0
        off = pick(rng, [(0.3, Fraction(rng.choice([1, 5, 10, 25]))),
                         (0.3, Fraction(-rng.choice([1, 5, 10, 25]))),
                         (0.2, Fraction(rng.choice([-1, 1]), 2)),
                         (0.2, values[k] * rng.choice([-2, 1]))])
        values = values[:k] + [values[k] + off] + descend(alpha, values[k] + off, steps - k - 1)
    elif slip == "sign":  # w + α L'(w): every step wrong
        values = descend(alpha, Fraction(0), steps, sign=-1)
    elif slip == "rounded":  # 93.75 given as 93.8
        i = rng.choice([i for i, v in enumerate(values) if v.denominator > 2])
        values[i] = Fraction(round(values[i] * 10), 10)
    elif slip == "short":
        values = values[:-1]
    texts = [number_text(v, student.numbers, rng) for v in values]
    if slip == "unreadable":  # a decimal comma, a stray character
        i = rng.randrange(len(texts))
        texts[i] = texts[i].replace(".", ",") if "." in texts[i] else \
            texts[i] + "?"
    return _listing(texts, student), WRONG


def _listing(texts: list[str], student: Student) -> Any:
    return texts if student.listing == "list" else student.listing.join(texts)


# -- intervals, shapes, choices -------------------------------------------------------------------
INTERVAL_RATES = Rates(0.55, 0.2, 0.2, 0.03)
SHAPES = {"q2.quadratic_shape": ("n", "1"), "q2.l2_multi_shape": ("m", "1"),
          "q3.linear_shape": ("m", "n")}
SHAPE_RATES = Rates(0.8, 0.12, 0.0, 0.05, typo=TYPO_RATE / 2)
CHOICE_RATES = Rates(0.6, 0.33, 0.0, 0.02, typo=TYPO_RATE * 2)


def _variable(student: Student, rng: random.Random) -> str:
    name = pick(rng, [(0.9, "alpha"), (0.07, "eta"), (0.03, "a")])
    if name == "a":
        return "a"
    style = student.style
    if style.latex:
        return mf.GREEK[name][1]
    return name if style.greek == "word" else mf.GREEK[name][0]


def interval_answer(student: Student, rng: random.Random) -> tuple[str, str]:
    meaning = INTERVAL_RATES.draw(rng, student.ability)
    if meaning == "foreign":
        return rng.choice(["0 < beta < 2", "0 < w < 2", "α < 2/λ", "0<lr<2"]), INVALID
    lo, hi, closed = "0", "2", [False, False]
    label = CORRECT
    if meaning == "correct" and rng.random() < 0.08:
        hi = rng.choice(["2/x^2", "2.0", r"\frac{2}{x^2}" if student.style.latex else "2/x"])
    elif meaning != "correct":
        label = WRONG
        change = pick(rng, [(0.45, "closed"), (0.3, "bound"), (0.25, "one-sided")])
        if change == "closed":
            closed = rng.choice([[True, False], [False, True], [True, True]])
        elif change == "bound":
            hi = rng.choice(["1", "4", "1.5", "0.5", "3"])
        else:
            lo = rng.choice([r"-\infty" if student.style.latex else "-inf", None])
            hi = rng.choice(["2", "1"]) if lo is None else "2"
    var = _variable(student, rng)
    s = student.style
    sp = s.op_space if rng.random() >= s.sloppiness else ("" if s.op_space else " ")
    comma = rng.choice([", ", ","]) if rng.random() < 0.3 else (", " if sp else ",")
    less = [("<=" if c else "<") for c in closed]
    if s.latex:  # a space ends a LaTeX command: \le a, never \lea
        less = [(rng.choice([r"\le ", r"\leq "]) if c else "<") for c in closed]
    elif rng.random() < 0.3:
        less = [("≤" if c else "<") for c in closed]
    if lo is None:
        text = f"{var}{sp}{less[1]}{sp}{hi}"
    else:
        form = pick(rng, [(0.45, "brackets"), (0.35, "chain"), (0.1, "member"), (0.05, "reversed"),
                          (0.05, "and")])
        left = "[" if closed[0] else pick(rng, [(0.92, "("), (0.08, "]")])
        right = "]" if closed[1] else (")" if left != "]" else "[")
        if s.paren == LEFT and left + right == "()":
            left, right = r"\left(", r"\right)"
        brackets = f"{left}{lo}{comma}{hi}{right}"
        more = [(">=" if c else ">") for c in closed]
        if s.latex:
            more = [(r"\geq " if c else ">") for c in closed]
        joiner = r" \text{ and } " if s.latex else " and "
        member = r" \in " if s.latex else rng.choice([" in ", " ∈ "])
        text = {"brackets": brackets, "chain": f"{lo}{sp}{less[0]}{sp}{var}{sp}{less[1]}{sp}{hi}",
                "member": f"{var}{member}{brackets}",
                "reversed": f"{hi}{sp}{more[1]}{sp}{var}{sp}{more[0]}{sp}{lo}",
                "and": f"{var}{sp}{more[0]}{sp}{lo}{joiner}{var}{sp}{less[1]}{sp}{hi}"}[form]
    if rng.random() < TYPO_RATE:
        return typo(text, rng), INVALID
    return (f"${text}$" if student.dollars else text), label


def shape_answer(question: str, student: Student, rng: random.Random) -> tuple[str, str]:
    meaning = SHAPE_RATES.draw(rng, student.ability)
    rows, cols = SHAPES[question]
    if meaning == "foreign":
        return rng.choice([rows, "column vector", f"{rows} x", "vector", f"\\mathbb{{R}}^{rows}"]), INVALID
    label = CORRECT
    if meaning != "correct":
        label = WRONG
        other = {"n": "m", "m": "n"}
        rows, cols = pick(rng, [(0.6, (cols, rows)), (0.2, (rows, rows)),
                                (0.2, (other[rows], cols))])
    s = student.style
    if s.latex:
        form = pick(rng, [(0.55, "times"), (0.2, "tuple"), (0.15, "mathbb"), (0.1, "x")])
    else:
        form = pick(rng, [(0.6, "x"), (0.25, "tuple"), (0.1, "×"), (0.05, "by")])
    sp = " " if rng.random() < 0.75 else ""
    if form == "x":
        text = f"{rows}{sp}{rng.choice(['x', 'x', 'x', 'X'])}{sp}{cols}"
    elif form == "×":
        text = f"{rows}{sp}×{sp}{cols}"
    elif form == "by":
        text = rng.choice([f"{rows} by {cols}", f"{rows}-by-{cols}"])
    elif form == "tuple":
        left, right = rng.choice([("(", ")"), ("(", ")"), ("[", "]")])
        text = f"{left}{rows},{sp}{cols}{right}"
    elif form == "times":
        text = f"{rows} \\times {cols}" if sp else f"{rows}\\times {cols}"
    else:
        text = f"\\mathbb{{R}}^{{{rows} \\times {cols}}}"
    if rng.random() < SHAPE_RATES.typo:
        return text + rng.choice([")", "?"]), INVALID
    return (f"${text}$" if student.dollars and form in ("times", "mathbb") else text), label


CHOICES = {"oscillates": [(0.7, "oscillates"), (0.1, "oscillating"), (0.05, "oscillate"),
                          (0.05, "it oscillates"), (0.04, "oscillates forever"),
                          (0.03, "bounces back and forth"), (0.03, "neither converges nor diverges")],
           "diverges": [(0.8, "diverges"), (0.1, "diverge"), (0.1, "blows up")],
           "converges": [(0.85, "converges"), (0.15, "converge")],
           "stays": [(0.8, "stays"), (0.2, "does not move")]}
KNOWN_WORDS = {w.casefold() for table in CHOICES.values() for _, w in table} | \
    {"oscillating", "diverging", "converging", "stay", "bounces", "alternates", "stuck",
     "explodes", "stays put", "doesn't move"}


def choice_answer(student: Student, rng: random.Random) -> tuple[str, str]:
    meaning = CHOICE_RATES.draw(rng, student.ability)
    if meaning == "foreign":
        return rng.choice(["?", "not sure", "both", "oscillates between 0 and 200"]), INVALID
    word = pick(rng, CHOICES["oscillates"] if meaning == "correct" else
                pick(rng, [(0.7, CHOICES["diverges"]), (0.2, CHOICES["converges"]),
                           (0.1, CHOICES["stays"])]))
    label = CORRECT if meaning == "correct" else WRONG
    if rng.random() < CHOICE_RATES.typo:
        spoilt = _misspell(word, rng)
        if spoilt.casefold() not in KNOWN_WORDS:
            word, label = spoilt, INVALID
    case = pick(rng, [(0.72, str), (0.25, str.capitalize), (0.03, str.upper)])
    return case(word) + pick(rng, [(0.88, ""), (0.1, "."), (0.02, "!")]), label


def _misspell(word: str, rng: random.Random) -> str:
    """A letter dropped, doubled or swapped with the next one (never a space)."""
    i = rng.choice([i for i in range(1, len(word) - 1) if word[i:i + 2].isalpha()])
    how = rng.choice(["drop", "double", "swap"])
    if how == "drop":
        return word[:i] + word[i + 1:]
    if how == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2:]


# -- the class ------------------------------------------------------------------------------------
QUESTIONS = ["q1.sigmoid", "q1.softmax_diag", "q1.softmax_offdiag", "q1.softmax_jacobian",
             "q1.softplus", "q2.quadratic", "q2.quadratic_shape", "q2.l2_single", "q2.l2_multi",
             "q2.l2_multi_shape", "q3.linear", "q3.linear_shape", "q4.boundary_a2",
             "q4.iterates_a05", "q4.iterates_a15", "q4.iterates_a25", "q4.converge_range"]


def answer(question: str, student: Student, rng: random.Random) -> tuple[Any, str]:
    """One answer and the label the model intends for it."""
    if question in EXPRESSIONS:
        return expression_answer(question, student, rng)
    if question in ITERATES:
        return iterates_answer(question, student, rng)
    if question in SHAPES:
        return shape_answer(question, student, rng)
    if question == "q4.boundary_a2":
        return choice_answer(student, rng)
    return interval_answer(student, rng)


def intended(question: str) -> dict[str, float]:
    """The fraction of each label the model intends among the answers given."""
    if question in EXPRESSIONS:
        return EXPRESSIONS[question].rates.intended()
    rates = {**{q: ITERATE_RATES for q in ITERATES}, **{q: SHAPE_RATES for q in SHAPES},
             "q4.boundary_a2": CHOICE_RATES, "q4.converge_range": INTERVAL_RATES}[question]
    return rates.intended()


@dataclass(frozen=True)
class Generated:
    """One student's file: the answers and the labels the model intends (``broken``: the text of
    a file that cannot be read)."""

    student: str
    answers: dict[str, Any]
    labels: dict[str, str]
    broken: str | None = None


BROKEN = ["", "answers: [unclosed\n", "- a list\n", "answers:\n\tq1.sigmoid: f(1-f)\n",
          "answers: f(1-f)\n", "q1.sigmoid = f(1-f)\n"]


def make_student(index: int, seed: int) -> Generated:
    rng = random.Random(f"{seed}/{index}")
    name = f"s{index:05d}"
    if rng.random() < BROKEN_FILES:
        return Generated(name, {}, {}, rng.choice(BROKEN))
    student = draw_student(rng)
    answers: dict[str, Any] = {}
    labels: dict[str, str] = {}
    for question in QUESTIONS:
        if rng.random() < MISSING_RATE:
            blank = pick(rng, [(0.8, None), (0.1, ""), (0.1, "null")])
            if blank is not None:
                answers[question] = blank
            continue
        answers[question], labels[question] = answer(question, student, rng)
    return Generated(name, answers, labels)


def make_class(count: int, seed: int = 1) -> list[Generated]:
    return [make_student(i, seed) for i in range(count)]


def answer_key(value: Any) -> str:
    """The grader's notion of the same answer (``pipeline.answer_key``)."""
    return value.strip() if isinstance(value, str) else json.dumps(value, sort_keys=True,
                                                                    ensure_ascii=False)


def distinct_counts(answer_maps: Iterable[dict[str, Any]]) -> dict[str, int]:
    """Distinct answer texts per question (blank answers left out)."""
    seen: dict[str, set[str]] = defaultdict(set)
    for answers in answer_maps:
        for question, value in answers.items():
            if value is not None and value != [] and answer_key(value) not in ("", "null", "~"):
                seen[question].add(answer_key(value))
    return {q: len(seen[q]) for q in sorted(seen)}


_DUMPER = getattr(yaml, "CSafeDumper", yaml.SafeDumper)


def write_class(students: Sequence[Generated], out: Path, code: bool = False, seed: int = 1) -> None:
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    templates = [p.read_text() for p in sorted((REPO / "submissions" / "hw1").glob("*.py"))
                 if p.stem in ("alice", "carol", "dave")]
    rng = random.Random(f"{seed}/code")
    for generated in students:
        path = out / f"{generated.student}.yaml"
        if generated.broken is not None:
            path.write_text(generated.broken)
        else:
            path.write_text(yaml.dump({"answers": generated.answers}, Dumper=_DUMPER,
                                      allow_unicode=True, sort_keys=False, width=1000))
        if code:
            source = pick(rng, list(zip([0.6, 0.25, 0.15], templates)))
            # Each file differs (identical files are run once, which would flatter the figure).
            (out / f"{generated.student}.py").write_text(f"# {generated.student}\n{source}")


def generate(count: int, out: Path, code: bool = False, seed: int = 1) -> list[Generated]:
    """Write ``count`` students to ``out`` (replaced); returns what was written."""
    students = make_class(count, seed)
    write_class(students, out, code, seed)
    return students


def describe(counts: dict[str, int]) -> str:
    expressions = [counts[q] for q in EXPRESSIONS if q in counts]
    lines = [f"  {q:22} {n:6}" for q, n in counts.items()]
    return "\n".join(lines + [f"  expression questions: {min(expressions)}-{max(expressions)} distinct"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--code", action="store_true", help="also write .py files for the programming part")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    students = generate(args.count, args.out, args.code, args.seed)
    print(f"{args.count} students written to {args.out}; distinct texts per question:")
    print(describe(distinct_counts(s.answers for s in students)))


if __name__ == "__main__":
    main()
