"""What a pool claims on the machine: sandbox uids, a folder, a name for its cgroups; and the
clean-up of what killed pools left behind. Every claim is a lock file, so the next run removes
only what no live pool holds, and two pools (two test runs, two graders) never fight."""

from __future__ import annotations

import fcntl
import os
import pwd
import secrets
import stat
import tempfile
import time
from collections.abc import Callable

from .zygote import remove_tree

#: Uids the children run as when the grader is root: one per worker, never a real account
#: (uids in the password database are skipped). 65520-65533 lie outside both Debian's and
#: systemd's allocated ranges and inside the 16-bit range that container user namespaces map.
SANDBOX_UIDS: tuple[int, ...] = tuple(range(65520, 65534))
PREFIX = "grader-sandbox-"
_UID_WAIT = 60.0  # seconds to wait for uids that other pools hold exclusively


def lock_dir() -> str:
    """The folder of lock files: root-only /run/grader-sandbox as root (students must not plant
    files there), a private folder in the temporary folder otherwise."""
    euid = os.geteuid()
    if euid == 0 and os.path.isdir("/run"):
        path = "/run/grader-sandbox"
    else:
        path = os.path.join(tempfile.gettempdir(), f"grader-sandbox-locks-{euid}")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != euid or info.st_mode & 0o077:
        raise RuntimeError(f"{path} must be a folder of uid {euid} that no one else may use")
    return path


def _lock(path: str, mode: int, create: bool = True) -> int | None:
    """An fd holding ``mode`` (flock) on ``path``, or None if someone else holds it."""
    flags = os.O_RDWR | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_CREAT if create else 0)
    fd = os.open(path, flags, 0o600)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


class Lease:
    """A live pool's claim: a unique name, the lock that says the pool is alive, and its folder
    (the workers' working folders, or with namespaces the mount points of their file systems)."""

    def __init__(self) -> None:
        self.name = PREFIX + secrets.token_hex(6)
        folder = lock_dir()
        self.lock_path = os.path.join(folder, self.name + ".lock")
        fd = _lock(self.lock_path, fcntl.LOCK_EX)
        assert fd is not None
        self._fd = fd
        self.base = ""
        try:
            self.base = _make_base(self.name, os.geteuid() == 0)
        except BaseException:
            self.close()
            raise

    def close(self, leftovers: bool = False) -> None:
        """Remove the folder, then let go of the name: with ``leftovers`` (cgroups that could not
        be removed yet) the lock file stays, for the next run's sweep to finish the job."""
        if self.base:
            remove_tree(self.base)
        if self._fd >= 0:
            if not leftovers and not os.path.exists(self.base):
                try:
                    os.unlink(self.lock_path)
                except OSError:
                    pass
            os.close(self._fd)
            self._fd = -1


def _base_parents() -> list[str]:
    """Where pool folders go: /dev/shm when it is the usual world-writable tmpfs (creating and
    removing a folder there costs microseconds), and the temporary folder (TMPDIR)."""
    parents = []
    shm = "/dev/shm"
    try:
        if os.stat(shm).st_mode & 0o1777 == 0o1777 and os.access(shm, os.W_OK):
            parents.append(shm)
    except OSError:
        pass
    return parents + [tempfile.gettempdir()]


def _make_base(name: str, root: bool) -> str:
    base = os.path.join(_base_parents()[0], name)
    os.mkdir(base, 0o700)
    if root:
        os.chmod(base, 0o711)  # a sandbox uid may enter its own working folder but list nothing here
        parent = os.path.dirname(base)
        while True:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                os.rmdir(base)
                raise RuntimeError(f"{parent} cannot be entered by other users, so the sandbox uid cannot "
                                   "reach its folder; set TMPDIR to a folder such as /tmp")
            if parent == os.path.dirname(parent):
                break
            parent = os.path.dirname(parent)
    return base


def sweep_stale(remove_groups: Callable[[str], bool]) -> None:
    """Remove what killed pools left behind: for each pool lock file that nobody holds, the
    pool's folder and (through ``remove_groups``) its cgroups, then the lock file. A live pool
    holds its lock, so nothing of it is touched; a folder without a lock file (an older
    grader's, perhaps still running) is not ours to judge."""
    folder = lock_dir()
    euid = os.geteuid()
    for entry in os.listdir(folder):
        if not (entry.startswith(PREFIX) and entry.endswith(".lock")):
            continue
        path = os.path.join(folder, entry)
        try:
            fd = _lock(path, fcntl.LOCK_EX, create=False)
        except OSError:
            continue
        if fd is None:
            continue  # alive
        try:
            name = entry[: -len(".lock")]
            gone = True
            for parent in dict.fromkeys(_base_parents()):
                base = os.path.join(parent, name)
                try:
                    info = os.lstat(base)
                except OSError:
                    continue
                if stat.S_ISDIR(info.st_mode) and info.st_uid == euid:
                    remove_tree(base)
                    gone = gone and not os.path.lexists(base)
            if remove_groups(name) and gone:  # else the lock stays, and a later run tries again
                os.unlink(path)
        finally:
            os.close(fd)


def claim_uids(count: int, shared: bool) -> list[tuple[int, int]]:
    """(uid, lock fd) for ``count`` workers; never a uid that exists in the password database.

    Without namespaces a uid must be a worker's alone (the zygote kills every process of its
    uid, and RLIMIT_NPROC counts per uid): an exclusive lock, waited for when other pools hold
    them all. With namespaces, pools may share uids (a shared lock; the uids are only taken
    from pools without namespaces), and a pool of more workers than uids reuses them.
    """
    folder = lock_dir()
    candidates = []
    for uid in SANDBOX_UIDS:
        try:
            pwd.getpwuid(uid)
        except KeyError:
            candidates.append(uid)
    deadline = time.monotonic() + _UID_WAIT
    mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
    while True:
        claimed: list[tuple[int, int]] = []
        for uid in candidates:
            if len(claimed) == count:
                break
            fd = _lock(os.path.join(folder, f"{uid}.lock"), mode)
            if fd is not None:
                claimed.append((uid, fd))
        if claimed and (len(claimed) == count or shared):
            return [claimed[slot % len(claimed)] for slot in range(count)]
        for _, fd in claimed:
            os.close(fd)
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {len(claimed)} of the {count} sandbox uids (SANDBOX_UIDS) are free; "
                               "other graders on this machine hold the rest")
        time.sleep(0.2)


def release_uids(claimed: list[tuple[int, int]]) -> None:
    for fd in {fd for _, fd in claimed}:
        if fd >= 0:
            os.close(fd)
