"""Shared machinery for questions answered with expressions over declared symbols.

A question's symbols, givens and sizes become a Namespace; sample points are drawn once per batch
(several sizes for matrix questions) and the reference is evaluated there once. Checking an answer
is then: parse, compare shapes symbolically, evaluate at the same points, compare values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from ...answers import (SCALAR, AnswerError, Expression, Function, Namespace, Node, Shape, Symbol,
                        evaluate, gradient, infer_shape, kink_distance, parse, read, show)
from ...answers.nodes import Name, walk
from ...errors import QuestionError
from ...rubric import GivenFunction, GivenValue, SymbolicQuestion
from ...sampling import DEFAULT_DIM_RANGE, generator, size_sets, structured, uniform
from ...tolerance import within

#: Candidate points drawn per point needed, so that points where the reference is undefined can
#: be dropped ("redrawn") without a second pass.
OVERDRAW = 4


def build_namespace(question: SymbolicQuestion, allow_inf: bool = False) -> Namespace:
    """The names an answer to ``question`` may use, with givens parsed (in order) and shaped."""
    symbols: dict[str, Symbol] = {}
    aliases: dict[str, str] = {}
    identities: dict[str, Any] = {}
    dims = set(question.dims)
    for name, spec in question.symbols.items():
        if spec.identity is not None:
            identities[name] = spec.identity
            if isinstance(spec.identity, str):
                dims.add(spec.identity)
        else:
            symbols[name] = Symbol(name, spec.shape or SCALAR)
            dims.update(d for d in (spec.shape or ()) if isinstance(d, str))
        for alias in spec.aliases:
            aliases[alias] = name
    broadcast = bool(getattr(question, "broadcast", False))
    namespace = Namespace(symbols=symbols, aliases=aliases, identities=identities,
                          dims=frozenset(dims), allow_inf=allow_inf, broadcast=broadcast)
    givens: dict[str, Node] = {}
    shapes: dict[str, Shape] = {}
    functions: dict[str, Function] = {}
    for name, spec in question.given.items():
        field = ("given", name)
        if isinstance(spec, GivenFunction):
            local = Namespace(symbols=symbols, givens=givens, given_shapes=shapes,
                              functions=functions, aliases=aliases, identities=identities,
                              dims=namespace.dims, params=frozenset(spec.args), broadcast=broadcast)
            body = _parse_trusted(spec.value, local, field + ("value",))
            try:
                shape = infer_shape(body, local, frozenset(spec.args))
            except AnswerError as err:
                raise QuestionError(field + ("value",), err.message) from None
            if shape != SCALAR:
                raise QuestionError(field, "a given function must have a scalar value")
            functions[name] = Function(name, tuple(spec.args), body)
        else:
            text = spec.value if isinstance(spec, GivenValue) else str(spec)
            local = Namespace(symbols=symbols, givens=givens, given_shapes=shapes,
                              functions=functions, aliases=aliases, identities=identities,
                              dims=namespace.dims, broadcast=broadcast)
            tree = _parse_trusted(text, local, field)
            try:
                shapes[name] = infer_shape(tree, local)
            except AnswerError as err:
                raise QuestionError(field, err.message) from None
            givens[name] = tree
        for alias in getattr(spec, "aliases", ()):
            aliases[alias] = name
    return Namespace(symbols=symbols, givens=givens, given_shapes=shapes, functions=functions,
                     aliases=aliases, identities=identities, dims=namespace.dims,
                     allow_inf=allow_inf, broadcast=broadcast)


def _parse_trusted(text: str, ns: Namespace, field: tuple) -> Node:
    try:
        return parse(text, ns)
    except AnswerError as err:
        raise QuestionError(field, err.message) from None


def read_reference(text: Any, ns: Namespace, field: tuple) -> Expression:
    """A rubric expression (reference, mistake), parsed with the student's own rules."""
    try:
        return read(str(text), ns)
    except AnswerError as err:
        raise QuestionError(field, err.message) from None


@dataclass(frozen=True)
class Batch:
    """Sample points at one assignment of sizes: symbol values (and givens) for ``n`` points."""

    sizes: Mapping[str, int]
    env: Mapping[str, np.ndarray]
    n: int


def draw_batches(question: SymbolicQuestion, ns: Namespace, seed: int, count: int,
                 reference: Callable[[Mapping[str, np.ndarray], Mapping[str, int], int], np.ndarray],
                 samples: int | None = None) -> tuple[list[Batch], list[np.ndarray]]:
    """Sample points and the reference's values there, dropping points where it is undefined.

    Scalars are (n,), matrices (n, rows, cols). Given values are computed here, once per batch,
    and stored in the batch so that no answer recomputes them.
    """
    wanted = samples or question.samples
    dims = {name: tuple(question.dims.get(name, DEFAULT_DIM_RANGE)) for name in ns.dims}
    at_least = tuple((spec.shape[0], spec.shape[1]) for spec in question.symbols.values()
                     if spec.structure == "orthogonal" and spec.shape
                     and all(isinstance(d, str) for d in spec.shape) and spec.shape[0] != spec.shape[1])
    sizes_list = size_sets(dims, generator(seed, question.id, "sizes"), count if dims else 1, at_least)
    batches, values = [], []
    for index, sizes in enumerate(sizes_list):
        rng = generator(seed, question.id, "points", str(index))
        candidates = wanted * OVERDRAW
        env: dict[str, np.ndarray] = {}
        for name, symbol in ns.symbols.items():
            spec = question.symbols[name]
            shape = () if symbol.is_scalar else tuple(_size(d, sizes) for d in symbol.shape)
            if spec.structure is not None:
                if spec.structure == "orthogonal" and shape[0] < shape[1]:
                    raise QuestionError(("symbols", name, "shape"), "orthogonal needs at least "
                                        "as many rows as columns at every size")
                env[name] = structured(rng, spec.structure, spec.bounds(), candidates, shape)
            else:
                env[name] = uniform(rng, spec.bounds(), (candidates, *shape))
        with np.errstate(all="ignore"):
            for name, tree in ns.givens.items():
                env[name] = evaluate(tree, ns, env, sizes, candidates)
            ref = reference(env, sizes, candidates)
        finite = np.isfinite(ref.reshape(candidates, -1)).all(axis=1)
        for name in ns.givens:
            finite &= np.isfinite(env[name].reshape(candidates, -1)).all(axis=1)
        tree = getattr(reference, "tree", None)
        if tree is not None:
            clean = {k: v for k, v in env.items() if k not in ns.givens}
            finite &= kink_distance(tree, ns, clean, sizes, candidates) > KINK_MARGIN
        keep = np.flatnonzero(finite)[:wanted]
        if len(keep) < max(1, min(wanted, 5)):
            raise QuestionError((), f"the reference is undefined at almost every sample point "
                                    f"({len(keep)} of {candidates} usable): check the domains")
        batches.append(Batch(sizes, {k: v[keep] for k, v in env.items()}, len(keep)))
        values.append(ref[keep])
    return batches, values


def _size(dim: Any, sizes: Mapping[str, int]) -> int:
    return dim if isinstance(dim, int) else sizes[dim]


def agree(answer: np.ndarray, reference: np.ndarray, rtol: float, atol: float) -> np.ndarray:
    """Per sample point: True where every entry satisfies |a - r| <= atol + rtol·|r|."""
    close = within(answer, reference, rtol, atol)
    return close.reshape(close.shape[0], -1).all(axis=1)


class ReferenceFunction:
    """Evaluator of the reference over a batch: the tree, or its exact gradient wrt a symbol.
    ``tree`` is what sampling keeps away from: points near its kinks are redrawn."""

    def __init__(self, tree: Node, ns: Namespace, wrt: str | None, transpose: bool):
        self.tree, self.ns, self.wrt, self.transpose = tree, ns, wrt, transpose

    def __call__(self, env: Mapping[str, np.ndarray], sizes: Mapping[str, int], n: int) -> np.ndarray:
        if self.wrt is None:
            out = evaluate(self.tree, self.ns, env, sizes, n)
        else:
            clean = {k: v for k, v in env.items() if k not in self.ns.givens}
            out = gradient(self.tree, self.ns, clean, sizes, n, self.wrt)
        if self.transpose and out.ndim == 3:
            out = out.swapaxes(1, 2)
        return out


def reference_function(tree: Node, ns: Namespace, wrt: str | None, transpose: bool) -> ReferenceFunction:
    """Evaluator of the reference over a batch: the tree, or its exact gradient wrt a symbol."""
    return ReferenceFunction(tree, ns, wrt, transpose)


#: Sample points closer than this to a kink or branch boundary of the reference are redrawn, so
#: that answers which differ only there (1[x > 0] and 1[x >= 0] for ReLU') are judged equal.
KINK_MARGIN = 1e-6


def point_description(batch: Batch, index: int, ns: Namespace, names: list[str] | None = None) -> str:
    """``x = 0.7, beta = 1.3`` (scalar symbols) and ``n = 3`` (sizes) at one sample point."""
    parts = []
    for name in names if names is not None else list(ns.symbols):
        symbol = ns.symbols.get(name)
        if symbol is not None and symbol.is_scalar and name in batch.env:
            parts.append(f"{name} = {float(batch.env[name][index]):.3g}")
    parts.extend(f"{dim} = {size}" for dim, size in sorted(batch.sizes.items()))
    return ", ".join(parts)


def used_names(tree: Node) -> list[str]:
    """Symbol names a tree mentions, in order of first use."""
    return list(dict.fromkeys(node.name for node in walk(tree) if isinstance(node, Name)))


def shape_of_reference(tree: Node, ns: Namespace, wrt: str | None, transpose: bool) -> Shape:
    if wrt is not None:
        shape = ns.symbols[wrt].shape
    else:
        shape = infer_shape(tree, ns)
    return (shape[1], shape[0]) if transpose else shape


__all__ = ["Batch", "agree", "build_namespace", "draw_batches",
           "point_description", "read_reference", "reference_function", "shape_of_reference",
           "show", "used_names"]
