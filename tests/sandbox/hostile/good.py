"""A correct submission: the control in every hostile test."""
import numpy as np


def double(x):
    return 2 * np.asarray(x)


def gd(w, X, y, lr, steps):
    for _ in range(steps):
        w = w - lr * 2 * X.T @ (X @ w - y) / len(y)
    return w
