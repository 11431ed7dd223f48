"""Answers wrong for their student but right for another student's version: found by hashing the
versions' reference signatures on the tolerance grid (one look-up per wrong answer, then the
question's own check on the few versions found), never by checking every answer against every
version; a row when one other student's version fits at least two questions; listed mistakes
left out."""

from __future__ import annotations

from pathlib import Path

import pytest

from grader.kinds.gd_iterates import IteratesKind
from grader.kinds.number import NumberKind
from grader.pipeline import grade, load_rubric
from grader.submissions import Submission, load_submission
from grader.versions import (COPIED_FEEDBACK, Versions, copied, fits_elsewhere, prepare_version)

RUBRIC = """\
title: copies
versions:
  seed: 5
  draw:
    x0: {choice: [1, 2, -2]}
    y0: {uniform: [10, 1000], round: 2}
questions:
  - id: q.value
    kind: number
    points: 1
    answer: "y0 / x0"
    tolerance: {rtol: 1.0e-4}
  - id: q.sign
    kind: expression
    points: 1
    symbols: {t: {}}
    answer: "x0 t"
    mistakes:
      - answer: "-x0 t"
        feedback: "check the sign"
  - id: q.iterates
    kind: iterates
    points: 2
    loss: "(w x - y)^2 / 2"
    variable: w
    params: {x: x0, y: y0}
    start: 0
    alpha: 0.1
    steps: 3
  - id: q.fixed
    kind: number
    points: 1
    answer: "3"
"""
ROOT = Path(__file__).resolve().parents[2]


def _class(load_text, answers_of, students):
    """Grade a class (each against their own version) as the pipeline will."""
    rubric = load_text(RUBRIC)
    versions = Versions(rubric)
    values = {s: versions.draw(s) for s in students}
    shared: dict = {}
    prepared = {s: prepare_version(rubric, versions, values[s], shared) for s in students}
    verdicts = []
    for student in students:
        submission = Submission(student, answers_of(student, values, prepared))
        verdicts += grade(versions.rubric_for(values[student]), [submission], prepared[student])
    return rubric, versions, values, prepared, verdicts


def _right(prepared, student):
    """Answers right for ``student``'s version."""
    kinds = prepared[student]
    return {"q.value": kinds["q.value"].reference_answer(), "q.sign": kinds["q.sign"].reference_answer(),
            "q.iterates": kinds["q.iterates"].reference_answer(), "q.fixed": "3"}


STUDENTS = [f"s{i:02d}" for i in range(40)]


def test_a_student_with_a_classmates_numbers_is_found(load_text):
    def answers(student, values, prepared):
        if student == "s01":
            return _right(prepared, "s00")   # all of s00's answers
        if student == "s02":
            return {**_right(prepared, "s02"), "q.value": _right(prepared, "s03")["q.value"]}
        return _right(prepared, student)

    rubric, versions, values, prepared, verdicts = _class(load_text, answers, STUDENTS)
    assert values["s00"]["y0"] != values["s01"]["y0"]
    rows = copied(rubric, versions, values, verdicts, prepared)
    (row,) = rows
    assert row.student == "s01" and row.fits == ("s00",)
    expected = [q for q in ("q.value", "q.sign", "q.iterates")
                if versions.key(q, values["s00"]) != versions.key(q, values["s01"])]
    assert list(row.questions) == expected and len(expected) >= 2
    by = {(v.student, v.question): v for v in verdicts}
    assert row.answers == tuple(by[("s01", q)].answer for q in row.questions)
    # one question fitting someone else's version is feedback material, not a row
    fits = fits_elsewhere(rubric, versions, values, verdicts, prepared)
    assert fits[("s02", "q.value")] == ("s03",)
    assert not any(student in ("s00", "s03") for student, _ in fits)
    assert COPIED_FEEDBACK == "this answer fits different parameters than yours"


def test_a_listed_mistake_is_not_evidence(load_text):
    # x0 = 2 and x0 = -2: the sign mistake of one is the answer of the other.
    def answers(student, values, prepared):
        own = _right(prepared, student)
        twin = next((s for s in STUDENTS if values[s]["x0"] == -values[student]["x0"]), None)
        if twin is not None:
            return {**own, "q.sign": _right(prepared, twin)["q.sign"],
                    "q.value": _right(prepared, twin)["q.value"]}
        return own

    rubric, versions, values, prepared, verdicts = _class(load_text, answers, STUDENTS)
    signs = [v for v in verdicts if v.question == "q.sign" and v.status != "correct"]
    assert signs and all(v.mistake == "-x0 t" for v in signs)
    fits = fits_elsewhere(rubric, versions, values, verdicts, prepared)
    assert not any(q == "q.sign" for _, q in fits)
    assert any(q == "q.value" for _, q in fits)


def test_students_sharing_a_version_are_all_named(load_text):
    text_students = STUDENTS

    def answers(student, values, prepared):
        own = _right(prepared, student)
        if student == "s05":
            other = next(s for s in text_students if values[s]["x0"] != values["s05"]["x0"])
            return {**own, "q.sign": _right(prepared, other)["q.sign"]}
        return own

    rubric, versions, values, prepared, verdicts = _class(load_text, answers, STUDENTS)
    fits = fits_elsewhere(rubric, versions, values, verdicts, prepared)
    other_x0 = next(values[s]["x0"] for s in text_students if values[s]["x0"] != values["s05"]["x0"])
    sharing = tuple(sorted(s for s in text_students if values[s]["x0"] == other_x0))
    assert len(sharing) > 1 and fits[("s05", "q.sign")] == sharing


def test_matches_are_found_by_hashing_not_by_checking_every_version(load_text, monkeypatch):
    students = [f"t{i:03d}" for i in range(300)]

    def answers(student, values, prepared):
        own = _right(prepared, student)
        if student == "t007":
            return {**own, "q.value": _right(prepared, "t123")["q.value"],
                    "q.iterates": _right(prepared, "t123")["q.iterates"]}
        return own

    rubric, versions, values, prepared, verdicts = _class(load_text, answers, students)
    assert len({versions.key("q.value", v) for v in values.values()}) > 250
    counts = {"number": 0, "iterates": 0}
    number_check, iterates_check = NumberKind.check, IteratesKind.check

    def counted(name, original):
        def check(self, answer):
            counts[name] += 1
            return original(self, answer)
        return check

    monkeypatch.setattr(NumberKind, "check", counted("number", number_check))
    monkeypatch.setattr(IteratesKind, "check", counted("iterates", iterates_check))
    rows = copied(rubric, versions, values, verdicts, prepared)
    assert [(r.student, r.fits) for r in rows] == [("t007", ("t123",))]
    # the reference signatures come from the prepared versions, without checking anything; the
    # wrong answer is re-read once and confirmed against the few versions the look-up found
    assert 2 <= counts["iterates"] <= 4 and 2 <= counts["number"] <= 4


def test_the_example_class_copies_ana(tmp_path):
    rubric = load_rubric(ROOT / "rubrics" / "hw1_versions.yaml")
    versions = Versions(rubric)
    folder = ROOT / "submissions" / "versions"
    students = sorted(p.stem for p in folder.glob("*.yaml"))
    values = {s: versions.draw(s) for s in students}
    shared: dict = {}
    prepared = {s: prepare_version(rubric, versions, values[s], shared) for s in students}
    verdicts = []
    for student in students:
        verdicts += grade(versions.rubric_for(values[student]),
                          [load_submission(folder / f"{student}.yaml")], prepared[student])
    rows = copied(rubric, versions, values, verdicts, prepared)
    assert [(r.student, r.fits) for r in rows] == [("ben", ("ana",))]
    assert set(rows[0].questions) == {"q4.minimiser", "q4.loss_at_start", "q4.iterates",
                                      "q4.momentum", "q4.converge_range"}
    from grader.versions import COPIED_COLUMNS, copied_columns

    columns = copied_columns(rows)
    assert COPIED_COLUMNS == ("student", "fits", "questions", "answers")
    assert [c[0] for c in columns[:3]] == ["ben", "ana", "; ".join(rows[0].questions)]
    assert columns[3][0].startswith('["70", "9800", ')
    scores = {}
    for v in verdicts:
        scores[v.student] = scores.get(v.student, 0) + v.score
    assert scores["ana"] == scores["dan"] == rubric.max_total
    assert scores["ben"] < 2 and 0 < scores["cleo"] < rubric.max_total


@pytest.mark.parametrize("answer", ["", "not a number"])
def test_unreadable_and_missing_answers_are_never_evidence(load_text, answer):
    def answers(student, values, prepared):
        return {**_right(prepared, student), "q.value": answer} if student == "s01" else \
            _right(prepared, student)

    rubric, versions, values, prepared, verdicts = _class(load_text, answers, STUDENTS[:10])
    assert fits_elsewhere(rubric, versions, values, verdicts, prepared) == {}


def test_only_the_students_that_fit_the_most_are_named():
    """With few values drawn, a classmate who shares part of the copied version fits part of
    the answers: the row names the student whose version fits them all, not that classmate."""
    rubric = load_rubric(ROOT / "rubrics" / "hw1_versions.yaml")
    versions = Versions(rubric)
    ana = versions.draw("ana")
    twin = next(f"t{i}" for i in range(5000)
                if (v := versions.draw(f"t{i}"))["x0"] == ana["x0"] and v["y0"] == ana["y0"]
                and v["a"] != ana["a"])
    students = ["ana", "ben", twin]
    values = {s: versions.draw(s) for s in students}
    shared: dict = {}
    prepared = {s: prepare_version(rubric, versions, values[s], shared) for s in students}
    folder = ROOT / "submissions" / "versions"
    verdicts = []
    for student in students:
        if student == twin:  # right for their own version
            submission = Submission(twin, {q: prepared[twin][q].reference_answer() for q in prepared[twin]})
        else:
            submission = load_submission(folder / f"{student}.yaml")
        verdicts += grade(versions.rubric_for(values[student]), [submission], prepared[student])
    fits = fits_elsewhere(rubric, versions, values, verdicts, prepared)
    assert fits[("ben", "q4.minimiser")] == tuple(sorted(["ana", twin]))
    assert fits[("ben", "q4.iterates")] == ("ana",)
    rows = copied(rubric, versions, values, verdicts, prepared)
    assert [(r.student, r.fits, len(r.questions)) for r in rows] == [("ben", ("ana",), 5)]
