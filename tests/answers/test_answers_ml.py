"""What ML coursework students write (issue 13, "Answers students write that must be accepted"):
each row is an answer, a reference and the verdict a grader must reach by comparing them at random
points at two assignments of sizes: ``equal``, ``different`` (other values or another shape) or
``error`` (the answer is refused, with a message fragment).

As the sampler does, points within a margin of a kink or branch boundary of the *reference* are
dropped (``kink_distance``), so ``1[x >= 0]`` and ``1[x > 0]`` are both ReLU'.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from grader.answers import (AnswerError, Function, Namespace, Symbol, evaluate, gradient,
                            infer_shape, kink_distance, parse, read)
from grader.answers.nodes import Call, Name

POINTS = 40
KINK_MARGIN = 1e-6
SIZE_SETS = ({"n": 4, "d": 3, "k": 5}, {"n": 3, "d": 5, "k": 4})


def _ns(symbols: dict, broadcast: bool = False, **extra) -> Namespace:
    declared = {name: Symbol(name, tuple(shape)) for name, shape in symbols.items()}
    dims = {d for s in declared.values() for d in s.shape if isinstance(d, str)}
    return Namespace(symbols=declared, dims=frozenset(dims | set(extra.pop("dims", ()))),
                     broadcast=broadcast, **extra)


_LOGREG = {"X": ("n", "d"), "w": ("d", 1), "y": ("n", 1)}
_ELEM = {"h": ("n", 1), "A": ("n", "n"), "X": ("n", "d"), "w": ("d", 1), "c": (1, 1)}
_SIGMOID = Function("f", ("x",), parse("1/(1 + exp(-x))", Namespace(params=frozenset({"x"}))))
_SOFTMAX_Z = {"z": ("k", 1), "y": ("k", 1)}

NAMESPACES = {
    "logreg": _ns(_LOGREG),
    "logreg+b": _ns(_LOGREG, broadcast=True),
    "elem": _ns(_ELEM),
    "elem+b": _ns(_ELEM, broadcast=True),
    "scalar": _ns({"x": (1, 1), "r": (1, 1), "delta": (1, 1)}, functions={"f": _SIGMOID}),
    "vector": _ns({"h": ("n", 1), "z": ("n", 1)}),
    "matrix": _ns({"X": ("n", "n"), "A": ("n", "n"), "x": ("n", 1), "a": ("n", 1),
                   "b": ("n", 1), "z": ("n", 1)}),
    "softmax": Namespace(symbols={"z": Symbol("z", ("k", 1)), "y": Symbol("y", ("k", 1))},
                         givens={"p": Call("softmax", (Name("z"),))},
                         given_shapes={"p": ("k", 1)}, dims=frozenset({"k"})),
    "layers": _ns({"W1": ("k", "d"), "w2": ("k", 1), "x": ("d", 1)}),
}


@dataclass(frozen=True)
class Row:
    ns: str
    reference: str  # an expression, or "grad <expression> wrt <symbol>"
    answer: str
    verdict: str  # "equal", "different" or "error"
    #: For "error" (the answer does not parse) a fragment of the message; for "different", a
    #: fragment of the shape error, if the shapes do not conform.
    message: str = ""

    @property
    def id(self) -> str:
        return f"{self.ns}:{self.answer}"


def _rows(ns: str, reference: str, *cases) -> list[Row]:
    out = []
    for case in cases:
        answer, verdict, *message = case if isinstance(case, tuple) else (case, "equal")
        out.append(Row(ns, reference, answer, verdict, *message))
    return out


LOGREG_GRAD = "grad -(1/n) (y^T log(sigmoid(X w)) + (1_n - y)^T log(1_n - sigmoid(X w))) wrt w"

#: Rows whose answers are refused as shapes that do not conform carry the expected message too.
ROWS: list[Row] = [
    # -- sizes as numbers: the logistic-regression gradient, in answers and in references
    *_rows("logreg", LOGREG_GRAD,
           "(1/n) X^T (σ(Xw) - y)", r"\frac{1}{n} X^T(\sigma(Xw) - y)",
           r"\frac{1}{n}\mathbf{X}^\top\left(\sigma(\mathbf{X}\mathbf{w}) - \mathbf{y}\right)",
           "X^T(σ(Xw) - y)/n", "1/n X^T (sigmoid(X w) - y)",
           ("X^T(σ(Xw) - y)", "different"), ("(1/d) X^T (σ(Xw) - y)", "different"),
           ("(1/n) X (σ(Xw) - y)", "different", "cannot multiply n x d by n x 1"),
           ("(1/N) X^T (σ(Xw) - y)", "error", "this question's size is `n`"),
           ("(1/n) X^T (1/(1 + e^{-Xw}) - y)", "different", "does not allow elementwise shorthand")),
    *_rows("logreg+b", LOGREG_GRAD,
           "(1/n) X^T (1/(1 + e^{-Xw}) - y)",
           r"\frac{1}{n} X^\top\left(\frac{1}{1 + \exp(-Xw)} - y\right)",
           "X^T((1 + e^{-Xw})^{-1} - y)/n",
           ("X^T(1/(1 + e^{Xw}) - y)/n", "different")),
    *_rows("logreg", "X^T (X w - y)/n", "X^T(Xw - y)/n", r"\frac{1}{n} X^T (X w - y)",
           "(X^T X w - X^T y)/n", ("X^T(Xw - y)", "different")),
    # -- elementwise conventions, where the rubric allows them
    *_rows("elem+b", "ones(n) + exp(-X w)", "1 + e^{-Xw}", ("2 + e^{-Xw}", "different")),
    *_rows("elem+b", "sigmoid(X w)", "1/(1 + e^{-Xw})", r"\frac{1}{1+e^{-Xw}}"),
    *_rows("elem+b", "ones(n) - h ⊙ h", "1 - h^2", "1 - h ⊙ h", ("1 - h^T h", "different")),
    *_rows("elem+b", "h ⊙ h", "h^2", "h**2", "h ⊙ h"),
    *_rows("elem+b", "A A", "A^2", ("A ⊙ A", "different")),
    *_rows("elem+b", "inv(A)", "A^{-1}", ("1/A", "different", "square matrix")),
    *_rows("elem+b", "X ⊙ X", "X^2"),
    *_rows("elem+b", "c ones(n) + h", "c + h", "h + c"),
    *_rows("elem+b", "h", ("h + A", "different", "cannot add n x 1 and n x n"),
           ("h + h^T", "different", "cannot add n x 1 and 1 x n")),
    *_rows("elem", "ones(n) - h ⊙ h", ("1 - h^2", "different", "does not allow elementwise shorthand"),
           ("1 - h ⊙ h", "different", "does not allow elementwise shorthand"), "1_n - h ⊙ h"),
    *_rows("elem", "sigmoid(X w)", ("1/(1 + e^{-Xw})", "different", "elementwise shorthand")),
    *_rows("elem", "h", ("h + A", "different", "cannot add n x 1 and n x n"),
           ("h + h^T", "different", "cannot add n x 1 and 1 x n")),
    *_rows("elem", "A A", "A^2"),
    # -- vectors of ones
    *_rows("vector", "ones(n)", "1_n", "1_{n}", r"\mathbf{1}_n", r"\mathbf{1}_{n}", r"\mathbb{1}_n",
           "ones(n)", "𝟙_n", ("ones(n, 1)", "equal"), ("2 ones(n)", "different")),
    *_rows("vector", "h - ones(n)", r"h - \mathbf{1}", r"h - \mathbb{1}", r"-\mathbf{1} + h"),
    *_rows("vector", "sum(h)", r"\mathbf{1}^T h", r"\mathbb{1}^\top h", "h^T 1_n", "1_n^T h"),
    *_rows("vector", "h ⊙ ones(n)", r"h \odot \mathbf{1}"),
    *_rows("vector", "ones(n) ones(n)^T", "ones(n, n)", "1_n 1_n^T"),
    *_rows("vector", "ones(n)", (r"\mathbf{1}", "error", "cannot be told"),
           ("1_k", "error", "not a size"), ("ones(10^9)", "error", "takes sizes"),
           ("ones(1e9)", "error", "takes sizes")),
    # -- piecewise and nonsmooth functions
    *_rows("scalar", "max(0, x)", "relu(x)", "max(x, 0)", r"\max(0, x)", "x [x > 0]",
           "(x + abs(x))/2", ("min(0, x)", "different")),
    *_rows("scalar", "-relu(-x)", "min(x, 0)", r"\min(0, x)"),
    *_rows("scalar", "x sign(x)", "abs(x)", "|x|"),
    *_rows("scalar", "[x > 0] - [x < 0]", "sign(x)", "sgn(x)"),
    *_rows("scalar", "max(-1, min(x, 1))", "clip(x, -1, 1)", ("clip(x, 0, 1)", "different")),
    *_rows("scalar", "[x > 0]", "step(x)", "heaviside(x)"),
    # ReLU' as an indicator, in every spelling
    *_rows("scalar", "grad relu(x) wrt x",
           "1[x > 0]", "[x > 0]", r"\mathbb{1}[x > 0]", r"\mathbb{1}_{x > 0}", r"\mathbb{1}\{x>0\}",
           r"\mathbb{1}(x > 0)", "1[x >= 0]", r"\mathbb{1}[x \geq 0]", "[0 < x]", "step(x)",
           r"\begin{cases} 1 & x > 0 \\ 0 & \text{otherwise} \end{cases}",
           r"\begin{cases} 1 & x > 0 \\ 0 & x \le 0 \end{cases}",
           r"\begin{cases} 1 & \text{if } x > 0 \\ 0 & \text{if } x \le 0 \end{cases}",
           r"\begin{cases} 1, & x \geq 0, \\ 0, & \text{otherwise}. \end{cases}",
           ("[x < 0]", "different"), ("relu(x)", "different"), ("x > 0", "error", "indicator")),
    # a bracket is an indicator only when it holds a comparison
    *_rows("scalar", "f(x) (1 - f(x))", "f(x)[1 - f(x)]", "f [1 - f]"),
    # Huber's derivative
    *_rows("scalar", "grad (r^2/2) [abs(r) <= delta] + delta (abs(r) - delta/2) [abs(r) > delta] wrt r",
           "clip(r, -delta, delta)", "max(-delta, min(r, delta))",
           r"\begin{cases} r & |r| \le \delta \\ \delta\, \mathrm{sign}(r) & \text{otherwise} \end{cases}",
           r"\begin{cases} r & |r| \leq \delta \\ \delta & r > \delta \\ -\delta & r < -\delta \end{cases}",
           (r"\begin{cases} r & |r| \le \delta \\ \delta & \text{otherwise} \end{cases}", "different")),
    *_rows("vector", "log(sum(exp(z)))", "logsumexp(z)", r"\operatorname{logsumexp}(z)",
           "max(z) + log(sum(exp(z - max(z) 1_n)))"),
    *_rows("vector", "grad sum(relu(z)) wrt z", "[z > 0]", "1[z > 0]", r"\mathbb{1}_{z>0}",
           "step(z)", r"\begin{cases} 1 & z > 0 \\ 0 & \text{otherwise} \end{cases}"),
    # -- matrix notation
    *_rows("matrix", "inv(X)", "X^{-1}", r"\mathbf{X}^{-1}", ("X^{-T}", "different")),
    *_rows("matrix", "inv(X)^T", "X^{-T}", r"X^{-\top}", "X^-T", "(X^{-1})^T", "(X^T)^{-1}",
           "X^{-1}^T", ("X^{T-1}", "error", "inverse of the transpose")),
    *_rows("matrix", "det(X)", r"\det X", r"\det(X)", r"\det X^T", ("det X", "error", "write det(...)")),
    *_rows("matrix", "log(det(X))", r"\log\det X", "logdet(X)", r"\log \det(X)", r"\ln\det X"),
    *_rows("matrix", "sum(A^T ⊙ X)", "tr(A X)", r"\operatorname{tr}(AX)", r"\mathrm{tr}(A X)",
           "trace(X A)", r"\operatorname{Tr}(A X)"),
    *_rows("matrix", "sqrt(x^T x)", r"\|x\|_2", r"\|x\|", r"\left\| x \right\|_2", "norm(x)"),
    *_rows("matrix", "x^T x", r"\|x\|_2^2", r"\lVert x \rVert_2^2", "||x||_2^2", "||x||^2"),
    *_rows("matrix", "trace(X^T X)", r"\|X\|_F^2", r"\|X\|_{F}^2", r"\left\|X\right\|_{\mathrm{F}}^{2}",
           (r"\|X\|_2^2", "different", "Frobenius")),
    *_rows("matrix", "a^T b", r"\langle a, b \rangle", "⟨a, b⟩", r"\left\langle a, b\right\rangle",
           "a · b"),
    *_rows("matrix", "X^T", r"X^{\prime}", "X'", r"X^\prime", "X′"),
    *_rows("matrix", "exp(z)/sum(exp(z))", "softmax(z)", r"\operatorname{softmax}(z)"),
    # gradients: log-det, trace, squared norm
    *_rows("matrix", "grad logdet(X) wrt X", "X^{-T}", r"X^{-\top}", "inv(X)^T", "(X^{-1})^T",
           ("X^{-1}", "different")),
    *_rows("matrix", "grad log(det(X)) wrt X", "X^{-T}"),
    *_rows("matrix", "grad tr(A X) wrt X", "A^T", "A'", ("A", "different")),
    *_rows("matrix", r"grad \|x\|_2^2 wrt x", "2x", "2 x", ("x", "different")),
    # softmax cross-entropy with a one-hot y
    *_rows("softmax", "grad -y^T log(softmax(z)) wrt z", "p - y", "softmax(z) - y",
           "p sum(y) - y", ("y - p", "different")),
    # -- subscripts that match declared names
    *_rows("layers", "W1 x", "W_1 x", "W_{1} x", "W_1x"),
    *_rows("layers", "w2^T W1 x", "w_2^T W_1 x", "w_{2}^\\top W_{1} x"),
    # -- messages that say what to write instead
    *_rows("matrix", "X", ("f'(X)", "error", "(a derivative) cannot be read"),
           ("X^{T^{-1}}", "error", "inverse of the transpose")),
    *_rows("scalar", "x", ("f'(x)", "error", "(a derivative) cannot be read"),
           (r"\sigma'(x)", "error", "(a derivative) cannot be read"),
           ("n x", "error", "it looks like a size")),
]


def _environment(ns_key: str, ns: Namespace, sizes: dict[str, int], seed: int) -> dict:
    rng = np.random.default_rng(seed)
    env = {}
    for name, symbol in ns.symbols.items():
        if symbol.is_scalar:
            env[name] = rng.uniform(-2, 2, POINTS)
            continue
        rows, cols = (d if isinstance(d, int) else sizes[d] for d in symbol.shape)
        value = rng.uniform(-1, 1, (POINTS, rows, cols))
        if rows == cols and name == "X":
            # Positive definite symmetric part, so det > 0 (logdet is defined), and not symmetric,
            # so X^{-1} and X^{-T} differ.
            skew = rng.uniform(-1, 1, (POINTS, rows, cols))
            value = value @ np.swapaxes(value, 1, 2) / rows + np.eye(rows) + skew - np.swapaxes(skew, 1, 2)
        elif rows == cols:
            value = value + 2 * np.eye(rows)
        env[name] = value
    if "delta" in env:
        env["delta"] = rng.uniform(0.3, 1.5, POINTS)
    if ns_key == "softmax":
        hot = rng.integers(0, sizes["k"], POINTS)
        env["y"] = np.eye(sizes["k"])[hot][:, :, None]
    if ns_key.startswith("logreg"):
        env["y"] = rng.uniform(0.05, 0.95, env["y"].shape)
    return env


def _reference(row: Row, ns: Namespace, env: dict, sizes: dict) -> tuple:
    """(values, shape, kink distance) of the reference."""
    if row.reference.startswith("grad "):
        text, wrt = row.reference[5:].rsplit(" wrt ", 1)
        tree = read(text, ns).tree
        values = gradient(tree, ns, env, sizes, POINTS, wrt)
        shape = ns.symbols[wrt].shape
    else:
        expression = read(row.reference, ns)
        tree, shape = expression.tree, expression.shape
        values = evaluate(tree, ns, env, sizes, POINTS)
    return values, shape, kink_distance(tree, ns, env, sizes, POINTS)


def verdict(row: Row) -> tuple[str, str]:
    """What a grader comparing at random points concludes, and the message if refused."""
    ns = NAMESPACES[row.ns]
    try:
        tree = parse(row.answer, ns)
    except AnswerError as err:
        return "error", err.message
    try:
        shape = infer_shape(tree, ns)
    except AnswerError as err:
        return "different", err.message  # shapes that do not conform: a wrong answer
    answer_shape = shape
    for index, sizes in enumerate(SIZE_SETS):
        env = _environment(row.ns, ns, sizes, seed=index)
        want, shape, kinks = _reference(row, ns, env, sizes)
        if answer_shape != shape:
            return "different", ""
        got = evaluate(tree, ns, env, sizes, POINTS)
        keep = (kinks > KINK_MARGIN) & np.isfinite(want.reshape(POINTS, -1)).all(axis=1)
        assert keep.sum() >= POINTS // 2, "the reference is undefined at too many points"
        if not np.allclose(got[keep], want[keep], rtol=1e-7, atol=1e-9):
            return "different", ""
    return "equal", ""


def test_the_table_covers_the_issue():
    assert len(ROWS) >= 150
    assert len({(r.ns, r.reference, r.answer) for r in ROWS}) == len(ROWS), "duplicate rows"
    for row in ROWS:
        assert row.verdict in ("equal", "different", "error")
        assert row.verdict != "error" or row.message, row


@pytest.mark.parametrize("row", ROWS, ids=[row.id for row in ROWS])
def test_verdict(row):
    got, message = verdict(row)
    assert got == row.verdict, (got, message)
    assert row.message in message, message


CONFORMING = [r for r in ROWS if not r.message]


@pytest.mark.parametrize("row", CONFORMING, ids=[r.id for r in CONFORMING])
def test_reference_and_answer_shapes_are_symbolic(row):
    """Every accepted answer has a shape the checker can compare before evaluating."""
    ns = NAMESPACES[row.ns]
    shape = infer_shape(read(row.answer, ns).tree, ns)
    assert all(isinstance(d, (int, str)) and not str(d).startswith("?") for d in shape)
