"""Derivatives as students write them: ``\\frac{\\partial f}{\\partial x}``, ``\\frac{d}{dx} E``,
``\\nabla_w L``, ``df/dx``, ``f'(x)``. A chain that starts from one is a derivation; a term that
holds one anywhere is never read as a value (``d`` might be one of the question's names)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from .chains import Chain, name_like
from .latex import argument

@dataclass(frozen=True)
class Derivative:
    """A derivative written as the left side of a chain: of what, with respect to what."""

    #: The function differentiated, as written (``f``, ``L``, ``f(x_i)``); None for an operator
    #: applied to an expression (``\\frac{\\partial}{\\partial x}(x^T A x)``: see ``operand``).
    of: str | None
    operand: str | None
    #: The variable, as written (``x``, ``\\vec{w}``); None when the notation does not say (``f'``).
    wrt: str | None


_D = r"(?:\\partial|\\(?:mathrm|operatorname|text|mathit)\s*\{\s*~?\s*d\s*\}|\\rm\s+d|d)"
_FRAC = re.compile(r"^\s*\\[dtc]?frac\s*")
_MARK = re.compile(r"^\s*(" + _D + r")(?![A-Za-z]{2,})\s*")
_NABLA = re.compile(r"^\s*\\nabla(?![A-Za-z])\s*")
_SLASH = re.compile(r"^\s*(" + _D + r")\s*(.+?)\s*/\s*(" + _D + r")\s*(.+?)\s*$", re.S)
_PRIME = re.compile(r"^\s*(\\?[A-Za-z]+(?:_\{?[A-Za-z0-9]+\}?)?)\s*(?:'|\^\s*\{?\s*\\prime\s*\}?)\s*(?:\(\s*(.+?)\s*\))?\s*$")


def derivative(text: str) -> Derivative | None:
    """The derivative a term writes, if it is one (``\\frac{\\partial f}{\\partial x}``,
    ``\\frac{d}{dx} E``, ``\\nabla_w L``, ``df/dx``, ``f'(x)``)."""
    if _FRAC.match(text):
        top = argument(text, _FRAC.match(text).end())
        bottom = argument(text, top[1]) if top else None
        if top is None or bottom is None:
            return None
        upper, lower = _MARK.match(top[0]), _MARK.match(bottom[0])
        if upper is None or lower is None or "^" in top[0][:upper.end() + 1]:
            return None
        of = top[0][upper.end():].strip()
        wrt = bottom[0][lower.end():].strip()
        rest = text[bottom[1]:].strip()
        if not wrt or "\\partial" in wrt:
            return None
        if not of:
            return Derivative(None, rest or None, wrt) if rest else None
        return Derivative(of, None, wrt) if not rest or rest.startswith(("(", "\\left(", "\\Big", "\\big")) else None
    nabla = _NABLA.match(text)
    if nabla:
        wrt, rest = None, text[nabla.end():]
        if rest.lstrip().startswith("_"):
            sub = argument(rest, rest.index("_") + 1)
            if sub is None:
                return None
            wrt, rest = sub[0].strip(), rest[sub[1]:]
        rest = rest.strip()
        if not rest:
            return None
        return Derivative(rest, None, wrt) if name_like(rest) or _call_like(rest) else Derivative(None, rest, wrt)
    slash = _SLASH.match(text)
    if slash and "/" not in slash.group(2):
        return Derivative(slash.group(2), None, slash.group(4))
    prime = _PRIME.match(text)
    if prime:
        return Derivative(prime.group(1), None, prime.group(2))
    return None


def leading_derivative(chain: Chain) -> tuple[int, Derivative] | None:
    """The derivative a chain starts from: its left side (``\\frac{\\partial L}{\\partial w} = …``),
    or the term after a name (``J = \\frac{\\partial f}{\\partial x} = …``); with its index."""
    terms = chain.terms
    if len(terms) < 2:
        return None
    written = derivative(terms[0].text)
    if written is not None:
        return 0, written
    if len(terms) > 2 and name_like(terms[0].text):
        written = derivative(terms[1].text)
        if written is not None:
            return 1, written
    return None


def _call_like(text: str) -> bool:
    return bool(re.match(r"^\\?[A-Za-z]+(?:_\{?\w+\}?)?\s*(?:\\left)?\(.*\)$", text, re.S))


def looks_like_derivative(text: str) -> bool:
    """Whether a term contains a derivative anywhere (``\\frac{d}{dx}(…)`` inside a sum): such a
    term is never read as a value (``d`` might be a name of the question)."""
    if derivative(text) is not None:
        return True
    return bool(re.search(r"\\[dtc]?frac\s*\{\s*" + _D + r"[^{}]*\}\s*\{\s*" + _D, text)
                or re.search(r"(?<![A-Za-z\\])d\s*[A-Za-z]*\s*/\s*d\s*[A-Za-z]", text)
                or "\\nabla" in text or "\\partial" in text)


__all__ = ["Derivative", "derivative", "leading_derivative", "looks_like_derivative"]
