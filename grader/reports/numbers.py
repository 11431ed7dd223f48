"""One number formatter for every report file, so the bytes never depend on the code path."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd


def round4(values: Any) -> np.ndarray:
    """Round to 4 decimals; ``+ 0.0`` turns -0.0 into 0.0."""
    return np.round(np.asarray(values, dtype=float), 4) + 0.0


def fmt(x: float) -> str:
    """4 decimals at most, trailing zeros dropped, never ``-0``; NaN is the empty string."""
    if x != x:
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    s = f"{round(x, 4) + 0.0:.4f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def fmt_array(values: Any) -> list[str]:
    """``fmt`` over many values, formatting each distinct value once."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return []
    uniq, inverse = np.unique(arr, return_inverse=True)
    strings = np.array([fmt(u) for u in uniq], dtype=object)
    return strings[inverse.reshape(-1)].tolist()


def parse_scores(values: pd.Series, what: str) -> np.ndarray:
    """Scores from CSV text ("" is NaN); a non-number is an error naming the file."""
    s = pd.Series(values, dtype=object).replace("", np.nan)
    try:
        return pd.to_numeric(s, errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}: non-numeric score ({exc})") from None
