"""A small grammar of how students write one formula, for the realistic class generator.

A base form is written once in a canonical notation (``(A + A^T)*x + z``: explicit ``*``, ``^T``
for a transpose) and parsed into a tiny tree. Three kinds of change are then applied to the tree:

* rewrites that keep the meaning (``rewrite``): sums in another order, a scalar factor moved to
  the other side of a product, redundant brackets;
* slips that change it (``slip``): one sign flipped, one term dropped, a constant factor off
  (``2`` added, a ``1/2`` added, a ``2`` lost), a transpose put on or taken off a vector or
  matrix, two matrix factors swapped;
* spelling (``Renderer``): a student's ``Style`` (plain, Python-like or LaTeX, and within each:
  spaces, explicit ``*``/``\\cdot``/``@``, ``^T``/``'``/``.T``/``^\\top``, ``\\left(``, ``\\frac``,
  ``e^{}`` or ``exp()``, Greek as a word, in Unicode or LaTeX, ``\\mathbf{}``...) plus noise
  drawn per answer (a space added or lost, a bracket doubled).

Shapes are tracked (``shape``) so that products of matrices are never reordered, and slips that
would leave the meaning unchanged (the transpose of a scalar) are not offered.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field, replace
from typing import Union

# -- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sym:
    name: str


@dataclass(frozen=True)
class Num:
    text: str


@dataclass(frozen=True)
class Add:
    terms: tuple[tuple[int, "Node"], ...]  # (sign, term), sign +1 or -1


@dataclass(frozen=True)
class Mul:
    factors: tuple["Node", ...]


@dataclass(frozen=True)
class Div:
    num: "Node"
    den: "Node"


@dataclass(frozen=True)
class Pow:
    base: "Node"
    exp: "Node"


@dataclass(frozen=True)
class T:
    arg: "Node"


@dataclass(frozen=True)
class Call:
    fn: str
    args: tuple["Node", ...]


@dataclass(frozen=True)
class Neg:
    arg: "Node"


@dataclass(frozen=True)
class Paren:
    """A bracket the student wrote although nothing needed it."""

    arg: "Node"


Node = Union[Sym, Num, Add, Mul, Div, Pow, T, Call, Neg, Paren]

#: Functions of the canonical notation (a question's own functions are passed to ``parse``).
FUNCTIONS = frozenset({"exp", "log", "sigmoid", "diag"})

# -- reading the canonical notation ---------------------------------------------------------------
_TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([A-Za-z][A-Za-z0-9_]*)|(\S))")


def parse(text: str, functions: frozenset[str] = frozenset()) -> Node:
    """The tree of a canonical form (ours, never a student's): ``+ - * / ^ ^T ( )`` and calls."""
    tokens = [m.group(1) or m.group(2) or m.group(3) for m in _TOKEN.finditer(text)]
    calls = FUNCTIONS | functions
    pos = 0

    def peek() -> str | None:
        return tokens[pos] if pos < len(tokens) else None

    def take(expected: str | None = None) -> str:
        nonlocal pos
        token = tokens[pos]
        if expected is not None and token != expected:
            raise ValueError(f"{text!r}: expected {expected!r} at token {pos}, found {token!r}")
        pos += 1
        return token

    def expr() -> Node:
        terms: list[tuple[int, Node]] = []
        sign = 1
        if peek() == "-":
            take()
            sign = -1
        terms.append((sign, term()))
        while peek() in ("+", "-"):
            terms.append((1 if take() == "+" else -1, term()))
        if len(terms) == 1:
            sign, only = terms[0]
            return only if sign > 0 else Neg(only)
        return Add(tuple(terms))

    def term() -> Node:
        factors = [unary()]
        while peek() in ("*", "/"):
            if take() == "*":
                factors.append(unary())
            else:
                factors = [Div(_mul(factors), unary())]
        return _mul(factors)

    def unary() -> Node:
        if peek() == "-":
            take()
            return Neg(unary())
        return power()

    def power() -> Node:
        base = atom()
        while peek() == "^":
            take()
            if peek() == "T":
                take()
                base = T(base)
            else:
                base = Pow(base, unary())
        return base

    def atom() -> Node:
        token = take()
        if token == "(":
            inner = expr()
            take(")")
            return inner
        if token[0].isdigit():
            return Num(token)
        if token in calls and peek() == "(":
            take("(")
            args = [expr()]
            while peek() == ",":
                take()
                args.append(expr())
            take(")")
            return Call(token, tuple(args))
        return Sym(token)

    tree = expr()
    if pos != len(tokens):
        raise ValueError(f"{text!r}: unexpected {tokens[pos]!r}")
    return tree


def _mul(factors: list[Node]) -> Node:
    flat: list[Node] = []
    for factor in factors:
        flat.extend(factor.factors if isinstance(factor, Mul) else (factor,))
    return flat[0] if len(flat) == 1 else Mul(tuple(flat))


# -- shapes -------------------------------------------------------------------------------------
Shape = tuple[object, object]
SCALAR: Shape = (1, 1)


def shape(node: Node, shapes: dict[str, Shape]) -> Shape:
    """The shape of ``node`` (a 1 x 1 factor multiplies anything, as in the answer language)."""
    if isinstance(node, Sym):
        return shapes.get(node.name, SCALAR)
    if isinstance(node, Num):
        return SCALAR
    if isinstance(node, (Neg, Paren)):
        return shape(node.arg, shapes)
    if isinstance(node, T):
        rows, cols = shape(node.arg, shapes)
        return (cols, rows)
    if isinstance(node, Add):
        found = [shape(t, shapes) for _, t in node.terms]
        return next((s for s in found if s != SCALAR), SCALAR)
    if isinstance(node, Mul):
        result = SCALAR
        for factor in node.factors:
            current = shape(factor, shapes)
            if result == SCALAR:
                result = current
            elif current != SCALAR:
                result = (result[0], current[1])
        return result
    if isinstance(node, Div):
        return shape(node.num, shapes)
    if isinstance(node, Pow):
        return shape(node.base, shapes)
    if isinstance(node, Call):
        inner = shape(node.args[0], shapes)
        return (inner[0], inner[0]) if node.fn == "diag" else inner
    raise TypeError(node)


# -- walking and replacing --------------------------------------------------------------------
def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Add):
        return tuple(t for _, t in node.terms)
    if isinstance(node, Mul):
        return node.factors
    if isinstance(node, Div):
        return (node.num, node.den)
    if isinstance(node, Pow):
        return (node.base, node.exp)
    if isinstance(node, Call):
        return node.args
    if isinstance(node, (T, Neg, Paren)):
        return (node.arg,)
    return ()


def rebuild(node: Node, kids: tuple[Node, ...]) -> Node:
    if isinstance(node, Add):
        return Add(tuple((s, k) for (s, _), k in zip(node.terms, kids)))
    if isinstance(node, Mul):
        return Mul(kids)
    if isinstance(node, Div):
        return Div(*kids)
    if isinstance(node, Pow):
        return Pow(*kids)
    if isinstance(node, Call):
        return Call(node.fn, kids)
    if isinstance(node, (T, Neg, Paren)):
        return type(node)(kids[0])
    return node


def paths(node: Node, path: tuple[int, ...] = (), inside: tuple[str, ...] = ()):
    """(path, node, names of the calls around it) for every node, parents first."""
    yield path, node, inside
    around = inside + ((node.fn,) if isinstance(node, Call) else ())
    for index, kid in enumerate(children(node)):
        yield from paths(kid, path + (index,), around)


def at(node: Node, path: tuple[int, ...]) -> Node:
    for index in path:
        node = children(node)[index]
    return node


def put(node: Node, path: tuple[int, ...], new: Node) -> Node:
    if not path:
        return new
    kids = list(children(node))
    kids[path[0]] = put(kids[path[0]], path[1:], new)
    return rebuild(node, tuple(kids))


def substitute(node: Node, names: dict[str, Node]) -> Node:
    """Every ``Sym`` named in ``names`` replaced by its tree (``f`` → ``f(x)``)."""
    if isinstance(node, Sym):
        return names.get(node.name, node)
    kids = children(node)
    return rebuild(node, tuple(substitute(k, names) for k in kids)) if kids else node


# -- rewrites that keep the meaning -------------------------------------------------------------
def rewrite(node: Node, rng: random.Random, shapes: dict[str, Shape], shuffle: float,
            brackets: float) -> Node:
    """Sums reordered and scalar factors moved (each with probability ``shuffle`` per place),
    redundant brackets (probability ``brackets`` per place where students put them)."""
    kids = tuple(rewrite(k, rng, shapes, shuffle, brackets) for k in children(node))
    node = rebuild(node, kids) if kids else node
    if isinstance(node, Add) and rng.random() < shuffle:
        terms = list(node.terms)
        rng.shuffle(terms)
        node = Add(tuple(terms))
    if isinstance(node, Add) and rng.random() < brackets:
        # (A x) + (A^T x) + z: brackets around the products of a sum
        node = Add(tuple((s, Paren(t) if isinstance(t, (Mul, Pow, T)) else t)
                         for s, t in node.terms))
    if isinstance(node, Mul) and rng.random() < shuffle:
        node = _move_scalar(node, rng, shapes)
    if isinstance(node, Mul) and rng.random() < brackets:
        # (X^T)(X w - y): a transposed or called factor in its own brackets
        index = rng.randrange(len(node.factors))
        if isinstance(node.factors[index], (T, Call, Pow)):
            node = Mul(node.factors[:index] + (Paren(node.factors[index]),)
                       + node.factors[index + 1:])
    return node


def _move_scalar(node: Mul, rng: random.Random, shapes: dict[str, Shape]) -> Node:
    """A scalar factor (not a number: students keep those in front) moved to the other end."""
    factors = list(node.factors)
    movable = [i for i, f in enumerate(factors)
               if not _number(f) and shape(f, shapes) == SCALAR]
    if not movable:
        return node
    if len(movable) == len(factors):  # all scalars: any order
        numbers = [f for f in factors if _number(f)]
        rest = [f for f in factors if not _number(f)]
        rng.shuffle(rest)
        return Mul(tuple(numbers + rest))
    index = rng.choice(movable)
    factor = factors.pop(index)
    lead = 0
    while lead < len(factors) and _number(factors[lead]):
        lead += 1
    factors.insert(len(factors) if index <= lead else lead, factor)
    return Mul(tuple(factors))


def _number(node: Node) -> bool:
    return isinstance(node, Num) or isinstance(node, Div) and _number(node.num) and _number(node.den)


# -- slips that change the meaning ---------------------------------------------------------------
SLIPS = ("sign", "drop", "constant", "transpose", "swap")


def slip(node: Node, rng: random.Random, shapes: dict[str, Shape]) -> tuple[Node, str]:
    """One slip applied to ``node`` (a right answer): the new tree and the slip's name."""
    kinds = [k for k in SLIPS if _slip_places(k, node, shapes)]
    kind = rng.choice(kinds)
    path, target = rng.choice(_slip_places(kind, node, shapes))
    if kind == "sign":
        if isinstance(target, Neg):
            return put(node, path, target.arg), kind
        if isinstance(target, Add):
            terms = list(target.terms)
            i = rng.randrange(len(terms))
            terms[i] = (-terms[i][0], terms[i][1])
            return put(node, path, Add(tuple(terms))), kind
        return put(node, path, Neg(target)), kind
    if kind == "drop":
        terms = list(target.terms)
        del terms[rng.choice(_droppable(target))]
        new = Add(tuple(terms)) if len(terms) > 1 else \
            (terms[0][1] if terms[0][0] > 0 else Neg(terms[0][1]))
        return put(node, path, new), kind
    if kind == "constant":
        return _constant_slip(node, rng), kind
    if kind == "transpose":
        return put(node, path, target.arg if isinstance(target, T) else T(target)), kind
    # swap two neighbouring matrix factors
    i = rng.choice([i for i in range(len(target.factors) - 1)
                    if shape(target.factors[i], shapes) != SCALAR
                    and shape(target.factors[i + 1], shapes) != SCALAR])
    factors = list(target.factors)
    factors[i], factors[i + 1] = factors[i + 1], factors[i]
    return put(node, path, Mul(tuple(factors))), kind


def _droppable(node: Add) -> list[int]:
    """Terms whose loss leaves more than a bare number (1 + e^{-x} never becomes 1)."""
    return [i for i, (_, t) in enumerate(node.terms) if not _number(t)
            and not (len(node.terms) == 2 and _number(node.terms[1 - i][1]))]


def _constant_slip(node: Node, rng: random.Random) -> Node:
    """A factor 2 or 1/2 put in front, or the number in front lost or halved."""
    if isinstance(node, Neg):
        return Neg(_constant_slip(node.arg, rng))
    if isinstance(node, Mul) and isinstance(node.factors[0], Num):
        rest = node.factors[1:]
        if rng.random() < 0.6:
            return rest[0] if len(rest) == 1 else Mul(rest)
        return Mul((Num("4") if node.factors[0].text == "2" else Num("2"),) + rest)
    factor = Num("2") if rng.random() < 0.6 else Div(Num("1"), Num("2"))
    return Mul((factor,) + (node.factors if isinstance(node, Mul) else (node,)))


def _slip_places(kind: str, node: Node, shapes: dict[str, Shape]) -> list[tuple[tuple, Node]]:
    everything = list(paths(node))
    if kind == "sign":
        places = [(p, n) for p, n, _ in everything if isinstance(n, (Neg, Add))]
        return places or [((), node)]
    if kind == "drop":
        return [(p, n) for p, n, _ in everything if isinstance(n, Add) and _droppable(n)]
    if kind == "constant":
        return [((), node)]
    if kind == "transpose":
        # A transposed scalar is the same scalar, and diag(v) reads v either way.
        return [(p, n) for p, n, inside in everything
                if isinstance(n, Sym) and "diag" not in inside and shape(n, shapes) != SCALAR
                and not (len(p) and isinstance(at(node, p[:-1]), T))
                or isinstance(n, T) and isinstance(n.arg, Sym)]
    return [(p, n) for p, n, _ in everything if isinstance(n, Mul)
            and any(shape(a, shapes) != SCALAR and shape(b, shapes) != SCALAR
                    for a, b in zip(n.factors, n.factors[1:]))]


# -- spelling -----------------------------------------------------------------------------------
GREEK = {"alpha": ("α", r"\alpha"), "beta": ("β", r"\beta"), "eta": ("η", r"\eta"),
         "omega": ("ω", r"\omega"), "sigma": ("σ", r"\sigma")}


@dataclass(frozen=True)
class Style:
    """How one student writes formulas (drawn once per student; see ``students.draw_student``)."""

    latex: bool = False
    op_space: str = " "            # around + and -
    mul: str = " "                 # " " or "" (written together), "*", " * ", "·", r" \cdot "...
    matmul: str = ""               # "@" style for matrix products ("" = same as ``mul``)
    transpose: str = "^T"          # "^T", "^{T}", "'", ".T", r"^\top", r"^{\top}", "ᵀ"
    paren: tuple[str, str] = ("(", ")")
    outer: tuple[str, str] = ("(", ")")  # brackets around brackets: f(x)[1 - f(x)]
    frac: str = "/"                # "/", r"\frac", r"\dfrac"
    square: str = "^2"             # "^2", "^{2}", "**2", "²"
    exp: str = "exp"               # "exp", "e^()", "e^{}", r"\exp"
    greek: str = "word"            # "word", "unicode", "latex"
    sigmoid: str = "sigmoid"       # "sigmoid", "σ", "sigma", r"\sigma"
    diag: str = "diag"             # "diag", r"\operatorname{diag}", r"\mathrm{diag}"
    braces_subscript: bool = False  # x_{i} for x_i
    decorate: tuple[str, str] = ("", "")  # (vectors, matrices): r"\mathbf", r"\vec", r"\bar"...
    minus: str = "-"
    sloppiness: float = 0.0        # chance per gap of a space added or lost
    thin_space: float = 0.0        # chance per product of a LaTeX \, between factors


@dataclass
class Renderer:
    """Text of a tree in one student's style; ``rng`` draws the per-answer noise."""

    style: Style
    rng: random.Random
    shapes: dict[str, Shape] = field(default_factory=dict)

    def __call__(self, node: Node) -> str:
        return self.node(node, 0)

    # precedence: 0 anywhere, 1 a term of a sum, 2 a factor, 3 a base of a power
    def node(self, node: Node, level: int) -> str:
        s = self.style
        if isinstance(node, Sym):
            return self.name(node.name)
        if isinstance(node, Num):
            return node.text
        if isinstance(node, Paren):
            return self.group(self.node(node.arg, 0))
        if isinstance(node, Add):
            text = ""
            for index, (sign, term) in enumerate(node.terms):
                body = self.node(term, 2 if isinstance(term, (Neg, Add)) else 1)
                if index == 0:
                    text = (s.minus + self.gap("") if sign < 0 else "") + body
                else:
                    op = "+" if sign > 0 else s.minus
                    text += self.gap(s.op_space) + op + self.gap(s.op_space) + body
            return self.group(text) if level >= 2 else text
        if isinstance(node, Neg):
            text = s.minus + self.gap("") + self.node(node.arg, 2)
            return self.group(text) if level >= 2 else text
        if isinstance(node, Mul):
            return self.product(node, level)
        if isinstance(node, Div):
            if s.frac != "/":
                text = f"{s.frac}{{{self.node(node.num, 0)}}}{{{self.node(node.den, 0)}}}"
                return self.group(text) if level >= 3 else text
            num = self.node(node.num, 1 if isinstance(node.num, (Mul, Div)) else 2)
            den = self.node(node.den, 3 if isinstance(node.den, (Mul, Div)) else 2)
            text = num + self.gap("") + "/" + self.gap("") + den
            return self.group(text) if level >= 2 else text
        if isinstance(node, Pow):
            base = self.node(node.base, 3)
            if base.startswith("e^"):  # (e^{x})^2, not e^{x}^2
                base = self.group(base)
            return base + self.power(node.exp)
        if isinstance(node, T):
            base = self.node(node.arg, 3)
            return base + s.transpose
        if isinstance(node, Call):
            return self.call(node)
        raise TypeError(node)

    def product(self, node: Mul, level: int) -> str:
        s = self.style
        parts = [self.node(f, 2) for f in node.factors]
        if s.frac == "/":  # a plain fraction inside a product is bracketed: (1/beta) x
            parts = [self.group(p) if isinstance(f, Div) and p[0] not in "([" else p
                     for f, p in zip(node.factors, parts)]
        text = parts[0]
        for (left, right), word in zip(zip(node.factors, node.factors[1:]), parts[1:]):
            matrices = shape(left, self.shapes) != SCALAR and shape(right, self.shapes) != SCALAR
            op = s.matmul if (matrices and s.matmul) else s.mul
            if op.strip() == "":
                op = self.juxtapose(text, word, op)
                if s.latex and self.rng.random() < s.thin_space:
                    op = r" \, "
            text += op + word
        return self.group(text) if level >= 3 else text

    def juxtapose(self, left: str, right: str, habit: str) -> str:
        """Students write `2x`, `Wx`, `(a)(b)` together, but keep a space between longer names
        (`beta x`, `f_i f_j`); a sloppy one sometimes adds or drops it where that is safe."""
        tight_ok = (left[-1] in ")]}" or right[0] in "([\\" or _NUMBER.fullmatch(left) is not None
                    or (_SINGLE_END.search(left) is not None and _SINGLE_START.match(right) is not None))
        space = habit
        if self.rng.random() < self.style.sloppiness:
            space = "" if space else " "
        return space if tight_ok else " "

    def gap(self, habit: str) -> str:
        if self.rng.random() < self.style.sloppiness:
            return "" if habit else " "
        return habit

    def group(self, text: str) -> str:
        s = self.style
        left, right = s.outer if any(b in text for b in "([") else s.paren
        pad = " " if self.rng.random() < s.sloppiness / 2 else ""  # ( w^T x - y )
        return f"{left}{pad}{text}{pad}{right}"

    def power(self, exponent: Node) -> str:
        s = self.style
        if isinstance(exponent, Num) and exponent.text == "2":
            return s.square
        inner = self.node(exponent, 0)
        if s.square == "**2":
            return f"**({inner})" if isinstance(exponent, Neg) else f"**{inner}"
        if s.latex or s.square == "^{2}":
            return f"^{{{inner}}}"
        return f"^({inner})" if not isinstance(exponent, (Num, Sym)) else f"^{inner}"

    def call(self, node: Call) -> str:
        s = self.style
        arg = ", ".join(self.node(a, 0) for a in node.args)
        if node.fn == "exp":
            if s.exp == "e^{}":
                return f"e^{{{arg}}}"
            if s.exp == "e^()":
                return f"e^{arg}" if isinstance(node.args[0], Sym) and len(arg) == 1 else f"e^({arg})"
            name = s.exp
        elif node.fn == "sigmoid":
            name = s.sigmoid
        elif node.fn == "diag":
            name = s.diag
        elif node.fn == "log":
            name = r"\ln" if s.latex else "log"
        else:
            name = self.name(node.fn)
        left, right = (r"\left(", r"\right)") if s.paren[0] == r"\left(" else ("(", ")")
        return f"{name}{self.gap('')}{left}{arg}{right}"

    def name(self, name: str) -> str:
        s = self.style
        base, _, sub = name.partition("_")
        if base in GREEK and s.greek != "word":
            base = GREEK[base][0 if s.greek == "unicode" else 1]
        text = base + (f"_{{{sub}}}" if sub and s.braces_subscript else f"_{sub}" if sub else "")
        rows_cols = self.shapes.get(name, SCALAR)
        if rows_cols != SCALAR:
            decoration = s.decorate[1 if rows_cols[1] != 1 else 0]
            if decoration:
                text = f"{decoration}{{{text}}}"
        return text


_SINGLE_END = re.compile(r"(?:^|[^A-Za-z_.\\])[A-Za-z](?:\^T|\^\{T\}|'|ᵀ)?$")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SINGLE_START = re.compile(r"[A-Za-z](?![A-Za-z_0-9])")


def restyle(style: Style, **changes: object) -> Style:
    return replace(style, **changes)  # type: ignore[arg-type]


__all__ = ["Add", "Call", "Div", "Mul", "Neg", "Node", "Num", "Paren", "Pow", "Renderer", "SLIPS",
           "Style", "Sym", "T", "parse", "restyle", "rewrite", "shape", "slip", "substitute"]
