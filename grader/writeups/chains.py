"""A block of math → chains of terms joined by ``=``.

A block is split into rows at ``\\\\`` (``aligned``, ``align`` and friends only align: their rows
are what counts); a row into statements at ``\\Rightarrow``, ``\\implies``, ``\\therefore``, ``\\approx``,
``,``, ``\\quad`` and remarks (``\\text{and}``); a statement into terms at ``=`` (``&=`` too). A row or
a block that starts with ``=`` continues the chain before it. What carries no value is taken out:
``\\underbrace{X}_{…}`` keeps X, ``\\boxed{X}`` keeps X (and is remembered as the boxed answer),
``\\quad (\\because …)`` and ``(\\dim = n \\times 1)`` asides and ``\\text{…}`` remarks go, and
``\\in \\mathbb{R}^{n \\times 1}`` and ``\\underbrace{…}_{n \\times 1}`` are kept aside as shapes.

Definitions the write-up makes (``\\text{let } v = …``, ``where S = …``, ``v := …``,
``\\underbrace{w^T x - y}_{v}``, a line ``v = …`` with a new name on the left) are collected so
that steps and answers that use the name can be read.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass

from ..answers.builtins import SPELLINGS
from .extract import Document, MathBlock, block_start
from .latex import COMMAND, argument, braced, skip_space, unwrap

#: Boxes read per row (a row of thousands of boxes is not an answer).
MAX_BOXED = 20
#: Environments that only align rows; their ``\\\\`` separates rows of a derivation.
ALIGNING = frozenset({"aligned", "align", "align*", "split", "gathered", "gather", "gather*",
                      "alignat", "alignat*", "alignedat", "eqnarray", "eqnarray*", "multline",
                      "multline*", "flalign", "flalign*", "equation", "equation*", "IEEEeqnarray",
                      "IEEEeqnarray*", "dmath", "dmath*"})
#: Relations after which a new statement starts, implied by the one before.
IMPLIES = frozenset({"Rightarrow", "implies", "Longrightarrow", "therefore", "iff",
                     "Leftrightarrow", "Longleftrightarrow", "rightarrow", "longrightarrow", "to",
                     "Leftarrow", "impliedby"})
#: Relations that claim no exact equality: the terms on either side are not compared.
APPROXIMATE = frozenset({"approx", "simeq", "sim", "propto", "neq", "ne", "cong", "equiv",
                         "approxeq", "thickapprox", "doteq"})
DEFINES = frozenset({"coloneqq", "triangleq", "eqqcolon", "coloneq", "defeq", "Coloneqq"})
SPACING = frozenset({"quad", "qquad", "hspace", "hspace*", "hfill", "enspace", "hskip"})
TEXTS = frozenset({"text", "textrm", "textit", "textbf", "mbox", "intertext", "textnormal",
                   "textsf", "shortintertext"})
SIZERS = frozenset({"left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
                    "biggl", "biggr", "Biggl", "Biggr", "middle"})
#: Words of a remark that introduce a definition: ``\\text{where } S = …``.
DEFINING_WORDS = frozenset({"let", "where", "with", "define", "defining", "denote", "set",
                            "put", "writing", "here"})
#: Words kept in ``\\text{…}``: function names (``\\text{diag}(f)``).
_KEEP_TEXT = frozenset(SPELLINGS) | {"ReLU", "Relu", "sgn", "argmax", "argmin"}
_ASIDE_START = re.compile(r"\s*(?:\\because|\\text|\\mbox|\\textrm|\\textit|\\textbf|\\small|"
                          r"\\footnotesize|\\scriptsize|\\color|\\tag|(?:\\operatorname\s*\{\s*|"
                          r"\\mathrm\s*\{\s*|\\)?dim\b|by\b|from\b|using\b|since\b|see\b)")
#: ``\\text{where }``, ``\\text{, let}``: a remark that introduces a definition, not an aside.
_DEFINING_REMARK = re.compile(r"\\(?:text|textrm|mbox|textit|intertext)\s*\{[^{}]*\b(?:where|let|with|define|"
                              r"denote|set|here)\b", re.I)
_SHAPE = re.compile(r"^\s*(?=[^()]*[A-Za-z])[A-Za-z0-9]{1,3}\s*(?:\\times|×|\*)\s*[A-Za-z0-9]{1,3}\s*$")
_SPACE = re.compile(r"\s*(?:\\mathbb\s*\{?\s*R\s*\}?|\\R\b|ℝ|\\Re\b|\\mathbf\s*\{\s*R\s*\})")
_ENV = re.compile(r"\\(begin|end)\s*\{\s*([A-Za-z]+\*?)\s*\}")
_ZERO = re.compile(r"^\s*(?:0|\\(?:mathbf|vec|boldsymbol|bm|mathbb)\s*\{\s*0\s*\}|\\vec\s*0|0_\{?\w+\}?)\s*$")
_OCR_SPACING = re.compile(r"\s+(?=[_^])|(?<=[_^])\s+")


@dataclass(frozen=True)
class Term:
    """One side of an ``=``: cleaned LaTeX, with the line it is on."""

    text: str
    line: int


@dataclass(frozen=True)
class Chain:
    """Terms joined by ``=``, in the order written; ``terms[0]`` is the left side."""

    terms: tuple[Term, ...]
    offset: int
    line: int
    display: bool
    #: Introduced by ``let``/``where``, or written with ``:=``: a definition, not a result.
    definition: bool = False
    #: An equation to solve (it sets something to zero, or follows from one that does): its
    #: steps are not identities and are never checked.
    equation: bool = False
    #: The whole statement (without asides), for answers such as ``\\alpha > 0 \\text{ and } …``.
    source: str = ""
    #: Shapes written beside the terms (``\\underbrace{…}_{n \\times 1}``, ``\\in \\mathbb{R}^{…}``).
    annotations: tuple[str, ...] = ()
    #: The whole row the chain starts on (annotations removed), for answers that span
    #: statements (``\\alpha > 0 \\text{ and } \\alpha < 2``).
    row: str = ""

    @property
    def last(self) -> Term:
        return self.terms[-1]


@dataclass(frozen=True)
class Definition:
    """A name the write-up defines: ``name`` as written (a single symbol), ``value`` its term."""

    name: str
    value: str
    offset: int
    line: int
    #: Said to be one (``let``, ``where``, ``:=``, an underbrace label), not just a line ``v = …``.
    explicit: bool = True


@dataclass(frozen=True)
class Boxed:
    """The content of a ``\\boxed{…}``."""

    text: str
    offset: int
    line: int


@dataclass(frozen=True)
class Reading:
    """Everything read from a document's math: chains, boxed answers and definitions."""

    chains: tuple[Chain, ...]
    boxed: tuple[Boxed, ...]
    definitions: tuple[Definition, ...]


# -- rows -------------------------------------------------------------------------------------
def split_rows(text: str) -> list[tuple[str, int]]:
    """A block's rows at top-level ``\\\\`` (not inside ``cases``, matrices or braces), with
    aligning environments' ``\\begin``/``\\end`` blanked out; each with its offset."""
    text = _blank_aligning(text)
    rows: list[tuple[str, int]] = []
    start = depth = inner = 0
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            match = COMMAND.match(text, i)
            assert match is not None
            token = match.group()
            if token == "\\\\" or token == "\\cr":
                if depth == 0 and inner == 0:
                    rows.append((text[start:i], start))
                    start = _after_row_spacing(text, match.end())
                    i = start
                    continue
            elif token in ("\\begin", "\\end"):
                inner += 1 if token == "\\begin" else -1
                inner = max(inner, 0)
            i = match.end()
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth = max(depth - 1, 0)
        i += 1
    rows.append((text[start:], start))
    return [(row, at) for row, at in rows if row.strip()]


def _blank_aligning(text: str) -> str:
    out, at = [], 0
    for match in _ENV.finditer(text):
        env = match.group(2)
        if match.start() < at or not (env in ALIGNING or (env == "array" and _aligning_array(text, match))):
            continue
        end = match.end()
        if match.group(1) == "begin" and env.startswith(("alignat", "alignedat", "array", "IEEE")):
            arg = argument(text, end)
            end = arg[1] if arg else end
        out.append(text[at:match.start()])
        out.append(re.sub(r"[^\n]", " ", text[match.start():end]))
        at = end
    out.append(text[at:])
    return "".join(out)


def _aligning_array(text: str, match: re.Match) -> bool:
    """``\\begin{array}{rcl}`` used to align a derivation (columns of r, c and l only, at most 3)."""
    if match.group(1) == "end":
        begin = text.rfind("\\begin", 0, match.start())
        spec = argument(text, text.find("}", begin) + 1) if begin >= 0 else None
    else:
        spec = argument(text, match.end())
    return bool(spec and re.fullmatch(r"\s*[rcl]{1,3}\s*", spec[0]))


def _after_row_spacing(text: str, i: int) -> int:
    """Past ``[4pt]`` after a row break."""
    j = skip_space(text, i)
    if j < len(text) and text[j] == "[":
        close = text.find("]", j)
        if 0 < close - j < 12:
            return close + 1
    return i


# -- statements -------------------------------------------------------------------------------
@dataclass
class _Statement:
    terms: list[tuple[str, int]]
    leading_eq: bool = False
    defines: bool = False
    intro: str = ""
    joined: str = "start"
    source: list[str] | None = None


class _RowScanner:
    """One row → statements; asides and shape annotations set aside."""

    def __init__(self, row: str):
        self.row = row
        self.statements: list[_Statement] = []
        self.annotations: list[str] = []
        self.current = _Statement([])
        self.buf: list[str] = []
        self.source: list[str] = []
        self.term_start = 0
        self.depth = 0
        self.next_intro = ""

    def run(self) -> "_RowScanner":
        row, i, n = self.row, 0, len(self.row)
        while i < n:
            ch = row[i]
            if ch == "\\":
                i = self.command(i)
                continue
            if self.depth == 0:
                if ch == "&":
                    i += 1
                    continue
                if ch == "=" and self._is_equals(i):
                    self.cut_term(i)
                    i += 1
                    continue
                if ch == ":" and row.startswith("=", i + 1):
                    self.current.defines = True
                    self.cut_term(i)
                    i += 2
                    continue
                if ch in ",;" or (ch == "." and row[i + 1:i + 2] in ("", " ", "\n", "\t")):
                    self.end_statement("sep", i)
                    i += 1
                    continue
                if ch in "([" and self.aside(i + 1, i):
                    i = self.after_aside
                    continue
            if ch in "{([":
                self.depth += 1
            elif ch in "})]":
                self.depth = max(self.depth - 1, 0)
            self.emit(ch, i)
            i += 1
        self.end_statement("end", n)
        return self

    def _is_equals(self, i: int) -> bool:
        row, j = self.row, i - 1
        while j >= 0 and row[j] in " \t\n":
            j -= 1
        before = row[j] if j >= 0 else ""
        return before not in ("<", ">", "!", ":", "=") and not row.startswith("=", i + 1)

    def emit(self, text: str, at: int) -> None:
        if not self.buf:
            self.term_start = at
        self.buf.append(text)
        self.source.append(text)

    def cut_term(self, i: int) -> None:
        text = "".join(self.buf).strip()
        if text:
            self.current.terms.append((text, self.term_start))
        elif not self.current.terms:
            self.current.leading_eq = True
        self.buf = []
        self.source.append(" = ")

    def end_statement(self, how: str, i: int) -> None:
        text = "".join(self.buf).strip()
        if text:
            self.current.terms.append((text, self.term_start))
        self.buf = []
        if self.current.terms:
            self.current.source = self.source
            self.statements.append(self.current)
        self.current = _Statement([], intro=self.next_intro, joined=how if how != "end" else "start")
        self.source = []
        self.next_intro = ""

    def command(self, i: int) -> int:
        row = self.row
        match = COMMAND.match(row, i)
        assert match is not None
        name, end = match.group(1), match.end()
        if name == "begin":
            close = _matching_end(row, i)
            self.emit(row[i:close], i)
            return close
        if name in SIZERS:
            j = skip_space(row, end)
            delimiter = COMMAND.match(row, j) if row.startswith("\\", j) else None
            token = delimiter.group() if delimiter else row[j:j + 1]
            if self.depth == 0 and token in ("(", "[", "\\{", "\\langle") and self.aside(j + len(token), i):
                return self.after_aside
            if token in ("(", "[", "\\{", "\\langle", "\\lbrace", "\\lvert", "\\lVert"):
                self.depth += token in ("(", "[", "\\{", "\\langle", "\\lbrace")
            elif token in (")", "]", "\\}", "\\rangle", "\\rbrace"):
                self.depth = max(self.depth - 1, 0)
            self.emit(row[i:j + len(token)], i)
            return j + len(token)
        if name in ("{", "langle", "lbrace"):
            self.depth += 1
        elif name in ("}", "rangle", "rbrace"):
            self.depth = max(self.depth - 1, 0)
        if self.depth > 0:
            self.emit(match.group(), i)
            return end
        if name in IMPLIES:
            self.end_statement("implies", i)
            return end
        if name in APPROXIMATE:
            self.end_statement("approx", i)
            return end
        if name in DEFINES:
            self.current.defines = True
            self.cut_term(i)
            return end
        if name == "because":
            self.end_statement("aside", i)
            self.annotations.append(row[end:])
            return len(row)
        if name in SPACING:
            arg_end = end
            if name.startswith(("hspace", "hskip")):
                arg = argument(row, end)
                arg_end = arg[1] if arg and name.startswith("hspace") else end
            rest = row[arg_end:].lstrip()
            if not rest or rest[0] in "=&":
                return arg_end
            defining = _DEFINING_REMARK.match(rest)
            if not defining and (_ASIDE_START.match(rest) or rest[0] in "(["
                                 or rest.startswith(("\\left", "\\{", "\\Big", "\\big"))):
                self.end_statement("aside", i)
                self.annotations.append(rest)
                return len(row)
            self.end_statement("sep", i)
            return arg_end
        if name in TEXTS:
            arg = argument(row, end)
            if arg is None:
                return end
            words = arg[0].strip()
            if words in _KEEP_TEXT:
                self.emit(row[i:arg[1]], i)
                return arg[1]
            found = [w for w in re.findall(r"[A-Za-z]+", words.lower()) if w in DEFINING_WORDS]
            self.end_statement("remark", i)
            self.next_intro = self.current.intro = found[0] if found else ""
            return arg[1]
        if name == "in":
            space = _SPACE.match(row, end)
            if space:
                stop = _statement_end(row, space.end())
                self.annotations.append(row[end:stop].strip())
                return stop
        self.emit(match.group(), i)
        return end

    after_aside = 0

    def aside(self, inside: int, start: int) -> bool:
        """A bracket at ``start`` holding an aside (``(\\because …)``, ``(\\dim = n \\times 1)``,
        ``(n \\times 1)``): record it, skip it (``after_aside``) and say True."""
        row = self.row
        close = _matching_bracket(row, start)
        if close < 0:
            return False
        content = row[inside:close - _closer_width(row, close)]
        if not (_ASIDE_START.match(content) or _SHAPE.match(content)):
            return False
        self.annotations.append(content)
        self.after_aside = close
        return True


def _closer_width(row: str, close: int) -> int:
    """How many characters before ``close`` the closing delimiter takes (``)`` or ``\\right)``)."""
    for token in ("\\right)", "\\right]", "\\right\\}", "\\right.", "\\rangle", ")", "]", "\\}"):
        if row.endswith(token, 0, close):
            return len(token)
    return 1


def _matching_bracket(row: str, start: int) -> int:
    """The index after the bracket closing the one at ``start`` (``(``, ``[`` or ``\\left(``)."""
    depth, i, n = 0, start, len(row)
    while i < n:
        ch = row[i]
        if ch == "\\":
            match = COMMAND.match(row, i)
            assert match is not None
            name = match.group(1)
            if name in ("{", "langle", "lbrace"):
                depth += 1
            elif name in ("}", "rangle", "rbrace"):
                depth -= 1
                if depth == 0:
                    return match.end()
            i = match.end()
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def _matching_end(row: str, i: int) -> int:
    """The index after the ``\\end{…}`` that closes the ``\\begin{…}`` at ``i``."""
    match = _ENV.match(row, i)
    if match is None:
        return i + len("\\begin")
    name, depth = match.group(2), 0
    for env in _ENV.finditer(row, i):
        if env.group(2) != name:
            continue
        depth += 1 if env.group(1) == "begin" else -1
        if depth == 0:
            return env.end()
    return len(row)


def _statement_end(row: str, i: int) -> int:
    """Where the statement containing ``i`` ends: the next top-level break."""
    depth, n = 0, len(row)
    while i < n:
        ch = row[i]
        if ch in "{([":
            depth += 1
        elif ch in "})]":
            depth -= 1
        elif depth <= 0 and (ch in ",;=&" or row.startswith(("\\quad", "\\qquad", "\\text", "\\Rightarrow",
                                                              "\\implies", "\\therefore"), i)):
            return i
        i += 1
    return n


_DIM = re.compile(r"^\s*(?:\\(?:operatorname|mathrm|text)\s*\{\s*dim\s*\}|\\dim|dim)\s*(?:=|:)\s*")


def _annotation(text: str) -> str:
    """An aside as a shape may be read from it: ``(\\dim = n \\times 1)`` → ``n \\times 1``."""
    text = text.strip()
    for left, right in (("\\left(", "\\right)"), ("(", ")"), ("\\left[", "\\right]"), ("[", "]")):
        if text.startswith(left) and text.endswith(right):
            text = text[len(left):-len(right)].strip()
            break
    return clean(_DIM.sub("", text))


def clean(text: str) -> str:
    """A term ready for the answer language: OCR spacing around ``_`` and ``^`` closed up
    (``f _ { i }`` → ``f_{i}``), trailing punctuation and a brace group around it all removed."""
    text = _OCR_SPACING.sub("", text).strip().rstrip(".,;:").strip()
    while text.startswith("{") and braced(text, 0) == len(text):
        text = text[1:-1].strip()
    return text


def is_zero(text: str) -> bool:
    return bool(_ZERO.match(text))


def last_term(text: str) -> str:
    """The last term of a statement (``w_3 = 60`` → ``60``), for boxed chains."""
    scanner = _RowScanner(text).run()
    if not scanner.statements or not scanner.statements[-1].terms:
        return clean(text)
    return clean(scanner.statements[-1].terms[-1][0])


# -- chains of a document -----------------------------------------------------------------------
_NAME_LIKE = re.compile(r"^(?:\\(?:bar|vec|mathbf|boldsymbol|bm|hat|tilde|mathcal|mathrm|overline|"
                        r"mathit)\s*\{\s*)?\\?[A-Za-z]+\s*\}?\s*(?:_\s*\{?\s*[A-Za-z0-9]+\s*\}?)?$")
_PROSE_INTRO = re.compile(r"\b(let|where|with|define|defining|denote|set|put|here)\b[^.$\n:]{0,30}:?\s*$",
                          re.I)
#: Prose that announces the answer: the math after it counts as boxed.
_PROSE_ANSWER = re.compile(r"\b(?:final\s+)?answer\s*(?:is|:)?\s*[*_]*\s*:?[*_]*\s*$", re.I)
_PROSE_EQUATION = re.compile(r"\b(?:solv\w*|setting|set\s+(?:it|this|them|the\s+\w+)?\s*(?:to|equal)|"
                             r"equal\s+to\s+(?:zero|0)|stationary|normal\s+equations?|"
                             r"minimi[sz]\w*|maximi[sz]\w*|optimal)\b", re.I)
#: How far back in the prose a defining word or an equation cue is looked for.
_PROSE_WINDOW = 120


def name_like(text: str) -> bool:
    """Whether a term is a single name (``v``, ``\\bar{v}``, ``S``, ``f_i``): it can be defined."""
    return bool(_NAME_LIKE.match(text))


class _Builder:
    def __init__(self, terms: list[Term], offset: int, display: bool, definition: bool,
                 equation: bool, source: str, annotations: list[str], row: str):
        self.terms, self.offset, self.display = terms, offset, display
        self.definition, self.equation, self.source = definition, equation, source
        self.annotations, self.row = annotations, row

    def freeze(self) -> Chain:
        return Chain(tuple(self.terms), self.offset, self.terms[0].line, self.display,
                     self.definition, self.equation, self.source, tuple(self.annotations),
                     self.row)


def read_math(doc: Document, barriers: list[int] = ()) -> Reading:
    """Chains, boxed answers and definitions of every block, in document order. A chain never
    continues across a barrier (the start of a question's part)."""
    builders: list[_Builder] = []
    boxed: list[Boxed] = []
    definitions: list[Definition] = []
    barriers = sorted(barriers)
    last_block_end = 0
    for block in doc.blocks:
        before = doc.text[max(last_block_end, _opening(doc, block) - _PROSE_WINDOW):_opening(doc, block)]
        if builders and builders[-1] is not None and \
                any(builders[-1].offset < b <= block.offset for b in barriers):
            builders.append(None)  # a barrier: nothing continues across it
        intro_match = _PROSE_INTRO.search(before)
        pending = intro_match.group(1).lower() if intro_match else ""
        cue = bool(_PROSE_EQUATION.search(before))
        if _PROSE_ANSWER.search(before[-40:]):
            rows = split_rows(block.text)
            if rows:
                last = unwrap(rows[-1][0]).text
                boxed.append(Boxed(clean(last), block.offset + rows[-1][1],
                                   doc.line_of(block.offset + rows[-1][1])))
        _read_block(doc, block, builders, boxed, definitions, pending, cue)
        last_block_end = block.end
    chains = [b.freeze() for b in builders if b is not None and b.terms]
    for chain in chains:
        if not chain.definition and len(chain.terms) >= 2 and name_like(chain.terms[0].text):
            definitions.append(Definition(chain.terms[0].text, chain.terms[1].text, chain.offset,
                                          chain.line, chain.definition))
    definitions.sort(key=lambda d: d.offset)
    return Reading(tuple(chains), tuple(boxed), tuple(definitions))


def _opening(doc: Document, block: MathBlock) -> int:
    return max(0, block_start(doc.text, block))


def _read_block(doc: Document, block: MathBlock, builders: list, boxed: list, definitions: list,
                pending: str, cue: bool) -> None:
    first_in_block = True
    previous_equation = False
    for row, at in split_rows(block.text):
        offset = block.offset + at
        line = doc.line_of(offset)
        unwrapped = unwrap(row)
        text = unwrapped.text
        for content, position in unwrapped.boxed[:MAX_BOXED]:
            boxed.append(Boxed(clean(content), offset, line + text.count("\n", 0, position)))
        shapes = []
        for label, labelled in unwrapped.labels:
            label = clean(label.lstrip("= "))
            if name_like(label):
                definitions.append(Definition(label, clean(labelled), offset, line))
            elif _SHAPE.match(label) or label:
                shapes.append(label)
        scanner = _RowScanner(text).run()
        shapes += [_annotation(a) for a in scanner.annotations]
        breaks = [m.start() for m in re.finditer("\n", text)]
        for statement in scanner.statements:
            terms = [Term(clean(t), line + bisect.bisect_left(breaks, position))
                     for t, position in statement.terms]
            terms = [t for t in terms if t.text]
            if not terms:
                continue
            intro = statement.intro or pending
            pending = ""
            source = clean("".join(statement.source or []))
            current = builders[-1] if builders else None
            if statement.leading_eq and current is not None and (not first_in_block or block.display):
                current.terms.extend(terms)
                current.annotations.extend(shapes)
                current.source += " = " + source.lstrip("= ")
                continue
            equation = cue or (previous_equation and statement.joined == "implies")
            builder = _Builder(terms, offset, block.display,
                               bool(intro in DEFINING_WORDS and intro) or statement.defines,
                               equation, source, list(shapes), clean(text))
            builders.append(builder)
            if builder.definition and len(terms) >= 2 and name_like(terms[0].text):
                definitions.append(Definition(terms[0].text, terms[1].text, offset, terms[0].line))
            previous_equation = equation or (len(terms) >= 2 and is_zero(terms[-1].text))
            first_in_block = False
        first_in_block = False
        pending = scanner.current.intro or pending


__all__ = ["Boxed", "Chain", "Definition", "Reading", "Term", "clean", "is_zero", "last_term",
           "name_like", "read_math", "split_rows"]
