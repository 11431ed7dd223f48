"""The time limit on sympy's steps: a step that runs too long is stopped, and sympy's own
``except Exception`` blocks cannot swallow the stop."""

from __future__ import annotations

import threading

import pytest

from grader.authoring.budget import Deadline, TimeUp


def forever(counter: list[int]) -> None:
    while True:
        try:
            counter[0] += 1
        except Exception:  # noqa: BLE001 - as sympy does in places: must not catch the stop
            pass


def test_a_step_that_runs_too_long_is_stopped():
    counter = [0]
    with pytest.raises(TimeUp):
        Deadline(5).run(forever, counter, cap=0.05)
    assert counter[0] > 0


def test_a_spent_budget_runs_nothing():
    ran = []
    deadline = Deadline(0)
    with pytest.raises(TimeUp):
        deadline.run(ran.append, 1)
    assert ran == []


def test_a_quick_step_returns_its_value_and_leaves_no_timer():
    import signal

    before = signal.getsignal(signal.SIGALRM)
    assert Deadline(5).run(lambda a, b: a + b, 2, 3) == 5
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_outside_the_main_thread_steps_run_without_a_limit():
    out = []
    thread = threading.Thread(target=lambda: out.append(Deadline(5).run(sum, [1, 2])))
    thread.start()
    thread.join()
    assert out == [3]
