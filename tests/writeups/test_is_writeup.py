"""Which submitted files are write-ups, and the rule that said so."""

from __future__ import annotations

import pytest

from grader.writeups import is_writeup, plain_answer_ids

IDS = {"q1.sigmoid", "q2.quadratic"}


def test_latex_is_always_a_writeup():
    decision = is_writeup("alice/hw1.TEX", "## q1.sigmoid\nf(1-f)", IDS)
    assert decision and decision.kind == "tex"
    assert decision.reason == "a LaTeX file is read as a write-up"


@pytest.mark.parametrize("text", ["## q1.sigmoid\nf(1 - f)\n\n## q2.quadratic\n(A + A^T) x + z\n",
                                  "# `Q1.Sigmoid`\nf(1-f)", "q1.sigmoid: f(1-f)\nq2.quadratic: x\n"])
def test_markdown_with_question_ids_is_a_plain_answers_file(text):
    decision = is_writeup("answers.md", text, IDS)
    assert not decision and decision.kind == ""
    assert "plain answers file" in decision.reason and "q1.sigmoid" in decision.reason


def test_markdown_without_question_ids_is_a_writeup():
    text = "## Question 1\n$$\\frac{df}{dx} = \\boxed{f(1-f)}$$\n<!-- q2.quadratic -->\n$$x$$"
    decision = is_writeup("bob.md", text, IDS)
    assert decision and decision.kind == "md"
    assert "read as a write-up" in decision.reason


def test_other_files_are_not_writeups():
    decision = is_writeup("carol.yaml", "answers: {}", IDS)
    assert not decision and "not a write-up" in decision.reason


def test_the_plain_answers_rule_is_shared():
    assert plain_answer_ids("### q2.quadratic ###\nx\nQ1.SIGMOID: y\nq9.unknown: z", IDS) == \
        ["q2.quadratic", "q1.sigmoid"]
