"""Benchmark the answer language on a realistic mix of student answers.

    python benchmarks/bench_answers.py              # default repetitions
    python benchmarks/bench_answers.py --repeat 50  # quicker, noisier
    python benchmarks/bench_answers.py --strict     # exit 1 when a target is missed

For every answer it takes the median over many repetitions of:

* parse: ``read(text, namespace)`` (tokenize, parse, shape-check);
* scalar eval: ``evaluate`` at 64 sample points (scalar answers);
* matrix eval: ``evaluate`` on three batches of 21 points at three different sizes (n, m), the
  three batches together (matrix answers), as the expression checker does.

The answers include HW2's forms: sizes as numbers, elementwise shorthand, ones vectors,
indicators, cases, norms with subscripts, inner products and inverse transposes.

It then prints, per stage, the median and the 90th percentile of those per-answer medians in µs,
the slowest answer, and the target: parse <= 300 µs, scalar eval <= 100 µs, matrix eval (three
sizes) <= 300 µs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

import numpy as np

from grader.answers import Function, Namespace, Symbol, evaluate, parse, read
from grader.answers.nodes import Apply, Name

SCALAR_POINTS = 64
MATRIX_POINTS = 21
MATRIX_SIZES = [{"n": 2, "m": 3}, {"n": 4, "m": 2}, {"n": 6, "m": 5}]
TARGETS_US = {"parse": 300.0, "scalar eval (64 points)": 100.0, "matrix eval (3 sizes)": 300.0}

# -- namespaces, as a HW1 rubric declares them ---------------------------------------------------

_F = Function("f", ("x",), parse("1/(1 + exp(-x))", Namespace(params=frozenset({"x"}))))
SCALAR_NS = Namespace(
    symbols={name: Symbol(name) for name in ("x", "y", "beta", "x_i", "x_j", "a", "b", "c", "d")},
    functions={"f": _F},
    givens={"f_i": Apply("f", (Name("x_i"),)), "f_j": Apply("f", (Name("x_j"),))},
)
MATRIX_NS = Namespace(
    symbols={
        "A": Symbol("A", ("n", "n")), "W": Symbol("W", ("m", "n")), "X": Symbol("X", ("m", "n")),
        "x": Symbol("x", ("n", 1)), "z": Symbol("z", ("n", 1)), "w": Symbol("w", ("n", 1)),
        "f": Symbol("f", ("n", 1)), "b": Symbol("b", ("m", 1)), "y": Symbol("y", ("m", 1)),
        "c": Symbol("c"),
    },
    identities={"I": "n"},
    dims=frozenset({"n", "m"}),
)
#: Logistic regression with HW2's conventions: sizes as numbers and elementwise shorthand.
LOGISTIC_NS = Namespace(
    symbols={"X": Symbol("X", ("n", "m")), "w": Symbol("w", ("m", 1)), "y": Symbol("y", ("n", 1)),
             "h": Symbol("h", ("n", 1))},
    dims=frozenset({"n", "m"}),
    broadcast=True,
)
#: Scalar answers with piecewise functions and indicators.
PIECEWISE_NS = Namespace(
    symbols={name: Symbol(name) for name in ("x", "r", "delta")},
)
LINEAR_NS = Namespace(
    symbols={"w": Symbol("w", ("n", 1)), "x": Symbol("x", ("n", 1)), "y": Symbol("y")},
    dims=frozenset({"n"}),
    aliases={"omega": "w"},
)

SCALAR_ANSWERS = [
    "f(1-f)",
    "f(1 - f)",
    "f(x)(1 - f(x))",
    "f(x) [1 - f(x)]",
    "f_i(1-f_i)",
    "-f_i f_j",
    "f(x_i)(1 - f(x_i))",
    "\\sigma(\\beta x)",
    "\\beta \\sigma(\\beta x)(1 - \\sigma(\\beta x))",
    "\\frac{1}{1 + e^{-\\beta x}}",
    "\\frac{e^{-x}}{(1+e^{-x})^2}",
    "e^(-x)/(1+e^(-x))^2",
    "(1+exp(-beta x))^(-1)",
    "x(1 - x)",
    "(a+b)(c-d)",
    "log(1 + exp(x))",
    "\\ln\\left(1+e^{x}\\right)",
    "\\sqrt{x^2 + 1}",
    "2 x e^{-x^2}",
    "\\frac{1}{2}\\left(x - y\\right)^{2}",
    "beta x_i - log(1 + exp(beta x_i))",
    "tanh(x) (1 - tanh(x)^2)",
]
PIECEWISE_ANSWERS = [
    "relu(x)",
    "1[x > 0]",
    "\\mathbb{1}_{x > 0}",
    "\\begin{cases} 1 & x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}",
    "clip(r, -delta, delta)",
    "\\begin{cases} r & |r| \\le \\delta \\\\ \\delta\\, \\mathrm{sign}(r) & \\text{otherwise} \\end{cases}",
    "max(0, x) + min(0, r)",
]
MATRIX_ANSWERS = [
    (MATRIX_NS, "diag(f) - f f^T"),
    (MATRIX_NS, "(A + A^T)x + z"),
    (MATRIX_NS, "(\\bar{A} + \\bar{A}^T) \\vec{x} + \\vec{z}"),
    (MATRIX_NS, "2 (W x + b - y) x^T"),
    (MATRIX_NS, "2\\left(\\mathbf{W}\\mathbf{x}+\\mathbf{b}-\\mathbf{y}\\right)\\mathbf{x}^{\\top}"),
    (MATRIX_NS, "X^T (X w - y)"),
    (MATRIX_NS, "X^T X w - X^T y"),
    (MATRIX_NS, "x^T A x"),
    (MATRIX_NS, "\\frac{1}{2}\\|X w - y\\|^2"),
    (MATRIX_NS, "softmax(x)"),
    (MATRIX_NS, "A^{-1} x"),
    (MATRIX_NS, "exp(x) / sum(exp(x))"),
    (LINEAR_NS, "(w^T x - y) x"),
    (LINEAR_NS, "(\\bar{\\omega}^T \\bar{x} - y) \\bar{x}"),
    (LINEAR_NS, "x x^T w - y x"),
    (LOGISTIC_NS, "(1/n) X^T (σ(Xw) - y)"),
    (LOGISTIC_NS, "\\frac{1}{n} X^\\top\\left(\\frac{1}{1 + e^{-Xw}} - y\\right)"),
    (LOGISTIC_NS, "X^T(Xw - y)/n"),
    (LOGISTIC_NS, "1 - h^2"),
    (LOGISTIC_NS, "h - \\mathbf{1}"),
    (LOGISTIC_NS, "1[h > 0] ⊙ h"),
    (MATRIX_NS, "A^{-T}"),
    (MATRIX_NS, "\\|x\\|_2^2 + \\langle x, z \\rangle + \\log\\det A"),
    (MATRIX_NS, "softmax(x) - z"),
]


def _sample(ns: Namespace, points: int, sizes: dict[str, int], rng: np.random.Generator):
    env = {}
    for name, symbol in ns.symbols.items():
        if symbol.is_scalar:
            env[name] = rng.uniform(0.3, 1.7, points)
        else:
            rows, cols = (d if isinstance(d, int) else sizes[d] for d in symbol.shape)
            value = rng.uniform(-1, 1, (points, rows, cols))
            env[name] = value + 3 * np.eye(rows) if rows == cols else value
    return env


# -- timing ---------------------------------------------------------------------------------------

def _median_ns(call, repeat: int) -> float:
    """Median wall time of ``call()`` in ns over ``repeat`` runs (after two warm-up runs)."""
    call(), call()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(repeat):
        start = clock()
        call()
        samples.append(clock() - start)
    return statistics.median(samples)


@dataclass
class Stage:
    name: str
    per_answer_us: dict[str, float]

    @property
    def values(self) -> list[float]:
        return sorted(self.per_answer_us.values())

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.values, q))

    @property
    def slowest(self) -> tuple[str, float]:
        return max(self.per_answer_us.items(), key=lambda item: item[1])


def run(repeat: int) -> list[Stage]:
    rng = np.random.default_rng(0)
    parse_us: dict[str, float] = {}
    scalar_us: dict[str, float] = {}
    matrix_us: dict[str, float] = {}

    for ns, answers in ((SCALAR_NS, SCALAR_ANSWERS), (PIECEWISE_NS, PIECEWISE_ANSWERS)):
        scalar_env = _sample(ns, SCALAR_POINTS, {}, rng)
        for text in answers:
            parse_us[text] = _median_ns(lambda: read(text, ns), repeat) / 1e3
            tree = read(text, ns).tree
            scalar_us[text] = _median_ns(
                lambda: evaluate(tree, ns, scalar_env, {}, SCALAR_POINTS), repeat) / 1e3

    for ns, text in MATRIX_ANSWERS:
        parse_us[text] = _median_ns(lambda: read(text, ns), repeat) / 1e3
        tree = read(text, ns).tree
        batches = [(_sample(ns, MATRIX_POINTS, sizes, rng), sizes) for sizes in MATRIX_SIZES]

        def three_sizes(tree=tree, ns=ns, batches=batches):
            for env, sizes in batches:
                evaluate(tree, ns, env, sizes, MATRIX_POINTS)

        matrix_us[text] = _median_ns(three_sizes, repeat) / 1e3

    return [Stage("parse", parse_us), Stage("scalar eval (64 points)", scalar_us),
            Stage("matrix eval (3 sizes)", matrix_us)]


def report(stages: list[Stage]) -> bool:
    header = f"{'stage':<25} {'answers':>7} {'median µs':>10} {'p90 µs':>8} {'max µs':>8} " \
             f"{'target µs':>9}  status"
    print(header)
    print("-" * len(header))
    ok = True
    for stage in stages:
        median, p90 = stage.percentile(50), stage.percentile(90)
        target = TARGETS_US[stage.name]
        passed = p90 <= target
        ok &= passed
        print(f"{stage.name:<25} {len(stage.values):>7} {median:>10.1f} {p90:>8.1f} "
              f"{stage.slowest[1]:>8.1f} {target:>9.0f}  {'ok' if passed else 'MISSED'}")
    print()
    for stage in stages:
        text, value = stage.slowest
        print(f"slowest {stage.name}: {value:.1f} µs  {text}")
    print("\n(median and p90 are over the answers of the per-answer medians; status compares p90 "
          "with the target)")
    return ok


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=300, help="timed runs per answer and stage")
    ap.add_argument("--strict", action="store_true", help="exit with status 1 if a target is missed")
    ap.add_argument("--verbose", action="store_true", help="print every answer's medians")
    args = ap.parse_args()
    stages = run(args.repeat)
    if args.verbose:
        for stage in stages:
            print(f"\n{stage.name}")
            for text, value in sorted(stage.per_answer_us.items(), key=lambda item: -item[1]):
                print(f"  {value:8.1f} µs  {text}")
        print()
    ok = report(stages)
    return 0 if ok or not args.strict else 1


if __name__ == "__main__":
    sys.exit(main())
