"""`grader check BUNDLE` gives the statuses, scores and feedback of `grader check RUBRIC`: on every
example submission and on a generated class (written and programming parts), checked both ways
and compared. Feedback is compared with numbers masked (the bundle's sample points, sizes and
calls differ from grading's); the documented difference is interval feedback, which cannot say
what gradient descent does at a step size without the loss."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

import pytest

from grader.errors import RubricError, UnusableInput
from grader.pipeline import check_submission as check_with_rubric
from grader.pipeline import grade, load
from grader.selfcheck.build import build, write
from grader.selfcheck.check import check_path
from grader.selfcheck.load import load_bundle
from grader.submissions import find_submissions

from .rubrics import all_rubrics

ROOT = Path(__file__).resolve().parents[2]
#: Kinds whose wrong-answer feedback differs by design (docs/self-check.md).
FEEDBACK_DIFFERS = {"interval"}


def masked(text: str) -> str:
    numbers = re.sub(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?", "#", text)
    # The bundle draws its own sizes too: an array shown by value may have other lengths.
    numbers = re.sub(r"an array of shape \([#,\s]*\)", "[…]", numbers)
    return re.sub(r"\[[#,\s\[\]]*\]", "[…]", numbers)


@pytest.fixture(scope="module")
def hw1_bundle(tmp_path_factory):
    path = tmp_path_factory.mktemp("parity") / "hw1.check"
    write(build(ROOT / "rubrics" / "hw1.yaml"), path)
    return load_bundle(path)


def assert_same(rubric_rows, bundle_rows, kinds) -> None:
    assert [r.question for r in rubric_rows] == [r.question for r in bundle_rows]
    for want, got in zip(rubric_rows, bundle_rows):
        where = (want.student, want.question, want.feedback, got.feedback)
        assert (got.status, got.score, got.max_score) == (want.status, want.score, want.max_score), where
        if kinds[want.question] not in FEEDBACK_DIFFERS or want.status == "correct":
            assert masked(got.feedback) == masked(want.feedback), where


EXAMPLES = sorted(p.name for p in (ROOT / "submissions" / "hw1").iterdir() if p.suffix != ".py")


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_submission_checks_the_same_both_ways(name, hw1_bundle):
    path = ROOT / "submissions" / "hw1" / name
    try:
        _, want = check_with_rubric(ROOT / "rubrics" / "hw1.yaml", path)
    except UnusableInput as err:
        with pytest.raises(UnusableInput, match=re.escape(str(err))):
            check_path(hw1_bundle, path)
        return
    got = check_path(hw1_bundle, path)
    kinds = {q.id: q.kind for q in hw1_bundle.rubric.questions}
    assert_same(want, got.rows, kinds)


def _generated(tmp_path: Path, count: int, code: bool, seed: int) -> Path:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from generate import generate
    finally:
        sys.path.pop(0)
    out = tmp_path / "class"
    generate(count, out, code, seed)
    return out


def test_a_generated_class_checks_the_same_both_ways(tmp_path, hw1_bundle):
    """The written part of 150 generated students, in one batch each way."""
    folder = _generated(tmp_path, 150, code=False, seed=7)
    rubric, prepared = load(ROOT / "rubrics" / "hw1.yaml")
    submissions = find_submissions(folder)
    want = grade(rubric, submissions, prepared)
    got = grade(hw1_bundle.rubric, submissions, hw1_bundle.prepared)
    kinds = {q.id: q.kind for q in rubric.questions}
    assert_same(want, got, kinds)
    statuses = {v.status for v in got}
    assert {"correct", "partial", "incorrect", "invalid", "missing"} <= statuses


@pytest.mark.parametrize("runner", ["sandbox", "local"])
def test_generated_code_checks_the_same_both_ways(tmp_path, hw1_bundle, runner):
    """Generated students' .py files: the grading sandbox, and the plain child process used where
    the sandbox is not, give the same outcomes at the bundle's calls as grading at its own."""
    if runner == "sandbox" and not sys.platform.startswith("linux"):
        pytest.skip("the grading sandbox runs on Linux")
    folder = _generated(tmp_path, 6, code=True, seed=11)
    shutil.copy(ROOT / "submissions" / "hw1" / "judy" / "grads.py", folder / "s00005.py")  # a syntax error
    kinds = {q.id: q.kind for q in hw1_bundle.rubric.questions}
    for path in sorted(folder.glob("*.yaml")):
        try:
            _, want = check_with_rubric(ROOT / "rubrics" / "hw1.yaml", path)
        except UnusableInput:
            continue
        got = check_path(hw1_bundle, path, runner)
        assert_same(want, got.rows, kinds)


# -- every rubric of the test suite ------------------------------------------------------------------
RUBRICS = all_rubrics()
#: Answers tried on every written question of every rubric (most are wrong, some unreadable).
PROBES = ["0", "1", "-1", "2.5", "x", "2 x", "x^T", "n x 1", "1 x n", "(0, 1)", "[0, 2]",
          "converges", "oscillates", ["1", "2", "3"], "f (1 - f)", ""]


@pytest.mark.parametrize("name", [n for n in RUBRICS if n != "hw1"])
def test_every_rubric_in_the_tests_checks_the_same_through_its_bundle(name, tmp_path):
    source = RUBRICS[name]
    path = tmp_path / "rubric.yaml"
    path.write_text(source if isinstance(source, str) else source.read_text(), encoding="utf-8")
    try:
        write(build(path), tmp_path / "r.check")
    except RubricError:
        pytest.skip("a rubric that does not validate is refused")
    bundle = load_bundle(tmp_path / "r.check")
    rubric, prepared = load(path)
    for question in rubric.questions:
        direct, rebuilt = prepared[question.id], bundle.prepared[question.id]
        if direct.runs_code or question.id in bundle.unchecked:
            continue
        reference = direct.reference_answer()
        answers = PROBES + ([reference] if reference is not None else [])
        for answer in answers:
            want, got = direct.check(answer), rebuilt.check(answer)
            where = (question.id, answer, want.feedback, got.feedback)
            assert (got.status, got.fraction) == (want.status, want.fraction), where
            if question.kind not in FEEDBACK_DIFFERS or want.status == "correct":
                assert masked(got.feedback) == masked(want.feedback), where
        if reference is not None:
            assert rebuilt.check(reference).status == "correct"
