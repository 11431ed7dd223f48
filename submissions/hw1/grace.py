# Hostile code: every function tries something it must not get away with.
import os
import subprocess
import sys

import numpy as np


class Liar:
    def __eq__(self, other):
        return True

    def __array__(self, *args, **kwargs):
        return np.zeros(3)


def sigmoid_grad(x):
    while True:                                # an infinite loop
        pass


def softmax_jacobian(x):
    os.system("touch /tmp/grader-hacked")      # shell access
    subprocess.run(["ls", "/"])
    return Liar()                              # a lying result


def softplus_grad(x, beta):
    return open("rubrics/hw1.yaml").read()     # reading the rubric; and a string result


def quadratic_grad(A, x, z):
    np.allclose = lambda *a, **k: True          # monkeypatching numpy
    return [0.0] * 10 ** 9                      # a memory bomb (stopped by the limit)


def l2_multi_grad(X, w, y):
    print("spam " * 100_000)                    # flooding stdout
    return X.T @ (X @ w - y)


def linear_grad_W(W, x, b, y):
    sys.exit(0)


def gd(alpha, w0, x, y, steps):
    os.kill(os.getppid(), 9)                    # killing its parent
