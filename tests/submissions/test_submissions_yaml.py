"""Reading an answers YAML file: every scalar stays the student's text, nothing becomes a
Python object, and anything unreadable is a problem message, never a crash."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from grader.submissions import (
    MAX_FILE_BYTES,
    MAX_LIST,
    find_submissions,
    is_blank,
    parse_answers,
    read_answers,
)


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


# -- content -----------------------------------------------------------------------------------------
def test_scalars_stay_the_students_text(tmp_path):
    path = write(tmp_path / "s.yaml", """\
answers:
  yes_no: yes
  off: off
  half: 0.50
  big: 1e3
  octal: 010
  null_word: null
  tilde: ~
  empty: ""
  blank:
  list: [n, 1]
  nested: {a: 1}
  quoted: "  f (1 - f)  "
  ' spaced ': x
  7: seven
""")
    answers, problem = read_answers(path)
    assert problem == ""
    assert answers["yes_no"] == "yes"
    assert answers["off"] == "off"
    assert answers["half"] == "0.50"
    assert answers["big"] == "1e3"
    assert answers["octal"] == "010"
    assert answers["null_word"] is None
    assert answers["tilde"] is None
    assert answers["empty"] is None
    assert answers["blank"] is None
    assert answers["list"] == ["n", "1"]
    assert answers["nested"] == {"a": "1"}
    assert answers["quoted"] == "  f (1 - f)  "
    assert answers["spaced"] == "x", "ids are trimmed"
    assert answers["7"] == "seven", "ids are text"


def test_a_mapping_without_answers_key_is_the_answers(tmp_path):
    path = write(tmp_path / "s.yaml", "q1: x\nq2: y\n")
    assert read_answers(path) == ({"q1": "x", "q2": "y"}, "")


def test_utf8_bom_is_fine(tmp_path):
    path = write(tmp_path / "s.yaml", "\ufeffanswers:\n  q1: σ(x)\n".encode("utf-8"))
    assert read_answers(path) == ({"q1": "σ(x)"}, "")


def test_long_lists_are_cut(tmp_path):
    path = write(tmp_path / "s.yaml", "answers:\n  q: [" + ", ".join(["a"] * (MAX_LIST + 50)) + "]\n")
    answers, problem = read_answers(path)
    assert problem == ""
    assert len(answers["q"]) == MAX_LIST


@pytest.mark.parametrize(("content", "expected"), [
    ("", "s.yaml: the file is empty"),
    ("  \n\n \n", "s.yaml: the file is empty"),
    (b"\x00\x01\x02\x03binary", "s.yaml: not a text file"),
    (b"answers:\n  q: caf\xe9\n", "s.yaml: not UTF-8 text"),
    ("- f (1 - f)\n- n x 1\n", "s.yaml: expected `answers:` followed by question ids, found a list"),
    ("just some words\n", "s.yaml: expected `answers:` followed by question ids, found plain text"),
    ("answers:\n  - a\n  - b\n", "s.yaml: `answers:` must map question ids to answers"),
    ("answers: x\n", "s.yaml: `answers:` must map question ids to answers"),
    ('answers:\n  q1: "f (1 - f)\n  q2: [unclosed\n', "s.yaml: not valid YAML (line "),
    ("answers:\n  q1: [a, b\n  q2: x\n", "s.yaml: not valid YAML (line "),
    ("answers:\n  q: &a [x]\n  r: *a\n", "s.yaml: not valid YAML (line 3, column 6): aliases"),
    ("answers:\n  q: " + "[" * 5000 + "]" * 5000 + "\n", "s.yaml: nested too deeply"),
], ids=["empty", "whitespace", "binary", "latin-1", "top-level list", "plain text",
        "answers is a list", "answers is text", "unclosed quote", "unclosed bracket", "alias",
        "deep nesting"])
def test_unreadable_content_is_a_problem_not_a_crash(tmp_path, content, expected):
    path = write(tmp_path / "s.yaml", content)
    answers, problem = read_answers(path)
    assert answers == {}
    assert problem.startswith(expected), problem


def test_too_large_file(tmp_path):
    path = write(tmp_path / "s.yaml", "answers:\n  q: " + "x" * (2 * 1024 * 1024) + "\n")
    assert path.stat().st_size > MAX_FILE_BYTES
    answers, problem = read_answers(path)
    assert answers == {}
    assert problem.startswith("s.yaml: file too large (")


def test_alias_bombs_are_refused_quickly(tmp_path):
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [" + ", ".join([f"*a{level - 1}"] * 9) + "]")
    path = write(tmp_path / "bomb.yaml", "\n".join(lines) + "\nanswers:\n  q1.sigmoid: *a9\n")
    start = time.perf_counter()
    (sub,) = find_submissions(tmp_path)
    assert time.perf_counter() - start < 2
    assert sub.answers == {}
    assert "aliases (*name) are not allowed" in sub.problem
    assert path.stat().st_size < 2000


def test_an_anchor_without_alias_is_harmless(tmp_path):
    path = write(tmp_path / "s.yaml", "answers:\n  q: &a x\n")
    assert read_answers(path) == ({"q": "x"}, "")


def test_python_tags_build_nothing(tmp_path, monkeypatch):
    path = write(tmp_path / "s.yaml",
                 "answers:\n  q: !!python/object/apply:os.system ['echo pwned']\n  r: !!int 5\n")
    monkeypatch.setattr("os.system", lambda *a: pytest.fail("os.system was called"))
    # tags are ignored: only text, lists and mappings are ever built
    assert read_answers(path) == ({"q": ["echo pwned"], "r": "5"}, "")


def test_is_blank():
    assert is_blank(None) and is_blank([])
    assert not is_blank("x") and not is_blank(["x"]) and not is_blank("0")


@pytest.fixture(params=["default", "pure-python"])
def loader(request, monkeypatch):
    """Run a test with the default YAML loader (libyaml when present) and the pure-Python one."""
    import grader.submissions.yamlfile as module

    if request.param == "pure-python":
        monkeypatch.setattr(module, "_LOADER", module._NoAliasLoader)
    return request.param


def test_both_loaders_read_the_same(tmp_path, loader):
    path = write(tmp_path / "s.yaml", "answers:\n  a: yes\n  b: 0.50\n  c: [n, 1]\n  d: ~\n")
    assert read_answers(path) == ({"a": "yes", "b": "0.50", "c": ["n", "1"], "d": None}, "")


def test_both_loaders_refuse_aliases(tmp_path, loader):
    path = write(tmp_path / "s.yaml", "x: &a [f]\nanswers:\n  q: [*a, *a]\n")
    answers, problem = read_answers(path)
    assert answers == {}
    assert problem == ("s.yaml: not valid YAML (line 3, column 7): aliases (*name) are not allowed\n"
                       "line 3:   q: [*a, *a]\n"
                       + " " * len("line 3:   q: [") + "^")


def test_parse_answers_reads_bytes_as_read_answers_reads_the_file(tmp_path):
    text = "answers:\n  q1: f (1 - f)\n  q2: [n, 1]\n"
    path = write(tmp_path / "s.yaml", text)
    assert parse_answers(text.encode(), "s.yaml") == read_answers(path) == ({"q1": "f (1 - f)", "q2": ["n", "1"]}, "")


# -- what a student reads when YAML refuses their file -----------------------------------------
def _caret_column(message: str) -> int:
    """The column (0-based, in the shown line's text) the caret line points at."""
    lines = message.split("\n")
    shown, caret = lines[1], lines[2]
    return caret.index("^") - (shown.index(": ") + 2)


@pytest.mark.parametrize(("text", "problem", "shown", "at", "hint"), [
    ('answers:\n  q1: "\\mathrm{x}"\n', "found unknown escape character", '  q1: "\\mathrm{x}"', 7,
     "in double quotes a backslash starts an escape; write LaTeX in single quotes or after `|`"),
    ("answers:\n\tq1: x\n", "found character that cannot start any token", "→q1: x", 0,
     "that is a tab (shown as →): YAML indents with spaces, never tabs"),
    ('answers:\n  q1: "f (1 - f)\n  q2: x\n', "found unexpected end of stream", '  q1: "f (1 - f)', 6,
     'the " opened on line 2 is never closed: end the answer with " on the same line'),
    ("answers:\n  q1: a: b\n", "mapping values are not allowed", "  q1: a: b", 7,
     "a `: ` inside an answer (put the answer in single quotes), or a line indented deeper than the one before it"),
    ("answers:\n  q1: x\n q2: y\n", "did not find expected key", " q2: y", 1,
     "check the indentation: every question id under `answers:` starts in the same column"),
    ("answers:\n  q1: [a, b\n  q2: x\n", "did not find expected ',' or ']'", "  q1: [a, b", 6,
     "the `[` opened on line 2 is not closed; if the answer itself starts with `[`, put it in single quotes"),
    ("answers:\n  q1: `x`\n", "found character that cannot start any token", "  q1: `x`", 6,
     "an answer cannot start with '`' in YAML: put it in single quotes"),
])
def test_yaml_errors_name_the_line_show_it_and_say_what_is_usually_wrong(text, problem, shown, at, hint):
    _, message = parse_answers(text.encode(), "s.yaml")
    lines = message.split("\n")
    assert lines[0].startswith("s.yaml: not valid YAML (line ") and problem in lines[0]
    assert lines[1].split(": ", 1)[1] == shown
    assert _caret_column(message) == at
    assert lines[3] == hint


def test_the_escape_hint_is_the_answer_language_s():
    from grader.answers import ESCAPE_HINT

    _, message = parse_answers(b'answers:\n  q1: "\\frac{1}{2} \\sigma"\n', "s.yaml")
    assert message.endswith(ESCAPE_HINT)


def test_a_long_line_is_shown_around_the_spot():
    text = "answers:\n  q1: '" + "x" * 300 + "\n"
    _, message = parse_answers(text.encode(), "s.yaml")
    assert all(len(line) < 140 for line in message.split("\n"))
