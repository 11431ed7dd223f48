import os


def fill(x):
    """Write up to 200 MB into /dev/shm (and /tmp); how many bytes it could write."""
    written = 0
    chunk = b"x" * (1 << 20)
    for folder in ("/dev/shm", "/tmp"):
        try:
            with open(os.path.join(folder, "grader-test-fill"), "wb") as handle:
                for _ in range(100):
                    handle.write(chunk)
                    handle.flush()
                    written += len(chunk)
        except OSError:
            pass
    return float(written)
