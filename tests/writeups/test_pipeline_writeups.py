"""Write-ups end to end: a class folder with .tex and .md write-ups graded by `grader grade`, the
answers they hold checked like any answer, their steps reported, and the one rule shared with
plain answers files (headings that are question ids → answers file; otherwise a write-up)."""

from __future__ import annotations

from pathlib import Path

from grader.pipeline import grade, load
from grader.submissions import find_submissions

ROOT = Path(__file__).resolve().parents[2]
RUBRIC = ROOT / "rubrics" / "hw1_writeup.yaml"
EXAMPLES = ROOT / "submissions" / "writeups"


def _rows(folder):
    rubric, prepared = load(RUBRIC)
    return rubric, {(v.student, v.question): v for v in grade(rubric, find_submissions(folder), prepared)}


def test_the_example_writeups_are_graded_from_their_own_derivations():
    rubric, rows = _rows(EXAMPLES)
    assert {rows["lee", q.id].status for q in rubric.questions} == {"correct"}
    kim = rows["kim", "q4.iterates_a05"]
    assert kim.status == "partial"
    assert "in your w_3 line, 75 − 0.5 × (75 − 100) is 87.5, not 85" in kim.feedback
    assert rows["kim", "q1.sigmoid"].feedback.startswith("read ")


def test_a_markdown_file_with_question_id_headings_is_an_answers_file(tmp_path):
    (tmp_path / "amy.md").write_text("## q1.sigmoid\nf(1 - f)\n")
    (tmp_path / "bo.md").write_text("Q1 (a) sigmoid: $$\\frac{d}{dx}\\sigma = \\boxed{f(1-f)}$$\n")
    subs = {s.student: s for s in find_submissions(tmp_path)}
    assert subs["amy"].answers == {"q1.sigmoid": "f(1 - f)"} and not subs["amy"].writeups
    assert subs["bo"].answers == {} and [k for _, k, _ in subs["bo"].writeups] == ["md"]


def test_a_question_that_cannot_be_located_is_missing_with_the_pattern_named(tmp_path):
    (tmp_path / "cy.tex").write_text("\\section*{Notes}\nNothing here.\n")
    rubric, rows = _rows(tmp_path)
    first = rows["cy", rubric.questions[0].id]
    assert first.status == "missing"
    assert first.feedback and first.feedback != "no answer"
