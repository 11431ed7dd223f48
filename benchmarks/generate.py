"""Write N synthetic HW1 submissions: a realistic mix of correct answers in many equivalent forms,
classic mistakes, unreadable text and gaps, plus (optionally) .py files for the programming part.

    python benchmarks/generate.py 1000 /tmp/subs [--code] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# For each question: (weight, answers). Correct forms first, then mistakes, then junk.
ANSWERS: dict[str, list[tuple[float, list]]] = {
    "q1.sigmoid": [
        (0.55, ["f (1 - f)", "f(1-f)", "f(x)[1 - f(x)]", "f - f^2", r"\frac{e^{-x}}{(1+e^{-x})^2}",
                "exp(-x)/(1+exp(-x))^2", "σ(x)(1-σ(x))", r"\sigma(x)(1 - \sigma(x))"]),
        (0.3, ["f(1+f)", "f + f^2", "f(x)[1+f(x)]", "-f(1-f)", "exp(-x)/(1+exp(-x))", "e^{-x}"]),
        (0.1, ["f(1-f", "f'(x)", "df/dx", "y(1-y)"]),
    ],
    "q1.softmax_diag": [
        (0.6, ["f_i (1 - f_i)", "f_i - f_i^2", "f(x_i)(1 - f(x_i))", r"f_{i}\left(1 - f_{i}\right)"]),
        (0.3, ["f_i (1 + f_i)", "-f_i^2", "f_i", "-f_i f_j"]),
        (0.05, ["f_i(1-f_i", "softmax"]),
    ],
    "q1.softmax_offdiag": [
        (0.6, ["-f_i f_j", "-f(x_i) f(x_j)", r"-f_{i} f_{j}", "- f_j f_i"]),
        (0.35, ["f_i f_j", "f_j (1 - f_j)", "-f_i", "0"]),
        (0.05, ["-f_i f_", "f_k"]),
    ],
    "q1.softmax_jacobian": [
        (0.55, ["diag(f) - f f^T", r"\operatorname{diag}(f) - f f^\top", "diag(f) - f @ f.T",
                "diag(f) - f f'"]),
        (0.3, ["f f^T - diag(f)", "diag(f) + f f^T", "diag(f)", "diag(f) - f^T f"]),
        (0.1, ["diag(f) - ff^T)", "I - f f^T"]),
    ],
    "q1.softplus": [
        (0.55, ["sigmoid(beta x)", r"\frac{1}{1 + e^{-\beta x}}", "e^(beta x)/(1 + e^(beta x))",
                "1/(1+exp(-β x))", r"\sigma(\beta x)"]),
        (0.35, ["sigmoid(beta x)/beta", "beta sigmoid(beta x)", "1/(1 + exp(beta x))", "sigmoid(x)"]),
        (0.05, ["1/(1+exp(-beta x)", "softplus'"]),
    ],
    "q2.quadratic": [
        (0.5, ["(A + A^T) x + z", r"(\bar{A} + \bar{A}^T) \vec{x} + \vec{z}", "A x + A^T x + z",
               "(A^T + A)x + z", "A x + A' x + z"]),
        (0.4, ["2 A x + z", "x^T (A + A^T) + z^T", "(A + A^T) x", "A x + z", "2 A x"]),
        (0.05, ["(A + A^T x + z", "A x + B"]),
    ],
    "q2.quadratic_shape": [(0.8, ["n x 1", "(n, 1)", "nx1", r"n \times 1", "[n, 1]"]),
                           (0.15, ["1 x n", "n x n", "n"]), (0.05, ["column"])],
    "q2.l2_single": [
        (0.55, ["(w^T x - y) x", r"(\bar{\omega}^T \bar{x} - y) \bar{x}", "x (x^T w - y)",
                "x x^T w - y x", "(ω^T x - y) x"]),
        (0.35, ["(w^T x - y) x^T", "2 (w^T x - y) x", "(w^T x - y) w", "(w^T x - y)"]),
        (0.05, ["(w^T x - y x", "z"]),
    ],
    "q2.l2_multi": [
        (0.55, ["X^T (X w - y)", "X^T X w - X^T y", r"\mathbf{X}^{T} (\mathbf{X} \mathbf{w} - \mathbf{y})"]),
        (0.35, ["(X w - y)^T X", "2 X^T (X w - y)", "X (X w - y)", "X^T (X w + y)"]),
        (0.05, ["X^T (X w - y", "Z"]),
    ],
    "q2.l2_multi_shape": [(0.8, ["m x 1", "(m, 1)", "mx1"]), (0.15, ["1 x m", "n x 1"]), (0.05, ["m"])],
    "q3.linear": [
        (0.5, ["2 (W x + b - y) x^T", "2(Wx + b - y)x^T", r"2 \, (W x + b - y) \, x^{T}",
               "2 W x x^T + 2 (b - y) x^T"]),
        (0.4, ["(W x + b - y) x^T", "2 x (W x + b - y)^T", "2 (W x + b - y) x", "2 (W x + b - y)"]),
        (0.05, ["2 (W x + b - y x^T", "V"]),
    ],
    "q3.linear_shape": [(0.8, ["m x n", "(m, n)", "m × n"]), (0.15, ["n x m", "m x 1"]), (0.05, ["matrix"])],
    "q4.boundary_a2": [(0.6, ["oscillates", "Oscillates", "oscillating", "neither converges nor diverges"]),
                       (0.35, ["diverges", "converges", "stays"]), (0.05, ["bounces around", "?"])],
    "q4.iterates_a05": [(0.6, [[50, 75, 87.5, 93.75], ["50", "75", "175/2", "375/4"]]),
                        (0.35, [[50, 80, 90, 95], [50, 75, 87.5], [50, 75, 87.5, 93.5], [25, 37.5, 43.75, 46.875]]),
                        (0.05, [["fifty", 75, 87.5, 93.75]])],
    "q4.iterates_a15": [(0.6, [[150, 75, 112.5, 93.75, 103.125]]),
                        (0.35, [[150, 75, 112.5, 93.75], [150, -75, 112.5, 93.75, 103.125], [150, 50, 125, 87.5, 106.25]]),
                        (0.05, [[150, 75, "112.5.", 93.75, 103.125]])],
    "q4.iterates_a25": [(0.6, [[250, -125, 437.5, -406.25]]),
                        (0.35, [[250, 125, 437.5, 406.25], [250, -125, 437.5]]),
                        (0.05, [["250", "-125", "437,5", "-406.25"]])],
    "q4.converge_range": [(0.55, ["(0, 2)", "0 < alpha < 2", "]0, 2[", r"\alpha \in (0, 2)", "0 < α < 2"]),
                          (0.4, ["(0, 2]", "[0, 2)", "[0, 2]", "(0, 1)", "(0, 4)", "alpha < 2"]),
                          (0.05, ["(0, 2", "0 < beta < 2"])],
}
MISSING_RATE = 0.04
BROKEN_FILES = 0.01


def pick(rng: random.Random, options: list[tuple[float, list]]):
    weights = [w for w, _ in options]
    _, group = rng.choices(options, weights)[0]
    return rng.choice(group)


def generate(count: int, out: Path, code: bool, seed: int) -> None:
    rng = random.Random(seed)
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    templates = [(p.stem, p.read_text()) for p in sorted((REPO / "submissions" / "hw1").glob("*.py"))
                 if p.stem in ("alice", "carol", "dave")]
    for index in range(count):
        student = f"s{index:05d}"
        if rng.random() < BROKEN_FILES:
            (out / f"{student}.yaml").write_text(rng.choice(["", "answers: [unclosed", "- a list\n"]))
            continue
        answers = {qid: pick(rng, options) for qid, options in ANSWERS.items()
                   if rng.random() > MISSING_RATE}
        (out / f"{student}.yaml").write_text(yaml.safe_dump({"answers": answers}, allow_unicode=True, sort_keys=False))
        if code:
            weights = [0.6, 0.25, 0.15][: len(templates)]
            _, source = rng.choices(templates, weights)[0]
            # Each file differs (identical files are run once, which would flatter the figure).
            (out / f"{student}.py").write_text(f"# {student}\n{source}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int)
    parser.add_argument("out", type=Path)
    parser.add_argument("--code", action="store_true", help="also write .py files for the programming part")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    generate(args.count, args.out, args.code, args.seed)


if __name__ == "__main__":
    main()
