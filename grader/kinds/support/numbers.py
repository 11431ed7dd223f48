"""Reading numbers written in the answer language (``87.5``, ``175/2``, ``\\frac{175}{2}``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ...answers import AnswerError, Namespace, evaluate, read

_NO_NAMES = Namespace()


def number_value(text: Any, ns: Namespace = _NO_NAMES, params: dict[str, float] | None = None) -> float:
    """The value of a numeric answer; AnswerError when it is not a single number."""
    expression = read(str(text), ns)
    if not expression.is_scalar:
        raise AnswerError("expected a single number")
    env = {k: np.array([v]) for k, v in (params or {}).items()}
    with np.errstate(all="ignore"):
        return float(evaluate(expression.tree, ns, env, {}, 1)[0])


__all__ = ["number_value"]
