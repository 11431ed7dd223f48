"""Shared pieces of the sandbox tests: the hostile files, small limits, and the check that a
hostile submission between two correct ones leaves both of them correct."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from grader.sandbox import Call, Limits, SandboxPool, SubmissionRun

HOSTILE = Path(__file__).parent / "hostile"
REPO = Path(__file__).resolve().parents[2]
ROOT = os.geteuid() == 0
#: Small limits keep the tests quick: 1 s of CPU per call.
LIMITS = Limits(wall_time=5.0, call_time=1.0, cpu_time=3.0, memory_bytes=768 << 20, processes=16, output_bytes=2000)
X = np.arange(3.0)
GOOD_CALL = Call("double", (X,))


def good() -> tuple[list[Path], list[Call]]:
    return [HOSTILE / "good.py"], [GOOD_CALL]


def assert_good(run: SubmissionRun) -> None:
    assert run.load_status == "ok", run
    assert run.results[0].status == "ok", run
    np.testing.assert_array_equal(run.results[0].value, 2 * X)


def between_good(pool: SandboxPool, files: list[Path], calls: list[Call]) -> SubmissionRun:
    """Run a hostile submission between two correct ones; check those; return the hostile run."""
    before = sorted(os.listdir(REPO))
    first, run, last = pool.map([good(), (files, calls), good()])
    assert_good(first)
    assert_good(last)
    assert len(run.results) == len(calls)
    assert sorted(os.listdir(REPO)) == before, "the submission created files in the repository"
    return run


def write(folder: Path, name: str, source: str) -> Path:
    path = folder / name
    path.write_text(source)
    return path
