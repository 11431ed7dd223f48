"""Replacing an output directory as a whole: built in a hidden sibling, then swapped in."""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path


class UnsafeOutputDirError(FileExistsError):
    """Refusal to replace a directory that does not look like one we wrote."""


def replace_dir(target: Path, build: Callable[[Path], None], ours: Callable[[Path], bool], what: str) -> None:
    """Build a directory with ``build`` in a fresh sibling, then swap it in for ``target``.

    Refuses (before writing anything) when ``target`` is a non-empty directory that ``ours`` does
    not recognise: `-o ~` must never cost anyone their home directory. The swap is two renames on
    the same file system; if killed between them, ``target`` is briefly absent and the complete
    old and new trees sit next to it as ``.NAME.old-*`` / ``.NAME.tmp-*`` (never a mix).
    """
    target = Path(os.path.abspath(target))
    if target.is_symlink():
        target = Path(os.path.realpath(target))  # replace the directory it points to, keep the link
    if target.parent == target or not target.name:
        raise UnsafeOutputDirError(f"refusing to use {target} as {what}")
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise UnsafeOutputDirError(f"{target} exists and is not a directory")
        if any(target.iterdir()) and not ours(target):
            raise UnsafeOutputDirError(
                f"refusing to replace {target}: it is not empty and does not look like {what}; "
                f"choose a new or empty directory"
            )
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = _fresh_sibling(target, "tmp", create=True)
    try:
        build(tmp)
        if os.path.lexists(target):
            old = _fresh_sibling(target, "old", create=False)
            os.rename(target, old)
            try:
                os.rename(tmp, target)
            except BaseException:
                os.rename(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fresh_sibling(target: Path, tag: str, *, create: bool) -> Path:
    """An unused hidden sibling path ``.NAME.TAG-xxxxxxxx`` (created as a directory if asked).

    os.mkdir rather than tempfile.mkdtemp: mkdtemp's 0700 mode would become OUTDIR's mode.
    """
    while True:
        p = target.with_name(f".{target.name}.{tag}-{secrets.token_hex(4)}")
        if create:
            try:
                os.mkdir(p)
            except FileExistsError:
                continue
            return p
        if not os.path.lexists(p):
            return p
