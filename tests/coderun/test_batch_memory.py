"""CodeRun lets each run's results go once the run is judged, even while ``outcomes()`` is
waiting for later runs: a class of 10,000 must not hold every call's return value to the end."""

from __future__ import annotations

import gc
import threading
import time
import weakref
from concurrent.futures import Future
from types import SimpleNamespace

from grader.coderun.batch import CodeRun
from grader.verdict import CORRECT, Outcome


class _Results(list):
    """A run's results that a weak reference can watch."""


class _Run:
    def __init__(self) -> None:
        self.load_status, self.load_message = "ok", ""
        self.results = _Results([("ok", 1.0, "")])


class _Pool:
    """Hands out futures the test completes one at a time."""

    def __init__(self) -> None:
        self.futures: list[Future] = []

    def submit(self, files, calls) -> Future:
        future: Future = Future()
        future.set_running_or_notify_cancel()
        self.futures.append(future)
        return future

    def close(self) -> None:
        pass


class _Checker:
    question = SimpleNamespace(id="p1")

    def calls(self) -> list:
        return ["call"]

    def judge(self, results) -> Outcome:
        return Outcome(CORRECT, 1.0, "correct")


def _students(count: int) -> list:
    return [SimpleNamespace(student=f"s{i}", code=("f.py",), code_files=((f"f{i}.py", b"x = %d" % i),),
                            code_problem="") for i in range(count)]


def test_a_judged_run_is_let_go_while_outcomes_waits_for_the_rest():
    pool = _Pool()
    run = CodeRun([_Checker()], _students(3), rubric=None, jobs=1, pool=pool)
    done: dict = {}
    waiter = threading.Thread(target=lambda: done.update(run.outcomes()), daemon=True)
    waiter.start()
    last = pool.futures[2]
    try:
        time.sleep(0.2)  # outcomes() is now waiting on the first run
        first = _Run()
        watch = weakref.ref(first.results)
        pool.futures[0].set_result(first)
        del first
        pool.futures[1].set_result(_Run())
        time.sleep(0.2)  # outcomes() has moved on and waits on the third run
        pool.futures[:] = []  # the test's own references
        gc.collect()
        held = watch() is not None
    finally:
        last.set_result(_Run())
    waiter.join(timeout=5)
    assert not held, "the first run's results are still held"
    assert sorted(done) == ["s0", "s1", "s2"]
    assert all(o["p1"].status == CORRECT for o in done.values())
