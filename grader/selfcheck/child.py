"""The child side of the self-check runner: runs a student's functions and writes plain float64
records. It imports only the standard library and numpy, and runs either as ``python -c`` (its
source is passed in, so nothing of grader is imported there) or in a forked child.

The parent never unpickles anything: a request is a small binary header, JSON and raw bytes; each
result is a fixed header, a message and little-endian float64 data. What a function may return
follows the grading sandbox's rule (docs/sandbox.md): a number, a numeric numpy array, or nested
lists of numbers, all finite.
"""

from __future__ import annotations

import json
import math
import os
import struct
import sys
import traceback

import numpy as np

REQUEST = struct.Struct("<4sIQ")  # magic, JSON length, data length
REQUEST_MAGIC = b"GSC1"
RECORD = struct.Struct("<4sBBIIB")  # magic, kind, status, index, message length, ndim
RECORD_MAGIC = b"GSR1"
DIM = struct.Struct("<Q")
LOAD, CALL = 0, 1
STATUSES = ("ok", "error", "invalid")
MAX_MESSAGE = 300
MAX_VALUE_BYTES = 16 << 20
MAX_NDIM = 8
_SCALARS = (float, int, np.floating, np.integer)


class Refused(Exception):
    """A return value that is not plain finite numeric data; the message is for the student."""


def result_array(value) -> np.ndarray:
    """A function's return value as a finite float64 array, or Refused."""
    if value is None:
        raise Refused("returned None, expected a number or a numeric array (missing return?)")
    if isinstance(value, (bool, np.bool_)):
        raise Refused("returned a bool, expected a number or a numeric array")
    if isinstance(value, (complex, np.complexfloating)):
        raise Refused("returned a complex number, expected a real number")
    if isinstance(value, _SCALARS):
        try:
            array = np.asarray(float(value), dtype=np.float64)
        except OverflowError:
            raise Refused("returned a number too large for float64") from None
    elif type(value) is np.ndarray or isinstance(value, (list, tuple)):
        array = _numeric(value)
    elif isinstance(value, np.ndarray):
        raise Refused(f"returned a {type(value).__name__} (an ndarray subclass), expected a plain numpy array")
    else:
        raise Refused(f"returned a {type(value).__name__}, expected a number or a numeric array")
    if array.nbytes > MAX_VALUE_BYTES or array.ndim > MAX_NDIM:
        raise Refused("returned an array that is too large")
    if not np.isfinite(array).all():
        raise Refused("returned non-finite values (nan or inf)")
    return array


def _numeric(value) -> np.ndarray:
    if isinstance(value, np.ndarray):
        _check_dtype(value)
    else:
        _check_items(value, 0, [MAX_VALUE_BYTES // 8])
    try:
        return np.array(value, dtype=np.float64)
    except ValueError:
        raise Refused(f"returned a ragged {type(value).__name__}, expected a rectangular array") from None


def _check_dtype(array: np.ndarray) -> None:
    kind = array.dtype.kind
    if kind == "b":
        raise Refused("returned a bool array, expected numbers")
    if kind == "c":
        raise Refused("returned complex values, expected real numbers")
    if kind not in "fiu":
        raise Refused(f"returned an array of {array.dtype}, expected numbers")


def _check_items(value, depth: int, budget: list[int]) -> None:
    """Nested lists and tuples hold only numbers and numeric arrays (as grading requires)."""
    if depth >= MAX_NDIM:
        raise Refused(f"returned a {type(value).__name__} nested too deeply")
    budget[0] -= len(value)
    if budget[0] < 0:
        raise Refused("returned too many values")
    for item in value:
        if isinstance(item, (list, tuple)):
            _check_items(item, depth + 1, budget)
        elif type(item) is np.ndarray:
            _check_dtype(item)
        elif not isinstance(item, _SCALARS) or isinstance(item, (bool, np.bool_)):
            raise Refused(f"returned a list containing a {type(item).__name__}, expected numbers")


def one_line(text: str) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= MAX_MESSAGE else text[: MAX_MESSAGE - 1] + "…"


def describe(exc: BaseException, files: frozenset[str], loading: bool = False) -> str:
    """``ZeroDivisionError: division by zero (grads.py line 4)``, as the grading sandbox says it."""
    name = type(exc).__name__
    if isinstance(exc, SyntaxError):
        where = f" in {os.path.basename(str(exc.filename))} line {exc.lineno}" if exc.filename else ""
        return one_line(f"{name}{where}: {exc.msg}")
    if isinstance(exc, MemoryError):
        text = "memory limit exceeded"
    elif isinstance(exc, SystemExit):
        code = exc.code if type(exc.code) is int else None
        text = f"SystemExit: your code called sys.exit({'' if code is None else code})"
    else:
        message = str(exc)
        text = f"{name}: {message}" if message else name
    location = None
    for frame, line in traceback.walk_tb(exc.__traceback__):
        if frame.f_code.co_filename in files:
            location = (os.path.basename(frame.f_code.co_filename), line)
    if location is None:
        return one_line(text)
    if loading:
        prefix, _, message = text.partition(": ")
        where = f" in {location[0]} line {location[1]}"
        return one_line(f"{prefix}{where}: {message}" if message else f"{prefix}{where}")
    return one_line(f"{text} ({location[0]} line {location[1]})")


def record(kind: int, status: str, index: int, message: str, value: np.ndarray | None = None) -> bytes:
    text = one_line(message).encode("utf-8", "replace")
    shape = () if value is None else value.shape
    head = RECORD.pack(RECORD_MAGIC, kind, STATUSES.index(status), index, len(text), len(shape))
    data = b"" if value is None else np.asarray(value, dtype="<f8").tobytes()
    return head + b"".join(DIM.pack(d) for d in shape) + text + data


def write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]


def call_one(function, name: str, args: tuple, files: frozenset[str]) -> tuple[str, str, np.ndarray | None]:
    """(status, message, value) of one call; the arguments are fresh copies."""
    if function is None:
        return "error", f"no function named `{name}` in your files", None
    if not callable(function):
        return "error", f"`{name}` in your files is a {type(function).__name__}, not a function", None
    try:
        value = function(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    except BaseException as exc:  # noqa: BLE001 - whatever the student's code raises is its result
        return "error", describe(exc, files), None
    try:
        return "ok", "", result_array(value)
    except Refused as refused:
        return "invalid", one_line(str(refused)), None
    except BaseException as exc:  # noqa: BLE001 - an odd object that breaks numpy's conversion
        return "invalid", one_line(f"returned a value that is not numbers ({type(exc).__name__})"), None


def run_calls(fd: int, lookup, calls: list, start: int, files: frozenset[str]) -> None:
    """Each call from ``start``, its record written as soon as it returns."""
    for index in range(start, len(calls)):
        name, args = calls[index]
        status, message, value = call_one(lookup(name), name, args, files)
        write_all(fd, record(CALL, status, index, message, value))


def silence() -> None:
    """Student output goes nowhere (as in grading): stdout and stderr point at the null device."""
    sink = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        try:
            os.dup2(sink, fd)
        except OSError:
            pass
    sys.stdout = sys.stderr = open(os.devnull, "w", encoding="utf-8")


def _limit_memory(megabytes: int) -> None:
    """The bundle's memory limit as an address-space limit, where the system has one (a memory
    bomb then fails with MemoryError instead of swapping the student's machine)."""
    try:
        import resource

        if megabytes > 0:
            limit = megabytes << 20
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    except (ImportError, ValueError, OSError):
        pass


def decode_calls(meta: dict, data: bytes) -> list:
    calls = []
    for call in meta["calls"]:
        args = []
        for spec in call["args"]:
            if "int" in spec:
                args.append(int(spec["int"]))
            elif "float" in spec:
                args.append(float(spec["float"]))
            else:
                shape, offset = tuple(spec["shape"]), int(spec["offset"])
                size = 8 * math.prod(shape)
                args.append(np.frombuffer(data[offset:offset + size], dtype="<f8").reshape(shape).copy())
        calls.append((call["function"], tuple(args)))
    return calls


def main() -> None:
    """Run as a process: read the request on stdin, load the files, answer on the old stdout."""
    if sys.platform == "win32":  # records are binary: no newline translation on the pipes
        import msvcrt

        for fd in (0, 1):
            msvcrt.setmode(fd, os.O_BINARY)
    stream = sys.stdin.buffer
    magic, meta_len, data_len = REQUEST.unpack(stream.read(REQUEST.size))
    if magic != REQUEST_MAGIC:
        raise SystemExit(3)
    meta = json.loads(stream.read(meta_len))
    data = stream.read(data_len)
    out = os.dup(1)
    silence()
    if hasattr(os, "fork"):
        # The student's code runs in a child of this process, so code that kills its parent
        # ends only this one, never the grader that reads the results.
        pid = os.fork()
        if pid:
            _, status = os.waitpid(pid, 0)
            code = os.waitstatus_to_exitcode(status)
            os._exit(code if code >= 0 else 128 - code)
        _limit_memory(int(meta.get("memory_mb", 0)))
    namespace: dict = {"__name__": "submission"}
    files = []
    try:
        for name, offset, size in meta["files"]:
            path = os.path.join(meta["folder"], name)
            files.append(path)
            namespace["__file__"] = path
            exec(compile(data[offset:offset + size], path, "exec", dont_inherit=True), namespace)
    except BaseException as exc:  # noqa: BLE001 - a file that does not load is the student's result
        write_all(out, record(LOAD, "error", 0, describe(exc, frozenset(files), loading=True)))
        return
    write_all(out, record(LOAD, "ok", 0, ""))
    calls = decode_calls(meta, data)
    run_calls(out, namespace.get, calls, int(meta["start"]), frozenset(files))


if __name__ == "__main__":
    main()
    os._exit(0)
