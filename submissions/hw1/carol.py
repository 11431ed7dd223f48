import numpy as np


def sigmoid_grad(x):
    s = 1.0 / (1.0 + np.exp(-x))
    return s * (1.0 + s)                      # sign slip


def softmax_jacobian(x):
    f = np.exp(x) / np.exp(x).sum()
    return np.diag(f) - np.outer(f, f)


def softplus_grad(x, beta):
    return 1.0 / (beta * (1.0 + np.exp(-beta * x)))   # missing chain-rule factor


def quadratic_grad(A, x, z):
    return 2 * A @ x + z                      # assumes A symmetric


def l2_multi_grad(X, w, y):
    return (X @ w - y) @ X                    # right values, numerator thinking; fine for 1-D


def linear_grad_W(W, x, b, y):
    return np.outer(W @ x + b - y, x)         # missing the 2


def gd(alpha, w0, x, y, steps):
    return [w0 - alpha * (w0 * x - y) * x] * steps    # never updates w
