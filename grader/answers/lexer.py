"""Text → tokens, for plain math and LaTeX alike.

One tokenizer reads both notations, so a student never says which one they used: backslash
commands are LaTeX, everything else is plain text, and braces group in both. Anything the tables
below do not name is rejected with a caret under it; the tables are the whitelist.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .builtins import LATEX_COMMANDS
from .errors import AnswerError

MAX_LENGTH = 2000

# Token kinds.
NUM, NAME, OP, LP, RP, COMMA, TRANSPOSE, BAR, DBAR = "num", "name", "op", "(", ")", ",", "T", "|", "||"
FRAC, SQRT, DECOR, CMP, IN, UNION, EQ, EOF = "frac", "sqrt", "decor", "cmp", "in", "union", "=", "eof"
#: ``\mathbf{1}``, ``\mathbb{1}``, ``1_n``: a ones vector or indicator. The value is the subscript
#: word (``n``), ``""`` for none, or ``"_"`` when a braced subscript group follows (``_{x > 0}``).
ONES = "ones"
#: ``_2``, ``_F``, ``_1`` right after a closing ``\|``: which norm.
NORMSUB = "normsub"
#: ``\begin{cases}``, ``\end{cases}``, ``&`` and ``\\`` (a new row).
CASES, ENDCASES, AMP, ROWSEP = "cases", "endcases", "&", "rowsep"
#: A word in ``\text{...}`` that only structures a case: ``if``, ``otherwise``, ``and``.
TEXT = "text"


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    value: str
    start: int
    end: int
    #: For NAME tokens from ``\hat{x}`` and friends: the decoration, so a question with a separate
    #: hatted symbol can tell ``\hat{x}`` from ``x``.
    decor: str = ""
    #: True for a name written as a LaTeX command (``\exp``): such functions may omit parentheses.
    latex: bool = False


GREEK = {
    "alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "epsilon": "ε", "varepsilon": "ϵ",
    "zeta": "ζ", "eta": "η", "theta": "θ", "vartheta": "ϑ", "iota": "ι", "kappa": "κ",
    "lambda": "λ", "mu": "μ", "nu": "ν", "xi": "ξ", "pi": "π", "rho": "ρ", "sigma": "σ",
    "tau": "τ", "upsilon": "υ", "phi": "φ", "varphi": "ϕ", "chi": "χ", "psi": "ψ", "omega": "ω",
    "Gamma": "Γ", "Delta": "Δ", "Theta": "Θ", "Lambda": "Λ", "Xi": "Ξ", "Pi": "Π", "Sigma": "Σ",
    "Phi": "Φ", "Psi": "Ψ", "Omega": "Ω",
}
# LaTeX spellings that name the same letter as another spelling.
_GREEK_VARIANTS = {"varepsilon": "epsilon", "vartheta": "theta", "varphi": "phi"}
UNICODE_GREEK = {char: _GREEK_VARIANTS.get(word, word) for word, char in GREEK.items()}
UNICODE_GREEK.update({"ϵ": "epsilon", "ϑ": "theta", "ϕ": "phi", "ς": "sigma", "µ": "mu"})

#: LaTeX commands that name a built-in function, from the builtins table.
LATEX_FUNCTIONS = frozenset(LATEX_COMMANDS)
LATEX_SKIP = {
    ",", ";", ":", "!", " ", "quad", "qquad", "left", "right", "big", "Big", "bigg", "Bigg",
    "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "displaystyle",
    "textstyle", "limits", "nolimits", "middle", "enspace", "thinspace", "medspace",
    "thickspace", "negthinspace",
}
LATEX_OPS = {"cdot": "dot", "times": "*", "ast": "*", "div": "/", "odot": "hadamard",
             "circ": "hadamard", "otimes": None}
LATEX_CMP = {"le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=",
             "geqslant": ">=", "lt": "<", "gt": ">", "ne": "!=", "neq": "!="}
# Commands whose argument only marks a symbol as a vector or matrix (or sets its font).
DECORATIONS = {
    "bar": "bar", "overline": "bar", "vec": "vec", "overrightarrow": "vec", "hat": "hat",
    "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "mathbf": "", "boldsymbol": "",
    "bm": "", "mathbold": "", "pmb": "", "vb": "", "underline": "", "underbar": "",
    "mathit": "", "mathrm": "", "mathsf": "", "text": "", "textrm": "", "textit": "",
    "textbf": "", "operatorname": "", "mathnormal": "", "mathcal": "", "dot": "dot", "mbox": "",
    "textnormal": "",
}
#: Decorations that mark a 1 as the ones vector (or an indicator): ``\mathbf{1}``, ``\mathbb{1}``.
ONES_DECORATIONS = {"mathbf", "boldsymbol", "bm", "mathbb", "mathbbm", "mathds", "vec", "pmb", "vb"}
#: Decorations that hold words, where ``\text{if }`` and ``\text{otherwise}`` structure a case.
TEXT_DECORATIONS = {"text", "textrm", "textit", "textbf", "mbox", "mathrm", "textnormal"}
CASE_WORDS = {"if": "if", "when": "if", "for": "if", "where": "if", "whenever": "if",
              "otherwise": "otherwise", "else": "otherwise", "elsewhere": "otherwise",
              "o.w.": "otherwise", "ow": "otherwise", "and": "and", "or": "or"}
UNSUPPORTED_HINTS = {
    "sum": "write sum(...) for the sum of a vector's entries",
    "prod": "products over indices are not supported",
    "partial": "write the derivative itself, not d/dx",
    "int": "integrals are not supported",
    "pm": "give one expression, not ±",
    "cdots": "write the expression out",
    "ldots": "write the expression out",
}

_NUMBER = re.compile(r"(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*")
_SUB_WORD = re.compile(r"[A-Za-z0-9]+")
_COMMAND = re.compile(r"\\([A-Za-z]+|.)", re.S)
_SUPERSCRIPTS = {"⁰": "0", "¹": "1", "²": "2", "³": "3", "⁴": "4", "⁵": "5", "⁶": "6",
                 "⁷": "7", "⁸": "8", "⁹": "9", "⁻": "-"}
_SINGLE = {
    "+": (OP, "+"), "-": (OP, "-"), "−": (OP, "-"), "–": (OP, "-"), "/": (OP, "/"),
    "÷": (OP, "/"), "^": (OP, "^"), "@": (OP, "*"), "·": (OP, "dot"), "×": (OP, "*"),
    "⋅": (OP, "dot"), "∙": (OP, "dot"), "∗": (OP, "*"), "⊙": (OP, "hadamard"), "∘": (OP, "hadamard"),
    "(": (LP, "("), "[": (LP, "["), "{": (LP, "{"), ")": (RP, ")"), "]": (RP, "]"),
    "}": (RP, "}"), ",": (COMMA, ","), ";": (COMMA, ";"), "'": (TRANSPOSE, "'"),
    "′": (TRANSPOSE, "′"), "⟨": (LP, "⟨"), "⟩": (RP, "⟩"), "≠": (CMP, "!="), "&": (AMP, "&"),
    "ᵀ": (TRANSPOSE, "ᵀ"), "⊤": (TRANSPOSE, "⊤"), "√": (SQRT, "√"), "∞": (NAME, "inf"),
    "≤": (CMP, "<="), "≥": (CMP, ">="), "⩽": (CMP, "<="), "⩾": (CMP, ">="), "∈": (IN, "in"),
    "∪": (UNION, "U"), "‖": (DBAR, "‖"), "=": (EQ, "="), "ℯ": (NAME, "e"),
}
_SKIP = {" ", "\t", "\n", "\r", "~", "$", "\u00a0", "\u2009", "\u200b", "\u202f"}
_ONES_CHAR = "\U0001d7d9"  # 𝟙, MATHEMATICAL DOUBLE-STRUCK DIGIT ONE

#: Added to every message about text that YAML's double quotes have mangled.
ESCAPE_HINT = "in double quotes a backslash starts an escape; write LaTeX in single quotes or after `|`"
#: Characters no answer contains, except as YAML's reading of a backslash escape (``"\frac"`` is a
#: form feed and ``rac``): C0 and C1 controls other than tab, newline and carriage return, and the
#: Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
#: What YAML's double quotes turn an escape into → the escape's letter.
_ESCAPES = {"\x00": "0", "\x07": "a", "\x08": "b", "\t": "t", "\n": "n", "\x0b": "v", "\x0c": "f",
            "\r": "r", "\x1b": "e", "\x85": "N", "\u00a0": "_", "\u2028": "L", "\u2029": "P"}
_CONTROL_NAMES = {"\x00": "NUL", "\x07": "BELL", "\x08": "BACKSPACE", "\t": "TAB",
                  "\n": "LINE FEED", "\x0b": "VERTICAL TAB", "\x0c": "FORM FEED",
                  "\r": "CARRIAGE RETURN", "\x1b": "ESCAPE", "\x85": "NEXT LINE",
                  "\u00a0": "NO-BREAK SPACE"}


def tokenize(text: str) -> list[Token]:
    """Split an answer into tokens; raise AnswerError with a caret at the first bad character."""
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"answer is too long ({len(text)} characters; at most {MAX_LENGTH})")
    check_escapes(text)
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SKIP:
            i += 1
        elif ch.isascii() and (ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit())):
            match = _NUMBER.match(text, i)
            assert match is not None
            if match.group() == "1" and text.startswith("_", match.end()):
                i = _ones(text, i, match.end(), tokens)  # 1_n, 1_{x > 0}
                continue
            tokens.append(Token(NUM, match.group(), i, match.end()))
            i = match.end()
        elif ch.isascii() and ch.isalpha():
            i = _word(text, i, tokens)
        elif ch == "\\":
            i = _command(text, i, tokens)
        elif ch == "*" and text.startswith("**", i):
            tokens.append(Token(OP, "^", i, i + 2))
            i += 2
        elif ch == "*":
            tokens.append(Token(OP, "*", i, i + 1))
            i += 1
        elif ch == "|":
            double = text.startswith("||", i)
            tokens.append(Token(DBAR if double else BAR, "||" if double else "|", i, i + 1 + double))
            i += 1 + double
        elif ch in "<>":
            if text.startswith("=", i + 1):
                tokens.append(Token(CMP, ch + "=", i, i + 2))
                i += 2
            else:
                tokens.append(Token(CMP, ch, i, i + 1))
                i += 1
        elif ch in "=!" and text.startswith("=", i + 1):
            tokens.append(Token(CMP, ch + "=", i, i + 2))
            i += 2
        elif ch == "_" and tokens and tokens[-1].kind == DBAR:
            i = _norm_subscript(text, i, tokens)
        elif ch == "." and _FULL_STOP.match(text, i + 1):
            i += 1  # a full stop ending the answer or a case: punctuation
        elif ch == "." and text.startswith(".T", i) and not _continues_word(text, i + 2):
            tokens.append(Token(TRANSPOSE, ".T", i, i + 2))
            i += 2
        elif ch in _SUPERSCRIPTS:
            j = i
            while j < n and text[j] in _SUPERSCRIPTS:
                j += 1
            digits = "".join(_SUPERSCRIPTS[c] for c in text[i:j])
            tokens.append(Token(OP, "^", i, j))
            if digits.startswith("-"):
                tokens.append(Token(OP, "-", i, j))
                digits = digits[1:]
            if not digits:
                raise AnswerError("a superscript minus needs a number after it", text, (i, j))
            tokens.append(Token(NUM, digits, i, j))
            i = j
        elif ch in UNICODE_GREEK:
            tokens.append(Token(NAME, UNICODE_GREEK[ch], i, i + 1))
            i = _subscript(text, i + 1, tokens)
        elif ch == _ONES_CHAR:
            i = _ones(text, i, i + 1, tokens)
        elif ch in _SINGLE:
            kind, value = _SINGLE[ch]
            tokens.append(Token(kind, value, i, i + 1))
            i += 1
        else:
            raise AnswerError(f"unexpected character {_describe(ch)}", text, (i, i + 1))
    tokens.append(Token(EOF, "", n, n))
    return tokens


# -- text mangled by YAML's double quotes ----------------------------------------------------------

def check_escapes(text: str) -> None:
    """Refuse text that YAML's double quotes have visibly mangled: a control character (``\\f``
    of ``\\frac`` is a form feed), or a tab, newline or carriage return standing where a backslash
    was (``"\\tanh"`` is a tab and ``anh``)."""
    control = _CONTROL.search(text)
    if control:
        at = control.start()
        raise AnswerError(f"the answer contains {_control(text, at)}: {ESCAPE_HINT}",
                          text, (at, at + 1))
    if "\t" not in text and "\n" not in text and "\r" not in text and "\u00a0" not in text:
        return
    for at, ch in enumerate(text):
        if (ch in "\t\r\n" and _lost_command(text, at, strict=True)) or _lost_underscore(text, at):
            raise AnswerError(f"the answer contains {_control(text, at)}: {ESCAPE_HINT}",
                              text, (at, at + 1))


def _lost_underscore(text: str, at: int) -> bool:
    """A no-break space between a letter and a subscript: YAML's reading of ``x\\_1``."""
    return (text[at] == "\u00a0" and 0 < at < len(text) - 1 and text[at - 1].isalpha()
            and (text[at + 1].isalnum() or text[at + 1] == "{"))


def looks_mangled(text: str) -> bool:
    """Whether a tab, newline, carriage return or no-break space stands where a LaTeX command's
    backslash and first letter were: the hint is then added to a parse error."""
    for at, ch in enumerate(text):
        if ch in "\t\r\n" and _lost_command(text, at, strict=False):
            return True
        if ch == "\u00a0" and 0 < at < len(text) - 1 and not text[at - 1].isspace() \
                and not text[at + 1].isspace():
            return True
    return False


def _lost_command(text: str, at: int, strict: bool) -> str | None:
    """The LaTeX command that the character at ``at`` and the letters after it once spelt."""
    letter = _ESCAPES.get(text[at])
    match = _WORD_LETTERS.match(text, at + 1)
    if letter is None or not letter.isalpha():
        return None
    rest = match.group() if match else ""
    # A newline before a line that starts with a letter is normal in a multi-line answer; only a
    # longer word that completes a command (`abla` after \n) is taken as certain.
    if strict and text[at] == "\n" and len(rest) < 2:
        return None
    for cut in range(len(rest), -1, -1):
        if letter + rest[:cut] in KNOWN_COMMANDS:
            return letter + rest[:cut]
    return None


def _control(text: str, at: int) -> str:
    """``a form feed (U+000C), which is what YAML makes of `\\f` in double quotes (as in `\\frac`)``."""
    ch = text[at]
    name = _CONTROL_NAMES.get(ch) or unicodedata.name(ch, "") or "a control character"
    what = f"the character U+{ord(ch):04X} ({name})"
    letter = _ESCAPES.get(ch)
    if letter is None:
        return what
    command = _lost_command(text, at, strict=False)
    example = f" (as in `\\{command}`)" if command else ""
    return f"{what}, which is how YAML reads `\\{letter}` in double quotes{example}"


_WORD_LETTERS = re.compile(r"[A-Za-z]+")
_FULL_STOP = re.compile(r"\s*(?:$|\\\\|\\end\b|\$)")


def _describe(ch: str) -> str:
    if ch.isprintable() and ch.isascii():
        return f"`{ch}`"
    name = unicodedata.name(ch, "unknown")
    shown = ch if ch.isprintable() else ""
    return f"`{shown}` (U+{ord(ch):04X} {name})" if shown else f"U+{ord(ch):04X} ({name})"


def _continues_word(text: str, i: int) -> bool:
    return i < len(text) and (text[i].isalnum() or text[i] == "_")


def _word(text: str, i: int, tokens: list[Token]) -> int:
    match = _WORD.match(text, i)
    assert match is not None
    tokens.append(Token(NAME, match.group(), i, match.end()))
    return _subscript(text, match.end(), tokens)


def _subscript(text: str, i: int, tokens: list[Token]) -> int:
    """Fold ``_i``, ``_{ij}``, ``_{\\omega}`` and ``_12`` into the preceding name: ``x_{i}`` is ``x_i``."""
    while i < len(text) and text[i] == "_":
        start = tokens[-1].start
        j = i + 1
        if j < len(text) and text[j] == "{":
            close = text.find("}", j)
            inner = text[j + 1 : close].strip() if close > 0 else ""
            sub = _subscript_word(inner)
            if close < 0 or sub is None:
                raise AnswerError("a subscript must be letters or digits, like x_i or x_{ij}",
                                  text, (i, close + 1 if close > 0 else len(text)))
            end = close + 1
        else:
            match = _SUB_WORD.match(text, j) or _COMMAND.match(text, j)
            sub = _subscript_word(match.group()) if match else None
            if match is None or sub is None:
                raise AnswerError("a subscript must be letters or digits, like x_i", text, (i, i + 1))
            end = match.end()
        last = tokens.pop()
        tokens.append(Token(NAME, f"{last.value}_{sub}", start, end, last.decor, last.latex))
        i = end
    return i


def _subscript_word(inner: str) -> str | None:
    if _SUB_WORD.fullmatch(inner):
        return inner
    if inner.startswith("\\") and inner[1:] in GREEK:
        return _GREEK_VARIANTS.get(inner[1:], inner[1:])
    return None


def _braced(text: str, j: int) -> int:
    """The index just past the brace that closes the ``{`` at ``j`` (``-1`` when none does)."""
    depth = 0
    for k in range(j, len(text)):
        if text[k] == "{" and text[k - 1] != "\\":
            depth += 1
        elif text[k] == "}" and text[k - 1] != "\\":
            depth -= 1
            if depth == 0:
                return k + 1
    return -1


def _ones(text: str, start: int, end: int, tokens: list[Token]) -> int:
    """A ones vector or indicator mark ending at ``end``, with its subscript: ``1_n`` and
    ``\\mathbb{1}_{n}`` carry a size; ``\\mathbb{1}_{x > 0}`` is followed by its condition."""
    if not text.startswith("_", end):
        tokens.append(Token(ONES, "", start, end))
        return end
    j = end + 1
    if text.startswith("{", j):
        close = _braced(text, j)
        inner = text[j + 1:close - 1].strip() if close > 0 else ""
        if close > 0 and _SUB_WORD.fullmatch(inner):
            tokens.append(Token(ONES, inner, start, close))
            return close
        tokens.append(Token(ONES, "_", start, j))
        return j  # the braced condition is read as ordinary tokens
    match = _SUB_WORD.match(text, j)
    if match is None:
        raise AnswerError("write 1_n for a vector of ones or 1[x > 0] for an indicator",
                          text, (end, end + 1))
    tokens.append(Token(ONES, match.group(), start, match.end()))
    return match.end()


_NORM_SUB = re.compile(r"(?:\{\s*(?:\\(?:mathrm|text|rm|mathsf|operatorname)\s*)?\{?\s*"
                       r"([A-Za-z0-9]+)\s*\}?\s*\}|([A-Za-z0-9]))")


def _norm_subscript(text: str, i: int, tokens: list[Token]) -> int:
    """``_2``, ``_F``, ``_{2}``, ``_{\\mathrm{F}}`` after a norm's closing bars."""
    match = _NORM_SUB.match(text, i + 1)
    word = (match.group(1) or match.group(2)) if match else ""
    kind = {"1": "1", "2": "2", "F": "F", "f": "F", "fro": "F", "Fro": "F"}.get(word)
    if match is None or kind is None:
        raise AnswerError("a norm's subscript is 2 (or 1) for a vector, F for a matrix",
                          text, (i, match.end() if match else i + 1))
    tokens.append(Token(NORMSUB, kind, i, match.end()))
    return match.end()


_ENVIRONMENT = re.compile(r"\s*\{\s*([A-Za-z*]+)\s*\}")


def _command(text: str, i: int, tokens: list[Token]) -> int:
    match = _COMMAND.match(text, i)
    if match is None:
        raise AnswerError("a lone backslash", text, (i, i + 1))
    name, end = match.group(1), match.end()
    if name in LATEX_SKIP:
        # \left. and \right. are invisible delimiters.
        if name in ("left", "right") and text.startswith(".", end):
            end += 1
        return end
    if name in ("(", ")", "[", "]") and (i == 0 or end == len(text.rstrip())):
        return end  # \( ... \) and \[ ... \] only wrap the math
    if name == "{":
        tokens.append(Token(LP, "\\{", i, end))
    elif name == "}":
        tokens.append(Token(RP, "\\}", i, end))
    elif name in ("|", "Vert", "lVert", "rVert"):
        tokens.append(Token(DBAR, "||", i, end))
    elif name in ("vert", "lvert", "rvert", "mid"):
        tokens.append(Token(BAR, "|", i, end))
    elif name == "langle":
        tokens.append(Token(LP, "⟨", i, end))
    elif name == "rangle":
        tokens.append(Token(RP, "⟩", i, end))
    elif name in ("frac", "dfrac", "tfrac", "cfrac"):
        tokens.append(Token(FRAC, name, i, end))
    elif name == "sqrt":
        tokens.append(Token(SQRT, name, i, end))
    elif name in ("top", "intercal", "mathsf_T"):
        tokens.append(Token(TRANSPOSE, "⊤", i, end))
    elif name == "prime":
        tokens.append(Token(TRANSPOSE, "′", i, end))
    elif name in ("begin", "end"):
        return _environment(text, i, end, name, tokens)
    elif name in ("\\", "cr"):
        tokens.append(Token(ROWSEP, "\\\\", i, end))
    elif name == "&":
        raise AnswerError("`\\&` is an ampersand in text; a case is written `value & condition`",
                          text, (i, end))
    elif name in ("land", "wedge"):
        tokens.append(Token(NAME, "and", i, end, latex=True))
    elif name in LATEX_OPS:
        if LATEX_OPS[name] is None:
            raise AnswerError(f"\\{name} is not supported", text, (i, end))
        tokens.append(Token(OP, LATEX_OPS[name], i, end))
    elif name in LATEX_CMP:
        tokens.append(Token(CMP, LATEX_CMP[name], i, end))
    elif name == "in":
        tokens.append(Token(IN, "in", i, end))
    elif name == "cup":
        tokens.append(Token(UNION, "U", i, end))
    elif name in ("infty", "infin"):
        tokens.append(Token(NAME, "inf", i, end))
    elif name in GREEK:
        tokens.append(Token(NAME, _GREEK_VARIANTS.get(name, name), i, end, latex=True))
        return _subscript(text, end, tokens)
    elif name in LATEX_FUNCTIONS:
        tokens.append(Token(NAME, name, i, end, latex=True))
    elif name in DECORATIONS or name in ONES_DECORATIONS:
        return _decoration(text, i, end, name, tokens)
    elif name in UNSUPPORTED_HINTS:
        raise AnswerError(f"\\{name} is not supported: {UNSUPPORTED_HINTS[name]}", text, (i, end))
    else:
        raise AnswerError(f"unknown LaTeX command \\{name}", text, (i, end))
    return end


def _environment(text: str, i: int, end: int, command: str, tokens: list[Token]) -> int:
    """``\\begin{cases}`` and ``\\end{cases}``; no other environment is part of an answer."""
    match = _ENVIRONMENT.match(text, end)
    name = match.group(1) if match else ""
    if name not in ("cases", "dcases", "cases*"):
        shown = f"\\{command}{{{name}}}" if name else f"\\{command}"
        raise AnswerError(f"{shown} is not supported: the only environment an answer may use is "
                          "cases (\\begin{cases} ... \\end{cases})",
                          text, (i, match.end() if match else end))
    assert match is not None
    tokens.append(Token(CASES if command == "begin" else ENDCASES, name, i, match.end()))
    return match.end()


_DECORATED = re.compile(r"\s*\{\s*(\\?[A-Za-z]+(?:_[A-Za-z0-9]+)?)\s*\}|\s+([A-Za-z])(?![A-Za-z])")
_DECORATED_ONE = re.compile(r"\s*(?:\{\s*1\s*\}|1(?![0-9.]))")
_TEXT_WORDS = re.compile(r"\s*\{([^{}\\]*)\}")


def _decoration(text: str, i: int, end: int, name: str, tokens: list[Token]) -> int:
    """``\\bar{x}`` is the name x, marked; ``\\operatorname{diag}`` is the name diag;
    ``\\mathbf{1}`` is a ones vector; ``\\text{if }`` a word of a case.

    A decoration around something other than one name (``\\mathbf{W x}``) becomes a DECOR token
    and the parser reads its argument as a group.
    """
    if name in ONES_DECORATIONS:
        one = _DECORATED_ONE.match(text, end)
        if one:
            return _ones(text, i, one.end(), tokens)
        if name not in DECORATIONS:
            raise AnswerError(f"\\{name} is only read around 1: \\{name}{{1}} is a vector of ones",
                              text, (i, end))
    if name in TEXT_DECORATIONS:
        words = _TEXT_WORDS.match(text, end)
        if words:
            word = " ".join(words.group(1).split()).lower().rstrip(",;:")
            word = word if word in CASE_WORDS else word.rstrip(".")
            if word in CASE_WORDS:
                tokens.append(Token(TEXT, CASE_WORDS[word], i, words.end()))
                return words.end()
    match = _DECORATED.match(text, end)
    if match:
        word = match.group(1) or match.group(2)
        if word.startswith("\\"):
            bare = word[1:]
            if bare not in GREEK:
                match = None
            else:
                word = _GREEK_VARIANTS.get(bare, bare)
        if match:
            latex = word in LATEX_FUNCTIONS or DECORATIONS[name] == ""
            tokens.append(Token(NAME, word, i, match.end(), DECORATIONS[name], latex))
            return _subscript(text, match.end(), tokens)
    tokens.append(Token(DECOR, name, i, end))
    return end


#: Every command the lexer reads, and common ones it refuses: what a mangled escape is matched
#: against (``abla`` after a newline was ``\\nabla``).
KNOWN_COMMANDS = frozenset({
    *GREEK, *LATEX_FUNCTIONS, *LATEX_SKIP, *LATEX_OPS, *LATEX_CMP, *DECORATIONS, *ONES_DECORATIONS,
    *UNSUPPORTED_HINTS, "frac", "dfrac", "tfrac", "cfrac", "sqrt", "top", "intercal", "prime",
    "begin", "end", "langle", "rangle", "land", "wedge", "infty", "infin", "in", "cup", "vert",
    "lvert", "rvert", "Vert", "lVert", "rVert", "nabla", "neg", "not", "ni", "approx", "to",
    "rightarrow", "Rightarrow", "text", "mathbb", "varepsilon", "theta", "tau", "epsilon", "eta",
    "alpha", "beta", "rho", "nu", "Lambda", "Pi", "Phi", "Psi", "Leftarrow", "leftarrow",
    "lfloor", "rfloor", "lceil", "rceil", "nexists", "sim", "equiv", "propto", "forall",
    "exists", "ell", "hbar", "cdots", "vdots", "ddots", "over", "choose", "binom",
})
