"""The isolation a pool provides, what it refuses without namespaces, what students may import,
notebook cells, and clean-up after killed runs."""

from __future__ import annotations

import ctypes
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
from sandbox_cases import HOSTILE, LIMITS, REPO, ROOT, X, assert_good, between_good, good, write

from grader.coderun.sandbox import (Isolation, IsolationUnavailable, SandboxPool, cgroups, sandbox_isolation,
                                    slots, submission, zygote)
from grader.sandbox import Call, Limits, run_submission

needs_root = pytest.mark.skipif(not ROOT, reason="needs root")


# --- isolation levels ------------------------------------------------------------------------------


@needs_root
def test_as_root_each_submission_gets_namespaces_and_cgroups(pool):
    assert pool.isolation.level == "full" and not pool.isolation.user_namespace
    assert set(pool.isolation.cgroups) >= {"memory", "pids"}
    assert sandbox_isolation().level == "full"
    assert "full isolation" in pool.isolation.describe()


def test_without_namespaces_a_pool_refuses_unless_told_so(monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX_NAMESPACES", "off")
    with pytest.raises(IsolationUnavailable, match="weak sandbox"):
        SandboxPool(jobs=2, limits=LIMITS)
    with SandboxPool(jobs=2, limits=LIMITS, isolation="weak-ok") as weak:
        assert weak.isolation == Isolation("weak", False, weak.isolation.cgroups, weak.isolation.reason)
        assert "GRADER_SANDBOX_NAMESPACES" in weak.isolation.reason
        for run in weak.map([good(), good()]):
            assert_good(run)
        # The weak sandbox still cleans up after a folder thousands of levels deep.
        between_good(weak, [HOSTILE / "deep_folder.py"], [Call("dig", (1.0,))])
    assert_good(run_submission(*good(), LIMITS))  # one submission alone: as before
    with pytest.raises(ValueError):
        SandboxPool(jobs=1, limits=LIMITS, isolation="none")


def test_removing_a_deep_hostile_tree_needs_no_recursion(tmp_path):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "keep.txt").write_text("keep")
    tree = tmp_path / "tree"
    tree.mkdir()
    fd = os.open(tree, os.O_RDONLY)
    for level in range(3000):  # deeper than any path may be long: by descriptors only
        os.mkdir("d", dir_fd=fd)
        if level == 1500:
            os.symlink(str(outside), "link", dir_fd=fd)
            os.mkdir("closed", 0, dir_fd=fd)
        inner = os.open("d", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = inner
    os.close(fd)
    zygote.remove_tree(str(tree))
    assert not tree.exists()
    assert (outside / "keep.txt").read_text() == "keep"


def test_whatever_fails_inside_the_pool_is_that_submissions_error(pool, monkeypatch):
    def broken(self, *args):
        raise RuntimeError("something unforeseen")

    with monkeypatch.context() as patch:
        patch.setattr(submission.Submission, "_watch", broken)
        run = pool.run(*good())
    assert run.load_status == "error"
    assert run.results[0].status == "error"
    assert "the sandbox failed on this submission: RuntimeError: something unforeseen" in run.results[0].message
    assert_good(pool.run(*good()))  # and the pool goes on


# --- what students may import -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def offering_pool():
    limits = Limits(wall_time=20.0, call_time=10.0, cpu_time=20.0, memory_bytes=1 << 30,
                    modules=("scipy", "matplotlib"))
    with SandboxPool(jobs=1, limits=limits) as offered:
        yield offered


def test_offered_packages_can_be_imported(offering_pool, tmp_path):
    """matplotlib (a dependency of grader) always; scipy too where it is installed (it is offered
    by name, and the sandbox binds what the grader's Python has)."""
    import importlib.util

    has_scipy = importlib.util.find_spec("scipy") is not None
    solver = "scipy.linalg.solve(np.eye(3), x)" if has_scipy else "np.linalg.solve(np.eye(3), x)"
    source = textwrap.dedent(f"""\
        import numpy as np
        {"import scipy.linalg" if has_scipy else ""}
        import matplotlib.pyplot as plt

        def solve(x):
            return {solver}

        def draw(x):
            plt.plot(x, x ** 2)
            plt.savefig("plot.png")
            return float(len(open("plot.png", "rb").read()) > 1000)
        """)
    path = write(tmp_path, "student.py", source)
    run = offering_pool.run([path], [Call("solve", (X,)), Call("draw", (X,))])
    assert run.load_status == "ok", run.load_message
    np.testing.assert_allclose(run.results[0].value, X)
    assert run.results[1].status == "ok" and float(run.results[1].value) == 1.0, run.results[1].message


def test_other_packages_are_refused_by_name(offering_pool, pool, tmp_path):
    path = write(tmp_path, "student.py", "import numpy\nimport pandas\n")
    run = offering_pool.run([path], [Call("f", ())])
    assert run.load_status == "error"
    assert run.load_message == ("ModuleNotFoundError in student.py line 2: module pandas is not available "
                                "when grading; allowed: the standard library, numpy, scipy, matplotlib")
    path = write(tmp_path, "other.py", "def f(x):\n    import scipy\n    return x\n")
    run = pool.run([path], [Call("f", (1.0,))])  # not offered by this pool's rubric
    assert run.results[0].message.startswith("ModuleNotFoundError: module scipy is not available")


# --- notebooks: cells -------------------------------------------------------------------------------


def test_a_failing_cell_costs_only_itself(pool, tmp_path):
    source = textwrap.dedent("""\
        # grader: cells
        # %% cell 1
        def first(x):
            return x + 1
        # %% cell 2
        print("in cell 2")
        y = undefined_name + 1
        # %% cell 3
        def third(x):
            return 2 * x
        # %% cell 4
        def broken(x)
            return x
        # %% cell 5
        z = first(1)
        def fifth(x):
            return x + z
        """)
    path = write(tmp_path, "notebook.py", source)
    run = pool.run([path], [Call("first", (1.0,)), Call("third", (1.0,)), Call("fifth", (1.0,))])
    assert run.load_status == "ok"
    assert run.load_message == ("cell 2 raised NameError: name 'undefined_name' is not defined (line 2); "
                                "cell 4 has a SyntaxError: expected ':' (line 1); the other cells were still run")
    assert [float(r.value) for r in run.results] == [2.0, 2.0, 3.0]
    assert "in cell 2" in run.output


def test_an_error_location_in_a_cell_is_its_line_in_the_cell(pool, tmp_path):
    source = "# grader: cells\n# %% cell 1\ndef f(x):\n    return x\n# %% cell 2\n\ndef g(x):\n    return 1 / 0\n"
    path = write(tmp_path, "nb.py", source)
    run = pool.run([path], [Call("g", (1.0,))])
    # Calls report the file's own line (the cells are one file on disk).
    assert run.results[0].message == "ZeroDivisionError: division by zero (nb.py line 8)"


# --- clean-up after killed runs, and pools side by side ---------------------------------------------


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().rsplit(")", 1)[1].split()[0] not in ("Z", "X")
    except OSError:
        return False


def test_a_killed_grader_takes_its_workers_along_and_the_next_run_clears_its_folder():
    script = textwrap.dedent("""\
        import json, sys, time
        from grader.sandbox import Limits, SandboxPool
        from pathlib import Path
        pool = SandboxPool(jobs=2, limits=Limits())
        pool.run([Path(sys.argv[1])], [])
        print(json.dumps({"base": pool._base, "workers": [w.proc.pid for w in pool._workers]}), flush=True)
        time.sleep(60)
        """)
    process = subprocess.Popen([sys.executable, "-c", script, str(HOSTILE / "good.py")],
                               stdout=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(REPO)})
    info = json.loads(process.stdout.readline())
    assert all(_alive(pid) for pid in info["workers"])
    process.kill()
    process.wait()
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in info["workers"]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(_alive(pid) for pid in info["workers"]), "a worker outlived the grader"
    assert os.path.isdir(info["base"])  # left behind by the killed run ...
    with SandboxPool(jobs=1, limits=LIMITS) as later:
        assert_good(later.run(*good()))
    assert not os.path.exists(info["base"])  # ... and removed by the next one


def test_a_live_pools_folder_and_cgroups_are_never_swept():
    with SandboxPool(jobs=1, limits=LIMITS) as first:
        with SandboxPool(jobs=1, limits=LIMITS) as second:  # sweeps at start: must spare `first`
            assert_good(second.run(*good()))
        assert os.path.isdir(first._base)
        assert_good(first.run(*good()))


@needs_root
def test_stale_cgroups_are_removed():
    hierarchy = cgroups.find_hierarchies()[0]
    name = slots.PREFIX + "0123456789ab"
    lock = os.path.join(slots.lock_dir(), name + ".lock")
    open(lock, "w").close()  # a pool of that name existed, and nobody holds its lock any more
    os.makedirs(os.path.join(hierarchy.path, name, "worker0"))
    slots.sweep_stale(cgroups.remove_pool_groups)
    assert not os.path.exists(os.path.join(hierarchy.path, name))
    assert not os.path.exists(lock)


def test_pools_side_by_side_share_the_sandbox_uids_without_waiting():
    # More workers than there are sandbox uids, in two pools at once (two test runs, say).
    started = time.monotonic()
    with SandboxPool(jobs=9, limits=LIMITS) as first, SandboxPool(jobs=9, limits=LIMITS) as second:
        assert time.monotonic() - started < 30
        for run in first.map([good()] * 3) + second.map([good()] * 3):
            assert_good(run)


# --- without root: a user namespace stands in -------------------------------------------------------

USER = 65500


def _as_user(folder: str):
    """preexec_fn: a private mount namespace where the interpreter (under /root, mode 700) can be
    reached, then become USER."""
    def enter() -> None:
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.unshare(0x00020000) != 0:
            raise OSError(ctypes.get_errno(), "unshare")
        zygote.mount(None, "/", None, zygote.MS_REC | zygote.MS_PRIVATE)
        prefix = os.path.realpath(sys.base_prefix)
        hidden = next((p for p in Path(prefix).parents if p != Path("/") and not os.stat(p).st_mode & 0o001), None)
        if hidden is not None:
            keep = os.path.join(folder, "prefix")
            os.mkdir(keep)
            zygote.mount(prefix, keep, None, zygote.MS_BIND)
            zygote.mount("tmpfs", str(hidden), "tmpfs", 0, "mode=755")
            os.makedirs(prefix)
            zygote.mount(keep, prefix, None, zygote.MS_MOVE)
        os.setgroups([])
        os.setgid(USER)
        os.setuid(USER)
    return enter


@needs_root
def test_without_root_a_user_namespace_isolates_students_from_each_other():
    folder = tempfile.mkdtemp(prefix="sandbox-user-")
    os.chown(folder, USER, USER)
    later = Path(folder, "later")
    later.mkdir()
    target = later / "student.py"
    target.write_text("def double(x):\n    return 2 * x\n")
    attacker = Path(folder, "attacker.py")
    attacker.write_text((HOSTILE / "overwrite_later.py").read_text().format(target=target)
                        + "\ndef capabilities(x):\n    line = [l for l in open('/proc/self/status') if l.startswith('CapEff')][0]\n"
                          "    return float(int(line.split()[1], 16))\n")
    for path in (later, target, attacker):
        os.chown(path, USER, USER)
    script = textwrap.dedent(f"""\
        import json
        from pathlib import Path
        from grader.sandbox import Call, Limits, SandboxPool
        import numpy as np
        try:
            pool = SandboxPool(jobs=1, limits=Limits())
        except Exception as exc:
            print(json.dumps({{"unavailable": str(exc)}}))
            raise SystemExit
        with pool:
            first = pool.run([Path({str(attacker)!r})], [Call("double", (np.arange(3.0),)), Call("capabilities", (1.0,))])
            second = pool.run([Path({str(target)!r})], [Call("double", (np.arange(3.0),))])
            print(json.dumps({{"isolation": pool.isolation.describe(), "user_ns": pool.isolation.user_namespace,
                               "first": [(r.status, r.message) for r in first.results],
                               "caps": float(first.results[1].value) if first.results[1].value is not None else -1,
                               "second": [(r.status, r.value.tolist() if r.value is not None else None)
                                          for r in second.results]}}))
        """)
    try:
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120,
                              preexec_fn=_as_user(folder), cwd=folder,
                              env={"PYTHONPATH": str(REPO), "HOME": folder, "TMPDIR": folder,
                                   "PATH": os.environ.get("PATH", "/usr/bin:/bin")})
        assert done.returncode == 0, done.stderr
        result = json.loads(done.stdout.strip().splitlines()[-1])
        if "unavailable" in result:
            pytest.skip(f"no unprivileged user namespaces here: {result['unavailable']}")
        assert result["user_ns"], result
        assert result["first"][0][0] == "error", result  # the later student's file does not exist inside
        assert result["caps"] == 0.0, result  # uid 0 of its namespace, without any capability
        assert result["second"] == [["ok", [0.0, 2.0, 4.0]]], result
        assert "0 * x" not in target.read_text()
    finally:
        subprocess.run(["rm", "-rf", folder], check=False)
