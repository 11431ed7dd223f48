"""Text → tokens, for plain math and LaTeX alike.

One tokenizer reads both notations, so a student never says which one they used: backslash
commands are LaTeX, everything else is plain text, and braces group in both. Anything the tables
below do not name is rejected with a caret under it; the tables are the whitelist.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from .errors import AnswerError

MAX_LENGTH = 2000

# Token kinds.
NUM, NAME, OP, LP, RP, COMMA, TRANSPOSE, BAR, DBAR = "num", "name", "op", "(", ")", ",", "T", "|", "||"
FRAC, SQRT, DECOR, CMP, IN, UNION, EQ, EOF = "frac", "sqrt", "decor", "cmp", "in", "union", "=", "eof"


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

LATEX_FUNCTIONS = {
    "exp", "ln", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "max", "min", "det", "tr",
    "arctan", "arcsin", "arccos", "sec", "csc", "cot", "coth",
}
LATEX_SKIP = {
    ",", ";", ":", "!", " ", "quad", "qquad", "left", "right", "big", "Big", "bigg", "Bigg",
    "bigl", "bigr", "Bigl", "Bigr", "biggl", "biggr", "Biggl", "Biggr", "displaystyle",
    "textstyle", "limits", "nolimits", "middle", "enspace", "thinspace", "medspace",
    "thickspace", "negthinspace",
}
LATEX_OPS = {"cdot": "dot", "times": "*", "ast": "*", "div": "/", "odot": "hadamard",
             "circ": "hadamard", "otimes": None}
LATEX_CMP = {"le": "<=", "leq": "<=", "leqslant": "<=", "ge": ">=", "geq": ">=",
             "geqslant": ">=", "lt": "<", "gt": ">"}
# Commands whose argument only marks a symbol as a vector or matrix (or sets its font).
DECORATIONS = {
    "bar": "bar", "overline": "bar", "vec": "vec", "overrightarrow": "vec", "hat": "hat",
    "widehat": "hat", "tilde": "tilde", "widetilde": "tilde", "mathbf": "", "boldsymbol": "",
    "bm": "", "mathbold": "", "pmb": "", "vb": "", "underline": "", "underbar": "",
    "mathit": "", "mathrm": "", "mathsf": "", "text": "", "textrm": "", "textit": "",
    "textbf": "", "operatorname": "", "mathnormal": "", "mathcal": "", "dot": "dot",
}
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
    "ᵀ": (TRANSPOSE, "ᵀ"), "⊤": (TRANSPOSE, "⊤"), "√": (SQRT, "√"), "∞": (NAME, "inf"),
    "≤": (CMP, "<="), "≥": (CMP, ">="), "⩽": (CMP, "<="), "⩾": (CMP, ">="), "∈": (IN, "in"),
    "∪": (UNION, "U"), "‖": (DBAR, "‖"), "=": (EQ, "="), "ℯ": (NAME, "e"),
}
_SKIP = {" ", "\t", "\n", "\r", "~", "$", "\u00a0", "\u2009", "\u200b", "\u202f"}


def tokenize(text: str) -> list[Token]:
    """Split an answer into tokens; raise AnswerError with a caret at the first bad character."""
    if len(text) > MAX_LENGTH:
        raise AnswerError(f"answer is too long ({len(text)} characters; at most {MAX_LENGTH})")
    tokens: list[Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch in _SKIP:
            i += 1
        elif ch.isascii() and (ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit())):
            match = _NUMBER.match(text, i)
            assert match is not None
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
        elif ch in _SINGLE:
            kind, value = _SINGLE[ch]
            tokens.append(Token(kind, value, i, i + 1))
            i += 1
        else:
            raise AnswerError(f"unexpected character {_describe(ch)}", text, (i, i + 1))
    tokens.append(Token(EOF, "", n, n))
    return tokens


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
    elif name in ("frac", "dfrac", "tfrac", "cfrac"):
        tokens.append(Token(FRAC, name, i, end))
    elif name == "sqrt":
        tokens.append(Token(SQRT, name, i, end))
    elif name in ("top", "intercal", "mathsf_T"):
        tokens.append(Token(TRANSPOSE, "⊤", i, end))
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
    elif name in DECORATIONS:
        return _decoration(text, i, end, name, tokens)
    elif name in UNSUPPORTED_HINTS:
        raise AnswerError(f"\\{name} is not supported: {UNSUPPORTED_HINTS[name]}", text, (i, end))
    else:
        raise AnswerError(f"unknown LaTeX command \\{name}", text, (i, end))
    return end


_DECORATED = re.compile(r"\s*\{\s*(\\?[A-Za-z]+(?:_[A-Za-z0-9]+)?)\s*\}|\s+([A-Za-z])(?![A-Za-z])")


def _decoration(text: str, i: int, end: int, name: str, tokens: list[Token]) -> int:
    """``\\bar{x}`` is the name x, marked; ``\\operatorname{diag}`` is the name diag.

    A decoration around something other than one name (``\\mathbf{W x}``) becomes a DECOR token
    and the parser reads its argument as a group.
    """
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
