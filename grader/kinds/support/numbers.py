"""Reading numbers written in the answer language (``87.5``, ``175/2``, ``\\frac{175}{2}``)."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from ...answers import AnswerError, Namespace, evaluate, read

_NO_NAMES = Namespace()
#: A plain decimal literal, which reads as Python reads it (ASCII digits only).
_PLAIN = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?")


def number_value(text: Any, ns: Namespace = _NO_NAMES, params: dict[str, float] | None = None) -> float:
    """The value of a numeric answer; AnswerError when it is not a single number."""
    # A number, or text that is a plain literal (`2`, `-0.08`, `1e-05`), is its float: the parse
    # would give the same, and rubrics with a version per student read many of these. Anything
    # else, and a literal too large to be finite, goes through the answer language.
    if (isinstance(text, (int, float)) and not isinstance(text, bool)) or \
            (isinstance(text, str) and _PLAIN.fullmatch(text)):
        try:
            value = float(text)
        except OverflowError:  # an int too large for a float
            value = math.inf
        if math.isfinite(value):
            return value
    expression = read(str(text), ns)
    if not expression.is_scalar:
        raise AnswerError("expected a single number")
    env = {k: np.array([v]) for k, v in (params or {}).items()}
    with np.errstate(all="ignore"):
        return float(evaluate(expression.tree, ns, env, {}, 1)[0])


__all__ = ["number_value"]
