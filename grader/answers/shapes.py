"""Static shape checking with symbolic sizes: ``1 x n`` times ``m x 1`` is an error before any
number is computed, whatever sizes the sample happens to draw.

A 1 x 1 result is a scalar: it may scale anything and be added to scalars. Nothing is broadcast in
``+`` or ``-`` unless the question allows elementwise shorthand (``Namespace.broadcast``); even
then a vector plus a matrix, and a column plus a row, stay errors, so a transpose never passes by
accident. Comparisons, indicators and cases work entry by entry, a scalar applying to every entry.

``resolve`` is the same pass run by the parser when the tree needs what only shapes can tell: the
size of a bare ones vector (``\\mathbf{1}`` beside an ``n x 1``) and whether a power of a vector
is elementwise.
"""

from __future__ import annotations

from .builtins import BUILTINS, ELEMENTWISE, show
from .errors import AnswerError
from .namespace import SCALAR, Namespace, Shape
from .nodes import (ADD, AND, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Cases, Compare,
                    Const, Dim, Given, Identity, Name, Neg, Node, Num, Param, Pow, Size, Transpose,
                    fold)

__all__ = ["ELEMENTWISE", "UnsizedOnes", "infer_shape", "integer_exponent", "is_vector", "resolve",
           "show"]

class UnsizedOnes(AnswerError):
    """A bare ones vector whose size nothing around it tells: an unreadable answer."""


#: Added to every refusal of elementwise shorthand.
NO_SHORTHAND = "this question's rubric does not allow elementwise shorthand"


def is_vector(shape: Shape) -> bool:
    return 1 in shape


def integer_exponent(node: Node) -> int | None:
    """The exponent as a whole number when it is a literal one (``2``, ``-1``, ``{-1}``)."""
    sign = 1
    while isinstance(node, Neg):
        node, sign = node.operand, -sign
    if isinstance(node, Num) and node.value.is_integer() and abs(node.value) <= 64:
        return sign * int(node.value)
    return None


def infer_shape(node: Node, ns: Namespace, params: frozenset[str] = frozenset()) -> Shape:
    """The shape of a tree, or AnswerError naming the operation that does not conform."""
    shapes = _Shapes(ns)
    shape = fold(node, shapes.visit)
    return shapes.final(shape, node)


def resolve(tree: Node, ns: Namespace) -> Node:
    """The tree with bare ones vectors sized from their context and elementwise powers marked;
    AnswerError when the shapes do not conform or a ones vector's size cannot be told."""
    shapes = _Shapes(ns)
    shape, rebuilt = fold(tree, shapes.visit_rebuild)
    shapes.final(shape, tree)
    if not shapes.bound:
        return rebuilt
    return fold(rebuilt, shapes.fill)


def _is_placeholder(dim: Dim) -> bool:
    return isinstance(dim, str) and dim.startswith("?")


class _Shapes:
    def __init__(self, ns: Namespace):
        self.ns = ns
        self.node: Node | None = None
        #: Placeholder sizes of bare ones vectors → what the context made them.
        self.bound: dict[str, Dim] = {}
        self.elementwise = False
        self.functions: dict[str, Shape] = {}
        self.placeholders: dict[str, tuple[int, int]] = {}  # placeholder → where its 1 is

    # -- the protocol shape rules see (builtins.ShapeContext) ---------------------------------
    def fail(self, message: str) -> AnswerError:
        node = self.node
        span = node.span if node is not None and node.span != (0, 0) else None
        return AnswerError(message, span=span)

    def find(self, dim: Dim) -> Dim:
        while _is_placeholder(dim) and dim in self.bound:
            dim = self.bound[dim]
        return dim

    def same_dim(self, a: Dim, b: Dim) -> bool:
        if a == b:
            return True
        a, b = self.find(a), self.find(b)
        if a == b:
            return True
        if _is_placeholder(a):
            self.bound[a] = b  # type: ignore[index]
            return True
        if _is_placeholder(b):
            self.bound[b] = a  # type: ignore[index]
            return True
        return False

    def same(self, a: Shape, b: Shape) -> bool:
        return a == b or (self.same_dim(a[0], b[0]) and self.same_dim(a[1], b[1]))

    # -- the passes ----------------------------------------------------------------------------
    def visit(self, node: Node, kids: tuple) -> Shape:
        self.node = node
        if self.bound:
            kids = tuple((self.find(k[0]), self.find(k[1])) for k in kids)
        return _RULES[type(node)](self, node, kids)

    def visit_rebuild(self, node: Node, kids: tuple) -> tuple[Shape, Node]:
        self.elementwise = False
        shape = self.visit(node, tuple(k[0] for k in kids))
        children = tuple(k[1] for k in kids)
        if any(new is not old for new, old in zip(children, node.children())):
            node = node.rebuild(children)
        if self.elementwise and isinstance(node, Pow) and not node.elementwise:
            node = Pow(node.base, node.exponent, True, span=node.span)
        return shape, node

    def fill(self, node: Node, kids: tuple) -> Node:
        """Replace each placeholder size by the size its context gave it."""
        if isinstance(node, Size) and _is_placeholder(node.dim):
            dim = self.find(node.dim)
            if isinstance(dim, int):
                return Num(float(dim), span=node.span)
            return Size(dim, span=node.span)
        if any(new is not old for new, old in zip(kids, node.children())):
            return node.rebuild(kids)
        return node

    def final(self, shape: Shape, tree: Node) -> Shape:
        shape = (self.find(shape[0]), self.find(shape[1]))
        unsized = [span for p, span in self.placeholders.items() if _is_placeholder(self.find(p))]
        if unsized:
            raise UnsizedOnes("the size of this vector of ones cannot be told from the answer: "
                              "write its size, like 1_n or ones(n)", span=unsized[0])
        return shape

    # -- rules ---------------------------------------------------------------------------------
    def leaf_scalar(self, node: Node, kids: tuple) -> Shape:
        return SCALAR

    def size(self, node: Size, kids: tuple) -> Shape:
        if _is_placeholder(node.dim):
            self.placeholders[node.dim] = node.span  # type: ignore[index]
        return SCALAR

    def name(self, node: Name, kids: tuple) -> Shape:
        return self.ns.symbols[node.name].shape

    def given(self, node: Given, kids: tuple) -> Shape:
        return self.ns.given_shapes.get(node.name, SCALAR)

    def identity(self, node: Identity, kids: tuple) -> Shape:
        return (node.dim, node.dim)

    def same_as_child(self, node: Node, kids: tuple) -> Shape:
        return kids[0]

    def transpose(self, node: Transpose, kids: tuple) -> Shape:
        rows, cols = kids[0]
        return (cols, rows)

    def binop(self, node: BinOp, kids: tuple) -> Shape:
        left, right = kids
        op = node.op
        if op in (ADD, SUB):
            if self.same(left, right):
                return left
            verb = "add" if op == ADD else "subtract"
            if SCALAR in (left, right):
                if self.ns.broadcast:
                    return right if left == SCALAR else left
                raise self.fail(f"cannot {verb} {show(left)} and {show(right)}: {NO_SHORTHAND}, so "
                                "a number is not added to every entry; use a matrix of the right "
                                "shape (such as 1_n for a vector of ones)")
            hint = ": is a transpose missing?" if left == right[::-1] else ""
            raise self.fail(f"cannot {verb} {show(left)} and {show(right)}{hint}")
        if op == DOT and left != SCALAR and left[1] == 1 and self.same(left, right):
            return SCALAR  # w · x of two columns: their inner product
        if op in (MUL, DOT):
            if left == SCALAR:
                return right
            if right == SCALAR:
                return left
            if not self.same_dim(left[1], right[0]):
                hint = ""
                if left[0] == right[0] or left[1] == right[1]:
                    hint = ": is a transpose missing or misplaced?"
                raise self.fail(f"cannot multiply {show(left)} by {show(right)}{hint}")
            return (left[0], right[1])
        if op == DIV:
            return self.divide(left, right)
        if op == HADAMARD:
            if self.same(left, right):
                return left
            if self.ns.broadcast and SCALAR in (left, right):
                return right if left == SCALAR else left
            raise self.fail(f"the elementwise product needs equal shapes, not {show(left)} "
                            f"and {show(right)}")
        if op == AND:
            return self.entrywise([left, right], "conditions joined by `and`")
        raise self.fail(f"unknown operator {op}")

    def divide(self, left: Shape, right: Shape) -> Shape:
        if right == SCALAR:
            return left
        if not self.ns.broadcast:
            raise self.fail(f"cannot divide by {show(right)}: only by a scalar ({NO_SHORTHAND})")
        if self.same_dim(right[0], right[1]):
            raise self.fail(f"cannot divide by {show(right)}, a square matrix: for its inverse "
                            "write A^{-1} or inv(A)")
        if left == SCALAR or self.same(left, right):
            return right
        raise self.fail(f"cannot divide {show(left)} by {show(right)} entry by entry: the "
                        "shapes must be equal")

    def power(self, node: Pow, kids: tuple) -> Shape:
        base, exponent = kids
        if exponent != SCALAR:
            if self.ns.broadcast and base == SCALAR:
                self.elementwise = True
                return exponent
            raise self.fail(f"an exponent must be a scalar, not {show(exponent)}")
        if base == SCALAR:
            return base
        if not self.same_dim(base[0], base[1]):
            if self.ns.broadcast:
                self.elementwise = True
                return base
            raise self.fail(f"cannot raise {show(base)} to a power: only square matrices have "
                            f"powers ({NO_SHORTHAND}; for elementwise squares use v ⊙ v)")
        if integer_exponent(node.exponent) is None:
            raise self.fail("a matrix power must be a whole number, like A^2 or A^{-1}")
        return base

    def call(self, node: Call, kids: tuple) -> Shape:
        return BUILTINS[node.func].shape(self, node, list(kids))

    def apply(self, node: Apply, kids: tuple) -> Shape:
        for shape in kids:
            if shape != SCALAR:
                raise self.fail(f"{node.func}() takes scalars, not {show(shape)}")
        if node.func not in self.functions:
            body = self.ns.functions[node.func].body
            self.functions[node.func] = infer_shape(body, self.ns)
        return self.functions[node.func]

    def compare(self, node: Compare, kids: tuple) -> Shape:
        return self.entrywise(list(kids), f"a comparison `{node.op}`")

    def cases(self, node: Cases, kids: tuple) -> Shape:
        return self.entrywise(list(kids), "the values and conditions of cases")

    def entrywise(self, shapes: list[Shape], what: str) -> Shape:
        """Shapes taken entry by entry: all equal, a scalar applying to every entry."""
        result = SCALAR
        for shape in shapes:
            if shape == SCALAR:
                continue
            if result != SCALAR and not self.same(result, shape):
                listed = " and ".join(show(s) for s in dict.fromkeys(shapes))
                raise self.fail(f"{what} of {listed}: the shapes must be equal")
            result = shape
        return result


_RULES = {
    Num: _Shapes.leaf_scalar, Const: _Shapes.leaf_scalar, Param: _Shapes.leaf_scalar,
    Size: _Shapes.size, Name: _Shapes.name, Given: _Shapes.given,
    Identity: _Shapes.identity, Neg: _Shapes.same_as_child, Transpose: _Shapes.transpose,
    BinOp: _Shapes.binop, Pow: _Shapes.power, Call: _Shapes.call, Apply: _Shapes.apply,
    Compare: _Shapes.compare, Cases: _Shapes.cases,
}
