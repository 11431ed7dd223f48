"""The parse tree: a handful of small immutable node classes, and the one way every pass walks it.

A tree is the only thing student text turns into. Every node type here has a rule in the
evaluator, the shape checker, the printers and the sympy bridge; there is nothing else a tree can
do. ``span`` (where in the text a node came from) is for error messages and never compared.

Every pass (shapes, evaluation, printing, sympy, kinks) is a ``fold``: a bottom-up visit that
hands each node the results of its ``children()``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Iterator, TypeVar

Span = tuple[int, int]
Dim = int | str
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Node:
    span: Span = field(default=(0, 0), compare=False, repr=False, kw_only=True)

    def children(self) -> tuple["Node", ...]:
        """The subtrees, in reading order."""
        return ()

    def rebuild(self, children: tuple["Node", ...]) -> "Node":
        """The same node over new children (same count and order as ``children()``)."""
        return self


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
    """The identity matrix of a given size (a name the question declares as one)."""

    dim: Dim


@dataclass(frozen=True, slots=True)
class Size(Node):
    """A dimension used as a number (``1/n``): the size drawn for this batch.

    A dim starting with ``?`` is a placeholder the parser gives a bare ones vector; the shape
    pass replaces it with the size the context implies.
    """

    dim: Dim


@dataclass(frozen=True, slots=True)
class Neg(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return Neg(children[0], span=self.span)


@dataclass(frozen=True, slots=True)
class _Binary(Node):
    """Two operands and an operator (a node of either subclass equals only its own class's)."""

    op: str
    left: Node
    right: Node

    def children(self) -> tuple[Node, ...]:
        return (self.left, self.right)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return type(self)(self.op, children[0], children[1], span=self.span)


@dataclass(frozen=True, slots=True)
class BinOp(_Binary):
    """``+ - * /``, ``dot``, ``hadamard`` and ``and``; ``*`` is the matrix product (a scalar may
    scale anything)."""


@dataclass(frozen=True, slots=True)
class Pow(Node):
    """A power; ``elementwise`` (set by the shape pass where the rubric allows elementwise
    shorthand) raises every entry of a vector or non-square matrix."""

    base: Node
    exponent: Node
    elementwise: bool = False

    def children(self) -> tuple[Node, ...]:
        return (self.base, self.exponent)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return Pow(children[0], children[1], self.elementwise, span=self.span)


@dataclass(frozen=True, slots=True)
class Transpose(Node):
    operand: Node

    def children(self) -> tuple[Node, ...]:
        return (self.operand,)

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return Transpose(children[0], span=self.span)


@dataclass(frozen=True, slots=True)
class Call(Node):
    """A built-in function (``exp``, ``diag``, ...; see ``builtins``) applied to its arguments."""

    func: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return Call(self.func, tuple(children), span=self.span)


@dataclass(frozen=True, slots=True)
class Apply(Node):
    """A rubric-defined function (``f(x_i)``) applied to its arguments."""

    func: str
    args: tuple[Node, ...]

    def children(self) -> tuple[Node, ...]:
        return self.args

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        return Apply(self.func, tuple(children), span=self.span)


@dataclass(frozen=True, slots=True)
class Compare(_Binary):
    """``left op right`` as 1 where it holds and 0 where not (entry by entry): an indicator."""


@dataclass(frozen=True, slots=True)
class Cases(Node):
    """``\\begin{cases} v1 & c1 \\\\ v2 & c2 \\\\ v3 & \\text{otherwise} \\end{cases}``: the first
    value whose condition holds. With one value more than conditions the last is the otherwise
    branch; where no condition holds and there is none, the value is undefined (nan)."""

    values: tuple[Node, ...]
    conditions: tuple[Node, ...]

    @property
    def otherwise(self) -> bool:
        return len(self.values) > len(self.conditions)

    def children(self) -> tuple[Node, ...]:
        return self.values + self.conditions

    def rebuild(self, children: tuple[Node, ...]) -> Node:
        k = len(self.values)
        return Cases(tuple(children[:k]), tuple(children[k:]), span=self.span)


ADD, SUB, MUL, DIV, HADAMARD = "+", "-", "*", "/", "hadamard"
#: ``·`` / ``\cdot``: a product, except that between two column vectors of one shape it is their
#: inner product, as ``w · x`` is usually meant.
DOT = "dot"
#: Both conditions hold (entry by entry): ``0 < x and x < 1``, ``0 < x < 1``.
AND = "and"
#: Comparison operators of ``Compare``.
COMPARISONS = ("<", "<=", ">", ">=", "==", "!=")


def fold(tree: Node, visit: Callable[[Node, tuple], R]) -> R:
    """``visit(node, results of its children)`` for every node, children first.

    It recurses as deep as the tree is high, which the parser bounds (``parser.MAX_HEIGHT``); a
    recursive fold costs half as much as one with its own stack, and every answer is folded
    several times.
    """
    def go(node: Node) -> R:
        kids = node.children()
        if not kids:
            return visit(node, ())
        if len(kids) == 2:
            return visit(node, (go(kids[0]), go(kids[1])))
        if len(kids) == 1:
            return visit(node, (go(kids[0]),))
        return visit(node, tuple([go(kid) for kid in kids]))
    return go(tree)


def walk(node: Node) -> Iterator[Node]:
    """Every node of a tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(current.children()))


def height(tree: Node) -> int:
    """The number of levels in a tree."""
    return fold(tree, lambda node, kids: 1 + max(kids, default=0))


def is_condition(node: Node) -> bool:
    """A comparison, or several joined by ``and``: the inside of an indicator."""
    return isinstance(node, Compare) or (isinstance(node, BinOp) and node.op == AND)
