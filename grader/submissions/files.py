"""Reading a class folder as data: nothing in it is followed, waited on or trusted.

A submission folder is the student's to shape, and symlinks survive git, tar and unzip: a link
``b.py -> ../classmate.py`` or ``z.py -> /proc/self/environ`` must never make the grader (often
run as root) read anything but the student's own regular files. So every directory is opened
relative to its parent's descriptor with ``O_NOFOLLOW``, every file likewise and with
``O_NONBLOCK`` (opening a FIFO for reading would otherwise wait for a writer forever), the type
is checked on the opened descriptor (``fstat``, so a file swapped after listing is still
caught), and at most ``limit + 1`` bytes are read. Nothing here ever writes.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

_O_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_O_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_O_NOCTTY = getattr(os, "O_NOCTTY", 0)
_O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_READ_FLAGS = os.O_RDONLY | _O_CLOEXEC | _O_NOFOLLOW | _O_NONBLOCK | _O_NOCTTY
_DIR_FLAGS = os.O_RDONLY | _O_CLOEXEC | _O_DIRECTORY

FILE = "file"
FOLDER = "folder"
SYMLINK = "symbolic link"


class UnsafeEntryError(OSError):
    """A submission entry that is not a regular file or folder (symlink, FIFO, socket, device)."""

    def __init__(self, name: str, kind: str, folder: bool = False) -> None:
        self.name, self.kind = name, kind
        if kind == SYMLINK:
            message = f"{name} is a symbolic link: submit the {'folder' if folder else 'file'} itself"
        else:
            message = f"{name} is {_article(kind)} {kind}, not a regular file"
        super().__init__(message)

    def __str__(self) -> str:
        return str(self.args[0])


class FileTooLargeError(OSError):
    """A file over the size limit; ``size`` is what fstat reported (or at least limit + 1)."""

    def __init__(self, name: str, size: int, limit: int) -> None:
        self.name, self.size, self.limit = name, size, limit
        super().__init__(f"{name}: {size:,} bytes; at most {limit:,}")


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def kind_of(mode: int) -> str:
    """The kind of a directory entry from its (lstat) mode, in words a student understands."""
    if stat.S_ISREG(mode):
        return FILE
    if stat.S_ISDIR(mode):
        return FOLDER
    if stat.S_ISLNK(mode):
        return SYMLINK
    if stat.S_ISFIFO(mode):
        return "named pipe"
    if stat.S_ISSOCK(mode):
        return "socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "device"
    return "special file"


class Folder:
    """An open directory; its entries are listed, classified and read through its descriptor."""

    def __init__(self, fd: int, path: Path) -> None:
        self.fd = fd
        self.path = path

    @classmethod
    def open(cls, path: str | Path) -> Folder:
        """Open a folder the caller named (a command-line argument: a symlink here is followed)."""
        return cls(os.open(path, _DIR_FLAGS), Path(path))

    def sub(self, name: str) -> Folder:
        """Open the sub-folder ``name``, refusing a symlink (``UnsafeEntryError``)."""
        try:
            fd = os.open(name, _DIR_FLAGS | _O_NOFOLLOW, dir_fd=self.fd)
        except OSError as err:
            raise self._explain(name, err, folder=True) from None
        return Folder(fd, self.path / name)

    def entries(self) -> list[tuple[str, str]]:
        """(name, kind) of every entry, sorted by name; nothing is followed."""
        out = []
        with os.scandir(self.fd) as listing:
            for entry in listing:
                # d_type answers the common cases without a system call; lstat the rest.
                if entry.is_symlink():
                    kind = SYMLINK
                elif entry.is_dir(follow_symlinks=False):
                    kind = FOLDER
                elif entry.is_file(follow_symlinks=False):
                    kind = FILE
                else:
                    try:
                        kind = kind_of(entry.stat(follow_symlinks=False).st_mode)
                    except OSError:
                        continue  # gone since it was listed
                out.append((entry.name, kind))
        return sorted(out)

    def kind(self, name: str) -> str | None:
        """The kind of entry ``name`` (not followed), or None if there is none."""
        try:
            return kind_of(os.stat(name, dir_fd=self.fd, follow_symlinks=False).st_mode)
        except FileNotFoundError:
            return None

    def read(self, name: str, limit: int) -> bytes:
        """The bytes of the regular file ``name``: at most ``limit`` of them, else
        ``FileTooLargeError``; ``UnsafeEntryError`` for anything but a regular file."""
        kind = self.kind(name)
        if kind is not None and kind != FILE:
            raise UnsafeEntryError(name, kind)  # refused before opening: opening a device can act
        try:
            fd = os.open(name, _READ_FLAGS, dir_fd=self.fd)
        except OSError as err:
            raise self._explain(name, err) from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):  # swapped in after the check above
                raise UnsafeEntryError(name, kind_of(info.st_mode))
            if info.st_size > limit:
                raise FileTooLargeError(name, info.st_size, limit)
            chunks, size = [], 0
            while size <= limit:
                chunk = os.read(fd, min(limit + 1 - size, 1 << 20))
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
            if size > limit:  # grew since fstat
                raise FileTooLargeError(name, size, limit)
            return b"".join(chunks)
        finally:
            os.close(fd)

    def _explain(self, name: str, err: OSError, folder: bool = False) -> OSError:
        """ELOOP / ENOTDIR from an O_NOFOLLOW open mean a symlink (or not a folder): say so."""
        if err.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            kind = self.kind(name)
            if kind is not None and kind not in (FILE, FOLDER):
                return UnsafeEntryError(name, kind, folder=folder)
        return err

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1

    def __enter__(self) -> Folder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
