"""The built-in functions: one table that every stage of the answer language reads.

Each ``Builtin`` says, in one place, how the function is spelt (plain names, aliases, LaTeX
commands), how many arguments it takes, the shape of its value (a shape rule), its value and exact
derivative over a batch (a dual rule, see ``duals``), how it prints, how it becomes sympy, and
where it has kinks (so sampling can stay away from them). The lexer, parser, shape checker,
evaluator, printers, sympy bridge and ``kink_distance`` look functions up here and nowhere else.

Adding a function is adding one entry; ``tests/answers/test_answers_builtins.py`` then checks,
through the entry's ``examples``, that it parses, prints and parses back in plain text and LaTeX,
and that its value, its derivative (against finite differences) and its sympy form agree.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Callable, Mapping, Protocol

import numpy as np

from . import duals as D
from .duals import Array, Dual
from .errors import AnswerError
from .namespace import SCALAR, Namespace, Shape
from .nodes import Call, Dim, Node, Num, Size

#: Largest size a student may write as a number (``eye(3)``, ``1_4``): sizes of real questions
#: come from their dimension names, and a literal ``eye(10**6)`` must not cost anything.
MAX_LITERAL_SIZE = 32


class ShapeContext(Protocol):
    """What a shape rule may use: the namespace, and unification-aware comparisons."""

    ns: Namespace

    def same(self, a: Shape, b: Shape) -> bool: ...

    def same_dim(self, a: Dim, b: Dim) -> bool: ...

    def fail(self, message: str) -> AnswerError: ...


class ValueContext(Protocol):
    """What a dual rule may use: the number of points and the sizes of this batch."""

    n: int

    def size(self, node: Node) -> int: ...


ShapeRule = Callable[[ShapeContext, Call, list[Shape]], Shape]
ValueRule = Callable[[ValueContext, Call, list[Dual]], Dual]
Printer = Callable[[list[str]], str]
KinkRule = Callable[[list[Array]], list[Array]]


@dataclass(frozen=True, slots=True)
class Builtin:
    """One built-in function: everything each stage needs to know about it."""

    name: str
    #: The argument counts allowed (``max``: 1 or 2).
    arity: tuple[int, ...]
    shape: ShapeRule
    value: ValueRule
    #: ``(bridge, args) -> sympy expression``; for elementwise functions the scalar function,
    #: ``(sympy module) -> callable``, which the bridge maps over matrices.
    sympy: Callable[..., Any]
    #: Other plain spellings (``ln`` for ``log``).
    aliases: tuple[str, ...] = ()
    #: LaTeX commands that name this function (``\ln``); they may take their argument unbracketed.
    latex: tuple[str, ...] = ()
    plain_printer: Printer | None = None
    latex_printer: Printer | None = None
    #: A scalar function applied to every entry of its argument.
    elementwise: bool = False
    #: The arguments are sizes (dimension names or small whole numbers), not values.
    sizes: bool = False
    kinks: KinkRule | None = None
    #: Calls that the agreement test evaluates, over its probe names: scalars ``x``, ``y``,
    #: ``p`` (positive) and ``u`` (in (-1, 1)); columns ``v``, ``w`` (n x 1); square matrices
    #: ``A`` (positive definite) and ``B`` (n x n); sizes ``n``, ``m``. Together they use every
    #: allowed argument count.
    examples: tuple[str, ...] = ()

    def plain(self, args: list[str]) -> str:
        if self.plain_printer is not None:
            return self.plain_printer(args)
        return f"{self.name}({', '.join(args)})"

    def tex(self, args: list[str]) -> str:
        if self.latex_printer is not None:
            return self.latex_printer(args)
        head = f"\\{self.latex[0]}" if self.latex else f"\\operatorname{{{self.name}}}"
        return f"{head}\\left({', '.join(args)}\\right)"


# -- shape rules ---------------------------------------------------------------------------------

def show(shape: Shape) -> str:
    """``n x 1``; a scalar is ``1 x 1 (a scalar)``; a size not known yet (a bare ones vector's)
    is ``?``."""
    rows, cols = ("?" if str(d).startswith("?") else d for d in shape)
    text = f"{rows} x {cols}"
    return f"{text} (a scalar)" if shape == SCALAR else text


def _same_shape(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    return shapes[0]


def _to_scalar(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    return SCALAR


def _square(what: str) -> ShapeRule:
    """A function of a square matrix; ``what`` is the shape of the value (scalar or matrix)."""
    def rule(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
        first = shapes[0]
        if not ctx.same_dim(first[0], first[1]):
            raise ctx.fail(f"{call.func}() needs a square matrix, not {show(first)}")
        return first if what == "matrix" else SCALAR
    return rule


def _vector(result: str) -> ShapeRule:
    def rule(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
        first = shapes[0]
        if 1 not in first:
            raise ctx.fail(f"{call.func}() takes a vector, not {show(first)}")
        return first if result == "vector" else SCALAR
    return rule


def _entrywise(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    """Arguments taken entry by entry: equal shapes, or scalars that apply to every entry."""
    result = SCALAR
    for shape in shapes:
        if shape == SCALAR:
            continue
        if result != SCALAR and not ctx.same(result, shape):
            listed = " and ".join(show(s) for s in shapes)
            raise ctx.fail(f"{call.func}() of {listed}: the shapes must be equal")
        result = shape
    return result


def _extreme_shape(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    return _entrywise(ctx, call, shapes) if len(shapes) == 2 else SCALAR


def _diag_shape(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    first = shapes[0]
    if first == SCALAR:
        return SCALAR
    if first[1] == 1:
        return (first[0], first[0])
    if first[0] == 1:
        return (first[1], first[1])
    if ctx.same_dim(first[0], first[1]):
        return (first[0], 1)
    raise ctx.fail(f"diag() takes a vector or a square matrix, not {show(first)}")


def _hadamard_shape(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    if ctx.same(shapes[0], shapes[1]):
        return shapes[0]
    if ctx.ns.broadcast and SCALAR in shapes:
        return shapes[1] if shapes[0] == SCALAR else shapes[0]
    raise ctx.fail(f"{call.func}() needs equal shapes, not {show(shapes[0])} and {show(shapes[1])}")


def _inner_shape(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    if not ctx.same(shapes[0], shapes[1]):
        raise ctx.fail(f"an inner product needs equal shapes, not {show(shapes[0])} and "
                       f"{show(shapes[1])}")
    return SCALAR


def _norm_shape(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    if len(call.args) == 2:
        order = call.args[1]
        if not (isinstance(order, Num) and order.value in (1.0, 2.0)):
            raise ctx.fail("the order of a norm is 1 or 2 (for a matrix, use the Frobenius norm "
                           "‖X‖_F)")
        if 1 not in shapes[0]:
            raise ctx.fail(f"‖·‖_{int(order.value)} here is a vector norm, and this is "
                           f"{show(shapes[0])}: for a matrix write ‖X‖_F (the Frobenius norm)")
    return SCALAR


def size_dim(node: Node) -> Dim:
    """The size an argument of ``eye``/``ones`` names (the parser allows nothing else there)."""
    if isinstance(node, Size):
        return node.dim
    assert isinstance(node, Num)
    return int(node.value)


def _eye_shape(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    dim = size_dim(call.args[0])
    return (dim, dim)


def _ones_shape(ctx: ShapeContext, call: Call, shapes: list[Shape]) -> Shape:
    rows = size_dim(call.args[0])
    return (rows, size_dim(call.args[1]) if len(call.args) > 1 else 1)


# -- value rules ---------------------------------------------------------------------------------

def _one(rule: Callable[[Dual], Dual]) -> ValueRule:
    return lambda ctx, call, args: rule(args[0])


def _eye_value(ctx: ValueContext, call: Call, args: list[Dual]) -> Dual:
    size = ctx.size(call.args[0])
    if size == 1:
        return np.ones(ctx.n), None
    return np.broadcast_to(np.eye(size), (ctx.n, size, size)), None


def _ones_value(ctx: ValueContext, call: Call, args: list[Dual]) -> Dual:
    rows = ctx.size(call.args[0])
    cols = ctx.size(call.args[1]) if len(call.args) > 1 else 1
    if rows == cols == 1:
        return np.ones(ctx.n), None
    return np.broadcast_to(np.ones((1, 1)), (ctx.n, rows, cols)), None


def _norm_value(ctx: ValueContext, call: Call, args: list[Dual]) -> Dual:
    if len(args) == 2 and float(call.args[1].value) == 1.0:  # type: ignore[attr-defined]
        return D.norm1(args[0])
    return D.norm(args[0])


# -- kinks ---------------------------------------------------------------------------------------

def _kink_at_argument(args: list[Array]) -> list[Array]:
    return [args[0]]


def _kink_extreme(sign: float) -> KinkRule:
    def rule(args: list[Array]) -> list[Array]:
        if len(args) == 2:
            a, _, b, _ = D.align((args[0], None), (args[1], None))
            return [a - b]
        return [D.top_gap(sign * args[0])]
    return rule


def _kink_clip(args: list[Array]) -> list[Array]:
    x, _, low, _ = D.align((args[0], None), (args[1], None))
    y, _, high, _ = D.align((args[0], None), (args[2], None))
    return [x - low, y - high]


def _kink_norm(args: list[Array]) -> list[Array]:
    if len(args) == 2 and np.all(args[1] == 1.0):
        return [args[0]]
    return [D.norm((args[0], None))[0]]


# -- sympy ---------------------------------------------------------------------------------------

def _sympy_extreme(which: str) -> Callable[..., Any]:
    def build(bridge: Any, args: list[Any]) -> Any:
        pick = getattr(bridge.sp, which)
        if len(args) == 1:
            return pick(*bridge.entries(args[0])) if bridge.is_matrix(args[0]) else args[0]
        return bridge.entrywise(pick, args)
    return build


def _sympy_norm(bridge: Any, args: list[Any]) -> Any:
    sp, x = bridge.sp, args[0]
    if not bridge.is_matrix(x):
        return sp.Abs(x)
    if len(args) == 2 and args[1] == 1:
        return sp.Add(*(sp.Abs(e) for e in bridge.entries(x)))
    return sp.sqrt(sp.Trace(x.T * x))


def _sympy_sum(bridge: Any, args: list[Any]) -> Any:
    sp, x = bridge.sp, args[0]
    if not bridge.is_matrix(x):
        return x
    return (sp.OneMatrix(1, x.shape[0]) * x * sp.OneMatrix(x.shape[1], 1))[0, 0]


def _sympy_diag(bridge: Any, args: list[Any]) -> Any:
    from sympy.matrices.expressions.diagonal import DiagMatrix, DiagonalOf

    x = args[0]
    if not bridge.is_matrix(x):
        return x
    if 1 in x.shape:
        return DiagMatrix(x)
    size = x.shape[0]
    if getattr(size, "is_Integer", False):  # sympy's DiagonalOf fails once sizes are numbers
        return bridge.sp.ImmutableMatrix([x[i, i] for i in range(int(size))])
    return DiagonalOf(x)


def _sympy_matrix(matrix: str, scalar: Callable[[Any, Any], Any]) -> Callable[..., Any]:
    def build(bridge: Any, args: list[Any]) -> Any:
        x = args[0]
        if bridge.is_matrix(x):
            return getattr(bridge.sp, matrix)(x)
        return scalar(bridge.sp, x)
    return build


def _sympy_softmax(bridge: Any, args: list[Any]) -> Any:
    sp, z = bridge.sp, args[0]
    if not bridge.is_matrix(z):
        return sp.Integer(1)
    exps = bridge.entrywise(sp.exp, [z])
    return exps * (1 / _sympy_sum(bridge, [exps]))


def _sympy_logsumexp(bridge: Any, args: list[Any]) -> Any:
    sp, z = bridge.sp, args[0]
    if not bridge.is_matrix(z):
        return z
    return sp.log(_sympy_sum(bridge, [bridge.entrywise(sp.exp, [z])]))


def _sympy_inner(bridge: Any, args: list[Any]) -> Any:
    sp, a, b = bridge.sp, args[0], args[1]
    if not bridge.is_matrix(a):
        return a * b
    return sp.Trace(a.T * b) if a.shape[1] != 1 else (a.T * b)[0, 0]


def _sympy_hadamard(bridge: Any, args: list[Any]) -> Any:
    if bridge.is_matrix(args[0]) and bridge.is_matrix(args[1]):
        return bridge.sp.HadamardProduct(*args)
    return args[0] * args[1]


def _sympy_eye(bridge: Any, args: list[Any]) -> Any:
    return bridge.sp.Identity(args[0])


def _sympy_ones(bridge: Any, args: list[Any]) -> Any:
    return bridge.sp.OneMatrix(args[0], args[1] if len(args) > 1 else 1)


# -- the table -----------------------------------------------------------------------------------

def _scalar_function(name: str, f: Callable[[Array], Array], df: Callable[[Array, Array], Array],
                     sympy: Callable[[Any], Callable[[Any], Any]], examples: tuple[str, ...],
                     aliases: tuple[str, ...] = (), latex: tuple[str, ...] = (),
                     kinks: KinkRule | None = None, **printers: Printer) -> Builtin:
    return Builtin(name, (1,), _same_shape, _one(D.elementwise(f, df)), sympy, aliases, latex,
                   elementwise=True, kinks=kinks, examples=examples, **printers)


def _latex_call(command: str) -> Printer:
    return lambda args: f"{command}\\left({', '.join(args)}\\right)"


_TABLE: list[Builtin] = [
    _scalar_function("exp", np.exp, lambda u, v: v, lambda sp: sp.exp, ("exp(x)", "exp(v)"),
                     latex=("exp",)),
    _scalar_function("log", np.log, lambda u, v: 1.0 / u, lambda sp: sp.log, ("log(p)",),
                     aliases=("ln",), latex=("log", "ln")),
    _scalar_function("sqrt", np.sqrt, lambda u, v: 0.5 / v, lambda sp: sp.sqrt, ("sqrt(p)",),
                     latex_printer=lambda args: f"\\sqrt{{{args[0]}}}"),
    _scalar_function("abs", np.abs, lambda u, v: np.sign(u), lambda sp: sp.Abs,
                     ("abs(x)", "abs(v)"), kinks=_kink_at_argument,
                     latex_printer=lambda args: f"\\left|{args[0]}\\right|"),
    _scalar_function("sin", np.sin, lambda u, v: np.cos(u), lambda sp: sp.sin, ("sin(x)",),
                     latex=("sin",)),
    _scalar_function("cos", np.cos, lambda u, v: -np.sin(u), lambda sp: sp.cos, ("cos(x)",),
                     latex=("cos",)),
    _scalar_function("tan", np.tan, lambda u, v: 1.0 + v * v, lambda sp: sp.tan, ("tan(u)",),
                     latex=("tan",)),
    _scalar_function("tanh", np.tanh, lambda u, v: 1.0 - v * v, lambda sp: sp.tanh,
                     ("tanh(x)", "tanh(A)"), latex=("tanh",)),
    _scalar_function("sinh", np.sinh, lambda u, v: np.cosh(u), lambda sp: sp.sinh, ("sinh(x)",),
                     latex=("sinh",)),
    _scalar_function("cosh", np.cosh, lambda u, v: np.sinh(u), lambda sp: sp.cosh, ("cosh(x)",),
                     latex=("cosh",)),
    _scalar_function("arctan", np.arctan, lambda u, v: 1.0 / (1.0 + u * u), lambda sp: sp.atan,
                     ("arctan(x)",), aliases=("atan",), latex=("arctan",)),
    _scalar_function("arcsin", np.arcsin, lambda u, v: 1.0 / np.sqrt(1.0 - u * u),
                     lambda sp: sp.asin, ("arcsin(u)",), aliases=("asin",), latex=("arcsin",)),
    _scalar_function("arccos", np.arccos, lambda u, v: -1.0 / np.sqrt(1.0 - u * u),
                     lambda sp: sp.acos, ("arccos(u)",), aliases=("acos",), latex=("arccos",)),
    _scalar_function("sec", lambda u: 1.0 / np.cos(u), lambda u, v: v * np.tan(u),
                     lambda sp: sp.sec, ("sec(u)",), latex=("sec",)),
    _scalar_function("csc", lambda u: 1.0 / np.sin(u), lambda u, v: -v / np.tan(u),
                     lambda sp: sp.csc, ("csc(p)",), latex=("csc",)),
    _scalar_function("cot", lambda u: 1.0 / np.tan(u), lambda u, v: -(1.0 + v * v),
                     lambda sp: sp.cot, ("cot(p)",), latex=("cot",)),
    _scalar_function("sech", lambda u: 1.0 / np.cosh(u), lambda u, v: -v * np.tanh(u),
                     lambda sp: sp.sech, ("sech(x)",)),
    _scalar_function("csch", lambda u: 1.0 / np.sinh(u), lambda u, v: -v / np.tanh(u),
                     lambda sp: sp.csch, ("csch(p)",)),
    _scalar_function("coth", lambda u: 1.0 / np.tanh(u), lambda u, v: 1.0 - v * v,
                     lambda sp: sp.coth, ("coth(p)",), latex=("coth",)),
    _scalar_function("sigmoid", D.sigmoid, lambda u, v: v * (1.0 - v),
                     lambda sp: (lambda u: 1 / (1 + sp.exp(-u))), ("sigmoid(x)", "sigmoid(v)"),
                     aliases=("sigma", "logistic")),
    _scalar_function("softplus", lambda u: np.logaddexp(0.0, u), lambda u, v: D.sigmoid(u),
                     lambda sp: (lambda u: sp.log(1 + sp.exp(u))), ("softplus(x)",)),
    _scalar_function("relu", lambda u: np.maximum(u, 0.0), lambda u, v: (u > 0).astype(float),
                     lambda sp: (lambda u: sp.Max(u, 0)), ("relu(x)", "relu(v)"),
                     aliases=("ReLU",), kinks=_kink_at_argument),
    _scalar_function("sign", np.sign, lambda u, v: np.zeros_like(u), lambda sp: sp.sign,
                     ("sign(x)", "sign(v)"), aliases=("sgn",), kinks=_kink_at_argument),
    _scalar_function("step", lambda u: (u > 0).astype(float), lambda u, v: np.zeros_like(u),
                     lambda sp: (lambda u: sp.Heaviside(u, 0)), ("step(x)", "step(v)"),
                     aliases=("heaviside", "Heaviside"), kinks=_kink_at_argument),
    # numpy has no erf; math.erf, entry by entry, is exact and fast enough.
    _scalar_function("erf", np.vectorize(math.erf, otypes=[float]),
                     lambda u, v: 2.0 / np.sqrt(np.pi) * np.exp(-u * u), lambda sp: sp.erf,
                     ("erf(x)", "erf(v)")),
    Builtin("max", (1, 2), _extreme_shape,
            lambda ctx, call, args: D.extreme(args, np.maximum, np.argmax),
            _sympy_extreme("Max"), latex=("max",), kinks=_kink_extreme(1.0),
            examples=("max(x, y)", "max(0, v)", "max(v)", "max(x)")),
    Builtin("min", (1, 2), _extreme_shape,
            lambda ctx, call, args: D.extreme(args, np.minimum, np.argmin),
            _sympy_extreme("Min"), latex=("min",), kinks=_kink_extreme(-1.0),
            examples=("min(x, y)", "min(v, 0)", "min(v)")),
    Builtin("clip", (3,), _entrywise, lambda ctx, call, args: D.clip(args),
            lambda bridge, args: bridge.entrywise(
                lambda x, a, b: bridge.sp.Min(bridge.sp.Max(x, a), b), args),
            kinks=_kink_clip, examples=("clip(x, -1, 1)", "clip(v, -0.5, p)")),
    Builtin("sum", (1,), _to_scalar, _one(D.sum_entries), _sympy_sum,
            examples=("sum(v)", "sum(A)")),
    Builtin("norm", (1, 2), _norm_shape, _norm_value, _sympy_norm, kinks=_kink_norm,
            plain_printer=lambda args: f"norm({', '.join(args)})",
            latex_printer=lambda args: f"\\left\\|{args[0]}\\right\\|"
            + (f"_{{{args[1]}}}" if len(args) > 1 else ""),
            examples=("norm(v)", "norm(A)", "norm(v, 2)", "norm(v, 1)")),
    Builtin("diag", (1,), _diag_shape, _one(D.diag), _sympy_diag, aliases=("Diag",),
            examples=("diag(v)", "diag(A)")),
    Builtin("hadamard", (2,), _hadamard_shape,
            lambda ctx, call, args: D.product(args[0], args[1]), _sympy_hadamard,
            examples=("hadamard(v, w)", "hadamard(A, B)")),
    Builtin("inner", (2,), _inner_shape, lambda ctx, call, args: D.inner(args[0], args[1]),
            _sympy_inner,
            latex_printer=lambda args: f"\\left\\langle {args[0]}, {args[1]}\\right\\rangle",
            examples=("inner(v, w)", "inner(A, B)")),
    Builtin("trace", (1,), _square("scalar"), _one(D.trace),
            _sympy_matrix("Trace", lambda sp, x: x), aliases=("tr", "Tr"), latex=("tr",),
            latex_printer=_latex_call("\\operatorname{tr}"),
            examples=("trace(A)", "trace(A B)")),
    Builtin("det", (1,), _square("scalar"), _one(D.det),
            _sympy_matrix("Determinant", lambda sp, x: x), latex=("det",),
            examples=("det(A)",)),
    Builtin("logdet", (1,), _square("scalar"), _one(D.logdet),
            lambda bridge, args: bridge.sp.log(_sympy_matrix("Determinant", lambda sp, x: x)(
                bridge, args)),
            examples=("logdet(A)",)),
    Builtin("inv", (1,), _square("matrix"), _one(D.inv),
            _sympy_matrix("Inverse", lambda sp, x: 1 / x), examples=("inv(A)",)),
    Builtin("softmax", (1,), _vector("vector"), _one(D.softmax), _sympy_softmax,
            examples=("softmax(v)",)),
    Builtin("logsumexp", (1,), _vector("scalar"), _one(D.logsumexp), _sympy_logsumexp,
            aliases=("LSE", "lse"), examples=("logsumexp(v)",)),
    Builtin("eye", (1,), _eye_shape, _eye_value, _sympy_eye, sizes=True,
            examples=("eye(n)", "eye(3)")),
    Builtin("ones", (1, 2), _ones_shape, _ones_value, _sympy_ones, sizes=True,
            latex_printer=lambda args: (f"\\mathbf{{1}}_{{{args[0]}}}" if len(args) == 1 else
                                        _latex_call("\\operatorname{ones}")(args)),
            examples=("ones(n)", "ones(n, m)", "ones(2)")),
]

#: Every built-in function by its canonical name.
BUILTINS: Mapping[str, Builtin] = MappingProxyType({entry.name: entry for entry in _TABLE})
#: Every plain spelling (canonical names and aliases) → canonical name.
SPELLINGS: Mapping[str, str] = MappingProxyType(
    {spelling: entry.name for entry in _TABLE for spelling in (entry.name, *entry.aliases)})
#: LaTeX commands that name a function (``\exp``, ``\ln``) → canonical name.
LATEX_COMMANDS: Mapping[str, str] = MappingProxyType(
    {command: entry.name for entry in _TABLE for command in entry.latex})
#: Functions applied to every entry of their argument.
ELEMENTWISE = frozenset(entry.name for entry in _TABLE if entry.elementwise)
