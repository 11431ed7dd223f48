import numpy as np


def text(x):
    return "0.5"


def nothing(x):
    pass


def generator(x):
    return (v for v in range(3))


def not_a_number(x):
    return float("nan")


def infinite(x):
    return np.array([1.0, np.inf])


def complex_value(x):
    return 1 + 2j


def boolean(x):
    return True


def objects(x):
    return np.array([1, "a"], dtype=object)


def mapping(x):
    return {"a": 1}


def ragged(x):
    return [[1.0, 2.0], [3.0]]


def nested(x):
    return [[1, 2.5], (3, np.float32(4))]


def arrays_in_list(x):
    return [np.array([1.0, 2.0]), np.array([3, 4])]


def integer(x):
    return np.int64(7)
