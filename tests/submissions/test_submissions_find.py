"""Finding and reading submissions: every file or folder becomes a student, whatever is wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.submissions import (
    Submission,
    find_submissions,
    load_submission,
)

EXAMPLE_STUDENTS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan"]


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def by_student(directory: Path) -> dict[str, Submission]:
    return {s.student: s for s in find_submissions(directory)}


# -- the example folder ------------------------------------------------------------------------------
def test_example_folder(submissions_dir):
    found = find_submissions(submissions_dir)
    names = [s.student for s in found]
    assert names == sorted(names)
    assert len(names) == len(set(names)), "a .yaml and a .py of one student are one submission"
    assert set(EXAMPLE_STUDENTS) <= set(names)
    subs = {s.student: s for s in found}
    assert subs["alice"].problem == ""
    assert subs["alice"].answers["q4.boundary_a2"] == " Oscillates "
    assert subs["heidi"].answers["q1.softmax_diag"] == "f_i (1 - f_i)", "folder submissions"
    assert subs["heidi"].answers["q1.softmax_offdiag"] == ["-f_i", "f_j"]
    assert subs["heidi"].answers["q2.l2_single"] is None, "an empty string is a blank answer"
    assert "q1.sigmod" in subs["heidi"].answers, "unknown ids are kept, for the did-you-mean"
    assert "empty" in subs["erin"].problem
    assert subs["frank"].problem.startswith("frank.yaml: not valid YAML (line ")
    assert "found a list" in subs["ivan"].problem
    # grace's hostile YAML tag is quoted: it stays text, never an object
    assert subs["grace"].answers["q4.boundary_a2"] == "!!python/object/apply:os.system ['ls']"


# -- where answers live -----------------------------------------------------------------------------
def test_file_and_folder_layouts(tmp_path):
    write(tmp_path / "ann.yaml", "answers:\n  q1: x\n")
    write(tmp_path / "ben.yml", "answers:\n  q1: y\n")
    write(tmp_path / "cat" / "answers.yaml", "answers:\n  q1: z\n")
    write(tmp_path / "cat" / "notes.yaml", "answers:\n  q1: not this one\n")
    write(tmp_path / "dan" / "homework.yaml", "answers:\n  q1: w\n")
    write(tmp_path / "eve" / "grads.py", "def f(x):\n    return x\n")
    write(tmp_path / "fay.yaml", "answers:\n  q1: v\n")
    write(tmp_path / "fay.py", "def f(x):\n    return x\n")
    write(tmp_path / ".hidden.yaml", "answers:\n  q1: secret\n")
    (tmp_path / "__pycache__").mkdir()
    subs = by_student(tmp_path)
    assert list(subs) == ["ann", "ben", "cat", "dan", "eve", "fay"]
    assert subs["ann"].answers == {"q1": "x"}
    assert subs["ben"].answers == {"q1": "y"}
    assert subs["cat"].answers == {"q1": "z"}, "answers.yaml is preferred in a folder"
    assert subs["dan"].answers == {"q1": "w"}, "otherwise the folder's YAML file"
    assert subs["eve"].answers == {} and subs["eve"].problem == ""
    assert [p.name for p in subs["eve"].code] == ["grads.py"]
    assert subs["fay"].answers == {"q1": "v"} and [p.name for p in subs["fay"].code] == ["fay.py"]
    assert all(s.problem == "" for s in subs.values())


def test_unusable_files_and_folders_still_become_students(tmp_path):
    write(tmp_path / "notes.txt", "answers:\n  q1: x\n")
    write(tmp_path / "scan.pdf", b"%PDF-1.4\x00\x01")
    write(tmp_path / "odd_folder" / "readme.md", "hello")
    write(tmp_path / "Makefile", "all:\n")
    subs = by_student(tmp_path)
    assert list(subs) == ["Makefile", "notes", "odd_folder", "scan"]
    assert subs["notes"].problem.startswith("notes.txt: not an answers file: write each answer "
                                            "under a heading that is its question id")
    assert subs["scan"].problem == "scan.pdf: not a submission file (expected .yaml, .md, .txt, .tex, .ipynb or .py)"
    assert subs["Makefile"].problem == "Makefile: not a submission file (expected .yaml, .md, .txt, .tex, .ipynb or .py)"
    assert subs["odd_folder"].problem == "odd_folder/ has no answers file, notebook or .py file"
    assert all(s.answers == {} for s in subs.values())


def test_missing_folder(tmp_path):
    with pytest.raises(FileNotFoundError):
        find_submissions(tmp_path / "nope")


def test_load_submission(tmp_path):
    write(tmp_path / "ann.yaml", "answers:\n  q1: x\n")
    write(tmp_path / "ann.py", "x = 1\n")
    write(tmp_path / "cat" / "answers.yaml", "answers:\n  q1: z\n")
    ann = load_submission(tmp_path / "ann.yaml")
    assert ann.student == "ann" and ann.answers == {"q1": "x"}
    assert [p.name for p in ann.code] == ["ann.py"], "the .py with the same stem comes along"
    assert load_submission(str(tmp_path / "ann.py")).answers == {"q1": "x"}
    cat = load_submission(tmp_path / "cat")
    assert cat.student == "cat" and cat.answers == {"q1": "z"}
    with pytest.raises(FileNotFoundError):
        load_submission(tmp_path / "nobody.yaml")


def test_several_yaml_files_problem_is_joined(tmp_path):
    write(tmp_path / "ann" / "answers.yaml", "- a\n")
    write(tmp_path / "ann.txt", "hello")
    (sub,) = find_submissions(tmp_path)
    assert sub.student == "ann"
    assert "answers.yaml: expected `answers:`" in sub.problem
    assert "ann.txt: not an answers file" in sub.problem
    assert "; " in sub.problem


@pytest.mark.parametrize("readers", [1, 2, 3])
def test_reading_in_several_processes_gives_the_same_intake(tmp_path, readers):
    from grader.submissions import scan_submissions, scan_submissions_in_background

    for index in range(11):
        write(tmp_path / f"s{index:02d}.yaml", f"answers:\n  q1: x{index}\n")
    write(tmp_path / "=bad.yaml", "answers:\n  q1: y\n")
    write(tmp_path / "folder" / "answers.yaml", "answers:\n  q1: z\n")
    write(tmp_path / "README.md", "hello")
    alone = scan_submissions(tmp_path)
    shared = scan_submissions_in_background(tmp_path, readers=readers)()
    assert shared == alone
