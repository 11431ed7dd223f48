"""Running a class's code: each student's files once, through the sandbox, judged as runs end."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

from ..rubric import Rubric
from ..verdict import ERROR, INVALID, MISSING, TIMEOUT, Outcome


class CodeRun:
    """The students' code of a batch, running in the sandbox while the caller does other work.

    Each student's files run once, with every function question's calls together; byte-identical
    code (the untouched starter file, say) runs once, since with the same calls it can only give
    the same results. Each run is judged by the pool's thread that ran it, as soon as it ends.
    ``outcomes()`` waits for the rest; ``close()`` (also on leaving a ``with``) stops what is left.
    """

    def __init__(self, checkers: list, submissions: list, rubric: Rubric,
                 jobs: int, progress=None, pool=None) -> None:
        """``checkers``: the code questions' prepared kinds (``kinds.CodeKind``: ``calls`` and
        ``judge``). ``pool``: a pool from ``start_sandbox`` to use (and leave open); by default
        one is started here and closed with this run."""
        self._plan = [(checker, checker.calls()) for checker in checkers]
        all_calls = [call for _, calls in self._plan for call in calls]
        self._progress = progress
        self._submissions = submissions
        self._outcomes: dict[str, dict[str, Outcome]] = {}
        runnable = [s for s in submissions if s.code and not s.code_problem]
        for submission in submissions:
            if submission.code_problem:
                # Refused when read (a symbolic link, a file too large...): never run.
                self._outcomes[submission.student] = {
                    c.question.id: Outcome(INVALID, 0.0, submission.code_problem) for c in checkers}
            elif not submission.code:
                self._outcomes[submission.student] = {
                    c.question.id: Outcome(MISSING, 0.0, "no .py file submitted") for c in checkers}
        self._keys = {s.student: _code_key(s) for s in runnable}
        unique: dict[tuple, Any] = {}
        for submission in runnable:
            unique.setdefault(self._keys[submission.student], submission)
        self._judged: dict[tuple, dict[str, Outcome]] = {}
        self._owns_pool = pool is None
        # A pool of our own for one submission (a student's own check, Gradescope's container per
        # submission) may be the weaker level; several students' code needs namespaces.
        isolation = "weak-ok" if len(unique) <= 1 else "required"
        self._pool = (pool or start_sandbox(rubric, jobs, isolation)) if unique else None
        self._futures = {}
        try:
            for key, submission in sorted(unique.items(), key=lambda item: item[1].student):
                # The bytes read, safely, with the submission (notebook cells included): the
                # sandbox never opens a student's path again.
                files = list(submission.code_files) or list(submission.code)
                future = self._futures[key] = self._pool.submit(files, all_calls)
                future.add_done_callback(lambda done, key=key: self._judge(key, done))
        except BaseException:
            self.close()
            raise

    def _judge(self, key: tuple, future) -> None:
        if future.cancelled():
            return
        try:
            self._judged[key] = self._judge_one(future)
            # Judged: the run's results (every call's return value) are let go at once, so the
            # batch holds a few outcomes per student rather than every result until the end.
            self._futures[key] = _JUDGED
        finally:
            if self._progress:
                self._progress(1)

    def _judge_one(self, future) -> dict[str, Outcome]:
        """One run's outcomes; whatever goes wrong while running or judging it costs that
        submission ``error`` rows, never the batch."""
        try:
            return _judge_run(self._plan, future.result())
        except Exception as err:  # noqa: BLE001 - one submission's fault is that submission's rows
            message = " ".join(str(err).split())[:200]
            feedback = (f"the grader could not run this submission ({type(err).__name__}"
                        f"{': ' + message if message else ''}); please tell your instructor")
            return {checker.question.id: Outcome(ERROR, 0.0, feedback) for checker, _ in self._plan}

    def outcomes(self) -> dict[str, dict[str, Outcome]]:
        """Every student's outcome per function question, once all runs have ended."""
        # By key, never holding the futures: a list of them would keep every run's results
        # (every call's return value) alive until the last run ends.
        for key in list(self._futures):
            future = self._futures[key]
            if key not in self._judged and future is not _JUDGED:
                # Not judged by its callback (yet): wait for it and judge it here.
                self._judged[key] = self._judge_one(future)
                self._futures[key] = _JUDGED
            del future
        self.close()
        for student, key in self._keys.items():
            self._outcomes[student] = self._judged[key]
        if self._progress:
            for _ in range(len(self._submissions) - len(self._futures)):
                self._progress(1)
        return self._outcomes

    def close(self) -> None:
        """Stop the sandbox (queued runs are dropped, running ones end); idempotent."""
        if self._pool is not None:
            for future in list(self._futures.values()):
                if future is not _JUDGED:
                    future.cancel()
            if self._owns_pool:
                self._pool.close()
            self._pool = None

    def __enter__(self) -> CodeRun:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def start_sandbox(rubric: Rubric, jobs: int, isolation: str = "required", hide: tuple = ()):
    """A sandbox pool with the rubric's limits and offered modules. Its workers start (import
    numpy) in the background, so a caller can start it early and give it to ``CodeRun``.

    ``isolation``: "required" refuses to run several students' code without namespaces
    (``IsolationUnavailable``); "weak-ok" accepts separate limited processes (one student's own
    code, or the instructor's explicit choice). ``hide``: folders never visible to student code
    (the rubric's, the class's and the output folder), besides the repository and homes."""
    from .sandbox import Limits, SandboxPool

    settings = rubric.sandbox
    limits = Limits(wall_time=settings.wall_time, call_time=settings.call_time,
                    cpu_time=settings.cpu_time, memory_bytes=settings.memory_mb << 20,
                    processes=settings.processes, output_bytes=max(1, settings.output_bytes),
                    disk_bytes=settings.disk_mb << 20, modules=tuple(settings.modules))
    hidden = tuple(str(Path(folder).resolve()) for folder in (rubric.base_dir, *hide))
    return SandboxPool(jobs=jobs, limits=limits, isolation=isolation, hide=hidden)


#: Stands in ``CodeRun._futures`` for a run already judged (its future, and results, let go).
_JUDGED = object()


def _code_key(submission) -> tuple:
    """Names and contents of a submission's code files (as read, safely, with the submission):
    byte-identical code shares a key and runs once."""
    if submission.code_files:
        return tuple(submission.code_files)
    return tuple((str(path), id(path)) for path in submission.code)  # read nothing: unique


def _judge_run(plan, run) -> dict[str, Outcome]:
    out: dict[str, Outcome] = {}
    if run.load_status != "ok":
        status = TIMEOUT if run.load_status == "timeout" else ERROR
        for checker, _ in plan:
            out[checker.question.id] = Outcome(status, 0.0, run.load_message or "your file could not be loaded")
        return out
    offset = 0
    for checker, calls in plan:
        results = run.results[offset:offset + len(calls)]
        offset += len(calls)
        try:
            outcome = checker.judge(results)
        except Exception as exc:  # one submission's oddity is its own row, never the batch's end
            outcome = Outcome(ERROR, 0.0, f"your results could not be judged ({type(exc).__name__})")
        if run.load_message:
            # Loaded, but with something to say (a notebook cell that failed): every code row
            # carries it, since any of them may depend on what that cell would have defined.
            outcome = replace(outcome, feedback=f"{outcome.feedback}; note: {run.load_message}")
        out[checker.question.id] = outcome
    return out
