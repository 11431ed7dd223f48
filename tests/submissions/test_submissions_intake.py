"""What a class folder holds besides submissions, ids a spreadsheet would misread, and the forked
reader: debris is left out with one line saying so, an empty folder is an error."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from grader.submissions import (
    Intake,
    NoSubmissionsError,
    find_submissions,
    find_submissions_in_background,
    load_submission,
    scan_submissions,
    scan_submissions_in_background,
)


def write(path: Path, content: str | bytes = "answers:\n  q1: x\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    return path


def test_debris_is_ignored_with_one_line(tmp_path):
    write(tmp_path / "alice.yaml")
    write(tmp_path / "README.md", "# HW1 submissions\n")
    write(tmp_path / "readme.txt", "x")
    write(tmp_path / "LICENSE", "MIT")
    write(tmp_path / ".DS_Store", b"\x00\x00\x00\x01Bud1")
    write(tmp_path / "Thumbs.db", b"\xd0\xcf")
    write(tmp_path / "desktop.ini", "[.ShellClassInfo]\n")
    write(tmp_path / "__MACOSX" / "._alice.yaml", b"\x00\x05\x16\x07")
    write(tmp_path / "._alice.yaml", b"\x00\x05\x16\x07")
    (tmp_path / "nobody").mkdir()
    write(tmp_path / "only_debris" / ".DS_Store", b"\x00")
    intake = scan_submissions(tmp_path)
    assert isinstance(intake, Intake)
    assert [s.student for s in intake.submissions] == ["alice"]
    assert intake.notes == (
        "ignored 10 entries that are not submissions: .DS_Store, ._alice.yaml, LICENSE, README.md, "
        "Thumbs.db, __MACOSX/, desktop.ini, nobody/ (empty), only_debris/ (empty), readme.txt",)
    assert [s.student for s in find_submissions(tmp_path)] == ["alice"]
    (tmp_path / "README.md").unlink()
    assert scan_submissions(tmp_path).notes[0].startswith("ignored 9 entries that are not submissions: ")
    for p in tmp_path.iterdir():
        if p.name != "alice.yaml" and p.name != "LICENSE":
            (p.unlink if p.is_file() else __import__("shutil").rmtree)(p)
    assert scan_submissions(tmp_path).notes == ("ignored 1 entry that is not a submission: LICENSE",)


def test_unknown_files_are_still_invalid_rows(tmp_path):
    write(tmp_path / "alice.yaml")
    write(tmp_path / "grades_final.xlsx", b"PK\x03\x04")
    write(tmp_path / "bob" / "README.md", "I could not do it")
    subs = {s.student: s for s in find_submissions(tmp_path)}
    assert subs["grades_final"].problem == ("grades_final.xlsx: not a submission file "
                                            "(expected .yaml, .md, .txt, .tex, .ipynb or .py)")
    assert subs["bob"].problem == "bob/ has no answers file, notebook or .py file", \
        "a folder with files in it is a student's, even when none can be graded"


def test_a_student_folder_keeps_code_named_like_debris(tmp_path):
    write(tmp_path / "carl" / "readme.py", "def f():\n    return 1\n")
    write(tmp_path / "carl" / "license_check.py", "X = 1\n")
    (carl,) = find_submissions(tmp_path)
    assert [p.name for p in carl.code] == ["license_check.py", "readme.py"]


@pytest.mark.parametrize("content", ["nothing", "debris"])
def test_an_empty_class_folder_is_an_error(tmp_path, content):
    if content == "debris":
        write(tmp_path / ".DS_Store", b"\x00")
        write(tmp_path / "README.md", "hi")
    with pytest.raises(NoSubmissionsError) as err:
        scan_submissions(tmp_path)
    assert isinstance(err.value, FileNotFoundError), "the CLI maps FileNotFoundError to exit 2"
    expected = ("it is empty" if content == "nothing"
                else "only .DS_Store, README.md, which are not submissions")
    assert str(err.value) == f"{tmp_path}: no submissions to grade ({expected})"
    with pytest.raises(NoSubmissionsError):
        find_submissions_in_background(tmp_path)()


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such folder"):
        scan_submissions(tmp_path / "nope")
    write(tmp_path / "file.yaml")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        scan_submissions(tmp_path / "file.yaml")
    with pytest.raises(FileNotFoundError, match="no such folder"):
        find_submissions_in_background(tmp_path / "nope")()


def test_suffixes_in_any_case(tmp_path):
    write(tmp_path / "Alice.YAML", "answers:\n  q1: upper\n")
    write(tmp_path / "Alice.PY", "X = 1\n")
    write(tmp_path / "bob.Yml", "answers:\n  q1: mixed\n")
    write(tmp_path / "cat" / "Answers.YAML", "answers:\n  q1: folder\n")
    write(tmp_path / "cat" / "other.yaml", "answers:\n  q1: not this one\n")
    subs = {s.student: s for s in find_submissions(tmp_path)}
    assert list(subs) == ["Alice", "bob", "cat"]
    assert subs["Alice"].answers == {"q1": "upper"} and subs["Alice"].problem == ""
    assert subs["Alice"].code_files == (("Alice.PY", b"X = 1\n"),)
    assert subs["bob"].answers == {"q1": "mixed"}
    assert subs["cat"].answers == {"q1": "folder"}
    assert load_submission(tmp_path / "Alice.YAML").answers == {"q1": "upper"}


def test_ids_a_spreadsheet_would_run_are_renamed_with_a_note(tmp_path):
    write(tmp_path / "=1+2.yaml", "answers:\n  q1: formula\n")
    write(tmp_path / "_=1+2.yaml", "answers:\n  q1: already taken\n")
    write(tmp_path / "@SUM(1).yaml")
    write(tmp_path / "-x" / "answers.yaml")
    write(tmp_path / "+cmd.py", "X = 1\n")
    write(tmp_path / "tab\there.yaml")
    write(tmp_path / "-5.yaml")
    intake = scan_submissions(tmp_path)
    subs = {s.student: s for s in intake.submissions}
    assert sorted(subs) == ["_+cmd", "_-5", "_-x", "_=1+2", "_@SUM(1)", "__=1+2", "tab_here"]
    assert subs["__=1+2"].answers == {"q1": "formula"}, "a renamed id never takes another's"
    assert subs["_=1+2"].answers == {"q1": "already taken"}
    assert subs["__=1+2"].notes == (
        "student id '=1+2' starts with '=', which spreadsheets read as a formula: renamed to '__=1+2'",)
    assert subs["tab_here"].notes == ("student id 'tab\\there' holds control characters: renamed to 'tab_here'",)
    assert subs["_+cmd"].code_files == (("+cmd.py", b"X = 1\n"),)
    assert len(intake.notes) == 6 and all("renamed to" in n for n in intake.notes)
    assert all(not s.student.startswith(("=", "+", "-", "@")) for s in intake.submissions)
    assert load_submission(tmp_path / "=1+2.yaml").student == "_=1+2"


def test_background_scan_gives_the_same_intake(tmp_path, submissions_dir):
    write(tmp_path / "README.md", "x")
    write(tmp_path / "=bad.yaml")
    write(tmp_path / "bob.py", "def f():\n    return 2\n")
    assert scan_submissions_in_background(tmp_path)() == scan_submissions(tmp_path)
    assert find_submissions_in_background(submissions_dir)() == find_submissions(submissions_dir)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="Linux only (parent-death signal)")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_forked_reader_dies_with_the_grader(tmp_path, how):
    """A grader killed while its reader is stuck must not leave the reader behind."""
    import subprocess
    import sys

    os.mkfifo(tmp_path / "gate")
    write(tmp_path / "class" / "alice.yaml")
    # The stand-in grader starts the reader, then the reader blocks (on a FIFO the test controls)
    # as a slow class folder would; the test kills the grader and watches the reader.
    script = f"""
import os, sys, time
import grader.submissions.find as find
real = find.scan_submissions
def slow(*args):
    open({str(tmp_path / 'gate')!r}).read()
    return real(*args)
find.scan_submissions = slow
ready = find.scan_submissions_in_background({str(tmp_path / 'class')!r})
import multiprocessing
print(multiprocessing.active_children()[0].pid, flush=True)
time.sleep(60)
"""
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2])))
    reader = int(grader.stdout.readline())
    try:
        assert _alive(reader)
        grader.send_signal(how)
        grader.wait(10)
        deadline = time.monotonic() + 5
        while _alive(reader) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not _alive(reader), "the reader outlived the grader"
    finally:
        for pid in (reader, grader.pid):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
