"""Replacing an output directory as a whole: built in a hidden sibling, then swapped in."""

from __future__ import annotations

import os
import re
import secrets
import shutil
import time
from collections.abc import Callable
from pathlib import Path

try:
    import fcntl
except ImportError:  # not on Windows: nothing is then removed as stale
    fcntl = None  # type: ignore[assignment]

_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)


class UnsafeOutputDirError(FileExistsError):
    """Refusal to replace a directory that does not look like one we wrote."""


def replace_dir(target: Path, build: Callable[[Path], None], ours: Callable[[Path], bool], what: str) -> None:
    """Build a directory with ``build`` in a fresh sibling, then swap it in for ``target``.

    Refuses (before writing anything) when ``target`` is a non-empty directory that ``ours`` does
    not recognise: `-o ~` must never cost anyone their home directory. The swap is two renames on
    the same file system; if killed between them, ``target`` is briefly absent and the complete
    old and new trees sit next to it as ``.NAME.old-*`` / ``.NAME.tmp-*`` (never a mix). Each
    sibling is locked (``flock``) while its run lives; once the new tree is in place, siblings
    that no live run holds (left by a killed run) are removed.
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
    tmp, tmp_lock = _locked_sibling(target)
    try:
        build(tmp)
        if os.path.lexists(target):
            old = _fresh_sibling(target, "old")
            # Locked before the rename, so that as .NAME.old-* it is never taken for debris.
            old_lock = _lock(target)
            try:
                os.rename(target, old)
                try:
                    os.rename(tmp, target)
                except BaseException:
                    os.rename(old, target)
                    raise
                shutil.rmtree(old, ignore_errors=True)
            finally:
                _unlock(old_lock)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    finally:
        _unlock(tmp_lock)
    remove_stale_siblings(target)


_TAGS = ("tmp", "old", "new")
#: A ``.NAME.new-*`` folder is unlocked only for the instant between its mkdir and its lock; one
#: this old is debris of a run killed in that instant.
_NEW_GRACE_SECONDS = 60.0


def _sibling_name(target: Path, tag: str) -> str:
    return f".{target.name}.{tag}-{secrets.token_hex(4)}"


def _fresh_sibling(target: Path, tag: str) -> Path:
    """An unused hidden sibling path ``.NAME.TAG-xxxxxxxx``."""
    while True:
        p = target.with_name(_sibling_name(target, tag))
        if not os.path.lexists(p):
            return p


def _locked_sibling(target: Path) -> tuple[Path, int]:
    """A new empty ``.NAME.tmp-*`` directory, locked from the moment it has that name.

    Made as ``.NAME.new-*``, locked, then renamed (the lock belongs to the directory, not its
    name): a run cleaning up can never find a ``.tmp-*`` that a live run has not locked yet.
    os.mkdir rather than tempfile.mkdtemp: mkdtemp's 0700 mode would become OUTDIR's mode.
    """
    while True:
        new = target.with_name(_sibling_name(target, "new"))
        try:
            os.mkdir(new)
        except FileExistsError:
            continue
        break
    try:
        fd = _lock(new)
        tmp = _fresh_sibling(target, "tmp")
        os.rename(new, tmp)
    except BaseException:
        shutil.rmtree(new, ignore_errors=True)
        raise
    return tmp, fd


def _lock(path: Path) -> int:
    """An exclusive ``flock`` on directory ``path``, held until ``_unlock``; -1 where file locks
    are not available (then nothing is ever removed as stale, see ``remove_stale_siblings``)."""
    if fcntl is None:
        return -1
    fd = os.open(path, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return -1  # someone else holds it: a concurrent run on the same OUTDIR
    return fd


def _unlock(fd: int) -> None:
    if fd >= 0:
        os.close(fd)  # closing the last descriptor releases the flock


def remove_stale_siblings(target: Path) -> list[Path]:
    """Remove the ``.NAME.tmp-*`` / ``.NAME.old-*`` folders beside ``target`` that a killed run
    left, never one a live run holds (its lock). Returns what was removed."""
    if fcntl is None:
        return []
    target = Path(os.path.abspath(target))
    pattern = re.compile(rf"\.{re.escape(target.name)}\.({'|'.join(_TAGS)})-[0-9a-f]{{8}}")
    try:
        found = sorted((m.group(0), m.group(1)) for n in os.listdir(target.parent) if (m := pattern.fullmatch(n)))
    except OSError:
        return []
    removed = []
    for name, tag in found:
        path = target.parent / name
        try:
            fd = os.open(path, os.O_RDONLY | _O_DIRECTORY | _O_NOFOLLOW | _O_CLOEXEC)
        except OSError:
            continue  # gone, a symlink, or not a folder: not ours to remove
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            continue  # a live run holds it
        try:
            info = os.fstat(fd)
            if tag == "new" and time.time() - info.st_mtime < _NEW_GRACE_SECONDS:
                continue  # may be a live run's, between its mkdir and its lock
            current = os.stat(path, follow_symlinks=False)
            if (current.st_dev, current.st_ino) != (info.st_dev, info.st_ino):
                continue  # renamed away (into place) since it was listed
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
        except OSError:
            continue
        finally:
            os.close(fd)
    return removed
