"""What a question lets an answer refer to: its symbols, given values, functions and sizes."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from .nodes import Dim, Node

Shape = tuple[Dim, Dim]
SCALAR: Shape = (1, 1)

CONSTANTS = frozenset({"e", "pi", "inf"})
CONSTANT_ALIASES: Mapping[str, str] = MappingProxyType(
    {"infty": "inf", "infinity": "inf", "oo": "inf", "Inf": "inf"})


@dataclass(frozen=True, slots=True)
class Symbol:
    """A declared real scalar (shape 1 x 1) or matrix; sizes may be dimension names."""

    name: str
    shape: Shape = SCALAR

    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR


@dataclass(frozen=True, slots=True)
class Function:
    """A rubric-defined function of scalar parameters, like ``f(x) = 1/(1 + exp(-x))``."""

    name: str
    params: tuple[str, ...]
    body: Node


@dataclass(frozen=True)
class Namespace:
    """Everything an answer to one question may name. Built by the rubric, trusted."""

    symbols: Mapping[str, Symbol] = field(default_factory=dict)
    givens: Mapping[str, Node] = field(default_factory=dict)
    given_shapes: Mapping[str, Shape] = field(default_factory=dict)
    functions: Mapping[str, Function] = field(default_factory=dict)
    #: Other spellings: alias → canonical name of a symbol, given or function.
    aliases: Mapping[str, str] = field(default_factory=dict)
    #: Names that mean an identity matrix, with its size (``I: n``).
    identities: Mapping[str, Dim] = field(default_factory=dict)
    #: Dimension names: sizes in shapes, and numbers (this batch's size) in answers: ``1/n``.
    dims: frozenset[str] = frozenset()
    allow_inf: bool = False
    #: Parameters visible while parsing a function body (the rubric's own text only).
    params: frozenset[str] = frozenset()
    #: Elementwise shorthand, as numpy and ML papers write it: a scalar plus a vector or matrix,
    #: powers and division of vectors (and non-square matrices) entry by entry. Square matrices
    #: keep their matrix meaning (A^2 is A A, A^{-1} the inverse) either way.
    broadcast: bool = False

    def canonical(self, word: str) -> str:
        """The declared name ``word`` spells, or ``word`` itself."""
        return self.aliases.get(word, word)

    def declares(self, word: str) -> bool:
        name = self.canonical(word)
        return (name in self.symbols or name in self.givens or name in self.functions
                or name in self.identities or name in self.params)

    def known_names(self) -> list[str]:
        """Names to list in an 'unknown name' message, in a stable order."""
        names = [*self.symbols, *self.givens, *self.functions, *self.identities]
        return sorted(dict.fromkeys(names), key=lambda s: (s.lower(), s))
