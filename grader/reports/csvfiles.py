"""CSV bytes as every report file spells them, spreadsheet-safe; reading them back; safe file
creation.

Spreadsheet safety follows OWASP's advice on CSV injection: a cell that starts with ``=``, ``+``,
``-``, ``@`` (or their full-width forms), a tab or a line break is written with a leading ``'``,
so ``=HYPERLINK(...)`` in a student's answer, exception message or file name is shown as text
rather than run; a cell that is a plain number (``-0.5``) is left alone. A cell that starts with
``'`` and would otherwise read back as escaped gets one more ``'``, so reading reverses writing
exactly (``from_spreadsheet_cell``): ``grader report`` regenerates byte-identical files, and the
answer ``-f_i f_j`` keeps its meaning. Control characters other than tab and line breaks are
shown as ``\\uXXXX`` (``clean_text``): that happens once, in the tidy table, so the text in
memory is the text read back.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd


def csv_bytes(header: Sequence[str], columns: Sequence[Sequence[str]]) -> bytes:
    """CSV of string columns, every cell spreadsheet-safe: quoted only when needed (like
    csv.QUOTE_MINIMAL), ``\n`` line ends.

    Hand-rolled because it beats csv.writer here: report columns repeat the same
    few values (question ids, statuses, scores, feedback), so each distinct value is quoted once.
    """
    return b"".join(csv_chunks(header, columns))


#: Rows per piece of ``csv_chunks``: big enough that joining is cheap, small enough that a file of
#: half a million rows is never held whole (as lines, as text and as bytes) while it is written.
CHUNK_ROWS = 20_000


def csv_chunks(header: Sequence[str], columns: Sequence[Sequence[str]]) -> Iterator[bytes]:
    """``csv_bytes`` in pieces of ``CHUNK_ROWS`` rows (the header in the first), for ``write_new``."""
    def quoted(values: Sequence[str]) -> Sequence[str]:
        cache = {v: q for v in set(values) if (q := _csv_field(v)) is not v}
        return [cache.get(v, v) for v in values] if cache else values

    cells = [quoted(c) for c in columns]
    rows = len(cells[0]) if cells else 0
    head = ",".join(_csv_field(h) for h in header) + "\n"
    if not rows:
        yield head.encode("utf-8")
        return
    for start in range(0, rows, CHUNK_ROWS):
        part = zip(*(c[start:start + CHUNK_ROWS] for c in cells))
        text = "\n".join(map(",".join, part)) + "\n"
        yield ((head if start == 0 else "") + text).encode("utf-8")


def _csv_field(v: str) -> str:
    v = spreadsheet_cell(v)
    if "," in v or '"' in v or "\n" in v or "\r" in v:
        return '"' + v.replace('"', '""') + '"'
    return v


def strs(values: Any) -> list[str]:
    return [str(v) for v in values]


# Full-width forms too: some spreadsheets (East Asian locales) accept them as formula starts.
_FORMULA_START = frozenset("=+-@\t\r\n\uff1d\uff0b\uff0d\uff20")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# C0 and C1 controls and DEL, but tab, line feed and carriage return (text may hold lines).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def clean_text(v: str) -> str:
    """``v`` with each control character (NUL, bell, escape, ...) shown as ``\\uXXXX``."""
    if not _CONTROL.search(v):
        return v
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", v)


def clean_texts(values: Any) -> np.ndarray:
    """``clean_text`` over a column of str, as an object array; each distinct value is looked
    at once (and, without a control character anywhere, none is changed)."""
    arr = np.asarray(values, dtype=object)
    distinct = pd.unique(arr)
    if not _CONTROL.search("".join(distinct)):
        return arr.copy()
    cleaned = {v: clean_text(v) for v in distinct}
    return np.array([cleaned[v] for v in arr], dtype=object)


def _formula_like(v: str) -> bool:
    return v[:1] in _FORMULA_START and not _NUMBER.fullmatch(v)


def _looks_escaped(v: str) -> bool:
    return v[:1] == "'" and (_formula_like(v[1:]) or v[1:2] == "'")


def spreadsheet_cell(v: str) -> str:
    """The cell as written: a leading ``'`` when a spreadsheet would run it (or when it would
    read back as escaped); control characters shown as ``\\uXXXX``. Returns ``v`` itself when
    nothing changes."""
    v = clean_text(v)
    return "'" + v if _formula_like(v) or _looks_escaped(v) else v


def from_spreadsheet_cell(v: str) -> str:
    """The text ``spreadsheet_cell`` was given (its escaping undone)."""
    return v[1:] if _looks_escaped(v) else v


def write_new(path: Path | str, data: bytes | Iterable[bytes]) -> None:
    """Create ``path`` (it must not exist) with ``data`` (bytes, or pieces of bytes written in
    turn); raw os calls because 10k of these add up."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        for piece in ((data,) if isinstance(data, (bytes, bytearray, memoryview)) else data):
            view = memoryview(piece)
            while view:
                view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary sibling and ``os.replace`` so readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
        try:
            write_new(tmp, data)
            break
        except FileExistsError:
            continue
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def read_csv_strings(path: Path) -> pd.DataFrame:
    """A CSV we wrote, every cell as str ("" stays "", "NA" stays "NA", "007" stays "007") and
    the spreadsheet escaping undone (``'=1+2`` is ``=1+2`` again)."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
    df.columns = [from_spreadsheet_cell(str(c)) for c in df.columns]
    with open(path, "rb") as handle:
        raw = handle.read()
    # Only a cell starting with ' can be escaped: skip the per-cell work when none does.
    if not (raw.startswith(b"'") or b",'" in raw or b"\n'" in raw or b"\"'" in raw):
        return df
    for col in df.columns:
        values = df[col].to_numpy(dtype=object)
        fixed = {v: from_spreadsheet_cell(v) for v in pd.unique(values) if v[:1] == "'"}
        if fixed:
            df[col] = np.array([fixed.get(v, v) for v in values], dtype=object)
    return df
