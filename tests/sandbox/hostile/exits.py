import ctypes
import os
import signal
import sys


def calls_sys_exit(x):
    sys.exit(3)


def raises_system_exit(x):
    raise SystemExit


def interrupts(x):
    raise KeyboardInterrupt


def os_exit(x):
    os._exit(4)


def kills_itself(x):
    os.kill(os.getpid(), signal.SIGKILL)


def segfaults(x):
    ctypes.string_at(0)


def divides(x):
    return 1 / 0


def fine(x):
    return x * 10
