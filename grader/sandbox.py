"""Run untrusted student Python code in separate, limited OS processes (Linux first).

Three kinds of process take part (docs/sandbox.md explains the design for instructors):

* the **grader** process, which calls :class:`SandboxPool`. It never imports, evals or unpickles
  anything of the student's. It times every call, reads the child's results and output, and kills
  the child's process group when a limit is hit.
* one **zygote** per job slot: a trusted Python process, started once per pool with numpy imported.
  For each request it forks a fresh child, and afterwards it reaps whatever is left of it. It does
  nothing else, because each page a process writes after forking costs a copy-on-write fault.
* the **child**: its own session, rlimits, an empty working folder, a scrubbed environment, no
  inherited file descriptors, and (when the grader runs as root) a dedicated unprivileged uid.
  It loads the student's files, runs the calls and writes plain float64 results to an in-memory
  file that the grader reads.

Nothing is pickled. The request is a frame (a fixed header, a small JSON object and raw bytes;
arrays described by dtype, shape and offset). The child answers with fixed-layout binary records
(status, message, shape, float64 data), and every header is checked and every size bounded. If a
child dies part-way, the remaining calls run again in a fresh child while the submission's wall
time lasts.
"""

from __future__ import annotations

import ctypes
import errno
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
import shutil
import signal
import socket
import stat
import struct
import subprocess
import sys
import tempfile
import threading
import time
import types
from concurrent.futures import Future, ThreadPoolExecutor
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

_FILE_SIZE_LIMIT = 32 << 20  # RLIMIT_FSIZE: largest file (output and results included) a child may write
_OPEN_FILES_LIMIT = 256  # RLIMIT_NOFILE
_MAX_FILE_BYTES = 16 << 20  # largest submitted file the parent passes on
_MAX_VALUE_BYTES = 16 << 20  # largest array one call may return (2 Mi float64)
_MAX_RESULT_FILE = _FILE_SIZE_LIMIT  # the child cannot write more; the grader reads no more
_MAX_NDIM = 8
_MAX_MESSAGE = 300  # characters in a one-line message
_POLL = 0.02  # seconds between the grader's looks at a running child's results
_POLL_WITHOUT_PIDFD = 0.005  # the same where the kernel cannot say when the child has exited
_EXIT_GRACE = 1.0  # seconds a child may take to exit after its last result
_CLEANUP_TIMEOUT = 2.0  # seconds spent killing and reaping a submission's leftover processes
_WATCHDOG_GRACE = 10.0  # extra seconds the grader waits for a zygote's answer before giving up on it
_READY_TIMEOUT = 60.0  # seconds a new zygote may take to import numpy
_CHILD_PATH = "/usr/local/bin:/usr/bin:/bin"
_EXIT_CHANNEL = 197  # child exit code: the result channel could not be written
_EXIT_INTERNAL = 198  # child exit code: the sandbox's own code failed in the child

_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15
_PR_SET_CHILD_SUBREAPER = 36
_PR_SET_NO_NEW_PRIVS = 38

_CALL_STATUSES = ("ok", "error", "timeout", "invalid")
_LOAD_STATUSES = ("ok", "error", "timeout")


# ---------------------------------------------------------------------------------------------
# Frames (requests) and records (results): all that crosses a process boundary
# ---------------------------------------------------------------------------------------------

_MAGIC = b"GSB1"
_HEADER = struct.Struct("<4sIQ")  # magic, JSON length, data length


class _ProtocolError(Exception):
    """A frame or its contents broke the format; the sender is not trusted any further."""


def _encode_frame(meta: dict[str, Any], data: bytes = b"") -> bytes:
    """One frame: header, JSON metadata, raw data."""
    text = json.dumps(meta).encode()
    return _HEADER.pack(_MAGIC, len(text), len(data)) + text + data


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


# What the child sends back is a stream of fixed-layout records rather than JSON: cheap to build
# in the child (every page it touches costs a copy-on-write fault) and easy to check strictly.
# magic, kind (0 load, 1 call), status code, call index, message bytes, ndim (0 unless ok); then
# ndim uint64 dims, the UTF-8 message and, for status ok, prod(dims) little-endian float64s.
_RESULT_HEADER = struct.Struct("<4sBBIHB")
_RESULT_MAGIC = b"GSR1"
_KIND_LOAD, _KIND_CALL = 0, 1
_RESULT_STATUSES = ("ok", "error", "invalid")
_DIM = struct.Struct("<Q")

_Record = tuple[int, str, int, str, "np.ndarray | None"]  # kind, status, index, message, value


def _encode_result(kind: int, status: str, index: int, message: str, value: np.ndarray | None = None) -> bytes:
    """One record from the child; ``value`` (float64) only with status ok."""
    text = message.encode("utf-8", "replace")[: _MAX_MESSAGE * 4]
    if value is None:
        return _RESULT_HEADER.pack(_RESULT_MAGIC, kind, _RESULT_STATUSES.index(status), index, len(text), 0) + text
    head = _RESULT_HEADER.pack(_RESULT_MAGIC, kind, 0, index, len(text), value.ndim)
    dims = struct.pack(f"<{value.ndim}Q", *value.shape)
    return b"".join((head, dims, text, np.asarray(value, dtype="<f8", order="C").tobytes()))


class _ResultReader:
    """Cuts the child's byte stream into records, refusing anything off the format."""

    def __init__(self) -> None:
        self._rest = b""  # the start of a record still incomplete

    def feed(self, chunk: bytes) -> list[_Record]:
        """Add bytes; the records completed by them. Values are read-only views of the bytes
        read (which nothing else holds), so no record is copied twice."""
        data = self._rest + bytes(chunk) if self._rest else bytes(chunk)
        records = []
        pos = 0
        size = len(data)
        while size - pos >= _RESULT_HEADER.size:
            magic, kind, code, index, text_len, ndim = _RESULT_HEADER.unpack_from(data, pos)
            if magic != _RESULT_MAGIC or kind > _KIND_CALL or code >= len(_RESULT_STATUSES):
                raise _ProtocolError("bad result header")
            if text_len > _MAX_MESSAGE * 4 or ndim > _MAX_NDIM or (code != 0 and ndim != 0):
                raise _ProtocolError("bad result header")
            dims_end = pos + _RESULT_HEADER.size
            with_value = code == 0 and kind == _KIND_CALL
            count = 0
            if with_value:
                if size < dims_end + ndim * _DIM.size:
                    break
                shape = struct.unpack_from(f"<{ndim}Q", data, dims_end)
                dims_end += ndim * _DIM.size
                count = math.prod(shape)
                if count * 8 > _MAX_VALUE_BYTES:
                    raise _ProtocolError("result too large")
            end = dims_end + text_len + count * 8
            if size < end:
                break
            message = data[dims_end : dims_end + text_len].decode("utf-8", "replace") if text_len else ""
            value = None
            if with_value:
                value = np.frombuffer(data, dtype="<f8", count=count, offset=dims_end + text_len)
                value = value.astype(np.float64, copy=False).reshape(shape)
            pos = end
            records.append((kind, _RESULT_STATUSES[code], index, message, value))
        self._rest = data[pos:] if pos < size else b""
        return records


def _one_line(text: Any, limit: int = _MAX_MESSAGE) -> str:
    """A message fit for one line of feedback."""
    if not isinstance(text, str):
        return ""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _write_all(fd: int, data: bytes) -> None:
    """Write every byte to a blocking fd."""
    written = os.write(fd, data)
    if written < len(data):
        view = memoryview(data)[written:]
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


def _libc_handle() -> Any:
    """The C library, loaded once (in the zygote, before any fork)."""
    global _libc
    if _libc is None:
        _libc = ctypes.CDLL(None, use_errno=True)
        _libc.fork.restype = ctypes.c_int
    return _libc


def _prctl(option: int, value: int) -> bool:
    """prctl(2) where it exists (Linux); False elsewhere or on failure."""
    try:
        args = [ctypes.c_ulong(v) for v in (value, 0, 0, 0)]
        return _libc_handle().prctl(ctypes.c_int(option), *args) == 0
    except (OSError, AttributeError):
        return False


def _trim_heap() -> None:
    """Give free heap memory back to the system (malloc_trim): every page still mapped costs
    each fork a page-table entry to copy and each child's exit one to tear down."""
    try:
        _libc_handle().malloc_trim(0)
    except (OSError, AttributeError):
        pass


def _set_process_name(name: bytes) -> None:
    """The name ps, top and /proc show for this process (PR_SET_NAME); Linux only."""
    try:
        _libc_handle().prctl(ctypes.c_int(_PR_SET_NAME), ctypes.c_char_p(name[:15]), 0, 0, 0)
    except (OSError, AttributeError):
        pass


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
    try:
        names = os.listdir(path)
    except FileNotFoundError:
        return
    except OSError:
        names = None
    if names is not None:  # fast path: a folder of plain files, as nearly every submission leaves
        try:
            for name in names:
                os.unlink(os.path.join(path, name))
            os.rmdir(path)
            return
        except OSError:
            pass

    def retry(function: Any, failed: str, _exc: Any) -> None:
        try:
            parent = os.path.dirname(failed)
            os.chmod(parent, stat.S_IRWXU)
            if os.path.isdir(failed) and not os.path.islink(failed):
                os.chmod(failed, stat.S_IRWXU)
            function(failed)
        except OSError:
            pass

    shutil.rmtree(path, onerror=retry)
    if os.path.lexists(path):
        shutil.rmtree(path, ignore_errors=True)


def _fork() -> int:
    """fork(2) for the zygote; the raw libc call when this process has a single thread.

    os.fork() also runs CPython's after-fork work in the child (re-initialising locks, reseeding
    ``random``, the threading module's hooks), which touches some 200 pages and so costs as many
    copy-on-write faults, about a quarter of a child's. With one thread there is no lock that
    another thread could hold and nothing to re-initialise, so the plain call is safe.
    """
    if _single_threaded():
        try:
            pid = _libc_handle().fork()
            if pid >= 0:
                return pid
        except (OSError, AttributeError):
            pass
    return os.fork()


def _single_threaded() -> bool:
    try:
        return threading.active_count() == 1 and len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return False


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


_FLOAT64 = np.dtype(np.float64)
_sum = np.add.reduce


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
    return value if value.dtype == _FLOAT64 else value.astype(np.float64)


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
    # A finite sum means every value is finite (nan and inf carry into it); only an overflowing
    # sum needs the value-by-value look.
    if not math.isfinite(_sum(array, axis=None)) and not np.isfinite(array).all():
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
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return (f"OSError: your code wrote more than {_FILE_SIZE_LIMIT >> 20} MB (printed output "
                "and files count), the limit")
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


def _split_request(body: bytes) -> tuple[dict[str, Any], bytes]:
    """The JSON part and the data part of a request the grader built."""
    magic, meta_len, data_len = _HEADER.unpack_from(body)
    if magic != _MAGIC or _HEADER.size + meta_len + data_len != len(body):
        raise _ProtocolError("bad request")
    return _parse_meta(body[_HEADER.size : _HEADER.size + meta_len]), body[_HEADER.size + meta_len :]


def _decode_calls(body: bytes) -> list[tuple[str, tuple[Any, ...]]]:
    """The calls of a calls frame as (function name, arguments); arrays are made read-only, and
    each child passes fresh copies of them to the student's function."""
    meta, data = _split_request(body)
    calls = meta.get("calls")
    if not isinstance(calls, list):
        raise _ProtocolError("bad calls frame")
    decoded = []
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("function"), str) or not isinstance(call.get("args"), list):
            raise _ProtocolError("bad call")
        args = []
        for spec in call["args"]:
            if not isinstance(spec, dict):
                raise _ProtocolError("bad call argument")
            arg = _decode_arg(spec, data)
            if isinstance(arg, np.ndarray):
                arg.flags.writeable = False
            args.append(arg)
        decoded.append((call["function"], tuple(args)))
    return decoded


class _Child:
    """What runs inside the forked child, from setting up the jail to its last result.

    The zygote has already decoded the calls (once per pool) and the request (limits and files),
    so the child inherits them as Python objects rather than parsing anything.
    """

    def __init__(self, request: tuple[dict[str, Any], bytes], calls: list[tuple[str, tuple[Any, ...]]],
                 start: int, uid: int, workdir: str, zygote_pid: int, reseed: bool) -> None:
        self.meta, self.data = request
        self.calls = calls
        self.start = start
        self.uid = uid
        self.workdir = workdir
        self.zygote_pid = zygote_pid
        self.reseed = reseed
        self.pid = 0
        self.files: list[tuple[str, bytes]] = []

    def run(self, res_fd: int, out_fd: int) -> int:
        """Set up, load, call; returns the exit code."""
        self.pid = os.getpid()
        _set_process_name(b"grader-child")
        try:
            self._enter_jail(res_fd, out_fd)
        except BaseException as exc:
            self._send(_KIND_LOAD, "error", 0, _one_line(f"sandbox setup failed: {exc!r}"))
            return 0
        paths = frozenset(os.path.join(self.workdir, name) for name, _ in self.files)
        namespace = self._load(paths)
        if namespace is None:
            return 0
        for index in range(self.start, len(self.calls)):
            status, message, value = self._call(namespace, index, paths)
            self._send(_KIND_CALL, status, index, message, value)
        return 0

    def _send(self, kind: int, status: str, index: int, message: str, value: np.ndarray | None = None) -> None:
        """Flush the student's output, then write one record to the result channel (fd 3)."""
        if os.getpid() != self.pid:  # a process the student forked, running on in our code
            os._exit(0)
        _flush_stdio()
        try:
            _write_all(3, _encode_result(kind, status, index, message, value))
        except BaseException:
            os._exit(_EXIT_CHANNEL)

    def _enter_jail(self, res_fd: int, out_fd: int) -> None:
        """Own session, fds 0-3 only, dropped uid, empty folder, limits; then write the files.

        Inherited from the zygote and so not redone here (each line of Python costs page faults):
        the scrubbed environment, no-new-privileges, and signal dispositions (no handlers;
        SIGPIPE and SIGXFSZ ignored, so an oversized write raises instead of killing).
        """
        os.setsid()
        # The zygote keeps /dev/null on fd 3 and its own fds above 9, so the channels (received
        # above 9 too) cannot be clobbered by these dup2 calls.
        os.dup2(3, 0)
        os.dup2(out_fd, 1)
        os.dup2(out_fd, 2)
        os.dup2(res_fd, 3, inheritable=False)  # not passed to programs the student executes
        os.closerange(4, 1 << 20)
        if self.uid >= 0:
            _drop_to(self.uid)
        _prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)  # after the uid change, which clears it
        if os.getppid() != self.zygote_pid:
            os._exit(0)
        limits, data = self.meta["limits"], self.data
        self.files = [(f["name"], data[f["offset"] : f["offset"] + f["length"]]) for f in self.meta["files"]]
        os.chdir(self.workdir)
        for name, content in self.files:
            fd = os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
            try:
                _write_all(fd, content)
            finally:
                os.close(fd)
        cpu = max(1, math.ceil(limits["cpu_time"]))
        memory, processes = limits["memory_bytes"], limits["processes"]
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 1))
        resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
        resource.setrlimit(resource.RLIMIT_NPROC, (processes, processes))
        resource.setrlimit(resource.RLIMIT_FSIZE, (_FILE_SIZE_LIMIT, _FILE_SIZE_LIMIT))
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (_OPEN_FILES_LIMIT, _OPEN_FILES_LIMIT))
        python_files = [name for name, _ in self.files if name.endswith(".py")]
        sys.argv = [python_files[0] if python_files else ""]
        sys.path[:] = [self.workdir] + [entry for entry in sys.path if entry not in ("", ".")]
        if self.reseed:
            random.seed(0)  # os.fork's after-fork hook reseeded it from the OS

    def _load(self, paths: frozenset[str]) -> dict[str, Any] | None:
        """Execute the .py files, in name order, into one module; send the load record."""
        module = types.ModuleType("submission")
        sys.modules["submission"] = module
        namespace = module.__dict__
        try:
            for name, content in sorted(self.files):
                if not name.endswith(".py"):
                    continue
                path = os.path.join(self.workdir, name)
                namespace["__file__"] = path
                exec(compile(content, path, "exec", dont_inherit=True), namespace)
        except BaseException as exc:
            self._send(_KIND_LOAD, "error", 0, _describe_load_error(exc, paths))
            return None
        self._send(_KIND_LOAD, "ok", 0, "")
        return namespace

    def _call(self, namespace: dict[str, Any], index: int, paths: frozenset[str]) -> tuple[str, str, np.ndarray | None]:
        """Run one call: (status, message, value)."""
        name, shared = self.calls[index]
        try:
            function = namespace.get(name)
            if function is None:
                return "error", f"no function named `{name}` in your files", None
            if not callable(function):
                return "error", f"`{name}` in your files is a {_type_name(type(function))}, not a function", None
            value = function(*[arg.copy() if type(arg) is np.ndarray else arg for arg in shared])
            # (A process the student forked that gets here is stopped by _send, before it writes.)
            try:
                return "ok", "", _result_array(value)
            except _Refused as refused:
                return "invalid", _one_line(str(refused)), None
        except BaseException as exc:
            return "error", _describe_call_error(exc, paths), None


def _child_env(workdir: str) -> dict[str, str]:
    """The whole environment of a child."""
    return {
        "PATH": _CHILD_PATH,
        "LANG": "C.UTF-8",
        "HOME": workdir,
        "TMPDIR": workdir,
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _flush_stdio() -> None:
    """Flush whatever the student's code has printed; it may have replaced or broken the streams."""
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


# ---------------------------------------------------------------------------------------------
# The zygote: trusted, warm, and nearly idle; it only forks, reaps and cleans up
# ---------------------------------------------------------------------------------------------
#
# Whatever a process writes after it forks costs a copy-on-write page fault, so the zygote does as
# little as possible per submission; the grader process (which never forks) does the timing and
# reads the child's result and output files. Over a Unix socket:
#   grader -> zygote: CALLS header and the calls frame, once per pool (or when the calls change);
#                     RUN header (start index, body length) carrying the result and output
#                     channels (two memory files) as SCM_RIGHTS, then the request body; later a
#                     FINISH header.
#   zygote -> grader: READY once; CALLS-OK with the number of calls; CHILD pid after each fork;
#                     EXIT wait-status after each FINISH.
# The zygote reaps the child only after FINISH, so until then its pid (and process group) cannot
# be reused and the grader may signal it safely.

_COMMAND = struct.Struct("<4sBIQ")  # magic, command, start index, body length
_COMMAND_MAGIC = b"GSQ1"
_RUN, _FINISH, _CALLS = 1, 2, 3
_REPLY = struct.Struct("<4sBq")  # magic, kind, value
_REPLY_MAGIC = b"GSZ1"
_READY, _CHILD, _EXIT, _CALLS_OK = 1, 2, 3, 4


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
    head, fds, _, _ = socket.recv_fds(sock, _COMMAND.size, 2)
    if not head:
        return None
    rest = _recv_exact(sock, _COMMAND.size - len(head)) if len(head) < _COMMAND.size else b""
    if rest is None:
        return None
    magic, command, start, length = _COMMAND.unpack(head + rest)
    if magic != _COMMAND_MAGIC or command not in (_RUN, _FINISH, _CALLS):
        raise _ProtocolError("bad command")
    return command, start, length, fds


def _zygote_main(argv: list[str]) -> NoReturn:
    """The zygote's loop: fork a child per RUN, reap it at FINISH, until the grader goes away."""
    sock_fd, uid, workdir = int(argv[0]), int(argv[1]), argv[2]
    # Our socket goes above 9 and /dev/null onto fd 3, which every child turns into its stdin.
    sock = socket.socket(fileno=fcntl.fcntl(sock_fd, fcntl.F_DUPFD_CLOEXEC, 10))
    os.closerange(3, 10)
    null = os.open(os.devnull, os.O_RDWR)
    if null != 3:
        os.dup2(null, 3, inheritable=False)
        os.close(null)
    for name in argv[3].split(","):
        if name:
            try:
                importlib.import_module(name)
            except ImportError:
                pass  # simply not offered to students
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the grader decides when we stop
    _prctl(_PR_SET_CHILD_SUBREAPER, 1)  # orphans of the student's processes come to us to be reaped
    _set_process_name(b"grader-zygote")  # as ps and top show it; children are "grader-child"
    if uid >= 0:
        _sweep_uid(uid)
    # Made once here rather than in every child: fresh text streams on fds 0-2 (which each child
    # points at its own files), the same random seeds in every child (so results do not depend on
    # which zygote ran a submission), the child's whole environment, and no-new-privileges
    # (set-uid programs such as su or sudo gain nothing). The zygote itself never prints, draws
    # random numbers or executes a program.
    sys.stdin = sys.__stdin__ = open(0, "r", closefd=False)
    sys.stdout = sys.__stdout__ = open(1, "w", encoding="utf-8", errors="backslashreplace", closefd=False)
    sys.stderr = sys.__stderr__ = open(2, "w", encoding="utf-8", errors="backslashreplace", closefd=False, buffering=1)
    random.seed(0)
    np.random.seed(0)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(_child_env(workdir))
    tempfile.tempdir = workdir
    _prctl(_PR_SET_NO_NEW_PRIVS, 1)
    _libc_handle()
    zygote_pid = os.getpid()
    gc.collect()
    gc.freeze()  # keeps the collector from touching (and copying) inherited pages in every child
    _trim_heap()
    calls: list[tuple[str, tuple[Any, ...]]] = []
    try:
        sock.sendall(_REPLY.pack(_REPLY_MAGIC, _READY, zygote_pid))
        while (command := _recv_command(sock)) is not None:
            kind, start, length, fds = command
            if kind == _CALLS and not fds:
                body = _recv_exact(sock, length)
                if body is None:
                    break
                # Decoded here, once, so that no child parses them again; frozen like the rest.
                calls = _decode_calls(body)
                del body
                gc.collect()
                gc.freeze()
                _trim_heap()
                sock.sendall(_REPLY.pack(_REPLY_MAGIC, _CALLS_OK, len(calls)))
                continue
            body = _recv_exact(sock, length) if kind == _RUN and len(fds) == 2 else None
            if body is None:
                break
            request = _split_request(body)
            _remove_tree(workdir)  # every child starts in a fresh, empty folder of its own uid
            os.mkdir(workdir, 0o700)
            if uid >= 0:
                os.chown(workdir, uid, uid)
            reseed = not _single_threaded()
            pid = _fork()
            if pid == 0:
                code = _EXIT_INTERNAL
                try:
                    code = _Child(request, calls, start, uid, workdir, zygote_pid, reseed).run(fds[0], fds[1])
                finally:  # never return into the zygote's loop
                    os._exit(code)
            for fd in fds:
                os.close(fd)
            sock.sendall(_REPLY.pack(_REPLY_MAGIC, _CHILD, pid))
            command = _recv_command(sock)  # FINISH, or None if the grader has gone
            _kill_group(pid)  # the zombie leader keeps the group id ours until reaped just below
            status = os.waitpid(pid, 0)[1]
            _reap_descendants()
            _remove_tree(workdir)
            if command is None:
                break
            sock.sendall(_REPLY.pack(_REPLY_MAGIC, _EXIT, status))
    except (OSError, _ProtocolError):
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
# The grader's side: requests, the zygotes, and timing each submission
# ---------------------------------------------------------------------------------------------


def _zygote_env() -> dict[str, str]:
    """A small environment for starting the zygote; fixed hash seed, one BLAS thread."""
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
    """One call argument as request metadata (and maybe data); the new data offset."""
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


def _encode_calls(calls: list[Call]) -> tuple[list[dict[str, Any]], bytes]:
    """The calls' metadata and argument bytes, which start the request's data part."""
    blobs: list[bytes] = []
    offset = 0
    call_meta = []
    for call in calls:
        args = []
        for arg in call.args:
            spec, offset = _encode_arg(arg, blobs, offset)
            args.append(spec)
        call_meta.append({"function": call.function, "args": args})
    return call_meta, b"".join(blobs)


def _encode_calls_frame(calls: list[Call]) -> bytes:
    """The frame that gives a zygote the calls every child of a pool makes."""
    call_meta, call_data = _encode_calls(calls)
    return _encode_frame({"calls": call_meta}, call_data)


def _encode_request(files: list[tuple[str, bytes]], limits: Limits) -> bytes:
    """The request body for one submission: limits and the student's files."""
    offset = 0
    file_meta = []
    for name, content in files:
        file_meta.append({"name": name, "offset": offset, "length": len(content)})
        offset += len(content)
    meta = {"limits": asdict(limits), "files": file_meta}
    return _encode_frame(meta, b"".join(content for _, content in files))


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


def _exited(pid: int) -> bool:
    """Whether a process that is not our child has exited (for kernels without pidfd)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] in (b"Z", b"X")
    except (OSError, IndexError):
        return True


def _channel(name: str) -> int:
    """A fresh in-memory file for a child's results or output.

    A file rather than a pipe: the child's writes never wake the grader (which reads the file
    when the child exits, and between times only to time the calls), never block, and outlive
    the child, so a crash loses nothing already written. Its size is bounded by RLIMIT_FSIZE.
    """
    if hasattr(os, "memfd_create"):
        try:
            return os.memfd_create(f"grader-{name}", os.MFD_CLOEXEC)
        except OSError:
            pass
    handle = tempfile.TemporaryFile()  # elsewhere: an unlinked file in the temporary folder
    try:
        return os.dup(handle.fileno())
    finally:
        handle.close()


def _file_size(fd: int) -> int:
    return os.fstat(fd).st_size


class _WorkerDied(Exception):
    """The zygote went away in the middle of a submission."""


class _Worker:
    """One zygote process and the uid its children run as; used by one thread at a time."""

    def __init__(self, uid: int, workdir: str) -> None:
        self.uid = uid
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.ready = False
        #: Which calls frame this zygote holds (None: none yet, or it was restarted since).
        self.calls_frame: bytes | None = None
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            command = [sys.executable, "-c", _ZYGOTE_BOOT, os.path.abspath(__file__)]
            command += [str(theirs.fileno()), str(self.uid), self.workdir, ",".join(PRELOAD_MODULES)]
            self.proc = subprocess.Popen(
                command,
                pass_fds=(theirs.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=_zygote_env(),
                cwd="/",
                start_new_session=True,  # the terminal's Ctrl-C goes to the grader, which stops us
            )
        finally:
            theirs.close()
        self.sock = ours
        self.ready = False
        self.calls_frame = None

    def stop(self, kill: bool) -> int | None:
        """End the zygote; its return code."""
        assert self.proc is not None and self.sock is not None
        self.sock.close()
        if kill:
            self.proc.kill()
        try:
            return self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def restart(self) -> int | None:
        """Replace the zygote by a fresh one; the old one's return code."""
        code = self.stop(kill=True)
        self._start()
        return code

    def _reply(self, kind: int, deadline: float) -> int:
        """The value of the zygote's next reply, which must be of ``kind``."""
        assert self.sock is not None
        buffer = b""
        while len(buffer) < _REPLY.size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise _WorkerDied("the sandbox worker did not answer")
            chunk = self.sock.recv(_REPLY.size - len(buffer))
            if not chunk:
                raise _WorkerDied("the sandbox worker died")
            buffer += chunk
        magic, got, value = _REPLY.unpack(buffer)
        if magic != _REPLY_MAGIC or got != kind:
            raise _WorkerDied("the sandbox worker sent malformed data")
        return value

    def _await_ready(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            self.restart()
        if self.ready:
            return
        try:
            self._reply(_READY, time.monotonic() + _READY_TIMEOUT)
        except _WorkerDied:
            code = self.stop(kill=True)
            self._start()
            raise RuntimeError(f"the sandbox worker did not start (exit code {code}); see its stderr") from None
        self.ready = True

    def _send_calls(self, frame: bytes, count: int) -> None:
        """Give the zygote the calls its children make (they stay until it is restarted)."""
        assert self.sock is not None
        self.sock.sendall(_COMMAND.pack(_COMMAND_MAGIC, _CALLS, 0, len(frame)))
        self.sock.sendall(frame)
        if self._reply(_CALLS_OK, time.monotonic() + _READY_TIMEOUT) != count:
            raise _WorkerDied("the sandbox worker misread the calls")
        self.calls_frame = frame

    def spawn(self, body: bytes, start: int, calls: tuple[bytes, int]) -> tuple[int, int, int]:
        """Have the zygote fork a child for ``body`` from call ``start`` of ``calls`` (frame,
        count): (pid, result channel, output channel)."""
        for attempt in (1, 2):
            self._await_ready()
            assert self.sock is not None
            res = out = -1
            try:
                if self.calls_frame is not calls[0]:
                    self._send_calls(*calls)
                res, out = _channel("results"), _channel("output")
                head = _COMMAND.pack(_COMMAND_MAGIC, _RUN, start, len(body))
                if socket.send_fds(self.sock, [head], [res, out]) != len(head):
                    raise OSError("short send")
                self.sock.sendall(body)
                pid = self._reply(_CHILD, time.monotonic() + _READY_TIMEOUT)
            except (OSError, _WorkerDied) as exc:
                for fd in (res, out):
                    if fd >= 0:
                        os.close(fd)
                if attempt == 2:
                    raise RuntimeError(f"the sandbox worker keeps failing: {exc}") from None
                self.restart()  # it died while idle: start afresh and try once more
                continue
            return pid, res, out
        raise AssertionError("unreachable")

    def finish(self, pid: int) -> int:
        """Have the zygote kill what is left of the child, reap it and clean up; its wait status."""
        assert self.sock is not None
        try:
            self.sock.sendall(_COMMAND.pack(_COMMAND_MAGIC, _FINISH, 0, 0))
            return self._reply(_EXIT, time.monotonic() + _CLEANUP_TIMEOUT + _WATCHDOG_GRACE)
        except (OSError, _WorkerDied):
            raise _WorkerDied("the sandbox worker died") from None

    def close(self) -> None:
        if self.proc is not None:
            self.stop(kill=False)
            self.proc = None


class _Submission:
    """One submission on the grader's side: starts children, times them, collects their records."""

    def __init__(self, worker: _Worker, body: bytes, calls: tuple[bytes, int], limits: Limits,
                 functions: tuple[str, ...] = ()) -> None:
        self.worker = worker
        #: The function of each call: after a call kills its child (a timeout, a crash), the
        #: calls right after it to the same function are not run, so one function that loops
        #: forever costs one call_time, not the whole wall_time of the submission.
        self.functions = functions
        self.body = body
        self.calls = calls
        self.n_calls = calls[1]
        self.limits = limits
        self.load: tuple[str, str] | None = None
        self.results: list[tuple[str, str, np.ndarray | None] | None] = [None] * self.n_calls
        self.not_run: tuple[str, str] | None = None  # status and message for calls never reached
        self.output = bytearray()
        self.truncated = False
        self.deadline = 0.0

    def run(self) -> SubmissionRun:
        """Run every call (the rest in a fresh child after a crash or timeout)."""
        self.deadline = time.monotonic() + self.limits.wall_time
        start = 0
        while True:
            start = self._run_child(start)
            if start >= self.n_calls or self.not_run is not None:
                break
            if time.monotonic() >= self.deadline:
                wall = self.limits.wall_time
                self.not_run = ("timeout", f"not run: the submission used up its time limit of {wall:g} s")
                break
        return self._outcome()

    def _run_child(self, start: int) -> int:
        """One child that loads the files and runs calls from ``start``; the next call to run."""
        pid, res, out = self.worker.spawn(self.body, start, self.calls)
        try:
            failure, state, status = self._watch(pid, start, res)
            self._read_output(out)
        finally:
            os.close(res)
            os.close(out)
        return self._settle(state, failure, status)

    def _watch(self, pid: int, start: int, res: int) -> tuple[tuple[str, str] | None, list[Any], int | None]:
        """Wait until the child exits or a deadline passes, then have the zygote reap it:
        (what ended it early, [next call, loaded, done], wait status).

        The child's records go to a file, so the grader sleeps until the child exits and looks
        at the file only every _POLL seconds in between, to restart the clock of each call.
        """
        try:
            pidfd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            pidfd = None  # older kernels: poll instead
        sock = self.worker.sock
        assert sock is not None
        watch = [sock] if pidfd is None else [sock, pidfd]
        poll = _POLL if pidfd is not None else _POLL_WITHOUT_PIDFD
        reader = _ResultReader()
        state: list[Any] = [start, False, False]  # next call index, loaded, child is done
        offset = [0]
        phase_end = self.deadline
        per_call = False
        failure: tuple[str, str] | None = None
        exited = died = False
        try:
            while True:
                try:
                    progressed = self._collect(res, offset, reader, state)
                except _ProtocolError:
                    failure = ("invalid", "sent malformed data on the grader's result channel")
                    break
                now = time.monotonic()
                if progressed:
                    per_call = now + self.limits.call_time < self.deadline
                    phase_end = now + _EXIT_GRACE if state[2] else min(now + self.limits.call_time, self.deadline)
                if exited:
                    break
                remaining = phase_end - now
                if remaining <= 0:
                    if not state[2]:
                        failure = self._timeout_reason(state[1], per_call)
                    break
                ready = select.select(watch, [], [], min(remaining, poll))[0]
                if sock in ready:  # the zygote says nothing until FINISH: this is its end
                    died = True
                    break
                exited = (pidfd in ready) if pidfd is not None else _exited(pid)
        finally:
            if pidfd is not None:
                os.close(pidfd)
        _kill_group(pid)  # not reaped yet (the zygote waits for FINISH), so the pid is still the child's
        status = None
        if not died:
            try:
                status = self.worker.finish(pid)
            except _WorkerDied:
                died = True
        if died:
            code = self.worker.restart()
            if code == -signal.SIGKILL and self.worker.uid < 0:
                failure = ("error", "the submission killed its parent process (the sandbox worker)")
            else:
                failure = ("error", f"the sandbox worker died unexpectedly (exit code {code})")
            return failure, state, None
        if failure is None and not state[2]:
            # Records written just before the child was stopped.
            try:
                self._collect(res, offset, reader, state)
            except _ProtocolError:
                failure = ("invalid", "sent malformed data on the grader's result channel")
        return failure, state, status

    def _collect(self, res: int, offset: list[int], reader: _ResultReader, state: list[Any]) -> bool:
        """Read what the child has added to its result file since ``offset``; whether a record
        arrived. The file is the child's to write (and to spoil): a file that shrank, or more
        bytes than the calls can need, is malformed data."""
        if state[2]:
            return False
        size = _file_size(res)
        if size < offset[0] or size > _MAX_RESULT_FILE:
            raise _ProtocolError("result file changed under us")
        progressed = False
        while offset[0] < size:
            chunk = os.pread(res, min(size - offset[0], 1 << 20), offset[0])
            if not chunk:
                break
            offset[0] += len(chunk)
            progressed = self._take(reader.feed(chunk), state) or progressed
            if state[2]:
                break
        return progressed

    def _take(self, records: list[_Record], state: list[Any]) -> bool:
        """Book records from the child into the results; whether any arrived."""
        for kind, status, index, message, value in records:
            if state[2]:
                break  # the child said all it had to; anything more is ignored
            if message:
                message = _one_line(message)
            if not state[1]:
                if kind != _KIND_LOAD or status == "invalid":
                    raise _ProtocolError("expected the load record")
                if status == "error":
                    if self.load is None:
                        self.load = ("error", message)
                    else:
                        self.not_run = ("error", _one_line(f"not run: your files failed to load again: {message}"))
                    state[2] = True
                    continue
                if self.load is None:
                    self.load = ("ok", "")
                state[1] = True
                state[2] = state[0] >= self.n_calls
                continue
            if kind != _KIND_CALL or index != state[0]:
                raise _ProtocolError("unexpected call record")
            self.results[index] = (status, "" if status == "ok" else message, value)
            state[0] = index + 1
            state[2] = state[0] >= self.n_calls
        return bool(records)

    def _timeout_reason(self, loaded: bool, per_call: bool) -> tuple[str, str]:
        if not loaded:
            return ("timeout", f"loading your files took longer than {self.limits.wall_time:g} s")
        if per_call:
            return ("timeout", f"call took longer than {self.limits.call_time:g} s")
        return ("timeout", f"the submission used up its time limit of {self.limits.wall_time:g} s")

    def _settle(self, state: list[Any], failure: tuple[str, str] | None, status: int | None) -> int:
        """Book what ended the child; the next call index to run in a fresh child."""
        index, loaded, done = state
        if done:
            return index if loaded else self.n_calls
        if failure is None:
            failure = _death_reason(status, self.limits) if status is not None else ("error", "the process ended")
        if not loaded:
            kind = "timeout" if failure[0] == "timeout" else "error"
            if self.load is None:
                self.load = (kind, failure[1])
            else:
                self.not_run = (kind, _one_line(f"not run: your files failed to load again: {failure[1]}"))
            return self.n_calls
        self.results[index] = (failure[0], failure[1], None)
        following = index + 1
        if self.functions:
            name = self.functions[index]
            while following < self.n_calls and self.functions[following] == name:
                skipped = f"not run: an earlier call of {name} failed ({failure[1]})"
                self.results[following] = (failure[0], _one_line(skipped), None)
                following += 1
        return following

    def _read_output(self, fd: int) -> None:
        """Keep the first output_bytes of what the child (and its processes) printed."""
        size = _file_size(fd)
        room = self.limits.output_bytes - len(self.output)
        if size > room:
            self.truncated = True
        if room > 0 and size > 0:
            self.output += os.pread(fd, min(size, room), 0)

    def _outcome(self) -> SubmissionRun:
        load = self.load or ("error", "the submission produced no result")
        if load[0] != "ok":
            self.not_run = ("timeout" if load[0] == "timeout" else "error", "not run: your files did not load")
        not_run = self.not_run or ("error", "not run")
        # The child refuses non-finite values itself; its records are still checked here, all
        # at once (the result file is the child's to write).
        values = [entry[2] for entry in self.results if entry is not None and entry[2] is not None]
        if values and not np.isfinite(np.concatenate([v.ravel() for v in values])).all():
            self.results = [(("invalid", "returned non-finite values (nan or inf)", None)
                             if entry is not None and entry[2] is not None and not np.isfinite(entry[2]).all()
                             else entry) for entry in self.results]
        results = []
        for entry in self.results:
            status, message, value = entry if entry is not None else (*not_run, None)
            if value is not None:
                value.flags.writeable = False
            results.append(CallResult(status, value, message))
        output = _cut_output(bytes(self.output), self.truncated, self.limits.output_bytes)
        return SubmissionRun(load[0], load[1], tuple(results), output)


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
        self._encoded_calls: tuple[list[Call], tuple[bytes, int]] | None = None
        self._base = ""
        root = os.geteuid() == 0
        self._locks = _claim_uids(jobs) if root else [(-1, -1)] * jobs
        try:
            self._base = _make_base_dir(root)
            for slot, (uid, _) in enumerate(self._locks):
                worker = _Worker(uid, os.path.join(self._base, f"slot{slot}"))
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
        request = _encode_request(contents, self.limits)
        encoded = self._encoded(calls)
        worker = self._idle.get()
        try:
            functions = tuple(call.function for call in calls)
            return _Submission(worker, request, encoded, self.limits, functions).run()
        except BaseException:
            worker.restart()  # it may be waiting for a FINISH that will never come
            raise
        finally:
            self._idle.put(worker)

    def _encoded(self, calls: list[Call]) -> tuple[bytes, int]:
        """The calls frame and the number of calls, encoded once for every submission that is
        given the very same Call objects (each zygote then receives and decodes it once)."""
        with self._lock:
            cached = self._encoded_calls
            if cached is not None and len(cached[0]) == len(calls) and all(
                    a is b for a, b in zip(cached[0], calls)):
                return cached[1]
        encoded = (_encode_calls_frame(calls), len(calls))
        with self._lock:
            self._encoded_calls = (list(calls), encoded)
        return encoded

    def map(self, items: list[tuple[list[Path], list[Call]]]) -> list[SubmissionRun]:
        """Run many submissions, ``jobs`` at a time; results in the order of ``items``."""
        items = list(items)
        if self.jobs == 1 or len(items) < 2:
            return [self.run(files, calls) for files, calls in items]
        futures = [self.submit(files, calls) for files, calls in items]
        try:
            return [future.result() for future in futures]
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    def submit(self, files: list[Path], calls: list[Call]) -> Future[SubmissionRun]:
        """Queue one submission and return at once; the future's result is its run. The pool's
        threads run queued submissions ``jobs`` at a time, in the order they were queued."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the sandbox pool is closed")
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.jobs, thread_name_prefix="sandbox")
            return self._executor.submit(self.run, files, calls)

    def close(self) -> None:
        """Stop the workers and remove their folders; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
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
