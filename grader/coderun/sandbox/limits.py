"""What a caller gives the sandbox and gets back: limits, calls and results."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Limits:
    """What one submission may use; times in seconds, sizes in bytes.

    ``call_time`` is CPU time of the whole submission per call (with a wall-clock backstop of
    twice that plus a second) where cgroups measure it, wall time otherwise; ``wall_time`` bounds
    the whole submission in wall time. ``cpu_time`` and ``memory_bytes`` are totals over all of
    the submission's processes where cgroups exist, and per process otherwise (see
    docs/sandbox.md). ``disk_bytes`` is the size of each private tmpfs (working folder, /tmp,
    /dev/shm). ``modules``: packages beyond the standard library and numpy that students may
    import (top-level names such as "scipy").
    """

    wall_time: float = 10.0
    call_time: float = 2.0
    cpu_time: float = 10.0
    memory_bytes: int = 1 << 30
    processes: int = 16
    output_bytes: int = 10_000
    disk_bytes: int = 64 << 20
    modules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("wall_time", "call_time", "cpu_time"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"Limits.{name} must be a positive number, not {value!r}")
        for name in ("memory_bytes", "processes", "output_bytes", "disk_bytes"):
            value = getattr(self, name)
            if type(value) is not int or value < 1:
                raise ValueError(f"Limits.{name} must be a positive int, not {value!r}")
        modules = self.modules
        if isinstance(modules, str) or not all(isinstance(m, str) and m.isidentifier() for m in modules):
            raise ValueError(f"Limits.modules must be top-level module names, not {modules!r}")
        object.__setattr__(self, "modules", tuple(dict.fromkeys(modules)))


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
    """Everything one submission produced: did it load, one result per call, its captured output.

    ``load_status`` is ok, error or timeout; with ok, ``load_message`` may still say what went
    wrong in a notebook's cells (the cells after a failing one are run all the same)."""

    load_status: str
    load_message: str
    results: tuple[CallResult, ...]
    output: str


def failed_run(n_calls: int, status: str, message: str, call_message: str = "") -> SubmissionRun:
    """A submission that produced no results: every call carries the same reason."""
    call_message = call_message or "not run: your files did not load"
    results = tuple(CallResult(status, None, call_message) for _ in range(n_calls))
    return SubmissionRun(status, message, results, "")
