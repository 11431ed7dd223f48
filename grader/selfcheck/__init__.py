"""Self-check without the answer key: a bundle file made from a rubric (``build``), read back
(``load``) and checked against (``check``) with the grading pipeline itself; a notebook API
(``SelfCheck``). docs/self-check.md describes the format, the threat model and the commands.

Importing this package is cheap: its modules are imported when first used.
"""

from __future__ import annotations

from typing import Any

__all__ = ["SelfCheck"]


def __getattr__(name: str) -> Any:
    if name == "SelfCheck":
        from .notebook import SelfCheck

        return SelfCheck
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
