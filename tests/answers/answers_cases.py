"""Shared namespaces, sample points and the table of answers for the answer-language tests.

Every expected value in ``CASES`` is computed independently with numpy from the sample points:
the table never calls the parser to find out what an answer should be.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping

import numpy as np

from grader.answers import Function, Namespace, Symbol, parse
from grader.answers.nodes import Apply, Name

#: Sample points per batch and the sizes of the dimension names.
N = 5
DIMS: dict[str, int] = {"n": 3, "m": 4}
N_DIM, M_DIM = DIMS["n"], DIMS["m"]


def sig(u):
    return 1.0 / (1.0 + np.exp(-u))


def T(a):
    """Transpose of a batch of matrices (N, r, c) -> (N, c, r)."""
    return np.swapaxes(a, -1, -2)


def s(a):
    """A batch of 1 x 1 matrices as a batch of scalars."""
    return a[:, 0, 0]


def col(a):
    """A batch of scalars, shaped to scale a batch of matrices."""
    return np.asarray(a)[:, None, None]


def eye(k: int):
    return np.broadcast_to(np.eye(k), (N, k, k))


# -- namespaces -------------------------------------------------------------------------------

def _function_f() -> Function:
    """The rubric's f(x) = 1 / (1 + e^{-x}), parsed from the rubric's own (trusted) text."""
    body = parse("1/(1 + exp(-x))", Namespace(params=frozenset({"x"})))
    return Function("f", ("x",), body)


def _scalars(*names: str) -> dict[str, Symbol]:
    return {name: Symbol(name) for name in names}


F = _function_f()

NAMESPACES: dict[str, Namespace] = {
    # Scalars, a one-parameter function f = sigmoid, givens f_i = f(x_i), f_j = f(x_j);
    # `omega` (and so `ω`, `\omega`) is another spelling of w.
    "s": Namespace(
        symbols=_scalars("x", "y", "t", "w", "beta", "x_i", "x_j", "a", "b", "c", "d", "lambda"),
        functions={"f": F},
        givens={"f_i": Apply("f", (Name("x_i"),)), "f_j": Apply("f", (Name("x_j"),))},
        aliases={"omega": "w"},
    ),
    # A question that declares a scalar T: x^T is a power.
    "T": Namespace(symbols=_scalars("x", "T")),
    # A question that declares a symbol e: e is not Euler's number there.
    "e": Namespace(symbols=_scalars("x", "e")),
    # A question whose answer may be infinite.
    "inf": Namespace(symbols=_scalars("x"), allow_inf=True),
    # A question with a separate hatted symbol.
    "hat": Namespace(symbols=_scalars("x", "x_hat")),
    # Case matters: X and x are different symbols.
    "case": Namespace(symbols=_scalars("x", "X")),
    # Matrices: A, B n x n, W m x n, X n x m, x z w f n x 1, b y m x 1, scalars c, beta.
    "mat": Namespace(
        symbols={
            "A": Symbol("A", ("n", "n")), "B": Symbol("B", ("n", "n")),
            "W": Symbol("W", ("m", "n")), "X": Symbol("X", ("n", "m")),
            "x": Symbol("x", ("n", 1)), "z": Symbol("z", ("n", 1)), "w": Symbol("w", ("n", 1)),
            "f": Symbol("f", ("n", 1)), "b": Symbol("b", ("m", 1)), "y": Symbol("y", ("m", 1)),
            "c": Symbol("c"), "beta": Symbol("beta"),
        },
        identities={"I": "n"},
        dims=frozenset({"n", "m"}),
        aliases={"omega": "w"},
    ),
    # Linear regression on one point: w, x n x 1 and a scalar target y.
    "lin": Namespace(
        symbols={"w": Symbol("w", ("n", 1)), "x": Symbol("x", ("n", 1)), "y": Symbol("y")},
        dims=frozenset({"n"}),
        aliases={"omega": "w"},
    ),
    # Least squares: a data matrix X with m rows, w n x 1, targets y m x 1, a ridge weight.
    "lsq": Namespace(
        symbols={"X": Symbol("X", ("m", "n")), "w": Symbol("w", ("n", 1)),
                 "y": Symbol("y", ("m", 1)), "lambda": Symbol("lambda")},
        dims=frozenset({"n", "m"}),
    ),
}


def _size(dim) -> int:
    return dim if isinstance(dim, int) else DIMS[dim]


def sample(ns: Namespace, seed: int, points: int = N,
           dims: Mapping[str, int] | None = None) -> dict[str, np.ndarray]:
    """Concrete values: scalars (points,) in [0.3, 1.7], matrices (points, r, c).

    Scalars are kept positive and away from 0 so that log, sqrt and division are defined;
    square matrices get a diagonal shift so that they are safely invertible.
    """
    dims = dict(DIMS if dims is None else dims)
    rng = np.random.default_rng(seed)
    env: dict[str, np.ndarray] = {}
    for name, symbol in ns.symbols.items():
        if symbol.is_scalar:
            env[name] = rng.uniform(0.3, 1.7, size=points)
        else:
            rows, cols = (d if isinstance(d, int) else dims[d] for d in symbol.shape)
            value = rng.uniform(-1.0, 1.0, size=(points, rows, cols))
            if rows == cols:
                value = value + 3.0 * np.eye(rows)
            env[name] = value
    return env


ENVS: dict[str, dict[str, np.ndarray]] = {
    key: sample(ns, seed) for seed, (key, ns) in enumerate(NAMESPACES.items())
}


class V(dict):
    """Sample values with attribute access: ``v.x``; ``v["lambda"]`` for the keyword."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


# -- the table --------------------------------------------------------------------------------

@dataclass(frozen=True)
class Case:
    ns: str
    text: str
    expected: Callable[[V], object]
    #: The shape the checker must infer, when worth pinning (symbolic sizes as in the namespace).
    shape: tuple | None = None

    @property
    def id(self) -> str:
        return f"{self.ns}:{self.text}"


def _cases(ns: str, rows) -> list[Case]:
    out = []
    for row in rows:
        text, expected, *rest = row
        out.append(Case(ns, text, expected, rest[0] if rest else None))
    return out


S = 1, 1  # scalar shape

SCALAR_CASES = _cases("s", [
    # numbers and constants
    ("2", lambda v: 2.0),
    ("0.5", lambda v: 0.5),
    (".5", lambda v: 0.5),
    ("1e-3", lambda v: 1e-3),
    ("2.5e+3", lambda v: 2500.0),
    ("2.5E3", lambda v: 2500.0),
    ("175/2", lambda v: 87.5),
    ("pi", lambda v: np.pi),
    ("π", lambda v: np.pi),
    ("\\pi", lambda v: np.pi),
    ("e", lambda v: np.e),
    ("\\mathrm{e}", lambda v: np.e),
    ("2pi", lambda v: 2 * np.pi),
    ("2\\pi x", lambda v: 2 * np.pi * v.x),
    ("x e", lambda v: np.e * v.x),
    # arithmetic, precedence, associativity
    ("x + y", lambda v: v.x + v.y),
    ("x - y - 1", lambda v: v.x - v.y - 1),
    ("x − y", lambda v: v.x - v.y),
    ("x/y/2", lambda v: v.x / v.y / 2),
    ("x/(y/2)", lambda v: v.x / (v.y / 2)),
    ("a/b*c", lambda v: v.a / v.b * v.c),
    ("x÷y", lambda v: v.x / v.y),
    ("2^3^2", lambda v: 2.0 ** 9),
    ("-x^2", lambda v: -(v.x ** 2)),
    ("(-x)^2", lambda v: v.x ** 2),
    ("- x ^ 2 + 1", lambda v: 1 - v.x ** 2),
    ("--x", lambda v: v.x),
    ("+x", lambda v: v.x),
    ("x - -y", lambda v: v.x + v.y),
    ("x*-y", lambda v: -v.x * v.y),
    ("x^2", lambda v: v.x ** 2),
    ("x**2", lambda v: v.x ** 2),
    ("x²", lambda v: v.x ** 2),
    ("x^{2}", lambda v: v.x ** 2),
    ("{x}^{2}", lambda v: v.x ** 2),
    ("x^-1", lambda v: 1 / v.x),
    ("x^{-1}", lambda v: 1 / v.x),
    ("x⁻¹", lambda v: 1 / v.x),
    ("x^-2", lambda v: v.x ** -2),
    ("2^-x", lambda v: 2.0 ** -v.x),
    ("x^{1/2}", lambda v: np.sqrt(v.x)),
    ("x^.5", lambda v: np.sqrt(v.x)),
    # multiplication, explicit and implicit
    ("2*x", lambda v: 2 * v.x),
    ("2x", lambda v: 2 * v.x),
    ("2 x", lambda v: 2 * v.x),
    ("x 2", lambda v: 2 * v.x),
    ("2·x", lambda v: 2 * v.x),
    ("2×x", lambda v: 2 * v.x),
    ("2⋅x", lambda v: 2 * v.x),
    ("2 \\cdot x", lambda v: 2 * v.x),
    ("2\\times x", lambda v: 2 * v.x),
    ("ab", lambda v: v.a * v.b),
    ("(a+b)(c-d)", lambda v: (v.a + v.b) * (v.c - v.d)),
    ("[a+b][c-d]", lambda v: (v.a + v.b) * (v.c - v.d)),
    ("(a+b)[c-d]", lambda v: (v.a + v.b) * (v.c - v.d)),
    ("\\left(a+b\\right)\\left(c-d\\right)", lambda v: (v.a + v.b) * (v.c - v.d)),
    ("\\left[a+b\\right]\\left[c-d\\right]", lambda v: (v.a + v.b) * (v.c - v.d)),
    ("\\{a+b\\}(c-d)", lambda v: (v.a + v.b) * (v.c - v.d)),
    ("(a)(b)", lambda v: v.a * v.b),
    ("a (b) c", lambda v: v.a * v.b * v.c),
    ("2(a+b)^2", lambda v: 2 * (v.a + v.b) ** 2),
    ("-(a-b)", lambda v: v.b - v.a),
    ("x(1 - x)", lambda v: v.x * (1 - v.x)),
    ("x (1-x)", lambda v: v.x * (1 - v.x)),
    ("x[1-x]", lambda v: v.x * (1 - v.x)),
    ("x\\left(1-x\\right)", lambda v: v.x * (1 - v.x)),
    ("x^2 y", lambda v: v.x ** 2 * v.y),
    ("x y^2", lambda v: v.x * v.y ** 2),
    # names: Greek words, Unicode Greek, LaTeX Greek, subscripts, keywords, aliases
    ("beta x", lambda v: v.beta * v.x),
    ("beta*x", lambda v: v.beta * v.x),
    ("βx", lambda v: v.beta * v.x),
    ("β x", lambda v: v.beta * v.x),
    ("\\beta x", lambda v: v.beta * v.x),
    ("\\beta\\,x", lambda v: v.beta * v.x),
    ("\\beta \\cdot x", lambda v: v.beta * v.x),
    ("lambda x", lambda v: v["lambda"] * v.x),
    ("\\lambda x", lambda v: v["lambda"] * v.x),
    ("λx", lambda v: v["lambda"] * v.x),
    ("x_i", lambda v: v.x_i),
    ("x_{i}", lambda v: v.x_i),
    ("x_i x_j", lambda v: v.x_i * v.x_j),
    ("x_{i} x_{j}", lambda v: v.x_i * v.x_j),
    ("x_i^2", lambda v: v.x_i ** 2),
    ("x_{i}^{2}", lambda v: v.x_i ** 2),
    ("\\beta x_i", lambda v: v.beta * v.x_i),
    ("w t", lambda v: v.w * v.t),
    ("omega t", lambda v: v.w * v.t),
    ("ω t", lambda v: v.w * v.t),
    ("\\omega t", lambda v: v.w * v.t),
    # decorations are ignored
    ("\\bar{x}", lambda v: v.x),
    ("\\vec{x}", lambda v: v.x),
    ("\\mathbf{x}", lambda v: v.x),
    ("\\boldsymbol{x}", lambda v: v.x),
    ("\\hat{x}", lambda v: v.x),
    ("\\bar{x} + \\vec{y}", lambda v: v.x + v.y),
    # the declared function f = sigmoid: calls, the bare name, and the f(1 - f) rule
    ("f(x)", lambda v: sig(v.x)),
    ("f", lambda v: sig(v.x)),
    ("f (x)", lambda v: sig(v.x)),
    ("f(x_i)", lambda v: sig(v.x_i)),
    ("f\\left(x_{i}\\right)", lambda v: sig(v.x_i)),
    ("f(2x)", lambda v: sig(2 * v.x)),
    ("f(beta x)", lambda v: sig(v.beta * v.x)),
    ("f(x)(1 - f(x))", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f(x)[1 - f(x)]", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f(x) [1 - f(x)]", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f(x)\\cdot(1-f(x))", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f\\left(x\\right)\\left[1-f\\left(x\\right)\\right]", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f(1 - f)", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f(1-f)", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f (1 - f)", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f\\left(1-f\\right)", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f(1+f)", lambda v: sig(v.x) * (1 + sig(v.x))),
    ("f(1 - f(x))", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f(1 - f_i)", lambda v: sig(v.x) * (1 - sig(v.x_i))),
    ("f*(1-f)", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("f - f^2", lambda v: sig(v.x) - sig(v.x) ** 2),
    ("f^2", lambda v: sig(v.x) ** 2),
    ("f_i(1-f_i)", lambda v: sig(v.x_i) * (1 - sig(v.x_i))),
    ("f_i (1 - f_i)", lambda v: sig(v.x_i) * (1 - sig(v.x_i))),
    ("f_{i}\\left(1 - f_{i}\\right)", lambda v: sig(v.x_i) * (1 - sig(v.x_i))),
    ("-f_i f_j", lambda v: -sig(v.x_i) * sig(v.x_j)),
    ("- f_i * f_j", lambda v: -sig(v.x_i) * sig(v.x_j)),
    ("f(x_i)(1 - f(x_i))", lambda v: sig(v.x_i) * (1 - sig(v.x_i))),
    ("-f(x_i) f(x_j)", lambda v: -sig(v.x_i) * sig(v.x_j)),
    ("f_i(1-f_j)", lambda v: sig(v.x_i) * (1 - sig(v.x_j))),
    # built-in functions
    ("exp(x)", lambda v: np.exp(v.x)),
    ("e^x", lambda v: np.exp(v.x)),
    ("e^(x)", lambda v: np.exp(v.x)),
    ("e^{x}", lambda v: np.exp(v.x)),
    ("ℯ^x", lambda v: np.exp(v.x)),
    ("\\mathrm{e}^{x}", lambda v: np.exp(v.x)),
    ("\\exp(x)", lambda v: np.exp(v.x)),
    ("\\exp x", lambda v: np.exp(v.x)),
    ("\\exp\\left(x\\right)", lambda v: np.exp(v.x)),
    ("e^-x", lambda v: np.exp(-v.x)),
    ("e^{-x}", lambda v: np.exp(-v.x)),
    ("e^{-x^2}", lambda v: np.exp(-v.x ** 2)),
    ("e^-x^2", lambda v: np.exp(-v.x ** 2)),
    ("exp(-beta x)", lambda v: np.exp(-v.beta * v.x)),
    ("\\exp(-\\beta x)", lambda v: np.exp(-v.beta * v.x)),
    ("e^{-\\beta x}", lambda v: np.exp(-v.beta * v.x)),
    ("e^1", lambda v: np.e),
    ("e^{\\ln x}", lambda v: v.x),
    ("exp(log(x))", lambda v: v.x),
    ("log(x)", lambda v: np.log(v.x)),
    ("ln(x)", lambda v: np.log(v.x)),
    ("\\ln x", lambda v: np.log(v.x)),
    ("\\ln(x)", lambda v: np.log(v.x)),
    ("\\log(x)", lambda v: np.log(v.x)),
    ("\\ln\\left(x\\right)", lambda v: np.log(v.x)),
    ("sqrt(x)", lambda v: np.sqrt(v.x)),
    ("\\sqrt{x}", lambda v: np.sqrt(v.x)),
    ("\\sqrt x", lambda v: np.sqrt(v.x)),
    ("√x", lambda v: np.sqrt(v.x)),
    ("√(x + 1)", lambda v: np.sqrt(v.x + 1)),
    ("\\sqrt{x^2+1}", lambda v: np.sqrt(v.x ** 2 + 1)),
    ("\\sqrt[3]{x}", lambda v: v.x ** (1 / 3)),
    ("abs(x - y)", lambda v: np.abs(v.x - v.y)),
    ("|x - y|", lambda v: np.abs(v.x - v.y)),
    ("\\left|x-y\\right|", lambda v: np.abs(v.x - v.y)),
    ("\\lvert x - y \\rvert", lambda v: np.abs(v.x - v.y)),
    ("sin(x)", lambda v: np.sin(v.x)),
    ("\\sin x", lambda v: np.sin(v.x)),
    ("sin(x)cos(x)", lambda v: np.sin(v.x) * np.cos(v.x)),
    ("\\sin(x)\\cos(x)", lambda v: np.sin(v.x) * np.cos(v.x)),
    ("cos(x)^2", lambda v: np.cos(v.x) ** 2),
    ("\\cos(x)^2", lambda v: np.cos(v.x) ** 2),
    ("tan(x)", lambda v: np.tan(v.x)),
    ("tanh(x)", lambda v: np.tanh(v.x)),
    ("\\tanh(x)", lambda v: np.tanh(v.x)),
    ("1 - tanh(x)^2", lambda v: 1 - np.tanh(v.x) ** 2),
    ("sigmoid(x)", lambda v: sig(v.x)),
    ("sigma(x)", lambda v: sig(v.x)),
    ("σ(x)", lambda v: sig(v.x)),
    ("\\sigma(x)", lambda v: sig(v.x)),
    ("\\sigma(\\beta x)", lambda v: sig(v.beta * v.x)),
    ("σ(βx)", lambda v: sig(v.beta * v.x)),
    ("\\operatorname{sigmoid}(x)", lambda v: sig(v.x)),
    ("\\sigma(x)(1-\\sigma(x))", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("sigmoid(x)*(1 - sigmoid(x))", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("softplus(x)", lambda v: np.log1p(np.exp(v.x))),
    ("log(1 + exp(x))", lambda v: np.log1p(np.exp(v.x))),
    ("\\ln(1 + e^{x})", lambda v: np.log1p(np.exp(v.x))),
    ("\\log\\left(1+e^{x}\\right)", lambda v: np.log1p(np.exp(v.x))),
    ("max(x, y)", lambda v: np.maximum(v.x, v.y)),
    ("\\max(x, y)", lambda v: np.maximum(v.x, v.y)),
    ("min(x, y)", lambda v: np.minimum(v.x, v.y)),
    ("max(x - 1, 0)", lambda v: np.maximum(v.x - 1, 0)),
    # the logistic function and its derivative, every way students write them
    ("\\frac{1}{1 + e^{-\\beta x}}", lambda v: sig(v.beta * v.x)),
    ("1/(1+exp(-beta x))", lambda v: sig(v.beta * v.x)),
    ("1/(1+e^(-beta*x))", lambda v: sig(v.beta * v.x)),
    ("(1+e^(-beta x))^(-1)", lambda v: sig(v.beta * v.x)),
    ("(1+exp(-beta x))**-1", lambda v: sig(v.beta * v.x)),
    ("\\left(1+e^{-\\beta x}\\right)^{-1}", lambda v: sig(v.beta * v.x)),
    ("\\frac{1}{1+\\exp(-x)}", lambda v: sig(v.x)),
    ("\\frac{e^{-x}}{(1+e^{-x})^2}", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("e^(-x)/(1+e^(-x))^2", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("e^{-x}/(1+e^{-x})^2", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("\\dfrac{\\exp(-x)}{\\left(1+\\exp(-x)\\right)^{2}}", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("\\beta \\sigma(\\beta x)(1 - \\sigma(\\beta x))",
     lambda v: v.beta * sig(v.beta * v.x) * (1 - sig(v.beta * v.x))),
    # fractions and spacing
    ("\\frac{a}{b}", lambda v: v.a / v.b),
    ("\\dfrac{a}{b}", lambda v: v.a / v.b),
    ("\\tfrac{a}{b}", lambda v: v.a / v.b),
    ("\\frac{1}{2}x", lambda v: v.x / 2),
    ("\\frac{\\frac{1}{2}}{x}", lambda v: 0.5 / v.x),
    ("\\frac{1}{2}\\left(x - y\\right)^{2}", lambda v: (v.x - v.y) ** 2 / 2),
    ("(x-y)^2/2", lambda v: (v.x - v.y) ** 2 / 2),
    ("a \\, b \\; c \\quad d", lambda v: v.a * v.b * v.c * v.d),
    ("a\\!b \\qquad c", lambda v: v.a * v.b * v.c),
    ("\\displaystyle \\frac{a}{b}", lambda v: v.a / v.b),
    # wrappers and `lhs = rhs`
    ("$x^2$", lambda v: v.x ** 2),
    ("\\(x^2\\)", lambda v: v.x ** 2),
    ("\\[x^2\\]", lambda v: v.x ** 2),
    ("y = 2x", lambda v: 2 * v.x),
    ("f'(x) = f(x)(1 - f(x))", lambda v: sig(v.x) * (1 - sig(v.x))),
    ("\\frac{df}{dx} = f(1-f)", lambda v: sig(v.x) * (1 - sig(v.x))),
])

OTHER_SCALAR_CASES = [
    # A declared T: `x^T` is x to the power T.
    *_cases("T", [
        ("x^T", lambda v: v.x ** v.T),
        ("x^{T}", lambda v: v.x ** v.T),
        ("2T x", lambda v: 2 * v.T * v.x),
    ]),
    # A declared e: a symbol, not Euler's number; \exp still means exp.
    *_cases("e", [
        ("e^x", lambda v: v.e ** v.x),
        ("e x", lambda v: v.e * v.x),
        ("\\exp(x)", lambda v: np.exp(v.x)),
        ("exp(x) + e", lambda v: np.exp(v.x) + v.e),
    ]),
    *_cases("inf", [
        ("inf", lambda v: np.inf),
        ("-inf", lambda v: -np.inf),
        ("\\infty", lambda v: np.inf),
        ("∞", lambda v: np.inf),
        ("-\\infty", lambda v: -np.inf),
    ]),
    *_cases("hat", [
        ("\\hat{x}", lambda v: v.x_hat),
        ("x_hat", lambda v: v.x_hat),
        ("\\hat{x} - x", lambda v: v.x_hat - v.x),
    ]),
    *_cases("case", [
        ("X - x", lambda v: v.X - v.x),
        ("X x", lambda v: v.X * v.x),
    ]),
]

MATRIX_CASES = _cases("mat", [
    # products and their shapes: x^T x is 1 x 1 (a scalar), x x^T is n x n
    ("x^T x", lambda v: s(T(v.x) @ v.x), S),
    ("x x^T", lambda v: v.x @ T(v.x), ("n", "n")),
    ("x^{T} x", lambda v: s(T(v.x) @ v.x), S),
    ("x^\\top x", lambda v: s(T(v.x) @ v.x), S),
    ("x^{\\top} x", lambda v: s(T(v.x) @ v.x), S),
    ("x^⊤ x", lambda v: s(T(v.x) @ v.x), S),
    ("xᵀx", lambda v: s(T(v.x) @ v.x), S),
    ("x' x", lambda v: s(T(v.x) @ v.x), S),
    ("x.T @ x", lambda v: s(T(v.x) @ v.x), S),
    ("x.T x", lambda v: s(T(v.x) @ v.x), S),
    ("A^T", lambda v: T(v.A), ("n", "n")),
    ("A^{T}", lambda v: T(v.A)),
    ("A.T", lambda v: T(v.A)),
    ("A'", lambda v: T(v.A)),
    ("A^⊤", lambda v: T(v.A)),
    ("Aᵀ", lambda v: T(v.A)),
    ("A^\\top", lambda v: T(v.A)),
    ("\\bar{A}^T", lambda v: T(v.A)),
    ("(A^T)^T", lambda v: v.A),
    ("A x", lambda v: v.A @ v.x, ("n", 1)),
    ("A*x", lambda v: v.A @ v.x),
    ("A @ x", lambda v: v.A @ v.x),
    ("A·x", lambda v: v.A @ v.x),
    ("A \\cdot x", lambda v: v.A @ v.x),
    ("\\mathbf{A}\\mathbf{x}", lambda v: v.A @ v.x),
    ("\\boldsymbol{A} \\boldsymbol{x}", lambda v: v.A @ v.x),
    ("(A + A^T)x + z", lambda v: (v.A + T(v.A)) @ v.x + v.z, ("n", 1)),
    ("(A + A')x + z", lambda v: (v.A + T(v.A)) @ v.x + v.z),
    ("A x + A^T x + z", lambda v: (v.A + T(v.A)) @ v.x + v.z),
    ("(\\bar{A} + \\bar{A}^T) \\vec{x} + \\vec{z}", lambda v: (v.A + T(v.A)) @ v.x + v.z),
    ("\\left(\\mathbf{A}+\\mathbf{A}^{\\top}\\right)\\mathbf{x}+\\mathbf{z}",
     lambda v: (v.A + T(v.A)) @ v.x + v.z),
    ("2 (W x + b - y) x^T", lambda v: 2 * (v.W @ v.x + v.b - v.y) @ T(v.x), ("m", "n")),
    ("2(Wx + b - y)x^T", lambda v: 2 * (v.W @ v.x + v.b - v.y) @ T(v.x)),
    ("2\\left(\\mathbf{W}\\mathbf{x}+\\mathbf{b}-\\mathbf{y}\\right)\\mathbf{x}^{\\top}",
     lambda v: 2 * (v.W @ v.x + v.b - v.y) @ T(v.x)),
    ("W^T (W x - y)", lambda v: T(v.W) @ (v.W @ v.x - v.y), ("n", 1)),
    ("X^T x", lambda v: T(v.X) @ v.x, ("m", 1)),
    ("X X^T", lambda v: v.X @ T(v.X), ("n", "n")),
    ("x^T A x", lambda v: s(T(v.x) @ v.A @ v.x), S),
    ("x^T(A x + z)", lambda v: s(T(v.x) @ (v.A @ v.x + v.z)), S),
    ("z^T A x", lambda v: s(T(v.z) @ v.A @ v.x), S),
    ("A B - B A", lambda v: v.A @ v.B - v.B @ v.A),
    ("-A x", lambda v: -(v.A @ v.x)),
    ("-(A x)", lambda v: -(v.A @ v.x)),
    ("beta A x", lambda v: col(v.beta) * (v.A @ v.x)),
    # a 1 x 1 result is a scalar: it scales, divides and adds to scalars
    ("c x", lambda v: col(v.c) * v.x),
    ("x c", lambda v: col(v.c) * v.x),
    ("x/c", lambda v: v.x / col(v.c)),
    ("\\frac{x}{c}", lambda v: v.x / col(v.c)),
    ("(x^T z) x", lambda v: (T(v.x) @ v.z) * v.x),
    ("x^T z x", lambda v: (T(v.x) @ v.z) * v.x),
    ("x (x^T z)", lambda v: (T(v.x) @ v.z) * v.x),
    ("x^T z + c", lambda v: s(T(v.x) @ v.z) + v.c),
    ("(w^T x - c) x", lambda v: (T(v.w) @ v.x - col(v.c)) * v.x),
    ("x/(x^T x)", lambda v: v.x / (T(v.x) @ v.x)),
    ("1/(x^T x)", lambda v: 1 / s(T(v.x) @ v.x)),
    ("(x^T x)^{-1}", lambda v: 1 / s(T(v.x) @ v.x)),
    ("(x^T x)^2", lambda v: s(T(v.x) @ v.x) ** 2),
    ("x^T x / 2", lambda v: s(T(v.x) @ v.x) / 2),
    ("exp(x^T z)", lambda v: np.exp(s(T(v.x) @ v.z))),
    ("omega^T x", lambda v: s(T(v.w) @ v.x)),
    ("ω^T x", lambda v: s(T(v.w) @ v.x)),
    # diag, hadamard, elementwise functions, sum, norm, identity, powers, inverse
    ("diag(f) - f f^T", lambda v: _diag(v.f) - v.f @ T(v.f), ("n", "n")),
    ("diag(f) - f f'", lambda v: _diag(v.f) - v.f @ T(v.f)),
    ("\\operatorname{diag}(f) - f f^{T}", lambda v: _diag(v.f) - v.f @ T(v.f)),
    ("\\mathrm{diag}(f) - f f^\\top", lambda v: _diag(v.f) - v.f @ T(v.f)),
    ("diag(A)", lambda v: np.diagonal(v.A, axis1=1, axis2=2)[:, :, None], ("n", 1)),
    ("diag(x^T)", lambda v: _diag(v.x)),
    ("hadamard(x, z)", lambda v: v.x * v.z, ("n", 1)),
    ("x ⊙ z", lambda v: v.x * v.z),
    ("x \\odot z", lambda v: v.x * v.z),
    ("x ⊙ (x - z)", lambda v: v.x * (v.x - v.z)),
    ("exp(x)", lambda v: np.exp(v.x), ("n", 1)),
    ("sigmoid(W x)", lambda v: sig(v.W @ v.x), ("m", 1)),
    ("tanh(A)", lambda v: np.tanh(v.A)),
    ("sum(x)", lambda v: v.x.sum(axis=(1, 2)), S),
    ("sum(A)", lambda v: v.A.sum(axis=(1, 2)), S),
    ("norm(x)", lambda v: np.sqrt((v.x ** 2).sum(axis=(1, 2))), S),
    ("||x||", lambda v: np.sqrt((v.x ** 2).sum(axis=(1, 2)))),
    ("\\|x\\|", lambda v: np.sqrt((v.x ** 2).sum(axis=(1, 2)))),
    ("\\left\\| x - z \\right\\|^2", lambda v: ((v.x - v.z) ** 2).sum(axis=(1, 2))),
    ("\\lVert x \\rVert^2", lambda v: (v.x ** 2).sum(axis=(1, 2))),
    ("norm(x)^2 - x^T x", lambda v: np.zeros(N)),
    ("softmax(x)", lambda v: np.exp(v.x) / np.exp(v.x).sum(axis=(1, 2), keepdims=True)),
    ("I", lambda v: eye(N_DIM), ("n", "n")),
    ("I x", lambda v: v.x),
    ("eye(n) x", lambda v: v.x),
    ("eye(3)", lambda v: eye(3), (3, 3)),
    ("A + I", lambda v: v.A + eye(N_DIM)),
    ("A - 2I", lambda v: v.A - 2 * eye(N_DIM)),
    ("A^2", lambda v: v.A @ v.A, ("n", "n")),
    ("A^0", lambda v: eye(N_DIM)),
    ("A^3 x", lambda v: v.A @ v.A @ v.A @ v.x),
    ("A^{-1}", lambda v: np.linalg.inv(v.A)),
    ("inv(A)", lambda v: np.linalg.inv(v.A)),
    ("A^{-1} x", lambda v: np.linalg.inv(v.A) @ v.x),
    ("x^T A^{-2} x", lambda v: s(T(v.x) @ np.linalg.inv(v.A @ v.A) @ v.x)),
    ("det(A)", lambda v: np.linalg.det(v.A), S),
    ("\\det(A)", lambda v: np.linalg.det(v.A)),
    ("log(det(A))", lambda v: np.log(np.linalg.det(v.A))),
    ("trace(A)", lambda v: np.trace(v.A, axis1=1, axis2=2), S),
    ("tr(A B)", lambda v: np.trace(v.A @ v.B, axis1=1, axis2=2)),
    ("\\operatorname{tr}(A)", lambda v: np.trace(v.A, axis1=1, axis2=2)),
    ("(W x + b - y)^T (W x + b - y)", lambda v: ((v.W @ v.x + v.b - v.y) ** 2).sum(axis=(1, 2))),
])

LINEAR_CASES = _cases("lin", [
    ("(w^T x - y) x", lambda v: (T(v.w) @ v.x - col(v.y)) * v.x, ("n", 1)),
    ("(\\bar{\\omega}^T \\bar{x} - y) \\bar{x}", lambda v: (T(v.w) @ v.x - col(v.y)) * v.x),
    ("(ω^T x - y) x", lambda v: (T(v.w) @ v.x - col(v.y)) * v.x),
    ("(omega^T x - y)*x", lambda v: (T(v.w) @ v.x - col(v.y)) * v.x),
    ("x (w^T x - y)", lambda v: (T(v.w) @ v.x - col(v.y)) * v.x),
    ("(x^T w - y) x", lambda v: (T(v.w) @ v.x - col(v.y)) * v.x),
    ("x x^T w - y x", lambda v: (T(v.w) @ v.x - col(v.y)) * v.x),
    ("\\left(\\vec{w}^{\\top}\\vec{x}-y\\right)\\vec{x}", lambda v: (T(v.w) @ v.x - col(v.y)) * v.x),
    ("\\frac{1}{2}(w^T x - y)^2", lambda v: (s(T(v.w) @ v.x) - v.y) ** 2 / 2, S),
])

LSQ_CASES = _cases("lsq", [
    ("X^T (X w - y)", lambda v: T(v.X) @ (v.X @ v.w - v.y), ("n", 1)),
    ("X^T X w - X^T y", lambda v: T(v.X) @ (v.X @ v.w - v.y)),
    ("X'(Xw - y)", lambda v: T(v.X) @ (v.X @ v.w - v.y)),
    ("\\mathbf{X}^\\top(\\mathbf{X}\\mathbf{w}-\\mathbf{y})", lambda v: T(v.X) @ (v.X @ v.w - v.y)),
    ("X^T (X w - y) + lambda w", lambda v: T(v.X) @ (v.X @ v.w - v.y) + col(v["lambda"]) * v.w),
    ("X^T X w - X^T y + \\lambda w",
     lambda v: T(v.X) @ (v.X @ v.w - v.y) + col(v["lambda"]) * v.w),
    ("\\frac{1}{2}\\|X w - y\\|^2", lambda v: ((v.X @ v.w - v.y) ** 2).sum(axis=(1, 2)) / 2, S),
    ("norm(X w - y)^2/2", lambda v: ((v.X @ v.w - v.y) ** 2).sum(axis=(1, 2)) / 2),
    ("(X w - y)^T (X w - y)/2", lambda v: ((v.X @ v.w - v.y) ** 2).sum(axis=(1, 2)) / 2),
])


def _diag(vec):
    """diag of a batch of n x 1 vectors -> batch of n x n diagonal matrices."""
    flat = vec.reshape(vec.shape[0], -1)
    return np.stack([np.diag(row) for row in flat])


CASES: list[Case] = [*SCALAR_CASES, *OTHER_SCALAR_CASES, *MATRIX_CASES, *LINEAR_CASES, *LSQ_CASES]
