"""``gradient()`` against hand-derived closed forms (denominator layout: the gradient has the
shape of the variable)."""

from __future__ import annotations

import numpy as np
import pytest

from answers_cases import DIMS, N, T, col, s, sample, sig
from grader.answers import Function, Namespace, Symbol, gradient, read
from grader.answers.nodes import Apply, Name

SCALARS = Namespace(symbols={name: Symbol(name) for name in ("x", "beta", "y")})
MATS = Namespace(
    symbols={
        "A": Symbol("A", ("n", "n")), "B": Symbol("B", ("n", "n")),
        "W": Symbol("W", ("m", "n")), "X": Symbol("X", ("m", "n")),
        "x": Symbol("x", ("n", 1)), "z": Symbol("z", ("n", 1)), "w": Symbol("w", ("n", 1)),
        "b": Symbol("b", ("m", 1)), "y": Symbol("y", ("m", 1)), "t": Symbol("t"),
    },
    identities={"I": "n"},
    dims=frozenset({"n", "m"}),
)
S_ENV = sample(SCALARS, seed=11)
S_ENV["x"] = np.array([-2.0, -0.5, 0.3, 0.7, 3.0])
M_ENV = sample(MATS, seed=12)


def grad(text: str, wrt: str, ns=MATS, env=None) -> np.ndarray:
    env = M_ENV if env is None and ns is MATS else (S_ENV if env is None else env)
    expression = read(text, ns)
    assert expression.is_scalar
    return gradient(expression.tree, ns, env, DIMS, N, wrt)


def close(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=1e-9, atol=1e-12))


# -- scalar functions -------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["sigmoid(x)", "\\sigma(x)", "1/(1 + exp(-x))", "\\frac{1}{1+e^{-x}}"])
def test_sigmoid(text):
    x = S_ENV["x"]
    assert close(grad(text, "x", SCALARS), sig(x) * (1 - sig(x)))


def test_sigmoid_of_beta_x_wrt_both():
    x, beta = S_ENV["x"], S_ENV["beta"]
    d = sig(beta * x) * (1 - sig(beta * x))
    assert close(grad("\\sigma(\\beta x)", "x", SCALARS), beta * d)
    assert close(grad("\\sigma(\\beta x)", "beta", SCALARS), x * d)


@pytest.mark.parametrize("text", ["softplus(x)", "log(1 + exp(x))", "\\ln(1 + e^{x})"])
def test_softplus(text):
    assert close(grad(text, "x", SCALARS), sig(S_ENV["x"]))


def test_declared_function_and_given():
    body_ns = Namespace(params=frozenset({"x"}))
    ns = Namespace(symbols={"x": Symbol("x"), "x_i": Symbol("x_i")},
                   functions={"f": Function("f", ("x",), read("1/(1+exp(-x))", body_ns).tree)},
                   givens={"f_i": Apply("f", (Name("x_i"),))})
    env = {"x": S_ENV["x"], "x_i": S_ENV["x"][::-1].copy()}
    xi = env["x_i"]
    # d f_i / d x_i = f_i (1 - f_i); d/dx of f(1 - f) = f(1-f)(1 - 2f)
    assert close(gradient(read("f_i", ns).tree, ns, env, {}, N, "x_i"), sig(xi) * (1 - sig(xi)))
    fx = sig(env["x"])
    assert close(gradient(read("f(1 - f)", ns).tree, ns, env, {}, N, "x"), fx * (1 - fx) * (1 - 2 * fx))
    # nothing depends on x_i here
    assert close(gradient(read("f(x)", ns).tree, ns, env, {}, N, "x_i"), np.zeros(N))


def test_powers_and_quotients():
    x, y = S_ENV["x"], S_ENV["y"]
    assert close(grad("x^3", "x", SCALARS), 3 * x ** 2)
    assert close(grad("y/x^2", "x", SCALARS), -2 * y / x ** 3)
    assert close(grad("y^x", "x", SCALARS), np.log(y) * y ** x)
    assert close(grad("exp(-x^2/2)", "x", SCALARS), -x * np.exp(-x ** 2 / 2))


# -- vectors and matrices ---------------------------------------------------------------------

def test_softmax_entries():
    """z^T softmax(x) with z = e_k is the k-th entry; its gradient is s_k (e_k - s)."""
    x = M_ENV["x"]
    soft = np.exp(x) / np.exp(x).sum(axis=(1, 2), keepdims=True)
    n = DIMS["n"]
    for k in range(n):
        env = dict(M_ENV, z=np.broadcast_to(np.eye(n)[:, k:k + 1], (N, n, 1)).copy())
        expression = read("z^T softmax(x)", MATS)
        got = gradient(expression.tree, MATS, env, DIMS, N, "x")
        e_k = np.eye(n)[:, k:k + 1]
        want = soft[:, k:k + 1, :] * (e_k - soft)
        assert close(got, want)
    # the whole Jacobian-vector product: (diag(s) - s s^T) z
    z = M_ENV["z"]
    jacobian = np.stack([np.diag(v[:, 0]) - v @ v.T for v in soft])
    assert close(grad("z^T softmax(x)", "x"), jacobian @ z)


def test_quadratic_form_wrt_x():
    A, x, z = M_ENV["A"], M_ENV["x"], M_ENV["z"]
    want = (A + T(A)) @ x + z
    assert close(grad("x^T(A x + z)", "x"), want)
    assert close(grad("x^T A x + z^T x", "x"), want)


def test_squared_residual_wrt_w():
    ns = Namespace(symbols={"w": Symbol("w", ("n", 1)), "x": Symbol("x", ("n", 1)),
                            "y": Symbol("y")}, dims=frozenset({"n"}))
    env = sample(ns, seed=13)
    w, x, y = env["w"], env["x"], env["y"]
    expression = read("\\frac{1}{2}(w^T x - y)^2", ns)
    got = gradient(expression.tree, ns, env, DIMS, N, "w")
    assert close(got, (T(w) @ x - col(y)) * x)


@pytest.mark.parametrize("text", ["\\frac{1}{2}\\|X w - y\\|^2", "norm(X w - y)^2/2",
                                  "(X w - y)^T (X w - y)/2"])
def test_least_squares_wrt_w(text):
    X, w, y = M_ENV["X"], M_ENV["w"], M_ENV["y"]
    assert close(grad(text, "w"), T(X) @ (X @ w - y))


@pytest.mark.parametrize("text", ["||W x + b - y||^2", "(W x + b - y)^T (W x + b - y)",
                                  "sum(hadamard(W x + b - y, W x + b - y))"])
def test_linear_layer_wrt_W(text):
    W, x, b, y = M_ENV["W"], M_ENV["x"], M_ENV["b"], M_ENV["y"]
    got = grad(text, "W")
    assert got.shape == (N, DIMS["m"], DIMS["n"])
    assert close(got, 2 * (W @ x + b - y) @ T(x))


def test_log_det():
    A = M_ENV["A"]
    assert close(grad("log(det(A))", "A"), T(np.linalg.inv(A)))
    assert close(grad("det(A)", "A"), col(np.linalg.det(A)) * T(np.linalg.inv(A)))


def test_trace():
    A, B = M_ENV["A"], M_ENV["B"]
    assert close(grad("trace(A)", "A"), np.broadcast_to(np.eye(DIMS["n"]), A.shape))
    assert close(grad("tr(B A)", "A"), T(B))
    assert close(grad("trace(A^T A)", "A"), 2 * A)
    assert close(grad("trace(A B A^T)", "A"), A @ (B + T(B)))


@pytest.mark.parametrize("text", ["z^T inv(A) x", "z^T A^{-1} x"])
def test_inverse(text):
    A, x, z = M_ENV["A"], M_ENV["x"], M_ENV["z"]
    inv_t = T(np.linalg.inv(A))
    assert close(grad(text, "A"), -inv_t @ z @ T(x) @ inv_t)


def test_matrix_power():
    A, x, z = M_ENV["A"], M_ENV["x"], M_ENV["z"]
    # d/dA z^T A^2 x = z x^T A^T + A^T z x^T
    assert close(grad("z^T A^2 x", "A"), z @ T(x) @ T(A) + T(A) @ z @ T(x))


def test_scalar_variable_inside_matrix_expression():
    x, t = M_ENV["x"], M_ENV["t"]
    assert close(grad("t^2 x^T x", "t"), 2 * t * s(T(x) @ x))


def test_gradient_of_a_constant_is_zero():
    assert close(grad("x^T z", "A"), np.zeros_like(M_ENV["A"]))


def test_gradient_needs_a_scalar():
    expression = read("A x", MATS)
    with pytest.raises(ValueError):
        gradient(expression.tree, MATS, M_ENV, DIMS, N, "x")


def test_the_gradient_of_a_squared_norm_is_finite_at_zero():
    """‖r‖² is smooth at r = 0 (gradient 0), even though ‖r‖ has a kink there: descent that
    lands exactly on a minimiser must not turn into nan."""
    import numpy as np

    from grader.answers import Namespace, Symbol, gradient, parse

    ns = Namespace(symbols={"r": Symbol("r", (3, 1))})
    at_zero = gradient(parse("norm(r)^2", ns), ns, {"r": np.zeros((2, 3, 1))}, {}, 2, "r")
    assert np.array_equal(at_zero, np.zeros((2, 3, 1)))
    elsewhere = gradient(parse("norm(r)^2", ns), ns, {"r": np.ones((1, 3, 1))}, {}, 1, "r")
    assert np.allclose(elsewhere, 2 * np.ones((1, 3, 1)))
