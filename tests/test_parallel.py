"""Checking written answers on several cores gives exactly what one process gives."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import realistic  # noqa: E402

from grader.parallel import CheckWorkers  # noqa: E402
from grader.grading import _safe_check, answer_key  # noqa: E402
from grader.pipeline import grade, load  # noqa: E402
from grader.submissions import find_submissions  # noqa: E402


@pytest.fixture(scope="module")
def klass(tmp_path_factory, written_hw1_path):
    folder = tmp_path_factory.mktemp("parallel") / "class"
    realistic.generate(400, folder, seed=11)
    rubric, prepared = load(written_hw1_path)
    return rubric, prepared, find_submissions(folder)


def _same(a, b):
    assert [(v.student, v.question, v.score, v.status, v.feedback, v.answer, v.group, v.mistake)
            for v in a] == [(v.student, v.question, v.score, v.status, v.feedback, v.answer,
                             v.group, v.mistake) for v in b]


@pytest.mark.parametrize("count", [1, 2, 3])
def test_workers_give_the_same_verdicts_and_groups(klass, count):
    rubric, prepared, submissions = klass
    alone = grade(rubric, submissions, prepared)
    with CheckWorkers(prepared, count, _safe_check) as workers:
        shared = grade(rubric, submissions, prepared, workers=workers)
    _same(alone, shared)
    distinct = {(q, answer_key(v)) for s in submissions if not s.problem for q, v in s.answers.items() if v}
    assert len(distinct) > 500  # enough to share


def test_workers_refuse_to_fork_once_a_thread_runs(klass):
    _, prepared, _ = klass
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with pytest.raises(RuntimeError, match="before any thread"):
            CheckWorkers(prepared, 1, _safe_check)
    finally:
        stop.set()
        thread.join()


def test_a_worker_that_dies_costs_nothing(klass):
    rubric, prepared, submissions = klass
    alone = grade(rubric, submissions, prepared)
    workers = CheckWorkers(prepared, 2, _safe_check)
    try:
        workers._workers[0][0].kill()
        workers._workers[0][0].join()
        shared = grade(rubric, submissions, prepared, workers=workers)
    finally:
        workers.close()
    _same(alone, shared)
    assert np.isfinite(len(shared))


def test_grade_class_shares_a_large_class_and_writes_the_same_files(tmp_path, written_hw1_path,
                                                                     monkeypatch):
    """`grader grade` of a written class big enough to share: the same OUTDIR as one process."""
    import grader.parallel as parallel
    from grader.pipeline import grade_class

    folder = tmp_path / "class"
    realistic.generate(300, folder, seed=5)
    grade_class(written_hw1_path, folder, tmp_path / "one", jobs=1)
    started = []
    original = parallel.CheckWorkers.__init__

    def spy(self, *args, **kwargs):
        started.append(args[1])
        original(self, *args, **kwargs)

    monkeypatch.setattr(parallel, "WORTH_IT", 10)
    monkeypatch.setattr(parallel.CheckWorkers, "__init__", spy)
    grade_class(written_hw1_path, folder, tmp_path / "two", jobs=3)
    assert started and started[0] >= 1
    for path in sorted((tmp_path / "one").rglob("*")):
        if path.is_file() and path.suffix != ".png":
            assert path.read_bytes() == (tmp_path / "two" / path.relative_to(tmp_path / "one")).read_bytes(), path
