import builtins
import math

import numpy as np

np.sum = lambda *args, **kwargs: 42.0
np.linalg.norm = lambda *args, **kwargs: -1.0
builtins.len = lambda obj: 0
math.pi = 3.0


def patch(x):
    return x
