"""The rubric's write-up fields: `locate`, `until` and `steps` on every question kind, checked
when the rubric loads, errors with file:line."""

from __future__ import annotations

import pytest

from grader.errors import RubricError
from grader.pipeline import load_rubric

BASE = """
    title: t
    questions:
      - id: q1
        kind: expression
        points: 1
        symbols: {x: {}}
        answer: "x"
        {extra}
      - id: q2
        kind: gd_iterates
        points: 1
        loss: "(w - 1)^2"
        variable: w
        alpha: 0.1
        steps: 3
        locate: 'Q\\s*2'
    """


def load(write_rubric, tmp_path, extra):
    return load_rubric(write_rubric(tmp_path, BASE.replace("{extra}", extra)))


def test_defaults_and_values(write_rubric, tmp_path):
    rubric = load(write_rubric, tmp_path, "locate: ['Q1', '\\(a\\)']\n        until: 'Appendix'\n        steps: 0.3")
    q1, q2 = rubric.questions
    assert (q1.locate, q1.until, q1.steps) == (["Q1", "\\(a\\)"], "Appendix", 0.3)
    assert (q2.locate, q2.until, q2.steps) == ("Q\\s*2", None, 3)   # iterates keep their steps
    plain = load(write_rubric, tmp_path, "")
    assert (plain.questions[0].locate, plain.questions[0].until, plain.questions[0].steps) == (None, None, 0.0)


@pytest.mark.parametrize(("extra", "message"), [
    ("locate: '(a'", "8: questions[0].locate: not a valid regular expression: missing ), unterminated subpattern"),
    ("locate: ['Q1', '[b']", "8: questions[0].locate[1]: not a valid regular expression"),
    ("locate: []", "8: questions[0].locate: give a pattern, or a list of at least one"),
    ("locate: '  '", "8: questions[0].locate: an empty pattern matches everywhere"),
    ("until: '*x'", "8: questions[0].until: not a valid regular expression"),
    ("steps: 1", "8: questions[0].steps: must be less than 1"),
    ("steps: -0.1", "8: questions[0].steps: must not be negative"),
])
def test_bad_fields_are_located_errors(write_rubric, tmp_path, extra, message):
    with pytest.raises(RubricError) as caught:
        load(write_rubric, tmp_path, extra)
    assert message in str(caught.value)


def test_every_kind_checks_its_patterns(write_rubric, tmp_path):
    text = BASE.replace("{extra}", "").replace("locate: 'Q\\s*2'", "locate: '(Q2'")
    with pytest.raises(RubricError) as caught:
        load_rubric(write_rubric(tmp_path, text))
    assert "questions[1].locate: not a valid regular expression" in str(caught.value)
