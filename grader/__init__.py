"""grader: grade math-heavy machine-learning homework at random test points.

``import grader`` imports nothing else; ``from grader import SelfCheck`` loads the notebook API
(docs/self-check.md) without pandas.
"""

from __future__ import annotations

from typing import Any

from .version import __version__

__all__ = ["SelfCheck", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "SelfCheck":
        from .selfcheck.notebook import SelfCheck

        return SelfCheck
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
