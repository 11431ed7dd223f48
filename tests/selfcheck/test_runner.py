"""Running a student's own code for a self-check where the grading sandbox is not used: a plain
child process for .py files, a forked child for a notebook's function objects, threads on Windows.
Only plain float64 records come back; limits per call and per run hold; and a submission that
hard-codes the bundle's outputs passes the self-check but not `grader grade`."""

from __future__ import annotations

import csv
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.rubric import SandboxSettings
from grader.selfcheck.build import build, write
from grader.selfcheck.check import check_path
from grader.selfcheck.load import load_bundle
from grader.selfcheck.runner import (LocalCall, _Budget, _run_in_threads, can_fork, run_files,
                                     run_function)

ROOT = Path(__file__).resolve().parents[2]
FAST = SandboxSettings(call_time=0.5, wall_time=8.0)
posix = pytest.mark.skipif(not can_fork(), reason="needs fork")


def run(tmp_path, source: str, calls, settings=FAST):
    path = tmp_path / "student.py"
    path.write_text(source, encoding="utf-8")
    return run_files([path], [LocalCall(*c) for c in calls], settings)


def test_results_come_back_as_float64_arrays(tmp_path):
    done = run(tmp_path, """
import numpy as np
def f(x, n):
    print("noise on stdout" * 1000)          # output does not disturb the results
    return x * n
def g():
    return [[1, 2], [3, 4.5]]
def h():
    return 3
""", [("f", (np.arange(3.0), 2)), ("g", ()), ("h", ())])
    assert done.load_status == "ok"
    assert [r.status for r in done.results] == ["ok", "ok", "ok"]
    assert np.array_equal(done.results[0].value, [0.0, 2.0, 4.0])
    assert done.results[1].value.shape == (2, 2) and done.results[2].value.shape == ()
    assert all(r.value.dtype == np.float64 for r in done.results)


@pytest.mark.parametrize(("body", "message"), [
    ("return None", "returned None"),
    ("return 'text'", "returned a str"),
    ("return np.array([np.nan])", "non-finite"),
    ("return np.array([True])", "bool array"),
    ("return [1, [2, 3]]", "ragged"),
    ("return [1, 'a']", "list containing a str"),
    ("return 1 + 2j", "complex"),
    ("return {'a': 1}", "returned a dict"),
])
def test_what_is_not_plain_numbers_is_invalid(tmp_path, body, message):
    done = run(tmp_path, f"import numpy as np\ndef f():\n    {body}\n", [("f", ())])
    (result,) = done.results
    assert result.status == "invalid" and message in result.message, result


def test_errors_name_the_students_file_and_line(tmp_path):
    done = run(tmp_path, "def f():\n    return 1 / 0\n", [("f", ()), ("missing", ())])
    assert done.results[0].status == "error"
    assert done.results[0].message == "ZeroDivisionError: division by zero (student.py line 2)"
    assert done.results[1].message == "no function named `missing` in your files"


def test_a_file_that_does_not_load(tmp_path):
    done = run(tmp_path, "def f(:\n", [("f", ()), ("f", ())])
    assert done.load_status == "error" and "SyntaxError in student.py line 1" in done.load_message
    assert all(r.status == "error" and "did not load" in r.message for r in done.results)


def test_a_call_that_runs_over_is_stopped_and_the_next_function_still_runs(tmp_path):
    start = time.monotonic()
    done = run(tmp_path, """
import numpy as np
def slow(x):
    while True:
        pass
def fast(x):
    return x
""", [("slow", (1.0,)), ("slow", (2.0,)), ("fast", (3.0,))])
    assert time.monotonic() - start < 5
    assert done.results[0].status == "timeout" and "0.5 s" in done.results[0].message
    assert done.results[1].status == "timeout" and "earlier call of slow" in done.results[1].message
    assert done.results[2].status == "ok" and float(done.results[2].value) == 3.0


def test_the_run_time_limit_holds(tmp_path):
    settings = SandboxSettings(call_time=0.4, wall_time=1.0)
    source = "import time\n" + "".join(f"def f{i}():\n    time.sleep(0.35)\n    return {i}\n" for i in range(6))
    done = run(tmp_path, source, [(f"f{i}", ()) for i in range(6)], settings)
    statuses = [r.status for r in done.results]
    assert statuses[0] == "ok" and statuses[-1] == "timeout"
    assert "time limit of 1 s" in done.results[-1].message


def test_a_process_that_exits_or_kills_its_parent(tmp_path):
    done = run(tmp_path, """
import os
def bye():
    os._exit(3)
def parricide():
    os.kill(os.getppid(), 9)
    return 1.0
def after():
    return 2.0
""", [("bye", ()), ("parricide", ()), ("after", ())])
    assert done.results[0].status == "error" and "exit code 3" in done.results[0].message
    if can_fork():  # the student's code runs under a process of its own: the grader lives on
        assert done.results[1].status == "ok" and done.results[2].status == "ok"


def test_the_code_runs_in_an_empty_folder(tmp_path):
    done = run(tmp_path, "import os\ndef f():\n    return len(os.listdir('.'))\n", [("f", ())])
    assert float(done.results[0].value) == 0.0


# -- function objects ---------------------------------------------------------------------------
def test_a_function_object_runs_and_returns_plain_arrays():
    results = run_function(lambda x: np.asarray(x) * 2, [LocalCall("f", (np.ones(3),))], FAST)
    assert results[0].status == "ok" and np.array_equal(results[0].value, [2.0, 2.0, 2.0])


@posix
def test_a_long_numpy_call_is_stopped():
    def heavy(x):
        a = np.random.default_rng(0).normal(size=(2500, 2500))
        for _ in range(50):
            a = a @ a / 2500.0  # one numpy call after another, each long
        return a.sum()

    start = time.monotonic()
    results = run_function(heavy, [LocalCall("heavy", (1.0,)), LocalCall("heavy", (2.0,))], FAST)
    assert time.monotonic() - start < 4
    assert [r.status for r in results] == ["timeout", "timeout"]


@posix
def test_a_function_object_cannot_disturb_the_caller():
    import sys as real_sys

    def rude(x):
        print("to the notebook's stdout?")
        real_sys.modules.clear()  # only the child's copy
        return 1.0

    results = run_function(rude, [LocalCall("rude", (1.0,))], FAST)
    assert results[0].status == "ok"
    assert "numpy" in real_sys.modules


def test_without_fork_calls_run_in_threads_and_a_slow_one_is_reported():
    budget = _Budget(SandboxSettings(call_time=0.2, wall_time=5))
    quick = _run_in_threads(lambda x: x + 1, [LocalCall("f", (1.0,)), LocalCall("f", (2.0,))], budget)
    assert [float(r.value) for r in quick] == [2.0, 3.0]
    slow = _run_in_threads(lambda x: time.sleep(0.6) or 1.0, [LocalCall("f", (1.0,)), LocalCall("f", (2.0,))],
                           _Budget(SandboxSettings(call_time=0.2, wall_time=5)))
    assert slow[0].status == "timeout" and "could not be stopped" in slow[0].message
    assert slow[1].status == "timeout" and "not run" in slow[1].message


# -- a submission that hard-codes the bundle's outputs --------------------------------------------
def _hardcoded_source(bundle) -> str:
    """A .py file that answers every function question by looking up the bundle's calls."""
    lines = ["import numpy as np", "", "def _key(args):",
             "    return repr([np.round(np.asarray(a, dtype=float), 8).tolist() for a in args])", ""]
    for kind in bundle.prepared.values():
        if not kind.runs_code:
            continue
        table = {repr([np.round(np.asarray(a, dtype=float), 8).tolist() for a in call.args]):
                 (call.expected.tolist(), list(call.expected.shape)) for call in kind.prepared_calls}
        name = kind.function_name
        lines += [f"_{name} = {table!r}", "", f"def {name}(*args):",
                  f"    values, shape = _{name}.get(_key(args), (0.0, []))",
                  "    return np.reshape(np.asarray(values, dtype=float), shape)", ""]
    return "\n".join(lines)


def test_hard_coding_the_bundles_outputs_passes_self_check_but_not_grading(tmp_path):
    rubric = ROOT / "rubrics" / "hw1.yaml"
    write(build(rubric), tmp_path / "hw1.check")
    bundle = load_bundle(tmp_path / "hw1.check")
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "mallory.py").write_text(_hardcoded_source(bundle), encoding="utf-8")
    coded = [q.id for q in bundle.rubric.questions if bundle.prepared[q.id].runs_code]

    checked = check_path(bundle, folder / "mallory.py")
    assert all(checked[q].status == "correct" for q in coded)

    result = CliRunner().invoke(main, ["grade", str(rubric), str(folder), "-o", str(tmp_path / "out")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open(tmp_path / "out" / "details.csv", newline="", encoding="utf-8") as handle:
        rows = {r["question"]: r for r in csv.DictReader(handle)}
    assert all(rows[q]["status"] == "incorrect" and float(rows[q]["score"]) == 0 for q in coded), \
        {q: rows[q]["status"] for q in coded}


def test_the_runner_is_not_the_grading_sandbox_where_asked(tmp_path):
    """`local` runs in a plain child even on Linux (what macOS and Windows get)."""
    write(build(ROOT / "rubrics" / "hw1.yaml"), tmp_path / "hw1.check")
    bundle = load_bundle(tmp_path / "hw1.check")
    result = check_path(bundle, ROOT / "submissions" / "hw1" / "alice.py", runner="local")
    assert result.all_correct
    carol = check_path(bundle, ROOT / "submissions" / "hw1" / "carol.py", runner="local")
    assert carol["p1.sigmoid_grad"].status == "incorrect" and carol["p2.l2_multi_grad"].status == "correct"
