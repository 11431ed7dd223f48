"""A submission's files as data: opened without following links, regular files only, capped."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from .zygote import one_line

MAX_FILE_BYTES = 16 << 20  # largest submitted file the sandbox accepts
_OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC


def read_file(path: Path | str, limit: int = MAX_FILE_BYTES) -> bytes:
    """The bytes of one submitted file, read through the descriptor that was checked.

    Raises ValueError with a message for the student when ``path`` is a symbolic link (a link
    to a classmate's file, the rubric or /proc/self/environ would otherwise be read as the
    grader), a device, a FIFO or a folder, or is larger than ``limit``; OSError when unreadable.
    """
    name = Path(path).name
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise ValueError(f"{name} is a symbolic link; hand in the file itself") from None
        raise
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{name} is not a regular file")
        if info.st_size > limit:
            raise ValueError(f"{name} is larger than {limit >> 20} MiB")
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        if total > limit:
            raise ValueError(f"{name} is larger than {limit >> 20} MiB")
        return b"".join(chunks)
    finally:
        os.close(fd)


def read_submission_files(paths: list) -> tuple[list[tuple[str, bytes]], str]:
    """(name, content) of each file, or ([], a load error message for the student). An entry
    is a path (read here, safely) or a (name, content) pair already read that way."""
    read: list[tuple[str, bytes]] = []
    for entry in paths:
        given = isinstance(entry, tuple)
        name = entry[0] if given else Path(entry).name
        if not isinstance(name, str) or not name or name.startswith(".") \
                or len(name.encode()) > 255 or "/" in name:
            return [], f"cannot use a file named {name!r}"
        if any(name == other for other, _ in read):
            return [], f"two files are named {name}"
        if given:
            content = entry[1]
            if not isinstance(content, bytes) or len(content) > MAX_FILE_BYTES:
                return [], f"{name} is larger than {MAX_FILE_BYTES >> 20} MiB" \
                    if isinstance(content, bytes) else f"cannot use {name}"
            read.append((name, content))
            continue
        try:
            read.append((name, read_file(Path(entry))))
        except ValueError as problem:
            return [], one_line(str(problem))
        except OSError as exc:
            return [], one_line(f"cannot read {name}: {exc.strerror or exc}")
    if not any(name.endswith(".py") for name, _ in read):
        return [], "no Python (.py) files in the submission"
    return read, ""
