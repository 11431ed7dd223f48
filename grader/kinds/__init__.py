"""Question kinds: one module each, found by name.

Adding a kind means adding a module here whose class subclasses ``WrittenKind`` or ``CodeKind``
and sets ``names`` (see ``base`` for the whole contract); the registry imports every module of
this package (not ``support/``, which holds machinery shared by kinds) and needs no list.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from ..rubric import QuestionBase
from .base import Case, CodeKind, Kind, Outcome, WrittenKind

__all__ = ["Case", "CodeKind", "Kind", "Outcome", "WrittenKind", "registry", "schemas"]


@lru_cache(maxsize=1)
def registry() -> dict[str, type[Kind]]:
    """Every kind name → its class."""
    for module in pkgutil.iter_modules(__path__):
        if not module.ispkg:
            importlib.import_module(f"{__name__}.{module.name}")
    kinds: dict[str, type[Kind]] = {}
    stack = list(Kind.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        for name in cls.names:
            if name in kinds and kinds[name] is not cls:
                raise RuntimeError(f"two kinds are named {name!r}: {kinds[name].__name__} and {cls.__name__}")
            kinds[name] = cls
    return kinds


def schemas() -> dict[str, type[QuestionBase]]:
    """Every kind name → its schema struct, for ``rubric.load_rubric``."""
    return {name: cls.Question for name, cls in registry().items()}
