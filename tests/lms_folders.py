"""Class folders built the way each LMS builds its download, from their documented naming:

- Canvas ("Download Submissions", lib/content_zipper.rb): ``{sortable name lower-cased, non-word
  characters removed}[_LATE]_{user id}_{attachment id}_{file name}``; a text entry is
  ``{name}[_LATE]_{user id}_text.html``; with anonymous grading the name and user id become
  ``anon_{anonymous id}`` (``LATE_anon_…`` when late); a resubmitted file's name gets ``-1``,
  ``-2`` before its extension.
- Moodle ("Download all submissions", mod/assign): ``{full name}_{participant id}_assignsubmission_
  {plugin}_`` as a folder holding the files (``file``) or ``onlinetext.html`` (``onlinetext``),
  or the same prefix on flat file names when "download submissions in folders" is off.
- Gradescope ("Export Submissions"): ``submission_{id}/`` folders with the files as uploaded and a
  top-level ``submission_metadata.yml`` keyed by folder: ``:submitters:`` (``:name:``, ``:sid:``,
  ``:email:``, several for a group) and ``:created_at:`` in Ruby's time format.
"""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "submissions" / "hw1"


def example(name: str) -> bytes:
    return (EXAMPLES / name).read_bytes()


def put(path: Path, content: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
    return path


def canvas_download(root: Path) -> Path:
    """Four Canvas students: smithjohn (12345) whose answers came on time and code late, doejane
    (23456) who resubmitted both files, leebruce (34567) who typed answers into the text entry
    box, and an anonymised late student; plus Canvas-named files the grader does not read."""
    put(root / "smithjohn_12345_67890_hw1.yaml", example("alice.yaml"))
    put(root / "smithjohn_LATE_12345_67891_hw1_code.py", example("alice.py"))
    put(root / "smithjohn_12345_67892_scratch-work.pdf", b"%PDF-1.4\n")
    put(root / "doejane_23456_70001_answers-1.yaml", example("carol.yaml"))
    put(root / "doejane_23456_70002_grads-2.py", example("carol.py"))
    put(root / "leebruce_34567_text.html",
        "<html><body><p>q1.sigmoid: f(1 - f)</p><p>q2.quadratic_shape: n x 1</p>"
        "<p>q4.boundary_a2: oscillates</p></body></html>")
    put(root / "LATE_anon_Qx9Zp_80002_answers.yaml", "answers:\n  q1.sigmoid: f (1 - f)\n")
    return root


def moodle_download(root: Path, folders: bool = True) -> Path:
    """Three Moodle participants: files in folders (or flat), online text, and a plain
    answers file."""
    if folders:
        put(root / "John Smith_12345_assignsubmission_file_" / "answers.yaml", example("alice.yaml"))
        put(root / "John Smith_12345_assignsubmission_file_" / "grads.py", example("alice.py"))
        put(root / "Jane Doe_23456_assignsubmission_file_" / "answers.md",
            "# HW1 — Jane Doe\n\n## q1.sigmoid\nf(1 - f)\n\n## q2.quadratic\n"
            "\\left(A + A^\\top\\right) x + z\n")
        put(root / "Bruce Lee_34567_assignsubmission_onlinetext_" / "onlinetext.html",
            "<p>q1.sigmoid: f (1 + f)</p>\n<p>q4.boundary_a2: diverges</p>")
    else:
        put(root / "John Smith_12345_assignsubmission_file_answers.yaml", example("alice.yaml"))
        put(root / "John Smith_12345_assignsubmission_file_grads.py", example("alice.py"))
        put(root / "Jane Doe_23456_assignsubmission_file_answers.md",
            "## q1.sigmoid\nf(1 - f)\n")
        put(root / "Bruce Lee_34567_assignsubmission_onlinetext_onlinetext.html",
            "<p>q1.sigmoid: f (1 + f)</p>")
    return root


GRADESCOPE_METADATA = """\
submission_1001:
  :submitters:
  - :name: John Smith
    :sid: '12345'
    :email: jsmith@example.edu
  :created_at: 2024-02-01 23:30:00.000000000 -05:00
  :score: 0.0
submission_1002:
  :submitters:
  - :name: Ann Able
    :sid: a1
    :email: ann@example.edu
  - :name: Ben Baker
    :sid: b2
    :email: ben@example.edu
  :created_at: 2024-02-03 08:00:00.000000000 -05:00
  :score: 0.0
submission_1003:
  :submitters:
  - :name: Cy Late
    :sid: c3
    :email: cy@example.edu
  :created_at: 2024-02-02 00:10:00.000000000 -05:00
"""


def gradescope_export(root: Path, notebook: bytes | None = None) -> Path:
    """Three Gradescope submissions: one student's files, a group of two (a notebook when one
    is given, else YAML), and a student 40 minutes late."""
    put(root / "submission_metadata.yml", GRADESCOPE_METADATA)
    put(root / "submission_1001" / "answers.yaml", example("alice.yaml"))
    put(root / "submission_1001" / "grads.py", example("alice.py"))
    if notebook is not None:
        put(root / "submission_1002" / "hw1.ipynb", notebook)
    else:
        put(root / "submission_1002" / "answers.yaml", example("carol.yaml"))
    put(root / "submission_1003" / "answers.yaml", example("bob.yaml"))
    return root


def notebook(cells: list[tuple[str, str, list[str]]], outputs: dict[int, list] | None = None) -> bytes:
    """A format-4 notebook as Jupyter saves it: (cell type, source, tags) per cell."""
    out = []
    for index, (kind, source, tags) in enumerate(cells):
        cell = {"cell_type": kind, "id": f"c{index}", "metadata": {"tags": tags} if tags else {},
                "source": source.splitlines(keepends=True)}
        if kind == "code":
            cell["execution_count"] = None
            cell["outputs"] = (outputs or {}).get(index, [])
        out.append(cell)
    data = {"cells": out, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                      "language": "python"}},
            "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(data, indent=1).encode("utf-8")
