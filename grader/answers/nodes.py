"""The parse tree: a handful of small immutable node classes.

A tree is the only thing student text turns into. Every node type here has a rule in the
evaluator, the shape checker, the printers and the sympy bridge; there is nothing else a tree can
do. ``span`` (where in the text a node came from) is for error messages and never compared.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Span = tuple[int, int]
Dim = int | str


@dataclass(frozen=True, slots=True)
class Node:
    span: Span = field(default=(0, 0), compare=False, repr=False, kw_only=True)


@dataclass(frozen=True, slots=True)
class Num(Node):
    value: float


@dataclass(frozen=True, slots=True)
class Const(Node):
    """A named constant: ``e``, ``pi`` or ``inf``."""

    name: str


@dataclass(frozen=True, slots=True)
class Name(Node):
    """A symbol the question declares (scalar or matrix), by its canonical name."""

    name: str


@dataclass(frozen=True, slots=True)
class Given(Node):
    """A value the rubric defines (``given: {S: ...}``), by name."""

    name: str


@dataclass(frozen=True, slots=True)
class Param(Node):
    """A parameter inside the body of a rubric-defined function."""

    name: str


@dataclass(frozen=True, slots=True)
class Identity(Node):
    """The identity matrix of a given size."""

    dim: Dim


@dataclass(frozen=True, slots=True)
class Neg(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class BinOp(Node):
    """``+ - * /``, ``dot`` and ``hadamard``; ``*`` is the matrix product (a scalar may scale
    anything)."""

    op: str
    left: Node
    right: Node


@dataclass(frozen=True, slots=True)
class Pow(Node):
    base: Node
    exponent: Node


@dataclass(frozen=True, slots=True)
class Transpose(Node):
    operand: Node


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A built-in function (``exp``, ``diag``, ...) applied to its arguments."""

    func: str
    args: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Apply(Node):
    """A rubric-defined function (``f(x_i)``) applied to its arguments."""

    func: str
    args: tuple[Node, ...]


ADD, SUB, MUL, DIV, HADAMARD = "+", "-", "*", "/", "hadamard"
#: ``·`` / ``\cdot``: a product, except that between two column vectors of one shape it is their
#: inner product, as ``w · x`` is usually meant.
DOT = "dot"


def walk(node: Node):
    """Every node of a tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if isinstance(current, (Neg, Transpose)):
            stack.append(current.operand)
        elif isinstance(current, BinOp):
            stack.extend((current.right, current.left))
        elif isinstance(current, Pow):
            stack.extend((current.exponent, current.base))
        elif isinstance(current, (Call, Apply)):
            stack.extend(reversed(current.args))
