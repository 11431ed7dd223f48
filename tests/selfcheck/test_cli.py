"""`grader bundle` and `grader check BUNDLE`, through click's runner and a real process; the
per-question modes (full, verdict, off)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.selfcheck.check import VERDICT_ONLY
from grader.selfcheck.format import decode_plain

ROOT = Path(__file__).resolve().parents[2]
HW1 = ROOT / "rubrics" / "hw1.yaml"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def hw1_check(tmp_path_factory):
    path = tmp_path_factory.mktemp("cli") / "hw1.check"
    result = run("bundle", HW1, "-o", path)
    assert result.exit_code == 0, result.output
    return path, result.output


def test_bundle_prints_what_each_question_reveals(hw1_check):
    path, output = hw1_check
    assert path.is_file()
    lines = output.splitlines()
    assert "24 of 24 questions checked" in lines[0]
    shown = {line.split()[0]: line for line in lines[1:]}
    assert "values at 24 sample points" in shown["q1.sigmoid"]
    assert "salted hash" in shown["q4.boundary_a2"] and "try every option" in shown["q4.boundary_a2"]
    assert "the iterates follow" in shown["q4.iterates_a05"]
    assert "not the loss" in shown["q4.converge_range"]
    assert "outputs" in shown["p4.gd"]


def test_check_with_the_bundle_says_it_is_a_self_check(hw1_check):
    path, _ = hw1_check
    result = run("check", path, ROOT / "submissions" / "hw1" / "carol.yaml")
    assert result.exit_code == 1
    assert result.output.startswith(f"self-check against {path}")
    assert "the final grade, which may differ" in result.output.splitlines()[-1]
    assert "✓ q2.quadratic_shape   2/2  correct" in result.output
    for secret in ("f (1 - f)", "diag(f) - f f^T", "(0, 2)", "93.75"):
        assert secret not in result.output
    alice = run("check", path, ROOT / "submissions" / "hw1" / "alice.yaml")
    assert alice.exit_code == 0, alice.output


def test_check_json_with_the_bundle(hw1_check):
    path, _ = hw1_check
    result = run("check", path, ROOT / "submissions" / "hw1" / "bob.yaml", "--json")
    rows = json.loads(result.output)
    assert len(rows) == 24 and {r["student"] for r in rows} == {"bob"}
    assert set(rows[0]) == {"student", "question", "score", "max_score", "status", "feedback"}


@pytest.mark.parametrize(("args", "message"), [
    (["--seed", "3"], "--seed applies to a rubric"),
])
def test_check_bundle_usage_errors_exit_2(hw1_check, args, message):
    path, _ = hw1_check
    result = run("check", path, ROOT / "submissions" / "hw1" / "alice.yaml", *args)
    assert result.exit_code == 2 and message in result.output


def test_check_a_file_named_check_that_is_not_a_bundle(tmp_path):
    fake = tmp_path / "hw1.check"
    fake.write_text("title: x\n", encoding="utf-8")
    result = run("check", fake, ROOT / "submissions" / "hw1" / "alice.yaml")
    assert result.exit_code == 2 and "is not a self-check bundle" in result.output
    missing = run("check", tmp_path / "nope.check", ROOT / "submissions" / "hw1" / "alice.yaml")
    assert missing.exit_code == 2 and "no such file" in missing.output


def test_check_bundle_with_an_unusable_submission_exits_2(hw1_check):
    path, _ = hw1_check
    result = run("check", path, ROOT / "submissions" / "hw1" / "frank.yaml")
    assert result.exit_code == 2


def test_bundle_refuses_a_rubric_that_does_not_validate(tmp_path, write_rubric):
    path = write_rubric(tmp_path, """
        title: t
        questions:
          - id: q
            kind: expression
            points: 1
            symbols: {x: {}}
            answer: "2 x"
            mistakes:
              - {answer: "x + x", feedback: "same thing"}
    """)
    result = run("bundle", path, "-o", tmp_path / "t.check")
    assert result.exit_code == 1 and "equivalent to the reference" in result.output
    assert not (tmp_path / "t.check").exists()
    broken = write_rubric(tmp_path, "title: t\nquestions:\n  - {id: q, kind: number, points: 0, answer: 1}\n", "b.yaml")
    assert run("bundle", broken, "-o", tmp_path / "b.check").exit_code == 1
    assert run("bundle", broken, "-o", broken).exit_code == 2  # never over the rubric


MODES = """
    title: modes
    questions:
      - id: q.expr
        kind: expression
        points: 2
        symbols: {x: {}}
        answer: "2 x"
        self_check: verdict
        mistakes:
          - {answer: "x", feedback: "Differentiate x squared, not x (secret hint)", score: 0.5}
      - id: q.tf
        kind: choice
        points: 1
        options: ["true", "false"]
        answer: "true"
        self_check: off
      - id: q.n
        kind: number
        points: 1
        answer: "3"
"""


def test_modes_full_verdict_and_off(tmp_path, write_rubric):
    rubric = write_rubric(tmp_path, MODES)
    bundle = tmp_path / "modes.check"
    built = run("bundle", rubric, "-o", bundle)
    assert "2 of 3 questions checked" in built.output
    assert "q.tf (choice): self_check: off" in built.output
    assert "q.expr (expression, verdict)" in built.output
    entries = {e["id"]: e for e in decode_plain(bundle.read_bytes())["questions"]}
    assert entries["q.tf"]["data"] is None  # not even a hash of the answer
    assert entries["q.expr"]["data"]["mistakes"] == []
    assert b"secret hint" not in bundle.read_bytes()

    answers = tmp_path / "s.yaml"
    answers.write_text('answers:\n  q.expr: "x"\n  q.n: "3"\n', encoding="utf-8")
    result = run("check", bundle, answers)
    lines = result.output.splitlines()
    assert "✗ q.expr  0/2  incorrect" in lines and f"    {VERDICT_ONLY}" in lines
    assert "- q.tf    not checked before the deadline" in lines
    assert "1 question (1 points) not checked" in lines[-1]
    assert result.exit_code == 1
    # With the rubric, the same answer earns the mistake's partial credit and its feedback.
    direct = run("check", rubric, answers)
    assert "1/2  partial" in direct.output and "secret hint" in direct.output

    answers.write_text('answers:\n  q.expr: "x + x"\n  q.n: "3.0"\n', encoding="utf-8")
    result = run("check", bundle, answers, "--json")
    assert result.exit_code == 0  # every checked question is right; q.tf does not count
    rows = {r["question"]: r for r in json.loads(result.output)}
    assert rows["q.tf"]["status"] == "unchecked" and rows["q.tf"]["score"] is None
    assert rows["q.expr"]["status"] == "correct"


def test_a_kind_that_cannot_be_exported_is_listed_as_not_checked(tmp_path, write_rubric, monkeypatch):
    from grader.kinds.number import NumberKind

    monkeypatch.setattr(NumberKind, "no_self_check", "numbers are secret in this test")
    monkeypatch.setattr(NumberKind, "self_check", lambda self, mode="full": (_ for _ in ()).throw(
        NotImplementedError(self.no_self_check)))
    rubric = write_rubric(tmp_path, MODES)
    result = run("bundle", rubric, "-o", tmp_path / "m.check")
    assert "q.n (number): cannot be self-checked: numbers are secret in this test" in result.output


def test_the_console_command_in_a_real_process(hw1_check, tmp_path):
    path, _ = hw1_check
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    code = "import sys; from grader.cli import run; sys.argv = ['grader'] + sys.argv[1:]; run()"
    done = subprocess.run([sys.executable, "-c", code, "check", str(path),
                           str(ROOT / "submissions" / "hw1" / "carol.yaml")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "✗ q1.sigmoid" in done.stdout
    version = subprocess.run([sys.executable, "-c", code, "--version"], capture_output=True, text=True,
                             env=env, timeout=60)
    assert version.stdout.strip() == "grader (grader-ml) 0.1.0"


def test_a_bundle_from_another_folder_needs_nothing_else(hw1_check, tmp_path):
    """A student has only the bundle and their files: no rubric, no reference code."""
    path, _ = hw1_check
    alone = tmp_path / "student"
    alone.mkdir()
    (alone / "hw1.check").write_bytes(path.read_bytes())
    for name in ("carol.yaml", "carol.py"):
        (alone / name).write_bytes((ROOT / "submissions" / "hw1" / name).read_bytes())
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-m", "grader.cli", "check", "hw1.check", "carol.yaml"],
                          cwd=alone, capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "p4.gd" in done.stdout and "wrong value" in done.stdout
