"""Write-ups that try to break the reader: deep nesting, unclosed math and annotations, huge
files, random text. Every one is read (perhaps with nothing found), never an exception."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from grader.writeups import read_writeup

NASTY = [
    "\\boxed{" * 5000 + "x",
    "$$" + "\\underbrace{" * 3000 + "f" + "}_{v}" * 3000 + "$$",
    "$$" + "(" * 10_000 + "$$",
    "$$\\begin{aligned} a &= b \\\\ " * 2000,
    "$" * 200_000,
    "$$" + "x = " * 50_000 + "$$",
    "<!-- q1.sigmoid -->" + "$$\\frac{d f}{d x} = " + "f(1-f) = " * 3000 + "f$$",
    "\\[ \\left( \\right. \\boxed \\underbrace \\cancel{ \\]" * 100,
    "$$ w_1 = 1e999999 = \\frac{1}{0} = 0^{-1} $$",
    "$$" + "\\frac{" * 500 + "1" + "}{2}" * 500 + "$$",
    "$$\\text{" + "let " * 1000 + "}$$",
    "\\begin{equation}" * 20_000,
    "\\[" * 50_000,
    "$a " * 50_000,
    "$$\n" + "a = b \\\\\n" * 20_000 + "$$",
    "\\boxed{a} = " * 10_000,
]


@pytest.mark.parametrize("text", NASTY, ids=range(len(NASTY)))
@pytest.mark.parametrize("kind", ["md", "tex"])
def test_nasty_writeups_are_read_without_error(hw1w, text, kind):
    rubric, prepared = hw1w
    writeup = read_writeup("Q1 (a)\n" + text, kind, rubric, prepared)
    assert set(writeup.reports) == {q.id for q in rubric.questions}


ALPHABET = st.sampled_from(["$", "$$", "\\[", "\\]", "{", "}", "(", ")", "=", "&=", "\\\\", "\n",
                            "\\boxed{", "\\underbrace{", "}_{v}", "\\frac{", "\\partial", "w_1",
                            "f", "x", "1", "-", "\\Rightarrow", "\\text{where }", "%", "<!--",
                            "-->", "(a)", "Question 1", "\\begin{aligned}", "\\end{aligned}",
                            "\\quad", "(\\because", "\\in \\mathbb{R}^{n}", " ", "q1.sigmoid"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(ALPHABET, max_size=80).map("".join), st.sampled_from(["md", "tex"]))
def test_random_writeups_are_read_without_error(hw1w, text, kind):
    rubric, prepared = hw1w
    writeup = read_writeup(text, kind, rubric, prepared)
    for report in writeup.reports.values():
        assert report.steps_checked >= 0 and report.steps_skipped >= 0
