"""`from grader import SelfCheck`: one answer, a function object, a file, several answers; text
and HTML rendering; importing it stays light (no pandas; `import grader` imports nothing)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader import SelfCheck
from grader.selfcheck.build import build, write

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def hw(tmp_path_factory):
    path = tmp_path_factory.mktemp("nb") / "hw1.check"
    write(build(ROOT / "rubrics" / "hw1.yaml"), path)
    return SelfCheck(path)


def test_importing_the_api_does_not_import_pandas():
    code = ("import sys\nimport grader\nassert 'numpy' not in sys.modules, 'import grader is light'\n"
            "from grader import SelfCheck\nassert 'pandas' not in sys.modules\n"
            "assert 'matplotlib' not in sys.modules and 'sympy' not in sys.modules\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, timeout=60)
    assert done.stdout.strip() == "ok", done.stderr


def test_one_written_answer(hw):
    assert hw.check("q1.sigmoid", r"f(1-f)").all_correct
    assert hw.check("q1.sigmoid", r"\frac{e^{-x}}{(1+e^{-x})^2}").all_correct
    wrong = hw.check("q1.sigmoid", "f(1+f)")
    (row,) = wrong.rows
    assert row.status == "incorrect" and "inner derivative" in row.feedback
    assert hw.check("q4.iterates_a05", [50, 75, 87.5, 93.75]).score == 3
    assert hw.check("q4.converge_range", "(0, 2]")["q4.converge_range"].status == "partial"
    assert hw.check("q2.quadratic_shape", "n x 1").all_correct


def test_a_function_object(hw):
    def sigmoid_grad(x):
        s = 1 / (1 + np.exp(-x))
        return s * (1 - s)

    assert hw.check("p1.sigmoid_grad", sigmoid_grad).all_correct
    row = hw.check("p1.sigmoid_grad", lambda x: x).rows[0]
    assert row.status == "incorrect" and "wrong value" in row.feedback
    row = hw.check("p1.sigmoid_grad", lambda x: x.reshape(-1, 1)).rows[0]
    assert "returned shape" in row.feedback
    row = hw.check("p1.sigmoid_grad", lambda x: 1 / 0).rows[0]
    assert row.status == "error" and "ZeroDivisionError" in row.feedback


def test_wrong_uses_say_what_to_do(hw):
    with pytest.raises(TypeError, match="answered with a Python function"):
        hw.check("p1.sigmoid_grad", "sigmoid(x)")
    with pytest.raises(TypeError, match="answered in writing"):
        hw.check("q1.sigmoid", lambda x: x)
    with pytest.raises(KeyError, match="did you mean 'q1.sigmoid'"):
        hw.check("q1.sigmod", "f")


def test_a_file_and_several_answers(hw):
    result = hw.check_file(ROOT / "submissions" / "hw1" / "alice.yaml")
    assert result.all_correct and result.score == 96
    mixed = hw.check_answers({"q1.sigmoid": "f - f^2", "q1.softplus": "beta", "p4.gd": lambda *a: 0.0})
    assert mixed["q1.sigmoid"].status == "correct"
    assert mixed["q1.softplus"].status in ("incorrect", "invalid")
    assert mixed["p4.gd"].status == "incorrect"
    assert mixed["q2.quadratic"].status == "missing"


def test_text_and_html(hw):
    result = hw.check("q1.sigmoid", "f(1-f")
    text = str(result)
    assert "✗ q1.sigmoid  0/4  invalid" in text and "f(1-f\n         ^" in text
    assert "final grade" in text
    page = result._repr_html_()
    assert page.startswith("<table") and "<pre" in page
    assert "f(1-f\n     ^" in page  # the caret stays under the character it points at
    latex = hw.check("q1.sigmoid", r"$\frac{1}{2} < x$")._repr_html_()
    assert "$" not in latex and "&lt;" in latex and "<x" not in latex
    assert "SelfCheck(" in repr(hw) and "24 questions" in repr(hw)
