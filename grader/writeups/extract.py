"""Markdown and LaTeX write-ups → math blocks in document order, with their line numbers, and the
template markers an instructor's handout can carry.

Display math is ``$$ … $$``, ``\\[ … \\]`` and the environments of ``DISPLAY_ENVIRONMENTS``; inline
math (``$ … $``, ``\\( … \\)``) in the prose between them is kept too, marked as inline. Comments
(``%`` in LaTeX, ``<!-- -->`` in Markdown), code and verbatim text are blanked out, keeping every
offset, so that a line number is always the line of the original file.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass, field

#: Write-ups are read up to this many characters; the rest is ignored (and a note says so).
MAX_CHARS = 1_000_000
#: At most this many math blocks are read; the rest is ignored (and a note says so).
MAX_BLOCKS = 20_000

DISPLAY_ENVIRONMENTS = frozenset({
    "equation", "equation*", "align", "align*", "aligned", "gather", "gather*", "multline",
    "multline*", "flalign", "flalign*", "eqnarray", "eqnarray*", "displaymath", "alignat",
    "alignat*", "split", "gathered", "dmath", "dmath*", "IEEEeqnarray", "IEEEeqnarray*",
})
INLINE_ENVIRONMENTS = frozenset({"math"})
VERBATIM_ENVIRONMENTS = frozenset({"verbatim", "verbatim*", "lstlisting", "minted", "Verbatim",
                                   "comment", "filecontents"})

_OPENER = re.compile(r"\\\\|\\\$|\$\$|\$|\\\[|\\\(|\\begin\s*\{\s*([A-Za-z]+\*?)\s*\}")
_ID = r"[A-Za-z0-9_.]+"
_HTML_MARKER = re.compile(r"<!--\s*(" + _ID + r")\s*-->")
_TEX_MARKER = re.compile(r"^[ \t]*%+[ \t]*(" + _ID + r")[ \t]*$", re.M)
_ANSWER_BEGIN = re.compile(r"\\begin\s*\{\s*answer\s*\}\s*(?:\{\s*(" + _ID + r")\s*\}|\[\s*(" + _ID + r")\s*\])")
_ANSWER_END = re.compile(r"\\end\s*\{\s*answer\s*\}")
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_FENCE = re.compile(r"^[ \t]{0,3}(```+|~~~+).*?(?:^[ \t]{0,3}\1[ \t]*$|\Z)", re.S | re.M)
_CODE_SPAN = re.compile(r"(`+)(?!`).+?(?<!`)\1(?!`)", re.S)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")


@dataclass(frozen=True)
class MathBlock:
    """One piece of math: its text (delimiters removed) and where it is."""

    text: str
    #: Offset of ``text`` in the document (so a row's line is found from its own offset).
    offset: int
    #: Offset just past the closing delimiter.
    end: int
    display: bool
    #: ``$$``, ``\\[``, ``$``, ``\\(`` or the environment's name.
    delimiter: str


@dataclass(frozen=True)
class Marker:
    """A template marker for one question: where its part starts (and ends, for an answer
    environment)."""

    question: str
    start: int
    end: int | None
    written: str


@dataclass(frozen=True)
class Document:
    """A write-up, read: the visible text (same length and lines as the file, with comments,
    code and verbatim text blanked) and its math blocks in document order."""

    kind: str
    text: str
    blocks: tuple[MathBlock, ...]
    markers: dict[str, Marker] = field(default_factory=dict)
    #: ``text`` with every math block blanked too (same offsets): where headings are.
    prose_text: str = ""
    notes: tuple[str, ...] = ()
    _lines: tuple[int, ...] = field(default=(), repr=False)

    def line_of(self, offset: int) -> int:
        """The 1-based line of an offset."""
        return bisect.bisect_right(self._lines, offset - 1) + 1 if self._lines else \
            self.text.count("\n", 0, max(0, offset)) + 1

    def prose(self, start: int, end: int) -> str:
        """The visible text between two offsets with every math block removed."""
        pieces, at = [], start
        for block in self.blocks:
            begin = block_start(self.text, block)
            if block.end <= start or begin >= end:
                continue
            pieces.append(self.text[at:max(at, begin)])
            at = max(at, block.end)
        pieces.append(self.text[at:end])
        return "".join(pieces)


def block_start(text: str, block: MathBlock) -> int:
    """The offset of the block's opening delimiter (before ``offset``)."""
    width = {"$$": 2, "\\[": 2, "$": 1, "\\(": 2}.get(block.delimiter)
    if width is not None:
        return block.offset - width
    return text.rfind("\\begin", 0, block.offset + 1)


def extract(text: str, kind: str, question_ids: set[str] | frozenset[str] = frozenset()) -> Document:
    """The math blocks and markers of a Markdown (``kind="md"``) or LaTeX (``"tex"``) write-up."""
    notes: list[str] = []
    if len(text) > MAX_CHARS:
        notes.append(f"the write-up is longer than {MAX_CHARS:,} characters; only the first "
                     f"{MAX_CHARS:,} were read")
        text = text[:MAX_CHARS]
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    markers: dict[str, Marker] = {}
    if kind == "tex":
        visible = _visible_tex(text, question_ids, markers)
    else:
        visible = _visible_md(text, question_ids, markers)
    blocks = _blocks(visible, kind, notes)
    lines = tuple(m.start() for m in re.finditer("\n", visible))
    pieces, at = [], 0
    for block in blocks:
        begin = max(at, block_start(visible, block))
        pieces += [visible[at:begin], re.sub(r"[^\n]", " ", visible[begin:block.end])]
        at = max(at, block.end)
    pieces.append(visible[at:])
    return Document(kind, visible, tuple(blocks), markers, "".join(pieces), tuple(notes), lines)


def _blank(text: str, start: int, end: int) -> str:
    """The text with [start, end) replaced by spaces, newlines kept."""
    return text[:start] + re.sub(r"[^\n]", " ", text[start:end]) + text[end:]


def _blank_matches(text: str, pattern: re.Pattern) -> str:
    pieces, at = [], 0
    for match in pattern.finditer(text):
        pieces.append(text[at:match.start()])
        pieces.append(re.sub(r"[^\n]", " ", match.group()))
        at = match.end()
    pieces.append(text[at:])
    return "".join(pieces)


def _visible_md(text: str, ids, markers: dict[str, Marker]) -> str:
    for match in _HTML_MARKER.finditer(text):
        if match.group(1) in ids and match.group(1) not in markers:
            markers[match.group(1)] = Marker(match.group(1), match.end(), None, match.group())
    text = _blank_matches(text, _HTML_COMMENT)
    text = _blank_matches(text, _FENCE)
    # Code spans only where they cannot be math: `$` inside backticks is code.
    return _blank_matches(text, _CODE_SPAN)


def _visible_tex(text: str, ids, markers: dict[str, Marker]) -> str:
    for match in _TEX_MARKER.finditer(text):
        if match.group(1) in ids and match.group(1) not in markers:
            markers[match.group(1)] = Marker(match.group(1), match.end(), None, match.group().strip())
    text = _strip_comments(text)
    begin = re.search(r"\\begin\s*\{\s*document\s*\}", text)
    if begin:
        text = _blank(text, 0, begin.end())
    end = re.search(r"\\end\s*\{\s*document\s*\}", text)
    if end:
        text = _blank(text, end.start(), len(text))
    for name in VERBATIM_ENVIRONMENTS:
        pattern = re.compile(r"\\begin\s*\{" + re.escape(name) + r"\}.*?(?:\\end\s*\{"
                             + re.escape(name) + r"\}|\Z)", re.S)
        if name.rstrip("*") in text:
            text = _blank_matches(text, pattern)
    for match in _ANSWER_BEGIN.finditer(text):
        question = match.group(1) or match.group(2)
        if question in ids and question not in markers:
            close = _ANSWER_END.search(text, match.end())
            markers[question] = Marker(question, match.end(), close.start() if close else None,
                                       match.group())
    return text


def _strip_comments(text: str) -> str:
    """LaTeX comments (``%`` to the end of the line, not ``\\%``) blanked."""
    out = []
    for line in text.split("\n"):
        at = _comment_start(line)
        out.append(line if at < 0 else line[:at] + " " * (len(line) - at))
    return "\n".join(out)


def _comment_start(line: str) -> int:
    i = line.find("%")
    while i >= 0:
        backslashes = len(line[:i]) - len(line[:i].rstrip("\\"))
        if backslashes % 2 == 0:
            return i
        i = line.find("%", i + 1)
    return -1


def _blocks(text: str, kind: str, notes: list[str]) -> list[MathBlock]:
    blocks: list[MathBlock] = []
    i, n = 0, len(text)
    # Where a closing delimiter was looked for and not found: no later opener of the same kind
    # can be closed either, so the text is never searched again (linear time on hostile input).
    unclosed: dict[str, int] = {}
    blank = _Paragraphs(text)
    while i < n:
        match = _OPENER.search(text, i)
        if match is None:
            break
        token = match.group()
        if token in ("\\\\", "\\$"):
            i = match.end()
            continue
        if len(blocks) >= MAX_BLOCKS:
            notes.append(f"the write-up has more than {MAX_BLOCKS:,} pieces of math; only the "
                         f"first {MAX_BLOCKS:,} were read")
            break
        start = match.end()
        if token == "$":
            # Inline math never crosses a blank line: a lone dollar sign is prose.
            close = _inline_close(text, start, blank.end_after(start), kind)
            display, delimiter, width = False, "$", 1
        else:
            name = match.group(1)
            if name is not None and name not in DISPLAY_ENVIRONMENTS and name not in INLINE_ENVIRONMENTS:
                i = match.end()
                continue
            closer = _CLOSERS.get(token) or f"\\end{{{name}}}"
            display = token in ("$$", "\\[") or (name is not None and name not in INLINE_ENVIRONMENTS)
            delimiter = name or token
            close, width = -1, 0
            if unclosed.get(closer, n + 1) > start:
                close, width = _close(text, token, name, start)
                if close < 0:
                    unclosed[closer] = min(unclosed.get(closer, n + 1), start)
                    if display:
                        notes.append(f"line {text.count(chr(10), 0, match.start()) + 1}: `{token}` is "
                                     "never closed; the math after it was not read")
        if close < 0:
            i = match.end()
            continue
        body = text[start:close]
        if kind == "md":
            # Markdown escapes that some editors add inside math: \_ for _, \* for *.
            body = re.sub(r"\\([_*])", r" \1", body)
        blocks.append(MathBlock(body, start, close + width, display, delimiter))
        i = close + width
    return blocks


_CLOSERS = {"$$": "$$", "\\[": "\\]", "\\(": "\\)"}


def _close(text: str, token: str, name: str | None, start: int) -> tuple[int, int]:
    """Where the math opened by ``token`` (or ``\\begin{name}``) at ``start`` closes, and the
    closing delimiter's width; (-1, 0) when it never does."""
    if token == "$$":
        return _find_unescaped(text, "$$", start), 2
    if name is None:
        return text.find(_CLOSERS[token], start), 2
    end = re.compile(r"\\end\s*\{\s*" + re.escape(name) + r"\s*\}").search(text, start)
    return (end.start(), end.end() - end.start()) if end else (-1, 0)


class _Paragraphs:
    """The end of the paragraph around an offset (the next blank line), found once per paragraph."""

    def __init__(self, text: str):
        self.text = text
        self.start, self.end = -1, -1

    def end_after(self, at: int) -> int:
        if not self.start <= at < self.end:
            found = _BLANK_LINE.search(self.text, at)
            self.start, self.end = at, found.start() if found else len(self.text)
        return self.end


def _inline_close(text: str, start: int, limit: int, kind: str) -> int:
    """The closing ``$`` of inline math opened just before ``start``, before ``limit``; -1 when
    there is none. In Markdown, Pandoc's rule tells math from money: the opening ``$`` is
    followed by a non-space, the closing one follows a non-space and is not followed by a digit."""
    if kind == "md" and (start >= limit or text[start].isspace()):
        return -1
    close = _find_unescaped(text, "$", start, limit)
    tries = 0
    while kind == "md" and close >= 0 and (text[close - 1].isspace() or text[close + 1:close + 2].isdigit()):
        tries += 1
        close = _find_unescaped(text, "$", close + 1, limit) if tries < 8 else -1
    return close


def _find_unescaped(text: str, token: str, start: int, limit: int | None = None) -> int:
    limit = len(text) if limit is None else limit
    i = text.find(token, start, limit)
    while i > 0 and text[i - 1] == "\\" and text[i - 2:i] != "\\\\":
        i = text.find(token, i + 1, limit)
    return i


__all__ = ["DISPLAY_ENVIRONMENTS", "MAX_BLOCKS", "MAX_CHARS", "Document", "MathBlock", "Marker",
           "extract"]
