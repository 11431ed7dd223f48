"""Running a student's own code for a self-check, where the grading sandbox is not used.

- ``LocalPool`` runs a student's .py files in a plain child process (``python -c``, on Linux,
  macOS and Windows) with a time limit per call and one for the whole run; a call that runs over
  is stopped by killing the child (which stops a long numpy call too), and the remaining calls
  run in a fresh one. It has the sandbox pool's ``submit``/``close`` surface, so the grading
  pipeline drives it unchanged.
- ``run_function`` runs a function object from a notebook: in a forked child on Linux and macOS
  (the same time limits); on Windows, where there is no fork, in a thread of the notebook's own
  process, where a call that runs over is reported as a timeout but cannot be stopped.

Nothing from the child is unpickled: results are fixed-layout records of float64 data (``child``).
No memory, process or network limit is applied: it is the student's own code on their own machine.
"""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Callable, Iterable

import numpy as np

from ..rubric import SandboxSettings
from . import child

MAX_FILE_BYTES = 16 << 20
_MAX_RECORD_MESSAGE = 4096
_START_GRACE = 5.0  # seconds the first child may take to start Python and import numpy


@dataclass(frozen=True)
class LocalCall:
    """One call of a student function (the fields of the sandbox's ``Call``)."""

    function: str
    args: tuple = ()


@dataclass(frozen=True)
class CallOutcome:
    """One call's result (the fields of the sandbox's ``CallResult``)."""

    status: str
    value: np.ndarray | None
    message: str = ""


@dataclass(frozen=True)
class Run:
    """One submission's run (the fields of the sandbox's ``SubmissionRun``)."""

    load_status: str
    load_message: str
    results: tuple[CallOutcome, ...]
    output: str = ""


# -- reading records -------------------------------------------------------------------------------
class _Records:
    """Records from a child's result stream, read by a thread so the caller can wait with a timeout
    on any platform. None in the queue means the stream ended."""

    def __init__(self, stream: BinaryIO):
        self.queue: queue.Queue = queue.Queue()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: BinaryIO) -> None:
        try:
            while True:
                item = _read_record(stream)
                self.queue.put(item)
                if item is None:
                    return
        except (OSError, ValueError):
            self.queue.put(None)

    def next(self, timeout: float):
        """The next record, None at the end of the stream, or TimeoutError."""
        try:
            return self.queue.get(timeout=max(timeout, 0.0))
        except queue.Empty:
            raise TimeoutError from None


def _read_exact(stream: BinaryIO, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        chunk = stream.read(size - len(data))
        if not chunk:
            return None
        data += chunk
    return data


def _read_record(stream: BinaryIO) -> tuple[int, str, int, str, np.ndarray | None] | None:
    head = _read_exact(stream, child.RECORD.size)
    if head is None:
        return None
    magic, kind, status, index, length, ndim = child.RECORD.unpack(head)
    if magic != child.RECORD_MAGIC or status >= len(child.STATUSES) or ndim > child.MAX_NDIM \
            or length > _MAX_RECORD_MESSAGE:
        raise ValueError("bad record")
    dims = _read_exact(stream, child.DIM.size * ndim) if ndim else b""
    shape = tuple(child.DIM.unpack_from(dims, i * child.DIM.size)[0] for i in range(ndim))
    message = (_read_exact(stream, length) or b"").decode("utf-8", "replace")
    value = None
    if child.STATUSES[status] == "ok" and kind == child.CALL:
        count = int(np.prod(shape, dtype=object)) if shape else 1
        if 8 * count > child.MAX_VALUE_BYTES:
            raise ValueError("bad record")
        data = _read_exact(stream, 8 * count)
        if data is None:
            return None
        value = np.frombuffer(data, dtype="<f8").astype(np.float64).reshape(shape)
    return kind, child.STATUSES[status], index, message, value


# -- a run with time limits -----------------------------------------------------------------------
class _Budget:
    """The time limits of one submission: per call, and for the whole run."""

    def __init__(self, settings: SandboxSettings):
        self.call_time = settings.call_time
        self.wall_time = settings.wall_time
        self.deadline = time.monotonic() + settings.wall_time

    def left(self) -> float:
        return self.deadline - time.monotonic()


class _Child:
    """A started child: its records, and ``stop`` (idempotent) that ends it and gives its exit code."""

    def __init__(self, records: _Records, stop: Callable[[], int | None]):
        self.records = records
        self._stop = stop
        self._code: int | None = None
        self._stopped = False

    def stop(self) -> int | None:
        # Once only: after a forked child is reaped its pid may belong to another process.
        if not self._stopped:
            self._stopped = True
            self._code = self._stop()
        return self._code


def _failed(results: dict[int, CallOutcome], calls: list, index: int, failure: CallOutcome) -> int:
    """Book a call that timed out or ended its process, and (as the grading sandbox does) the
    calls of the same function right after it; the index of the next call to run."""
    results[index] = failure
    name = calls[index].function
    following = index + 1
    while following < len(calls) and calls[following].function == name:
        results[following] = CallOutcome(failure.status, None, child.one_line(
            f"not run: an earlier call of {name} failed ({failure.message})"))
        following += 1
    return following


def _collect(start: Callable[[int], _Child], calls: list, budget: _Budget, loads: bool) -> Run:
    """Start a child at call 0, read its records, restart it after a call that timed out or
    ended the process, until every call has a result or the run's time is used up."""
    results: dict[int, CallOutcome] = {}
    load_status, load_message = "ok", ""
    index = 0
    first = True
    while index < len(calls) and budget.left() > 0:
        running = start(index)
        try:
            if loads:
                grace = _START_GRACE if first else 0.0
                try:
                    item = running.records.next(budget.left() + grace)
                except TimeoutError:
                    item = "timeout"
                if item is None:
                    code = running.stop()
                    load_status = "error"
                    load_message = f"your code ended the process (exit code {code}) while loading"
                elif item == "timeout":
                    load_status = "timeout"
                    load_message = f"loading your files took longer than {budget.wall_time:g} s"
                elif item[1] != "ok":
                    load_status, load_message = "error", item[3]
                if load_status != "ok":
                    break
            first = False
            while index < len(calls):
                try:
                    item = running.records.next(min(budget.call_time, budget.left()))
                except TimeoutError:
                    running.stop()
                    message = (f"call took longer than {budget.call_time:g} s" if budget.left() > 0
                               else f"the submission used up its time limit of {budget.wall_time:g} s")
                    index = _failed(results, calls, index, CallOutcome("timeout", None, message))
                    break
                if item is None:
                    code = running.stop()
                    index = _failed(results, calls, index, CallOutcome(
                        "error", None, f"your code ended the process (exit code {code}) before the call returned"))
                    break
                _, status, _, message, value = item
                results[index] = CallOutcome(status, value, message)
                index += 1
        finally:
            running.stop()
    if load_status != "ok":
        failed = "timeout" if load_status == "timeout" else "error"
        return Run(load_status, load_message,
                   tuple(CallOutcome(failed, None, "not run: your files did not load") for _ in calls))
    left = CallOutcome("timeout", None, f"not run: the submission used up its time limit of {budget.wall_time:g} s")
    return Run("ok", "", tuple(results.get(i, left) for i in range(len(calls))))


# -- files in a child process ---------------------------------------------------------------------
def _encode_request(files: list[tuple[str, bytes]], calls: list, start: int, folder: str,
                    memory_mb: int = 0) -> bytes:
    blobs: list[bytes] = []
    offset = 0
    listed = []
    for name, content in files:
        listed.append([name, offset, len(content)])
        blobs.append(content)
        offset += len(content)
    encoded = []
    for call in calls:
        args = []
        for arg in call.args:
            if isinstance(arg, (bool, np.bool_)):
                raise TypeError("calls pass numbers and arrays only")
            if isinstance(arg, (int, np.integer)):
                args.append({"int": int(arg)})
            elif isinstance(arg, (float, np.floating)):
                args.append({"float": float(arg)})
            else:
                array = np.asarray(arg, dtype="<f8")
                args.append({"shape": list(array.shape), "offset": offset})
                blobs.append(array.tobytes())
                offset += array.nbytes
        encoded.append({"function": call.function, "args": args})
    meta = json.dumps({"files": listed, "calls": encoded, "start": start, "folder": folder,
                       "memory_mb": memory_mb}).encode()
    data = b"".join(blobs)
    return child.REQUEST.pack(child.REQUEST_MAGIC, len(meta), len(data)) + meta + data


def _read_files(paths: Iterable) -> tuple[list[tuple[str, bytes]], str]:
    """(name, content) of the .py files: paths are read here, (name, content) pairs (already
    read with the submission) are taken as they are."""
    files = []
    given = [entry for entry in paths if isinstance(entry, tuple)]
    for name, content in sorted(given):
        if name.endswith(".py"):
            if len(content) > MAX_FILE_BYTES:
                return [], f"{name} is larger than {MAX_FILE_BYTES >> 20} MB"
            files.append((name, content))
    for path in sorted(Path(p) for p in paths if not isinstance(p, tuple)):
        if path.suffix != ".py":
            continue
        try:
            if path.stat().st_size > MAX_FILE_BYTES:
                return [], f"{path.name} is larger than {MAX_FILE_BYTES >> 20} MB"
            files.append((path.name, path.read_bytes()))
        except OSError as err:
            return [], f"cannot read {path.name}: {err.strerror or err}"
    return files, ""


def run_files(paths: Iterable[Path], calls: list, settings: SandboxSettings) -> Run:
    """A student's .py files loaded in a plain child process, then each call made."""
    files, problem = _read_files(paths)
    if problem:
        return Run("error", problem, tuple(CallOutcome("error", None, "not run: your files did not load")
                                            for _ in calls))
    source = Path(child.__file__).read_text(encoding="utf-8")
    budget = _Budget(settings)
    with tempfile.TemporaryDirectory(prefix="grader-selfcheck-") as folder:
        def start(index: int) -> _Child:
            process = subprocess.Popen([sys.executable, "-c", source], stdin=subprocess.PIPE,
                                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                       cwd=folder, start_new_session=hasattr(os, "killpg"))
            records = _Records(process.stdout)
            try:
                process.stdin.write(_encode_request(files, calls, index, folder, settings.memory_mb))
                process.stdin.close()
            except OSError:
                pass  # it died at once: its records end, and that is reported

            def stop() -> int | None:
                if hasattr(os, "killpg"):
                    try:  # the child and the process running the student's code under it
                        os.killpg(process.pid, signal.SIGKILL)
                    except (ProcessLookupError, PermissionError):
                        pass
                elif process.poll() is None:
                    process.kill()
                try:
                    return process.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    return None
            return _Child(records, stop)

        return _collect(start, calls, budget, loads=True)


class LocalPool:
    """``submit(files, calls)`` like the sandbox pool's, running each submission with ``run_files``."""

    def __init__(self, settings: SandboxSettings):
        self.settings = settings
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="grader-selfcheck")

    def submit(self, files: list[Path], calls: list) -> Future:
        return self._executor.submit(run_files, files, list(calls), self.settings)

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


# -- a function object ----------------------------------------------------------------------------
def can_fork() -> bool:
    return hasattr(os, "fork") and sys.platform != "win32"


def run_function(function: Callable, calls: list, settings: SandboxSettings) -> list[CallOutcome]:
    """Each call of ``function`` (a notebook's function object), with the time limits."""
    budget = _Budget(settings)
    if not can_fork():
        return _run_in_threads(function, calls, budget)
    where = getattr(getattr(function, "__code__", None), "co_filename", "")

    def start(index: int) -> _Child:
        read_fd, write_fd = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads (Jupyter's)
            pid = os.fork()
        if pid == 0:  # the child: run the calls, write records, never return
            code = 0
            try:
                os.close(read_fd)
                child.silence()
                child.run_calls(write_fd, lambda _name: function, [(c.function, c.args) for c in calls],
                                index, frozenset({where}))
            except BaseException:  # noqa: BLE001 - the child must end here whatever happens
                code = 1
            os._exit(code)
        os.close(write_fd)

        def stop() -> int | None:
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:
                return None
            return os.waitstatus_to_exitcode(status)
        return _Child(_Records(os.fdopen(read_fd, "rb", buffering=0)), stop)

    return list(_collect(start, calls, budget, loads=False).results)


def _run_in_threads(function: Callable, calls: list, budget: _Budget) -> list[CallOutcome]:
    """Windows: each call in a thread of this process; one that runs over cannot be stopped, so
    it is reported as a timeout and the calls after it are not run."""
    where = frozenset({getattr(getattr(function, "__code__", None), "co_filename", "")})
    results: list[CallOutcome] = []
    for index, call in enumerate(calls):
        box: list = []
        worker = threading.Thread(target=lambda c=call: box.append(child.call_one(function, c.function, c.args, where)),
                                  daemon=True)
        worker.start()
        worker.join(min(budget.call_time, max(budget.left(), 0.0)))
        if worker.is_alive() or not box:
            results.append(CallOutcome("timeout", None, f"call took longer than {budget.call_time:g} s "
                                       "(on Windows it could not be stopped: it may still be running)"))
            results += [CallOutcome("timeout", None, "not run: an earlier call did not finish")
                        for _ in calls[index + 1:]]
            return results
        status, message, value = box[0]
        results.append(CallOutcome(status, value, message))
    return results


__all__ = ["CallOutcome", "LocalCall", "LocalPool", "Run", "can_fork", "run_files", "run_function"]
