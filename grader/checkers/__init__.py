"""Question kinds: one module each, registered under the YAML ``kind`` it checks.

Adding a kind means adding a module here that defines a ``Checker`` subclass with ``kind`` set;
it is found by name, with no list to update.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import lru_cache

from .base import Checker, Outcome

__all__ = ["Checker", "Outcome", "registry"]


@lru_cache(maxsize=1)
def registry() -> dict[str, type[Checker]]:
    """Every question kind → its checker class."""
    for module in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{module.name}")
    kinds: dict[str, type[Checker]] = {}
    stack = list(Checker.__subclasses__())
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        for kind in cls.kinds:
            kinds[kind] = cls
    return kinds
