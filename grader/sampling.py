"""Seeded random points, sizes and domains. Every draw is a pure function of the rubric's seed
and a label (the question id and what is drawn), so any verdict can be replayed from the seed."""

from __future__ import annotations

import hashlib
from typing import Mapping

import numpy as np

DEFAULT_DIM_RANGE = (2, 6)


def generator(seed: int, *labels: str) -> np.random.Generator:
    """A generator for one purpose: the same seed and labels always give the same stream."""
    digest = hashlib.sha256(repr((seed, labels)).encode()).digest()
    return np.random.default_rng(int.from_bytes(digest[:16], "little"))


def size_sets(dims: Mapping[str, tuple[int, int]], rng: np.random.Generator,
              count: int = 3, at_least: tuple[tuple[str, str], ...] = ()) -> list[dict[str, int]]:
    """``count`` assignments of sizes to dimension names.

    Every name takes at least two different sizes across the sets and never the size 1 (unless its
    range allows nothing else), and within a set different names get different sizes where the
    ranges allow, so no set makes every matrix square: a transpose cannot pass by accident.
    ``at_least`` holds pairs (big, small) of names whose sizes must satisfy big >= small (a matrix
    with orthonormal columns).
    """
    names = sorted(dims)
    if not names:
        return [{}]
    for _ in range(200):
        sets = [_order(_one_set(names, dims, rng), at_least, dims) for _ in range(count)]
        varied = all(len({s[name] for s in sets}) >= 2 or dims[name][0] == dims[name][1]
                     for name in names)
        if varied:
            return sets
    return sets


def _order(chosen: dict[str, int], at_least: tuple[tuple[str, str], ...],
           dims: Mapping[str, tuple[int, int]]) -> dict[str, int]:
    """Swap sizes within a set where a pair (big, small) came out the wrong way round."""
    for big, small in at_least:
        if chosen[big] < chosen[small]:
            swapped = {**chosen, big: chosen[small], small: chosen[big]}
            if all(dims[k][0] <= swapped[k] <= dims[k][1] for k in (big, small)):
                chosen = swapped
    return chosen


def _one_set(names: list[str], dims: Mapping[str, tuple[int, int]],
             rng: np.random.Generator) -> dict[str, int]:
    chosen: dict[str, int] = {}
    for name in names:
        low, high = dims[name]
        options = [v for v in range(max(low, 2), high + 1) if v not in chosen.values()]
        if not options:
            options = list(range(max(low, 2), high + 1)) or [low]
        chosen[name] = int(rng.choice(options))
    return chosen


def uniform(rng: np.random.Generator, bounds: tuple[float, float], size) -> np.ndarray:
    low, high = bounds
    return rng.uniform(low, high, size=size)


#: Structures a symbol can be drawn with, so the question's assumptions hold at every point.
STRUCTURES = ("onehot", "simplex", "unit", "symmetric", "spd", "diagonal", "orthogonal")
VECTOR_STRUCTURES = frozenset({"onehot", "simplex", "unit"})
SQUARE_STRUCTURES = frozenset({"symmetric", "spd", "diagonal"})


def structured(rng: np.random.Generator, structure: str, bounds: tuple[float, float],
               count: int, shape: tuple[int, ...]) -> np.ndarray:
    """``count`` draws of a (rows, cols) matrix (or a vector) with the given structure.

    onehot: one entry 1, the rest 0. simplex: positive entries summing to 1. unit: Euclidean
    norm 1. symmetric: A = Aᵀ with entries in ``bounds``. spd: symmetric positive definite with
    eigenvalues in ``bounds`` (default [0.5, 2]). diagonal: zero off the diagonal, diagonal
    entries in ``bounds``. orthogonal: orthonormal columns (rows ≥ cols).
    """
    low, high = bounds
    size = int(np.prod(shape))
    if structure == "onehot":
        flat = np.zeros((count, size))
        flat[np.arange(count), rng.integers(0, size, count)] = 1.0
        return flat.reshape((count, *shape))
    if structure == "simplex":
        flat = rng.dirichlet(np.ones(size), count)
        return flat.reshape((count, *shape))
    if structure == "unit":
        flat = rng.standard_normal((count, size))
        flat /= np.linalg.norm(flat, axis=1, keepdims=True)
        return flat.reshape((count, *shape))
    rows, cols = shape
    if structure == "symmetric":
        a = rng.uniform(low, high, (count, rows, cols))
        return (a + a.swapaxes(1, 2)) / 2
    if structure == "diagonal":
        index = np.arange(rows)
        out = np.zeros((count, rows, cols))
        out[:, index, index] = rng.uniform(low, high, (count, rows))
        return out
    if structure == "spd":
        q, _ = np.linalg.qr(rng.standard_normal((count, rows, rows)))
        eigenvalues = rng.uniform(low, high, (count, rows))
        return (q * eigenvalues[:, None, :]) @ q.swapaxes(1, 2)
    if structure == "orthogonal":
        q, r = np.linalg.qr(rng.standard_normal((count, rows, cols)))
        # Fix the signs so the draw is a proper sample of orthonormal columns.
        return q * np.sign(np.diagonal(r, axis1=1, axis2=2))[:, None, :]
    raise ValueError(f"unknown structure {structure!r}")
