"""Tokens → parse tree: a small Pratt parser (the grammar is written down in docs/answer-grammar.md).

Why hand-written rather than a parser generator: what a word means depends on the question (a
declared ``T`` makes ``x^T`` a power; a declared function ``f`` makes ``f(x)`` a call while
``x(1 - x)`` is a product), implicit multiplication is everywhere in student text, and a parse must
cost well under the 300 µs budget. A Pratt parser does all three in one pass and points at the
exact token that failed. The grammar is still a whitelist: each token kind has one rule below and
names resolve (``names``) only to what the question declares or the builtins table lists.

Comparisons exist only inside indicators (``[x > 0]``, ``1[x > 0]``, ``\\mathbb{1}_{x > 0}``) and
the conditions of ``\\begin{cases}``: a bracket is an indicator exactly when it holds one.
"""

from __future__ import annotations

from .errors import AnswerError
from .lexer import (AMP, BAR, CASES, CMP, COMMA, DBAR, DECOR, ENDCASES, EOF, EQ, ESCAPE_HINT,
                    FRAC, LP, NAME, NORMSUB, NUM, ONES, OP, ROWSEP, RP, SQRT, TEXT, TRANSPOSE,
                    Token, looks_mangled, tokenize)
from .names import NameRules, derivative_message
from .namespace import Namespace
from .nodes import (ADD, AND, DIV, DOT, HADAMARD, MUL, SUB, Apply, BinOp, Call, Cases, Compare,
                    Const, Neg, Node, Num, Pow, Size, Transpose, height, is_condition)
from .shapes import UnsizedOnes, infer_shape, resolve

MAX_DEPTH = 60
#: Height of the finished tree: a flat chain like ``x+x+...+x`` nests only as deep as the chain is
#: long; sympy and dataclass equality still recurse over trees.
MAX_HEIGHT = 150
_CLOSERS = {"(": ")", "[": "]", "{": "}", "\\{": "\\}", "⟨": "⟩"}
# Binding powers.
_AND_BP, _CMP_BP, _ADD_BP, _MUL_BP, _NEG_BP, _POW_BP, _POSTFIX_BP = 3, 5, 10, 20, 30, 40, 50
_STARTS_OPERAND = {NUM, NAME, LP, FRAC, SQRT, DECOR, BAR, DBAR, ONES, CASES}
_TRANSPOSE_MARKS = ("⊤", "ᵀ", "′")
_CASE_IF = {"if", "when", "for", "where", "whenever"}
_CASE_OTHERWISE = {"otherwise", "else", "elsewhere", "ow"}
_CASE_ONLY = "`{}` belongs in a case of \\begin{{cases}} value & condition \\\\ ... \\end{{cases}}"


def parse(text: str, namespace: Namespace) -> Node:
    """Parse one answer; raise AnswerError (with a caret) when the text is not an answer."""
    try:
        parser = Parser(text, namespace, _answer_tokens(text))
        tree = parser.parse_answer()
        if parser.placeholders or namespace.broadcast:
            tree = _resolved(tree, namespace)
        return tree
    except AnswerError as err:
        raise _hinted(err.with_text(text), text) from None
    except RecursionError:
        raise AnswerError("the answer is nested too deeply", text) from None


def parse_condition(text: str, namespace: Namespace) -> Node:
    """A condition over the question's names, from trusted rubric text (``y0 != 100 x0``,
    ``0 < a < 2``, ``x >= 0 and y >= 0``): a tree that evaluates to 1 where it holds, 0 where not.
    Besides ``< <= > >=`` it allows ``==`` and ``!=`` (equal within a relative 1e-9)."""
    try:
        parser = Parser(text, namespace)
        parser.conditions = 1
        if parser.peek().kind == EOF:
            raise AnswerError("the condition is empty", text)
        tree = parser.parse_expression()
        if parser.peek().kind != EOF:
            raise parser.error(f"unexpected `{parser._show(parser.peek())}`", parser.peek())
        if not is_condition(tree):
            raise AnswerError("a condition compares two expressions, like y0 != 100 x0", text)
        if parser.placeholders or namespace.broadcast:
            tree = resolve(tree, namespace)
        infer_shape(tree, namespace)
        return tree
    except AnswerError as err:
        raise err.with_text(text) from None


def _resolved(tree: Node, ns: Namespace) -> Node:
    """The tree with ones vectors sized and elementwise powers marked. A shape error is left for
    ``infer_shape`` to report (a wrong answer, not an unreadable one)."""
    try:
        return resolve(tree, ns)
    except UnsizedOnes:
        raise
    except AnswerError:
        return tree


def _hinted(err: AnswerError, text: str) -> AnswerError:
    """A parse error of text that YAML's double quotes seem to have mangled says so."""
    if ESCAPE_HINT in err.message or not looks_mangled(text):
        return err
    return AnswerError(f"{err.message}; note: {ESCAPE_HINT}", err.text, err.span)


def _answer_tokens(text: str) -> list[Token]:
    """The tokens of an answer. Only the right-hand side of ``lhs = rhs`` is read, so only it
    has to be made of known characters and commands: ``∂L/∂w = 2w`` is fine.
    """
    try:
        return tokenize(text)  # checks the whole text for mangled escapes first
    except AnswerError as err:
        cut = text.rfind("=")
        if err.span is None or cut <= 0 or err.span[0] >= cut or text[cut - 1] in "<>!=":
            raise
    try:
        tail = tokenize(text[cut + 1:])
    except AnswerError as err:
        span = None if err.span is None else (err.span[0] + cut + 1, err.span[1] + cut + 1)
        raise AnswerError(err.message, text, span) from None
    shifted = [Token(t.kind, t.value, t.start + cut + 1, t.end + cut + 1, t.decor, t.latex)
               for t in tail]
    return [Token(EQ, "=", cut, cut + 1), *shifted]


class Parser(NameRules):
    """One pass over one text. Also used by the interval reader, which parses endpoints."""

    def __init__(self, text: str, namespace: Namespace, tokens: list[Token] | None = None):
        self.text = text
        self.ns = namespace
        self.tokens = tokens if tokens is not None else tokenize(text)
        self.pos = 0
        self.depth = 0
        self.bars = 0  # inside |...| or ||...||: a bar closes rather than opens
        # > 0 where a comparison may stand (brackets, case conditions); < 0 in a case's value
        self.conditions = 0
        self.exponent = 0  # > 0 inside an exponent (for the message about `X^{T-1}`)
        self.placeholders = 0  # bare ones vectors whose size the shape pass must find

    # -- token access ------------------------------------------------------------------------
    def peek(self, offset: int = 0) -> Token:
        tokens, index = self.tokens, self.pos + offset
        return tokens[index] if index < len(tokens) else tokens[-1]

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

    def starts_operand(self, token: Token) -> bool:
        return token.kind in _STARTS_OPERAND

    # -- grammar -----------------------------------------------------------------------------
    def parse_answer(self) -> Node:
        """A whole answer. ``lhs = rhs`` is read as its right-hand side, the usual way to write it."""
        equals, depth = None, 0
        for index, token in enumerate(self.tokens):
            if token.kind in (LP, CASES):
                depth += 1
            elif token.kind in (RP, ENDCASES):
                depth -= 1
            elif token.kind == EQ and depth <= 0:
                equals = index
        if equals is not None:
            self.pos = equals + 1
            if self.peek().kind == EOF:
                raise self.error("nothing after `=`", self.tokens[equals])
        if self.peek().kind == EOF:
            raise AnswerError("the answer is empty", self.text)
        tree = self.parse_expression()
        token = self.peek()
        if token.kind != EOF:
            if token.kind == RP:
                raise self.error(f"`{token.value}` has no matching opening bracket", token)
            if token.kind in (AMP, ROWSEP, ENDCASES, TEXT):
                raise self.error(_CASE_ONLY.format(self._show(token)), token)
            raise self.error(f"unexpected `{self._show(token)}`", token)
        if len(self.tokens) > MAX_HEIGHT and height(tree) > MAX_HEIGHT:
            raise AnswerError(f"the answer is nested too deeply or is too long a chain of "
                              f"operations (at most {MAX_HEIGHT} levels): simplify it", self.text)
        return tree

    def parse_expression(self, min_bp: int = 0) -> Node:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.error("the answer is nested too deeply")
        try:
            left = self.parse_prefix()
            chained = False  # `left` is a comparison made here, so `a < b < c` chains
            while True:
                token = self.peek()
                kind = token.kind
                if kind == OP and token.value in ("+", "-"):
                    if _ADD_BP <= min_bp:
                        break
                    self.advance()
                    right = self.parse_expression(_ADD_BP)
                    left = BinOp(ADD if token.value == "+" else SUB, left, right, span=_join(left, right))
                elif kind == OP and token.value in ("*", "/", HADAMARD, DOT):
                    if _MUL_BP <= min_bp:
                        break
                    self.advance()
                    right = self.parse_expression(_MUL_BP)
                    op = {"*": MUL, "/": DIV, HADAMARD: HADAMARD, DOT: DOT}[token.value]
                    left = BinOp(op, left, right, span=_join(left, right))
                elif kind == OP and token.value == "^":
                    if _POW_BP <= min_bp:
                        break
                    self.advance()
                    left = self.parse_power(left, token)
                elif kind == TRANSPOSE:
                    if _POSTFIX_BP <= min_bp:
                        break
                    self.advance()
                    left = self.transpose(left, token)
                elif kind == CMP or (kind == EQ and self.conditions):
                    if self.conditions < 0:
                        raise self.error("a case is written `value & condition`, like 1 & x > 0",
                                         token)
                    if not self.conditions:
                        raise self.error("a comparison belongs inside an indicator, like [x > 0] "
                                         "or 1[x > 0], or in a case of \\begin{cases}", token)
                    if _CMP_BP <= min_bp:
                        break
                    self.advance()
                    right = self.parse_expression(_CMP_BP)
                    left = self.comparison(left, "==" if kind == EQ else token.value, right, chained)
                    chained = True
                elif self.is_and(token):
                    if _AND_BP <= min_bp:
                        break
                    self.advance()
                    right = self.parse_expression(_AND_BP)
                    if not (is_condition(left) and is_condition(right)):
                        raise self.error("`and` joins two comparisons, like 0 < x and x < 1", token)
                    left = BinOp(AND, left, right, span=_join(left, right))
                    chained = False
                elif self.starts_implicit_operand(token):
                    if _MUL_BP <= min_bp:
                        break
                    if kind == NUM and self.tokens[self.pos - 1].kind == NUM:
                        raise self.error("two numbers in a row: is an operator missing?", token)
                    right = self.parse_expression(_MUL_BP)
                    left = BinOp(MUL, left, right, span=_join(left, right))
                else:
                    break
            return left
        finally:
            self.depth -= 1

    def comparison(self, left: Node, op: str, right: Node, chained: bool) -> Node:
        """``left op right``; after a comparison made in the same run, ``a < b < c`` is
        ``a < b and b < c``."""
        if not chained:
            return Compare(op, left, right, span=_join(left, right))
        last = left
        while isinstance(last, BinOp):
            last = last.right
        assert isinstance(last, Compare)
        step = Compare(op, last.right, right, span=_join(last.right, right))
        return BinOp(AND, left, step, span=_join(left, right))

    def is_and(self, token: Token) -> bool:
        if token.kind == TEXT:
            return token.value == "and" and self.conditions > 0
        return (token.kind == NAME and token.value == "and" and self.conditions > 0
                and not self.ns.declares("and"))

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
        if kind == ONES:
            return self.parse_ones(token)
        if kind == CASES:
            return self.parse_cases(token)
        if kind == EOF:
            raise self.error("the answer ends too early: something is missing here", token)
        if kind == RP:
            raise self.error(f"`{token.value}` has no matching opening bracket", token)
        if kind == TRANSPOSE:
            raise self.error("a transpose needs something before it", token)
        if kind in (CMP, EQ):
            raise self.error(f"`{self._show(token)}` needs something on its left", token)
        if kind in (AMP, ROWSEP, ENDCASES, TEXT):
            raise self.error(_CASE_ONLY.format(self._show(token)), token)
        raise self.error(f"unexpected `{self._show(token)}`", token)

    def parse_group_rest(self, opener: Token) -> Node:
        if self.peek().kind == RP:
            raise self.error("empty brackets", self.peek())
        saved = self.bars, self.conditions
        self.bars = 0
        if opener.value == "⟨":
            return self.parse_inner_product(opener, saved)
        self.conditions = 1  # a bracket holding a comparison is an indicator
        inner = self.parse_expression()
        self.bars, self.conditions = saved
        if self.peek().kind == COMMA:
            raise self.error("a comma here: only function calls take several arguments", self.peek())
        self.expect_close(opener)
        return _respan(inner, (opener.start, self.tokens[self.pos - 1].end))

    def parse_inner_product(self, opener: Token, saved: tuple[int, int]) -> Node:
        """``\\langle a, b \\rangle``."""
        self.conditions = 0
        first = self.parse_expression()
        if self.peek().kind != COMMA:
            raise self.error("an inner product is written \\langle a, b \\rangle", self.peek())
        self.advance()
        second = self.parse_expression()
        self.bars, self.conditions = saved
        self.expect_close(opener)
        return Call("inner", (first, second), span=(opener.start, self.tokens[self.pos - 1].end))

    def parse_argument(self) -> Node:
        """The argument of \\frac, \\sqrt or a decoration: a braced group or one operand."""
        token = self.peek()
        if token.kind == LP and token.value == "{":
            return self.parse_group_rest(self.advance())
        return self.parse_expression(_POW_BP)

    def unbracketed_argument(self, token: Token) -> Node:
        """The operand of ``\\exp x`` or ``\\det X``."""
        return self.parse_expression(_POW_BP - 1) if token.kind != OP else self.parse_prefix()

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
        """``|x|``; ``‖x‖``, ``‖x‖_2`` and ``‖X‖_F``."""
        self.bars += 1
        saved, self.conditions = self.conditions, 0
        inner = self.parse_expression()
        self.bars -= 1
        self.conditions = saved
        closer = self.peek()
        if closer.kind != opener.kind:
            raise self.error(f"`{self._show(opener)}` is never closed", closer)
        self.advance()
        span = (opener.start, closer.end)
        if opener.kind == BAR:
            return Call("abs", (inner,), span=span)
        args: tuple[Node, ...] = (inner,)
        if self.peek().kind == NORMSUB:
            sub = self.advance()
            span = (opener.start, sub.end)
            if sub.value in ("1", "2"):
                args = (inner, Num(float(sub.value), span=(sub.start, sub.end)))
        return Call("norm", args, span=span)

    def parse_ones(self, token: Token) -> Node:
        """``1_n`` and ``\\mathbf{1}_n`` (ones), ``\\mathbb{1}_{x > 0}`` and ``\\mathbb{1}[x > 0]``
        (indicators), and a bare ``\\mathbf{1}`` sized by its context."""
        span = (token.start, token.end)
        if token.value == "_":
            opener = self.peek()
            if opener.kind == LP:
                condition = self.parse_group_rest(self.advance())
                if is_condition(condition):
                    return _respan(condition, (token.start, condition.span[1]))
            raise self.error("write 1_n for a vector of ones or 1_{x > 0} for an indicator", token)
        if token.value:
            return Call("ones", (self.size_word(token.value, token),), span=span)
        ones = Call("ones", (Size(f"?{self.placeholders}", span=span),), span=span)
        self.placeholders += 1
        nxt = self.peek()
        if nxt.kind == LP and nxt.value in ("[", "(", "\\{", "{"):
            group = self.parse_group_rest(self.advance())
            if is_condition(group):
                return _respan(group, (token.start, group.span[1]))
            return BinOp(MUL, ones, group, span=(token.start, group.span[1]))
        return ones

    def parse_cases(self, opener: Token) -> Node:
        """``\\begin{cases} value & condition \\\\ ... [value & \\text{otherwise}] \\end{cases}``."""
        values: list[Node] = []
        conditions: list[Node] = []
        saved = self.bars, self.conditions
        self.bars = 0
        while True:
            self.conditions = -1  # a value: a comparison here means a missing `&`
            values.append(self.parse_expression())
            if self.peek().kind == COMMA:
                self.advance()
            if self.peek().kind == AMP:
                self.advance()
            elif self.peek().kind not in (TEXT, NAME):
                raise self.error("a case is written `value & condition`, like 1 & x > 0", self.peek())
            if self.case_words():
                break
            self.conditions = 1
            condition = self.parse_expression()
            if not is_condition(condition):
                raise self.error("the condition of a case is a comparison, like x > 0",
                                 self.tokens[self.pos - 1])
            conditions.append(condition)
            if self.peek().kind == COMMA:
                self.advance()
            if self.peek().kind == ROWSEP:
                self.advance()
                if self.peek().kind != ENDCASES:
                    continue
            if self.peek().kind == ENDCASES:
                break
            raise self.error("expected `\\\\` and another case, or \\end{cases}", self.peek())
        if self.peek().kind == COMMA:
            self.advance()
        if self.peek().kind == ROWSEP:
            self.advance()
        closer = self.peek()
        if closer.kind != ENDCASES:
            raise self.error("the `otherwise` case comes last: expected \\end{cases}", closer)
        self.advance()
        self.bars, self.conditions = saved
        return Cases(tuple(values), tuple(conditions), span=(opener.start, closer.end))

    def case_words(self) -> bool:
        """Skip ``if``/``when`` before a condition; True after ``otherwise`` (the last case)."""
        while True:
            token = self.peek()
            word = token.value if token.kind == TEXT else (
                token.value if token.kind == NAME and not self.ns.declares(token.value) else "")
            if word in _CASE_IF:
                self.advance()
            elif word in _CASE_OTHERWISE:
                self.advance()
                return True
            elif token.kind == TEXT:
                raise self.error(f"`{self._show(token)}` cannot be read here: write one case per "
                                 "condition", token)
            else:
                return False

    def parse_power(self, base: Node, caret: Token) -> Node:
        token = self.peek()
        if self.is_transpose_mark(token):
            self.advance()
            return self.transpose(base, token)
        if self.is_glued_transpose(token):
            # `A^Tx` is A^T x: the tokenizer read `Tx` as one word.
            rest = token.value[1:]
            self.tokens[self.pos] = Token(NAME, rest, token.start + 1, token.end, token.decor, token.latex)
            return Transpose(base, span=(base.span[0], token.start + 1))
        braced = token.kind == LP and token.value == "{"
        if braced and self.is_transpose_mark(self.peek(1)) and self.peek(2).kind == RP:
            self.advance()
            mark = self.advance()
            self.advance()
            return self.transpose(base, mark, end=self.tokens[self.pos - 1].end)
        inverse = self.inverse_transpose(braced)
        if inverse:
            end = self.tokens[self.pos - 1].end
            power = Pow(base, Neg(Num(1.0)), span=(base.span[0], end))
            return Transpose(power, span=(base.span[0], end))
        self.exponent += 1
        if braced:
            exponent = self.parse_group_rest(self.advance())
        else:
            exponent = self.parse_expression(_POW_BP - 1)
        self.exponent -= 1
        span = (base.span[0], exponent.span[1])
        if isinstance(base, Const) and base.name == "e":
            return Call("exp", (exponent,), span=span)
        return Pow(base, exponent, span=span)

    def inverse_transpose(self, braced: bool) -> bool:
        """``X^{-T}``, ``X^-T``, ``X^{-\\top}``: consumed when present."""
        first = 1 if braced else 0
        minus, mark = self.peek(first), self.peek(first + 1)
        if not (minus.kind == OP and minus.value == "-" and self.is_transpose_mark(mark)):
            return False
        if braced and self.peek(first + 2).kind != RP:
            return False
        for _ in range(first + 2 + (1 if braced else 0)):
            self.advance()
        return True

    def is_glued_transpose(self, token: Token) -> bool:
        """``Tx`` right after ``^``, where the question declares neither ``T`` nor ``Tx`` but can
        read ``x`` (a name, or a product of names like ``xy``)."""
        if token.kind != NAME or len(token.value) < 2 or token.value[0] != "T":
            return False
        if self.ns.declares("T") or self.ns.declares(token.value):
            return False
        rest = token.value[1:]
        return self.ns.declares(rest) or self.split(rest) is not None

    def is_transpose_mark(self, token: Token) -> bool:
        if token.kind == TRANSPOSE and token.value in _TRANSPOSE_MARKS:
            return True
        return token.kind == NAME and token.value == "T" and not self.ns.declares("T")

    def transpose(self, operand: Node, token: Token, end: int | None = None) -> Node:
        if token.value in ("'", "′") and isinstance(operand, Apply) and self.peek().kind == LP:
            raise self.error(derivative_message(operand.func), token)
        return Transpose(operand, span=(operand.span[0], end if end is not None else token.end))

    def parse_call_arguments(self, func: str) -> list[Node]:
        opener = self.advance()
        args: list[Node] = []
        saved = self.bars, self.conditions
        self.bars = self.conditions = 0
        while True:
            if self.peek().kind == RP and not args:
                raise self.error(f"{func}() needs an argument", self.peek())
            args.append(self.parse_expression())
            if self.peek().kind == COMMA:
                self.advance()
                continue
            break
        self.bars, self.conditions = saved
        self.expect_close(opener)
        return args


def _join(left: Node, right: Node) -> tuple[int, int]:
    return (left.span[0], right.span[1])


def _respan(node: Node, span: tuple[int, int]) -> Node:
    """The same node, remembered as covering its brackets too."""
    fields = {f: getattr(node, f) for f in node.__dataclass_fields__ if f != "span"}
    return type(node)(**fields, span=span)
