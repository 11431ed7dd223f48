"""Tokens → parse tree: a small Pratt parser.

Why hand-written rather than a parser generator: what a word means depends on the question (a
declared ``T`` makes ``x^T`` a power; a declared function ``f`` makes ``f(x)`` a call while
``x(1 - x)`` is a product), implicit multiplication is everywhere in student text, and a parse must
cost well under the 300 µs budget. A Pratt parser does all three in one pass and points at the
exact token that failed. The grammar is still a whitelist: each token kind has one rule below and
names resolve only to what the question declares or the built-in tables list.
"""

from __future__ import annotations

from .errors import AnswerError
from .lexer import (BAR, COMMA, DBAR, DECOR, EOF, EQ, FRAC, LP, NAME, NUM, OP, RP, SQRT,
                    TRANSPOSE, Token, tokenize)
from .namespace import BUILTIN_ALIASES, BUILTINS, CONSTANT_ALIASES, CONSTANTS, Namespace
from .shapes import ELEMENTWISE
from .nodes import (ADD, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Const, Given, Identity,
                    Name, Neg, Node, Num, Param, Pow, Transpose, walk)

MAX_DEPTH = 60
#: Height of the finished tree: a flat chain like ``x+x+...+x`` nests only as deep as the chain is
#: long, and every later pass (shapes, evaluation, printing, sympy) recurses over the tree.
MAX_HEIGHT = 150
_CLOSERS = {"(": ")", "[": "]", "{": "}", "\\{": "\\}"}
# Binding powers.
_ADD_BP, _MUL_BP, _NEG_BP, _POW_BP, _POSTFIX_BP = 10, 20, 30, 40, 50
_STARTS_OPERAND = {NUM, NAME, LP, FRAC, SQRT, DECOR, BAR, DBAR}


def parse(text: str, namespace: Namespace) -> Node:
    """Parse one answer; raise AnswerError (with a caret) when the text is not an answer."""
    try:
        return Parser(text, namespace, _answer_tokens(text)).parse_answer()
    except AnswerError as err:
        raise err.with_text(text) from None
    except RecursionError:
        raise AnswerError("the answer is nested too deeply", text) from None


def _answer_tokens(text: str) -> list[Token]:
    """The tokens of an answer. Only the right-hand side of ``lhs = rhs`` is read, so only it
    has to be made of known characters and commands: ``∂L/∂w = 2w`` is fine.
    """
    try:
        return tokenize(text)
    except AnswerError as err:
        cut = text.rfind("=")
        if err.span is None or cut <= 0 or err.span[0] >= cut or text[cut - 1] in "<>":
            raise
    try:
        tail = tokenize(text[cut + 1:])
    except AnswerError as err:
        span = None if err.span is None else (err.span[0] + cut + 1, err.span[1] + cut + 1)
        raise AnswerError(err.message, text, span) from None
    shifted = [Token(t.kind, t.value, t.start + cut + 1, t.end + cut + 1, t.decor, t.latex)
               for t in tail]
    return [Token(EQ, "=", cut, cut + 1), *shifted]


class Parser:
    """One pass over one text. Also used by the interval reader, which parses endpoints."""

    def __init__(self, text: str, namespace: Namespace, tokens: list[Token] | None = None):
        self.text = text
        self.ns = namespace
        self.tokens = tokens if tokens is not None else tokenize(text)
        self.pos = 0
        self.depth = 0
        self.bars = 0  # inside |...| or ||...||: a bar closes rather than opens

    # -- token access ------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        return self.tokens[min(self.pos + offset, len(self.tokens) - 1)]

    def advance(self) -> Token:
        token = self.tokens[self.pos]
        self.pos = min(self.pos + 1, len(self.tokens) - 1)
        return token

    def error(self, message: str, token: Token | None = None) -> AnswerError:
        token = token or self.peek()
        span = (token.start, max(token.end, token.start + 1))
        return AnswerError(message, self.text, span)

    def expect_close(self, opener: Token) -> None:
        token = self.peek()
        if token.kind != RP:
            what = "the end of the answer" if token.kind == EOF else f"`{self._show(token)}`"
            raise self.error(f"`{self._show(opener)}` is never closed: found {what}", token)
        if _CLOSERS[opener.value] != token.value and {opener.value, token.value} - {"(", ")", "[", "]"}:
            raise self.error(f"`{self._show(opener)}` is closed by `{token.value}`", token)
        self.advance()

    def _show(self, token: Token) -> str:
        return self.text[token.start:token.end] or token.value

    # -- grammar -----------------------------------------------------------------------------
    def parse_answer(self) -> Node:
        """A whole answer. ``lhs = rhs`` is read as its right-hand side, the usual way to write it."""
        equals = [i for i, t in enumerate(self.tokens) if t.kind == EQ]
        if equals:
            self.pos = equals[-1] + 1
            if self.peek().kind == EOF:
                raise self.error("nothing after `=`", self.tokens[equals[-1]])
        if self.peek().kind == EOF:
            raise AnswerError("the answer is empty", self.text)
        tree = self.parse_expression()
        token = self.peek()
        if token.kind != EOF:
            if token.kind == RP:
                raise self.error(f"`{token.value}` has no matching opening bracket", token)
            raise self.error(f"unexpected `{self._show(token)}`", token)
        if len(self.tokens) > MAX_HEIGHT and _height(tree) > MAX_HEIGHT:
            raise AnswerError(f"the answer is nested too deeply or is too long a chain of "
                              f"operations (at most {MAX_HEIGHT} levels): simplify it", self.text)
        return tree

    def parse_expression(self, min_bp: int = 0) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("the answer is nested too deeply")
        try:
            left = self.parse_prefix()
            while True:
                token = self.peek()
                if token.kind == OP and token.value in ("+", "-"):
                    if _ADD_BP <= min_bp:
                        break
                    self.advance()
                    right = self.parse_expression(_ADD_BP)
                    left = BinOp(ADD if token.value == "+" else SUB, left, right, span=_join(left, right))
                elif token.kind == OP and token.value in ("*", "/", HADAMARD, DOT):
                    if _MUL_BP <= min_bp:
                        break
                    self.advance()
                    right = self.parse_expression(_MUL_BP)
                    op = {"*": MUL, "/": DIV, HADAMARD: HADAMARD, DOT: DOT}[token.value]
                    left = BinOp(op, left, right, span=(left.span[0], right.span[1]))
                elif token.kind == OP and token.value == "^":
                    if _POW_BP <= min_bp:
                        break
                    self.advance()
                    left = self.parse_power(left, token)
                elif token.kind == TRANSPOSE:
                    if _POSTFIX_BP <= min_bp:
                        break
                    self.advance()
                    left = self.transpose(left, token)
                elif self.starts_implicit_operand(token):
                    if _MUL_BP <= min_bp:
                        break
                    if token.kind == NUM and self.tokens[self.pos - 1].kind == NUM:
                        raise self.error("two numbers in a row: is an operator missing?", token)
                    right = self.parse_expression(_MUL_BP)
                    left = BinOp(MUL, left, right, span=_join(left, right))
                else:
                    break
            return left
        finally:
            self.depth -= 1

    def starts_implicit_operand(self, token: Token) -> bool:
        if token.kind in (BAR, DBAR):
            return self.bars == 0
        return token.kind in _STARTS_OPERAND

    def parse_prefix(self) -> Node:
        token = self.advance()
        kind = token.kind
        if kind == NUM:
            return Num(float(token.value), span=(token.start, token.end))
        if kind == NAME:
            return self.parse_name(token)
        if kind == OP and token.value == "-":
            operand = self.parse_expression(_NEG_BP)
            return Neg(operand, span=(token.start, operand.span[1]))
        if kind == OP and token.value == "+":
            return self.parse_expression(_NEG_BP)
        if kind == LP:
            return self.parse_group_rest(token)
        if kind == FRAC:
            numerator = self.parse_frac_argument()
            denominator = self.parse_frac_argument()
            return BinOp(DIV, numerator, denominator, span=(token.start, denominator.span[1]))
        if kind == SQRT:
            return self.parse_sqrt(token)
        if kind == DECOR:
            return self.parse_argument()
        if kind in (BAR, DBAR):
            return self.parse_bars(token)
        if kind == EOF:
            raise self.error("the answer ends too early: something is missing here", token)
        if kind == RP:
            raise self.error(f"`{token.value}` has no matching opening bracket", token)
        if kind == TRANSPOSE:
            raise self.error("a transpose needs something before it", token)
        raise self.error(f"unexpected `{self._show(token)}`", token)

    def parse_group_rest(self, opener: Token) -> Node:
        if self.peek().kind == RP:
            raise self.error("empty brackets", self.peek())
        saved, self.bars = self.bars, 0
        inner = self.parse_expression()
        self.bars = saved
        if self.peek().kind == COMMA:
            raise self.error("a comma here: only function calls take several arguments", self.peek())
        self.expect_close(opener)
        return _respan(inner, (opener.start, self.tokens[self.pos - 1].end))

    def parse_argument(self) -> Node:
        """The argument of \\frac, \\sqrt or a decoration: a braced group or one operand."""
        token = self.peek()
        if token.kind == LP and token.value == "{":
            return self.parse_group_rest(self.advance())
        return self.parse_expression(_POW_BP)

    def parse_frac_argument(self) -> Node:
        """An argument of \\frac; in ``\\frac14`` each digit is one argument, as in LaTeX."""
        token = self.peek()
        if token.kind == NUM and len(token.value) > 1 and token.value.isdigit():
            self.tokens[self.pos] = Token(NUM, token.value[1:], token.start + 1, token.end)
            return Num(float(token.value[0]), span=(token.start, token.start + 1))
        return self.parse_argument()

    def parse_sqrt(self, token: Token) -> Node:
        index = None
        if self.peek().kind == LP and self.peek().value == "[" and token.value == "sqrt":
            index = self.parse_group_rest(self.advance())
        operand = self.parse_argument()
        span = (token.start, operand.span[1])
        if index is None:
            return Call("sqrt", (operand,), span=span)
        return Pow(operand, BinOp(DIV, Num(1.0), index), span=span)

    def parse_bars(self, opener: Token) -> Node:
        self.bars += 1
        inner = self.parse_expression()
        self.bars -= 1
        closer = self.peek()
        if closer.kind != opener.kind:
            raise self.error(f"`{self._show(opener)}` is never closed", closer)
        self.advance()
        func = "abs" if opener.kind == BAR else "norm"
        return Call(func, (inner,), span=(opener.start, closer.end))

    def parse_power(self, base: Node, caret: Token) -> Node:
        token = self.peek()
        if self.is_transpose_mark(token):
            self.advance()
            return Transpose(base, span=(base.span[0], token.end))
        if self.is_glued_transpose(token):
            # `A^Tx` is A^T x: the tokenizer read `Tx` as one word.
            rest = token.value[1:]
            self.tokens[self.pos] = Token(NAME, rest, token.start + 1, token.end, token.decor, token.latex)
            return Transpose(base, span=(base.span[0], token.start + 1))
        if (token.kind == LP and token.value == "{" and self.is_transpose_mark(self.peek(1))
                and self.peek(2).kind == RP):
            self.advance(), self.advance()
            end = self.advance().end
            return Transpose(base, span=(base.span[0], end))
        if token.kind == LP and token.value == "{":
            exponent = self.parse_group_rest(self.advance())
        else:
            exponent = self.parse_expression(_POW_BP - 1)
        span = (base.span[0], exponent.span[1])
        if isinstance(base, Const) and base.name == "e":
            return Call("exp", (exponent,), span=span)
        return Pow(base, exponent, span=span)

    def is_glued_transpose(self, token: Token) -> bool:
        """``Tx`` right after ``^``, where the question declares neither ``T`` nor ``Tx`` but can
        read ``x`` (a name, or a product of names like ``xy``)."""
        if token.kind != NAME or len(token.value) < 2 or token.value[0] != "T":
            return False
        if self.ns.declares("T") or self.ns.declares(token.value):
            return False
        rest = token.value[1:]
        return self.ns.declares(rest) or self._split(rest) is not None

    def is_transpose_mark(self, token: Token) -> bool:
        if token.kind == TRANSPOSE and token.value in ("⊤", "ᵀ"):
            return True
        return token.kind == NAME and token.value == "T" and not self.ns.declares("T")

    def transpose(self, operand: Node, token: Token) -> Node:
        if token.value == "'" and isinstance(operand, Apply):
            raise self.error(f"`{operand.func}'` looks like a derivative: write it out instead", token)
        return Transpose(operand, span=(operand.span[0], token.end))

    # -- names -------------------------------------------------------------------------------
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
        builtin = BUILTIN_ALIASES.get(word, word)
        if builtin in BUILTINS:
            return self.parse_builtin_call(builtin, token)
        constant = CONSTANT_ALIASES.get(word, word)
        if constant in CONSTANTS:
            if constant == "inf" and not ns.allow_inf:
                raise self.error("infinity is not an answer to this question", token)
            return Const(constant, span=span)
        if self.split_word(word, token):
            return self.parse_name(self.advance())
        known = ", ".join(ns.known_names()) or "no names (numbers only)"
        raise self.error(f"unknown name `{word}`: this question knows {known}", token)

    def decorated(self, token: Token) -> str:
        """``\\hat{x}`` means a declared ``x_hat``/``xhat`` when there is one, else plain ``x``."""
        if token.decor in ("hat", "tilde", "bar", "dot"):
            for candidate in (f"{token.value}_{token.decor}", f"{token.value}{token.decor}",
                              f"{token.decor}_{token.value}", f"{token.decor}{token.value}"):
                if self.ns.declares(candidate):
                    return candidate
        return token.value

    def split_word(self, word: str, token: Token) -> bool:
        """Read an undeclared word as declared one-word names side by side: ``ax`` is ``a x``.

        Only when the whole word splits into declared symbols (longest first); a declared name
        always wins over a split, and built-in function names are never split off. The parts go
        back into the token stream, so ``ff^T`` is ``f f^T``: a power or transpose after the
        word belongs to its last name, as it does when the names are spaced.
        """
        if "_" in word or len(word) > 12 or token.decor:
            return False
        parts = self._split(word)
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

    def _split(self, word: str) -> list[str] | None:
        if not word:
            return []
        for cut in range(len(word), 0, -1):
            head = word[:cut]
            name = self.ns.canonical(head)
            usable = (name in self.ns.symbols or name in self.ns.givens or name in self.ns.params
                      or head in ("e", "pi"))
            if usable and not (head == "e" and self.ns.declares("e")):
                rest = self._split(word[cut:])
                if rest is not None:
                    return [head, *rest]
        return None

    def parse_call_arguments(self, func: str) -> list[Node]:
        opener = self.advance()
        args: list[Node] = []
        saved, self.bars = self.bars, 0
        while True:
            if self.peek().kind == RP and not args:
                raise self.error(f"{func}() needs an argument", self.peek())
            args.append(self.parse_expression())
            if self.peek().kind == COMMA:
                self.advance()
                continue
            break
        self.bars = saved
        self.expect_close(opener)
        return args

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
        if number.kind == OP and number.value == "-":
            raise self.error(f"write an inverse function by its name (like arctan(x)), or a power "
                             f"after the argument, like {self._show(token)}(x)^(-1)", caret)
        if number.kind != NUM or not float(number.value).is_integer():
            raise self.error(f"write powers of {self._show(token)} after its argument, like "
                             f"{self._show(token)}(x)^2", caret)
        self.advance()
        if braced:
            self.expect_close(Token(LP, "{", caret.start, caret.end))
        return Num(float(number.value), span=(number.start, number.end))

    def parse_builtin_arguments(self, func: str, token: Token) -> Node:
        nxt = self.peek()
        if (func == "eye" and nxt.kind == LP and self.peek(1).kind == NAME
                and self.peek(1).value in self.ns.dims and not self.ns.declares(self.peek(1).value)
                and self.peek(2).kind == RP):
            # eye(n) with a dimension name: n is a size, not a value, so it is not parsed as one.
            opener, size = self.advance(), self.advance()
            self.expect_close(opener)
            return Identity(size.value, span=(token.start, self.tokens[self.pos - 1].end))
        if nxt.kind == LP and nxt.value in ("(", "[", "\\{") or (nxt.kind == LP and token.latex):
            args = self.parse_call_arguments(func)
        elif (token.latex or nxt.kind in (FRAC, SQRT)) and nxt.kind in _STARTS_OPERAND:
            # \exp x, \ln 2x: LaTeX lets a named operator take the next operand unbracketed.
            args = [self.parse_expression(_POW_BP - 1) if nxt.kind != OP else self.parse_prefix()]
        else:
            raise self.error(f"`{token.value}` is a function: write {token.value}(...)", token)
        allowed = BUILTINS[func]
        if len(args) not in allowed:
            count = " or ".join(map(str, allowed))
            raise self.error(f"{token.value}() takes {count} argument{'s' if allowed != (1,) else ''}, "
                             f"not {len(args)}", token)
        span = (token.start, self.tokens[self.pos - 1].end)
        if func == "eye":
            return Identity(self.dimension(args[0], token), span=span)
        return Call(func, tuple(args), span=span)

    def dimension(self, arg: Node, token: Token):
        if isinstance(arg, Num) and arg.value.is_integer() and 1 <= arg.value <= 1000:
            return int(arg.value)
        word = self.text[arg.span[0]:arg.span[1]].strip()
        if word in self.ns.dims:
            return word
        raise self.error("eye() takes a size: a whole number or a dimension name of this question", token)

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
        if nxt.kind == TRANSPOSE and nxt.value == "'":
            raise self.error(f"`{token.value}'` looks like a derivative: write it out instead", nxt)
        return Apply(name, self.default_arguments(function, token), span=span)

    def default_arguments(self, function, token: Token) -> tuple[Node, ...]:
        """A bare function name means the function at its own parameters: `f` is `f(x)`."""
        span = (token.start, token.end)
        defaults = []
        for param in function.params:
            target = self.ns.canonical(param)
            if target in self.ns.symbols:
                defaults.append(Name(target, span=span))
            elif target in self.ns.params:
                defaults.append(Param(target, span=span))
            else:
                raise self.error(f"`{token.value}` needs an argument: write {token.value}(...)", token)
        return tuple(defaults)


def _height(tree: Node) -> int:
    """The number of levels in a tree, without recursion."""
    best, stack = 0, [(tree, 1)]
    while stack:
        node, level = stack.pop()
        best = max(best, level)
        if isinstance(node, (Neg, Transpose)):
            stack.append((node.operand, level + 1))
        elif isinstance(node, BinOp):
            stack.extend(((node.left, level + 1), (node.right, level + 1)))
        elif isinstance(node, Pow):
            stack.extend(((node.base, level + 1), (node.exponent, level + 1)))
        elif isinstance(node, (Call, Apply)):
            stack.extend((arg, level + 1) for arg in node.args)
    return best


def _join(left: Node, right: Node) -> tuple[int, int]:
    return (left.span[0], right.span[1])


def _respan(node: Node, span: tuple[int, int]) -> Node:
    """The same node, remembered as covering its brackets too."""
    fields = {f: getattr(node, f) for f in node.__dataclass_fields__ if f != "span"}
    return type(node)(**fields, span=span)
