"""Plain-text answers files (answers.md, answers.txt, <student>.md): headings or `id:` lines,
backslashes literal; a Markdown file that does not follow the rule is not an answers file."""

from __future__ import annotations

import pytest
from lms_folders import put

from grader.submissions import find_submissions, scan_submissions
from grader.submissions.answerstext import read_answers_text
from grader.submissions.yamlfile import parse_answers

IDS = {"q1.sigmoid", "q2.quadratic", "q4.iterates", "q3.linear"}

ISSUE_EXAMPLE = """\
## q1.sigmoid
f(1 - f)

## q2.quadratic
\\left(A + A^\\top\\right) x + z
"""


def test_the_heading_form_keeps_backslashes():
    read = read_answers_text(ISSUE_EXAMPLE, "answers.md", IDS)
    assert read.answers == {"q1.sigmoid": "f(1 - f)", "q2.quadratic": "\\left(A + A^\\top\\right) x + z"}
    assert read.notes == ()


def test_the_line_form():
    text = "q1.sigmoid: f(1-f)\nq2.quadratic: \\frac{1}{2} (A + A^T) x\nq4.iterates: 50, 75, 87.5\n\n"
    read = read_answers_text(text, "answers.txt", IDS)
    assert read.answers == {"q1.sigmoid": "f(1-f)", "q2.quadratic": "\\frac{1}{2} (A + A^T) x",
                            "q4.iterates": "50, 75, 87.5"}


def test_headings_bodies_lists_fences_comments_and_a_preamble():
    text = """\
# HW1 — Alice Smith (student 1234)

Some words before the first answer are not an answer.

## `q1.sigmoid`
<!-- write your answer below -->
$$ \\sigma(x)\\,(1 - \\sigma(x)) $$

## q4.iterates:
- 50
- 75
* 87.5

## q2.quadratic
```
(A + A^T) x + z
```

## q3.linear

"""
    read = read_answers_text(text, "answers.md", IDS)
    assert read.answers == {"q1.sigmoid": "$$ \\sigma(x)\\,(1 - \\sigma(x)) $$",
                            "q4.iterates": ["50", "75", "87.5"], "q2.quadratic": "(A + A^T) x + z",
                            "q3.linear": None}


def test_misspelt_ids_are_kept_for_the_did_you_mean_and_repeats_noted():
    text = "## q1.sigmoid\nf(1-f)\n\n## q1.sigmod\nx\n\n## q1.sigmoid\nsecond\n"
    read = read_answers_text(text, "answers.md", IDS)
    assert read.answers == {"q1.sigmoid": "f(1-f)", "q1.sigmod": "x"}
    assert read.notes == ("answers.md: `q1.sigmoid` is answered more than once; the first is graded",)


@pytest.mark.parametrize("text", [
    "# Derivation of the gradient\n\nWe start from $\\sigma(x)$ ...\n\n## The chain rule\n...",
    "## Derivation\nsee below\n\n## Conclusion\nf(1-f)\n",      # id-like headings, none a question
    "My answers: f(1-f) and (A + A^T) x + z.\n",
    "Note: q1.sigmoid is f(1-f)\n",
    "answers:\n  q1.sigmoid: f(1-f)\n",                           # YAML, in a .md
    "## q1.sigmoid\nf(1-f)\n\n## Work shown\nlots of algebra\n",  # a heading of that level is not an id
])
def test_what_does_not_follow_the_rule_is_not_an_answers_file(text):
    assert read_answers_text(text, "answers.md", IDS) is None


def test_without_the_rubric_ids_a_heading_must_look_like_an_id():
    assert read_answers_text(ISSUE_EXAMPLE, "a.md").answers["q1.sigmoid"] == "f(1 - f)"
    assert read_answers_text("## The chain rule\nx\n", "a.md") is None


def test_where_plain_answers_files_are_read(tmp_path):
    put(tmp_path / "alice.md", ISSUE_EXAMPLE)
    put(tmp_path / "bob" / "answers.txt", "q1.sigmoid: f - f^2\n")
    put(tmp_path / "carl" / "answers.md", "# just notes\nnothing to grade\n")
    put(tmp_path / "dana" / "hw1.md", "## q1.sigmoid\nf(1-f)\n")           # a single .md that follows the rule
    put(tmp_path / "dana" / "grads.py", "X = 1\n")
    put(tmp_path / "erin" / "writeup.md", "# Derivation\nlots of algebra\n")
    put(tmp_path / "erin" / "grads.py", "X = 1\n")
    put(tmp_path / "fay" / "answers.yaml", "answers:\n  q1.sigmoid: from yaml\n")
    put(tmp_path / "fay" / "answers.md", "## q1.sigmoid\nfrom md\n\n## q2.quadratic\nmd only\n")
    intake = scan_submissions(tmp_path, question_ids=IDS)
    subs = {s.student: s for s in intake.submissions}
    assert subs["alice"].answers["q2.quadratic"] == "\\left(A + A^\\top\\right) x + z"
    assert subs["bob"].answers == {"q1.sigmoid": "f - f^2"}
    # One rule for every .md: headings that are not question ids make it a write-up.
    assert subs["carl"].problem == "" and [n for n, _, _ in subs["carl"].writeups] == ["answers.md"]
    assert any("read as a write-up" in note for note in subs["carl"].notes)
    assert subs["dana"].answers == {"q1.sigmoid": "f(1-f)"} and subs["dana"].problem == ""
    assert subs["erin"].answers == {} and subs["erin"].problem == "", "a write-up is read later"
    assert [(name, kind) for name, kind, _ in subs["erin"].writeups] == [("writeup.md", "md")]
    assert subs["fay"].answers == {"q1.sigmoid": "from yaml", "q2.quadratic": "md only"}


def test_a_markdown_answers_file_avoids_the_yaml_escape_trap(tmp_path):
    """The same LaTeX, in YAML double quotes and in answers.md."""
    answers, problem = parse_answers(b'answers:\n  q2.quadratic: "\\mathrm{diag}(f) x"\n', "a.yaml")
    assert answers == {} and "in double quotes a backslash starts an escape" in problem
    put(tmp_path / "ann" / "answers.md", "## q2.quadratic\n\\mathrm{diag}(f) x\n")
    (sub,) = find_submissions(tmp_path)
    assert sub.answers == {"q2.quadratic": "\\mathrm{diag}(f) x"}


@pytest.mark.parametrize("unit", ["## q1.sigmoid\nx\n", "## a{}\nx\n", "q{}: x\n", "- x\n"])
def test_a_megabyte_of_answers_is_read_quickly_and_bounded(unit):
    import time

    from grader.submissions.yamlfile import MAX_ENTRIES, MAX_LIST

    body = "".join(unit.format(i) for i in range(60_000)) if "{}" in unit else unit * 60_000
    text = ("## q4.iterates\n" + body) if unit == "- x\n" else body
    started = time.perf_counter()
    read = read_answers_text(text, "answers.md", None)
    assert time.perf_counter() - started < 5
    assert len(read.answers) <= MAX_ENTRIES
    assert all(len(v) <= MAX_LIST for v in read.answers.values() if isinstance(v, list))
    assert len(read.notes) <= 1
