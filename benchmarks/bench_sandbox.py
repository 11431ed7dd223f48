"""Benchmark: grade 1,000 small submissions (7 calls each) with SandboxPool(jobs=2).

Run: python benchmarks/bench_sandbox.py [--submissions N] [--jobs J] [--layers]. Prints the wall
time of the whole batch (the target is <= 10 s on 2 cores), the start-up time of the pool, the
isolation in use, and the CPU time of the grader and of the sandbox's processes.

``--layers`` (root only) times, per submission, each layer of the isolation on its own, in a
process like a zygote (numpy imported): the fork, the PID namespace with its init, the mount,
IPC and UTS namespaces with their tmpfs and /proc, and the teardown of it all; and, once per
worker, the worker's file system, its network namespace and joining its cgroups.
"""

from __future__ import annotations

import argparse
import os
import signal
import tempfile
import time
from pathlib import Path

import numpy as np

from grader.coderun.sandbox import isolation as iso
from grader.coderun.sandbox import zygote
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


def batch(options: argparse.Namespace) -> None:
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
        with SandboxPool(jobs=options.jobs, limits=Limits(), isolation="weak-ok") as pool:
            pool.run(*items[0])  # the workers are ready once the first submission is back
            ready = time.perf_counter() - started
            started = time.perf_counter()
            groups = pool._groups.workers if pool._groups is not None else []
            group_cpu = sum(group.cpu_seconds() for group in groups if group.measures_cpu)
            runs = pool.map(items)
            elapsed = time.perf_counter() - started
            group_cpu = sum(group.cpu_seconds() for group in groups if group.measures_cpu) - group_cpu
            described = pool.isolation.describe()
    cpu_after = os.times()
    grader_cpu = cpu_after.user + cpu_after.system - cpu_before.user - cpu_before.system
    # With cgroups, the workers' groups count everything the zygotes and their submissions ran
    # (a killed shim's zygote is never reaped by this process); else the reaped children do.
    sandbox_cpu = group_cpu or (
        cpu_after.children_user + cpu_after.children_system - cpu_before.children_user - cpu_before.children_system
    )
    bad = [run for run in runs if run.load_status != "ok" or any(r.status != "ok" for r in run.results)]
    total = options.submissions * len(calls)
    print(f"sandbox: {described}")
    print(f"pool start-up (incl. first submission): {ready:.2f} s")
    print(
        f"{options.submissions} submissions x {len(calls)} calls ({total} calls), jobs={options.jobs}: "
        f"{elapsed:.2f} s wall, {elapsed / options.submissions * 1000:.1f} ms per submission"
    )
    print(
        f"CPU time, whole run: grader process {grader_cpu:.2f} s, workers and children {sandbox_cpu:.2f} s "
        f"({sandbox_cpu / options.submissions * 1000:.2f} ms per submission; a busy machine shows in "
        "the wall time, less in these)"
    )
    print(f"submissions with a status other than ok: {len(bad)}")


# --- the layers, one by one ---------------------------------------------------------------------


def _cpu(before: os.times_result) -> float:
    after = os.times()
    return (after.user + after.system + after.children_user + after.children_system
            - before.user - before.system - before.children_user - before.children_system)


def _per_submission(label: str, count: int, step) -> None:
    """Run ``step`` ``count`` times; print its wall and CPU time (this process and its reaped
    children) per run."""
    before, started = os.times(), time.perf_counter()
    for _ in range(count):
        step()
    wall = time.perf_counter() - started
    print(f"  {label:58s} {wall / count * 1e3:6.3f} ms wall, {_cpu(before) / count * 1e3:6.3f} ms CPU")


def layers(count: int) -> None:
    """Time each layer in a forked process that is a zygote in all but its loop."""
    plan = iso.mount_plan((), iso.default_hidden())
    program = iso.init_program(plan)
    root = tempfile.mkdtemp(prefix="grader-bench-")
    pid = os.fork()
    if pid:
        os.waitpid(pid, 0)
        os.rmdir(root)
        return
    try:
        libc = zygote.libc()
        libc.fork.restype = int
        started = time.perf_counter()
        zygote.enter_worker_namespaces(user_ns=False)
        print(f"once per worker: namespaces (mount, network, PID, IPC, UTS) {1e3 * (time.perf_counter() - started):.2f} ms, ", end="")
        started = time.perf_counter()
        zygote.build_root(root, plan)
        print(f"its file system ({len(plan)} binds and masks, /dev, /proc, pivot) {1e3 * (time.perf_counter() - started):.2f} ms")
        own = [(os.open(f"/proc/self/ns/{name}", os.O_RDONLY), kind) for name, kind in
               (("mnt", zygote.CLONE_NEWNS), ("ipc", zygote.CLONE_NEWIPC), ("uts", zygote.CLONE_NEWUTS),
                ("pid", zygote.CLONE_NEWPID))]
        print(f"per submission, {count} times (each includes the exit of what it started):")

        def fork_only() -> None:
            child = libc.fork()
            if child == 0:
                os._exit(0)
            os.waitpid(child, 0)

        def with_pid_namespace() -> None:
            zygote.unshare(zygote.CLONE_NEWPID)
            init = os.posix_spawn(program, [program, "2147483647"], {}, setsid=True)
            child = libc.fork()
            if child == 0:
                os._exit(0)
            for fd, kind in own[3:]:
                zygote.setns(fd, kind)
            os.waitpid(child, 0)
            os.kill(init, signal.SIGKILL)
            os.waitpid(init, 0)

        def with_all_namespaces() -> None:
            zygote.enter_submission_namespaces(0, 64 << 20)
            init = os.posix_spawn(program, [program, "2147483647"], {}, setsid=True)
            child = libc.fork()
            if child == 0:
                zygote.mount_proc()
                os._exit(0)
            for fd, kind in own:
                zygote.setns(fd, kind)
            os.waitpid(child, 0)
            os.kill(init, signal.SIGKILL)
            os.waitpid(init, 0)

        _per_submission("fork and exit of a numpy process (the child)", count, fork_only)
        _per_submission("+ PID namespace, `sleep` as its PID 1", count, with_pid_namespace)
        _per_submission("+ mount, IPC, UTS namespaces, 3 tmpfs, /proc, hostname", count, with_all_namespaces)
        _per_submission("fork and exit again (the machine drifts)", count, fork_only)
    finally:
        os._exit(0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--layers", action="store_true", help="time each isolation layer (root only)")
    options = parser.parse_args()
    if options.layers:
        layers(max(50, options.submissions // 4))
    else:
        batch(options)


if __name__ == "__main__":
    main()
