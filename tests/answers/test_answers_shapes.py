"""Rejected answers: shape errors that name both shapes, unknown names and commands, brackets
with the caret under the right character, empty input, arity, and how errors are formatted."""

from __future__ import annotations

import pytest

from answers_cases import NAMESPACES
from grader.answers import AnswerError, read

MAT = NAMESPACES["mat"]
SCALARS = NAMESPACES["s"]


def _error(text: str, ns=MAT) -> AnswerError:
    with pytest.raises(AnswerError) as info:
        read(text, ns)
    return info.value


def _caret_line(err: AnswerError) -> str:
    lines = str(err).splitlines()
    assert len(lines) == 3, str(err)
    return lines[2]


def _caret(err: AnswerError) -> tuple[int, int]:
    """(column, width) of the caret under the student's text."""
    line = _caret_line(err)
    assert set(line) <= {" ", "^"} and "^" in line, line
    start = line.index("^")
    return start, len(line) - start


# -- shapes ------------------------------------------------------------------------------------

SHAPE_ERRORS = [
    # text, fragments the message must contain (both shapes, the operation)
    ("diag(f) - f^T f", ["subtract", "n x n", "1 x 1"]),
    ("x + 1", ["add", "n x 1", "1 x 1"]),
    ("1 - x", ["subtract", "1 x 1", "n x 1"]),
    ("exp(x) + 1", ["add", "n x 1", "1 x 1"]),
    ("W x + x", ["add", "m x 1", "n x 1"]),
    ("A + W", ["add", "n x n", "m x n"]),
    ("x + x^T", ["add", "n x 1", "1 x n", "transpose"]),
    ("x W", ["multiply", "n x 1", "m x n"]),
    ("A^T x^T", ["multiply", "n x n", "1 x n"]),
    ("x^T b", ["cannot multiply 1 x n by m x 1"]),
    ("x x", ["multiply", "n x 1", "n x 1", "transpose"]),
    ("W W", ["multiply", "m x n", "m x n"]),
    ("A b", ["multiply", "n x n", "m x 1"]),
    ("(w^T x - y) x", ["subtract", "1 x 1", "m x 1"]),
    ("W^2", ["m x n", "square"]),
    ("x^2", ["n x 1", "square"]),
    ("X^{-1}", ["n x m", "square"]),
    ("A^{0.5}", ["whole number"]),
    ("A^c", ["whole number"]),
    ("c^x", ["exponent", "n x 1"]),
    ("1/x", ["divide", "n x 1"]),
    ("A/(x^T A)", ["divide", "1 x n"]),
    ("diag(W)", ["diag", "m x n"]),
    ("det(W)", ["square", "m x n"]),
    ("trace(X)", ["square", "n x m"]),
    ("inv(W)", ["square", "m x n"]),
    ("hadamard(x, b)", ["n x 1", "m x 1"]),
    ("x ⊙ x^T", ["n x 1", "1 x n"]),
    ("softmax(A)", ["softmax", "n x n"]),
    ("max(x, b)", ["n x 1", "m x 1"]),
    ("I b", ["multiply", "n x n", "m x 1"]),
]


@pytest.mark.parametrize("text, fragments", SHAPE_ERRORS, ids=[t for t, _ in SHAPE_ERRORS])
def test_shape_error_names_both_shapes(text, fragments):
    err = _error(text)
    for fragment in fragments:
        assert fragment in err.message, (fragment, err.message)
    assert err.text == text
    rendered = str(err)
    assert rendered.startswith(err.message)
    assert text in rendered
    assert "Traceback" not in rendered


def test_shape_error_points_at_the_operation():
    # The caret spans the bracketed subtraction, not the whole answer.
    err = _error("2 x^T (diag(f) - f^T f)")
    assert _caret(err) == (6, len("(diag(f) - f^T f)"))
    err = _error("A x + x W")
    assert _caret(err) == (6, 3)


def test_declared_function_takes_scalars():
    ns = NAMESPACES["s"]
    # In the scalar namespace everything is a scalar; a vector argument needs the matrix one.
    from grader.answers import Namespace, Symbol

    vector_ns = Namespace(symbols={"v": Symbol("v", ("n", 1)), "x": Symbol("x")},
                          functions=dict(ns.functions), dims=frozenset({"n"}))
    err = _error("f(v)", vector_ns)
    assert "f() takes scalars" in err.message and "n x 1" in err.message


# -- names, commands, characters ---------------------------------------------------------------

def test_unknown_name_lists_what_the_question_knows():
    ns = NAMESPACES["lin"]  # w, x, y
    err = _error("y + z", ns)
    assert err.message.startswith("unknown name `z`: this question knows")
    for known in ("w", "x", "y"):
        assert known in err.message
    assert _caret(err) == (4, 1)
    err = _error("x + q", NAMESPACES["T"])
    assert err.message == "unknown name `q`: this question knows T, x"


def test_unknown_name_y_in_a_question_without_y():
    err = _error("y", NAMESPACES["T"])
    assert "unknown name `y`: this question knows" in err.message


def test_unknown_latex_command():
    err = _error("\\foo{x} + 1", SCALARS)
    assert "unknown LaTeX command \\foo" in err.message
    assert _caret(err) == (0, 4)
    err = _error("x + \\mathfrak{x}", SCALARS)
    assert "\\mathfrak" in err.message
    assert _caret(err) == (4, len("\\mathfrak"))


@pytest.mark.parametrize("text, hint", [
    ("\\sum_i x_i", "sum(...)"),
    ("\\int x", "integrals"),
    ("\\partial x", "derivative"),
    ("x \\pm 1", "one expression"),
])
def test_unsupported_latex_has_a_hint(text, hint):
    err = _error(text, SCALARS)
    assert "not supported" in err.message and hint in err.message


def test_unexpected_character_is_named():
    err = _error("x % 2", SCALARS)
    assert err.message == "unexpected character `%`"
    assert _caret(err) == (2, 1)
    err = _error("2 х", SCALARS)  # Cyrillic ha
    assert "CYRILLIC" in err.message
    assert _caret(err) == (2, 1)


# -- brackets: the caret under the right character ---------------------------------------------

BRACKETS = [
    # text, message fragment, caret column, caret width
    ("(x + 1", "`(` is never closed", 6, 1),
    ("f(x", "`(` is never closed", 3, 1),
    ("sin(x + 1", "`(` is never closed", 9, 1),
    ("\\frac{1}{2", "`{` is never closed", 10, 1),
    ("x + 1)", "`)` has no matching opening bracket", 5, 1),
    ("(x))", "`)` has no matching opening bracket", 3, 1),
    (")x", "`)` has no matching opening bracket", 0, 1),
    ("{x + 1)", "`{` is closed by `)`", 6, 1),
    ("(x + 1}", "`(` is closed by `}`", 6, 1),
    ("|x", "`|` is never closed", 2, 1),
    ("||x|", "`||` is never closed", 3, 1),
    ("()", "empty brackets", 1, 1),
    ("(x, y)", "comma", 2, 1),
]


@pytest.mark.parametrize("text, fragment, column, width", BRACKETS, ids=[b[0] for b in BRACKETS])
def test_unbalanced_brackets_caret(text, fragment, column, width):
    err = _error(text, SCALARS)
    assert fragment in err.message, err.message
    assert _caret(err) == (column, width)
    assert str(err).splitlines()[1] == text


# -- empty input, dangling operators ------------------------------------------------------------

@pytest.mark.parametrize("text", ["", "   ", "\t\n", "$$", "\\(\\)", "\\,\\;\\quad"])
def test_empty_input(text):
    err = _error(text, SCALARS)
    assert err.message == "the answer is empty"
    assert "Traceback" not in str(err)


@pytest.mark.parametrize("text, column", [("x +", 3), ("x^", 2), ("2 *", 3), ("-", 1)])
def test_answer_ends_too_early(text, column):
    err = _error(text, SCALARS)
    assert "ends too early" in err.message
    assert _caret(err)[0] == column


def test_nothing_after_equals():
    err = _error("y =", SCALARS)
    assert "nothing after `=`" in err.message
    assert _caret(err) == (2, 1)


@pytest.mark.parametrize("text, fragment", [
    ("x * * x", "unexpected `*`"),
    ("2 3", "two numbers in a row"),
    ("^x", "unexpected `^`"),
    ("'x", "a transpose needs something before it"),
])
def test_misplaced_tokens(text, fragment):
    assert fragment in _error(text, SCALARS).message


# -- function arity ----------------------------------------------------------------------------

ARITY = [
    ("exp(x, y)", "exp() takes 1 argument, not 2"),
    ("max(a, b, c)", "max() takes 1 or 2 arguments, not 3"),
    ("diag(x, x)", "diag() takes 1 argument, not 2"),
    ("hadamard(x)", "hadamard() takes 2 arguments, not 1"),
    ("f(a, b)", "f() takes 1 argument, not 2"),
    ("sqrt()", "sqrt() needs an argument"),
    ("f()", "f() needs an argument"),
    ("sin x", "`sin` is a function: write sin(...)"),
    ("exp", "`exp` is a function"),
    ("\\sin^{-1} x", "write an inverse function by its name"),
    ("f'(x)", "(a derivative) cannot be read"),
]


@pytest.mark.parametrize("text, message", ARITY, ids=[a[0] for a in ARITY])
def test_function_arity(text, message):
    err = _error(text, SCALARS)
    assert message in err.message, err.message


def test_arity_caret_is_under_the_function_name():
    err = _error("1 + exp(x, y)", SCALARS)
    assert _caret(err) == (4, 3)


def test_eye_needs_a_size():
    err = _error("eye(c)")
    assert "eye() takes sizes" in err.message


# -- formatting ---------------------------------------------------------------------------------

def test_error_format_is_message_text_caret():
    err = _error("x + 1")
    assert str(err) == (
        "cannot add n x 1 and 1 x 1 (a scalar): this question's rubric does not allow "
        "elementwise shorthand, so a number is not added to every entry; use a matrix of the "
        "right shape (such as 1_n for a vector of ones)\n"
        "x + 1\n"
        "^^^^^")
    assert isinstance(err, ValueError)
    assert err.span == (0, 5)


def test_errors_without_a_spot_have_no_caret_line():
    err = _error("", SCALARS)
    assert str(err) == "the answer is empty"
    err = _error("x" * 2001, SCALARS)
    assert "too long" in str(err) and "\n" not in str(err)


def test_long_or_multiline_text_has_no_caret_line():
    err = _error("x +\n", SCALARS)
    assert "\n" not in str(err)
    long_text = "x + " * 60 + "%"
    err = _error(long_text, SCALARS)
    assert str(err) == err.message


ALL_REJECTED = [text for text, _ in SHAPE_ERRORS] + [b[0] for b in BRACKETS] + [a[0] for a in ARITY]


@pytest.mark.parametrize("text", ALL_REJECTED)
def test_error_text_is_never_a_traceback(text):
    ns = MAT if any(text == t for t, _ in SHAPE_ERRORS) else SCALARS
    err = _error(text, ns)
    rendered = str(err)
    assert "Traceback" not in rendered and 'File "' not in rendered
    assert rendered.splitlines()[0] == err.message
    assert err.message and not err.message.endswith("\n")


def test_error_examples_in_the_student_doc_are_real():
    """Every message-text-caret block in docs/answer-syntax.md is what the grader prints."""
    from pathlib import Path

    doc = Path(__file__).resolve().parents[2] / "docs" / "answer-syntax.md"
    blocks, current = [], None
    for line in doc.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            if current is None:
                current = [] if line == "```" else ["<not plain>"]
            else:
                if current[:1] != ["<not plain>"]:
                    blocks.append("\n".join(current))
                current = None
        elif current is not None:
            current.append(line)
    examples = [b for b in blocks if len(b.splitlines()) == 3 and set(b.splitlines()[2]) <= {" ", "^"}]
    assert len(examples) >= 4
    for block in examples:
        text = block.splitlines()[1]
        printed = set()
        for ns in NAMESPACES.values():
            try:
                read(text, ns)
            except AnswerError as err:
                printed.add(str(err))
        assert block in printed, (block, printed)
