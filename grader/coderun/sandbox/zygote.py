"""The sandbox's own side of each process boundary: the zygote, the child that runs a student's
code, and the wire formats they share with the grader.

One self-contained module on purpose: the pool starts the zygote as ``python -c BOOT`` with this
file's path, so it imports only the standard library and numpy, and nothing relative (that
would break when run by path). The grader's side imports it as ``grader.coderun.sandbox.zygote``.

Per submission (docs/sandbox.md has the whole picture), with namespaces::

    zygote: fresh PID, mount, IPC and UTS namespaces, tmpfs at /work, /tmp, /dev/shm
        ├─ spawn ▶ sleep, PID 1 of the new PID namespace (it holds the namespaces)
        └─ fork ▶ child, PID 2: mounts /proc, reads the student's files from the grader's
                  memory file, drops every privilege, runs the calls

The zygote never reads a student's bytes, so no child can find another student's data in
memory it inherited. At FINISH it kills every process of the submission at once.
"""

from __future__ import annotations

import builtins
import ctypes
import errno
import fcntl
import gc
import importlib
import json
import math
import os
import platform
import random
import resource
import select
import signal
import socket
import struct
import sys
import tempfile
import threading
import time
import types
from typing import Any, NoReturn

BOOT_NAME = "_grader_sandbox_zygote"
if __name__ != BOOT_NAME:  # started by path, the zygote imports numpy once in its namespaces
    import numpy as np

# ---------------------------------------------------------------------------------------------
# Sizes and codes shared with the grader
# ---------------------------------------------------------------------------------------------

FILE_SIZE_LIMIT = 32 << 20  # RLIMIT_FSIZE: largest file (output and results included) a child may write
OPEN_FILES_LIMIT = 256
MAX_VALUE_BYTES = 16 << 20  # largest array one call may return (2 Mi float64)
MAX_NDIM = 8
MAX_MESSAGE = 300  # characters in a one-line message
EXIT_CHANNEL = 197  # child exit code: the result channel could not be written
EXIT_INTERNAL = 198  # child exit code: the sandbox's own code failed in the child
CELLS_MARKER = b"# grader: cells"
WORKDIR = "/work"  # the working folder inside the namespaces

CLONE_NEWNS, CLONE_NEWUTS, CLONE_NEWIPC = 0x00020000, 0x04000000, 0x08000000
CLONE_NEWUSER, CLONE_NEWPID, CLONE_NEWNET = 0x10000000, 0x20000000, 0x40000000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC, MS_REMOUNT = 1, 2, 4, 8, 32
MS_NOATIME, MS_NODIRATIME, MS_BIND, MS_REC, MS_PRIVATE = 1024, 2048, 4096, 16384, 1 << 18
MS_MOVE, MS_RELATIME, MS_STRICTATIME = 8192, 1 << 21, 1 << 24
_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41, "riscv64": 41, "ppc64le": 203, "s390x": 217, "i686": 217}

_PR_SET_PDEATHSIG, _PR_SET_DUMPABLE, _PR_SET_NAME = 1, 4, 15
_PR_CAPBSET_DROP, _PR_SET_SECUREBITS = 24, 28
_PR_SET_CHILD_SUBREAPER, _PR_SET_NO_NEW_PRIVS, _PR_CAP_AMBIENT = 36, 38, 47
# SECBIT_NOROOT, SECBIT_NO_SETUID_FIXUP and KEEP_CAPS, each locked: uid 0 of a user namespace
# gains no capability by executing a program.
_SECUREBITS = 0x01 | 0x02 | 0x04 | 0x08 | 0x20


# ---------------------------------------------------------------------------------------------
# Wire formats: frames (grader -> zygote/init), records (child -> grader), commands and replies
# ---------------------------------------------------------------------------------------------

FRAME_MAGIC = b"GSB1"
FRAME_HEADER = struct.Struct("<4sIQ")  # magic, JSON length, data length

# Child -> grader, a stream of fixed-layout records: cheap to build in the child (every page it
# touches costs a copy-on-write fault) and easy to check strictly.
# magic, kind (0 load, 1 call), status code, call index, message bytes, ndim (0 unless ok); then
# ndim uint64 dims, the UTF-8 message and, for status ok, prod(dims) little-endian float64s.
RESULT_HEADER = struct.Struct("<4sBBIHB")
RESULT_MAGIC = b"GSR1"
KIND_LOAD, KIND_CALL = 0, 1
RESULT_STATUSES = ("ok", "error", "invalid")

# Grader <-> zygote over a Unix socket (the zygote says nothing else, so the grader can take
# the socket becoming readable as the zygote's end):
#   (zygote starts)                                                     -> READY
#   CALLS + calls frame, once per pool (or when the calls change)       -> CALLS_OK n
#   RUN start, with five fds: the request, results, output and status memory files and the write
#       end of the done pipe (the child, or failing that the init, writes to it when done)
#   FINISH: kill what is left of the submission and clean up
COMMAND = struct.Struct("<4sBIQ")  # magic, command, start index, body length
COMMAND_MAGIC = b"GSQ1"
RUN, FINISH, CALLS = 1, 2, 3
REPLY = struct.Struct("<4sBq")  # magic, kind, value
REPLY_MAGIC = b"GSZ1"
READY, CALLS_OK = 1, 4

# Init -> grader, in the status memory file: how the child ended, or why there was no child.
STATUS = struct.Struct("<4sBq")  # magic, kind, value; then a UTF-8 message for SETUP_FAILED
STATUS_MAGIC = b"GSS1"
CHILD_ENDED, SETUP_FAILED = 1, 2


class ProtocolError(Exception):
    """A frame or its contents broke the format; the sender is not trusted any further."""


def encode_frame(meta: dict[str, Any], data: bytes = b"") -> bytes:
    """One frame: header, JSON metadata, raw data."""
    text = json.dumps(meta).encode()
    return FRAME_HEADER.pack(FRAME_MAGIC, len(text), len(data)) + text + data


def split_frame(body: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON object and the data part of a frame."""
    if len(body) < FRAME_HEADER.size:
        raise ProtocolError("short frame")
    magic, meta_len, data_len = FRAME_HEADER.unpack_from(body)
    if magic != FRAME_MAGIC or FRAME_HEADER.size + meta_len + data_len != len(body):
        raise ProtocolError("bad frame")
    try:
        meta = json.loads(body[FRAME_HEADER.size : FRAME_HEADER.size + meta_len].decode("utf-8"))
    except Exception as exc:  # malformed text, deep nesting, huge numbers: all just refused
        raise ProtocolError(f"bad frame metadata ({type(exc).__name__})") from None
    if not isinstance(meta, dict):
        raise ProtocolError("frame metadata is not an object")
    return meta, body[FRAME_HEADER.size + meta_len :]


def decode_array(desc: Any, data: bytes, max_bytes: int = MAX_VALUE_BYTES) -> np.ndarray:
    """Check an array header against the data and copy the array out; refuse anything odd."""
    if not isinstance(desc, dict) or set(desc) != {"dtype", "shape", "offset"} or desc["dtype"] != "<f8":
        raise ProtocolError("bad array header")
    shape, offset = desc["shape"], desc["offset"]
    if not isinstance(shape, list) or len(shape) > MAX_NDIM:
        raise ProtocolError("bad array shape")
    count = 1
    for dim in shape:
        if type(dim) is not int or not 0 <= dim <= max_bytes // 8:
            raise ProtocolError("bad array shape")
        count *= dim
    if type(offset) is not int or offset < 0 or count * 8 > max_bytes or offset + count * 8 > len(data):
        raise ProtocolError("bad array size or offset")
    if count == 0:
        return np.zeros(shape, dtype=np.float64)
    return np.frombuffer(data, dtype="<f8", count=count, offset=offset).astype(np.float64).reshape(shape)


def encode_result(kind: int, status: str, index: int, message: str, value: np.ndarray | None = None) -> bytes:
    """One record from the child; ``value`` (float64) only with status ok."""
    text = message.encode("utf-8", "replace")[: MAX_MESSAGE * 4]
    if value is None:
        return RESULT_HEADER.pack(RESULT_MAGIC, kind, RESULT_STATUSES.index(status), index, len(text), 0) + text
    head = RESULT_HEADER.pack(RESULT_MAGIC, kind, 0, index, len(text), value.ndim)
    dims = struct.pack(f"<{value.ndim}Q", *value.shape)
    return b"".join((head, dims, text, np.asarray(value, dtype="<f8", order="C").tobytes()))


def decode_calls(body: bytes) -> list[tuple[str, tuple[Any, ...]]]:
    """The calls of a calls frame as (function name, arguments); arrays are made read-only, and
    each child passes fresh copies of them to the student's function."""
    meta, data = split_frame(body)
    calls = meta.get("calls")
    if not isinstance(calls, list):
        raise ProtocolError("bad calls frame")
    decoded = []
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("function"), str) or not isinstance(call.get("args"), list):
            raise ProtocolError("bad call")
        args: list[Any] = []
        for spec in call["args"]:
            if not isinstance(spec, dict) or len(spec) != 1:
                raise ProtocolError("bad call argument")
            if "int" in spec and type(spec["int"]) is int:
                args.append(spec["int"])
            elif "float" in spec and type(spec["float"]) in (int, float):
                args.append(float(spec["float"]))
            elif "array" in spec:
                array = decode_array(spec["array"], data, max_bytes=len(data))
                array.flags.writeable = False
                args.append(array)
            else:
                raise ProtocolError("bad call argument")
        decoded.append((call["function"], tuple(args)))
    return decoded


def one_line(text: Any, limit: int = MAX_MESSAGE) -> str:
    """A message fit for one line of feedback."""
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def write_all(fd: int, data: bytes) -> None:
    """Write every byte to a blocking fd."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


# ---------------------------------------------------------------------------------------------
# OS helpers (Linux; each degrades to "not available" elsewhere)
# ---------------------------------------------------------------------------------------------

_libc: Any = None


def libc() -> Any:
    """The C library, loaded once (in the zygote, before any fork)."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.fork.restype = ctypes.c_int
        _libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
    return _libc


def _check(result: int, what: str) -> None:
    if result != 0:
        code = ctypes.get_errno()
        raise OSError(code, f"{what}: {os.strerror(code)}")


def prctl(option: int, value: int) -> bool:
    """prctl(2) where it exists (Linux); False elsewhere or on failure."""
    try:
        args = [ctypes.c_ulong(v) for v in (value, 0, 0, 0)]
        return libc().prctl(ctypes.c_int(option), *args) == 0
    except (OSError, AttributeError):
        return False


def set_process_name(name: bytes) -> None:
    """The name ps, top and /proc show for this process (PR_SET_NAME); Linux only."""
    try:
        libc().prctl(ctypes.c_int(_PR_SET_NAME), ctypes.c_char_p(name[:15]), 0, 0, 0)
    except (OSError, AttributeError):
        pass


def unshare(flags: int) -> None:
    _check(libc().unshare(ctypes.c_int(flags)), "unshare")


def setns(fd: int, kind: int) -> None:
    _check(libc().setns(ctypes.c_int(fd), ctypes.c_int(kind)), "setns")


def mount(source: str | None, target: str, fstype: str | None, flags: int, data: str | None = None) -> None:
    encode = lambda text: None if text is None else os.fsencode(text)
    _check(libc().mount(encode(source), encode(target), encode(fstype), flags, encode(data)), f"mount {target}")


def pivot_into(root: str) -> None:
    """Make ``root`` this mount namespace's root and detach the old one, so nothing outside it
    is reachable any more. Falls back to move-and-chroot where pivot_root is refused."""
    os.chdir(root)
    number = _PIVOT_ROOT.get(platform.machine())
    if number is not None and libc().syscall(ctypes.c_long(number), b".", b".") == 0:
        _check(libc().umount2(b".", ctypes.c_int(2)), "umount old root")  # MNT_DETACH
    else:  # e.g. an initramfs root, which pivot_root refuses: move it over / and enter it
        mount(".", "/", None, MS_MOVE)
        os.chroot(".")
    os.chdir("/")


def _write_text(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def drop_capabilities() -> None:
    """Give up every capability for good (uid 0 of a user namespace keeps its uid)."""
    if not prctl(_PR_SET_SECUREBITS, _SECUREBITS):
        raise PermissionError("could not set securebits")
    prctl(_PR_CAP_AMBIENT, 4)  # PR_CAP_AMBIENT_CLEAR_ALL
    cap = 0
    while prctl(_PR_CAPBSET_DROP, cap):
        cap += 1
    header = struct.pack("<Ii", 0x20080522, 0)  # _LINUX_CAPABILITY_VERSION_3, this process
    data = ctypes.create_string_buffer(24)  # two all-zero {effective, permitted, inheritable}
    _check(libc().capset(ctypes.c_char_p(header), data), "capset")


def drop_to(uid: int) -> None:
    """Become ``uid`` (group ``uid``, no supplementary groups) for good; raise if that failed."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if {os.getuid(), os.geteuid(), os.getgid(), os.getegid()} != {uid} or os.getgroups():
        raise PermissionError(f"could not drop privileges to uid {uid}")


def kill_group(pid: int) -> None:
    """SIGKILL a process and its process group; only call this before the process is reaped."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


_raw_fork = False  # set by the zygote once its imports are done and it knows it has one thread


def fork() -> int:
    """fork(2); the raw libc call when this process has a single thread.

    os.fork() also runs CPython's after-fork work in the child (re-initialising locks, reseeding
    ``random``, the threading module's hooks), which touches some 200 pages and so costs as many
    copy-on-write faults. With one thread there is no lock another thread could hold.
    """
    if _raw_fork:
        pid = libc().fork()
        if pid >= 0:
            return pid
    return os.fork()


def single_threaded() -> bool:
    try:
        return threading.active_count() == 1 and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return threading.active_count() == 1


def remove_tree(path: str) -> None:
    """Remove a folder a student may have filled with anything: nesting thousands of levels
    deep, folders without permissions, symlinks (never followed). Iterative: each folder's
    subfolders are moved up to the top before it is removed, so no stack grows with depth."""
    try:
        top = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    except OSError:
        try:
            os.unlink(path)
        except OSError:
            pass
        return
    hoisted = 0
    try:
        before: list[str] = []
        while True:
            names = sorted(os.listdir(top))
            if not names or names == before:  # empty, or nothing more can be removed
                break
            for name in names:
                hoisted = _remove_entry(top, name, hoisted)
            before = names
    finally:
        os.close(top)
    try:
        os.rmdir(path)
    except OSError:
        pass


def _remove_entry(top: int, name: str, hoisted: int) -> int:
    """Remove ``name`` in ``top``; a non-empty folder gives its subfolders to ``top`` first."""
    try:
        os.unlink(name, dir_fd=top)
        return hoisted
    except IsADirectoryError:
        pass
    except FileNotFoundError:
        return hoisted
    try:
        os.rmdir(name, dir_fd=top)
        return hoisted
    except OSError:
        pass
    try:
        os.chmod(name, 0o700, dir_fd=top)  # a folder, known not to be a symlink (unlink said so)
        inner = os.open(name, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=top)
    except OSError:
        return hoisted
    try:
        for child in os.listdir(inner):
            try:
                os.unlink(child, dir_fd=inner)
                continue
            except IsADirectoryError:
                pass
            except OSError:
                continue
            hoisted += 1
            try:
                os.chmod(child, 0o700, dir_fd=inner)
                os.rename(child, f".grader-rm-{hoisted}", src_dir_fd=inner, dst_dir_fd=top)
            except OSError:
                pass
    finally:
        os.close(inner)
    try:
        os.rmdir(name, dir_fd=top)
    except OSError:
        pass
    return hoisted


# ---------------------------------------------------------------------------------------------
# Namespaces: the worker's (once per zygote) and each submission's
# ---------------------------------------------------------------------------------------------


def enter_worker_namespaces(user_ns: bool, shim: str = "") -> None:
    """New mount, network, PID, IPC and UTS namespaces (and a user namespace when not root) for a
    zygote.

    Returns in a forked process, PID 1 of the new PID namespace, which carries on as the
    zygote; the calling process stays behind as a shim, the process the grader started and
    kills (the zygote dies with it: parent-death signal). The shim executes ``shim`` (``sleep``),
    which takes a megabyte rather than a Python's twenty, or else waits in Python. The network
    namespace has only a loopback interface that is down, and every submission of this worker
    shares it: nothing in it outlives a submission except what needs CAP_NET_ADMIN to set up,
    which student code never has.
    """
    uid, gid = os.getuid(), os.getgid()
    # IPC and UTS too, so that the zygote may return to its own after each submission (a user
    # namespace gives no right over the machine's).
    flags = CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWIPC | CLONE_NEWUTS
    unshare(flags | (CLONE_NEWUSER if user_ns else 0))
    if user_ns:
        _write_text("/proc/self/setgroups", "deny")
        _write_text("/proc/self/uid_map", f"0 {uid} 1")
        _write_text("/proc/self/gid_map", f"0 {gid} 1")
    pid = os.fork()
    if pid:
        _shim(pid, shim)
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # with the shim, which dies with the grader


def _shim(pid: int, program: str) -> NoReturn:
    set_process_name(b"grader-shim")
    os.closerange(3, 1 << 20)  # the zygote's socket must close when the zygote ends
    if program:
        try:  # its parent-death signal (set in main) survives the exec
            os.execv(program, ["grader-shim", "2147483647"])
        except OSError:
            pass
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
        except ChildProcessError:
            os._exit(1)
    os._exit(os.waitstatus_to_exitcode(status) & 0xFF)


def build_root(root: str, plan: list[list[str]]) -> None:
    """Build the worker's file system in a tmpfs at ``root`` from the grader's ``plan`` and
    move into it for good: read-only binds of the interpreter, its libraries and the packages
    students may import, masks over what must not be seen, and the mount points that each
    submission fills with its own tmpfs (/work, /tmp, /dev/shm) and /proc."""
    mount(None, "/", None, MS_REC | MS_PRIVATE)
    mount("tmpfs", root, "tmpfs", MS_NOSUID | MS_NODEV, "size=4m,nr_inodes=8192,mode=755")
    masks = []
    for op in plan:
        kind, target = op[0], root + op[1]
        if kind == "bind":
            _bind_readonly(op[2], target)
        elif kind == "mask" and os.path.isdir(target):
            mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k,nr_inodes=1024,mode=755")
            masks.append(target)
        elif kind == "mask" and os.path.lexists(target):
            mount("/dev/null", target, None, MS_BIND)
        elif kind == "symlink":
            os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
            os.symlink(op[2], target)
    for folder in ("work", "tmp", "dev/shm", "proc"):
        os.makedirs(os.path.join(root, folder), 0o755, exist_ok=True)
    for device in ("null", "zero", "full", "random", "urandom"):
        target = os.path.join(root, "dev", device)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o666))
        mount(f"/dev/{device}", target, None, MS_BIND)
    for name, target in (("fd", "/proc/self/fd"), ("stdin", "/proc/self/fd/0"),
                         ("stdout", "/proc/self/fd/1"), ("stderr", "/proc/self/fd/2")):
        os.symlink(target, os.path.join(root, "dev", name))
    # This worker's own /proc; each submission mounts its own over it. (In a user namespace a
    # new proc may only be mounted where one is already fully visible.)
    mount("proc", os.path.join(root, "proc"), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    for target in masks:
        mount(None, target, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    mount(None, root, None, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV)
    pivot_into(root)


def _bind_readonly(source: str, target: str) -> None:
    """Bind ``source`` read-only at ``target``, keeping the flags a user namespace may not drop."""
    if os.path.isdir(source):
        os.makedirs(target, 0o755, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), 0o755, exist_ok=True)
        if not os.path.lexists(target):
            os.close(os.open(target, os.O_CREAT | os.O_WRONLY | os.O_CLOEXEC, 0o644))
    mount(source, target, None, MS_BIND)
    found = os.statvfs(source).f_flag
    flags = found & (MS_NOEXEC | MS_NOATIME | MS_NODIRATIME)
    if found & 4096:  # ST_RELATIME
        flags |= MS_RELATIME
    elif not found & MS_NOATIME:
        flags |= MS_STRICTATIME
    mount(None, target, None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | flags)


SUBMISSION_NAMESPACES = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWIPC | CLONE_NEWUTS


#: The folders each submission gets a private tmpfs on, except one that holds a bound folder (a
#: virtual environment under /tmp): a tmpfs there would hide the Python installation.
SCRATCH = ("/work", "/tmp", "/dev/shm")


def scratch_folders(plan: list[list[str]]) -> tuple[str, ...]:
    """The folders of ``SCRATCH`` that no bound path lies in."""
    bound = [op[1] for op in plan if op[0] == "bind"]
    return tuple(f for f in SCRATCH if not any(p == f or p.startswith(f + "/") for p in bound))


def enter_submission_namespaces(owner: int, disk_bytes: int, scratch: tuple[str, ...] = SCRATCH) -> None:
    """Enter fresh PID (for the next forks), mount, IPC and UTS namespaces for one submission,
    with private, size-limited tmpfs at /work, /tmp and /dev/shm. The zygote does this before
    starting the submission's init, which then holds them, and returns to its own afterwards
    (``setns``): so the teardown of a mount namespace (an RCU grace period or two,
    milliseconds) happens when the init is killed, not in the exit of the student's process."""
    unshare(SUBMISSION_NAMESPACES)
    options = f"size={disk_bytes},nr_inodes=65536,mode=700,uid={owner},gid={owner}".encode()
    for target in scratch:
        _check(libc().mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV, options), "mount tmpfs")
    libc().sethostname(b"sandbox", ctypes.c_size_t(7))


def mount_proc() -> None:
    """A /proc that shows only the submission's processes (mounted from inside its PID
    namespace, which the zygote is not in)."""
    mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)


# ---------------------------------------------------------------------------------------------
# The child: what a student's function may return, and how failures are described
# ---------------------------------------------------------------------------------------------

_SCALAR_TYPES: frozenset[type] = frozenset()
_FLOAT64: Any = None
_sum: Any = None


def _with_numpy() -> None:
    """numpy and what is made of it once (at import, or in a zygote after its namespaces, so
    that the shim it leaves behind has not imported numpy)."""
    global np, _SCALAR_TYPES, _FLOAT64, _sum
    import numpy as np

    _SCALAR_TYPES = frozenset(
        {float, int, np.float16, np.float32, np.float64, np.longdouble}
        | {np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64}
    )
    _FLOAT64 = np.dtype(np.float64)
    _sum = np.add.reduce


if __name__ != BOOT_NAME:
    _with_numpy()


class Refused(Exception):
    """A returned value that is not plain finite numeric data; the message is for the student."""


def type_name(kind: type) -> str:
    """A type's own name, read without letting a metaclass run code."""
    try:
        name = type.__dict__["__name__"].__get__(kind, type)
        return name if isinstance(name, str) else "object"
    except Exception:
        return "object"


def _plain_numbers(value: Any, depth: int, budget: list[int]) -> Any:
    """Nested lists/tuples of exact numbers or numeric arrays → nested lists of float/arrays."""
    kind = type(value)
    if kind in (list, tuple):
        if depth >= MAX_NDIM:
            raise Refused(f"returned a {type_name(kind)} nested too deeply")
        items = list(value)
        budget[0] -= len(items)
        if budget[0] < 0:
            raise Refused("returned too many values")
        return [_plain_numbers(item, depth + 1, budget) for item in items]
    if kind in _SCALAR_TYPES:
        return _float(value)
    if kind is np.ndarray:
        array = _numeric_array(value)
        budget[0] -= array.size
        if budget[0] < 0:
            raise Refused("returned too many values")
        return array
    raise Refused(f"returned a list containing a {type_name(kind)}, expected numbers")


def _float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        raise Refused("returned a number too large for float64") from None


def _numeric_array(value: np.ndarray) -> np.ndarray:
    """A plain ndarray of ints or floats as float64."""
    kind = value.dtype.kind
    if kind == "b":
        raise Refused("returned a bool array, expected numbers")
    if kind == "c":
        raise Refused("returned complex values, expected real numbers")
    if kind not in "fiu":
        raise Refused(f"returned an array of {value.dtype}, expected numbers")
    if value.size * 8 > MAX_VALUE_BYTES or value.ndim > MAX_NDIM:
        raise Refused("returned an array that is too large")
    return value if value.dtype == _FLOAT64 else value.astype(np.float64)


def result_array(value: Any) -> np.ndarray:
    """The student's return value as a finite float64 array, or Refused.

    Only exact built-in and numpy types are accepted, so no method of a student-defined object
    (``__eq__``, ``__array__``, ``__float__``, ...) is ever called while checking.
    """
    kind = type(value)
    if value is None:
        raise Refused("returned None, expected a number or a numeric array (missing return?)")
    if kind is bool or kind is np.bool_:
        raise Refused("returned a bool, expected a number or a numeric array")
    if kind in _SCALAR_TYPES:
        array = np.asarray(_float(value), dtype=np.float64)
    elif kind is np.ndarray:
        array = _numeric_array(value)
    elif kind in (list, tuple):
        nested = _plain_numbers(value, 0, [MAX_VALUE_BYTES // 8])
        try:
            array = np.array(nested, dtype=np.float64)
        except ValueError:
            raise Refused(f"returned a ragged {type_name(kind)}, expected a rectangular array") from None
        if array.nbytes > MAX_VALUE_BYTES or array.ndim > MAX_NDIM:
            raise Refused("returned an array that is too large")
    elif issubclass(kind, np.ndarray):
        raise Refused(f"returned a {type_name(kind)} (an ndarray subclass), expected a plain numpy array")
    elif kind in (complex, np.complex64, np.complex128):
        raise Refused("returned a complex number, expected a real number")
    else:
        raise Refused(f"returned a {type_name(kind)}, expected a number or a numeric array")
    # A finite sum means every value is finite (nan and inf carry into it); only an overflowing
    # sum needs the value-by-value look.
    if not math.isfinite(_sum(array, axis=None)) and not np.isfinite(array).all():
        raise Refused("returned non-finite values (nan or inf)")
    return array


def _student_location(tb: Any, paths: frozenset[str]) -> tuple[str, int] | None:
    """File name and line of the innermost traceback entry in the student's own files."""
    found = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename in paths:
            found = (os.path.basename(tb.tb_frame.f_code.co_filename), tb.tb_lineno)
        tb = tb.tb_next
    return found


def _exception_text(exc: BaseException) -> str:
    """ "Type: message" for an exception, with friendlier words for the common exits."""
    name = type_name(type(exc))
    if isinstance(exc, MemoryError):
        return "memory limit exceeded"
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return (f"OSError: your code wrote more than {FILE_SIZE_LIMIT >> 20} MB (printed output "
                "and files count), the limit")
    if isinstance(exc, SystemExit):
        code = exc.code if type(exc.code) is int else None
        return f"SystemExit: your code called sys.exit({'' if code is None else code})"
    try:
        message = str(exc)
    except BaseException:
        message = "(its message could not be read)"
    return f"{name}: {message}" if message else name


def describe_load_error(exc: BaseException, paths: frozenset[str]) -> str:
    """E.g. "SyntaxError in student.py line 3: invalid syntax"."""
    try:
        name = type_name(type(exc))
        if isinstance(exc, SyntaxError):
            where = f" in {os.path.basename(str(exc.filename))} line {exc.lineno}" if exc.filename else ""
            return one_line(f"{name}{where}: {exc.msg}")
        text = _exception_text(exc)
        location = _student_location(exc.__traceback__, paths)
        if location is None:
            return one_line(text)
        prefix, _, message = text.partition(": ")
        where = f" in {location[0]} line {location[1]}"
        return one_line(f"{prefix}{where}: {message}" if message else f"{prefix}{where}")
    except BaseException:
        return "your files raised an exception while loading"


def describe_call_error(exc: BaseException, paths: frozenset[str]) -> str:
    """E.g. "ZeroDivisionError: division by zero (student.py line 4)"."""
    try:
        text = _exception_text(exc)
        location = _student_location(exc.__traceback__, paths)
        if location is not None:
            text += f" ({location[0]} line {location[1]})"
        return one_line(text)
    except BaseException:
        return "your function raised an exception"


def split_cells(content: bytes) -> list[tuple[str, int, str]] | None:
    """A file that starts with ``# grader: cells`` as (label, first line index, source) per cell;
    cells begin at lines ``# %% cell N``. None for an ordinary file."""
    if not content.startswith(CELLS_MARKER):
        return None
    try:
        lines = content.decode("utf-8").splitlines(keepends=True)
    except UnicodeDecodeError:
        return None
    cells: list[tuple[str, int, str]] = []
    label, first, body = "0", 1, []  # text before the first marker, if any, is cell 0
    for number, line in enumerate(lines[1:], start=1):
        words = line.split()
        if len(words) == 4 and words[:3] == ["#", "%%", "cell"]:
            if any(text.strip() for text in body):
                cells.append((label, first, "".join(body)))
            label, first, body = words[3], number + 1, []
        else:
            body.append(line)
    if any(text.strip() for text in body):
        cells.append((label, first, "".join(body)))
    return cells


def describe_cell_error(label: str, first: int, exc: BaseException, path: str) -> str:
    """E.g. "cell 3 raised NameError: name 'x' is not defined (line 2)", lines within the cell
    (its source was compiled after ``first`` empty lines, so tracebacks give file lines)."""
    try:
        if isinstance(exc, SyntaxError):
            line = (exc.lineno or first + 1) - first
            return f"cell {label} has a SyntaxError: {exc.msg} (line {line})"
        location = _student_location(exc.__traceback__, frozenset((path,)))
        where = f" (line {location[1] - first})" if location else ""
        return f"cell {label} raised {_exception_text(exc)}{where}"
    except BaseException:
        return f"cell {label} raised an exception"


def install_import_guard(allowed: frozenset[str], own: frozenset[str], student_files: frozenset[str],
                         listing: str) -> None:
    """Refuse, with a clear message, the modules the student's own code imports directly that
    are neither offered (``allowed``) nor the student's own files (``own``). For clear messages
    only: the namespaces, not this hook, are what keeps the rest out of reach."""
    original = builtins.__import__

    def guarded_import(name: str, globals: Any = None, locals: Any = None, fromlist: Any = (), level: int = 0) -> Any:
        if level == 0 and type(globals) is dict and globals.get("__file__") in student_files:
            top = name.partition(".")[0] if type(name) is str else ""
            if top not in allowed and top not in own:
                raise ModuleNotFoundError(f"module {top} is not available when grading; allowed: {listing}", name=top)
        return original(name, globals, locals, fromlist, level)

    builtins.__import__ = guarded_import


def _execute(source: str | bytes, path: str, namespace: dict[str, Any]) -> None:
    """Run a student's Python file (or cell) in the child: what the sandbox exists for."""
    exec(compile(source, path, "exec", dont_inherit=True), namespace)


def child_env(home: str, tmp: str) -> dict[str, str]:
    """The whole environment of a child."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": home,
        "TMPDIR": tmp,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }


def _flush_stdio() -> None:
    """Flush whatever the student's code has printed; it may have replaced or broken the streams."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


class Child:
    """What runs inside the forked child, from entering the submission's namespaces to its last
    result. The zygote decoded the calls (once per worker), so the child inherits them as Python
    objects; it reads the student's files itself, from the request memory file."""

    def __init__(self, cfg: dict[str, Any], calls: list[tuple[str, tuple[Any, ...]]], start: int,
                 parent: int) -> None:
        self.reseed = not _raw_fork  # os.fork's after-fork hook reseeded ``random`` from the OS
        self.cfg = cfg
        self.calls = calls
        self.start = start
        self.files: list[tuple[str, bytes]] = []
        self.workdir = WORKDIR if cfg["namespaces"] else cfg["workdir"]
        self.parent = parent
        self.pid = 0

    def run(self, request_fd: int, res_fd: int, out_fd: int, done_fd: int) -> int:
        """Set up, load, call, wake the grader; returns the exit code."""
        self.pid = os.getpid()
        set_process_name(b"grader-child")
        signal.set_wakeup_fd(-1)  # the zygote's: no signal of this process may reach it
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        try:
            self._prepare(request_fd)
            self._enter_jail(res_fd, out_fd, done_fd)
        except BaseException as exc:
            try:
                os.dup2(res_fd, 3)  # unless the jail has moved it there already
                os.dup2(done_fd, 4)
            except OSError:
                pass
            self._send(KIND_LOAD, "error", 0, one_line(f"sandbox setup failed: {exc!r}"))
        else:
            paths = frozenset(os.path.join(self.workdir, name) for name, _ in self.files if name.endswith(".py"))
            namespace = self._load(paths)
            if namespace is not None:
                for index in range(self.start, len(self.calls)):
                    status, message, value = self._call(namespace, index, paths)
                    self._send(KIND_CALL, status, index, message, value)
        try:
            os.write(4, b"x")  # the grader need not wait for this process to exit
        except OSError:
            pass
        return 0

    def _prepare(self, request_fd: int) -> None:
        """As root still: the submission's own namespaces (or, without them, a fresh working
        folder), then the student's files from the request memory file."""
        cfg = self.cfg
        if cfg["oom_protected"]:  # the zygote is; the student's processes are the victims
            _write_text("/proc/self/oom_score_adj", "0")
        if cfg["namespaces"]:
            mount_proc()
        else:
            remove_tree(self.workdir)  # left by a zygote that died, if anything
            os.mkdir(self.workdir, 0o700)
            if cfg["uid"] >= 0:
                os.chown(self.workdir, cfg["uid"], cfg["uid"])
        self.files = read_request(request_fd)

    def _send(self, kind: int, status: str, index: int, message: str, value: np.ndarray | None = None) -> None:
        """Flush the student's output, then write one record to the result channel (fd 3)."""
        if os.getpid() != self.pid:  # a process the student forked, running on in our code
            os._exit(0)
        _flush_stdio()
        try:
            write_all(3, encode_result(kind, status, index, message, value))
        except BaseException:
            os._exit(EXIT_CHANNEL)

    def _enter_jail(self, res_fd: int, out_fd: int, done_fd: int) -> None:
        """Own session, fds 0-4 only, no privileges, limits; then write the files.

        Inherited from the zygote and so not redone here (each line of Python costs page faults):
        the scrubbed environment, no-new-privileges, and signal dispositions (no handlers;
        SIGPIPE and SIGXFSZ ignored, so an oversized write raises instead of killing).
        """
        os.setsid()
        # fd 3 is /dev/null (the zygote keeps it there); the channels were received above it.
        os.dup2(3, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.dup2(res_fd, 3, inheritable=False)  # neither is passed to programs the student executes
        os.dup2(done_fd, 4, inheritable=False)
        os.set_blocking(4, False)  # a student who fills the pipe only loses the early wake-up
        os.closerange(5, 1 << 20)
        cfg, limits = self.cfg, self.cfg["limits"]
        if cfg["user_ns"]:
            drop_capabilities()
        elif cfg["uid"] >= 0:
            drop_to(cfg["uid"])
        prctl(_PR_SET_DUMPABLE, 1)  # its own /proc/self as usual (the uid change cleared it)
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it
        if os.getppid() != self.parent:  # the zygote died before that: do not run unwatched
            os._exit(0)
        os.chdir(self.workdir)
        for name, content in self.files:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                write_all(fd, content)
            finally:
                os.close(fd)
        cpu = max(1, math.ceil(limits["cpu_time"]))
        for kind, value in ((resource.RLIMIT_CPU, (cpu, cpu + 1)),
                            (resource.RLIMIT_AS, (limits["address_space"],) * 2),
                            (resource.RLIMIT_NPROC, (limits["nproc"],) * 2),
                            (resource.RLIMIT_FSIZE, (FILE_SIZE_LIMIT,) * 2),
                            (resource.RLIMIT_CORE, (0, 0)),
                            (resource.RLIMIT_NOFILE, (OPEN_FILES_LIMIT,) * 2)):
            resource.setrlimit(kind, value)
        python_files = [name for name, _ in self.files if name.endswith(".py")]
        sys.argv = [python_files[0] if python_files else ""]
        sys.path[:] = [self.workdir] + [entry for entry in sys.path if entry not in ("", ".")]
        if self.reseed:
            random.seed(0)  # os.fork's after-fork hook reseeded it from the OS
        own = frozenset(name[:-3] for name in python_files)
        student_files = frozenset(os.path.join(self.workdir, name) for name in python_files)
        install_import_guard(cfg["allowed"], own, student_files, cfg["listing"])

    def _load(self, paths: frozenset[str]) -> dict[str, Any] | None:
        """Execute the .py files, in name order, into one module; send the load record."""
        module = types.ModuleType("submission")
        sys.modules["submission"] = module
        namespace = module.__dict__
        problems: list[str] = []
        try:
            for name, content in sorted(self.files):
                if not name.endswith(".py"):
                    continue
                path = os.path.join(self.workdir, name)
                namespace["__file__"] = path
                cells = split_cells(content)
                if cells is None:
                    _execute(content, path, namespace)
                    continue
                for label, first, source in cells:  # a notebook: one failing cell costs only itself
                    try:
                        _execute("\n" * first + source, path, namespace)
                    except BaseException as exc:
                        problems.append(describe_cell_error(label, first, exc, path))
        except BaseException as exc:
            self._send(KIND_LOAD, "error", 0, describe_load_error(exc, paths))
            return None
        note = "; ".join(problems) + "; the other cells were still run" if problems else ""
        self._send(KIND_LOAD, "ok", 0, one_line(note))
        return namespace

    def _call(self, namespace: dict[str, Any], index: int, paths: frozenset[str]) -> tuple[str, str, np.ndarray | None]:
        """Run one call: (status, message, value)."""
        name, shared = self.calls[index]
        try:
            function = namespace.get(name)
            if function is None:
                return "error", f"no function named `{name}` in your files", None
            if not callable(function):
                return "error", f"`{name}` in your files is a {type_name(type(function))}, not a function", None
            value = function(*[arg.copy() if type(arg) is np.ndarray else arg for arg in shared])
            # (A process the student forked that gets here is stopped by _send, before it writes.)
            try:
                return "ok", "", result_array(value)
            except Refused as refused:
                return "invalid", one_line(str(refused)), None
        except BaseException as exc:
            return "error", describe_call_error(exc, paths), None


# ---------------------------------------------------------------------------------------------
# The child's input and the zygote's report on it
# ---------------------------------------------------------------------------------------------

_MAX_REQUEST = 80 << 20


def read_request(fd: int) -> list[tuple[str, bytes]]:
    """(name, content) of each file in the request memory file the grader filled."""
    size = os.fstat(fd).st_size
    if size > _MAX_REQUEST:
        raise ProtocolError("request too large")
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, size - offset, offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    meta, data = split_frame(b"".join(chunks))
    files = []
    for entry in meta.get("files", ()):
        name, start, length = entry.get("name"), entry.get("offset"), entry.get("length")
        if not (isinstance(name, str) and type(start) is int and type(length) is int
                and 0 <= start <= start + length <= len(data)):
            raise ProtocolError("bad file entry")
        files.append((name, data[start : start + length]))
    return files


def _report(fd: int, kind: int, value: int, message: str = "") -> None:
    """Write how the child ended to its status memory file (the grader reads it)."""
    try:
        os.pwrite(fd, STATUS.pack(STATUS_MAGIC, kind, value) + message.encode("utf-8", "replace")[:1000], 0)
    except OSError:
        pass


def _start_init(program: str) -> None:
    """Start PID 1 of a new PID namespace: not the student's code (PID 1 ignores the signals it
    has no handler for, so kill(getppid()), SIGXCPU or a self-SIGTERM would change meaning
    there). When the zygote kills it, the kernel kills every process left in the namespace.

    ``program`` (``sleep``) is executed with vfork semantics, which costs a tenth of forking this
    warm process; it holds nothing and leaves the processes orphaned to it unreaped, as zombies,
    until the submission ends. Without it, a forked reaper does the job."""
    if program:
        try:
            os.posix_spawn(program, [program, "2147483647"], {}, setsid=True)
            return
        except OSError:
            pass
    if fork() == 0:
        _init_main()


def _init_main() -> NoReturn:
    """A forked PID 1 that reaps the processes orphaned to it, and nothing else."""
    signal.set_wakeup_fd(-1)
    os.closerange(0, 1 << 20)
    set_process_name(b"grader-init")
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGCHLD})
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass
        signal.sigwait({signal.SIGCHLD})


# ---------------------------------------------------------------------------------------------
# The zygote: trusted, warm, and nearly idle; it forks an init per submission and reaps it
# ---------------------------------------------------------------------------------------------
#
# Whatever a process writes after it forks costs a copy-on-write page fault, so the zygote does as
# little as possible per submission; the grader process (which never forks) does the timing and
# reads the child's result and output files. The zygote reaps the init only after FINISH, so
# until then its pid cannot be reused and the grader may signal it safely.

BOOT = (
    "import importlib.util, json, os, sys\n"
    "sock_fd, config_fd = int(sys.argv[1]), int(sys.argv[2])\n"
    "config = json.loads(os.pread(config_fd, os.fstat(config_fd).st_size, 0))\n"
    "os.close(config_fd)\n"
    f"spec = importlib.util.spec_from_file_location({BOOT_NAME!r}, config['module'])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module.main(sock_fd, config)\n"
)

#: Submodules worth importing in the zygote when a package is offered, so that no child pays for
#: them (matplotlib.pyplot would also build a font cache in each child's empty home).
WARM_SUBMODULES = {"matplotlib": ("matplotlib.pyplot",), "scipy": ("scipy.linalg", "scipy.optimize")}


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    """Exactly ``size`` bytes from a blocking socket; None at end of stream."""
    buffer = bytearray()
    while len(buffer) < size:
        chunk = sock.recv(min(size - len(buffer), 1 << 16))
        if not chunk:
            return None
        buffer += chunk
    return bytes(buffer)


def _recv_command(sock: socket.socket) -> tuple[int, int, int, list[int]] | None:
    """(command, start, body length, fds) of the grader's next command; None when it has gone."""
    # Close-on-exec at once: the submission's init is a program the zygote executes.
    head, fds, _, _ = socket.recv_fds(sock, COMMAND.size, 5, getattr(socket, "MSG_CMSG_CLOEXEC", 0))
    if not head:
        return None
    rest = _recv_exact(sock, COMMAND.size - len(head)) if len(head) < COMMAND.size else b""
    if rest is None:
        return None
    magic, command, start, length = COMMAND.unpack(head + rest)
    if magic != COMMAND_MAGIC or command not in (RUN, FINISH, CALLS):
        raise ProtocolError("bad command")
    return command, start, length, fds


def _children_of(ppid: int) -> list[int]:
    """Pids whose parent is ``ppid``, read from /proc."""
    children = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except (OSError, IndexError):
                continue
            if len(fields) > 1 and int(fields[1]) == ppid:
                children.append(int(entry))
    return children


def _reap_descendants(timeout: float = 2.0) -> None:
    """Without namespaces: kill and reap every remaining descendant of this (subreaper)
    process, within a bound. (A PID namespace makes this unnecessary: its init's end is theirs.)"""
    end = time.monotonic() + timeout
    while True:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            return
        if time.monotonic() > end:
            return
        for pid in _children_of(os.getpid()):
            try:
                os.kill(pid, signal.SIGKILL)  # our child, not yet reaped: the pid cannot be reused
            except OSError:
                pass
        time.sleep(0.002)


def _sweep_uid(uid: int) -> None:
    """Kill every process of ``uid``, e.g. left behind by a zygote that died (without namespaces)."""
    pid = os.fork()
    if pid == 0:
        try:
            drop_to(uid)
            if os.getuid() == uid != 0:  # kill(-1) as root would kill the machine
                os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _high_fd(fd: int) -> int:
    """``fd`` moved to 10 or above (close-on-exec), so fds 0-9 stay free for the children."""
    moved = fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10)
    os.close(fd)
    return moved


def _preload(names: list[str]) -> None:
    for name in names:
        for module in (name, *WARM_SUBMODULES.get(name, ())):
            try:
                importlib.import_module(module)
            except Exception:
                pass  # simply not offered to students


def main(sock_fd: int, cfg: dict[str, Any]) -> NoReturn:
    """The zygote: set up once, then fork an init per RUN and reap it at FINISH, until the
    grader goes away."""
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != cfg["parent"]:
        os._exit(0)
    sock = socket.socket(fileno=_high_fd(sock_fd))
    os.closerange(3, 10)
    null = os.open(os.devnull, os.O_RDWR)  # fd 3, which every child turns into its stdin
    if null != 3:
        os.dup2(null, 3, inheritable=False)
        os.close(null)
    cgroup_fds = [_high_fd(os.open(path, os.O_WRONLY | os.O_CLOEXEC)) for path in cfg["cgroups"]]
    if cfg["oom_protected"]:  # the memory cgroup's OOM killer should pick a student's process
        try:
            _write_text("/proc/self/oom_score_adj", "-1000")
        except OSError:
            cfg["oom_protected"] = False  # e.g. a container that may not lower it
    namespaces = cfg["namespaces"]
    if namespaces:
        enter_worker_namespaces(cfg["user_ns"], cfg["init"])
    _with_numpy()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when we stop
    set_process_name(b"grader-zygote")
    if not namespaces:
        prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of the student's processes come to us
        if cfg["uid"] >= 0:
            _sweep_uid(cfg["uid"])
    _preload(cfg["preload"])
    # Into the worker's cgroups now, so that every process forked from here is born in them
    # (moving a process costs an RCU grace period); what the imports above used stays outside.
    for fd in cgroup_fds:
        os.write(fd, b"0")
        os.close(fd)
    with open("/proc/self/statm", "rb") as handle:  # the address space every child starts with
        inherited = int(handle.read().split()[0]) * resource.getpagesize()
    cfg["limits"]["address_space"] = cfg["limits"]["memory_bytes"] + inherited
    global _raw_fork
    _raw_fork = single_threaded()
    cfg["allowed"] = frozenset(sys.stdlib_module_names) | {"numpy", *cfg["modules"]}
    cfg["listing"] = ", ".join(["the standard library", "numpy", *cfg["modules"]])
    own_namespaces: list[tuple[int, int]] = []
    cfg["scratch"] = scratch_folders(cfg["plan"]) if namespaces else SCRATCH
    if namespaces:
        build_root(cfg["root"], cfg["plan"])
        for name, kind in (("mnt", CLONE_NEWNS), ("ipc", CLONE_NEWIPC), ("uts", CLONE_NEWUTS), ("pid", CLONE_NEWPID)):
            own_namespaces.append((_high_fd(os.open(f"/proc/self/ns/{name}", os.O_RDONLY | os.O_CLOEXEC)), kind))
        prctl(_PR_SET_DUMPABLE, 0)  # no process of a submission may read or trace an init
        sys.path[:] = [entry for entry in sys.path if entry and os.path.exists(entry)]
    # Made once here rather than in every child: fresh text streams on fds 0-2 (which each child
    # points at its own files), the same random seeds in every child (so results do not depend on
    # which zygote ran a submission), the child's whole environment, and no-new-privileges
    # (set-uid programs such as su or sudo gain nothing).
    sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    random.seed(0)
    np.random.seed(0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    home = WORKDIR if namespaces else cfg["workdir"]
    os.environ.clear()
    temporary = "/tmp" if "/tmp" in cfg["scratch"] else WORKDIR  # /tmp holds the Python itself
    os.environ.update(child_env(home, temporary if namespaces else home))
    tempfile.tempdir = os.environ["TMPDIR"]
    prctl(_PR_SET_NO_NEW_PRIVS, 1)
    libc()
    gc.collect()
    gc.freeze()  # keeps the collector from touching (and copying) inherited pages in every child
    _trim_heap()
    try:
        _serve(sock, cfg, own_namespaces)
    except (OSError, ProtocolError):
        pass
    os._exit(0)


class _Current:
    """The submission the zygote is running: its child, and where to say how the child ended."""

    def __init__(self, pid: int, status: int, done: int) -> None:
        self.pid, self.status, self.done = pid, status, done

    def ended(self, wait_status: int) -> None:
        _report(self.status, CHILD_ENDED, wait_status)
        try:
            os.write(self.done, b"x")
        except OSError:
            pass
        self.close()

    def close(self) -> None:
        for fd in (self.status, self.done):
            if fd >= 0:
                os.close(fd)
        self.pid = self.status = self.done = -1


def _serve(sock: socket.socket, cfg: dict[str, Any], own_namespaces: list[tuple[int, int]]) -> None:
    """Start a submission per RUN, report how each child ended as soon as it does, and end each
    submission at FINISH.

    With namespaces, the next submission's empty world (namespaces, tmpfs, init) is made right
    after FINISH, while the grader reads the results, so that a RUN only forks the child. The
    zygote waits inside those namespaces (they hold nothing of anyone) and leaves them once the
    child is forked; the init then holds them."""
    namespaces = cfg["namespaces"]
    calls: list[tuple[str, tuple[Any, ...]]] = []
    current = _Current(-1, -1, -1)
    wake_read, wake_write = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_write, warn_on_full_buffer=False)
    signal.signal(signal.SIGCHLD, lambda *_: None)  # a handler, so that the wake-up fd is written
    prepared = _prepare(cfg, own_namespaces) if namespaces else ""
    sock.sendall(REPLY.pack(REPLY_MAGIC, READY, int(namespaces)))
    while True:
        ready = select.select([sock, wake_read], [], [])[0]
        if wake_read in ready:
            try:
                while os.read(wake_read, 512):
                    pass
            except BlockingIOError:
                pass
            _reap(current)
        if sock not in ready:
            continue
        command = _recv_command(sock)
        if command is None:
            break
        kind, start, length, fds = command
        if kind == CALLS and not fds:
            body = _recv_exact(sock, length)
            if body is None:
                break
            calls = decode_calls(body)  # once here, so that no child parses them again
            del body
            gc.collect()
            gc.freeze()
            _trim_heap()
            sock.sendall(REPLY.pack(REPLY_MAGIC, CALLS_OK, len(calls)))
        elif kind == RUN and len(fds) == 5 and current.pid < 0:
            current = _start(cfg, calls, start, fds, own_namespaces, prepared)
        elif kind == FINISH and not fds:
            if namespaces:
                # As PID 1 of the worker's PID namespace: every other process in it, those of the
                # submission's namespace included, dies now; they are reaped as they go.
                try:
                    os.kill(-1, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            elif current.pid > 0:
                kill_group(current.pid)
                _reap_descendants()  # the student's processes that left the child's group
                remove_tree(cfg["workdir"])
            _reap(current)
            current.close()
            if namespaces:
                prepared = _prepare(cfg, own_namespaces)
        else:
            break


def _reap(current: _Current) -> None:
    """Reap every dead child; report the submission's child's end."""
    while True:
        try:
            pid, wait_status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid == current.pid:
            current.ended(wait_status)


def _leave(own_namespaces: list[tuple[int, int]]) -> None:
    """Back to the worker's own namespaces."""
    for fd, kind in own_namespaces:
        setns(fd, kind)


def _prepare(cfg: dict[str, Any], own_namespaces: list[tuple[int, int]]) -> str:
    """Enter a fresh submission's namespaces and start its init; "" when that worked, else why
    not (the next RUN then tries again)."""
    try:
        enter_submission_namespaces(max(cfg["uid"], 0), cfg["limits"]["disk_bytes"], cfg["scratch"])
        _start_init(cfg["init"])
        return ""
    except OSError as exc:
        _leave(own_namespaces)
        return str(exc) or "error"


def _start(cfg: dict[str, Any], calls: list[tuple[str, tuple[Any, ...]]], start: int, fds: list[int],
           own_namespaces: list[tuple[int, int]], prepared: str) -> _Current:
    """Fork the submission's child, straight from this warm process, which never reads the
    student's files (the child does). Under namespaces it is PID 2 of the prepared world. A fork
    that fails for want of processes (the last submission's are still dying) is tried again in a
    fresh world; any other failure becomes the submission's result, not the zygote's end."""
    request, res, out, status, done = fds
    zygote_pid = os.getpid()
    namespaces = cfg["namespaces"]
    pid = -1
    problem = prepared
    for _ in range(200):  # a second at most
        if not problem:
            try:
                pid = fork()
            except OSError as exc:
                problem = str(exc)
                retry = exc.errno in (errno.EAGAIN, errno.ENOMEM)
            else:
                if pid == 0:
                    code = EXIT_INTERNAL
                    try:
                        parent = 0 if namespaces else zygote_pid  # outside its PID namespace: 0
                        code = Child(cfg, calls, start, parent).run(request, res, out, done)
                    finally:  # never return into the zygote's loop
                        os._exit(code)
                break
            if not retry:
                break
        if not namespaces:
            _reap(_Current(-1, -1, -1))
            time.sleep(0.005)
            problem = ""
            continue
        _leave(own_namespaces)
        try:
            os.kill(-1, signal.SIGKILL)  # the prepared init, so that it is not left behind
        except ProcessLookupError:
            pass
        _reap(_Current(-1, -1, -1))
        time.sleep(0.005)
        problem = _prepare(cfg, own_namespaces)
    if namespaces and not problem:
        _leave(own_namespaces)  # the init holds the submission's namespaces from now on
    for fd in (request, res, out):
        os.close(fd)
    if pid < 0:
        _report(status, SETUP_FAILED, 0, one_line(f"sandbox setup failed: {problem}"))
        os.write(done, b"x")
        os.close(status)
        os.close(done)
        return _Current(-1, -1, -1)
    return _Current(pid, status, done)


def _trim_heap() -> None:
    """Give free heap memory back to the system (malloc_trim): every page still mapped costs
    each fork a page-table entry to copy and each child's exit one to tear down."""
    try:
        libc().malloc_trim(0)
    except (OSError, AttributeError):
        pass
