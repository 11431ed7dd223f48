"""Time limits for sympy: ``simplify`` or ``solve`` on a modest expression can run for minutes,
and an author's lint must not hang on one question.

The limit is a SIGALRM timer, so it works only in the main thread (where the CLI runs); elsewhere
calls run unlimited. ``TimeUp`` is a BaseException so that sympy's own ``except Exception``
blocks do not swallow it.
"""

from __future__ import annotations

import signal
import threading
import time
from contextlib import contextmanager
from typing import Any, Callable, Iterator

__all__ = ["Deadline", "TimeUp"]


class TimeUp(BaseException):
    """The time allowed for a symbolic step has run out."""


@contextmanager
def _time_limit(seconds: float) -> Iterator[None]:
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
        yield
        return

    def expire(_signum, _frame):
        raise TimeUp

    previous = signal.signal(signal.SIGALRM, expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


class Deadline:
    """A time budget for one question; each step may take at most ``cap`` seconds of it."""

    def __init__(self, seconds: float):
        self.end = time.monotonic() + seconds

    def run(self, step: Callable[..., Any], *args: Any, cap: float = 2.0) -> Any:
        """``step(*args)``, or TimeUp when it takes too long or the budget is spent."""
        remaining = self.end - time.monotonic()
        if remaining <= 0.01:
            raise TimeUp
        with _time_limit(min(cap, remaining)):
            return step(*args)
