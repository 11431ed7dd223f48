"""The grader's side of the sandbox: a pool of warm workers (zygotes), each forking a fresh,
isolated world per submission, and the threads that run submissions on them."""

from __future__ import annotations

import json
import os
import queue
import select
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from . import isolation as iso
from . import zygote
from .cgroups import CgroupsUnavailable, PoolGroups, WorkerGroups, remove_pool_groups
from .files import read_submission_files
from .limits import Call, Limits, SubmissionRun, failed_run
from .protocol import encode_calls_frame, encode_request
from .slots import Lease, claim_uids, release_uids, sweep_stale
from .submission import Submission, WorkerDied
from .zygote import (BOOT, CALLS, CALLS_OK, COMMAND, COMMAND_MAGIC, FINISH, READY, REPLY, REPLY_MAGIC, RUN,
                     one_line, write_all)

#: Modules the zygote imports before forking, so that no child pays for them. A rubric's own
#: offered packages (Limits.modules) are imported as well.
PRELOAD_MODULES: tuple[str, ...] = (
    "numpy", "numpy.random", "numpy.linalg", "numpy.fft", "numpy.polynomial",
    "math", "cmath", "random", "statistics", "itertools", "functools", "operator", "collections",
    "collections.abc", "heapq", "bisect", "copy", "dataclasses", "typing", "enum", "fractions",
    "decimal", "numbers", "re", "string", "json", "time", "datetime", "warnings", "contextlib",
    "array", "struct", "io", "os", "subprocess", "threading", "textwrap", "pprint", "linecache",
    "traceback", "tokenize", "pickle", "csv", "encodings.latin_1", "encodings.ascii",
)  # fmt: skip

_READY_TIMEOUT = 60.0  # seconds a new zygote may take to import numpy (and the offered packages)
_NPROC_WITH_PIDS_CGROUP = 4096  # RLIMIT_NPROC counts per uid machine-wide: a backstop only then
ISOLATION_CHOICES = ("required", "weak-ok")


def _zygote_env() -> dict[str, str]:
    """A small environment for starting the zygote; fixed hash seed, one BLAS thread."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/local/bin:/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
    }
    for name in ("PYTHONPATH", "VIRTUAL_ENV", "SYSTEMROOT", "HOME"):
        if name in os.environ:
            env[name] = os.environ[name]
    return env


def _channel(name: str) -> int:
    """A fresh in-memory file: a submission's request, results, output or status.

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


class Worker:
    """One zygote process and what its submissions use: a uid, a folder, cgroups. Used by one
    thread at a time."""

    def __init__(self, config: dict, uid: int, groups: WorkerGroups | None) -> None:
        self.config = config
        self.uid = uid
        self.groups = groups
        self.namespaces = bool(config["namespaces"])
        self.proc: subprocess.Popen[bytes] | None = None
        self.sock: socket.socket | None = None
        self.ready = False
        #: Which calls frame this zygote holds (None: none yet, or it was restarted since).
        self.calls_frame: bytes | None = None
        self._start()

    def _start(self) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        config_fd = _channel("config")
        try:
            # Through a memory file rather than argv: a child's /proc/self/cmdline is the
            # zygote's, and need not show which folders are hidden from it.
            write_all(config_fd, json.dumps({**self.config, "parent": os.getpid()}).encode())
            command = [sys.executable, "-c", BOOT, str(theirs.fileno()), str(config_fd)]
            self.proc = subprocess.Popen(
                command,
                pass_fds=(theirs.fileno(), config_fd),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=_zygote_env(),
                cwd="/",
                start_new_session=True,  # the terminal's Ctrl-C goes to the grader, which stops us
            )
        finally:
            theirs.close()
            os.close(config_fd)
        self.sock = ours
        self.ready = False
        self.calls_frame = None

    def stop(self, kill: bool) -> int | None:
        """End the zygote; its return code. Under namespaces the process the grader started is
        the zygote's shim, which never ends by itself: killing it ends the zygote too."""
        assert self.proc is not None and self.sock is not None
        self.sock.close()
        if kill or self.namespaces:
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
        while len(buffer) < REPLY.size:
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([self.sock], [], [], remaining)[0]:
                raise WorkerDied("the sandbox worker did not answer")
            chunk = self.sock.recv(REPLY.size - len(buffer))
            if not chunk:
                raise WorkerDied("the sandbox worker died")
            buffer += chunk
        magic, got, value = REPLY.unpack(buffer)
        if magic != REPLY_MAGIC or got != kind:
            raise WorkerDied("the sandbox worker sent malformed data")
        return value

    def await_ready(self) -> None:
        assert self.proc is not None
        if self.proc.poll() is not None:
            self.restart()
        if self.ready:
            return
        try:
            self._reply(READY, time.monotonic() + _READY_TIMEOUT)
        except WorkerDied:
            code = self.stop(kill=True)
            self._start()
            raise RuntimeError(f"the sandbox worker did not start (exit code {code}); see its stderr") from None
        self.ready = True

    def _send_calls(self, frame: bytes, count: int) -> None:
        """Give the zygote the calls its children make (they stay until it is restarted)."""
        assert self.sock is not None
        self.sock.sendall(COMMAND.pack(COMMAND_MAGIC, CALLS, 0, len(frame)))
        self.sock.sendall(frame)
        if self._reply(CALLS_OK, time.monotonic() + _READY_TIMEOUT) != count:
            raise WorkerDied("the sandbox worker misread the calls")
        self.calls_frame = frame

    def spawn(self, request: bytes, start: int, calls: tuple[bytes, int]) -> tuple[int, int, int, int]:
        """Have the zygote start a submission for ``request`` from call ``start`` of ``calls``
        (frame, count): its result, output and status channels, and the read end of its done
        pipe. Nothing is awaited: the zygote answers nothing, and dies loudly (EOF)."""
        for attempt in (1, 2):
            self.await_ready()
            assert self.sock is not None
            fds: list[int] = []
            try:
                if self.calls_frame is not calls[0]:
                    self._send_calls(*calls)
                fds = [_channel(name) for name in ("request", "results", "output", "status")]
                fds += os.pipe2(os.O_CLOEXEC)
                write_all(fds[0], request)  # read by the child, never by the zygote
                head = COMMAND.pack(COMMAND_MAGIC, RUN, start, 0)
                if socket.send_fds(self.sock, [head], fds[:4] + fds[5:]) != len(head):
                    raise OSError("short send")
                for index in (5, 0):
                    os.close(fds.pop(index))
            except (OSError, WorkerDied) as exc:
                for fd in fds:
                    os.close(fd)
                if attempt == 2:
                    raise RuntimeError(f"the sandbox worker keeps failing: {exc}") from None
                self.restart()  # it died while idle: start afresh and try once more
                continue
            return fds[0], fds[1], fds[2], fds[3]
        raise AssertionError("unreachable")

    def finish(self) -> None:
        """Have the zygote kill what is left of the submission and clean up (it then reads the
        next command, so nothing needs to be awaited)."""
        assert self.sock is not None
        try:
            self.sock.sendall(COMMAND.pack(COMMAND_MAGIC, FINISH, 0, 0))
        except OSError:
            raise WorkerDied("the sandbox worker died") from None

    def close(self) -> None:
        if self.proc is not None:
            self.stop(kill=False)
            self.proc = None


class SandboxPool:
    """Warm sandbox workers (numpy imported) that give each submission a fresh, isolated world.

    ``isolation="required"`` (the default) refuses to start unless each submission gets its own
    PID, mount, IPC and network namespaces (IsolationUnavailable says why): without them one
    student's code could reach another's. ``"weak-ok"`` accepts separate processes with rlimits
    (and a dropped uid when root): fine for one submission alone, e.g. a student checking their
    own work. ``hide``: folders that must not be visible inside even if they lie within a folder
    the sandbox binds (the class folder, rubric and output folders are invisible anyway unless
    they sit inside the Python installation or the system's library folders).
    """

    def __init__(self, jobs: int = 1, limits: Limits = Limits(), isolation: str = "required",
                 hide: tuple[str | Path, ...] = ()) -> None:
        if type(jobs) is not int or jobs < 1:
            raise ValueError(f"jobs must be a positive int, not {jobs!r}")
        if isolation not in ISOLATION_CHOICES:
            raise ValueError(f"isolation must be one of {ISOLATION_CHOICES}, not {isolation!r}")
        self.jobs = jobs
        self.limits = limits
        self._workers: list[Worker] = []
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._stopping = threading.Event()
        self._encoded_calls: tuple[list[Call], tuple[bytes, int]] | None = None
        self._uids: list[tuple[int, int]] = []
        self._groups: PoolGroups | None = None
        self._lease: Lease | None = None
        try:
            sweep_stale(remove_pool_groups)
        except OSError:
            pass  # leftovers stay for another run to remove; this one need not fail for them
        plan = iso.mount_plan(limits.modules, iso.default_hidden() + tuple(map(str, hide)))
        usable, user_ns, reason = iso.probe(plan)
        if not usable and isolation == "required":
            raise iso.IsolationUnavailable(
                f"student code would run in a weak sandbox here: {reason}. Without namespaces one "
                "student's code can reach another's; run as root, enable unprivileged user namespaces "
                "or use the container flags in docs/sandbox.md, or accept the weaker sandbox "
                "explicitly (isolation='weak-ok')")
        root = os.geteuid() == 0
        try:
            self._lease = Lease()
            self._base = self._lease.base
            try:
                self._groups = PoolGroups(self._lease.name, jobs, limits)
            except CgroupsUnavailable:
                self._groups = None
            controllers = self._groups.controllers if self._groups else ()
            self.isolation = iso.Isolation(iso.FULL if usable else iso.WEAK, usable and user_ns,
                                           controllers, reason)
            if root and not (usable and user_ns):
                self._uids = claim_uids(jobs, shared=usable)
            uids = [uid for uid, _ in self._uids] or [-1] * jobs
            nproc = _NPROC_WITH_PIDS_CGROUP if "pids" in controllers else limits.processes
            config = {
                "module": os.path.abspath(zygote.__file__), "namespaces": usable, "user_ns": usable and user_ns,
                "root": self._base, "plan": plan if usable else [], "init": iso.init_program(plan), "oom_protected": root and bool(controllers),
                "preload": list(PRELOAD_MODULES) + list(limits.modules), "modules": list(limits.modules),
                "limits": {"cpu_time": limits.cpu_time, "memory_bytes": limits.memory_bytes,
                           "disk_bytes": limits.disk_bytes, "nproc": nproc},
            }
            for slot in range(jobs):
                groups = self._groups.workers[slot] if self._groups else None
                worker = Worker({**config, "uid": uids[slot], "workdir": os.path.join(self._base, f"slot{slot}"),
                                 "cgroups": groups.procs if groups else []}, uids[slot], groups)
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
        """Grade one submission: load ``files`` in a fresh sandboxed child and make each call.

        Whatever goes wrong with this one submission (its files, its output, the sandbox's own
        processes) becomes its result; only a wrong argument from the caller raises."""
        if self._closed:
            raise RuntimeError("the sandbox pool is closed")
        calls = list(calls)
        for call in calls:
            if not isinstance(call, Call):
                raise TypeError(f"calls must be Call objects, not {type(call).__name__}")
        encoded = self._encoded(calls)
        try:
            contents, problem = read_submission_files(list(files))
        except Exception as exc:
            return failed_run(len(calls), "error", one_line(f"the submission could not be read: {exc!r}"))
        if problem:
            return failed_run(len(calls), "error", problem)
        request = encode_request(contents)
        del contents
        worker = self._idle.get()
        try:
            functions = tuple(call.function for call in calls)
            return Submission(worker, request, encoded, self.limits, functions, self._stopping).run()
        except Exception as exc:  # one submission's fault is that submission's result
            try:
                worker.restart()  # it may be waiting for a FINISH that will never come
            except Exception:
                pass
            message = one_line(f"the sandbox failed on this submission: {type(exc).__name__}: {exc}")
            return failed_run(len(calls), "error", message, message)
        except BaseException:
            worker.restart()
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
        encoded = (encode_calls_frame(calls), len(calls))
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
        """Stop the workers and remove their folders and cgroups; idempotent."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            executor, self._executor = self._executor, None
        # Running submissions end within a poll (their children are killed as at a time limit)
        # rather than running to their own limits: closing is what Ctrl-C and SIGTERM do.
        self._stopping.set()
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)
        for worker in self._workers:
            worker.close()
        release_uids(self._uids)
        leftovers = self._groups is not None and not self._groups.close()
        if self._lease is not None:
            self._lease.close(leftovers)


def run_submission(files: list[Path], calls: list[Call], limits: Limits = Limits(),
                   isolation: str = "weak-ok") -> SubmissionRun:
    """Grade one submission with a one-off pool (starting a worker costs about 0.2 s). One
    submission alone may use the weak sandbox where namespaces are not available."""
    with SandboxPool(1, limits, isolation=isolation) as pool:
        return pool.run(files, calls)


def sandbox_isolation(modules: tuple[str, ...] = ()) -> iso.Isolation:
    """The isolation a pool started now would get (namespaces tried, cgroups not made)."""
    plan = iso.mount_plan(tuple(modules), iso.default_hidden())
    usable, user_ns, reason = iso.probe(plan)
    from .cgroups import find_hierarchies

    controllers = tuple(sorted({c for h in find_hierarchies() for c in h.controllers})) if os.geteuid() == 0 else ()
    return iso.Isolation(iso.FULL if usable else iso.WEAK, usable and user_ns, controllers, reason)
