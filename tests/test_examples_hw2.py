"""The HW2 example rubric and its example class: it validates, the all-correct students (plain
text and LaTeX) are right everywhere, and the classic mistakes get their targeted feedback."""

from __future__ import annotations

import pytest

from pathlib import Path

from grader.pipeline import grade, load, validate
from grader.submissions import find_submissions

ROOT = Path(__file__).resolve().parents[1]
HW2 = ROOT / "rubrics" / "hw2.yaml"
SUBMISSIONS_HW2 = ROOT / "submissions" / "hw2"


@pytest.fixture(scope="module")
def graded():
    rubric, prepared = load(HW2)
    assert validate(rubric, prepared) == []
    verdicts = grade(rubric, find_submissions(SUBMISSIONS_HW2), prepared)
    return {(v.student, v.question): v for v in verdicts}, rubric


def test_the_all_correct_students(graded):
    rows, rubric = graded
    for question in rubric.questions:
        assert rows["alice", question.id].status == "correct", rows["alice", question.id]
        if question.kind != "function":  # bob hands in no code
            assert rows["bob", question.id].status == "correct", rows["bob", question.id]


@pytest.mark.parametrize(("question", "status", "words"), [
    ("q1.ce_grad", "incorrect", "Check the sign"),
    ("q1.ce_grad_shape", "incorrect", "swapped"),
    ("q2.logistic_grad", "partial", "keep the 1/n"),
    ("q2.ridge_grad", "incorrect", "penalty"),
    ("q3.trace_grad", "incorrect", "shape of X"),
    ("q3.logdet_grad", "incorrect", "gradient of det X"),
    ("q4.net_W1", "incorrect", "only where its input is positive"),
    ("q5.relu_grad", "incorrect", "wrong at x ="),
    ("q5.huber_grad", "incorrect", "slope is ±δ"),
    ("q6.momentum", "partial", "with momentum β = 0.5"),
    ("q6.momentum_range", "incorrect", "your set leaves it out"),
    ("q6.newton", "partial", "by a Newton step"),
    ("p1.relu_grad", "incorrect", "wrong value"),
    ("p2.logistic_grad", "incorrect", "wrong value"),
])
def test_the_classic_mistakes(graded, question, status, words):
    rows, _ = graded
    verdict = rows["carol", question]
    assert verdict.status == status, verdict
    assert words in verdict.feedback
