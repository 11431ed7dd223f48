"""The ``grader`` command: grade, check and validate, through click's runner and a real process."""

from __future__ import annotations

import csv
import os
import json
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner

from grader.cli import main

DETAILS_COLUMNS = ["student", "question", "score", "max_score", "status", "feedback"]
WRITTEN_STATUSES = {"correct", "partial", "incorrect", "missing", "invalid"}

#: Reference answers (several spellings) of hw1's written questions: no output may show them,
#: unless the student wrote that text themselves.
REFERENCES = {
    "q1.sigmoid": ["f (1 - f)", "f*(1 - f)", "f(1-f)"],
    "q1.softmax_diag": ["f_i (1 - f_i)", "f_i*(1 - f_i)", "f_i - f_i^2"],
    "q1.softmax_offdiag": ["-f_i f_j", "-f_i*f_j"],
    "q1.softmax_jacobian": ["diag(f) - f f^T", "diag(f) - f*f^T"],
    "q1.softplus": ["sigmoid(beta x)", "sigmoid(beta*x)"],
    "q2.quadratic": ["(A + A^T) x + z", "(A + A^T)*x + z", "A x + A^T x + z"],
    "q2.l2_single": ["x (x^T w - y)", "(w^T x - y) x", "x*(x^T*w - y)"],
    "q2.l2_multi": ["X^T (X w - y)", "X^T*(X*w - y)", "X^T X w - X^T y"],
    "q3.linear": ["2 (W x + b - y) x^T", "2*(W*x + b - y)*x^T"],
    "q4.boundary_a2": ["oscillates"],
}


def run(*args: str, **kwargs):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.reader(handle))


def squash(text: str) -> str:
    return "".join(text.split()).casefold()


def assert_no_reference(text: str, own_answers: str, questions=REFERENCES) -> None:
    for qid in questions:
        for reference in REFERENCES[qid]:
            if squash(reference) in squash(own_answers):
                continue  # the student's own text may be quoted back in an error message
            assert squash(reference) not in squash(text), f"output reveals {reference!r} ({qid})"


def text_blocks(output: str) -> dict[str, str]:
    """`grader check`'s text output split per question: its head line and indented lines."""
    blocks: dict[str, str] = {}
    current = None
    for line in output.splitlines():
        if line.startswith("    ") and current:
            blocks[current] += line + "\n"
        elif len(line.split()) > 1 and not line.startswith("total:"):
            current = line.split()[1]
            blocks[current] = line + "\n"
    return blocks


@pytest.fixture(scope="module")
def graded(written_hw1_path, submissions_dir, tmp_path_factory):
    """`grader grade` of hw1's written part over the real submissions folder."""
    out = tmp_path_factory.mktemp("graded") / "out"
    result = run("grade", written_hw1_path, submissions_dir, "-o", out)
    assert result.exit_code == 0, result.output
    return out


# -- grade --------------------------------------------------------------------------------------------
def test_details_csv(graded, written_hw1):
    table = read_csv(graded / "details.csv")
    assert table[0] == DETAILS_COLUMNS
    body = table[1:]
    ids = [q.id for q in written_hw1.questions]
    students = sorted({row[0] for row in body})
    assert [(r[0], r[1]) for r in body] == [(s, q) for s in students for q in ids]
    assert {"alice", "bob", "carol", "heidi", "ivan"} <= set(students)
    for student, question, score, max_score, status, feedback in body:
        assert 0 <= float(score) <= float(max_score) == written_hw1.question(question).points


def test_grades_csv(graded, written_hw1):
    table = read_csv(graded / "grades.csv")
    ids = [q.id for q in written_hw1.questions]
    assert table[0] == ["student", *ids, "total", "max_total", "percent"]
    students = [row[0] for row in table[1:]]
    assert students == sorted(students)
    details = read_csv(graded / "details.csv")[1:]
    for row in table[1:]:
        scores = dict(zip(ids, map(float, row[1:1 + len(ids)])))
        for student, question, score, *_ in details:
            if student == row[0]:
                assert scores[question] == float(score)
        total, max_total, percent = map(float, row[-3:])
        assert total == pytest.approx(sum(scores.values()))
        assert max_total == written_hw1.max_total
        assert percent == pytest.approx(100 * total / max_total, abs=1e-3)
    alice = next(row for row in table if row[0] == "alice")
    assert float(alice[-1]) == 100


def test_example_submissions_hit_every_written_status(graded):
    rows = read_csv(graded / "details.csv")[1:]
    assert WRITTEN_STATUSES <= {row[4] for row in rows}
    by = {(row[0], row[1]): row for row in rows}
    assert by["alice", "q1.sigmoid"][4] == "correct"
    assert by["carol", "q3.linear"][4] == "partial"
    assert by["carol", "q1.sigmoid"][4] == "incorrect"
    assert by["heidi", "q1.sigmoid"][4] == "missing"
    assert "did you mean `q1.sigmoid`?" in by["heidi", "q1.sigmoid"][5]
    assert by["erin", "q1.sigmoid"][4] == "invalid"


def test_grade_is_byte_identical_across_runs_and_ignores_seed_for_correct_answers(
        graded, written_hw1_path, submissions_dir, tmp_path):
    again, seeded = tmp_path / "again", tmp_path / "seeded"
    assert run("grade", written_hw1_path, submissions_dir, "-o", again).exit_code == 0
    assert run("grade", written_hw1_path, submissions_dir, "-o", seeded, "--seed", "987").exit_code == 0
    for name in ("details.csv", "grades.csv"):
        assert (graded / name).read_bytes() == (again / name).read_bytes(), name
    base = read_csv(graded / "details.csv")
    other = {(r[0], r[1]): r for r in read_csv(seeded / "details.csv")}
    correct = [r for r in base[1:] if r[4] == "correct"]
    assert correct
    for row in correct:
        assert other[row[0], row[1]] == row
    assert (graded / "grades.csv").read_bytes() == (seeded / "grades.csv").read_bytes()


def test_full_hw1_grades_identically_with_one_or_two_jobs(hw1_path, submissions_dir, tmp_path):
    # The real rubric, code questions included; grace's hostile code (which only tests the
    # sandbox's time limits, and slowly) is left out to keep this fast.
    folder = tmp_path / "subs"
    shutil.copytree(submissions_dir, folder, ignore=shutil.ignore_patterns("grace.py"))
    outs = []
    for jobs in ("1", "2"):
        out = tmp_path / f"jobs{jobs}"
        result = run("grade", hw1_path, folder, "-o", out, "--jobs", jobs)
        assert result.exit_code == 0, result.output
        outs.append(out)
    for name in ("details.csv", "grades.csv"):
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    assert read_csv(outs[0] / "details.csv")[0] == DETAILS_COLUMNS


def test_grade_unusable_inputs_exit_2(tmp_path, write_rubric, submissions_dir, hw1_path):
    result = run("grade", hw1_path, tmp_path / "nowhere", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "no such folder" in result.stderr
    bad = write_rubric(tmp_path, "title: t\nquestions:\n  - id: a\n    kind: integral\n    points: 1\n")
    result = run("grade", bad, submissions_dir, "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert f"{bad}:4: questions[0].kind: unknown kind 'integral'" in result.stderr
    assert not (tmp_path / "out" / "details.csv").exists()


def test_grade_a_folder_of_broken_files(written_hw1_path, tmp_path):
    folder = tmp_path / "subs"
    folder.mkdir()
    (folder / "a.yaml").write_bytes(b"\x00\x01")
    (folder / "b.yaml").write_text("- x\n")
    (folder / "c.txt").write_text("hello")
    (folder / "d.yaml").write_text("answers:\n  q1.sigmoid: f (1 - f)\n")
    result = run("grade", written_hw1_path, folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    rows = read_csv(tmp_path / "out" / "details.csv")[1:]
    assert sorted({r[0] for r in rows}) == ["a", "b", "c", "d"]
    assert {r[4] for r in rows if r[0] in "abc"} == {"invalid"}
    assert [r[4] for r in rows if r[:2] == ["d", "q1.sigmoid"]] == ["correct"]


# -- check --------------------------------------------------------------------------------------------
def test_check_alice_all_correct_exit_0(hw1_path, submissions_dir):
    result = run("check", hw1_path, submissions_dir / "alice.yaml")
    assert result.exit_code == 0, result.output
    assert "✗" not in result.output
    assert "q1.sigmoid" in result.output and "correct" in result.output
    assert result.output.strip().splitlines()[-1].startswith("total: ")


def test_check_carol_exit_1_without_revealing_answers(hw1_path, submissions_dir):
    result = run("check", hw1_path, submissions_dir / "carol.yaml")
    assert result.exit_code == 1
    assert "incorrect" in result.output and "partial" in result.output
    assert "Check the sign" in result.output
    own = (submissions_dir / "carol.yaml").read_text()
    blocks = text_blocks(result.output)
    assert "q3.linear" in blocks and "question: " in blocks["q3.linear"]
    for qid, block in blocks.items():
        if qid in REFERENCES and qid != "q4.boundary_a2":  # its prompt lists the options
            assert_no_reference(block, own, [qid])


@pytest.mark.parametrize("student", ["carol", "dave", "heidi", "grace"])
def test_check_json(written_hw1_path, submissions_dir, student, tmp_path):
    source = submissions_dir / (f"{student}.yaml" if student != "heidi" else "heidi")
    target = tmp_path / source.name
    if source.is_dir():
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.py"))
    else:
        shutil.copy(source, target)
    result = run("check", written_hw1_path, target, "--json")
    assert result.exit_code == 1
    items = json.loads(result.stdout)
    assert isinstance(items, list) and items
    for item in items:
        assert list(item) == DETAILS_COLUMNS
        assert item["student"] == student
    own = "".join(p.read_text(errors="replace") for p in
                  ([target] if target.is_file() else sorted(target.iterdir())))
    for item in items:
        if item["question"] in REFERENCES and item["status"] != "invalid":
            assert_no_reference(item["feedback"], own, [item["question"]])


def test_check_json_matches_details_csv(graded, written_hw1_path, submissions_dir):
    result = run("check", written_hw1_path, submissions_dir / "carol.yaml", "--json")
    items = json.loads(result.stdout)
    rows = [r for r in read_csv(graded / "details.csv")[1:] if r[0] == "carol"]
    assert [[str(i["student"]), i["question"], i["status"], i["feedback"]] for i in items] == [
        [r[0], r[1], r[4], r[5]] for r in rows]
    assert [float(i["score"]) for i in items] == [float(r[2]) for r in rows]


def test_check_unusable_inputs_exit_2(hw1_path, tmp_path, write_rubric, submissions_dir):
    result = run("check", hw1_path, tmp_path / "nobody.yaml")
    assert result.exit_code == 2
    assert "no such file" in result.stderr
    bad = write_rubric(tmp_path, """
        title: t
        questions:
          - id: a
            kind: number
            points: 1
            answer: "1"
            tolerance: {rtol: -1}
    """)
    result = run("check", bad, submissions_dir / "alice.yaml")
    assert result.exit_code == 2
    assert result.stderr.strip() == f"{bad}:7: questions[0].tolerance.rtol: must be a positive number"
    result = run("check", tmp_path / "missing_rubric.yaml", submissions_dir / "alice.yaml")
    assert result.exit_code == 2


@pytest.mark.parametrize(("student", "words"), [
    ("frank", "not valid YAML (line"), ("ivan", "found a list"), ("erin", "the file is empty")])
@pytest.mark.parametrize("as_json", [False, True])
def test_check_an_unusable_answers_file_is_exit_2_not_a_crash(written_hw1_path, submissions_dir,
                                                              student, words, as_json):
    """Broken YAML, an empty file or a top-level list: there is nothing to mark, so the input is
    unusable (exit 2) and the message says what is wrong with the file."""
    result = run("check", written_hw1_path, submissions_dir / f"{student}.yaml",
                 *(["--json"] if as_json else []))
    assert result.exit_code == 2
    assert words in result.stderr
    assert result.stdout == ""


# -- validate -----------------------------------------------------------------------------------------
def test_validate_hw1(hw1_path, hw1):
    result = run("validate", hw1_path)
    assert result.exit_code == 0, result.output
    assert f"{len(hw1.questions)} questions" in result.output and "ok" in result.output


def test_validate_flags_a_mistake_equal_to_the_reference(tmp_path, write_rubric):
    path = write_rubric(tmp_path, """
        title: t
        questions:
          - id: a
            kind: expression
            points: 1
            symbols:
              x: {domain: [-2, 2]}
            gradient_of: "x^2"
            wrt: x
            mistakes:
              - answer: "x + x"
                feedback: "this is right, oops"
    """)
    result = run("validate", path)
    assert result.exit_code == 1
    # The line of the mistake's answer, not just the question's.
    assert result.stderr.startswith(
        f"{path}:11: questions[0].mistakes[0].answer: `x + x` is equivalent to the reference")


def test_validate_flags_an_answer_that_disagrees_with_gradient_of(tmp_path, write_rubric):
    path = write_rubric(tmp_path, """
        title: t
        questions:
          - id: ok
            kind: expression
            points: 1
            symbols:
              x: {domain: [-2, 2]}
            answer: "x"
          - id: g
            kind: matrix_expression
            points: 1
            symbols:
              A: {shape: [n, n]}
              x: {shape: [n, 1]}
            gradient_of: "x^T A x"
            wrt: x
            answer: "2 A x"
    """)
    result = run("validate", path)
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"{path}:17: questions[1].answer: does not agree with the gradient of gradient_of")


def test_validate_schema_and_content_errors_exit_1(tmp_path, write_rubric):
    path = write_rubric(tmp_path, "title: t\nquestions:\n  - id: a\n    kind: expression\n"
                                  "    points: 1\n    symbols: {x: {}}\n    answer: \"x +\"\n")
    result = run("validate", path)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}:7: questions[0].answer: ")
    path = write_rubric(tmp_path, "questions: []\n", "no_title.yaml")
    result = run("validate", path)
    assert result.exit_code == 1
    assert f"{path}:1: title: required field is missing" in result.stderr


# -- a real process --------------------------------------------------------------------------------------
def test_real_process_grade_and_check(written_hw1_path, submissions_dir, graded, tmp_path, root):
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "grader.cli", "grade", str(written_hw1_path),
                           str(submissions_dir), "-o", str(out), "--jobs", "2"],
                          capture_output=True, text=True, cwd=root, timeout=120)
    assert done.returncode == 0, done.stderr
    for name in ("details.csv", "grades.csv"):
        assert (out / name).read_bytes() == (graded / name).read_bytes(), name

    grader = shutil.which("grader")
    command = [grader] if grader else [sys.executable, "-m", "grader.cli"]
    done = subprocess.run([*command, "check", str(written_hw1_path), "submissions/hw1/carol.yaml",
                           "--json"], capture_output=True, text=True, cwd=root, timeout=60)
    assert done.returncode == 1
    items = json.loads(done.stdout)
    assert [list(item) for item in items] == [DETAILS_COLUMNS] * len(items)
    rows = [r for r in read_csv(graded / "details.csv")[1:] if r[0] == "carol"]
    assert [(i["question"], i["status"], i["feedback"]) for i in items] == [
        (r[1], r[4], r[5]) for r in rows]


def test_the_console_entry_point_keeps_exit_codes_and_output(tmp_path, root):
    # `run` ends the process with os._exit: the code and everything printed must survive it.
    bad = subprocess.run([sys.executable, "-m", "grader.cli", "grade", "--no-such-option"],
                         capture_output=True, text=True, cwd=root, timeout=60)
    assert bad.returncode == 2 and "Usage" in bad.stderr
    good = subprocess.run([sys.executable, "-m", "grader.cli", "validate", "rubrics/hw1.yaml"],
                          capture_output=True, text=True, cwd=root, timeout=120)
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip()


# -- signals and pipes: a real process ---------------------------------------------------------------
def _grader_process(*args, **kwargs):
    code = "from grader.cli import run; run()"
    return subprocess.Popen([sys.executable, "-c", code, *map(str, args)], **kwargs)


def test_a_closed_pipe_ends_quietly_with_the_usual_status(written_hw1_path, submissions_dir, tmp_path):
    """`grader grade ... | head -1`: the outputs are written, nothing is printed on stderr, and
    the status is the one a shell reports for SIGPIPE (141), not 1."""
    reader, writer = os.pipe()
    os.close(reader)  # the reader has gone before anything is printed, as `| head -0` would
    process = _grader_process("grade", written_hw1_path, submissions_dir, "-o", tmp_path / "out",
                              stdout=writer, stderr=subprocess.PIPE)
    os.close(writer)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 128 + 13, stderr
    assert stderr == b""
    assert (tmp_path / "out" / "details.csv").is_file()


def test_sigterm_stops_the_run_like_ctrl_c_and_leaves_no_process(hw1_path, tmp_path):
    """SIGTERM while student code runs: every helper process (plotter, sandbox workers) stops,
    no output folder is left half-written, and the status says SIGTERM (143)."""
    import os
    import signal
    import time

    folder = tmp_path / "class"
    folder.mkdir()
    for i in range(6):
        (folder / f"s{i}.py").write_text(f"# student {i}\nimport time\ntime.sleep(30)\n")
    process = _grader_process("grade", hw1_path, folder, "-o", tmp_path / "out", "--jobs", "2",
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not _descendants(process.pid):
        time.sleep(0.1)
    time.sleep(1.5)  # the sandbox workers are running students' code by now
    helpers = _descendants(process.pid)
    assert len(helpers) >= 3  # plotter, sandbox workers and their children
    os.kill(process.pid, signal.SIGTERM)
    process.communicate(timeout=60)
    assert process.returncode == 128 + signal.SIGTERM
    time.sleep(0.5)
    assert not _session_alive(process.pid)
    assert [pid for pid in helpers if _alive(pid)] == []
    assert not (tmp_path / "out").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".out")] == []


def _descendants(pid: int) -> list[int]:
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat", "rb") as handle:
                        fields = handle.read().rsplit(b")", 1)[1].split()
                except OSError:
                    continue
                if int(fields[1]) == parent:
                    found.append(int(entry))
                    frontier.append(int(entry))
    return found


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            return handle.read().rsplit(b")", 1)[1].split()[0] != b"Z"
    except OSError:
        return False


def _session_alive(sid: int) -> bool:
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as handle:
                    fields = handle.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[3]) == sid and fields[0] != b"Z":
                return True
    return False


# -- the weaker sandbox is the instructor's explicit choice ----------------------------------------
def test_grade_refuses_to_run_a_class_without_namespaces_unless_told(hw1_path, submissions_dir,
                                                                     tmp_path, monkeypatch):
    """Where a submission cannot get a world of its own (no namespaces), several students' code
    is not run together unless the instructor accepts the weaker sandbox; run.json says which."""
    monkeypatch.setenv("GRADER_SANDBOX_NAMESPACES", "off")
    folder = tmp_path / "class"
    folder.mkdir()
    for name in ("alice.py", "carol.py", "alice.yaml"):
        shutil.copy(submissions_dir / name, folder / name)
    refused = run("grade", hw1_path, folder, "-o", tmp_path / "out")
    assert refused.exit_code == 2
    assert "--allow-weak-sandbox" in refused.stderr
    assert not (tmp_path / "out").exists()
    allowed = run("grade", hw1_path, folder, "-o", tmp_path / "out", "--allow-weak-sandbox")
    assert allowed.exit_code == 0, allowed.output
    meta = json.loads((tmp_path / "out" / "run.json").read_text())
    assert meta["sandbox"].startswith("weak")
    assert "ran with the weak" in allowed.stderr


def test_run_json_records_full_isolation(hw1_path, submissions_dir, tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(submissions_dir / "alice.py", folder / "alice.py")
    result = run("grade", hw1_path, folder, "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    assert json.loads((tmp_path / "out" / "run.json").read_text())["sandbox"].startswith("full")


def test_check_runs_one_students_code_with_the_weaker_sandbox(hw1_path, submissions_dir, monkeypatch):
    monkeypatch.setenv("GRADER_SANDBOX_NAMESPACES", "off")
    result = run("check", hw1_path, submissions_dir / "alice.py")
    assert "p1.sigmoid_grad" in result.output and "✓ p1.sigmoid_grad" in result.output
