"""Programming questions end to end: the function kind, references, and a class of hostile
submissions graded in one batch without harming anyone else's grade."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.pipeline import grade, prepare
from grader.errors import RubricError
from grader.pipeline import load_rubric
from grader.submissions import find_submissions

RUBRIC = """
title: functions
sandbox: {wall_time: 6, call_time: 1, memory_mb: 600}
questions:
  - id: p.double
    kind: function
    points: 2
    args:
      x: {shape: [n], domain: [-3, 3]}
    answer: "2 x"
    calls: 4
  - id: p.outer_grad
    kind: function
    points: 2
    function: grad_w
    args:
      W: {shape: [m, n]}
      x: {shape: [n]}
    gradient_of: "norm(W x)^2 / 2"
    wrt: W
    calls: 4
  - id: p.steps
    kind: function
    points: 1
    function: powers
    args:
      a: {domain: [0.1, 0.9]}
      k: {integer: [1, 5]}
    reference: ref.py:powers
    calls: 5
"""

REF = """
import numpy as np

def powers(a, k):
    return np.array([a ** i for i in range(1, k + 1)])
"""

GOOD = """
import numpy as np

def double(x):
    return 2 * x

def grad_w(W, x):
    return np.outer(W @ x, x)

def powers(a, k):
    return np.array([a ** i for i in range(1, k + 1)])
"""

# Every hostile file defines `double` badly and the others well, so each shows which question it
# costs and that the rest of its own grade survives.
HOSTILE = {
    "loops": "while True:\n        pass",
    "memory": "blocks = [np.ones(1 << 27) for _ in range(8)]\n    return x",  # 8 GiB, stopped at 600 MB
    "forks": ("import os\n    for _ in range(100):\n        try:\n            if os.fork() == 0:\n"
              "                os._exit(0)\n        except OSError:\n            break\n    return 2 * x"),
    "shell": "import os, subprocess\n    os.system('touch /tmp/grader-test-pwned')\n"
             "    subprocess.run(['true'])\n    return 2 * x",
    "reads_rubric": "return open(RUBRIC_PATH).read()",
    "writes_outside": "open(OUTSIDE, 'w').write('x')\n    return 2 * x",
    "exits": "import sys\n    sys.exit(3)",
    "hard_exit": "import os\n    os._exit(0)",
    "kills_parent": "import os, signal\n    os.kill(os.getppid(), signal.SIGKILL)\n    return 2 * x",
    "floods": "print('spam' * 100000)\n    return 2 * x",
    "patches": "np.allclose = lambda *a, **k: True\n    import builtins\n    builtins.abs = lambda v: 0\n"
               "    return x",
    "liar": "class Liar:\n        def __eq__(self, other):\n            return True\n"
            "        def __array__(self, *a, **k):\n            return 2 * x\n    return Liar()",
    "returns_text": "return 'two x'",
    "returns_nan": "return x * np.nan",
}


def hostile_source(body: str, rubric_path: Path, outside: Path) -> str:
    good_rest = GOOD.replace("def double(x):\n    return 2 * x\n", "")
    return (f"import numpy as np\nRUBRIC_PATH = {str(rubric_path)!r}\nOUTSIDE = {str(outside)!r}\n\n"
            f"def double(x):\n    {body}\n{good_rest}")


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("class")
    (root / "rubric.yaml").write_text(RUBRIC)
    (root / "ref.py").write_text(REF)
    subs = root / "subs"
    subs.mkdir()
    outside = Path("/var/lib/grader-test-outside.txt")  # a root-owned folder: not writable for the child
    (subs / "aaron.py").write_text(GOOD)
    (subs / "zoe.py").write_text(GOOD)
    for name, body in HOSTILE.items():
        (subs / f"h_{name}.py").write_text(hostile_source(body, root / "rubric.yaml", outside))
    (subs / "h_syntax.py").write_text("def double(x)\n    return 2 * x\n")
    (subs / "h_missing.py").write_text("def something_else(x):\n    return x\n")
    (subs / "h_written_only.yaml").write_text("answers: {}\n")
    out = root / "out"
    result = CliRunner().invoke(main, ["grade", str(root / "rubric.yaml"), str(subs), "-o", str(out),
                                       "--jobs", "2"])
    assert result.exit_code == 0, result.output
    with open(out / "details.csv", newline="") as handle:
        rows = {(r["student"], r["question"]): r for r in csv.DictReader(handle)}
    return rows, outside, out


def row(graded, student, question="p.double"):
    return graded[0][(student, question)]


def test_every_student_and_question_is_reported(graded):
    rows, _, out = graded
    students = {s for s, _ in rows}
    assert len(students) == len(HOSTILE) + 5
    assert len(rows) == len(students) * 3
    assert (out / "grades.csv").read_text().count("\n") == len(students) + 1


def test_good_students_are_untouched_by_the_others(graded):
    for student in ("aaron", "zoe"):
        for question in ("p.double", "p.outer_grad", "p.steps"):
            assert row(graded, student, question)["status"] == "correct", (student, question)


@pytest.mark.parametrize("name, status, words", [
    ("loops", "timeout", "longer than 1 s"),
    ("memory", "error", "memory"),
    ("exits", "error", "sys.exit"),
    ("hard_exit", "error", ""),
    ("liar", "invalid", "Liar"),
    ("returns_text", "invalid", "str"),
    ("returns_nan", "invalid", "finite"),
    ("patches", "incorrect", "wrong value"),
])
def test_hostile_functions_get_a_clear_status(graded, name, status, words):
    verdict = row(graded, f"h_{name}")
    assert verdict["status"] == status, verdict
    assert words in verdict["feedback"]
    # ... and cost only that question: the student's other functions are still marked.
    assert row(graded, f"h_{name}", "p.outer_grad")["status"] == "correct"
    assert row(graded, f"h_{name}", "p.steps")["status"] == "correct"


def test_reading_the_rubric_gains_nothing(graded):
    # With namespaces the rubric does not exist inside the sandbox; without, whether it is
    # readable depends on its folder's permissions (docs/sandbox.md); either way it is no answer.
    verdict = row(graded, "h_reads_rubric")
    assert verdict["status"] in ("invalid", "error")
    assert any(words in verdict["feedback"] for words in ("returned a str", "PermissionError", "FileNotFoundError"))


@pytest.mark.parametrize("name", ["forks", "shell", "floods", "kills_parent", "writes_outside"])
def test_side_effects_do_not_change_results(graded, name):
    verdicts = [row(graded, f"h_{name}", q)["status"] for q in ("p.double", "p.outer_grad", "p.steps")]
    assert verdicts[1:] == ["correct", "correct"]
    assert verdicts[0] in ("correct", "error"), verdicts


def test_no_file_escaped_the_sandbox(graded):
    _, outside, _ = graded
    assert not outside.exists()
    assert not Path("/tmp/grader-test-pwned").exists() or Path("/tmp/grader-test-pwned").stat().st_uid != 0


def test_load_failures_and_gaps(graded):
    for question in ("p.double", "p.outer_grad", "p.steps"):
        syntax = row(graded, "h_syntax", question)
        assert syntax["status"] == "error" and "SyntaxError" in syntax["feedback"]
        assert row(graded, "h_written_only", question)["status"] == "missing"
    missing = row(graded, "h_missing")
    assert missing["status"] == "error" and "double" in missing["feedback"]


def test_a_function_that_loops_costs_one_call_not_the_whole_budget(graded):
    feedback = row(graded, "h_loops")["feedback"]
    assert feedback.startswith("call 1 ")


# -- the checker on its own -----------------------------------------------------------------------
def load(tmp_path: Path, text: str = RUBRIC):
    (tmp_path / "rubric.yaml").write_text(text)
    (tmp_path / "ref.py").write_text(REF)
    return load_rubric(tmp_path / "rubric.yaml")


def test_calls_use_several_sizes_and_never_all_square(tmp_path):
    checkers = prepare(load(tmp_path))
    calls = checkers["p.outer_grad"].prepared_calls
    shapes = {call.args[0].shape for call in calls}
    assert len(shapes) >= 2
    assert all(rows != cols for rows, cols in shapes)
    # A 1-D argument stays 1-D, and a column-vector reference over it is expected back 1-D.
    double = checkers["p.double"].prepared_calls[0]
    assert double.args[0].ndim == 1 and double.expected.shape == double.args[0].shape
    steps = checkers["p.steps"].prepared_calls
    assert all(isinstance(call.args[1], int) and call.expected.shape == (call.args[1],) for call in steps)


def test_wrong_shape_names_both_shapes(tmp_path):
    rubric = load(tmp_path)
    code = tmp_path / "col.py"
    code.write_text(GOOD.replace("return 2 * x", "return (2 * x).reshape(-1, 1)"))
    (verdict, *_rest) = grade(rubric, find_submissions_of(tmp_path, code))
    assert verdict.status == "incorrect"
    assert "returned shape (" in verdict.feedback and ", 1); expected (" in verdict.feedback


def find_submissions_of(tmp_path: Path, code: Path):
    folder = tmp_path / "one"
    folder.mkdir(exist_ok=True)
    (folder / code.name).write_text(code.read_text())
    return find_submissions(folder)


def test_reference_problems_are_rubric_errors(tmp_path):
    broken = RUBRIC.replace("reference: ref.py:powers", "reference: ref.py:nothing_here")
    with pytest.raises(RubricError) as err:
        prepare(load(tmp_path, broken))
    assert "reference" in str(err.value) and "nothing_here" in str(err.value)
    with pytest.raises(RubricError):
        load(tmp_path, RUBRIC.replace('answer: "2 x"', 'answer: "2 x"\n    reference: ref.py:powers'))


def test_hw1_programming_part_accepts_the_example_solution():
    repo = Path(__file__).resolve().parents[2]
    rubric = load_rubric(repo / "rubrics" / "hw1.yaml")
    verdicts = grade(rubric, [s for s in find_submissions(repo / "submissions" / "hw1") if s.student == "alice"])
    coded = [v for v in verdicts if v.question.startswith("p")]
    assert len(coded) == 7 and all(v.status == "correct" for v in coded), coded


def _zygotes() -> set[int]:
    """Pids of this process's live sandbox workers (started or still starting)."""
    import os

    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
                with open(f"/proc/{entry}/cmdline", "rb") as handle:
                    command = handle.read()
            except OSError:
                continue
            if b"_grader_sandbox_zygote" in command and int(fields[1]) == os.getpid() and fields[0] != "Z":
                found.add(int(entry))
    return found


def test_written_answers_are_checked_while_the_code_runs(tmp_path):
    rubric = load(tmp_path, RUBRIC + "  - id: w.sum\n    kind: expression\n    points: 1\n"
                                    "    symbols: {a: {}, b: {}}\n    answer: \"a + b\"\n")
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "ann.py").write_text(GOOD)
    (folder / "ann.yaml").write_text("answers: {w.sum: b + a}\n")
    seen = []
    verdicts = grade(rubric, find_submissions(folder), jobs=2,
                     meanwhile=lambda: seen.append(len(_zygotes())))
    assert seen == [2]  # both sandbox workers were already running
    assert {v.question: v.status for v in verdicts} == {
        "p.double": "correct", "p.outer_grad": "correct", "p.steps": "correct", "w.sum": "correct"}
    assert not _zygotes()


def test_a_failure_while_the_code_runs_stops_the_sandbox(tmp_path):
    rubric = load(tmp_path)
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("ann", "bob", "cy"):
        (folder / f"{name}.py").write_text(GOOD)

    def interrupted() -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        grade(rubric, find_submissions(folder), jobs=2, meanwhile=interrupted)
    assert not _zygotes()


def test_code_refused_when_read_is_invalid_and_never_run(tmp_path, hw1_path):
    """A .py that is a symbolic link (to a classmate's file) is refused when the class is read:
    the student's code questions are `invalid` naming the file, and nothing of it runs."""
    import os

    from grader.pipeline import grade, load
    from grader.submissions import find_submissions

    folder = tmp_path / "class"
    (folder / "mallory").mkdir(parents=True)
    (folder / "alice.py").write_text((hw1_path.parents[1] / "submissions" / "hw1" / "alice.py").read_text())
    os.symlink(folder / "alice.py", folder / "mallory" / "grads.py")
    rubric, prepared = load(hw1_path)
    rows = [v for v in grade(rubric, find_submissions(folder), prepared)
            if v.student == "mallory" and prepared[v.question].runs_code]
    assert rows and {v.status for v in rows} == {"invalid"}
    assert all("symbolic link" in v.feedback for v in rows)


def test_a_wrong_call_shows_its_inputs_and_what_came_back_not_the_expected(tmp_path):
    """Feedback a student can act on: the inputs of the failing call (values when small), what
    their function returned, and the expected value only when the rubric allows it."""
    from grader.pipeline import grade, load
    from grader.submissions import find_submissions

    rubric_text = """
title: t
questions:
  - id: p.double
    kind: function
    points: 1
    args:
      x: {shape: [n], domain: [1, 2]}
    dims: {n: [2, 3]}
    answer: "2 x"
"""
    for show in (False, True):
        folder = tmp_path / f"class{show}"
        folder.mkdir()
        (folder / "s.py").write_text("def double(x):\n    return 3 * x\n")
        path = tmp_path / f"r{show}.yaml"
        path.write_text(rubric_text + ("    show_expected: true\n" if show else ""))
        rubric, prepared = load(path)
        (verdict,) = grade(rubric, find_submissions(folder), prepared)
        call = prepared["p.double"].prepared_calls[0]
        shown = "[" + ", ".join(f"{v:.4g}" for v in call.args[0]) + "]"
        assert verdict.status == "incorrect"
        assert f"x = {shown}" in verdict.feedback
        returned = "[" + ", ".join(f"{v:.4g}" for v in 3 * call.args[0]) + "]"
        assert f"your function returned {returned}" in verdict.feedback
        expected = "[" + ", ".join(f"{v:.4g}" for v in 2 * call.args[0]) + "]"
        assert (f"expected {expected}" in verdict.feedback) == show
