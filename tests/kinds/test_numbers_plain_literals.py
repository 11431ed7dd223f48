"""``number_value`` reads a plain literal (``2``, ``-0.08``, ``1e-05``) or a Python number without
the parser: the value must be exactly what the answer language gives, and everything else must
still go through the language (its errors included)."""

from __future__ import annotations

import math
import random

import pytest

from grader.answers import AnswerError, evaluate, read
from grader.kinds.support import numbers
from grader.kinds.support.numbers import number_value


def _parsed(text):
    expression = read(str(text), numbers._NO_NAMES)
    return float(evaluate(expression.tree, numbers._NO_NAMES, {}, {}, 1)[0])


def _outcome(read_number, text):
    try:
        value = read_number(text)
    except AnswerError:
        return "error"
    return "nan" if math.isnan(value) else (value, math.copysign(1, value))


def test_plain_literals_read_as_the_language_reads_them():
    rng = random.Random(7)
    for _ in range(5000):
        text = (rng.choice(["", "-"]) + str(rng.randint(0, 10 ** rng.randint(0, 20)))
                + rng.choice(["", "." + str(rng.randint(0, 10 ** rng.randint(0, 18)))])
                + rng.choice(["", f"e{rng.randint(-330, 330)}", f"E+{rng.randint(0, 40)}"]))
        assert _outcome(number_value, text) == _outcome(_parsed, text), text


@pytest.mark.parametrize("text", ["1e400", "-1e999", " 2", "2 ", "+2", "٣", "2.", ".5", "0x10",
                                  "1_000", "nan", "inf", "True", "", "2,5", "1e", "--2"])
def test_other_texts_go_through_the_language(text):
    assert _outcome(number_value, text) == _outcome(_parsed, text)


@pytest.mark.parametrize("value", [3, -0.0, 2.5, 10 ** 400, True])
def test_python_numbers(value):
    assert _outcome(number_value, value) == _outcome(_parsed, value)
