"""The realistic class generator (benchmarks/realistic.py): the grader agrees with the labels
its model of students gives, the mix of verdicts is the one the model intends, and a class is
reproducible from its seed."""

from __future__ import annotations

import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))

import mathforms as mf  # noqa: E402
import realistic  # noqa: E402

from grader.pipeline import grade, load  # noqa: E402
from grader.submissions import find_submissions  # noqa: E402

#: The grader's statuses that each label of the model allows.
ALLOWED = {realistic.CORRECT: {"correct"}, realistic.WRONG: {"incorrect", "partial"},
           realistic.INVALID: {"invalid"}}
STATUS_LABEL = {"correct": realistic.CORRECT, "incorrect": realistic.WRONG,
                "partial": realistic.WRONG, "invalid": realistic.INVALID}
STUDENTS = 300


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """300 generated students, graded on the written part of HW1."""
    tmp = tmp_path_factory.mktemp("realistic")
    students = realistic.generate(STUDENTS, tmp / "subs", seed=7)
    data = yaml.safe_load((ROOT / "rubrics" / "hw1.yaml").read_text())
    data["questions"] = [q for q in data["questions"] if q["kind"] != "function"]
    rubric_path = tmp / "hw1_written.yaml"
    rubric_path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    rubric, prepared = load(rubric_path)
    verdicts = grade(rubric, find_submissions(tmp / "subs"), prepared)
    return students, {(v.student, v.question): v for v in verdicts}, rubric


def test_every_question_of_the_written_part_is_generated(graded):
    _, _, rubric = graded
    assert realistic.QUESTIONS == [q.id for q in rubric.questions]


def test_the_grader_gives_each_answer_the_status_its_label_intends(graded):
    students, verdicts, _ = graded
    disagreements = []
    for student in students:
        for question, label in student.labels.items():
            verdict = verdicts[(student.student, question)]
            if verdict.status not in ALLOWED[label]:
                disagreements.append((question, label, verdict.status,
                                      student.answers[question], verdict.feedback[:60]))
    assert not disagreements, "\n".join(map(repr, disagreements))


def test_broken_files_and_missing_answers_keep_their_status(graded):
    students, verdicts, rubric = graded
    broken = [s for s in students if s.broken is not None]
    assert broken, "the class should hold a broken file or two"
    for student in students:
        for question in rubric.questions:
            status = verdicts[(student.student, question.id)].status
            if student.broken is not None:
                assert status == "invalid"
            elif question.id not in student.labels:
                assert status == "missing"


def test_the_mix_of_verdicts_per_question_is_the_one_the_model_intends(graded):
    students, verdicts, rubric = graded
    observed: dict[str, Counter] = defaultdict(Counter)
    for (student, question), verdict in verdicts.items():
        if verdict.status in STATUS_LABEL:
            observed[question][STATUS_LABEL[verdict.status]] += 1
    for question in rubric.questions:
        counts = observed[question.id]
        total = sum(counts.values())
        assert total > 0.9 * STUDENTS
        for label, share in realistic.intended(question.id).items():
            # Loose: a sanity check of the model (about 3.5 standard errors at 300 students).
            assert abs(counts[label] / total - share) < 0.1, (question.id, label, counts)


def test_a_class_is_reproducible_and_students_do_not_depend_on_the_class_size():
    small, large = realistic.make_class(40, seed=3), realistic.make_class(80, seed=3)
    assert small == large[:40]
    assert realistic.make_class(40, seed=3) == small
    other = realistic.make_class(40, seed=4)
    assert [s.answers for s in other] != [s.answers for s in small]


def test_answers_vary_like_a_real_class_with_a_long_tail():
    students = realistic.make_class(1000, seed=1)
    counts = realistic.distinct_counts(s.answers for s in students)
    expressions = [counts[q] for q in realistic.EXPRESSIONS]
    # Real classes of 1,000 give 50-300 distinct texts per expression question.
    assert min(expressions) >= 100 and max(expressions) <= 500, counts
    # Yet the most common text of each expression question is shared by many students.
    for question in realistic.EXPRESSIONS:
        top = Counter(realistic.answer_key(s.answers[question]) for s in students
                      if question in s.answers).most_common(1)[0][1]
        assert top >= 50, (question, top)


def test_written_class_files_read_back_as_generated(tmp_path):
    students = realistic.generate(30, tmp_path / "subs", code=True, seed=5)
    found = {s.student: s for s in find_submissions(tmp_path / "subs")}
    assert set(found) == {s.student for s in students}
    for student in students:
        if student.broken is None:
            read = {q: v for q, v in found[student.student].answers.items() if v is not None}
            assert read == {q: v for q, v in student.answers.items() if v not in ("", "null")}
        assert len(found[student.student].code) == 1
    sources = [p.read_text() for p in (tmp_path / "subs").glob("*.py")]
    assert len(set(sources)) == len(sources)  # each file distinct: none is run only once for many


# -- the grammar of forms ----------------------------------------------------------------------
SHAPES = {"A": ("n", "n"), "x": ("n", 1), "z": ("n", 1), "w": ("n", 1)}


def test_canonical_forms_render_in_a_plain_default_style():
    render = mf.Renderer(mf.Style(), random.Random(0), SHAPES)
    assert render(mf.parse("(A + A^T)*x + z")) == "(A + A^T) x + z"
    assert render(mf.parse("exp(-x)/(1+exp(-x))^2")) == "exp(-x)/(1 + exp(-x))^2"
    latex = mf.Style(latex=True, frac=r"\frac", exp="e^{}", transpose=r"^\top")
    assert mf.Renderer(latex, random.Random(0), SHAPES)(
        mf.parse("exp(-x)/(1+exp(-x))^2")) == r"\frac{e^{-x}}{(1 + e^{-x})^2}"


def test_a_slip_always_changes_the_tree_and_never_transposes_a_scalar():
    rng = random.Random(0)
    tree = mf.parse("(w^T*x - y)*x")
    for _ in range(200):
        slipped, kind = mf.slip(tree, rng, SHAPES)
        assert slipped != tree
        if kind == "transpose":
            assert "T(arg=Sym(name='y'))" not in repr(slipped)


def test_rewrites_keep_matrix_products_in_order():
    rng = random.Random(0)
    tree = mf.parse("X^T*(X*w - y)")
    shapes = {"X": ("n", "m"), "w": ("m", 1), "y": ("n", 1)}
    for _ in range(100):
        again = mf.rewrite(tree, rng, shapes, shuffle=1.0, brackets=0.0)
        assert isinstance(again, mf.Mul) and again.factors[0] == mf.T(mf.Sym("X"))


def test_answers_written_differently_are_judged_as_if_each_were_checked_alone(graded):
    """A kind judges equal parse trees (expressions) or equal numbers read (iterates) once; every
    outcome must equal what the kind says of that text when it has judged nothing before."""
    from grader.grading import _safe_check, prepare

    students, _, rubric = graded
    shared, fresh = prepare(rubric), prepare(rubric)
    texts = {q.id: sorted({str(s.answers[q.id]) for s in students if q.id in s.answers})
             for q in rubric.questions if q.kind in ("expression", "matrix_expression", "gd_iterates")}
    reused = 0
    for qid, answers in texts.items():
        for text in answers:
            memoised = _safe_check(shared[qid], text)
            fresh[qid]._judged.clear()
            alone = _safe_check(fresh[qid], text)
            assert (memoised.status, memoised.fraction, memoised.feedback, memoised.mistake) == \
                (alone.status, alone.fraction, alone.feedback, alone.mistake), (qid, text)
            assert (memoised.signature is None) == (alone.signature is None)
            if memoised.signature is not None and not isinstance(memoised.signature, str):
                np.testing.assert_array_equal(memoised.signature, alone.signature)
        reused += len(answers) - len(shared[qid]._judged)
    assert reused > len(texts), "answers should share a tree or the numbers read"
