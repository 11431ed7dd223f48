"""Submission files are data, read safely: symlinks, FIFOs, sockets and devices in a class folder
never lead the grader to read anything but the student's own regular files.

Each test builds the attack the way a student would (the links survive git, tar and unzip) and
checks that the student's submission is refused with a message naming the file, and that nothing
of the target reaches the submission."""

from __future__ import annotations

import os
import socket
import stat
import threading
from pathlib import Path

import pytest

from grader.submissions import (
    MAX_FILE_BYTES,
    Submission,
    find_submissions,
    load_submission,
    read_answers,
)

ALICE_ANSWERS = "answers:\n  q1: alice's secret answer\n"
ALICE_CODE = "def f(x):\n    return 'alice wrote this'\n"


def _class(tmp_path: Path) -> Path:
    """A class folder with an honest student, alice, whose work the attacker wants."""
    folder = tmp_path / "class"
    folder.mkdir()
    (folder / "alice.yaml").write_text(ALICE_ANSWERS)
    (folder / "alice.py").write_text(ALICE_CODE)
    return folder


def _find(folder: Path, timeout: float = 10.0) -> dict[str, Submission]:
    """find_submissions in a thread: a FIFO read the naive way would block forever."""
    box: list = []
    worker = threading.Thread(target=lambda: box.append(find_submissions(folder)), daemon=True)
    worker.start()
    worker.join(timeout)
    assert box, "find_submissions hung (it must never block on a special file)"
    return {s.student: s for s in box[0]}


def _refused(sub: Submission, name: str, what: str) -> None:
    """Everything of the submission is refused and the message names the file."""
    assert what in sub.problem and name in sub.problem, sub.problem
    assert sub.answers == {}
    assert sub.code == () and sub.code_files == ()
    assert sub.code_problem == sub.problem


def _nothing_of_alice(sub: Submission) -> None:
    text = repr(sub) + repr(sub.code_files)
    assert "alice's secret answer" not in text and "alice wrote this" not in text


def test_answers_symlinked_to_a_classmates_file(tmp_path):
    folder = _class(tmp_path)
    (folder / "mallory").mkdir()
    os.symlink("../alice.yaml", folder / "mallory" / "answers.yaml")
    subs = _find(folder)
    _refused(subs["mallory"], "answers.yaml", "answers.yaml is a symbolic link: submit the file itself")
    _nothing_of_alice(subs["mallory"])
    assert subs["alice"].problem == "" and subs["alice"].answers == {"q1": "alice's secret answer"}


def test_code_symlinked_to_a_classmates_file(tmp_path):
    folder = _class(tmp_path)
    (folder / "mallory").mkdir()
    (folder / "mallory" / "answers.yaml").write_text("answers:\n  q1: mine\n")
    (folder / "mallory" / "a.py").write_text("def g():\n    return 1\n")
    os.symlink(str(folder / "alice.py"), folder / "mallory" / "b.py")
    subs = _find(folder)
    _refused(subs["mallory"], "b.py", "b.py is a symbolic link: submit the file itself")
    _nothing_of_alice(subs["mallory"])


@pytest.mark.parametrize("target", ["/proc/self/environ", "/proc/self/cmdline", "/etc/passwd"])
def test_code_symlinked_to_the_graders_environment(tmp_path, target):
    folder = _class(tmp_path)
    (folder / "mallory").mkdir()
    os.symlink(target, folder / "mallory" / "z.py")
    sub = _find(folder)["mallory"]
    _refused(sub, "z.py", "z.py is a symbolic link")
    assert "PATH=" not in repr(sub) and "root:" not in repr(sub)


def test_top_level_symlinks_to_a_file_and_to_a_folder(tmp_path):
    folder = _class(tmp_path)
    (tmp_path / "elsewhere").mkdir()
    (tmp_path / "elsewhere" / "answers.yaml").write_text("answers:\n  q1: from outside the class\n")
    os.symlink("alice.yaml", folder / "mallory.yaml")
    os.symlink(str(tmp_path / "elsewhere"), folder / "trudy")
    subs = _find(folder)
    _refused(subs["mallory"], "mallory.yaml", "mallory.yaml is a symbolic link: submit the file itself")
    _refused(subs["trudy"], "trudy", "trudy is a symbolic link")
    _nothing_of_alice(subs["mallory"])
    assert "from outside the class" not in repr(subs["trudy"]), "a symlinked folder is never entered"


def test_a_dangling_symlink_is_refused_too(tmp_path):
    folder = _class(tmp_path)
    os.symlink("nowhere.yaml", folder / "mallory.yaml")
    _refused(_find(folder)["mallory"], "mallory.yaml", "is a symbolic link")


def test_fifo_does_not_hang_the_grader(tmp_path):
    folder = _class(tmp_path)
    os.mkfifo(folder / "mallory.yaml")
    (folder / "trudy").mkdir()
    os.mkfifo(folder / "trudy" / "answers.yaml")
    subs = _find(folder)
    _refused(subs["mallory"], "mallory.yaml", "mallory.yaml is a named pipe, not a regular file")
    _refused(subs["trudy"], "answers.yaml", "answers.yaml is a named pipe, not a regular file")
    assert subs["alice"].problem == ""


def test_socket_in_a_submission(tmp_path):
    folder = _class(tmp_path)
    (folder / "mallory").mkdir()
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(folder / "mallory" / "grads.py"))
        sub = _find(folder)["mallory"]
    finally:
        server.close()
    _refused(sub, "grads.py", "grads.py is a socket, not a regular file")


def test_device_in_a_submission(tmp_path):
    folder = _class(tmp_path)
    (folder / "mallory").mkdir()
    try:
        os.mknod(folder / "mallory" / "answers.yaml", 0o666 | stat.S_IFCHR, os.makedev(1, 3))  # /dev/null
    except PermissionError:
        pytest.skip("creating a device node needs CAP_MKNOD")
    _refused(_find(folder)["mallory"], "answers.yaml", "answers.yaml is a device, not a regular file")


def test_grader_check_refuses_symlinks_too(tmp_path):
    folder = _class(tmp_path)
    (folder / "mallory").mkdir()
    os.symlink("../alice.py", folder / "mallory" / "b.py")
    _refused(load_submission(folder / "mallory"), "b.py", "b.py is a symbolic link")
    os.symlink("alice.yaml", folder / "trudy.yaml")
    _refused(load_submission(folder / "trudy.yaml"), "trudy.yaml", "is a symbolic link")
    (folder / "eve.yaml").write_text("answers:\n  q1: mine\n")
    os.symlink("alice.py", folder / "eve.py")  # the .py that comes along with eve.yaml
    _refused(load_submission(folder / "eve.yaml"), "eve.py", "eve.py is a symbolic link")
    answers, problem = read_answers(folder / "trudy.yaml")
    assert answers == {} and problem == "trudy.yaml is a symbolic link: submit the file itself"


def test_code_is_read_once_through_the_descriptor(tmp_path):
    folder = _class(tmp_path)
    (folder / "bob").mkdir()
    (folder / "bob" / "b.py").write_text("B = 2\n")
    (folder / "bob" / "a.py").write_text("A = 1\n")
    subs = _find(folder)
    assert subs["bob"].code_files == (("a.py", b"A = 1\n"), ("b.py", b"B = 2\n"))
    assert [p.name for p in subs["bob"].code] == ["a.py", "b.py"]
    assert subs["bob"].code_problem == ""
    assert subs["alice"].code_files == (("alice.py", ALICE_CODE.encode()),)


def test_too_large_code_is_refused_without_reading_it_all(tmp_path):
    from grader.submissions import MAX_CODE_BYTES

    folder = _class(tmp_path)
    with open(folder / "big.py", "wb") as big:
        big.truncate(MAX_CODE_BYTES + 1)  # sparse: costs no disk
    sub = _find(folder)["big"]
    assert sub.code_files == ()
    assert sub.code_problem == f"big.py is larger than {MAX_CODE_BYTES >> 20} MiB"


def test_too_large_yaml_is_refused(tmp_path):
    folder = _class(tmp_path)
    with open(folder / "big.yaml", "wb") as big:
        big.truncate(50 * MAX_FILE_BYTES)
    sub = _find(folder)["big"]
    assert sub.answers == {}
    assert sub.problem == f"big.yaml: file too large ({50 * MAX_FILE_BYTES:,} bytes; at most {MAX_FILE_BYTES:,})"


def _snapshot(root: Path) -> dict[str, tuple]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in dirnames + filenames:
            p = os.path.join(dirpath, name)
            st = os.lstat(p)
            out[os.path.relpath(p, root)] = (st.st_mode, st.st_size, st.st_mtime_ns)
    st = os.lstat(root)
    out["."] = (st.st_mode, st.st_mtime_ns)
    return out


def test_reading_never_writes_into_the_submissions_folder(tmp_path, submissions_dir):
    import shutil

    folder = tmp_path / "class"
    shutil.copytree(submissions_dir, folder)
    os.symlink("alice.yaml", folder / "mallory.yaml")
    os.mkfifo(folder / "trudy.yaml")
    before = _snapshot(folder)
    _find(folder)
    load_submission(folder / "alice.yaml")
    load_submission(folder / "heidi")
    assert _snapshot(folder) == before


def test_grading_a_class_with_symlinks_gives_the_attacker_nothing(tmp_path, hw1_path, submissions_dir):
    """`grader grade` end to end: mallory's links to alice's files earn nothing, every row of
    mallory's says why, and alice is graded as usual."""
    import csv

    from click.testing import CliRunner

    from grader.cli import main

    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("alice.yaml", "alice.py"):
        (folder / name).write_bytes((submissions_dir / name).read_bytes())
    (folder / "mallory").mkdir()
    os.symlink("../alice.yaml", folder / "mallory" / "answers.yaml")
    os.symlink("../alice.py", folder / "mallory" / "grads.py")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["grade", str(hw1_path), str(folder), "-o", str(out), "--jobs", "1"],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    with open(out / "details.csv", newline="", encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle)]
    mallory = [r for r in rows if r["student"] == "mallory"]
    alice = [r for r in rows if r["student"] == "alice"]
    assert mallory and len(mallory) == len(alice)
    assert all(float(r["score"]) == 0 for r in mallory)
    written = [r for r in mallory if not r["question"].startswith("p")]
    assert {r["status"] for r in written} == {"invalid"}
    assert all("answers.yaml is a symbolic link: submit the file itself" in r["feedback"] for r in written)
    assert all(r["status"] != "correct" for r in mallory)
    assert sum(float(r["score"]) for r in alice) == 96
