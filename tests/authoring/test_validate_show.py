"""``grader validate --show`` prints verified closed forms; grading never imports sympy."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from grader.authoring.derive import Derivation
from grader.authoring.writing import Form
from grader.cli import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def question_blocks(output: str) -> dict[str, list[str]]:
    """validate's output: each question's line and the indented lines under it."""
    blocks: dict[str, list[str]] = {}
    current = None
    for line in output.splitlines()[1:]:
        if line.startswith("  ") and not line.startswith("    "):
            current = line.split()[0]
            blocks[current] = []
        elif current:
            blocks[current].append(line.strip())
    return blocks


def test_validate_show_prints_a_closed_form_under_each_gradient_question(hw1_path, hw1):
    result = run("validate", hw1_path, "--show")
    assert result.exit_code == 0, result.output
    blocks = question_blocks(result.output)
    assert list(blocks) == [q.id for q in hw1.questions]
    assert blocks["q2.quadratic"] == [
        "closed form (sympy, agrees at 72 points at 3 sizes): (A + A^T) x + z"]
    assert blocks["q3.linear"] == [
        "closed form (sympy, agrees at 72 points at 3 sizes): 2 (W x + b - y) x^T"]
    assert blocks["p3.linear_grad_W"] == [
        "closed form (sympy, agrees at 12 calls): 2 (W x + b - y) x^T"]
    sigmoid = blocks["q1.sigmoid"]
    assert sigmoid[0].startswith("closed form (sympy, agrees at 24 points): ")
    assert sigmoid[1].startswith("with the givens: ")
    assert blocks["p1.sigmoid_grad"][0].startswith("closed form: none found: ")
    for question in hw1.questions:
        if getattr(question, "gradient_of", None) is None:
            assert blocks[question.id] == [], question.id


def test_validate_without_show_prints_no_closed_forms(hw1_path):
    result = run("validate", hw1_path)
    assert result.exit_code == 0 and "closed form" not in result.output


def test_a_closed_form_that_disagrees_is_not_printed(hw1_path, monkeypatch):
    from grader.authoring import derive

    def wrong(*_args, **_kwargs):
        return Derivation((Form("2 A x + z", "2 A x + z"),))

    monkeypatch.setattr(derive, "derive", wrong)
    result = run("validate", hw1_path, "--show")
    assert result.exit_code == 0
    blocks = question_blocks(result.output)
    assert blocks["q2.quadratic"] == [
        "closed form: sympy's form did not agree numerically; none shown"]
    assert "2 A x + z" not in result.output.split("q2.quadratic (", 1)[1]


def test_validate_show_of_a_broken_rubric_exits_1(tmp_path, write_rubric):
    rubric = write_rubric(tmp_path, """
        title: broken
        questions:
          - id: q
            kind: expression
            points: 1
            symbols: {x: {}}
            gradient_of: "x^"
            wrt: x
    """)
    result = run("validate", rubric, "--show")
    assert result.exit_code == 1 and "gradient_of" in result.output
    assert "closed form" not in result.output


GRADE_WITHOUT_SYMPY = """
import json, sys
from grader.cli import main
for args in ({grade!r}, {check!r}):
    try:
        main(args, standalone_mode=False)
    except SystemExit:
        pass
loaded = sorted(m for m in sys.modules if m.split(".")[0] in ("sympy", "mpmath")
                or m.startswith("grader.authoring"))
print(json.dumps(loaded))
"""


def test_grading_and_checking_never_import_sympy(tmp_path, hw1_path, submissions_dir):
    grade = ["grade", str(hw1_path), str(submissions_dir), "-o", str(tmp_path / "out"), "-j", "2"]
    check = ["check", str(hw1_path), str(submissions_dir / "carol.yaml")]
    script = GRADE_WITHOUT_SYMPY.format(grade=grade, check=check)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "out" / "details.csv").is_file()
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_same_probe_sees_sympy_when_it_is_imported(tmp_path, hw1_path):
    # The probe above can fail: validate --show imports sympy and the authoring package.
    script = GRADE_WITHOUT_SYMPY.format(grade=["validate", str(hw1_path), "--show"],
                                        check=["validate", str(hw1_path)])
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path)
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert "sympy" in loaded and "grader.authoring.closed_form" in loaded
