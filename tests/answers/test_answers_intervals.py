"""The interval reader shares the answer language's tokens: what the new comparison tokens must
not do there."""

from __future__ import annotations

import pytest

from grader.answers import AnswerError, Namespace, Symbol
from grader.answers.intervals import parse_interval

NS = Namespace(symbols={"alpha": Symbol("alpha")})


@pytest.mark.parametrize("text", ["alpha != 2", "alpha ≠ 2", r"alpha \neq 2", "alpha == 1"])
def test_equality_is_not_an_interval(text):
    with pytest.raises(AnswerError) as info:
        parse_interval(text, {"alpha"}, NS)
    assert "write an inequality with <, <=, > or >=" in info.value.message


@pytest.mark.parametrize("text, shown", [
    ("0 < alpha <= 2", "(0, 2]"),
    (r"0 < \alpha \le 2", "(0, 2]"),
    ("(0, 2) U (3, 4]", "(0, 2) U (3, 4]"),
])
def test_intervals_still_read(text, shown):
    assert parse_interval(text, {"alpha"}, NS).show() == shown
