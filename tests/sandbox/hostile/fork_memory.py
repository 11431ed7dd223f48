import os
import time


def hoard(x):
    """Four processes that each try to hold 300 MB at the same time: how many do, together."""
    read, write = os.pipe()
    children = []
    for _ in range(4):
        pid = os.fork()
        if pid == 0:
            try:
                block = b"x" * (300 << 20)  # written, so resident
                os.write(write, b"1")
                time.sleep(3)
                del block
            finally:
                os._exit(0)
        children.append(pid)
    os.close(write)
    reported = 0
    deadline = time.time() + 4
    while time.time() < deadline and reported < 4:
        data = os.read(read, 16)
        if not data:
            break
        reported += len(data)
    time.sleep(0.3)
    holding = 0  # still alive after reporting: not killed for memory
    for pid in children:
        if os.waitpid(pid, os.WNOHANG) == (0, 0):
            holding += 1
    for pid in children:
        try:
            os.kill(pid, 9)
            os.waitpid(pid, 0)
        except OSError:
            pass
    return float(min(holding, reported))
