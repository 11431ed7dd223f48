"""Jupyter notebooks as submissions: answers from tagged cells or ``id:`` cells, the code cells as
one module in the sandbox's cell format, never executed while reading; outputs ignored."""

from __future__ import annotations

import base64
import json

import pytest
from lms_folders import notebook, put

from grader.submissions import find_submissions, load_submission, scan_submissions
from grader.submissions.notebook import CELLS_HEADER, read_notebook

IDS = {"q1.sigmoid", "q2.quadratic", "q4.iterates", "p1.sigmoid_grad"}


def test_answers_from_tagged_cells_and_id_lines():
    nb = notebook([
        ("markdown", "# HW1\nAnswer below.", []),
        ("markdown", "### q1.sigmoid (4 points)\n\nGive df/dx.", []),
        ("markdown", "q1.sigmoid:\n$f(1 - f)$\n", ["q1.sigmoid"]),           # the template's cell
        ("raw", "\\left(A + A^\\top\\right) x + z", ["q2.quadratic", "hide-input"]),
        ("markdown", "**q4.iterates:**\n- 50\n- 75\n- 87.5", []),              # an id line, no tag
        ("markdown", "parameters: not an answer", ["parameters"]),             # Jupyter's own tag
        ("code", "x = 1", ["q1.sigmoid"]),                                     # code is not an answer
    ])
    read = read_notebook(nb, "hw1.ipynb", IDS)
    assert read.problem == ""
    assert read.answers == {"q1.sigmoid": "$f(1 - f)$", "q2.quadratic": "\\left(A + A^\\top\\right) x + z",
                            "q4.iterates": ["50", "75", "87.5"]}


def test_code_cells_become_one_module_in_the_cell_format():
    nb = notebook([
        ("code", "%matplotlib inline\nimport numpy as np", []),
        ("markdown", "text", []),
        ("code", "!pip install torch\nif True:\n    !ls\n    y = 2\nnp.sum?", []),
        ("code", "", []),
        ("code", "%%bash\necho hi", []),
        ("code", "%%time\ndef sigmoid_grad(x):\n    return x", ["p1.sigmoid_grad"]),
    ])
    read = read_notebook(nb, "hw1.ipynb", IDS)
    assert read.code.decode() == (
        f"{CELLS_HEADER}\n"
        "# %% cell 1\npass\nimport numpy as np\n"
        "# %% cell 3\npass\nif True:\n    pass\n    y = 2\npass\n"
        "# %% cell 6\n\ndef sigmoid_grad(x):\n    return x\n")
    compile(read.code, "hw1.py", "exec")  # every cell is still valid Python
    assert "hw1.ipynb: 5 IPython line(s) not run: %matplotlib inline, !pip install torch, !ls, … (2 more)" in read.notes
    assert "hw1.ipynb: cell magic cells not run: cell 5 (%%bash)" in read.notes


def test_outputs_and_images_are_not_counted_against_the_size_limits(tmp_path):
    image = base64.b64encode(b"\x89PNG" + b"\x00" * 3_000_000).decode()
    nb = notebook([("markdown", "q1.sigmoid: f(1-f)", []),
                   ("code", "def sigmoid_grad(x):\n    return x", [])],
                  outputs={1: [{"output_type": "display_data", "metadata": {},
                                "data": {"image/png": image, "text/plain": ["<Figure>"]}}]})
    assert len(nb) > 4_000_000
    put(tmp_path / "alice.ipynb", nb)
    (sub,) = find_submissions(tmp_path)
    assert sub.problem == "" and sub.code_problem == ""
    assert sub.answers == {"q1.sigmoid": "f(1-f)"}
    assert sub.code_files == (("alice.py", f"{CELLS_HEADER}\n# %% cell 2\ndef sigmoid_grad(x):\n    return x\n".encode()),)
    assert [p.name for p in sub.code] == ["alice.ipynb"]


def test_extracted_code_over_the_limit_is_refused():
    nb = notebook([("code", "x = 1\n" * 2000, [])])
    read = read_notebook(nb, "big.ipynb", IDS, max_code_bytes=5000)
    assert read.problem.startswith("big.ipynb: the code cells hold ")


@pytest.mark.parametrize(("content", "message"), [
    (b'{"cells": [', "hw1.ipynb: not a Jupyter notebook: not valid JSON (line 1, column 12"),
    (b"print('hello')\n", "hw1.ipynb: not a Jupyter notebook: not valid JSON"),
    (b"[1, 2, 3]", "hw1.ipynb: not a Jupyter notebook (no `cells`"),
    (b'{"cells": []}', "hw1.ipynb: not a Jupyter notebook (no `cells`"),
    (b'{"nbformat": 4, "cells": 7}', "hw1.ipynb: not a Jupyter notebook (no `cells`"),
    (b'{"nbformat": 2, "cells": []}', "hw1.ipynb: notebook format 2 is not supported"),
    (b"\xff\xfe\x00{", "hw1.ipynb: not a Jupyter notebook (not UTF-8 text)"),
    (b"[" * 100_000 + b"]" * 100_000, "hw1.ipynb: not a Jupyter notebook"),
])
def test_what_is_not_a_notebook_is_an_invalid_row(tmp_path, content, message):
    put(tmp_path / "alice" / "hw1.ipynb", content)
    (sub,) = find_submissions(tmp_path)
    assert sub.problem.startswith(message), sub.problem
    assert sub.code_problem == sub.problem, "nothing of it is run either"


def test_a_version_3_notebook_is_converted():
    v3 = {"nbformat": 3, "nbformat_minor": 0, "metadata": {}, "worksheets": [{"cells": [
        {"cell_type": "markdown", "source": "q1.sigmoid: f(1 - f)", "metadata": {}},
        {"cell_type": "code", "input": "def sigmoid_grad(x):\n    return x", "language": "python",
         "outputs": [], "metadata": {}}]}]}
    read = read_notebook(json.dumps(v3).encode(), "old.ipynb", IDS)
    assert read.problem == "" and read.answers == {"q1.sigmoid": "f(1 - f)"}
    assert b"def sigmoid_grad(x):" in read.code


def test_a_notebook_beside_answers_yaml_and_a_py_file(tmp_path):
    put(tmp_path / "ann" / "answers.yaml", "answers:\n  q1.sigmoid: from yaml\n")
    put(tmp_path / "ann" / "hw1.ipynb", notebook([("markdown", "q1.sigmoid: from nb", []),
                                                  ("markdown", "q2.quadratic: nb only", []),
                                                  ("code", "B = 2", [])]))
    put(tmp_path / "ann" / "hw1.py", "A = 1\n")
    intake = scan_submissions(tmp_path, question_ids=IDS)
    (sub,) = intake.submissions
    assert sub.answers == {"q1.sigmoid": "from yaml", "q2.quadratic": "nb only"}
    assert [name for name, _ in sub.code_files] == ["hw1.py", "hw1_ipynb.py"]
    assert "answers read from answers.yaml, hw1.ipynb (where two answer one question, the first in " \
           "that list is graded)" in sub.notes


def test_tags_are_answers_only_when_they_are_question_ids(tmp_path):
    nb = notebook([("markdown", "remember: check signs", []),
                   ("markdown", "f(1-f)", ["q1.sigmoid"]),
                   ("markdown", "x", ["solution"])])
    put(tmp_path / "bob.ipynb", nb)
    assert load_submission(tmp_path / "bob.ipynb", IDS).answers == {"q1.sigmoid": "f(1-f)"}
    # Without the rubric's ids, anything shaped like an id is taken (and reported as unknown later).
    assert load_submission(tmp_path / "bob.ipynb").answers == {"remember": "check signs",
                                                               "q1.sigmoid": "f(1-f)", "solution": "x"}


def test_reading_a_notebook_runs_nothing(tmp_path):
    marker = tmp_path / "ran"
    nb = notebook([("code", f"open({str(marker)!r}, 'w').write('x')", []),
                   ("markdown", f"q1.sigmoid: {{{{ open({str(marker)!r}) }}}}", [])])
    put(tmp_path / "c" / "eve.ipynb", nb)
    find_submissions(tmp_path / "c")
    assert not marker.exists()


@pytest.mark.parametrize("cells", [
    [{"cell_type": "markdown", "source": "f(1-f)", "metadata": {"tags": "q1.sigmoid"}}],   # tags as text
    [{"cell_type": "markdown", "source": ["q1.sigmoid: ", 7], "metadata": None}],
    [{"cell_type": "code", "source": None, "metadata": {}, "outputs": "x"}],
    [{"source": "q1.sigmoid: x"}],
    ["not a cell", 42, None],
    [{"cell_type": "markdown", "source": "q1.sigmoid: x", "metadata": {"tags": [["q1.sigmoid"], 3]}}],
])
def test_odd_cells_cost_at_most_this_notebook(cells):
    data = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}
    read = read_notebook(json.dumps(data).encode(), "odd.ipynb", IDS)
    assert isinstance(read.answers, dict)
    assert read.problem == "" or read.problem.startswith("odd.ipynb: ")
    assert "q1.sigmoid" not in read.answers or isinstance(read.answers["q1.sigmoid"], (str, list, type(None)))
