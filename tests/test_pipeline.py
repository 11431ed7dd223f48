"""grade(): every student × question, deterministic, each distinct answer checked once, wrong
answers grouped by meaning, and nothing a student submits can stop the batch."""

from __future__ import annotations

import random

import pytest

from grader.verdict import Outcome
from grader.pipeline import answer_key, grade, prepare
from grader.errors import RubricError
from grader.submissions import Submission, find_submissions
from grader.verdict import (CORRECT, ERROR, INCORRECT, INVALID, MISSING, PARTIAL, STATUSES,
                            TIMEOUT, Verdict)


class Counting:
    """A checker wrapper that records every answer it is asked to check."""

    def __init__(self, inner, fail_on=None, error=RuntimeError):
        self.inner = inner
        self.calls: list = []
        self.fail_on = fail_on
        self.error = error

    def check(self, answer):
        self.calls.append(answer)
        if self.fail_on is not None and answer == self.fail_on:
            raise self.error("boom")
        return self.inner.check(answer)

    def __getattr__(self, name):
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def written(written_hw1):
    return written_hw1, prepare(written_hw1)


def sub(student: str, **answers) -> Submission:
    return Submission(student=student, answers={k.replace("__", "."): v for k, v in answers.items()})


def rows(verdicts, student):
    return {v.question: v for v in verdicts if v.student == student}


# -- shape of the result ------------------------------------------------------------------------------
def test_one_row_per_student_and_question_sorted(written):
    rubric, checkers = written
    subs = [sub("zoe"), sub("adam", q1__sigmoid="f (1 - f)"), sub("mia")]
    verdicts = grade(rubric, subs, checkers)
    ids = [q.id for q in rubric.questions]
    assert [(v.student, v.question) for v in verdicts] == [
        (s, q) for s in ["adam", "mia", "zoe"] for q in ids]
    for v in verdicts:
        assert v.max_score == rubric.question(v.question).points
        assert 0 <= v.score <= v.max_score
        assert v.status in STATUSES


def test_scores_and_statuses(written):
    rubric, checkers = written
    verdicts = grade(rubric, [sub("s", q1__sigmoid=" f (1 - f) ",
                                    q2__quadratic="x^T (A + A^T) + z^T",
                                    q2__l2_single="2 (w^T x - y) x",
                                    q2__quadratic_shape="n",
                                    q3__linear="   ",
                                    q4__boundary_a2=None)], checkers)
    r = rows(verdicts, "s")
    assert (r["q1.sigmoid"].status, r["q1.sigmoid"].score) == (CORRECT, 4)
    assert r["q1.sigmoid"].answer == "f (1 - f)", "the student's text, trimmed"
    assert (r["q2.quadratic"].status, r["q2.quadratic"].score) == (PARTIAL, 3)
    assert r["q2.quadratic"].mistake == "x^T (A + A^T) + z^T"
    assert (r["q2.l2_single"].status, r["q2.l2_single"].score) == (INCORRECT, 0)
    assert r["q2.l2_single"].feedback == "The ½ cancels the 2 from the square."
    assert r["q2.quadratic_shape"].status == INVALID
    # (a whitespace-only string from a file is blank: submissions.read_answers makes it None)
    assert (r["q3.linear"].status, r["q3.linear"].feedback) == (INVALID, "the answer is empty")
    assert (r["q4.boundary_a2"].status, r["q4.boundary_a2"].feedback) == (MISSING, "no answer")
    assert (r["q1.softplus"].status, r["q1.softplus"].score) == (MISSING, 0)


def test_blank_answers_are_missing(written):
    rubric, checkers = written
    path_answers = {"q1.sigmoid": None, "q1.softplus": [], "q2.quadratic": None}
    verdicts = grade(rubric, [Submission("s", path_answers)], checkers)
    for qid in path_answers:
        assert rows(verdicts, "s")[qid].status == MISSING


def test_an_unreadable_submission_is_invalid_everywhere(written):
    rubric, checkers = written
    verdicts = grade(rubric, [Submission("s", {"q1.sigmoid": "f (1 - f)"}, problem="s.yaml: broken")],
                     checkers)
    assert {v.status for v in verdicts} == {INVALID}
    assert {v.feedback for v in verdicts} == {"s.yaml: broken"}
    assert sum(v.score for v in verdicts) == 0


def test_list_answers_are_shown_as_json(written):
    rubric, checkers = written
    verdicts = grade(rubric, [sub("s", q2__quadratic_shape=["n", "1"],
                                  q1__sigmoid=["f", "1 - f"])], checkers)
    r = rows(verdicts, "s")
    assert r["q2.quadratic_shape"].status == CORRECT
    assert r["q2.quadratic_shape"].answer == '["n", "1"]'
    assert r["q1.sigmoid"].status == INVALID


def test_mappings_are_shown_as_written_though_checked_once_whatever_their_key_order(written):
    """Two students' mappings differ only in key order: one check (the same answer key), but
    each row shows the student's own JSON, as does a list that holds a mapping."""
    import json

    rubric, checkers = written
    first, second = {"b": 1, "a": [2, "x"]}, {"a": [2, "x"], "b": 1}
    listed = [0.5, {"z": 1, "y": "é"}]
    verdicts = grade(rubric, [sub("s1", q1__sigmoid=first, q2__quadratic_shape=listed),
                              sub("s2", q1__sigmoid=second, q2__quadratic_shape=["n", 1])],
                     checkers)
    one, two = rows(verdicts, "s1"), rows(verdicts, "s2")
    assert answer_key(first) == answer_key(second)
    assert one["q1.sigmoid"].answer == json.dumps(first, ensure_ascii=False)
    assert two["q1.sigmoid"].answer == json.dumps(second, ensure_ascii=False)
    assert one["q1.sigmoid"].answer != two["q1.sigmoid"].answer
    assert one["q2.quadratic_shape"].answer == json.dumps(listed, ensure_ascii=False)
    assert two["q2.quadratic_shape"].answer == '["n", 1]'


# -- checked once, grouped by meaning -------------------------------------------------------------------
def test_identical_answers_are_checked_once(written):
    rubric, checkers = written
    counting = Counting(checkers["q1.sigmoid"])
    shape = Counting(checkers["q2.quadratic_shape"])
    wrapped = {**checkers, "q1.sigmoid": counting, "q2.quadratic_shape": shape}
    subs = [sub(f"s{i}", q1__sigmoid=a, q2__quadratic_shape=s) for i, (a, s) in enumerate([
        ("f (1 - f)", ["n", "1"]), ("f (1 - f)", ["n", "1"]), (" f (1 - f)\n", "n x 1"),
        ("f(1+f)", "n x 1"), ("f(1+f)", None), ("f + f^2", ["n", "1"]),
    ])]
    verdicts = grade(rubric, subs, wrapped)
    assert sorted(counting.calls) == ["f (1 - f)", "f + f^2", "f(1+f)"]
    assert len(shape.calls) == 2
    assert ["n", "1"] in shape.calls and "n x 1" in shape.calls
    statuses = [v.status for v in verdicts if v.question == "q1.sigmoid"]
    assert statuses == [CORRECT, CORRECT, CORRECT, INCORRECT, INCORRECT, INCORRECT]


def test_answer_key():
    assert answer_key("  f (1 - f) ") == answer_key("f (1 - f)")
    assert answer_key("1") != answer_key(["1"])
    assert answer_key(["n", "1"]) == answer_key(["n", "1"])
    assert answer_key({"b": "1", "a": "2"}) == answer_key({"a": "2", "b": "1"})


def test_wrong_answers_are_grouped_by_meaning(written):
    rubric, checkers = written
    answers = {"a": "f(1+f)", "b": "f + f^2", "c": "f(x)[1+f(x)]", "d": "f", "e": "2 f",
               "f": "f (1 - f)", "g": "f +", "h": "f*2"}
    verdicts = grade(rubric, [sub(s, q1__sigmoid=a) for s, a in answers.items()], checkers)
    group = {v.student: v.group for v in verdicts if v.question == "q1.sigmoid"}
    assert group["a"] and group["a"] == group["b"] == group["c"]
    assert group["a"].startswith("q1.sigmoid#")
    assert group["d"] and group["d"] not in (group["a"], group["e"])
    assert group["e"] == group["h"], "2 f and f*2 mean the same"
    assert group["f"] == "", "correct answers are not grouped"
    assert group["g"] == "", "unreadable answers are not grouped"


def test_group_keys_do_not_depend_on_who_submitted(written):
    rubric, checkers = written
    texts = ["f(1+f)", "f + f^2", "f", "2 f", "x", "f(x)[1+f(x)]", "f^2"]

    def groups(names):
        subs = [sub(n, q1__sigmoid=t) for n, t in zip(names, texts)]
        random.Random(len(names[0])).shuffle(subs)
        verdicts = grade(rubric, subs, checkers)
        return {v.answer: v.group for v in verdicts if v.question == "q1.sigmoid"}

    assert groups([f"s{i}" for i in range(7)]) == groups([f"student_{9 - i}" for i in range(7)])


def test_matrix_answers_group_too(written):
    rubric, checkers = written
    subs = [sub("a", q2__quadratic="A x + z"), sub("b", q2__quadratic="z + A x"),
            sub("c", q2__quadratic="A^T x"), sub("d", q2__quadratic="x^T A")]
    group = {v.student: v.group for v in grade(rubric, subs, checkers) if v.question == "q2.quadratic"}
    assert group["a"] == group["b"] != group["c"]
    assert group["d"] and group["d"] not in (group["a"], group["c"])


# -- nothing stops the batch ----------------------------------------------------------------------------
def test_a_checker_crash_is_an_error_for_that_answer_only(written):
    rubric, checkers = written
    wrapped = {**checkers, "q1.sigmoid": Counting(checkers["q1.sigmoid"], fail_on="f^3")}
    verdicts = grade(rubric, [sub("a", q1__sigmoid="f^3", q1__softplus="sigmoid(beta x)"),
                              sub("b", q1__sigmoid="f (1 - f)")], wrapped)
    a, b = rows(verdicts, "a"), rows(verdicts, "b")
    assert a["q1.sigmoid"].status == ERROR
    assert "could not check" in a["q1.sigmoid"].feedback
    assert "boom" not in a["q1.sigmoid"].feedback
    assert a["q1.softplus"].status == CORRECT
    assert b["q1.sigmoid"].status == CORRECT


def test_a_recursion_error_is_invalid(written):
    rubric, checkers = written
    wrapped = {**checkers, "q1.sigmoid": Counting(checkers["q1.sigmoid"], fail_on="f^3",
                                                  error=RecursionError)}
    (v,) = [v for v in grade(rubric, [sub("a", q1__sigmoid="f^3")], wrapped)
            if v.question == "q1.sigmoid"]
    assert v.status == INVALID and "nested too deeply" in v.feedback


def test_a_folder_of_broken_files_grades_every_student(written, tmp_path):
    rubric, checkers = written
    (tmp_path / "empty.yaml").write_text("")
    (tmp_path / "binary.yaml").write_bytes(b"\x00\xff\x00\xfe" * 100)
    (tmp_path / "list.yaml").write_text("- f (1 - f)\n")
    (tmp_path / "bad.yaml").write_text('answers:\n  q1.sigmoid: "unclosed\n')
    (tmp_path / "alias.yaml").write_text("answers:\n  q1.sigmoid: &a f\n  q1.softplus: *a\n")
    (tmp_path / "huge.yaml").write_text("answers:\n  q1.sigmoid: " + "f+" * (1024 * 1024) + "f\n")
    (tmp_path / "notes.txt").write_text("answers:\n  q1.sigmoid: f (1 - f)\n")
    (tmp_path / "types.yaml").write_text(
        "answers:\n  q1.sigmoid: {a: 1}\n  q1.softplus: [[[[x]]]]\n  q2.quadratic_shape: [n, [1]]\n"
        "  q4.boundary_a2: [oscillates]\n")
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "answers.yaml").write_text(
        "answers:\n  q1.sigmoid: f (1 - f)\n  q4.boundary_a2: OSCILLATES\n")
    subs = find_submissions(tmp_path)
    verdicts = grade(rubric, subs, checkers)
    students = ["alias", "bad", "binary", "empty", "good", "huge", "list", "notes", "types"]
    assert sorted({v.student for v in verdicts}) == students
    assert len(verdicts) == len(students) * len(rubric.questions)
    for student in ["alias", "bad", "binary", "empty", "huge", "list", "notes"]:
        assert {v.status for v in verdicts if v.student == student} == {INVALID}, student
    good = rows(verdicts, "good")
    assert good["q1.sigmoid"].status == CORRECT and good["q4.boundary_a2"].status == CORRECT
    types = rows(verdicts, "types")
    assert {types[q].status for q in ["q1.sigmoid", "q1.softplus", "q2.quadratic_shape",
                                      "q4.boundary_a2"]} == {INVALID}
    assert types["q1.softmax_diag"].status == MISSING


# -- unknown ids ------------------------------------------------------------------------------------------
def test_unknown_ids_are_reported_with_a_did_you_mean(written):
    rubric, checkers = written
    verdicts = grade(rubric, [sub("s", q1__sigmod="f (1 - f)", q2__quadratic="(A + A^T) x + z",
                                  q9="42")], checkers)
    r = rows(verdicts, "s")
    sigmoid = r["q1.sigmoid"]
    assert sigmoid.status == MISSING and sigmoid.score == 0
    assert "`q1.sigmod`" in sigmoid.feedback and "did you mean `q1.sigmoid`?" in sigmoid.feedback
    assert sigmoid.feedback.startswith("no answer; ")
    assert "`q9`" in sigmoid.feedback, "an id with no close match is noted on the first row"
    assert r["q2.quadratic"].status == CORRECT and r["q2.quadratic"].feedback == "correct"
    elsewhere = [v for v in verdicts if v.question != "q1.sigmoid"]
    assert not any("q1.sigmod" in v.feedback for v in elsewhere)


def test_did_you_mean_lands_on_the_misspelt_question(written):
    rubric, checkers = written
    verdicts = grade(rubric, [sub("s", q3__linera="x", q1__sigmoid="f (1 - f)")], checkers)
    r = rows(verdicts, "s")
    assert "did you mean `q3.linear`?" in r["q3.linear"].feedback
    assert r["q1.sigmoid"].feedback == "correct"


# -- determinism ----------------------------------------------------------------------------------------------
def test_grade_is_deterministic_and_independent_of_jobs_and_order(written, submissions_dir):
    rubric, checkers = written
    subs = find_submissions(submissions_dir)
    first = grade(rubric, subs, checkers)
    again = grade(rubric, list(reversed(subs)), prepare(rubric), jobs=2)
    assert first == again


def test_progress_is_reported(written):
    rubric, checkers = written
    ticks: list[int] = []
    grade(rubric, [sub("a"), sub("b")], checkers, progress=ticks.append)
    assert ticks.count(1) == 2, "one tick per student"
    assert ticks.count(0) == len(rubric.questions), "one tick per written question"


def test_grade_prepares_when_not_given_checkers(written):
    rubric, checkers = written
    subs = [sub("a", q1__sigmoid="f (1 - f)")]
    assert grade(rubric, subs) == grade(rubric, subs, checkers)


# -- the example submissions -------------------------------------------------------------------------------
def test_example_submissions(written, submissions_dir):
    rubric, checkers = written
    verdicts = grade(rubric, find_submissions(submissions_dir), checkers)
    by = {(v.student, v.question): v for v in verdicts}
    assert all(by["alice", q.id].status == CORRECT for q in rubric.questions)
    assert all(by["bob", q.id].status == CORRECT for q in rubric.questions)
    assert by["carol", "q3.linear"].status == PARTIAL
    assert by["carol", "q1.sigmoid"].status == INCORRECT
    assert by["dave", "q2.quadratic_shape"].feedback.startswith("rows and columns are swapped")
    assert by["heidi", "q1.sigmoid"].status == MISSING
    assert by["heidi", "q1.softmax_offdiag"].status == INVALID
    assert {by["erin", q.id].status for q in rubric.questions} == {INVALID}
    assert {by["ivan", q.id].status for q in rubric.questions} == {INVALID}
    assert all(by["grace", q.id].score == 0 for q in rubric.questions)
    assert {CORRECT, PARTIAL, INCORRECT, MISSING, INVALID} <= {v.status for v in verdicts}


# -- prepare and Verdict ---------------------------------------------------------------------------------
def test_prepare_collects_every_bad_question(prepared, tmp_path, write_rubric):
    from grader.pipeline import load_rubric

    path = write_rubric(tmp_path, """
        title: t
        questions:
          - id: a
            kind: expression
            points: 1
            symbols: {x: {}}
            answer: "y"
          - id: b
            kind: expression
            points: 1
            symbols: {x: {}}
            answer: "x"
          - id: c
            kind: expression
            points: 1
            symbols: {x: {}}
            answer: "x +"
    """)
    with pytest.raises(RubricError) as info:
        prepare(load_rubric(path))
    problems = info.value.problems
    assert len(problems) == 2
    assert problems[0].startswith(f"{path}:7: questions[0].answer: unknown name `y`")
    assert problems[1].startswith(f"{path}:17: questions[2].answer: ")


def test_verdict_statuses():
    assert STATUSES == (CORRECT, PARTIAL, INCORRECT, MISSING, INVALID, ERROR, TIMEOUT)
    assert set(STATUSES) == {"correct", "partial", "incorrect", "missing", "invalid", "error",
                             "timeout"}
    Verdict("s", "q", 0, 1, TIMEOUT)
    with pytest.raises(ValueError):
        Verdict("s", "q", 0, 1, "wrong")


def test_scores_are_clamped_and_rounded(written):
    rubric, checkers = written

    class Generous:
        runs_code = False

        def check(self, answer):
            return Outcome("partial", 1 / 3, "a third")

        def same_meaning(self, a, b):
            return False

    class Greedy(Generous):
        def check(self, answer):
            return Outcome("correct", 1.5, "more than all")

    wrapped = {**checkers, "q1.sigmoid": Generous(), "q1.softplus": Greedy()}
    r = rows(grade(rubric, [sub("s", q1__sigmoid="x", q1__softplus="x")], wrapped), "s")
    assert r["q1.sigmoid"].score == round(4 / 3, 6)
    assert r["q1.softplus"].score == 4


def test_an_id_that_differs_only_in_case_is_the_hint(load_text):
    """q5.net_w1 for q5.net_W1: the case-only match wins over a closer-looking id."""
    rubric = load_text("""
        title: t
        questions:
          - {id: q5.net_W1, kind: number, points: 1, answer: "1"}
          - {id: q5.net_w2, kind: number, points: 1, answer: "2"}
    """)
    r = rows(grade(rubric, [sub("s", q5__net_w1="1", q5__net_w2="2")]), "s")
    assert "did you mean `q5.net_W1`?" in r["q5.net_W1"].feedback
    assert "q5.net_w1" not in r["q5.net_w2"].feedback


def test_check_prints_the_hint_even_on_a_row_with_nothing_else_to_say(tmp_path, write_rubric):
    from click.testing import CliRunner

    from grader.cli import main

    path = write_rubric(tmp_path, """
        title: t
        questions:
          - {id: q5.net_W1, kind: number, points: 1, answer: "1"}
    """)
    answers = tmp_path / "s.yaml"
    answers.write_text("q5.net_W1: 1\nq5.net_w1: 1\n")
    result = CliRunner().invoke(main, ["check", str(path), str(answers)])
    assert result.exit_code == 0
    assert "did you mean `q5.net_W1`?" in result.output


def test_grade_class_without_a_progress_bar(tmp_path, written_hw1_path, submissions_dir):
    from grader.pipeline import grade_class

    result = grade_class(written_hw1_path, submissions_dir, tmp_path / "out", jobs=1)
    assert result.count == len(list(result.table["student"].unique()))
    assert (tmp_path / "out" / "details.csv").is_file()
