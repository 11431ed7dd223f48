"""What a word means in one question: the name-resolution half of the parser.

A word is, in this order: a parameter of a function body, a declared symbol, given, identity or
function (through the question's aliases and hatted spellings), a declared name spelt with or
without its subscript's underscore (``W_1`` for ``W1``), a dimension used as a number (``1/n``),
a built-in function (``builtins``), a constant, or declared names glued together (``Wx``). Anything
else is an unknown name, with a message that says what to write instead.
"""

from __future__ import annotations

import re

from .builtins import BUILTINS, ELEMENTWISE, MAX_LITERAL_SIZE, SPELLINGS
from .errors import AnswerError
from .lexer import FRAC, LP, NAME, NUM, OP, SQRT, TRANSPOSE, Token
from .namespace import CONSTANT_ALIASES, CONSTANTS, Namespace
from .nodes import (MUL, Apply, BinOp, Call, Const, Given, Identity, Name, Node, Num, Param, Pow,
                    Size, walk)

#: Letters students use for sizes (the number of samples, features, classes, hidden units).
SIZE_LETTERS = frozenset("nmdkNMDK")
_SUBSCRIPTED = re.compile(r"([A-Za-z]+)_?([0-9]+)")
_PRIMES = ("'", "′")


class NameRules:
    """Mixed into the parser: it provides ``ns``, ``tokens``, ``pos``, ``peek``, ``advance``,
    ``error``, ``_show``, ``exponent`` and the expression rules used here."""

    ns: Namespace
    tokens: list[Token]
    pos: int
    exponent: int
    text: str

    # -- provided by the parser ------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        raise NotImplementedError

    def advance(self) -> Token:
        raise NotImplementedError

    def error(self, message: str, token: Token | None = None) -> AnswerError:
        raise NotImplementedError

    def _show(self, token: Token) -> str:
        raise NotImplementedError

    def expect_close(self, opener: Token) -> None:
        raise NotImplementedError

    def parse_call_arguments(self, func: str) -> list[Node]:
        raise NotImplementedError

    def starts_operand(self, token: Token) -> bool:
        raise NotImplementedError

    def unbracketed_argument(self, token: Token) -> Node:
        raise NotImplementedError

    # -- names -----------------------------------------------------------------------------------

    def parse_name(self, token: Token) -> Node:
        word = token.value
        span = (token.start, token.end)
        ns = self.ns
        name = ns.canonical(self.decorated(token))
        if name in ns.params:
            return Param(name, span=span)
        if name in ns.symbols:
            return Name(name, span=span)
        if name in ns.givens:
            return Given(name, span=span)
        if name in ns.identities:
            return Identity(ns.identities[name], span=span)
        if name in ns.functions:
            return self.parse_declared_call(name, token)
        other = self.subscript_spelling(name)
        if other is not None:
            return self.parse_name(Token(NAME, other, token.start, token.end, "", token.latex))
        if name in ns.dims:
            return Size(name, span=span)
        builtin = SPELLINGS.get(word)
        if builtin is not None:
            return self.parse_builtin_call(builtin, token)
        constant = CONSTANT_ALIASES.get(word, word)
        if constant in CONSTANTS:
            if constant == "inf" and not ns.allow_inf:
                raise self.error("infinity is not an answer to this question", token)
            return Const(constant, span=span)
        if self.split_word(word, token):
            return self.parse_name(self.advance())
        raise self.unknown(word, token)

    def unknown(self, word: str, token: Token) -> AnswerError:
        """An unknown name, with what to write instead where that can be told."""
        ns = self.ns
        known = ", ".join(ns.known_names()) or "no names (numbers only)"
        dims = sorted(ns.dims)
        if word in ("T", "top") and self.exponent:
            message = ("a transpose in an exponent stands alone: write X^T, X^{-1}, or X^{-T} "
                       "for the inverse of the transpose")
        elif self.peek().kind in (TRANSPOSE,) and self.peek().value in _PRIMES:
            message = derivative_message(word, known=False)
        elif any(word.lower() == d.lower() for d in dims):
            match = next(d for d in dims if word.lower() == d.lower())
            message = f"unknown name `{word}`: this question's size is `{match}` (case matters)"
        elif word in SIZE_LETTERS or word.lower() in ("batch", "size"):
            if dims:
                message = (f"unknown name `{word}`: it looks like a size, and this question's "
                           f"sizes are {', '.join(dims)}")
            else:
                message = (f"unknown name `{word}`: it looks like a size, and this question has "
                           f"none; it knows {known}")
        else:
            plural = "s" if len(dims) > 1 else ""
            sizes = f" (and the size{plural} {', '.join(dims)})" if dims else ""
            message = f"unknown name `{word}`: this question knows {known}{sizes}"
        return self.error(message, token)

    def subscript_spelling(self, name: str) -> str | None:
        """``W_1`` for a declared ``W1`` and ``W1`` for a declared ``W_1``, when the spelling used
        is not itself declared."""
        match = _SUBSCRIPTED.fullmatch(name)
        if match is None:
            return None
        letters, digits = match.groups()
        for other in (f"{letters}{digits}", f"{letters}_{digits}"):
            if other != name and self.ns.declares(other):
                return other
        return None

    def decorated(self, token: Token) -> str:
        """``\\hat{x}`` means a declared ``x_hat``/``xhat`` when there is one, else plain ``x``."""
        if token.decor in ("hat", "tilde", "bar", "dot"):
            for candidate in (f"{token.value}_{token.decor}", f"{token.value}{token.decor}",
                              f"{token.decor}_{token.value}", f"{token.decor}{token.value}"):
                if self.ns.declares(candidate):
                    return candidate
        return token.value

    def split_word(self, word: str, token: Token) -> bool:
        """Read an undeclared word as declared one-word names side by side: ``ax`` is ``a x``,
        ``W_1x`` is ``W_1 x`` (a subscript is one character in LaTeX).

        Only when the whole word splits into declared symbols or sizes (longest first); a declared
        name always wins over a split, and built-in function names are never split off. The parts
        go back into the token stream, so ``ff^T`` is ``f f^T``: a power or transpose after the
        word belongs to its last name, as it does when the names are spaced.
        """
        if len(word) > 12 or token.decor:
            return False
        parts = self.split(word)
        if not parts or len(parts) < 2:
            return False
        pieces, offset = [], token.start
        for part in parts:
            end = min(offset + len(part), token.end)
            pieces.append(Token(NAME, part, offset, end))
            offset = end
        self.tokens[self.pos - 1:self.pos] = pieces
        self.pos -= 1
        return True

    def split(self, word: str) -> list[str] | None:
        if not word:
            return []
        ns = self.ns
        for cut in range(len(word), 0, -1):
            head = word[:cut]
            name = ns.canonical(head)
            if "_" in head and not ns.declares(name):
                name = self.subscript_spelling(name) or name  # W_1x is W_1 x
            usable = (name in ns.symbols or name in ns.givens or name in ns.params
                      or name in ns.dims or head in ("e", "pi"))
            if usable and not (head == "e" and ns.declares("e")):
                rest = self.split(word[cut:])
                if rest is not None:
                    return [head, *rest]
        return None

    # -- calls ---------------------------------------------------------------------------------
    def parse_builtin_call(self, func: str, token: Token) -> Node:
        power = self.function_power(func, token)
        call = self.parse_builtin_arguments(func, token)
        if power is None:
            return call
        return Pow(call, power, span=call.span)

    def function_power(self, func: str, token: Token) -> Node | None:
        """``\\sin^2 x`` and ``tanh^2(x)``: a whole-number power written before the argument."""
        if not (self.peek().kind == OP and self.peek().value == "^" and func in ELEMENTWISE):
            return None
        caret = self.advance()
        braced = self.peek().kind == LP and self.peek().value == "{"
        if braced:
            self.advance()
        number = self.peek()
        shown = self._show(token)
        if number.kind == TRANSPOSE and number.value in (*_PRIMES, "⊤"):
            raise self.error(derivative_message(shown), number)
        if number.kind == OP and number.value == "-":
            raise self.error(f"write an inverse function by its name (like arctan(x)), or a power "
                             f"after the argument, like {shown}(x)^(-1)", caret)
        if number.kind != NUM or not float(number.value).is_integer():
            raise self.error(f"write powers of {shown} after its argument, like {shown}(x)^2", caret)
        self.advance()
        if braced:
            self.expect_close(Token(LP, "{", caret.start, caret.end))
        return Num(float(number.value), span=(number.start, number.end))

    def parse_builtin_arguments(self, func: str, token: Token) -> Node:
        nxt = self.peek()
        builtin = BUILTINS[func]
        if nxt.kind == LP and nxt.value in ("(", "[", "\\{") or (nxt.kind == LP and token.latex):
            args = self.parse_call_arguments(func)
        elif (token.latex or nxt.kind in (FRAC, SQRT)) and self.starts_operand(nxt):
            # \exp x, \ln 2x: LaTeX lets a named operator take the next operand unbracketed.
            args = [self.unbracketed_argument(nxt)]
        elif nxt.kind == TRANSPOSE and nxt.value in _PRIMES:
            raise self.error(derivative_message(token.value), nxt)
        else:
            raise self.error(f"`{token.value}` is a function: write {token.value}(...)", token)
        allowed = builtin.arity
        if len(args) not in allowed:
            count = " or ".join(map(str, allowed))
            raise self.error(f"{token.value}() takes {count} argument{'s' if allowed != (1,) else ''}, "
                             f"not {len(args)}", token)
        if builtin.sizes:
            args = [self.size_argument(arg, token) for arg in args]
        span = (token.start, self.tokens[self.pos - 1].end)
        return Call(func, tuple(args), span=span)

    def size_argument(self, arg: Node, token: Token) -> Node:
        """A size: a dimension name of the question, or a small whole number. Nothing computed is
        a size, so ``ones(10^9)`` costs nothing."""
        if isinstance(arg, Num) and arg.value.is_integer() and 1 <= arg.value <= MAX_LITERAL_SIZE:
            return arg
        if isinstance(arg, Size) and not str(arg.dim).startswith("?"):
            return arg
        if isinstance(arg, Name) and arg.name in self.ns.dims:
            return Size(arg.name, span=arg.span)
        dims = ", ".join(sorted(self.ns.dims)) or "none"
        raise self.error(f"{token.value}() takes sizes: whole numbers up to {MAX_LITERAL_SIZE} or "
                         f"the question's dimension names ({dims})", token)

    def size_word(self, word: str, token: Token) -> Node:
        """The size in ``1_n`` or ``\\mathbf{1}_{3}``."""
        span = (token.start, token.end)
        if word.isdigit() and 1 <= int(word) <= MAX_LITERAL_SIZE:
            return Num(float(word), span=span)
        name = self.ns.canonical(word)
        if name in self.ns.dims:
            return Size(name, span=span)
        dims = ", ".join(sorted(self.ns.dims))
        sizes = f"its sizes are {dims}" if dims else "it has no sizes"
        raise self.error(f"`{word}` in 1_{word} is not a size of this question ({sizes})", token)

    def parse_declared_call(self, name: str, token: Token) -> Node:
        function = self.ns.functions[name]
        span = (token.start, token.end)
        nxt = self.peek()
        if nxt.kind == LP and nxt.value in ("(", "[", "\\{"):
            args = self.parse_call_arguments(token.value)
            if len(args) == 1 and any(isinstance(node, (Apply, Given)) for node in walk(args[0])):
                # `f(1 - f)` is how students write f·(1 − f); a call of f on an expression in f
                # itself is never what they mean.
                bare = Apply(name, self.default_arguments(function, token), span=span)
                group = args[0]
                return BinOp(MUL, bare, group, span=(token.start, self.tokens[self.pos - 1].end))
            if len(args) != len(function.params):
                raise self.error(f"{token.value}() takes {len(function.params)} argument"
                                 f"{'s' if len(function.params) != 1 else ''}, not {len(args)}", token)
            return Apply(name, tuple(args), span=(token.start, self.tokens[self.pos - 1].end))
        if nxt.kind == TRANSPOSE and nxt.value in _PRIMES:
            raise self.error(derivative_message(token.value), nxt)
        return Apply(name, self.default_arguments(function, token), span=span)

    def default_arguments(self, function, token: Token) -> tuple[Node, ...]:
        """A bare function name means the function at its own parameters: `f` is `f(x)`."""
        span = (token.start, token.end)
        defaults: list[Node] = []
        for param in function.params:
            target = self.ns.canonical(param)
            if target in self.ns.symbols:
                defaults.append(Name(target, span=span))
            elif target in self.ns.params:
                defaults.append(Param(target, span=span))
            else:
                raise self.error(f"`{token.value}` needs an argument: write {token.value}(...)", token)
        return tuple(defaults)


def derivative_message(name: str, known: bool = True) -> str:
    """The message for ``f'(x)``: derivatives are written out, not named."""
    use = f" (it may use {name} itself)" if known else ""
    return f"`{name}'` (a derivative) cannot be read: write the derivative itself as a formula{use}"


__all__ = ["NameRules", "SIZE_LETTERS", "derivative_message"]
