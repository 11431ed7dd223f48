"""Tests of the sandbox pool: hostile submissions get a clear status and harm nothing else.

Every hostile submission runs in one pool.map next to a correct one, which must still get its
right value. Limits are small (1 s per call) so the whole file stays quick. Tests that rely on the
privilege drop (writes refused, fork limit) only run as root, as CI does.
"""

from __future__ import annotations

import os
import stat
import struct
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.coderun import sandbox
from grader.coderun.sandbox import protocol, zygote
from grader.sandbox import Call, CallResult, Limits, SandboxPool, run_submission

from sandbox_cases import GOOD_CALL, HOSTILE, LIMITS, REPO, ROOT, X, assert_good, between_good, good, write

needs_root = pytest.mark.skipif(not ROOT, reason="the privilege drop only happens when the grader runs as root")
hostile = between_good


@pytest.fixture
def open_folder():
    """A root-owned folder every user can enter and read but only its owner can write."""
    folder = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    folder.chmod(0o755)
    yield folder
    for child in folder.iterdir():
        child.unlink()
    folder.rmdir()


# --- correct code -------------------------------------------------------------------------------


def test_correct_function_returns_its_value():
    rng = np.random.default_rng(1)
    X2, y, w = rng.normal(size=(10, 2)), rng.normal(size=10), np.zeros(2)
    run = run_submission([HOSTILE / "good.py"], [GOOD_CALL, Call("gd", (w, X2, y, 0.1, 5))], LIMITS)
    assert run.load_status == "ok" and run.load_message == ""
    expected = w
    for _ in range(5):
        expected = expected - 0.1 * 2 * X2.T @ (X2 @ expected - y) / len(y)
    np.testing.assert_allclose(run.results[1].value, expected)
    assert run.results[1].value.dtype == np.float64
    assert [r.status for r in run.results] == ["ok", "ok"]


def test_scalars_come_back_as_zero_dimensional_arrays(pool, tmp_path):
    path = write(tmp_path, "s.py", "def f(a, b):\n    return a * b\n")
    run = pool.run([path], [Call("f", (2, 3)), Call("f", (1.5, 2.0))])
    assert [r.value.shape for r in run.results] == [(), ()]
    assert [float(r.value) for r in run.results] == [6.0, 3.0]


def test_arguments_are_fresh_copies_for_each_call(pool, tmp_path):
    path = write(tmp_path, "s.py", "def f(x):\n    x += 1\n    return x\n")
    run = pool.run([path], [Call("f", (X,)), Call("f", (X,))])
    for result in run.results:
        np.testing.assert_array_equal(result.value, X + 1)
    np.testing.assert_array_equal(X, np.arange(3.0))


def test_a_pool_serves_different_call_lists_in_turn(pool, tmp_path):
    # Each worker holds one decoded list of calls; a different list is sent to it again.
    path = write(tmp_path, "s.py", "def f(x):\n    return x * 3\n\ndef g(a, b):\n    return a - b\n")
    first = [Call("f", (X,)), Call("f", (2 * X,))]
    second = [Call("g", (5.0, 2.0))]
    runs = pool.map([([path], first), ([path], second), ([path], first), ([path], second)])
    for run in runs[::2]:
        np.testing.assert_array_equal(run.results[0].value, 3 * X)
        np.testing.assert_array_equal(run.results[1].value, 6 * X)
    for run in runs[1::2]:
        assert [float(r.value) for r in run.results] == [3.0]


def test_a_spoiled_result_channel_is_malformed_data_not_a_grade(pool, tmp_path):
    # The result file belongs to the child; whatever it does to it, the grader only refuses it.
    path = write(tmp_path, "s.py", "import os\n\ndef f(x):\n    os.ftruncate(3, 0)\n    return x\n"
                 "\ndef g(x):\n    os.write(3, b'GSR1' + bytes(40))\n    return x\n")
    for name in ("f", "g"):
        run = hostile(pool, [path], [Call(name, (X,)), Call(name, (X,))])
        statuses = {run.load_status, *(r.status for r in run.results)}
        assert "ok" not in {r.status for r in run.results}, run
        assert any("malformed data" in text for text in (run.load_message, *(r.message for r in run.results))), run
        assert statuses <= {"ok", "error", "invalid"}


def test_writing_more_than_the_file_limit_is_an_error_with_a_reason(pool, tmp_path):
    path = write(tmp_path, "s.py", "import sys\n\ndef f(x):\n    chunk = 'x' * (1 << 20)\n"
                 "    for _ in range(100):\n        sys.stdout.write(chunk)\n    return x\n")
    run = hostile(pool, [path], [Call("f", (X,))])
    assert run.results[0].status == "error"
    assert "wrote more than" in run.results[0].message
    assert len(run.output.encode()) <= LIMITS.output_bytes


def test_several_files_share_one_namespace_in_name_order(pool, tmp_path):
    helper = write(tmp_path, "a_helper.py", "def helper(x):\n    return x + 1\nvalue = 1\n")
    main = write(tmp_path, "b_main.py", "import a_helper\nvalue = 2\ndef f(x):\n    return helper(x) + a_helper.helper(x) + value\n")
    run = pool.run([main, helper], [Call("f", (1.0,)), Call("helper", (1.0,))])
    assert [float(r.value) for r in run.results] == [6.0, 2.0]


def test_plain_numbers_lists_and_integer_arrays_are_accepted(pool):
    names = ["nested", "arrays_in_list", "integer"]
    run = pool.run([HOSTILE / "bad_returns.py"], [Call(name, (1.0,)) for name in names])
    values = [r.value for r in run.results]
    np.testing.assert_array_equal(values[0], [[1, 2.5], [3, 4]])
    np.testing.assert_array_equal(values[1], [[1, 2], [3, 4]])
    assert values[2].shape == () and float(values[2]) == 7.0


# --- failures of the student's code --------------------------------------------------------------


def test_syntax_error_fails_the_load_with_file_and_line(pool):
    run = hostile(pool, [HOSTILE / "syntax_error.py"], [Call("broken", (1.0,))])
    assert run.load_status == "error"
    assert run.load_message.startswith("SyntaxError in syntax_error.py line 3:")
    assert "\n" not in run.load_message
    assert run.results == (CallResult("error", None, "not run: your files did not load"),)


def test_error_while_importing_names_the_line(pool, tmp_path):
    path = write(tmp_path, "student.py", "import numpy\n\nimport no_such_module_here\n")
    run = pool.run([path], [Call("f", ())])
    assert run.load_status == "error"
    # Any module outside the standard library, numpy and the rubric's list is "not available",
    # whether or not it exists on the grader's machine.
    assert run.load_message == ("ModuleNotFoundError in student.py line 3: module no_such_module_here is not "
                                "available when grading; allowed: the standard library, numpy")


def test_missing_function_and_exception_are_per_call(pool):
    calls = [Call("gd_missing", (1.0,)), Call("divides", (1.0,)), Call("fine", (2.0,))]
    run = hostile(pool, [HOSTILE / "exits.py"], calls)
    assert run.results[0] == CallResult("error", None, "no function named `gd_missing` in your files")
    assert run.results[1] == CallResult("error", None, "ZeroDivisionError: division by zero (exits.py line 32)")
    assert float(run.results[2].value) == 20.0


def test_no_python_file_is_a_load_error(pool, tmp_path):
    path = write(tmp_path, "notes.txt", "hello")
    run = pool.run([path, tmp_path / "missing.py"], [GOOD_CALL])
    assert run.load_status == "error" and "missing.py" in run.load_message


# --- time and memory -------------------------------------------------------------------------------


def test_infinite_loop_times_out_and_later_calls_still_run(pool):
    started = time.monotonic()
    run = hostile(pool, [HOSTILE / "infinite_loop.py"], [Call("spin", (1.0,)), Call("fine", (1.0,))])
    assert run.results[0] == CallResult("timeout", None, "call took longer than 1 s")
    assert run.results[1].status == "ok" and float(run.results[1].value) == 2.0
    assert time.monotonic() - started < 4


def test_wall_time_bounds_the_whole_submission(tmp_path):
    # Five different functions that all loop: each costs a call_time until wall_time runs out.
    # (call_time is CPU time where cgroups measure it, with a wall backstop of 2 call_time + 1 s:
    # four calls need at least 2.8 s, so the fifth is never reached, however fast the machine.)
    source = "".join(f"def spin{i}(x):\n    while True:\n        pass\n\n" for i in range(5))
    path = write(tmp_path, "spins.py", source)
    limits = Limits(wall_time=2.5, call_time=0.7, cpu_time=10.0)
    started = time.monotonic()
    run = run_submission([path], [Call(f"spin{i}", (1.0,)) for i in range(5)], limits)
    assert time.monotonic() - started < 5
    statuses = [r.status for r in run.results]
    assert statuses == ["timeout"] * 5
    assert run.results[0].message == "call took longer than 0.7 s"
    assert run.results[-1].message == "not run: the submission used up its time limit of 2.5 s"


def test_a_call_that_kills_its_child_skips_that_functions_next_calls(tmp_path):
    limits = Limits(wall_time=5.0, call_time=1.0, cpu_time=5.0)
    calls = [Call("spin", (1.0,))] * 3 + [Call("ok", (2.0,))]
    path = write(tmp_path, "mixed.py", "def spin(x):\n    while True:\n        pass\n\n"
                                       "def ok(x):\n    return 2 * x\n")
    started = time.monotonic()
    run = run_submission([path], calls, limits)
    assert time.monotonic() - started < 3  # one call_time, not three
    assert [r.status for r in run.results] == ["timeout", "timeout", "timeout", "ok"]
    assert run.results[1].message.startswith("not run: an earlier call of spin failed")
    assert float(run.results[3].value) == 4.0


def test_slow_import_times_out_the_load(tmp_path):
    path = write(tmp_path, "slow.py", "while True:\n    pass\n")
    run = run_submission([path], [GOOD_CALL], Limits(wall_time=1.0, call_time=1.0))
    assert run.load_status == "timeout"
    assert run.load_message == "loading your files took longer than 1 s"
    assert run.results[0].status == "timeout"


def test_cpu_limit_stops_a_busy_child(tmp_path):
    path = write(tmp_path, "busy.py", "def f(x):\n    while True:\n        pass\n")
    # A generous wall time: the CPU limit must be what stops it even on a busy machine.
    run = run_submission([path], [Call("f", (1.0,))], Limits(wall_time=30.0, call_time=20.0, cpu_time=1.0))
    assert run.results[0].status == "timeout"
    assert "CPU time limit" in run.results[0].message


def test_memory_bomb_is_a_memory_error(pool):
    run = hostile(pool, [HOSTILE / "memory_bomb.py"], [Call("bomb", (1.0,))])
    assert run.results[0] == CallResult("error", None, "memory limit exceeded (memory_bomb.py line 8)")


# --- processes ---------------------------------------------------------------------------------------


def sleepers() -> list[int]:
    """Pids of the fork bomb's `sleep 31.7` processes still alive."""
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and Path(f"/proc/{entry}/cmdline").read_bytes() == b"sleep\x0031.7\x00":
                found.append(int(entry))
        except OSError:
            pass
    return found


@needs_root
def test_fork_bomb_is_capped_and_cleaned_up(pool):
    run = hostile(pool, [HOSTILE / "fork_bomb.py"], [Call("bomb", (1.0,))])
    assert run.results[0].status == "ok"
    assert 0 < float(run.results[0].value) < LIMITS.processes
    # Killed when the submission ended (the zygote does not hold the grader up for it): gone
    # within moments.
    deadline = time.monotonic() + 2
    while sleepers() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert sleepers() == []


def test_os_system_and_subprocess_output_is_captured(pool):
    run = hostile(pool, [HOSTILE / "shell.py"], [Call("shell", (5.0,))])
    assert run.results[0].status == "ok"
    assert "from-os-system" in run.output and "from-subprocess" in run.output


def test_exits_crashes_and_interrupts_are_errors_and_do_not_cost_other_calls(pool):
    names = ["calls_sys_exit", "raises_system_exit", "interrupts", "os_exit", "kills_itself", "segfaults", "fine"]
    run = hostile(pool, [HOSTILE / "exits.py"], [Call(name, (1.0,)) for name in names])
    messages = [r.message for r in run.results]
    assert [r.status for r in run.results] == ["error"] * 6 + ["ok"]
    assert messages[0] == "SystemExit: your code called sys.exit(3) (exits.py line 8)"
    assert messages[1].startswith("SystemExit: your code called sys.exit()")
    assert messages[2].startswith("KeyboardInterrupt")
    assert messages[3] == "your code ended the process (exit code 4) before the call returned"
    assert messages[4].startswith("the process was killed (SIGKILL)")
    assert messages[5] == "the process crashed (segmentation fault)"
    assert float(run.results[6].value) == 10.0


def test_killing_its_parent_leaves_the_pool_working(pool):
    run = hostile(pool, [HOSTILE / "kill_parent.py"], [Call("kill_parent", (1.0,)), Call("fine", (3.0,))])
    assert run.results[0].status == "error"
    if pool.isolation.level == "full":  # its parent is outside its PID namespace: getppid() is 0,
        assert run.results[0].message.startswith("the process was killed")  # so it kills itself
    elif ROOT:  # the child runs as another uid and may not signal the zygote
        assert run.results[0].message.startswith("PermissionError")
    assert float(run.results[1].value) == 3.0


def test_a_dead_worker_is_restarted_and_the_batch_goes_on(tmp_path):
    source = "import time\nimport numpy as np\ndef f(x):\n    time.sleep(3)\n    return x\ndef double(x):\n    return 2 * x\n"
    path = write(tmp_path, "sleepy.py", source)
    with SandboxPool(jobs=1, limits=LIMITS) as one:
        assert_good(one.run(*good()))
        zygote = one._workers[0].proc.pid
        threading.Timer(0.5, os.kill, (zygote, 9)).start()
        run = one.run([path], [Call("f", (1.0,)), GOOD_CALL])
        assert run.load_status == "ok" and run.results[0].status == "error"
        assert "died" in run.results[0].message or "killed its parent" in run.results[0].message
        np.testing.assert_array_equal(run.results[1].value, 2 * X)  # re-run with a new worker
        assert_good(one.run(*good()))
        assert one._workers[0].proc.pid != zygote


# --- the file system and the environment ---------------------------------------------------------


@needs_root
def test_writing_outside_its_folder_is_refused(pool, tmp_path, open_folder):
    target = open_folder / "pwned.txt"
    repo_target = REPO / "pwned-by-student.txt"
    source = (
        "def write_open(x):\n"
        f"    open({str(target)!r}, 'w').write('x')\n"
        "def write_repo(x):\n"
        f"    open({str(repo_target)!r}, 'w').write('x')\n"
        "def write_own(x):\n"
        "    open('mine.txt', 'w').write('x')\n"
        "    return 1.0\n"
    )
    path = write(tmp_path, "writer.py", source)
    run = hostile(pool, [path], [Call("write_open", (1.0,)), Call("write_repo", (1.0,)), Call("write_own", (1.0,))])
    assert [r.status for r in run.results] == ["error", "error", "ok"]
    # With namespaces neither folder exists inside; without, the dropped uid may not write there.
    refusal = "FileNotFoundError" if pool.isolation.level == "full" else "PermissionError"
    assert run.results[0].message.startswith(refusal)
    assert not target.exists() and not repo_target.exists()


def test_reading_by_absolute_path_finds_nothing_outside(pool, tmp_path, open_folder):
    readable = open_folder / "rubric.yaml"
    readable.write_text("answer: 42\n")
    readable.chmod(0o644)
    secret = open_folder / "secret.yaml"
    secret.write_text("answer: 43\n")
    secret.chmod(0o600)
    source = (
        "def read(x):\n"
        f"    return float(len(open({str(readable)!r}).read()))\n"
        "def read_secret(x):\n"
        f"    return float(len(open({str(secret)!r}).read()))\n"
    )
    path = write(tmp_path, "reader.py", source)
    run = hostile(pool, [path], [Call("read", (1.0,)), Call("read_secret", (1.0,))])
    if pool.isolation.level == "full":  # neither file exists in the submission's file system
        assert [r.status for r in run.results] == ["error", "error"]
        assert all(r.message.startswith("FileNotFoundError") for r in run.results)
        return
    assert float(run.results[0].value) == 11.0  # documented: without namespaces, readable stays readable
    if ROOT:  # but the dropped uid cannot read files only root may read
        assert run.results[1].status == "error" and run.results[1].message.startswith("PermissionError")


def test_child_starts_empty_scrubbed_and_unprivileged(pool, tmp_path):
    source = (
        "import os, sys\n"
        "START = sorted(os.listdir('.'))\n"
        "def is_open(fd):\n"
        "    try:\n"
        "        os.fstat(fd)\n"
        "        return True\n"
        "    except OSError:\n"
        "        return False\n"
        "def probe(x):\n"
        "    assert START == ['probe.py'], START\n"
        "    assert sys.stdin.read() == ''\n"
        "    assert set(os.environ) <= {'PATH', 'LANG', 'HOME', 'TMPDIR', 'OMP_NUM_THREADS',\n"
        "                               'OPENBLAS_NUM_THREADS', 'MKL_NUM_THREADS', 'MPLBACKEND'}, dict(os.environ)\n"
        "    assert os.environ['HOME'] == os.getcwd() and os.environ['MPLBACKEND'] == 'Agg'\n"
        "    # 3: the result channel; 4: the done pipe (a byte there only wakes the grader early)\n"
        "    assert [fd for fd in range(256) if is_open(fd)] == [0, 1, 2, 3, 4]\n"
        "    assert os.getsid(0) == os.getpid()\n"
        "    return [float(os.getuid()), float(os.getgid()), float(len(os.getgroups()))]\n"
    )
    path = write(tmp_path, "probe.py", source)
    run = pool.run([path], [Call("probe", (1.0,))])
    assert run.results[0].status == "ok", run.results[0].message
    uid, gid, groups = run.results[0].value
    if ROOT:
        assert uid in sandbox.SANDBOX_UIDS and gid == uid and groups == 0
    else:
        assert uid == os.getuid()


def test_stdout_flood_is_cut(pool):
    run = hostile(pool, [HOSTILE / "flood.py"], [Call("flood", (1.0,))])
    assert run.results[0].status == "ok"
    assert len(run.output.encode()) <= LIMITS.output_bytes
    assert run.output.startswith("spam spam") and run.output.endswith("[output cut]\n")


def test_monkeypatching_does_not_reach_the_next_submission(tmp_path):
    checker = write(
        tmp_path,
        "checker.py",
        "import builtins, math\nimport numpy as np\n"
        "def check(x):\n"
        "    return [np.sum(x), np.linalg.norm(x), float(len(x)), math.pi]\n",
    )
    with SandboxPool(jobs=1, limits=LIMITS) as one:  # one zygote: both children come from it
        patched, clean = one.map([([HOSTILE / "monkeypatch.py"], [Call("patch", (1.0,))]), ([checker], [Call("check", (X,))])])
    # Patching builtins also breaks the sandbox's own code in that child: only its results suffer.
    assert patched.load_status == "ok" and len(patched.results) == 1
    np.testing.assert_allclose(clean.results[0].value, [3.0, np.linalg.norm(X), 3.0, np.pi])


def test_pool_leaves_no_folders_behind(tmp_path):
    with SandboxPool(jobs=2, limits=LIMITS) as two:
        base = Path(two._base)
        two.map([good(), good(), ([HOSTILE / "exits.py"], [Call("os_exit", (1.0,))])])
        assert list(base.iterdir()) == []  # each child's folder is removed when it is done
    assert not base.exists()


# --- returned values ---------------------------------------------------------------------------------


def test_lying_objects_are_invalid(pool):
    names = ["liar", "exiter", "subclass", "float_subclass"]
    run = hostile(pool, [HOSTILE / "lying.py"], [Call(name, (1.0,)) for name in names])
    assert [r.status for r in run.results] == ["invalid"] * 4
    assert [r.value for r in run.results] == [None] * 4
    assert run.results[0].message == "returned a Liar, expected a number or a numeric array"
    assert run.results[2].message == "returned a SneakyArray (an ndarray subclass), expected a plain numpy array"


def test_bad_return_values_are_invalid_with_a_reason(pool):
    expected = {
        "text": "returned a str, expected a number or a numeric array",
        "nothing": "returned None, expected a number or a numeric array (missing return?)",
        "generator": "returned a generator, expected a number or a numeric array",
        "not_a_number": "returned non-finite values (nan or inf)",
        "infinite": "returned non-finite values (nan or inf)",
        "complex_value": "returned a complex number, expected a real number",
        "boolean": "returned a bool, expected a number or a numeric array",
        "objects": "returned an array of object, expected numbers",
        "mapping": "returned a dict, expected a number or a numeric array",
        "ragged": "returned a ragged list, expected a rectangular array",
    }
    run = hostile(pool, [HOSTILE / "bad_returns.py"], [Call(name, (1.0,)) for name in expected])
    got = {name: (r.status, r.message) for name, r in zip(expected, run.results)}
    assert got == {name: ("invalid", message) for name, message in expected.items()}


# --- determinism, arguments, transport ---------------------------------------------------------------


def test_results_do_not_depend_on_the_number_of_jobs(tmp_path):
    path = write(
        tmp_path,
        "rand.py",
        "import random\nimport numpy as np\n"
        "def f(x):\n"
        "    return [random.random(), np.random.rand(), float(hash('abc') % 1000)]\n",
    )
    items = [([path], [Call("f", (1.0,))])] * 4 + [([HOSTILE / "exits.py"], [Call("os_exit", (1.0,)), Call("fine", (1.0,))])]
    with SandboxPool(jobs=1, limits=LIMITS) as one:
        serial = one.map(items)
    with SandboxPool(jobs=2, limits=LIMITS) as two:
        parallel = two.map(items)
    assert serial == parallel
    assert len({r.results[0] for r in serial[:4]}) == 1


def test_call_arguments_are_checked_in_the_grader(pool):
    with pytest.raises(TypeError):
        pool.run(*good()[:1], [Call("double", ("text",))])
    with pytest.raises(ValueError):
        Call("not a name", ())


def test_limits_are_checked():
    with pytest.raises(ValueError):
        Limits(call_time=0)
    with pytest.raises(ValueError):
        Limits(memory_bytes=1.5)


def record(kind: int, status: str, index: int, message: str, value=None) -> bytes:
    return zygote.encode_result(kind, status, index, message, value)


def test_result_records_round_trip_in_any_chunking():
    stream = record(0, "ok", 0, "") + record(1, "ok", 0, "", np.arange(6.0).reshape(2, 3))
    stream += record(1, "error", 1, "ValueError: é")
    for size in (1, 7, len(stream)):
        reader = protocol.ResultReader()
        records = []
        for start in range(0, len(stream), size):
            records += reader.feed(stream[start : start + size])
        assert [r[:4] for r in records] == [(0, "ok", 0, ""), (1, "ok", 0, ""), (1, "error", 1, "ValueError: é")]
        np.testing.assert_array_equal(records[1][4], np.arange(6.0).reshape(2, 3))


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200), st.integers(min_value=0, max_value=40))
def test_garbage_from_the_child_is_refused_cleanly(garbage, cut):
    # Never an exception: records up to the first bad one, and then the reason.
    stream = record(0, "ok", 0, "")[:cut] + garbage
    reader = protocol.ResultReader()
    for kind, status, index, message, value in reader.feed(stream):
        assert status in ("ok", "error", "invalid") and isinstance(message, str)
        assert value is None or (value.dtype == np.float64 and value.nbytes <= zygote.MAX_VALUE_BYTES)
    assert reader.error is None or isinstance(reader.error, protocol.ProtocolError)


@pytest.mark.parametrize("dims", [(1 << 40, 1 << 40), (0, (1 << 64) - 1), ((1 << 64) - 1, 0), (0, 1 << 62, 1 << 62)])
def test_impossible_shapes_in_a_header_are_refused_before_anything_is_allocated(dims):
    head = zygote.RESULT_HEADER.pack(zygote.RESULT_MAGIC, 1, 0, 0, 0, len(dims))
    reader = protocol.ResultReader()
    good_load = record(0, "ok", 0, "")
    records = reader.feed(good_load + head + struct.pack(f"<{len(dims)}Q", *dims))
    assert [r[:2] for r in records] == [(0, "ok")]  # what came before still counts
    assert isinstance(reader.error, protocol.ProtocolError)
    assert reader.feed(good_load) == []  # and nothing after


def test_the_working_folder_is_only_enterable(pool):
    mode = os.stat(pool._base).st_mode
    if ROOT:
        assert stat.S_IMODE(mode) == 0o711
    assert stat.S_IMODE(mode) & 0o022 == 0
