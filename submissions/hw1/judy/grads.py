import numpy as np


def sigmoid_grad(x):
    s = 1 / (1 + np.exp(-x))
    return s - s ** 2


def softplus_grad(x, beta)
    return 1 / (1 + np.exp(-beta * x))
