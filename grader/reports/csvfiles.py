"""CSV bytes as every report file spells them, reading them back, and safe file creation."""

from __future__ import annotations

import os
import secrets
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd


def csv_bytes(header: Sequence[str], columns: Sequence[Sequence[str]]) -> bytes:
    """CSV of string columns: quoted only when needed (like csv.QUOTE_MINIMAL), ``\\n`` line ends.

    Hand-rolled because it beats csv.writer here: report columns repeat the same
    few values (question ids, statuses, scores, feedback), so each distinct value is quoted once.
    """
    def quoted(values: Sequence[str]) -> Sequence[str]:
        cache = {v: q for v in set(values) if (q := _csv_field(v)) is not v}
        return [cache.get(v, v) for v in values] if cache else values

    lines = [",".join(_csv_field(h) for h in header)]
    lines += map(",".join, zip(*(quoted(c) for c in columns)))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _csv_field(v: str) -> str:
    if "," in v or '"' in v or "\n" in v or "\r" in v:
        return '"' + v.replace('"', '""') + '"'
    return v


def strs(values: Any) -> list[str]:
    return [str(v) for v in values]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(values: Any) -> list[str]:
    """Student text for a file meant to be opened in a spreadsheet: a leading ``'`` keeps a cell
    such as ``=HYPERLINK(...)`` (or ``-2+cmd|...``) from being run as a formula."""
    return [f"'{v}" if str(v).startswith(_FORMULA_START) else str(v) for v in values]


def write_new(path: Path | str, data: bytes) -> None:
    """Create ``path`` (it must not exist) with ``data``; raw os calls because 10k of these add up."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
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
    """A CSV we wrote, every cell as str ("" stays "", "NA" stays "NA", "007" stays "007")."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")
