"""Each question's part: markers, `locate:` (one pattern or a list in order), `until:`, and
what a question that cannot be located says."""

from __future__ import annotations

from types import SimpleNamespace as Q

from grader.writeups.extract import extract
from grader.writeups.locate import locate_parts

HANDOUT = """Question 1
(a) first $f(b) = 1$
$$a = 1$$
(b) second
$$b = 2$$
Question 2
(a) third
$$c = 3$$
Programming part
$$d = 4$$
"""


def parts(text, questions, kind="md"):
    doc = extract(text, kind, {q.id for q in questions})
    found, problems = locate_parts(doc, questions)
    return {k: (doc.line_of(p.start), doc.line_of(p.end)) for k, p in found.items()}, problems, found


def test_patterns_in_order_after_the_previous_start_and_ends_at_the_next_part():
    questions = [Q(id="q1.a", locate=["Question\\s*1", "\\(a\\)"], until=None),
                 Q(id="q1.b", locate="\\(b\\)", until=None),
                 Q(id="q2.a", locate=["Question\\s*2", "\\(a\\)"], until="Programming")]
    found, problems, raw = parts(HANDOUT, questions)
    assert problems == {}
    # A part starts at the last match ("(a)"), so "Question 2" ends the part before it.
    assert found == {"q1.a": (2, 4), "q1.b": (4, 7), "q2.a": (7, 9)}
    assert raw["q2.a"].how == "locate `\\(a\\)`"


def test_prose_is_searched_before_the_math():
    # `(b)` first occurs in the formula f(b) = 1, which is not a heading.
    questions = [Q(id="q1.b", locate="\\(b\\)", until=None)]
    found, _, _ = parts(HANDOUT, questions)
    assert found["q1.b"][0] == 4


def test_a_pattern_that_finds_nothing_is_named():
    questions = [Q(id="q1.a", locate=["Question\\s*1", "\\(a\\)"], until=None),
                 Q(id="q3.a", locate=["Question\\s*3", "\\(a\\)"], until=None)]
    found, problems, _ = parts(HANDOUT, questions)
    assert "q3.a" not in found
    assert problems["q3.a"] == ("could not find this question's part: `Question\\s*3` (locate[0]) "
                                "found nothing in the write-up")
    _, problems, _ = parts(HANDOUT, [Q(id="q3.a", locate="Question\\s*3", until=None)])
    assert problems["q3.a"] == ("could not find this question's part: `Question\\s*3` (locate) "
                                "found nothing in the write-up")


def test_a_skipped_sub_part_is_missing_not_found_in_the_next_section():
    questions = [Q(id="q1.a", locate=["Question\\s*1", "\\(a\\)"], until=None),
                 Q(id="q1.c", locate=["Question\\s*1", "\\(c\\)"], until=None),
                 Q(id="q2.a", locate=["Question\\s*2", "\\(a\\)"], until=None)]
    text = HANDOUT.replace("(b) second", "(c) third") + "(c) in question 2\n"
    found, problems, _ = parts(text, questions)
    assert found["q1.c"] == (4, 7)
    found, problems, _ = parts(HANDOUT + "(c) in question 2\n", questions)
    assert "q1.c" not in found
    assert problems["q1.c"] == ("could not find this question's part: `\\(c\\)` (locate[1]) found "
                                "nothing between `Question 1` (line 1) and `Question 2` (line 6)")
    assert found["q2.a"] == (7, 12)


def test_lists_find_their_section_even_when_earlier_questions_are_missing():
    questions = [Q(id="q9.a", locate=["Question\\s*9", "\\(a\\)"], until=None),
                 Q(id="q2.a", locate=["Question\\s*2", "\\(a\\)"], until=None)]
    found, problems, _ = parts(HANDOUT, questions)
    assert "q9.a" in problems
    assert found["q2.a"] == (7, 11)


def test_a_question_without_locate_or_marker_says_how_to_mark_it():
    _, problems, _ = parts(HANDOUT, [Q(id="q1.a", locate=None, until=None)])
    assert problems["q1.a"] == ("the rubric gives no `locate:` for q1.a and the write-up has no "
                                "marker `<!-- q1.a -->`")
    _, problems, _ = parts(HANDOUT, [Q(id="q1.a", locate=None, until=None)], kind="tex")
    assert "`% q1.a`" in problems["q1.a"]


def test_markers_locate_without_patterns_in_any_order():
    text = "<!-- q2 -->\n$$b = 2$$\n<!-- q1 -->\n$$a = 1$$\n"
    found, problems, _ = parts(text, [Q(id="q1", locate=None, until=None),
                                      Q(id="q2", locate="nothing", until=None)])
    assert problems == {}
    assert found == {"q2": (1, 3), "q1": (3, 5)}


def test_latex_markers_and_answer_environment():
    text = ("\\begin{document}\n% q1\n$a = 1$\n\\begin{answer}{q2}\n$b = 2$\n\\end{answer}\n"
            "$c = 3$\n\\end{document}\n")
    found, problems, _ = parts(text, [Q(id="q1", locate=None, until=None),
                                      Q(id="q2", locate=None, until=None)], kind="tex")
    assert problems == {}
    assert found["q1"] == (2, 4)
    assert found["q2"] == (4, 6)
