import numpy as np


def bomb(x):
    # Bounded even if the sandbox's memory limit failed: at most 3 GiB of untouched zero pages.
    blocks = []
    for _ in range(30):
        blocks.append(np.zeros(100 << 17))
    return float(len(blocks))
