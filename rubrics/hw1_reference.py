"""Trusted instructor reference code for HW1's programming part (runs in the grader's process).

Only what an answer-language expression cannot say lives here: a gradient-descent loop.
"""

import numpy as np


def gd(alpha, w0, x, y, steps):
    """Iterates w1 .. w_steps of gradient descent on L(w) = ½ (w x − y)^2."""
    w = float(w0)
    out = []
    for _ in range(int(steps)):
        w = w - alpha * (w * x - y) * x
        out.append(w)
    return np.array(out)
