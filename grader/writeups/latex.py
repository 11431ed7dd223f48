"""Small LaTeX text tools for write-ups: brace matching and the removal of annotations that carry
no value (``\\underbrace{X}_{v}`` keeps X, ``\\boxed{X}`` keeps X and is remembered, ``\\tag{3}``
goes). This is text surgery on trusted structure only: nothing here evaluates anything.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Annotations are unwrapped at most this deep (``\\boxed{\\cancel{\\underbrace{...}}}``); deeper
#: nests are left as they are and the term does not read.
MAX_NESTING = 20

COMMAND = re.compile(r"\\([A-Za-z]+\*?|.)", re.S)
#: Commands whose one argument is kept: crossing out, underlining, emphasis.
KEEP_ARGUMENT = {"cancel", "bcancel", "xcancel", "sout", "underline", "uline", "emph",
                 "textcolor", "mathcolor", "colorbox", "fcolorbox", "cancelto", "color"}
BOXES = {"boxed", "fbox", "framebox", "bbox", "Boxed"}
BRACES = {"underbrace": "_", "overbrace": "^", "underbracket": "_", "overbracket": "^"}
LABELLED = {"overset", "underset", "stackrel"}
#: Commands dropped with their argument (equation numbers, labels, invisible boxes).
DROP_WITH_ARGUMENT = {"tag", "tag*", "label", "phantom", "vphantom", "hphantom", "eqref", "ref",
                      "hspace", "hspace*", "vspace", "vspace*"}
DROP = {"nonumber", "notag", "hline", "displaystyle", "textstyle", "scriptstyle", "limits",
        "nolimits", "hfill", "noindent", "centering", "small", "large", "Large", "footnotesize",
        "normalsize", "bigstrut", "strut", "allowbreak", "newline"}
#: Labels over an equals sign that make it a definition rather than a claim.
_DEFINITION_LABEL = re.compile(r"^\s*(?:\\(?:text|mathrm|textrm|rm|mbox)\s*\{\s*)?(?:def|defn|\\triangle|:)\s*\}?\s*$")


def braced(text: str, start: int) -> int:
    """The index just past the ``}`` closing the ``{`` at ``start``; -1 if it is never closed."""
    depth = 0
    i, n = start, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                return i + 1
        i += 1
    return -1


def skip_space(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def argument(text: str, i: int) -> tuple[str, int] | None:
    """The argument starting at ``i`` (after spaces): a braced group's content, a command or one
    character; with the index after it. None at the end of the text or an unclosed brace."""
    i = skip_space(text, i)
    if i >= len(text):
        return None
    if text[i] == "{":
        end = braced(text, i)
        return None if end < 0 else (text[i + 1:end - 1], end)
    if text[i] == "\\":
        match = COMMAND.match(text, i)
        assert match is not None
        return match.group(), match.end()
    return text[i], i + 1


def optional(text: str, i: int) -> int:
    """Skip an optional ``[...]`` argument at ``i``."""
    j = skip_space(text, i)
    if j < len(text) and text[j] == "[":
        close = text.find("]", j)
        return close + 1 if close > 0 else i
    return i


@dataclass
class Unwrapped:
    """A term's text without annotations, and what the annotations said."""

    text: str
    #: Contents of ``\\boxed{...}``, unwrapped, with their position in ``text``.
    boxed: list[tuple[str, int]] = field(default_factory=list)
    #: (label, what it labels): ``\\underbrace{X}_{v}`` gives (``v``, ``X``); ``n \\times 1`` labels
    #: are shapes, single names are definitions.
    labels: list[tuple[str, str]] = field(default_factory=list)


def unwrap(text: str, depth: int = 0) -> Unwrapped:
    """``text`` with annotations that carry no value removed (their content kept)."""
    out: list[str] = []
    size = 0
    result = Unwrapped("")

    def put(piece: str) -> None:
        nonlocal size
        out.append(piece)
        size += len(piece)

    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch != "\\":
            put(ch)
            i += 1
            continue
        match = COMMAND.match(text, i)
        assert match is not None
        name, end = match.group(1), match.end()
        if depth >= MAX_NESTING or not (name in KEEP_ARGUMENT or name in BOXES or name in BRACES
                                        or name in LABELLED or name in DROP_WITH_ARGUMENT
                                        or name in DROP or name == "operatorname*"):
            put(match.group())
            i = end
            continue
        if name in DROP:
            i = end
            continue
        if name == "operatorname*":
            put("\\operatorname")
            i = end
            continue
        if name in DROP_WITH_ARGUMENT:
            arg = argument(text, end)
            i = arg[1] if arg else end
            continue
        if name == "color":
            # \color{red} switches colour for what follows; \color{red}{X} is the same thing.
            arg = argument(text, end)
            i = arg[1] if arg else end
            continue
        if name in ("textcolor", "mathcolor", "colorbox"):
            end = optional(text, end)
            colour = argument(text, end)
            end = colour[1] if colour else end
        elif name == "fcolorbox":
            for _ in range(2):
                colour = argument(text, end)
                end = colour[1] if colour else end
        elif name == "cancelto":
            target = argument(text, end)
            end = target[1] if target else end
        elif name in ("bbox", "framebox"):
            end = optional(text, end)
        if name in LABELLED:
            label = argument(text, end)
            body = argument(text, label[1]) if label else None
            if label is None or body is None:
                put(match.group())
                i = end
                continue
            if body[0].strip() == "=":
                put(" := " if _DEFINITION_LABEL.match(label[0]) else " = ")
            else:
                inner = unwrap(body[0], depth + 1)
                _merge(result, inner, size)
                put(inner.text)
                result.labels.append((label[0], inner.text))
            i = body[1]
            continue
        arg = argument(text, end)
        if arg is None:
            put(match.group())
            i = end
            continue
        content, i = arg
        if name in ("fbox", "framebox", "colorbox", "fcolorbox", "textcolor"):
            content = content.strip().strip("$")
        inner = unwrap(content, depth + 1)
        position = size
        _merge(result, inner, position)
        if name in BOXES:
            result.boxed.append((inner.text, position))
        if name in BRACES:
            mark = BRACES[name]
            j = skip_space(text, i)
            if j < n and text[j] == mark:
                label = argument(text, j + 1)
                if label is not None:
                    result.labels.append((label[0], inner.text))
                    i = label[1]
        put(inner.text)
    result.text = "".join(out)
    return result


def _merge(result: Unwrapped, inner: Unwrapped, position: int) -> None:
    result.boxed.extend((text, position + at) for text, at in inner.boxed)
    result.labels.extend(inner.labels)


_MATH_WORDS = re.compile(r"\\(?:text|textrm|textit|textbf|mathrm|mbox|operatorname)\s*\{([^{}]*)\}")
_SPACING = re.compile(r"\\[,;:! ]|\\q?quad\b|~")


def plain(text: str) -> str:
    """LaTeX words as plain text: ``\\text{oscillates}`` → ``oscillates`` (for choices)."""
    text = _MATH_WORDS.sub(lambda m: m.group(1), text)
    return " ".join(_SPACING.sub(" ", text).replace("$", " ").split())


_PRETTY = [
    (re.compile(r"\\left\s*([(\[|.])|\\right\s*([)\]|.])"), lambda m: (m.group(1) or m.group(2)).strip(".")),
    (re.compile(r"\\left\\\{|\\right\\\}"), lambda m: "{" if "left" in m.group() else "}"),
    (re.compile(r"\\times\b"), lambda m: "×"),
    (re.compile(r"\\cdot\b"), lambda m: "·"),
    (re.compile(r"-"), lambda m: "−"),
    (re.compile(r"\\[,;:! ]|\\q?quad\b"), lambda m: " "),
    (re.compile(r"\\(alpha|beta|eta|sigma|lambda|mu|theta|omega)\b"),
     lambda m: "αβησλμθω"["alpha beta eta sigma lambda mu theta omega".split().index(m.group(1))]),
]


def pretty(text: str) -> str:
    """A term as the student wrote it, lightly tidied for a message: ``×`` for ``\\times``,
    ``−`` for a minus sign, brackets without ``\\left``/``\\right``, single spaces."""
    for pattern, replace in _PRETTY:
        text = pattern.sub(replace, text)
    text = " ".join(text.split())
    return text if len(text) <= 160 else text[:157] + "..."
