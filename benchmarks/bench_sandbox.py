"""Benchmark: grade 1,000 small submissions (7 calls each) with SandboxPool(jobs=2).

Run: python benchmarks/bench_sandbox.py [--submissions N] [--jobs J]. Prints the wall time of the
whole batch (the target is <= 10 s on 2 cores) and the start-up time of the pool.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.sandbox import Call, Limits, SandboxPool

STUDENT = '''\
import numpy as np

def gradient(w, X, y):
    return 2 * X.T @ (X @ w - y) / len(y)

def loss(w, X, y):
    r = X @ w - y
    return float(r @ r) / len(y)

def gd(w, X, y, lr, steps):
    for _ in range(steps):
        w = w - lr * gradient(w, X, y)
    return w

def sigmoid(z):
    return 1 / (1 + np.exp(-z + {k}))
'''


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    options = parser.parse_args()

    rng = np.random.default_rng(0)
    X, y, w = rng.normal(size=(20, 3)), rng.normal(size=20), np.zeros(3)
    calls = [
        Call("gradient", (w, X, y)),
        Call("loss", (w, X, y)),
        Call("gd", (w, X, y, 0.1, 10)),
        Call("gd", (w, X, y, 0.01, 5)),
        Call("sigmoid", (np.linspace(-3, 3, 7),)),
        Call("sigmoid", (0.5,)),
        Call("loss", (np.ones(3), X, y)),
    ]
    with tempfile.TemporaryDirectory() as folder:
        items = []
        for index in range(options.submissions):
            path = Path(folder) / f"s{index}" / "student.py"
            path.parent.mkdir()
            path.write_text(STUDENT.format(k=index % 10))
            items.append(([path], calls))
        cpu_before = os.times()
        started = time.perf_counter()
        with SandboxPool(jobs=options.jobs, limits=Limits()) as pool:
            pool.run(*items[0])  # the workers are ready once the first submission is back
            ready = time.perf_counter() - started
            started = time.perf_counter()
            runs = pool.map(items)
            elapsed = time.perf_counter() - started
    cpu_after = os.times()  # the workers (and so their children) are reaped once the pool closes
    grader_cpu = cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system
    sandbox_cpu = (
        cpu_after.children_user + cpu_after.children_system - cpu_before.children_user - cpu_before.children_system
    )
    bad = [run for run in runs if run.load_status != "ok" or any(r.status != "ok" for r in run.results)]
    total = options.submissions * len(calls)
    print(f"pool start-up (incl. first submission): {ready:.2f} s")
    print(
        f"{options.submissions} submissions x {len(calls)} calls ({total} calls), jobs={options.jobs}: "
        f"{elapsed:.2f} s wall, {elapsed / options.submissions * 1000:.1f} ms per submission"
    )
    print(
        f"CPU time, whole run: grader process {grader_cpu:.2f} s, workers and children {sandbox_cpu:.2f} s "
        "(a busy machine shows in the wall time, less in these)"
    )
    print(f"submissions with a status other than ok: {len(bad)}")


if __name__ == "__main__":
    main()
