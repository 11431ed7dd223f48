"""When two numbers agree: ``|a - r| <= atol + rtol·|r|``, written here once.

``r`` is the reference (or, when grouping answers, the earlier answer), so the rule is not
symmetric at the edge of the tolerance; every comparison in grader goes through ``within``.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np
import msgspec
from msgspec import Meta

__all__ = ["Tolerance", "allowed", "within", "within_all"]


class Tolerance(msgspec.Struct, forbid_unknown_fields=True, frozen=True, kw_only=True):
    """How far an answer may be from the reference: relative and absolute parts (a rubric field,
    strict like every rubric struct: a misspelt ``rtl`` is an error)."""

    rtol: Annotated[float, Meta(gt=0)] = 1.0e-6
    atol: Annotated[float, Meta(ge=0)] = 1.0e-9


def allowed(reference, rtol: float, atol: float):
    """The largest difference each entry of ``reference`` tolerates."""
    return atol + rtol * np.abs(reference)


def within(value, reference, rtol: float, atol: float):
    """Entry by entry: whether ``value`` is within tolerance of ``reference``. nan is never
    within anything; an infinite reference is matched only by the same infinity (the formula
    alone would let every finite value match it)."""
    with np.errstate(all="ignore"):
        difference = np.abs(np.subtract(value, reference))
        return ((difference <= allowed(reference, rtol, atol)) & (difference < np.inf)) | \
            np.equal(value, reference)


def within_all(value, reference, rtol: float, atol: float) -> bool:
    """Whether every entry is within tolerance."""
    return bool(np.all(within(value, reference, rtol, atol)))
