"""One submission on the grader's side: start its children, time them, collect their records.

The child writes its records to a memory file and the grader only looks at it every _POLL
seconds (to restart each call's clock) and when the child is done. Calls are timed in the
submission's own CPU time where its worker's cgroup measures it, so a busy machine (another
submission's burners, other graders) does not make an honest call time out; a wall-clock
backstop still ends calls that sleep.
"""

from __future__ import annotations

import os
import select
import signal
import threading
import time
from typing import TYPE_CHECKING, Any

import numpy as np

from .limits import CallResult, Limits, SubmissionRun
from .protocol import ProtocolError, Record, ResultReader
from .zygote import (CHILD_ENDED, EXIT_CHANNEL, EXIT_INTERNAL, FILE_SIZE_LIMIT, KIND_CALL, KIND_LOAD,
                     SETUP_FAILED, STATUS, STATUS_MAGIC, one_line)

if TYPE_CHECKING:
    from .pool import Worker

_POLL = 0.02  # seconds between the grader's looks at a running child's results
STOPPED = "not run to the end: grading was stopped"
_MAX_RESULT_FILE = FILE_SIZE_LIMIT  # the child cannot write more; the grader reads no more


class WorkerDied(Exception):
    """The zygote went away in the middle of a submission."""


def wall_backstop(call_time: float) -> float:
    """Wall seconds a call may take when its CPU time is what is limited (sleeping uses none)."""
    return 2 * call_time + 1


class Submission:
    """Runs every call of one submission, in as many children as failures make necessary."""

    def __init__(self, worker: Worker, request: bytes, calls: tuple[bytes, int], limits: Limits,
                 functions: tuple[str, ...] = (), stopping: threading.Event | None = None) -> None:
        self.worker = worker
        #: Set when the pool closes (Ctrl-C, SIGTERM): a running submission ends at once.
        self.stopping = stopping
        #: The function of each call: after a call kills its child (a timeout, a crash), the
        #: calls right after it to the same function are not run, so one function that loops
        #: forever costs one call_time, not the whole wall_time of the submission.
        self.functions = functions
        self.request = request
        self.calls = calls
        self.n_calls = calls[1]
        self.limits = limits
        self.load: tuple[str, str] | None = None
        self.results: list[tuple[str, str, np.ndarray | None] | None] = [None] * self.n_calls
        self.not_run: tuple[str, str] | None = None  # status and message for calls never reached
        self.output = bytearray()
        self.truncated = False
        self.deadline = 0.0
        groups = worker.groups
        self.cpu = groups.cpu_seconds if groups is not None and groups.measures_cpu else None
        self.cpu_start = 0.0

    def run(self) -> SubmissionRun:
        """Run every call (the rest in a fresh child after a crash or timeout)."""
        self.deadline = time.monotonic() + self.limits.wall_time
        self.cpu_start = self.cpu() if self.cpu else 0.0
        start = 0
        while True:
            start = self._run_child(start)
            if start >= self.n_calls or self.not_run is not None:
                break
            if self.stopping is not None and self.stopping.is_set():
                self.not_run = ("error", STOPPED)
                break
            if time.monotonic() >= self.deadline:
                wall = self.limits.wall_time
                self.not_run = ("timeout", f"not run: the submission used up its time limit of {wall:g} s")
                break
        return self._outcome()

    def _run_child(self, start: int) -> int:
        """One child that loads the files and runs calls from ``start``; the next call to run."""
        groups = self.worker.groups
        ooms = groups.oom_kills() if groups is not None else -1
        res, out, status_fd, done = self.worker.spawn(self.request, start, self.calls)
        try:
            failure, state, status = self._watch(start, res, status_fd, done)
            self._read_output(out)
        finally:
            for fd in (res, out, status_fd, done):
                os.close(fd)
        if groups is not None and 0 <= ooms < groups.oom_kills() and not state[2]:
            total = self.limits.memory_bytes >> 20
            failure = ("error", f"memory limit exceeded: your code's processes together used more than {total} MB")
        return self._settle(state, failure, status)

    def _watch(self, start: int, res: int, status_fd: int, done: int) -> tuple[tuple[str, str] | None, list[Any], Any]:
        """Wait until the child is done or a limit is reached, then have the zygote end the
        submission: (what ended it early, [next call, loaded, done], how the child ended).

        ``done`` becomes readable when the child has sent its last record, or the init has
        reaped it (the init also writes its status file then), or the init died.
        """
        sock = self.worker.sock
        assert sock is not None
        watch = [sock, done]
        limits, cpu = self.limits, self.cpu
        call_limit = wall_backstop(limits.call_time) if cpu else limits.call_time
        reader = ResultReader()
        state: list[Any] = [start, False, False]  # next call index, loaded, child is done
        offset = [0]
        phase_end = self.deadline
        per_call = False
        call_cpu = None
        failure: tuple[str, str] | None = None
        status = None
        died = False
        while True:
            status = _child_status(status_fd)  # read first: once it is there, so are all records
            try:
                progressed = self._collect(res, offset, reader, state)
            except ProtocolError:
                failure = ("invalid", "sent malformed data on the grader's result channel")
                break
            if state[2] or status is not None:
                break
            now = time.monotonic()
            if self.stopping is not None and self.stopping.is_set():
                failure = ("error", STOPPED)
                break
            used = cpu() if cpu else 0.0
            if progressed:
                per_call = now + call_limit < self.deadline
                phase_end = min(now + call_limit, self.deadline)
                call_cpu = used
            if cpu:
                if used - self.cpu_start > limits.cpu_time:
                    failure = ("timeout", f"CPU time limit of {limits.cpu_time:g} s exceeded")
                    break
                if call_cpu is not None and used - call_cpu > limits.call_time:
                    failure = ("timeout", f"call took longer than {limits.call_time:g} s")
                    break
            remaining = phase_end - now
            if remaining <= 0:
                failure = self._timeout_reason(state[1], per_call)
                break
            ready = select.select(watch, [], [], min(remaining, _POLL))[0]
            if sock in ready:  # the zygote says nothing after READY: this is its end
                died = True
                break
            if done in ready and not os.read(done, 64):
                watch = [sock]  # the init is gone; keep polling the files
            elif done in ready:
                watch = [sock]  # early bytes can only come from the student: do not trust more
        if not died:
            try:
                self.worker.finish()
            except WorkerDied:
                died = True
        if died:
            code = self.worker.restart()
            if code == -signal.SIGKILL and self.worker.uid < 0 and not self.worker.namespaces:
                failure = ("error", "the submission killed its parent process (the sandbox worker)")
            else:
                failure = ("error", f"the sandbox worker died unexpectedly (exit code {code})")
            return failure, state, None
        return failure, state, status

    def _collect(self, res: int, offset: list[int], reader: ResultReader, state: list[Any]) -> bool:
        """Read what the child has added to its result file since ``offset``; whether a record
        arrived. The file is the child's to write (and to spoil): a file that shrank, or more
        bytes than the calls can need, is malformed data."""
        if state[2]:
            return False
        size = os.fstat(res).st_size
        if size < offset[0] or size > _MAX_RESULT_FILE:
            raise ProtocolError("result file changed under us")
        progressed = False
        while offset[0] < size:
            chunk = os.pread(res, min(size - offset[0], 1 << 20), offset[0])
            if not chunk:
                break
            offset[0] += len(chunk)
            progressed = self._take(reader.feed(chunk), state) or progressed
            if reader.error is not None:
                raise reader.error
            if state[2]:
                break
        return progressed

    def _take(self, records: list[Record], state: list[Any]) -> bool:
        """Book records from the child into the results; whether any arrived."""
        for kind, status, index, message, value in records:
            if state[2]:
                break  # the child said all it had to; anything more is ignored
            if message:
                message = one_line(message)
            if not state[1]:
                if kind != KIND_LOAD or status == "invalid":
                    raise ProtocolError("expected the load record")
                if status == "error":
                    if self.load is None:
                        self.load = ("error", message)
                    else:
                        self.not_run = ("error", one_line(f"not run: your files failed to load again: {message}"))
                    state[2] = True
                    continue
                if self.load is None:
                    self.load = ("ok", message)
                state[1] = True
                state[2] = state[0] >= self.n_calls
                continue
            if kind != KIND_CALL or index != state[0] or index >= self.n_calls:
                raise ProtocolError("unexpected call record")
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

    def _settle(self, state: list[Any], failure: tuple[str, str] | None, status: Any) -> int:
        """Book what ended the child; the next call index to run in a fresh child."""
        index, loaded, done = state
        if done:
            return index if loaded else self.n_calls
        if failure is None:
            failure = _death_reason(status, self.limits)
        if not loaded:
            kind = "timeout" if failure[0] == "timeout" else "error"
            if self.load is None:
                self.load = (kind, failure[1])
            else:
                self.not_run = (kind, one_line(f"not run: your files failed to load again: {failure[1]}"))
            return self.n_calls
        self.results[index] = (failure[0], failure[1], None)
        following = index + 1
        if self.functions:
            name = self.functions[index]
            while following < self.n_calls and self.functions[following] == name:
                skipped = f"not run: an earlier call of {name} failed ({failure[1]})"
                self.results[following] = (failure[0], one_line(skipped), None)
                following += 1
        return following

    def _read_output(self, fd: int) -> None:
        """Keep the first output_bytes of what the child (and its processes) printed."""
        size = os.fstat(fd).st_size
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
        output = cut_output(bytes(self.output), self.truncated, self.limits.output_bytes)
        return SubmissionRun(load[0], load[1], tuple(results), output)


def _child_status(fd: int) -> Any:
    """What the init wrote about the child: its wait status (int), ("setup", message), or None
    when the init was killed before it could say."""
    raw = os.pread(fd, STATUS.size + 1000, 0)
    if len(raw) < STATUS.size:
        return None
    magic, kind, value = STATUS.unpack_from(raw)
    if magic != STATUS_MAGIC:
        return None
    if kind == SETUP_FAILED:
        return ("setup", one_line(raw[STATUS.size :].decode("utf-8", "replace")))
    return value if kind == CHILD_ENDED and value >= 0 else None


def _death_reason(status: Any, limits: Limits) -> tuple[str, str]:
    """Why a child ended before sending every result, in words for the student."""
    if status is None:
        return ("error", "the process ended")
    if isinstance(status, tuple):
        return ("error", status[1])
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
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return ("error", f"the process was killed by {name}")
    code = os.WEXITSTATUS(status) if os.WIFEXITED(status) else -1
    if code == EXIT_CHANNEL:
        return ("error", "the result could not be sent back (memory limit exceeded, or the channel was closed)")
    if code == EXIT_INTERNAL:
        return ("error", "the sandbox failed while running your code")
    return ("error", f"your code ended the process (exit code {code}) before the call returned")


def cut_output(raw: bytes, truncated: bool, limit: int) -> str:
    """Decoded output of at most ``limit`` UTF-8 bytes, marked when it was cut."""
    marker = "\n[output cut]\n" if truncated and limit > 60 else ""
    room = limit - len(marker)
    text = raw.decode("utf-8", "replace")
    encoded = text.encode("utf-8")
    if len(encoded) > room or marker:
        text = encoded[: max(room, 0)].decode("utf-8", "ignore")
    return text + marker
