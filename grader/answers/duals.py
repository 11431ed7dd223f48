"""Values with their forward-mode derivatives ("tangents"), over a batch of sample points.

Scalars are arrays of shape (N,), matrices stacks of shape (N, rows, cols). A tangent carries the
derivative along every entry of the variable in an extra axis of size D right after the sample
axis: (N, D) for scalars, (N, D, rows, cols) for matrices; None means "does not depend on the
variable". Both the evaluator's operators and the built-in functions' rules are made of these.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

Array = np.ndarray
Tangent = Array | None
Dual = tuple[Array, Tangent]


def d(x: Array) -> Array:
    """Insert the derivative axis so a value lines up with tangents."""
    return x[:, None]


def lift(x: Array, ndim: int) -> Array:
    """A scalar batch (N,) or its tangent (N, D), broadcastable against matrices."""
    return x.reshape(x.shape + (1,) * (ndim - x.ndim))


def spread(tangent: Tangent, value: Array) -> Tangent:
    """A tangent made to match ``value``'s shape (a scalar's tangent broadcast over a matrix)."""
    if tangent is None or tangent.shape[2:] == value.shape[1:]:
        return tangent
    full = lift(tangent, value.ndim + 1)
    return np.broadcast_to(full, tangent.shape[:2] + value.shape[1:])


def add(a: Tangent, b: Tangent) -> Tangent:
    if a is None:
        return b
    if b is None:
        return a
    if a.ndim != b.ndim:
        ndim = max(a.ndim, b.ndim)
        a, b = lift(a, ndim), lift(b, ndim)
    return a + b


def neg(t: Tangent) -> Tangent:
    return None if t is None else -t


def scale(factor: Array, tangent: Tangent) -> Tangent:
    """Tangent of f(u) given f'(u) (same shape as u) and u's tangent."""
    return None if tangent is None else d(factor) * tangent


def squeeze(value: Array, tangent: Tangent) -> Dual:
    """A 1 x 1 matrix is a scalar."""
    if value.ndim == 3 and value.shape[1] == 1 and value.shape[2] == 1:
        return value[:, 0, 0], (None if tangent is None else tangent[:, :, 0, 0])
    return value, tangent


def align(x: Dual, y: Dual) -> tuple[Array, Tangent, Array, Tangent]:
    """Two operands of an entry-by-entry operation, a scalar lifted to broadcast over a matrix."""
    (a, ta), (b, tb) = x, y
    if a.ndim == b.ndim:
        return a, ta, b, tb
    ndim = max(a.ndim, b.ndim)
    return (lift(a, ndim), None if ta is None else lift(ta, ndim + 1),
            lift(b, ndim), None if tb is None else lift(tb, ndim + 1))


def finish(value: Array, tangent: Tangent) -> Dual:
    """The result of an entry-by-entry operation: a full-shaped tangent, 1 x 1 folded."""
    if value.ndim == 3 and value.shape[1] == 1 and value.shape[2] == 1:
        return squeeze(value, spread(tangent, value))
    return value, spread(tangent, value)


def sum_(x: Dual, y: Dual, sign: float = 1.0) -> Dual:
    a, ta, b, tb = align(x, y)
    if sign > 0:
        return finish(a + b, add(ta, tb))
    return finish(a - b, add(ta, neg(tb)))


def product(x: Dual, y: Dual) -> Dual:
    """Entry by entry (a scalar scales everything)."""
    a, ta, b, tb = align(x, y)
    return finish(a * b, add(None if ta is None else ta * d(b), None if tb is None else d(a) * tb))


def quotient(x: Dual, y: Dual) -> Dual:
    a, ta, b, tb = align(x, y)
    value = a / b
    if ta is None and tb is None:
        return finish(value, None)
    numerator = add(ta, None if tb is None else -d(value) * tb)
    return finish(value, numerator / d(b))


def power(x: Dual, y: Dual) -> Dual:
    a, ta, b, tb = align(x, y)
    value = np.power(a, b)
    tangent = None
    if ta is not None:
        tangent = d(b * np.power(a, b - 1.0)) * ta
    if tb is not None:
        tangent = add(tangent, d(value * np.log(a)) * tb)
    return finish(value, tangent)


def matmul(x: Dual, y: Dual) -> Dual:
    """The matrix product; a scalar on either side scales the other."""
    (a, ta), (b, tb) = x, y
    if a.ndim == 3 and b.ndim == 3:
        value = a @ b
        tangent = add(None if ta is None else ta @ d(b), None if tb is None else d(a) @ tb)
        return squeeze(value, tangent)
    return product(x, y)


def inverse(a: Array, ta: Tangent) -> Dual:
    try:
        value = np.linalg.inv(a)
    except np.linalg.LinAlgError:
        value = np.full_like(a, np.nan)
        for i, matrix in enumerate(a):
            try:
                value[i] = np.linalg.inv(matrix)
            except np.linalg.LinAlgError:
                pass
    tangent = None if ta is None else -(d(value) @ ta @ d(value))
    return value, tangent


def matrix_power(a: Array, ta: Tangent, k: int) -> Dual:
    if k < 0:
        a, ta = inverse(a, ta)
        k = -k
    if k == 0:
        return np.broadcast_to(np.eye(a.shape[1]), a.shape), None
    value, tangent = a, ta
    for _ in range(k - 1):
        value, tangent = matmul((value, tangent), (a, ta))
    return value, tangent


def elementwise(f: Callable[[Array], Array],
                df: Callable[[Array, Array], Array]) -> Callable[[Dual], Dual]:
    """The dual rule of a scalar function ``f`` with derivative ``df(u, f(u))``."""
    def rule(x: Dual) -> Dual:
        u, tu = x
        value = f(u)
        return value, (None if tu is None else scale(df(u, value), tu))
    return rule


def select(conditions: list[Array], values: list[Dual], default: Dual | None) -> Dual:
    """The first value whose condition (0 or 1) holds, entry by entry; nan where none does."""
    arrays = [*conditions, *(v[0] for v in values)]
    if default is not None:
        arrays.append(default[0])
    ndim = max(a.ndim for a in arrays)
    shape = np.broadcast_shapes(*(lift(a, ndim).shape for a in arrays))

    def full(x: Array) -> Array:
        return np.broadcast_to(lift(x, ndim), shape)

    choices = [*values, default] if default is not None else list(values)
    masks = [full(c) > 0.5 for c in conditions]
    fallback = full(default[0]) if default is not None else np.full(shape, np.nan)
    value = np.select(masks, [full(v[0]) for v in values], fallback)
    tangent = None
    if any(t is not None for _, t in choices):
        dims = next(t.shape[1] for _, t in choices if t is not None)
        tshape = shape[:1] + (dims,) + shape[1:]

        def tfull(t: Tangent) -> Array:
            if t is None:
                return np.zeros(tshape)
            return np.broadcast_to(lift(t, ndim + 1), tshape)

        tmasks = [d(m) for m in masks]
        zero_or_default = tfull(default[1]) if default is not None else np.zeros(tshape)
        tangent = np.select(tmasks, [tfull(t) for _, t in values], zero_or_default)
    return finish(value, tangent)


# -- rules of functions that are not entry by entry ----------------------------------------------

def flat(u: Array) -> Array:
    return u.reshape(u.shape[0], -1)


def sum_entries(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return u, tu
    return u.sum(axis=(1, 2)), (None if tu is None else tu.sum(axis=(2, 3)))


def norm(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return np.abs(u), scale(np.sign(u), tu)
    value = np.sqrt((u * u).sum(axis=(1, 2)))
    # At u = 0 the norm has a kink; its subgradient 0 there keeps ‖u‖² differentiable (the
    # chain rule's 2‖u‖·0 instead of 0/0), so descent that lands on a minimiser stays finite.
    safe = np.where(value > 0, value, 1.0)
    tangent = None if tu is None else np.where(d(value) > 0, (d(u) * tu).sum(axis=(2, 3)) / d(safe), 0.0)
    return value, tangent


def norm1(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return np.abs(u), scale(np.sign(u), tu)
    tangent = None if tu is None else (d(np.sign(u)) * tu).sum(axis=(2, 3))
    return np.abs(u).sum(axis=(1, 2)), tangent


def diag(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return u, tu
    rows, cols = u.shape[1], u.shape[2]
    if rows == 1 or cols == 1:
        size = max(rows, cols)
        index = np.arange(size)
        value = np.zeros((u.shape[0], size, size))
        value[:, index, index] = u.reshape(u.shape[0], size)
        tangent = None
        if tu is not None:
            tangent = np.zeros(tu.shape[:2] + (size, size))
            tangent[:, :, index, index] = tu.reshape(tu.shape[:2] + (size,))
        return value, tangent
    index = np.arange(rows)
    return (u[:, index, index][:, :, None],
            None if tu is None else tu[:, :, index, index][..., None])


def extreme(args: list[Dual], pick: Callable, arg: Callable) -> Dual:
    """max / min: of two values entry by entry, or of one vector's entries."""
    if len(args) == 2:
        a, ta, b, tb = align(args[0], args[1])
        value = pick(a, b)
        if ta is None and tb is None:
            return finish(value, None)
        first = d(value == a)
        zero = np.zeros((1,) * (value.ndim + 1))
        tangent = np.where(first, zero if ta is None else ta, zero if tb is None else tb)
        return finish(value, tangent)
    u, tu = args[0]
    if u.ndim == 1:
        return u, tu
    index = arg(flat(u), axis=1)
    value = np.take_along_axis(flat(u), index[:, None], axis=1)[:, 0]
    tangent = None
    if tu is not None:
        tflat = tu.reshape(tu.shape[:2] + (-1,))
        tangent = np.take_along_axis(tflat, index[:, None, None], axis=2)[:, :, 0]
    return value, tangent


def top_gap(u: Array) -> Array:
    """Per point, the gap between the two largest entries (where max of a vector has a kink)."""
    if u.ndim == 1 or flat(u).shape[1] < 2:
        return np.full(u.shape[0], np.inf)
    ordered = np.sort(flat(u), axis=1)
    return ordered[:, -1] - ordered[:, -2]


def clip(args: list[Dual]) -> Dual:
    low = extreme([args[0], args[1]], np.maximum, np.argmax)
    return extreme([low, args[2]], np.minimum, np.argmin)


def trace(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return u, tu
    index = np.arange(u.shape[1])
    return (u[:, index, index].sum(axis=1),
            None if tu is None else tu[:, :, index, index].sum(axis=2))


def det(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return u, tu
    value = np.linalg.det(u)
    tangent = None
    if tu is not None:
        inv, _ = inverse(u, None)
        index = np.arange(u.shape[1])
        tangent = d(value) * (d(inv) @ tu)[:, :, index, index].sum(axis=2)
    return value, tangent


def logdet(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return np.log(u), (None if tu is None else tu / d(u))
    sign, magnitude = np.linalg.slogdet(u)
    value = np.where(sign > 0, magnitude, np.nan)
    tangent = None
    if tu is not None:
        inv, _ = inverse(u, None)
        index = np.arange(u.shape[1])
        tangent = (d(inv) @ tu)[:, :, index, index].sum(axis=2)
    return value, tangent


def inv(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return 1.0 / u, (None if tu is None else -tu / d(u * u))
    return inverse(u, tu)


def softmax(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return np.ones_like(u), None
    shifted = np.exp(u - u.max(axis=(1, 2), keepdims=True))
    value = shifted / shifted.sum(axis=(1, 2), keepdims=True)
    tangent = None
    if tu is not None:
        inner = (d(value) * tu).sum(axis=(2, 3), keepdims=True)
        tangent = d(value) * (tu - inner)
    return value, tangent


def logsumexp(x: Dual) -> Dual:
    u, tu = x
    if u.ndim == 1:
        return u, tu
    top = u.max(axis=(1, 2))
    value = top + np.log(np.exp(u - top[:, None, None]).sum(axis=(1, 2)))
    tangent = None
    if tu is not None:
        weights = np.exp(u - value[:, None, None])
        tangent = (d(weights) * tu).sum(axis=(2, 3))
    return value, tangent


def inner(x: Dual, y: Dual) -> Dual:
    """<a, b>: the sum of the entries of a ⊙ b (a^T b for columns, tr(A^T B) for matrices)."""
    return sum_entries(product(x, y))


def sigmoid(x: Array) -> Array:
    return np.exp(-np.logaddexp(0.0, -x))
