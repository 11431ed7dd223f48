"""LaTeX written in double-quoted YAML arrives mangled (``"\\frac"`` is a form feed and ``rac``):
such an answer is never accepted silently, and the message says how to write it instead."""

from __future__ import annotations

import pytest
import yaml

from grader.answers import ESCAPE_HINT, AnswerError, Namespace, Symbol, read
from grader.answers.intervals import parse_interval

NS = Namespace(symbols={name: Symbol(name) for name in ("x", "beta", "u", "a", "b", "t", "y")})


def _from_double_quotes(latex: str) -> str:
    """What a student's YAML ``q: "<latex>"`` gives the grader."""
    return yaml.safe_load(f'q: "{latex}"')["q"]


MANGLED = [
    # LaTeX as typed inside double quotes, and what the escape became
    (r"\frac{1}{1 + e^{-\beta x}}", "FORM FEED"),
    (r"\beta x", "BACKSPACE"),
    (r"\alpha", "BELL"),
    (r"\vec{x}", "VERTICAL TAB"),
    (r"\eta x", "ESCAPE"),
    (r"\epsilon", "ESCAPE"),
    (r"\tanh(x)", "TAB"),
    (r"\theta + x", "TAB"),
    (r"\tau x", "TAB"),
    (r"\times", "TAB"),
    (r"x^\top x", "TAB"),
    (r"\nabla x", "LINE FEED"),
    (r"\rho x", "CARRIAGE RETURN"),
    (r"\right)", "CARRIAGE RETURN"),
    (r"x\_1", "NO-BREAK SPACE"),
    (r"\Lambda", "U+2028"),
    (r"\Pi x", "U+2029"),
    (r"\Nu", "U+0085"),
]


@pytest.mark.parametrize("latex, name", MANGLED, ids=[m[0] for m in MANGLED])
def test_mangled_latex_is_refused_with_the_hint(latex, name):
    text = _from_double_quotes(latex)
    assert text != latex  # YAML did mangle it
    with pytest.raises(AnswerError) as info:
        read(text, NS)
    message = info.value.message
    assert ESCAPE_HINT in message
    assert name in message
    assert "single quotes" in message and "`|`" in message


def test_the_message_names_the_command_it_probably_was():
    with pytest.raises(AnswerError) as info:
        read(_from_double_quotes(r"\frac{1}{x}"), NS)
    assert "`\\f`" in info.value.message and "(as in `\\frac`)" in info.value.message


@pytest.mark.parametrize("latex", [r"x + \nu", r"\nu x"])
def test_a_failed_parse_of_text_with_a_newline_where_a_command_was_gets_the_hint(latex):
    """``\\nu`` becomes a newline and ``u``: that alone may be a line break in a multi-line
    answer, so it is refused only when the text does not read; then the hint is added."""
    text = _from_double_quotes(latex)
    with pytest.raises(AnswerError) as info:
        read(text, Namespace(symbols={"x": Symbol("x")}))
    assert ESCAPE_HINT in info.value.message


@pytest.mark.parametrize("text", [
    "\\frac{1}{1 + e^{-\\beta x}}",  # the same LaTeX from single quotes or a block: fine
    "x +\n  beta\n",  # a multi-line answer from a `|` block
    "\\frac{1}{2}\n(x - y)^2\n",
    "x\t+\ty",  # tabs between tokens
    "x\u00a0+\u00a0y",  # no-break spaces pasted from a web page
    "2\u00a0x",
])
def test_ordinary_whitespace_is_still_whitespace(text):
    read(text, NS)


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x1f", "\x7f", "\x85", "\x9f", "\u2028", "\u2029"])
def test_every_control_character_is_refused(char):
    with pytest.raises(AnswerError) as info:
        read(f"x {char} y", NS)
    assert ESCAPE_HINT in info.value.message
    assert info.value.span == (2, 3)


def test_unrelated_parse_errors_get_no_hint():
    with pytest.raises(AnswerError) as info:
        read("x +", NS)
    assert ESCAPE_HINT not in info.value.message


def test_intervals_refuse_control_characters_too():
    ns = Namespace(symbols={"alpha": Symbol("alpha")})
    with pytest.raises(AnswerError) as info:
        parse_interval(_from_double_quotes(r"0 < \alpha < 2"), {"alpha"}, ns)
    assert ESCAPE_HINT in info.value.message
