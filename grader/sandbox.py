"""Run untrusted student Python code in separate, limited OS processes (Linux first).

Three kinds of process take part (docs/sandbox.md explains the design for instructors):

* the **grader** process, which calls :class:`SandboxPool`; it never imports, evals or unpickles
  anything of the student's;
* one **zygote** per job slot: a trusted Python process started once per pool with numpy imported,
  which receives one submission at a time over a pipe and forks a fresh child for it;
* the **child**: its own session, rlimits, an empty working folder, a scrubbed environment, no
  inherited file descriptors, and (when the grader runs as root) a dedicated unprivileged uid.
  It loads the student's files, runs the calls and sends back plain float64 arrays.

Everything crossing a process boundary is a *frame*: a fixed header, a small JSON object and raw
bytes; arrays are described by dtype, shape and offset and checked before use. The zygote times
each call and kills the child's process group when a limit is hit; if a child dies part-way, the
remaining calls are re-run in a fresh child while the submission's wall time lasts.
"""

from __future__ import annotations

import ctypes
import fcntl
import gc
import importlib
import json
import math
import os
import pwd
import queue
import random
import resource
import select
import signal
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import types
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

__all__ = ["Limits", "Call", "CallResult", "SubmissionRun", "run_submission", "SandboxPool"]


# ---------------------------------------------------------------------------------------------
# Public types
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Limits:
    """What one submission may use; times in seconds, sizes in bytes."""

    wall_time: float = 10.0
    call_time: float = 2.0
    cpu_time: float = 10.0
    memory_bytes: int = 1 << 30
    processes: int = 16
    output_bytes: int = 10_000

    def __post_init__(self) -> None:
        for name in ("wall_time", "call_time", "cpu_time"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"Limits.{name} must be a positive number, not {value!r}")
        for name in ("memory_bytes", "processes", "output_bytes"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, not {value!r}")


@dataclass(frozen=True)
class Call:
    """One call of a top-level student function; args are floats, ints or float64 arrays."""

    function: str
    args: tuple = ()

    def __post_init__(self) -> None:
        if not isinstance(self.function, str) or not self.function.isidentifier():
            raise ValueError(f"Call.function must be a Python identifier, not {self.function!r}")
        object.__setattr__(self, "args", tuple(self.args))


@dataclass(frozen=True)
class CallResult:
    """The outcome of one call: status ok/error/timeout/invalid, a value when ok, a one-line reason."""

    status: str
    value: np.ndarray | None
    message: str = ""

    def __eq__(self, other: object) -> bool:
        # Arrays make the generated __eq__ ambiguous; compare them exactly (same shape and values).
        if not isinstance(other, CallResult):
            return NotImplemented
        if (self.status, self.message) != (other.status, other.message):
            return False
        if self.value is None or other.value is None:
            return self.value is None and other.value is None
        return self.value.shape == other.value.shape and bool(np.array_equal(self.value, other.value))

    def __hash__(self) -> int:
        value = None if self.value is None else (self.value.shape, self.value.tobytes())
        return hash((self.status, self.message, value))


@dataclass(frozen=True)
class SubmissionRun:
    """Everything one submission produced: did it load, one result per call, its captured output."""

    load_status: str
    load_message: str
    results: tuple[CallResult, ...]
    output: str


# ---------------------------------------------------------------------------------------------
# Settings that are not per-submission limits
# ---------------------------------------------------------------------------------------------

#: Uids the children run as when the grader is root: one per job slot, claimed with a lock file so
#: that concurrent pools on one machine never share one. Not "nobody": the zygote kills every
#: process of its uid when it starts, and RLIMIT_NPROC counts per uid, so a uid must belong to one
#: slot only. 65520-65533 lie outside both Debian's and systemd's allocated ranges and inside the
#: 16-bit range that container user namespaces map; uids present in the passwd database are skipped.
SANDBOX_UIDS: tuple[int, ...] = tuple(range(65520, 65534))

#: Modules the zygote imports before forking. A child runs as another user and may be unable to
#: read the Python installation (e.g. one under /root), so these are the modules a student can be
#: sure to import; add to this tuple before creating a pool (e.g. "scipy") to offer more.
PRELOAD_MODULES: tuple[str, ...] = (
    "numpy", "numpy.random", "numpy.linalg", "numpy.fft", "numpy.polynomial",
    "math", "cmath", "random", "statistics", "itertools", "functools", "operator", "collections",
    "collections.abc", "heapq", "bisect", "copy", "dataclasses", "typing", "enum", "fractions",
    "decimal", "numbers", "re", "string", "json", "time", "datetime", "warnings", "contextlib",
    "array", "struct", "io", "os", "subprocess", "threading", "textwrap", "pprint", "linecache",
    "traceback", "tokenize", "pickle", "csv", "encodings.latin_1", "encodings.ascii",
)  # fmt: skip

_FILE_SIZE_LIMIT = 8 << 20  # RLIMIT_FSIZE: largest file the student's code may write
_OPEN_FILES_LIMIT = 256  # RLIMIT_NOFILE
_MAX_FILE_BYTES = 16 << 20  # largest submitted file the parent passes on
_MAX_VALUE_BYTES = 16 << 20  # largest array one call may return (2 Mi float64)
_MAX_NDIM = 8
_MAX_MESSAGE = 300  # characters in a one-line message
_CHILD_META_LIMIT = 64 << 10  # JSON part of a frame from the child
_RESPONSE_LIMIT = 1 << 31
_EXIT_GRACE = 1.0  # seconds a child may take to exit after its last result
_CLEANUP_TIMEOUT = 2.0  # seconds spent killing and reaping a submission's leftover processes
_WATCHDOG_GRACE = 10.0  # extra seconds the parent waits for a zygote before declaring it hung
_READY_TIMEOUT = 60.0  # seconds a new zygote may take to import numpy
_CHILD_PATH = "/usr/local/bin:/usr/bin:/bin"
_EXIT_CHANNEL = 197  # child exit code: the result channel could not be written
_EXIT_INTERNAL = 198  # child exit code: the sandbox's own code failed in the child

_PR_SET_PDEATHSIG = 1
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38

_CALL_STATUSES = ("ok", "error", "timeout", "invalid")
_LOAD_STATUSES = ("ok", "error", "timeout")


# ---------------------------------------------------------------------------------------------
# Frames: the only format that crosses a process boundary
# ---------------------------------------------------------------------------------------------

_MAGIC = b"GSB1"
_HEADER = struct.Struct("<4sIQ")  # magic, JSON length, data length


class _ProtocolError(Exception):
    """A frame or its contents broke the format; the sender is not trusted any further."""


def _encode_frame(meta: dict[str, Any], data: bytes = b"") -> bytes:
    """One frame: header, JSON metadata, raw data."""
    text = json.dumps(meta, separators=(",", ":")).encode()
    return _HEADER.pack(_MAGIC, len(text), len(data)) + text + data


class _FrameBuffer:
    """Cuts a byte stream into frames, refusing any frame beyond its size bounds."""

    def __init__(self, max_meta: int, max_data: int) -> None:
        self._buffer = bytearray()
        self._frames: deque[tuple[dict[str, Any], bytes]] = deque()
        self._max_meta = max_meta
        self._max_data = max_data

    def feed(self, chunk: bytes) -> None:
        """Add bytes; complete frames become available from pop()."""
        self._buffer += chunk
        while len(self._buffer) >= _HEADER.size:
            magic, meta_len, data_len = _HEADER.unpack_from(self._buffer)
            if magic != _MAGIC or meta_len > self._max_meta or data_len > self._max_data:
                raise _ProtocolError("bad frame header")
            end = _HEADER.size + meta_len + data_len
            if len(self._buffer) < end:
                return
            meta = _parse_meta(bytes(self._buffer[_HEADER.size : _HEADER.size + meta_len]))
            data = bytes(self._buffer[_HEADER.size + meta_len : end])
            del self._buffer[:end]
            self._frames.append((meta, data))

    def pop(self) -> tuple[dict[str, Any], bytes] | None:
        """The oldest complete frame, or None."""
        return self._frames.popleft() if self._frames else None


def _parse_meta(raw: bytes) -> dict[str, Any]:
    """The JSON object of a frame; anything else is a protocol error."""
    try:
        meta = json.loads(raw.decode("utf-8"))
    except Exception as exc:  # malformed text, deep nesting, huge numbers: all just refused
        raise _ProtocolError(f"bad frame metadata ({type(exc).__name__})") from None
    if not isinstance(meta, dict):
        raise _ProtocolError("frame metadata is not an object")
    return meta


def _array_desc(array: np.ndarray, offset: int) -> dict[str, Any]:
    """The header that describes a float64 array stored at ``offset`` of a frame's data."""
    return {"dtype": "<f8", "shape": list(array.shape), "offset": offset}


def _decode_array(desc: Any, data: bytes, max_bytes: int = _MAX_VALUE_BYTES) -> np.ndarray:
    """Check an array header against the data and copy the array out; refuse anything odd."""
    if not isinstance(desc, dict) or set(desc) != {"dtype", "shape", "offset"}:
        raise _ProtocolError("bad array header")
    if desc["dtype"] != "<f8":
        raise _ProtocolError("array dtype is not float64")
    shape, offset = desc["shape"], desc["offset"]
    if not isinstance(shape, list) or len(shape) > _MAX_NDIM:
        raise _ProtocolError("bad array shape")
    count = 1
    for dim in shape:
        if type(dim) is not int or dim < 0:
            raise _ProtocolError("bad array shape")
        count *= dim
    if type(offset) is not int or offset < 0 or count * 8 > max_bytes:
        raise _ProtocolError("bad array size or offset")
    if offset + count * 8 > len(data):
        raise _ProtocolError("array data is shorter than its header says")
    if count == 0:
        return np.zeros(shape, dtype=np.float64)
    flat = np.frombuffer(data, dtype="<f8", count=count, offset=offset)
    return flat.astype(np.float64).reshape(shape)


def _one_line(text: Any, limit: int = _MAX_MESSAGE) -> str:
    """A message fit for one line of feedback."""
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte to a blocking fd."""
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_some(fd: int) -> bytes | None:
    """Read what a non-blocking fd has: b"" at end of file, None when nothing is there yet."""
    try:
        return os.read(fd, 1 << 16)
    except BlockingIOError:
        return None


# ---------------------------------------------------------------------------------------------
# Small OS helpers
# ---------------------------------------------------------------------------------------------

_libc: Any = None


def _prctl(option: int, value: int) -> bool:
    """prctl(2) where it exists (Linux); False elsewhere or on failure."""
    global _libc
    try:
        if _libc is None:
            _libc = ctypes.CDLL(None, use_errno=True)
        args = [ctypes.c_ulong(v) for v in (value, 0, 0, 0)]
        return _libc.prctl(ctypes.c_int(option), *args) == 0
    except (OSError, AttributeError):
        return False


def _kill_group(pid: int) -> None:
    """SIGKILL a child and its process group; only call this before the child is reaped."""
    for kill in (os.killpg, os.kill):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _children_of(ppid: int) -> list[int]:
    """Pids whose parent is ``ppid``, read from /proc."""
    children = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if len(fields) > 1 and int(fields[1]) == ppid:
            children.append(int(entry))
    return children


def _reap_descendants() -> None:
    """Kill and reap every remaining descendant of this (subreaper) process, within a bound.

    Orphans of the student's processes are re-parented to the zygote, so "no child left" means
    nothing the submission started is still alive and counting against RLIMIT_NPROC.
    """
    end = time.monotonic() + _CLEANUP_TIMEOUT
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


def _drop_to(uid: int) -> None:
    """Become ``uid`` (group ``uid``, no supplementary groups) for good; raise if that failed."""
    os.setgroups([])
    os.setgid(uid)
    os.setuid(uid)
    if {os.getuid(), os.geteuid(), os.getgid(), os.getegid()} != {uid} or os.getgroups():
        raise PermissionError(f"could not drop privileges to uid {uid}")


def _sweep_uid(uid: int) -> None:
    """Kill every process of ``uid``, e.g. left behind by a zygote that died."""
    pid = os.fork()
    if pid == 0:
        try:
            _drop_to(uid)
            if os.getuid() == uid != 0:  # kill(-1) as root would kill the machine
                os.kill(-1, signal.SIGKILL)
        finally:
            os._exit(0)
    os.waitpid(pid, 0)


def _remove_tree(path: str) -> None:
    """Remove a folder the student may have made unreadable; never follows symlinks."""
    if not os.path.lexists(path):
        return

    def retry(function: Any, failed: str, _exc: Any) -> None:
        try:
            parent = os.path.dirname(failed)
            os.chmod(parent, stat.S_IRWXU)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, stat.S_IRWXU)
            function(failed)
        except OSError:
            pass

    import shutil

    shutil.rmtree(path, onerror=retry)
    if os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return f"signal {number}"


# ---------------------------------------------------------------------------------------------
# The child: runs the student's code
# ---------------------------------------------------------------------------------------------

_SCALAR_TYPES = frozenset(
    {float, int, np.float16, np.float32, np.float64, np.longdouble}
    | {np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint16, np.uint32, np.uint64}
)


class _Refused(Exception):
    """A returned value that is not plain finite numeric data; the message is for the student."""


def _type_name(kind: type) -> str:
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
        if depth >= _MAX_NDIM:
            raise _Refused(f"returned a {_type_name(kind)} nested too deeply")
        items = list(value)
        budget[0] -= len(items)
        if budget[0] < 0:
            raise _Refused("returned too many values")
        return [_plain_numbers(item, depth + 1, budget) for item in items]
    if kind in _SCALAR_TYPES:
        return _float(value)
    if kind is np.ndarray:
        array = _numeric_array(value)
        budget[0] -= array.size
        if budget[0] < 0:
            raise _Refused("returned too many values")
        return array
    raise _Refused(f"returned a list containing a {_type_name(kind)}, expected numbers")


def _float(value: Any) -> float:
    try:
        return float(value)
    except OverflowError:
        raise _Refused("returned a number too large for float64") from None


def _numeric_array(value: np.ndarray) -> np.ndarray:
    """A plain ndarray of ints or floats as float64."""
    kind = value.dtype.kind
    if kind == "b":
        raise _Refused("returned a bool array, expected numbers")
    if kind == "c":
        raise _Refused("returned complex values, expected real numbers")
    if kind not in "fiu":
        raise _Refused(f"returned an array of {value.dtype}, expected numbers")
    if value.size * 8 > _MAX_VALUE_BYTES or value.ndim > _MAX_NDIM:
        raise _Refused("returned an array that is too large")
    return value.astype(np.float64)


def _result_array(value: Any) -> np.ndarray:
    """The student's return value as a finite float64 array, or _Refused.

    Only exact built-in and numpy types are accepted, so no method of a student-defined object
    (``__eq__``, ``__array__``, ``__float__``, ...) is ever called while checking.
    """
    kind = type(value)
    if value is None:
        raise _Refused("returned None, expected a number or a numeric array (missing return?)")
    if kind is bool or kind is np.bool_:
        raise _Refused("returned a bool, expected a number or a numeric array")
    if kind in _SCALAR_TYPES:
        array = np.asarray(_float(value), dtype=np.float64)
    elif kind is np.ndarray:
        array = _numeric_array(value)
    elif kind in (list, tuple):
        nested = _plain_numbers(value, 0, [_MAX_VALUE_BYTES // 8])
        try:
            array = np.array(nested, dtype=np.float64)
        except ValueError:
            raise _Refused(f"returned a ragged {_type_name(kind)}, expected a rectangular array") from None
        if array.nbytes > _MAX_VALUE_BYTES or array.ndim > _MAX_NDIM:
            raise _Refused("returned an array that is too large")
    elif issubclass(kind, np.ndarray):
        raise _Refused(f"returned a {_type_name(kind)} (an ndarray subclass), expected a plain numpy array")
    elif kind in (complex, np.complex64, np.complex128):
        raise _Refused("returned a complex number, expected a real number")
    else:
        raise _Refused(f"returned a {_type_name(kind)}, expected a number or a numeric array")
    if not np.isfinite(array).all():
        raise _Refused("returned non-finite values (nan or inf)")
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
    name = _type_name(type(exc))
    if isinstance(exc, MemoryError):
        return "memory limit exceeded"
    if isinstance(exc, SystemExit):
        code = exc.code if type(exc.code) is int else None
        return f"SystemExit: your code called sys.exit({'' if code is None else code})"
    try:
        message = str(exc)
    except BaseException:
        message = "(its message could not be read)"
    return f"{name}: {message}" if message else name


def _describe_load_error(exc: BaseException, paths: frozenset[str]) -> str:
    """E.g. "SyntaxError in student.py line 3: invalid syntax"."""
    try:
        name = _type_name(type(exc))
        if isinstance(exc, SyntaxError):
            where = f" in {os.path.basename(str(exc.filename))} line {exc.lineno}" if exc.filename else ""
            return _one_line(f"{name}{where}: {exc.msg}")
        text = _exception_text(exc)
        location = _student_location(exc.__traceback__, paths)
        if location is None:
            return _one_line(text)
        prefix, _, message = text.partition(": ")
        where = f" in {location[0]} line {location[1]}"
        return _one_line(f"{prefix}{where}: {message}" if message else f"{prefix}{where}")
    except BaseException:
        return "your files raised an exception while loading"


def _describe_call_error(exc: BaseException, paths: frozenset[str]) -> str:
    """E.g. "ZeroDivisionError: division by zero (student.py line 4)"."""
    try:
        text = _exception_text(exc)
        location = _student_location(exc.__traceback__, paths)
        if location is not None:
            text += f" ({location[0]} line {location[1]})"
        return _one_line(text)
    except BaseException:
        return "your function raised an exception"


def _decode_arg(spec: dict[str, Any], data: bytes) -> Any:
    """One call argument as the student's function receives it (a fresh, writable copy)."""
    if "int" in spec:
        return int(spec["int"])
    if "float" in spec:
        return float(spec["float"])
    return _decode_array(spec["array"], data, max_bytes=len(data))


class _Child:
    """What runs inside the forked child, from setting up the jail to its last result."""

    def __init__(self, job: _ZygoteJob, start: int) -> None:
        self.job = job
        self.start = start
        self.pid = 0

    def run(self, res_fd: int, out_fd: int) -> int:
        """Set up, load, call; returns the exit code."""
        self.pid = os.getpid()
        try:
            self._enter_jail(res_fd, out_fd)
        except BaseException as exc:
            self._send({"kind": "load", "status": "error", "message": _one_line(f"sandbox setup failed: {exc!r}")})
            return 0
        paths = frozenset(os.path.join(self.job.workdir, name) for name, _ in self.job.files)
        namespace = self._load(paths)
        if namespace is None:
            return 0
        for index in range(self.start, len(self.job.calls)):
            meta, data = self._call(namespace, index, paths)
            self._send(meta, data)
        _flush_stdio()
        return 0

    def _send(self, meta: dict[str, Any], data: bytes = b"") -> None:
        if os.getpid() != self.pid:  # a process the student forked, running on in our code
            os._exit(0)
        try:
            _write_all(3, _encode_frame(meta, data))
        except BaseException:
            os._exit(_EXIT_CHANNEL)

    def _enter_jail(self, res_fd: int, out_fd: int) -> None:
        """Own session, fds 0-3 only, dropped uid, empty folder, limits, scrubbed environment."""
        job = self.job
        os.setsid()
        null = os.open(os.devnull, os.O_RDWR)
        # Move the pipes above 3 first so the dup2 calls below cannot clobber each other.
        res_fd, out_fd, null = (fcntl.fcntl(fd, fcntl.F_DUPFD_CLOEXEC, 10) for fd in (res_fd, out_fd, null))
        os.dup2(null, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.dup2(res_fd, 3, inheritable=False)  # not passed to programs the student executes
        os.closerange(4, 1 << 20)
        for number in (signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD, signal.SIGALRM, signal.SIGUSR1):
            signal.signal(number, signal.SIG_DFL)
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # an oversized write raises instead of killing
        if job.uid >= 0:
            _drop_to(job.uid)
        _prctl(_PR_SET_NO_NEW_PRIVS, 1)  # set-uid programs such as su or sudo gain nothing
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it
        if os.getppid() != job.zygote_pid:
            os._exit(0)
        os.chdir(job.workdir)
        for name, content in job.files:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                _write_all(fd, content)
            finally:
                os.close(fd)
        limits = job.limits
        cpu = max(1, math.ceil(limits.cpu_time))
        for which, value in (
            (resource.RLIMIT_CPU, (cpu, cpu + 1)),
            (resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes)),
            (resource.RLIMIT_NPROC, (limits.processes, limits.processes)),
            (resource.RLIMIT_FSIZE, (_FILE_SIZE_LIMIT, _FILE_SIZE_LIMIT)),
            (resource.RLIMIT_CORE, (0, 0)),
            (resource.RLIMIT_NOFILE, (_OPEN_FILES_LIMIT, _OPEN_FILES_LIMIT)),
        ):
            resource.setrlimit(which, value)
        os.environ.clear()
        os.environ.update(
            PATH=_CHILD_PATH,
            LANG="C.UTF-8",
            HOME=job.workdir,
            TMPDIR=job.workdir,
            OMP_NUM_THREADS="1",
            OPENBLAS_NUM_THREADS="1",
            MKL_NUM_THREADS="1",
        )
        tempfile.tempdir = job.workdir
        python_files = [name for name, _ in job.files if name.endswith(".py")]
        sys.argv = [python_files[0] if python_files else ""]
        sys.path[:] = [job.workdir] + [entry for entry in sys.path if entry not in ("", ".")]

    def _load(self, paths: frozenset[str]) -> dict[str, Any] | None:
        """Execute the .py files, in name order, into one module; send the load frame."""
        module = types.ModuleType("submission")
        sys.modules["submission"] = module
        namespace = module.__dict__
        try:
            for name, content in sorted(self.job.files):
                if not name.endswith(".py"):
                    continue
                path = os.path.join(self.job.workdir, name)
                namespace["__file__"] = path
                exec(compile(content, path, "exec", dont_inherit=True), namespace)
        except BaseException as exc:
            message = _describe_load_error(exc, paths)
            _flush_stdio()
            self._send({"kind": "load", "status": "error", "message": message})
            return None
        _flush_stdio()
        self._send({"kind": "load", "status": "ok", "message": ""})
        return namespace

    def _call(self, namespace: dict[str, Any], index: int, paths: frozenset[str]) -> tuple[dict[str, Any], bytes]:
        """Run one call and turn what happened into a frame."""
        call = self.job.calls[index]
        name = call["function"]
        meta: dict[str, Any] = {"kind": "call", "index": index, "value": None}
        data = b""
        try:
            function = namespace.get(name)
            if function is None:
                meta.update(status="error", message=f"no function named `{name}` in your files")
            elif not callable(function):
                kind = _type_name(type(function))
                meta.update(status="error", message=f"`{name}` in your files is a {kind}, not a function")
            else:
                args = [_decode_arg(spec, self.job.data) for spec in call["args"]]
                value = function(*args)
                if os.getpid() != self.pid:
                    os._exit(0)
                try:
                    array = _result_array(value)
                except _Refused as refused:
                    meta.update(status="invalid", message=_one_line(str(refused)))
                else:
                    array = np.asarray(array, dtype="<f8", order="C")
                    meta.update(status="ok", message="", value=_array_desc(array, 0))
                    data = array.tobytes()
        except BaseException as exc:
            if os.getpid() != self.pid:
                os._exit(0)
            meta.update(status="error", message=_describe_call_error(exc, paths), value=None)
            data = b""
        _flush_stdio()
        return meta, data


def _flush_stdio() -> None:
    """Flush whatever the student's code has printed; it may have replaced or broken the streams."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _child_main(job: _ZygoteJob, start: int, res_fd: int, out_fd: int) -> NoReturn:
    """Entry point right after fork: never returns into the zygote's code."""
    code = _EXIT_INTERNAL
    try:
        code = _Child(job, start).run(res_fd, out_fd)
    except BaseException:
        pass
    os._exit(code)


# ---------------------------------------------------------------------------------------------
# The zygote: trusted, warm, forks one child per submission (and more if a child dies)
# ---------------------------------------------------------------------------------------------


class _ZygoteJob:
    """One submission inside the zygote: forks children, times them, collects their frames."""

    def __init__(self, meta: dict[str, Any], data: bytes, uid: int, workdir: str, out_fd: int) -> None:
        self.limits = Limits(**meta["limits"])
        self.files = [(f["name"], data[f["offset"] : f["offset"] + f["length"]]) for f in meta["files"]]
        self.calls: list[dict[str, Any]] = meta["calls"]
        self.data = data
        self.uid = uid
        self.workdir = workdir
        self.out_fd = out_fd
        self.zygote_pid = os.getpid()
        self.load: tuple[str, str] | None = None
        self.results: list[tuple[str, str, np.ndarray | None] | None] = [None] * len(self.calls)
        self.not_run: tuple[str, str] | None = None  # status and message for calls never reached
        self.output = bytearray()
        self.truncated = False
        self.deadline = 0.0

    def run(self) -> bytes:
        """Run every call (re-running the rest in a fresh child after a crash); the response frame."""
        self.deadline = time.monotonic() + self.limits.wall_time
        try:
            start = 0
            while True:
                start = self._run_child(start)
                if start >= len(self.calls) or self.not_run is not None:
                    break
                if time.monotonic() >= self.deadline:
                    wall = self.limits.wall_time
                    self.not_run = ("timeout", f"not run: the submission used up its time limit of {wall:g} s")
                    break
        finally:
            _remove_tree(self.workdir)
        return self._response()

    def _run_child(self, start: int) -> int:
        """Fork a child that loads the files and runs calls from ``start``; the next call to run."""
        # Every child starts in a fresh, empty folder of its own uid, whatever the last one left.
        _remove_tree(self.workdir)
        os.mkdir(self.workdir, 0o700)
        if self.uid >= 0:
            os.chown(self.workdir, self.uid, self.uid)
        res_r, res_w = os.pipe()
        out_r, out_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            _child_main(self, start, res_w, out_w)
        os.close(res_w)
        os.close(out_w)
        try:
            _write_all(self.out_fd, _encode_frame({"kind": "child", "pid": pid}))
            return self._watch(pid, start, res_r, out_r)
        finally:
            _kill_group(pid)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
            _reap_descendants()
            self._drain_output(out_r)
            os.close(res_r)
            os.close(out_r)

    def _watch(self, pid: int, start: int, res_r: int, out_r: int) -> int:
        """Read frames and output until the child exits or a deadline passes (the child is then
        left unreaped for _run_child to kill and reap); the next call to run."""
        for fd in (res_r, out_r):
            os.set_blocking(fd, False)
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None  # older kernels: poll instead
        frames = _FrameBuffer(_CHILD_META_LIMIT, _MAX_VALUE_BYTES)
        index, loaded, exiting = start, False, False
        phase_end = self.deadline
        per_call = False
        failure: tuple[str, str] | None = None
        exit_status: int | None = None
        open_fds = {res_r, out_r}
        try:
            while exit_status is None:
                remaining = phase_end - time.monotonic()
                if remaining <= 0:
                    if not exiting:
                        failure = self._timeout_reason(loaded, per_call)
                    break
                watch = list(open_fds) + ([pidfd] if pidfd is not None else [])
                wait = remaining if pidfd is not None else min(remaining, 0.01)
                ready = select.select(watch, [], [], wait)[0]
                if out_r in ready and not self._read_output(out_r):
                    open_fds.discard(out_r)
                if res_r in ready:
                    chunk = _read_some(res_r)
                    if chunk == b"":
                        open_fds.discard(res_r)
                    elif chunk:
                        try:
                            frames.feed(chunk)
                            while (frame := frames.pop()) is not None and not exiting:
                                index, loaded, exiting = self._accept(frame, index, loaded)
                                now = time.monotonic()
                                per_call = now + self.limits.call_time < self.deadline
                                phase_end = now + _EXIT_GRACE if exiting else min(now + self.limits.call_time, self.deadline)
                        except _ProtocolError:
                            failure = ("invalid", "sent malformed data on the grader's result channel")
                            break
                if pidfd is None or pidfd in ready:
                    try:
                        info = os.waitid(os.P_PID, pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
                    except ChildProcessError:
                        info = None
                    if info is not None:
                        exit_status = _wait_status(info)
            if exit_status is not None and failure is None and not exiting:
                # Frames written just before the child died are still in the pipe.
                try:
                    while (chunk := _read_some(res_r)) and not exiting:
                        frames.feed(chunk)
                        while (frame := frames.pop()) is not None and not exiting:
                            index, loaded, exiting = self._accept(frame, index, loaded)
                except _ProtocolError:
                    failure = ("invalid", "sent malformed data on the grader's result channel")
                if not exiting:
                    failure = _death_reason(exit_status, self.limits)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        return self._settle(index, loaded, exiting, failure)

    def _accept(self, frame: tuple[dict[str, Any], bytes], index: int, loaded: bool) -> tuple[int, bool, bool]:
        """Record one frame from the child; (next call index, loaded, child is done)."""
        meta, data = frame
        status, message = meta.get("status"), _one_line(meta.get("message"))
        if not loaded:
            if meta.get("kind") != "load" or status not in ("ok", "error"):
                raise _ProtocolError("expected the load frame")
            if status == "error":
                if self.load is None:
                    self.load = ("error", message)
                else:
                    self.not_run = ("error", _one_line(f"not run: your files failed to load again: {message}"))
                return index, False, True
            if self.load is None:
                self.load = ("ok", "")
            return index, True, index >= len(self.calls)
        if meta.get("kind") != "call" or meta.get("index") != index or status not in ("ok", "error", "invalid"):
            raise _ProtocolError("unexpected call frame")
        value = None
        if status == "ok":
            value = _decode_array(meta.get("value"), data)
            if not np.isfinite(value).all():
                status, message, value = "invalid", "returned non-finite values (nan or inf)", None
        elif meta.get("value") is not None:
            raise _ProtocolError("a failed call carries a value")
        self.results[index] = (status, "" if status == "ok" else message, value)
        return index + 1, True, index + 1 >= len(self.calls)

    def _timeout_reason(self, loaded: bool, per_call: bool) -> tuple[str, str]:
        if not loaded:
            return ("timeout", f"loading your files took longer than {self.limits.wall_time:g} s")
        if per_call:
            return ("timeout", f"call took longer than {self.limits.call_time:g} s")
        return ("timeout", f"the submission used up its time limit of {self.limits.wall_time:g} s")

    def _settle(self, index: int, loaded: bool, exiting: bool, failure: tuple[str, str] | None) -> int:
        """Book what ended the child; the next call index to run in a fresh child."""
        if failure is None or (exiting and index >= len(self.calls)):
            return len(self.calls) if (exiting and not loaded) else index
        if not loaded:
            status = "timeout" if failure[0] == "timeout" else "error"
            if self.load is None:
                self.load = (status, failure[1])
            else:
                self.not_run = (status, _one_line(f"not run: your files failed to load again: {failure[1]}"))
            return len(self.calls)
        self.results[index] = (failure[0], failure[1], None)
        return index + 1

    def _read_output(self, fd: int) -> bool:
        """Keep the first output_bytes of the child's output, drain the rest; False at EOF."""
        chunk = _read_some(fd)
        if chunk is None:
            return True
        if not chunk:
            return False
        room = self.limits.output_bytes - len(self.output)
        if len(chunk) > room:
            self.truncated = True
        if room > 0:
            self.output += chunk[:room]
        return True

    def _drain_output(self, fd: int) -> None:
        """Read what is left in the output pipe without waiting for writers that may linger."""
        os.set_blocking(fd, False)
        budget = 1 << 26  # a writer that survived the cleanup must not keep us here
        while budget > 0 and (chunk := _read_some(fd)):
            budget -= len(chunk)
            room = self.limits.output_bytes - len(self.output)
            if len(chunk) > room:
                self.truncated = True
            if room > 0:
                self.output += chunk[:room]

    def _response(self) -> bytes:
        """The "done" frame for the parent."""
        load = self.load or ("error", "the submission produced no result")
        if load[0] != "ok":
            self.not_run = ("timeout" if load[0] == "timeout" else "error", "not run: your files did not load")
        not_run = self.not_run or ("error", "not run")
        results, blobs, offset = [], [], 0
        for entry in self.results:
            status, message, value = entry if entry is not None else (*not_run, None)
            desc = None
            if value is not None:
                blob = np.asarray(value, dtype="<f8", order="C").tobytes()
                desc = _array_desc(value, offset)
                blobs.append(blob)
                offset += len(blob)
            results.append({"status": status, "message": message, "value": desc})
        blobs.append(bytes(self.output))
        output = {"offset": offset, "length": len(self.output), "truncated": self.truncated}
        meta = {"kind": "done", "load": list(load), "results": results, "output": output}
        return _encode_frame(meta, b"".join(blobs))


def _wait_status(info: Any) -> int:
    """A waitid result as a waitpid-style status word."""
    if info.si_code == os.CLD_EXITED:
        return (info.si_status & 0xFF) << 8
    return info.si_status & 0x7F  # killed or dumped: the signal number


def _death_reason(status: int, limits: Limits) -> tuple[str, str]:
    """Why a child ended before sending every result, in words for the student."""
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number == signal.SIGXCPU:
            return ("timeout", f"CPU time limit of {limits.cpu_time:g} s exceeded")
        if number == signal.SIGKILL:
            return ("error", "the process was killed (SIGKILL): memory limit exceeded, or your code killed it")
        if number == signal.SIGSEGV:
            return ("error", "the process crashed (segmentation fault)")
        if number == signal.SIGXFSZ:
            return ("error", "the process wrote a file larger than the limit")
        return ("error", f"the process was killed by {_signal_name(number)}")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    if code == _EXIT_CHANNEL:
        return ("error", "the result could not be sent back (memory limit exceeded, or the channel was closed)")
    if code == _EXIT_INTERNAL:
        return ("error", "the sandbox failed while running your code")
    return ("error", f"your code ended the process (exit code {code}) before the call returned")


def _zygote_main(argv: list[str]) -> NoReturn:
    """The zygote's loop: one request in, one response out, until the parent closes the pipe."""
    in_fd, out_fd, uid, workdir = int(argv[0]), int(argv[1]), int(argv[2]), argv[3]
    for name in argv[4].split(","):
        if name:
            try:
                importlib.import_module(name)
            except ImportError:
                pass  # simply not offered to students
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of the student's processes come to us to be reaped
    if uid >= 0:
        _sweep_uid(uid)
    # Made once here rather than in every child: fresh text streams on fds 0-2 (which each child
    # points at its own pipes) and the same random seeds in every child, so that results do not
    # depend on which zygote ran a submission. The zygote itself never prints nor draws numbers.
    sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    random.seed(0)
    np.random.seed(0)
    gc.collect()
    gc.freeze()  # keeps the collector from touching (and copying) inherited pages in every child
    requests = _FrameBuffer(1 << 30, 1 << 34)
    try:
        _write_all(out_fd, _encode_frame({"kind": "ready", "pid": os.getpid()}))
        while True:
            frame = requests.pop()
            if frame is None:
                chunk = os.read(in_fd, 1 << 20)
                if not chunk:
                    break
                requests.feed(chunk)
                continue
            try:
                response = _ZygoteJob(frame[0], frame[1], uid, workdir, out_fd).run()
            except Exception as exc:  # our own bug: report it rather than hang the parent
                response = _encode_frame({"kind": "fail", "message": repr(exc)})
            _write_all(out_fd, response)
    except OSError:
        pass
    os._exit(0)


_ZYGOTE_BOOT = (
    "import importlib.util, sys\n"
    "spec = importlib.util.spec_from_file_location('_grader_sandbox_zygote', sys.argv[1])\n"
    "module = importlib.util.module_from_spec(spec)\n"
    "sys.modules[spec.name] = module\n"
    "spec.loader.exec_module(module)\n"
    "module._zygote_main(sys.argv[2:])\n"
)


# ---------------------------------------------------------------------------------------------
# The parent side
# ---------------------------------------------------------------------------------------------


def _zygote_env() -> dict[str, str]:
    """A small environment for the zygote; fixed hash seed and one BLAS thread for determinism."""
    env = {
        "PATH": os.environ.get("PATH", _CHILD_PATH),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _failed_run(n_calls: int, status: str, message: str, call_message: str = "") -> SubmissionRun:
    """A submission that produced no results: every call carries the same reason."""
    call_message = call_message or "not run: your files did not load"
    results = tuple(CallResult(status, None, call_message) for _ in range(n_calls))
    return SubmissionRun(status, message, results, "")


def _cut_output(raw: bytes, truncated: bool, limit: int) -> str:
    """Decoded output of at most ``limit`` UTF-8 bytes, marked when it was cut."""
    marker = "\n[output cut]\n" if truncated and limit > 60 else ""
    room = limit - len(marker)
    text = raw.decode("utf-8", "replace")
    encoded = text.encode("utf-8")
    if len(encoded) > room or marker:
        text = encoded[: max(room, 0)].decode("utf-8", "ignore")
    return text + marker


def _encode_arg(arg: Any, blobs: list[bytes], offset: int) -> tuple[dict[str, Any], int]:
    """One call argument as frame metadata (and maybe data); the new data offset."""
    if isinstance(arg, (bool, np.bool_)):
        raise TypeError("call arguments must be floats, ints or numpy arrays, not bool")
    if isinstance(arg, (int, np.integer)):
        return {"int": int(arg)}, offset
    if isinstance(arg, (float, np.floating)):
        return {"float": float(arg)}, offset
    if isinstance(arg, np.ndarray) and arg.dtype.kind in "fiu" and arg.ndim <= _MAX_NDIM:
        array = np.asarray(arg, dtype="<f8", order="C")
        blobs.append(array.tobytes())
        return {"array": _array_desc(array, offset)}, offset + array.nbytes
    raise TypeError(f"call arguments must be floats, ints or numeric numpy arrays, not {type(arg).__name__}")


def _encode_request(files: list[tuple[str, bytes]], calls: list[Call], limits: Limits) -> bytes:
    """The request frame for the zygote: limits, the student's files, the calls."""
    blobs: list[bytes] = []
    offset = 0
    file_meta = []
    for name, content in files:
        file_meta.append({"name": name, "offset": offset, "length": len(content)})
        blobs.append(content)
        offset += len(content)
    call_meta = []
    for call in calls:
        args = []
        for arg in call.args:
            spec, offset = _encode_arg(arg, blobs, offset)
            args.append(spec)
        call_meta.append({"function": call.function, "args": args})
    meta = {"kind": "run", "limits": asdict(limits), "files": file_meta, "calls": call_meta}
    return _encode_frame(meta, b"".join(blobs))


def _read_files(files: list[Path]) -> tuple[list[tuple[str, bytes]], str]:
    """(name, content) of each file, or a load error message for the student."""
    read: list[tuple[str, bytes]] = []
    for path in map(Path, files):
        name = path.name
        if not name or name.startswith(".") or len(name.encode()) > 255:
            return [], f"cannot use a file named {name!r}"
        if any(name == other for other, _ in read):
            return [], f"two files are named {name}"
        try:
            size = path.stat().st_size
            if size > _MAX_FILE_BYTES:
                return [], f"{name} is larger than {_MAX_FILE_BYTES >> 20} MiB"
            read.append((name, path.read_bytes()))
        except OSError as exc:
            return [], _one_line(f"cannot read {name}: {exc.strerror or exc}")
    if not any(name.endswith(".py") for name, _ in read):
        return [], "no Python (.py) files in the submission"
    return read, ""


def _decode_response(meta: dict[str, Any], data: bytes, n_calls: int, limits: Limits) -> SubmissionRun:
    """The zygote's "done" frame as a SubmissionRun; structure errors raise _ProtocolError."""
    load, results, output = meta.get("load"), meta.get("results"), meta.get("output")
    if not (isinstance(load, list) and len(load) == 2 and load[0] in _LOAD_STATUSES and isinstance(load[1], str)):
        raise _ProtocolError("bad load entry")
    if not (isinstance(results, list) and len(results) == n_calls):
        raise _ProtocolError("wrong number of results")
    if not (isinstance(output, dict) and set(output) == {"offset", "length", "truncated"}):
        raise _ProtocolError("bad output entry")
    start, length = output["offset"], output["length"]
    if type(start) is not int or type(length) is not int or not 0 <= start <= start + length <= len(data):
        raise _ProtocolError("bad output bounds")
    decoded = []
    for entry in results:
        if not (isinstance(entry, dict) and entry.get("status") in _CALL_STATUSES):
            raise _ProtocolError("bad result entry")
        status, message, value = entry["status"], _one_line(entry.get("message")), None
        if status == "ok":
            try:
                value = _decode_array(entry.get("value"), data)
                if not np.isfinite(value).all():
                    raise _ProtocolError("non-finite values")
            except _ProtocolError as exc:
                status, message, value = "invalid", f"the result could not be read ({exc})", None
            else:
                value.flags.writeable = False
        decoded.append(CallResult(status, value, message))
    text = _cut_output(data[start : start + length], bool(output["truncated"]), limits.output_bytes)
    return SubmissionRun(load[0], _one_line(load[1]), tuple(decoded), text)


class _Worker:
    """One zygote process and the uid its children run as; used by one thread at a time."""

    def __init__(self, uid: int, workdir: str, limits: Limits) -> None:
        self.uid = uid
        self.workdir = workdir
        self.limits = limits
        self.proc: subprocess.Popen[bytes] | None = None
        self._start()

    def _start(self) -> None:
        req_r, self.req_w = os.pipe()
        self.resp_r, resp_w = os.pipe()
        try:
            command = [sys.executable, "-c", _ZYGOTE_BOOT, os.path.abspath(__file__)]
            command += [str(req_r), str(resp_w), str(self.uid), self.workdir, ",".join(PRELOAD_MODULES)]
            self.proc = subprocess.Popen(
                command,
                pass_fds=(req_r, resp_w),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=_zygote_env(),
                cwd="/",
                start_new_session=True,  # the terminal's Ctrl-C goes to the grader, which stops us
            )
        finally:
            os.close(req_r)
            os.close(resp_w)
        self.frames = _FrameBuffer(1 << 20, _RESPONSE_LIMIT)
        self.ready = False
        self.child: int | None = None

    def _stop(self, kill: bool) -> int | None:
        """End the zygote (and, if it was killed mid-run, its child's group); its return code."""
        assert self.proc is not None
        for fd in (self.req_w, self.resp_r):
            try:
                os.close(fd)
            except OSError:
                pass
        if kill:
            self.proc.kill()
        try:
            code = self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if kill and self.child is not None:
            try:
                os.killpg(self.child, signal.SIGKILL)  # the zygote is gone, so nobody else will
            except OSError:
                pass
        return code

    def _restart(self) -> int | None:
        code = self._stop(kill=True)
        self._start()
        return code

    def _next_frame(self, deadline: float) -> tuple[dict[str, Any], bytes] | None:
        """The zygote's next frame; None at EOF; TimeoutError at the deadline."""
        while (frame := self.frames.pop()) is None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError
            if not select.select([self.resp_r], [], [], remaining)[0]:
                continue
            chunk = os.read(self.resp_r, 1 << 20)
            if not chunk:
                return None
            self.frames.feed(chunk)
        return frame

    def _await_ready(self) -> None:
        if self.ready:
            return
        try:
            frame = self._next_frame(time.monotonic() + _READY_TIMEOUT)
        except (TimeoutError, _ProtocolError):
            frame = None
        if frame is None or frame[0].get("kind") != "ready":
            code = self._stop(kill=True)
            raise RuntimeError(f"the sandbox worker did not start (exit code {code}); see its stderr")
        self.ready = True

    def run(self, request: bytes, n_calls: int) -> SubmissionRun:
        """Send one request and wait for its response, restarting the zygote if it dies."""
        assert self.proc is not None
        if self.proc.poll() is not None:
            self._restart()
        self._await_ready()
        try:
            _write_all(self.req_w, request)
        except BrokenPipeError:  # died while idle: start afresh and try once more
            self._restart()
            self._await_ready()
            _write_all(self.req_w, request)
        self.child = None
        deadline = time.monotonic() + self.limits.wall_time + _WATCHDOG_GRACE
        try:
            while (frame := self._next_frame(deadline)) is not None:
                meta, data = frame
                kind = meta.get("kind")
                if kind == "child" and type(meta.get("pid")) is int and meta["pid"] > 1:
                    self.child = meta["pid"]
                elif kind == "done":
                    return _decode_response(meta, data, n_calls, self.limits)
                elif kind == "fail":
                    self._restart()
                    raise RuntimeError(f"the sandbox worker failed: {meta.get('message')}")
                else:
                    raise _ProtocolError(f"unexpected frame {kind!r}")
        except TimeoutError:
            self._restart()
            message = "the sandbox did not finish the submission in time"
            return _failed_run(n_calls, "timeout", message, message)
        except _ProtocolError as exc:
            self._restart()
            message = _one_line(f"the sandbox worker sent malformed data ({exc})")
            return _failed_run(n_calls, "error", message, message)
        code = self._restart()
        if code == -signal.SIGKILL and self.uid < 0:
            message = "the submission killed its parent process (the sandbox worker)"
        else:
            message = f"the sandbox worker died unexpectedly (exit code {code})"
        return _failed_run(n_calls, "error", message, message)

    def close(self) -> None:
        if self.proc is not None:
            self._stop(kill=False)
            self.proc = None


def _lock_dir() -> str:
    """A root-only folder for the uid lock files (students must not be able to plant files there)."""
    path = "/run/grader-sandbox" if os.path.isdir("/run") else os.path.join(tempfile.gettempdir(), "grader-sandbox-locks")
    try:
        os.mkdir(path, 0o700)
    except FileExistsError:
        pass
    info = os.lstat(path)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != 0 or info.st_mode & 0o022:
        raise RuntimeError(f"{path} must be a root-owned folder that only root can write")
    return path


def _claim_uids(count: int) -> list[tuple[int, int]]:
    """(uid, lock fd) for ``count`` sandbox uids no other pool on this machine is using."""
    folder = _lock_dir()
    claimed: list[tuple[int, int]] = []
    for uid in SANDBOX_UIDS:
        if len(claimed) == count:
            break
        try:
            pwd.getpwuid(uid)
            continue  # a real account: never run students as it (nor kill its processes)
        except KeyError:
            pass
        fd = os.open(os.path.join(folder, f"{uid}.lock"), os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        claimed.append((uid, fd))
    if len(claimed) < count:
        for _, fd in claimed:
            os.close(fd)
        raise RuntimeError(
            f"only {len(claimed)} of the {count} sandbox uids are free (SANDBOX_UIDS); "
            "other graders on this machine hold the rest"
        )
    return claimed


def _make_base_dir(root: bool) -> str:
    """The pool's folder for the children's working folders; reachable by the sandbox uids.

    /dev/shm (memory) when it is the usual world-writable tmpfs: creating and removing a folder per
    submission there costs microseconds rather than milliseconds on a disk, and the student's code
    can write to /dev/shm anyway. Otherwise the usual temporary folder (TMPDIR).
    """
    shm = "/dev/shm"
    usable = os.path.isdir(shm) and os.stat(shm).st_mode & 0o1777 == 0o1777 and os.access(shm, os.W_OK)
    base = tempfile.mkdtemp(prefix="grader-sandbox-", dir=shm if usable else None)
    if root:
        os.chmod(base, 0o711)  # the uid can enter its own working folder but list nothing here
        parent = os.path.dirname(base)
        while True:
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                os.rmdir(base)
                raise RuntimeError(
                    f"{parent} cannot be entered by other users, so the sandbox uid cannot reach its "
                    "folder; set TMPDIR to a folder such as /tmp"
                )
            if parent == os.path.dirname(parent):
                break
            parent = os.path.dirname(parent)
    return base


class SandboxPool:
    """Warm sandbox workers (numpy imported) that fork a fresh child for each submission."""

    def __init__(self, jobs: int = 1, limits: Limits = Limits()) -> None:
        if type(jobs) is not int or jobs < 1:
            raise ValueError(f"jobs must be a positive int, not {jobs!r}")
        self.jobs = jobs
        self.limits = limits
        self._workers: list[_Worker] = []
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._base = ""
        root = os.geteuid() == 0
        self._locks = _claim_uids(jobs) if root else [(-1, -1)] * jobs
        try:
            self._base = _make_base_dir(root)
            for slot, (uid, _) in enumerate(self._locks):
                worker = _Worker(uid, os.path.join(self._base, f"slot{slot}"), limits)
                self._workers.append(worker)
                self._idle.put(worker)
        except BaseException:
            self.close()
            raise

    def __enter__(self) -> SandboxPool:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def run(self, files: list[Path], calls: list[Call]) -> SubmissionRun:
        """Grade one submission: load ``files`` in a fresh sandboxed child and make each call."""
        if self._closed:
            raise RuntimeError("the sandbox pool is closed")
        calls = list(calls)
        for call in calls:
            if not isinstance(call, Call):
                raise TypeError(f"calls must be Call objects, not {type(call).__name__}")
        contents, problem = _read_files(list(files))
        if problem:
            return _failed_run(len(calls), "error", problem)
        request = _encode_request(contents, calls, self.limits)
        worker = self._idle.get()
        try:
            return worker.run(request, len(calls))
        finally:
            self._idle.put(worker)

    def map(self, items: list[tuple[list[Path], list[Call]]]) -> list[SubmissionRun]:
        """Run many submissions, ``jobs`` at a time; results in the order of ``items``."""
        items = list(items)
        if self.jobs == 1 or len(items) < 2:
            return [self.run(files, calls) for files, calls in items]
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.jobs, thread_name_prefix="sandbox")
            executor = self._executor
        return list(executor.map(lambda item: self.run(*item), items))

    def close(self) -> None:
        """Stop the workers and remove their folders; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True)
        for worker in self._workers:
            worker.close()
        for _, fd in self._locks:
            if fd >= 0:
                os.close(fd)
        if self._base:
            _remove_tree(self._base)


def run_submission(files: list[Path], calls: list[Call], limits: Limits = Limits()) -> SubmissionRun:
    """Grade one submission with a one-off pool (starting a worker costs about 0.2 s)."""
    with SandboxPool(1, limits) as pool:
        return pool.run(files, calls)
