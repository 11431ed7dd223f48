import os
import signal


def kill_parent(x):
    os.kill(os.getppid(), signal.SIGKILL)
    return x


def fine(x):
    return x
