"""A determined student's attacks on the batch (issue 11, items 1-4), one test per attack class.

Each test runs an exploit of our own (tests/sandbox/hostile/) that worked against the sandbox
before it had namespaces and cgroups; each asserts that it no longer does. They use only the
sandbox's long-standing API (Call, Limits, SandboxPool), so they run against older versions too.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import socket
import stat
import tempfile
import time
from pathlib import Path

import pytest
from sandbox_cases import HOSTILE, LIMITS, ROOT, X, assert_good, between_good, good

from grader.sandbox import Call, Limits, SandboxPool

needs_root = pytest.mark.skipif(not ROOT, reason="cgroups and the uid drop need root")


# --- 1. one submission cannot abort the batch ---------------------------------------------------


def test_a_forged_result_record_is_that_submissions_error_not_the_batchs(pool):
    # A record with zero values and a dimension of 2**64 - 1: it passes a size check made on
    # the product alone, and reshaping it raises in the grader.
    run = between_good(pool, [HOSTILE / "forged_record.py"], [Call("forge", (1.0,)), Call("fine", (1.0,))])
    assert run.results[0].status == "invalid"
    assert "malformed data" in run.results[0].message


def test_a_folder_thousands_of_levels_deep_is_cleaned_up(pool):
    # A recursive clean-up raised RecursionError, killing the worker and its replacements.
    run = between_good(pool, [HOSTILE / "deep_folder.py"], [Call("dig", (1.0,))])
    assert run.results[0].status == "ok"
    again = pool.map([good()] * 4)  # both workers go on
    for each in again:
        assert_good(each)


# --- 2. no other student's data in memory a child can see --------------------------------------


def test_a_child_finds_no_earlier_students_files_in_its_memory(tmp_path):
    # One worker runs alice, then bob; bob scans every writable page it has for alice's marker.
    # His own marker must be found (the scan works), alice's must not.
    with SandboxPool(jobs=1, limits=LIMITS) as one:
        alice = one.run([HOSTILE / "alice.py"], [Call("double", (X,))])
        bob = one.run([HOSTILE / "heap_scan.py"], [Call("scan", (1.0,))])
    assert alice.results[0].status == "ok"
    assert bob.results[0].status == "ok", bob.results[0].message
    others, own = bob.results[0].value
    assert own >= 1, "the scan did not even find the student's own marker"
    assert others == 0, "a child found an earlier student's file in its memory"


# --- 3. nothing to read but its own files --------------------------------------------------------


@pytest.fixture
def secrets_on_the_machine(tmp_path):
    """A class folder at mode 700 with a rubric in it, and a listening TCP port on 127.0.0.1."""
    folder = tmp_path / "class"
    folder.mkdir()
    rubric = folder / "rubric.yaml"
    rubric.write_text("answer: RUBRIC-KEY-7731\n")
    (folder / "classmate.py").write_text("def double(x):\n    return 2 * x\n")
    folder.chmod(0o700)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    listener.settimeout(0.2)
    yield folder, rubric, listener
    listener.close()


def test_student_code_sees_no_rubric_class_folder_grader_or_network(pool, tmp_path, secrets_on_the_machine):
    folder, rubric, listener = secrets_on_the_machine
    source = (HOSTILE / "spy.py").read_text().format(
        rubric=rubric, class_folder=folder, grader_pid=os.getpid(), port=listener.getsockname()[1])
    spy = tmp_path / "spy.py"
    spy.write_text(source)
    names = ["read_rubric", "list_class", "grader_cmdline", "processes", "phone_home"]
    run = between_good(pool, [spy], [Call(name, (1.0,)) for name in names])
    results = dict(zip(names, run.results))
    everything = " ".join([run.load_message, run.output] + [r.message for r in run.results])
    assert "RUBRIC-KEY-7731" not in everything
    assert results["read_rubric"].status == "error"
    assert results["list_class"].status == "error"
    assert results["grader_cmdline"].status == "error"
    assert "grade" not in results["grader_cmdline"].message and "pytest" not in results["grader_cmdline"].message
    # Its /proc shows its own processes: the init (1) and itself, nothing of the machine's.
    assert results["processes"].status == "ok" and max(results["processes"].value) < 10
    assert results["phone_home"].status == "error"
    with pytest.raises(OSError):
        listener.accept()


def test_symbolic_links_in_a_submission_are_not_followed(pool, tmp_path, secrets_on_the_machine):
    folder, rubric, _ = secrets_on_the_machine
    submission = tmp_path / "mallory"
    submission.mkdir()
    (submission / "main.py").write_text("def double(x):\n    return 2 * x\n")
    for name, target in (("b.py", folder / "classmate.py"), ("y.py", rubric), ("z.py", "/proc/self/environ")):
        (submission / name).symlink_to(target)
        run = pool.run([submission / "main.py", submission / name], [Call("double", (X,))])
        assert run.load_status == "error", name
        assert name in run.load_message and "link" in run.load_message
        assert "RUBRIC-KEY" not in run.load_message
        (submission / name).unlink()
    fifo = submission / "f.py"
    os.mkfifo(fifo)
    run = pool.run([submission / "main.py", fifo], [Call("double", (X,))])  # must not block either
    assert run.load_status == "error" and "f.py" in run.load_message


# --- 4. nothing a submission does reaches the students after it ----------------------------------


def chain_processes() -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        try:
            if entry.isdigit() and Path(f"/proc/{entry}/comm").read_text().strip() == "chainmarker":
                found.append(int(entry))
        except OSError:
            pass
    return found


def test_processes_that_escape_by_forking_die_with_their_submission():
    # A chain of processes (each replaces itself in a new session, ignoring SIGTERM) outlived
    # the 2 s clean-up and then sent SIGTERM to every process of the sandbox uid.
    limits = Limits(wall_time=8.0, call_time=4.0, cpu_time=8.0)
    with SandboxPool(jobs=1, limits=limits) as one:
        escaper = one.run([HOSTILE / "chain.py"], [Call("start_chain", (1.0,))])
        later = one.run([HOSTILE / "chain.py"], [Call("honest_after_a_while", (1.0,))])
    assert escaper.results[0].status == "ok"
    assert later.results[0].status == "ok", later.results[0].message
    deadline = time.monotonic() + 2
    while chain_processes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert chain_processes() == []


def _segments_with_key(key: int) -> list[int]:
    ids = []
    with open("/proc/sysvipc/shm") as handle:
        next(handle)
        for line in handle:
            fields = line.split()
            if int(fields[0]) == key:
                ids.append(int(fields[1]))
    return ids


def test_sysv_shared_memory_does_not_outlive_its_submission(pool):
    key = 0x67726164
    run = between_good(pool, [HOSTILE / "sysv_shm.py"], [Call("leave_segment", (1.0,))])
    try:
        assert run.results[0].status == "ok" and float(run.results[0].value) >= 0  # it got one
        deadline = time.monotonic() + 2
        while _segments_with_key(key) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _segments_with_key(key) == []
    finally:
        libc = ctypes.CDLL(None)
        for shmid in _segments_with_key(key):
            libc.shmctl(shmid, 0, None)  # IPC_RMID: do not leave it on the machine


def test_filling_dev_shm_and_tmp_stays_inside_the_submission(pool):
    leftovers = [Path("/dev/shm/grader-test-fill"), Path("/tmp/grader-test-fill")]
    try:
        run = between_good(pool, [HOSTILE / "fill_shm.py"], [Call("fill", (1.0,))])
        assert run.results[0].status == "ok"
        assert [path for path in leftovers if path.exists()] == []
        # Each of its folders is a tmpfs of its own, of a bounded size.
        assert float(run.results[0].value) <= 2 * 64 << 20
    finally:
        for path in leftovers:
            if path.exists() and path.stat().st_uid != 0:
                path.unlink()


@needs_root
def test_memory_is_limited_over_all_of_a_submissions_processes():
    # Four processes of 300 MB each under a 512 MB limit (per process, each would fit).
    limits = Limits(wall_time=10.0, call_time=8.0, cpu_time=8.0, memory_bytes=512 << 20)
    with SandboxPool(jobs=1, limits=limits) as one:
        run = one.run([HOSTILE / "fork_memory.py"], [Call("hoard", (1.0,))])
        assert_good(one.run(*good()))
    result = run.results[0]
    assert not (result.status == "ok" and float(result.value) * 300 > 512 + 3 * 64), result


@needs_root
def test_cpu_burners_do_not_make_a_concurrent_honest_submission_time_out():
    limits = Limits(wall_time=8.0, call_time=1.0, cpu_time=8.0)
    with SandboxPool(jobs=2, limits=limits) as two:
        _, honest = two.map([([HOSTILE / "burners.py"], [Call("burn", (1.0,))]),
                                  ([HOSTILE / "burners.py"], [Call("honest", (1.0,))])])
    assert honest.results[0].status == "ok", honest.results[0].message
    assert float(honest.results[0].value) == 1.0


def test_the_working_folder_is_a_private_tmpfs_of_bounded_size(pool, tmp_path):
    source = ("import os\n"
              "def probe(x):\n"
              "    found = []\n"
              "    for folder in ('.', '/tmp', '/dev/shm'):\n"
              "        info = os.statvfs(folder)\n"
              "        found.append(info.f_blocks * info.f_frsize)\n"
              "    return found\n")
    path = tmp_path / "probe.py"
    path.write_text(source)
    run = pool.run([path], [Call("probe", (1.0,))])
    assert run.results[0].status == "ok", run.results[0].message
    assert all(size <= 64 << 20 for size in run.results[0].value)


@pytest.fixture
def shared_folder():
    """A folder anyone may enter, as a class folder on a shared machine may be."""
    folder = Path(tempfile.mkdtemp(prefix="sandbox-test-"))
    folder.chmod(0o755)
    yield folder
    shutil.rmtree(folder)


def test_a_submission_cannot_overwrite_a_later_students_files(tmp_path, shared_folder):
    # Even a file anyone may write, in a folder anyone may write.
    later = shared_folder / "later"
    later.mkdir()
    target = later / "student.py"
    target.write_text("def double(x):\n    return 2 * x\n")
    target.chmod(0o666)
    later.chmod(0o777)
    attacker = tmp_path / "attacker.py"
    attacker.write_text((HOSTILE / "overwrite_later.py").read_text().format(target=target))
    with SandboxPool(jobs=1, limits=LIMITS) as one:
        first = one.run([attacker], [Call("double", (X,))])
        second = one.run([target], [Call("double", (X,))])
    assert first.results[0].status == "error"
    assert_good(second)
    assert "0 * x" not in target.read_text()
    assert stat.S_IMODE(target.stat().st_mode) == 0o666
