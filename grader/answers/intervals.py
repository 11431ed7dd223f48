"""Sets of real numbers as students write them: ``(0, 2)``, ``]0, 2[``, ``(0,2]``, ``0 < α < 2``,
``alpha in (0, 2)``, ``2 > alpha > 0``, ``(-inf, 0) U (2, inf)``, ``(-\\infty, 0) \\cup (2, \\infty)``,
with answer-language expressions as endpoints (``(0, 2/x^2)``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Mapping

import numpy as np

from .errors import AnswerError
from .evaluate import evaluate
from .lexer import CMP, COMMA, EOF, IN, LP, NAME, RP, TEXT, UNION, Token, tokenize
from .namespace import Namespace
from .parser import Parser
from .shapes import infer_shape


@dataclass(frozen=True, order=True)
class Interval:
    low: float
    high: float
    low_closed: bool = False
    high_closed: bool = False

    def contains(self, value: float) -> bool:
        above = value > self.low or (self.low_closed and value == self.low)
        below = value < self.high or (self.high_closed and value == self.high)
        return above and below

    def is_empty(self) -> bool:
        return self.low > self.high or (self.low == self.high and not (self.low_closed and self.high_closed))

    def show(self, fmt=lambda v: f"{v:g}") -> str:
        low = "-inf" if self.low == -math.inf else fmt(self.low)
        high = "inf" if self.high == math.inf else fmt(self.high)
        return f"{'[' if self.low_closed else '('}{low}, {high}{']' if self.high_closed else ')'}"


@dataclass(frozen=True)
class IntervalSet:
    """A union of disjoint intervals, sorted and merged."""

    parts: tuple[Interval, ...]

    @classmethod
    def of(cls, parts: list[Interval]) -> "IntervalSet":
        kept = sorted((p for p in parts if not p.is_empty()), key=lambda p: (p.low, not p.low_closed))
        merged: list[Interval] = []
        for part in kept:
            if merged:
                last = merged[-1]
                touches = part.low < last.high or (part.low == last.high and (last.high_closed or part.low_closed))
                if touches:
                    if (part.high, part.high_closed) > (last.high, last.high_closed):
                        high, high_closed = part.high, part.high_closed
                    else:
                        high, high_closed = last.high, last.high_closed
                    merged[-1] = Interval(last.low, high, last.low_closed, high_closed)
                    continue
            merged.append(part)
        return cls(tuple(merged))

    def contains(self, value: float) -> bool:
        return any(p.contains(value) for p in self.parts)

    def intersect(self, other: "IntervalSet") -> "IntervalSet":
        out = []
        for a in self.parts:
            for b in other.parts:
                low, low_closed = max((a.low, not a.low_closed), (b.low, not b.low_closed))
                high, high_closed = min((a.high, a.high_closed), (b.high, b.high_closed))
                out.append(Interval(low, high, not low_closed, high_closed))
        return IntervalSet.of(out)

    def show(self, fmt=lambda v: f"{v:g}") -> str:
        return " U ".join(p.show(fmt) for p in self.parts) if self.parts else "the empty set"


EMPTY_WORDS = {"empty", "none", "emptyset", "varnothing", "nothing"}


def parse_interval(text: str, variables: set[str], namespace: Namespace,
                   params: Mapping[str, float] | None = None) -> IntervalSet:
    """Read a set of values of the variable; AnswerError (with a caret) when it is not one."""
    try:
        return _IntervalReader(text, variables, namespace, params or {}).read()
    except AnswerError as err:
        raise err.with_text(text) from None


class _IntervalReader:
    def __init__(self, text: str, variables: set[str], ns: Namespace, params: Mapping[str, float]):
        self.text = text
        self.variables = variables
        self.ns = ns
        self.params = params
        self.tokens = tokenize(text)[:-1]

    def fail(self, message: str, token: Token | None = None) -> AnswerError:
        span = (token.start, max(token.end, token.start + 1)) if token else None
        return AnswerError(message, self.text, span)

    def word(self, token: Token, *words: str) -> bool:
        """A connective (`and`, `or`, `U`), written plainly or as LaTeX text (`\\text{ and }`)."""
        if token.kind == TEXT:
            return token.value.strip().lower() in words
        return token.kind == NAME and token.value in words and not self.ns.declares(token.value)

    def read(self) -> IntervalSet:
        tokens = self.tokens
        if not tokens:
            raise AnswerError("the answer is empty", self.text)
        if len(tokens) == 1 and tokens[0].kind == NAME and tokens[0].value.lower() in EMPTY_WORDS:
            return IntervalSet(())
        result = None
        for piece in self._split(tokens, lambda t: t.kind == UNION or self.word(t, "U", "or", "cup")):
            part = None
            for conjunct in self._split(piece, lambda t: self.word(t, "and")):
                current = self._piece(conjunct)
                part = current if part is None else part.intersect(current)
            result = part if result is None else IntervalSet.of([*result.parts, *part.parts])
        return result

    def _split(self, tokens: list[Token], is_separator) -> list[list[Token]]:
        pieces, current, depth = [], [], 0
        for token in tokens:
            if token.kind in (LP,) and token.value in ("(", "{", "\\{"):
                depth += 1
            elif token.kind == RP and token.value in (")", "}", "\\}"):
                depth -= 1
            if depth == 0 and is_separator(token):
                if not current:
                    raise self.fail("nothing before this", token)
                pieces.append(current)
                current = []
            else:
                current.append(token)
        if not current:
            raise self.fail("the answer ends too early", tokens[-1] if tokens else None)
        pieces.append(current)
        return pieces

    def _piece(self, tokens: list[Token]) -> IntervalSet:
        # `alpha in (0, 2)` / `\alpha \in (0, 2)`
        if len(tokens) > 2 and self._is_variable(tokens[0]) and (
                tokens[1].kind == IN or self.word(tokens[1], "in")):
            tokens = tokens[2:]
        if any(t.kind == CMP for t in tokens):
            return self._inequality(tokens)
        return self._bracketed(tokens)

    def _is_variable(self, token: Token) -> bool:
        return token.kind == NAME and self.ns.canonical(token.value) in self.variables

    def _bracketed(self, tokens: list[Token]) -> IntervalSet:
        first, last = tokens[0], tokens[-1]
        opens = {("(", LP): False, ("[", LP): True, ("]", RP): False}
        closes = {(")", RP): False, ("]", RP): True, ("[", LP): False}
        if (first.value, first.kind) not in opens or (last.value, last.kind) not in closes or len(tokens) < 5:
            raise self.fail("write an interval like (0, 2), [0, 2) or 0 < alpha < 2", first)
        inner = tokens[1:-1]
        commas = [i for i, t in enumerate(inner) if t.kind == COMMA and self._depth(inner, i) == 0]
        if len(commas) != 1:
            raise self.fail("an interval has two endpoints separated by one comma", first)
        low = self._value(inner[:commas[0]], inner[commas[0]])
        high = self._value(inner[commas[0] + 1:], inner[commas[0]])
        if low > high:
            raise self.fail("the lower endpoint is larger than the upper one", first)
        low_closed = opens[(first.value, first.kind)] and math.isfinite(low)
        high_closed = closes[(last.value, last.kind)] and math.isfinite(high)
        return IntervalSet.of([Interval(low, high, low_closed, high_closed)])

    def _depth(self, tokens: list[Token], index: int) -> int:
        depth = 0
        for token in tokens[:index]:
            if token.kind == LP:
                depth += 1
            elif token.kind == RP:
                depth -= 1
        return depth

    def _inequality(self, tokens: list[Token]) -> IntervalSet:
        segments: list[list[Token]] = [[]]
        ops: list[Token] = []
        for index, token in enumerate(tokens):
            if token.kind == CMP and self._depth(tokens, index) == 0:
                ops.append(token)
                segments.append([])
            else:
                segments[-1].append(token)
        equal = next((op for op in ops if op.value in ("==", "!=")), None)
        if equal is not None:
            raise self.fail("write an inequality with <, <=, > or >=", equal)
        if any(not s for s in segments) or len(ops) > 2:
            raise self.fail("write an inequality like 0 < alpha < 2", ops[0] if ops else tokens[0])
        if len({op.value[0] for op in ops}) > 1:
            raise self.fail("mixed < and > in one inequality", ops[-1])
        if ops[0].value.startswith(">"):
            segments, ops = segments[::-1], ops[::-1]
        where = [i for i, s in enumerate(segments) if len(s) == 1 and self._is_variable(s[0])]
        if len(where) != 1:
            names = " or ".join(sorted(self.variables))
            raise self.fail(f"the inequality must mention {names} once, on its own", tokens[0])
        index = where[0]
        low, high, low_closed, high_closed = -math.inf, math.inf, False, False
        if index > 0:
            low = self._value(segments[index - 1], ops[index - 1])
            low_closed = ops[index - 1].value.endswith("=")
        if index < len(segments) - 1:
            high = self._value(segments[index + 1], ops[index])
            high_closed = ops[index].value.endswith("=")
        if len(segments) == 3 and index != 1:
            raise self.fail("put the variable in the middle: 0 < alpha < 2", tokens[0])
        return IntervalSet.of([Interval(low, high, low_closed and math.isfinite(low),
                                        high_closed and math.isfinite(high))])

    def _value(self, tokens: list[Token], near: Token) -> float:
        if not tokens:
            raise self.fail("an endpoint is missing here", near)
        end = tokens[-1].end
        parser = Parser(self.text, self.ns, tokens=[*tokens, Token(EOF, "", end, end)])
        tree = parser.parse_expression()
        if parser.peek().kind != EOF:
            raise self.fail(f"unexpected `{parser.peek().value}` in an endpoint", parser.peek())
        if infer_shape(tree, self.ns) != (1, 1):
            raise self.fail("an endpoint must be a number", tokens[0])
        env = {k: np.array([float(v)]) for k, v in self.params.items()}
        with np.errstate(all="ignore"):
            value = float(evaluate(tree, self.ns, env, {}, 1)[0])
        if math.isnan(value):
            raise self.fail("this endpoint is undefined", tokens[0])
        return value
