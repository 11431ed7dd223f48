"""score_with_steps: the kind's usual score, a share for a derivation without a wrong step, and
the wrong step in the feedback whether or not it costs points."""

from __future__ import annotations

import pytest

from grader.verdict import Outcome
from grader.writeups import StepReport, score_with_steps, steps_share

WRONG = StepReport(steps_checked=3, first_wrong="a = b does not hold at x = 0.7 (line 4)", line=4,
                   located=True)
SOUND = StepReport(steps_checked=3, steps_skipped=1, located=True)
NOTHING = StepReport(located=True)


def test_without_a_share_the_score_is_the_kinds_and_the_wrong_step_is_still_said():
    outcome = score_with_steps(Outcome.correct(signature=1.0), WRONG, 0.0)
    assert (outcome.status, outcome.fraction, outcome.signature) == ("correct", 1.0, 1.0)
    assert outcome.feedback == ("your answer is right; a = b does not hold at x = 0.7 (line 4); "
                                "3 steps of your derivation checked")


def test_a_share_for_a_derivation_without_a_wrong_step():
    right = score_with_steps(Outcome.correct(), WRONG, 0.3)
    assert (right.status, right.fraction) == ("partial", pytest.approx(0.7))
    sound_but_wrong = score_with_steps(Outcome.incorrect("wrong at x = 1"), SOUND, 0.3)
    assert (sound_but_wrong.status, sound_but_wrong.fraction) == ("partial", pytest.approx(0.3))
    assert sound_but_wrong.feedback == ("wrong at x = 1; 3 steps of your derivation checked "
                                        "(1 could not be read)")
    full = score_with_steps(Outcome.correct(), SOUND, 0.3)
    assert (full.status, full.fraction) == ("correct", 1.0)


def test_no_derivation_earns_the_share_only_with_a_right_answer():
    assert score_with_steps(Outcome.correct(), NOTHING, 0.3).fraction == 1.0
    wrong = score_with_steps(Outcome.incorrect("not the right value"), NOTHING, 0.3)
    assert (wrong.status, wrong.fraction, wrong.feedback) == ("incorrect", 0.0, "not the right value")


def test_partial_credit_of_the_kind_is_scaled():
    outcome = score_with_steps(Outcome.partial(0.5, "w3 does not follow", mistake="m"), SOUND, 0.2)
    assert outcome.fraction == pytest.approx(0.8 * 0.5 + 0.2)
    assert outcome.mistake == "m"


def test_missing_and_invalid_answers_keep_their_status_unless_the_derivation_earns():
    missing = Outcome("missing", 0.0, "no answer")
    assert score_with_steps(missing, WRONG, 0.3).status == "missing"
    assert score_with_steps(missing, SOUND, 0.3).status == "partial"
    assert score_with_steps(Outcome.invalid("cannot read"), NOTHING, 0.3).status == "invalid"
    error = Outcome("error", 0.0, "boom")
    assert score_with_steps(error, WRONG, 0.3) == error


def test_the_share_must_be_below_one():
    with pytest.raises(ValueError):
        score_with_steps(Outcome.correct(), SOUND, 1.0)


def test_steps_share_of_a_question(hw1w):
    rubric, _ = hw1w
    shares = {q.id: steps_share(q) for q in rubric.questions}
    assert shares["q3.linear"] == 0.3
    assert shares["q1.softmax_diag"] == 0.0
    assert shares["q4.iterates_a05"] == 0.0   # its `steps` is the number of iterates


def test_the_summary_line_for_grader_check():
    report = StepReport(answer_read="f_i (1 − f_i)", answer_line=13, steps_checked=1, steps_skipped=3,
                        located=True)
    assert report.summary() == "read f_i (1 − f_i) (line 13); 1 step checked, 3 could not be read"
    assert StepReport(located=False, locate_problem="could not find ...").summary() == "could not find ..."
    nothing = StepReport(located=True, problem="no boxed answer ...: box your final answer")
    assert nothing.summary() == "no boxed answer ...: box your final answer; 0 steps checked"
