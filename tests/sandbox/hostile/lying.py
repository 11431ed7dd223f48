import numpy as np


class Liar:
    """Claims to equal anything and to be the right array."""

    def __eq__(self, other):
        return True

    def __array__(self, dtype=None, copy=None):
        return np.array([2.0, 4.0, 6.0])

    def __float__(self):
        return 2.0


class Exiter:
    def __array__(self, dtype=None, copy=None):
        raise SystemExit("gotcha")

    def __eq__(self, other):
        raise SystemExit("gotcha")


class SneakyArray(np.ndarray):
    def __eq__(self, other):
        return np.ones(np.shape(other), dtype=bool)


class LyingFloat(float):
    def __eq__(self, other):
        return True


def liar(x):
    return Liar()


def exiter(x):
    return Exiter()


def subclass(x):
    return np.array([2.0, 4.0, 6.0]).view(SneakyArray)


def float_subclass(x):
    return LyingFloat(1.0)
