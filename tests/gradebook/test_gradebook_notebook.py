"""The student notebook: written by ``grader notebook``, filled in as a student would, graded
(code cells run in the sandbox, never in the grader)."""

from __future__ import annotations

import json

import nbformat
import pytest
import yaml
from gradebook_course import HW1, ROOT, rows, run

ALICE = yaml.safe_load((ROOT / "submissions" / "hw1" / "alice.yaml").read_text(encoding="utf-8"))["answers"]
ALICE_CODE = (ROOT / "submissions" / "hw1" / "alice.py").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    path = tmp_path_factory.mktemp("nb") / "hw1.ipynb"
    result = run("notebook", HW1, "-o", path)
    assert result.exit_code == 0, result.output
    assert "24 questions (7 programming)" in result.stdout
    return path


def test_the_template(template):
    nb = nbformat.read(template, as_version=4)
    nbformat.validate(nb)
    rubric = yaml.safe_load(HW1.read_text(encoding="utf-8"))
    tagged = {c.metadata["tags"][0]: c for c in nb.cells if c.metadata.get("tags")}
    assert list(tagged) == [q["id"] for q in rubric["questions"]]
    text = template.read_text(encoding="utf-8")
    for q in rubric["questions"]:
        cell = tagged[q["id"]]
        if q["kind"] == "function":
            assert cell.cell_type == "code" and cell.source.startswith(f"def {q.get('function') or q['id'].split('.')[-1]}(")
            assert f"def {q['id'].split('.')[-1]}({', '.join(q['args'])}):" in cell.source
        else:
            assert cell.cell_type == "markdown" and cell.source == f"{q['id']}:\n"
        # the prompt sits in the cell above; the key is nowhere
        assert json.dumps(q["prompt"], ensure_ascii=False)[1:-1] in text
        # (`gradient_of` is the function to differentiate: prompts may state it)
        for field in ("answer", "reference"):  # (a choice's options are in its prompt)
            if isinstance(q.get(field), str) and len(q[field]) > 4 and q["kind"] != "choice":
                assert q[field] not in text, (q["id"], field)
    assert "hw1_reference" not in text
    assert run("notebook", HW1, "-o", template.with_name("again.ipynb")).exit_code == 0
    assert template.with_name("again.ipynb").read_bytes() == template.read_bytes(), "reproducible"


def _filled(template, extra: list | None = None) -> str:
    extra = extra or []
    nb = nbformat.read(template, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags") or []
        if not tags:
            continue
        qid = tags[0]
        if cell.cell_type == "markdown":
            answer = ALICE[qid]
            body = "\n".join(f"- {v}" for v in answer) if isinstance(answer, list) else answer
            cell.source = f"{qid}:\n{body}\n"
        else:
            cell.source = "# see the cell above"
    # the student's code in one cell, and the prints and experiments notebooks are full of
    code = [nbformat.v4.new_code_cell("%matplotlib inline\n" + ALICE_CODE),
            nbformat.v4.new_code_cell("print(sigmoid_grad(np.zeros(3)))\nsigmoid_grad?")] + extra
    nb.cells[2:2] = code
    return nbformat.writes(nb)


def test_a_filled_notebook_earns_what_the_same_answers_earn(template, tmp_path):
    classdir = tmp_path / "class"
    classdir.mkdir()
    (classdir / "alice.ipynb").write_text(_filled(template), encoding="utf-8")
    (classdir / "untouched.ipynb").write_bytes(template.read_bytes())
    out = tmp_path / "out"
    result = run("grade", HW1, classdir, "-o", out)
    assert result.exit_code == 0, result.output
    assert "alice.ipynb: 2 IPython line(s) not run: %matplotlib inline, sigmoid_grad?" in result.stderr
    grades = {r["student"]: r for r in rows(out / "grades.csv")}
    assert grades["alice"]["total"] == "96"
    details = {(r["student"], r["question"]): r for r in rows(out / "details.csv")}
    untouched = [r for (s, _), r in details.items() if s == "untouched"]
    assert {r["status"] for r in untouched if r["question"].startswith("q")} == {"missing"}
    code_rows = [r for r in untouched if r["question"].startswith("p")]
    assert code_rows and all(r["status"] == "error" and "NotImplementedError" in r["feedback"] for r in code_rows)


def test_check_reads_a_notebook(template, tmp_path):
    path = tmp_path / "alice.ipynb"
    path.write_text(_filled(template), encoding="utf-8")
    result = run("check", HW1, path)
    assert result.exit_code == 0, result.output
    assert "total: 96/96" in result.stdout


def test_a_failing_top_level_cell_keeps_the_functions_defined_before_it(template, tmp_path):
    cells = [nbformat.v4.new_code_cell("import matplotlib.pyplot as plt\nplt.plot([1, 2, 3])\nplt.show()"),
             nbformat.v4.new_code_cell("data = open('train.csv').read()  # not in the sandbox")]
    path = tmp_path / "alice.ipynb"
    path.write_text(_filled(template, cells), encoding="utf-8")
    result = run("check", HW1, path)
    assert "total: 96/96" in result.stdout, result.output
    assert "FileNotFoundError" in result.stdout and "other cells were still run" in result.stdout, \
        "the failing cell is reported to the student"
