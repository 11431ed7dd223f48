"""Helper processes that die with the grader.

The grader forks helpers (the plotter, the submission reader) to overlap work on another core.
If the grader is killed (SIGKILL, or SIGTERM without a handler), nothing would stop them: an
orphaned plotter holds ~70 MB and a reader may go on reading a large class. On Linux the kernel
can deliver a signal to a child when its parent dies (``prctl(PR_SET_PDEATHSIG)``); elsewhere
this is a no-op and the helpers end when their pipe to the grader closes.
"""

from __future__ import annotations

import os
import signal
import sys

_PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def die_with_parent(parent_pid: int, sig: int = signal.SIGKILL) -> bool:
    """Ask the kernel to send ``sig`` to this process when its parent dies; call it first thing
    in a forked child, with the parent's pid taken *before* the fork. Exits at once if the parent
    is already gone (it may have died before the request took effect). True when armed."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        armed = libc.prctl(_PR_SET_PDEATHSIG, int(sig), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False
    # The signal fires on the death of the *thread* that forked us, and only from now on: a
    # parent that died in between has already made us an orphan, with another parent pid.
    if os.getppid() != parent_pid:
        os._exit(0)
    return armed
