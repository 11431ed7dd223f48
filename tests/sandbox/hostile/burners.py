import os
import time


def burn(x):
    """Fifteen CPU burners, each in its own session, busy for a few seconds."""
    end = time.time() + 5
    for _ in range(15):
        try:
            if os.fork() == 0:
                try:
                    os.setsid()
                    while time.time() < end:
                        pass
                finally:
                    os._exit(0)
        except OSError:
            break
    while time.time() < end:
        time.sleep(0.05)
    return x


def honest(x):
    """Needs a few tenths of a second of CPU, once the burners have started."""
    time.sleep(0.5)
    total = 0
    for i in range(6_000_000):
        total += i
    return float(total > 0)
