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
              count: int = 3) -> list[dict[str, int]]:
    """``count`` assignments of sizes to dimension names.

    Every name takes at least two different sizes across the sets and never the size 1 (unless its
    range allows nothing else), and within a set different names get different sizes where the
    ranges allow, so no set makes every matrix square: a transpose cannot pass by accident.
    """
    names = sorted(dims)
    if not names:
        return [{}]
    for _ in range(200):
        sets = [_one_set(names, dims, rng) for _ in range(count)]
        varied = all(len({s[name] for s in sets}) >= 2 or dims[name][0] == dims[name][1]
                     for name in names)
        if varied:
            return sets
    return sets


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
