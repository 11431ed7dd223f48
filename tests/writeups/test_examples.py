"""The example write-ups in submissions/writeups/ against rubrics/hw1_writeup.yaml: every
question located and read, and the steps the issue describes reported."""

from __future__ import annotations

import pytest

from conftest import EXAMPLES
from grader.writeups import is_writeup, read_writeup, score_with_steps, steps_share


def graded(hw1w, name):
    rubric, prepared = hw1w
    path = EXAMPLES / name
    text = path.read_text(encoding="utf-8")
    decision = is_writeup(name, text, {q.id for q in rubric.questions})
    assert decision
    writeup = read_writeup(text, decision.kind, rubric, prepared)
    out = {}
    for question in rubric.questions:
        report = writeup.reports[question.id]
        assert report.located, report.locate_problem
        outcome = score_with_steps(prepared[question.id].check(writeup.answers[question.id]),
                                   report, steps_share(question))
        out[question.id] = (outcome, report)
    return out, writeup


def test_the_overleaf_writeup_is_right_everywhere(hw1w):
    out, writeup = graded(hw1w, "lee.tex")
    assert writeup.notes == []
    assert {q: o.status for q, (o, r) in out.items()} == {q: "correct" for q in out}
    assert all(r.first_wrong is None for o, r in out.values())
    assert sum(r.steps_checked for o, r in out.values()) >= 30
    assert out["q4.converge_range"][1].answer_read == "α \\in (0, 2)"


def test_the_ocr_writeup_has_its_slips_found(hw1w):
    out, _ = graded(hw1w, "kim.md")
    statuses = {q: o.status for q, (o, r) in out.items()}
    assert [q for q, s in statuses.items() if s != "correct"] == [
        "q1.softplus", "q3.linear", "q4.iterates_a05"]
    softplus, report = out["q1.softplus"]
    assert softplus.fraction == 0
    assert report.first_wrong.startswith("the first line after differentiating (line 46)")
    assert "it cancels the 1/β" in report.first_wrong
    linear, report = out["q3.linear"]
    assert linear.fraction == pytest.approx(0.7)   # right answer, a wrong step: steps: 0.3
    assert report.first_wrong.startswith("2 e x^{T} = 2(W x−b−y) x^{T} does not hold at m = ")
    iterates, report = out["q4.iterates_a05"]
    assert iterates.fraction == pytest.approx(0.75)   # the slip in w3 costs w3 only
    assert report.first_wrong == "in your w_3 line, 75 − 0.5 × (75 − 100) is 87.5, not 85 (line 111)"
    assert out["q2.l2_single"][1].answer_read.startswith("(\\bar{w}^{T} \\bar{x}−y) \\bar{x}")
    assert out["q2.quadratic_shape"][1].answer_read == "\\mathbb{R}^{n × 1}"
