import os


def bomb(x):
    # Bounded: 200 attempts; each child becomes `sleep 31.7` (a marker the test looks for) and
    # would end by itself after 31.7 s even if the sandbox did not kill it.
    started = 0
    for _ in range(200):
        try:
            pid = os.fork()
        except OSError:
            continue
        if pid == 0:
            try:
                os.execv("/bin/sleep", ["sleep", "31.7"])
            finally:
                os._exit(0)
        started += 1
    return float(started)
