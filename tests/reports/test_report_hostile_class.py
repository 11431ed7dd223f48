"""End to end: a hostile class graded by `grader grade`, then `grader report` and `grader
export`: no cell of any CSV would run in a spreadsheet, and regeneration stays byte-identical."""

from __future__ import annotations

import csv
import io
import re
import shutil
from pathlib import Path

from click.testing import CliRunner
from report_sample import tree

from grader.cli import main

DANGEROUS_START = tuple("=+-@\t\r\n") + ("\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")

HOSTILE_CODE = '''
Formula = type('=HYPERLINK("http://x","y")', (Exception,), {})

def sigmoid_grad(x):
    raise Formula('@SUM(1)')

def softplus_grad(x, beta):
    raise ValueError('=HYPERLINK("http://x","y")\\x00')
'''


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def cells(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


def test_a_hostile_class_cannot_inject_formulas(tmp_path, hw1_path, submissions_dir):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(submissions_dir / "alice.yaml", folder / "alice.yaml")
    (folder / "=1+2.yaml").write_text(
        'answers:\n  q1.sigmoid: "@SUM(1)"\n  q1.softmax_offdiag: "-f_i f_j"\n  q1.softplus: "x\\0y"\n'
        '  q2.quadratic_shape: "=HYPERLINK(\\"http://x\\",\\"y\\")"\n')
    (folder / "=1+2.py").write_text(HOSTILE_CODE)
    out = tmp_path / "out"
    result = run("grade", hw1_path, folder, "-o", out, "--jobs", "1")
    assert result.exit_code == 0, result.output
    for name in ("details.csv", "answers.csv", "grades.csv", "summary.csv", "wrong_answers.csv"):
        for row in cells(out / name):
            for cell in row:
                assert not (cell.startswith(DANGEROUS_START) and not NUMBER.fullmatch(cell)), (name, cell)
                assert not CONTROL.search(cell), (name, cell)
    details = {(r[0], r[1]): r for r in cells(out / "details.csv")}
    assert ("_=1+2", "q1.sigmoid") in details, "the id from the file name was renamed when read"
    assert details[("_=1+2", "p1.sigmoid_grad")][4] == "error"
    answers = {(r[0], r[1]): r[2] for r in cells(out / "answers.csv")}
    assert answers[("_=1+2", "q1.sigmoid")] == "'@SUM(1)"
    assert answers[("_=1+2", "q1.softmax_offdiag")] == "'-f_i f_j"
    assert answers[("_=1+2", "q1.softplus")] == "x\\u0000y"
    assert details[("_=1+2", "q1.softmax_offdiag")][4] == "correct", "-f_i f_j kept its meaning"

    before = tree(out)
    assert run("report", out).exit_code == 0
    assert tree(out) == before
    assert run("export", out, "--format", "canvas", "--assignment", "=HW1").exit_code == 0
    canvas = cells(out / "exports" / "canvas.csv")
    assert canvas[0][5] == "'=HW1"
    assert [row[0] for row in canvas[2:]] == ["_=1+2", "alice"]
