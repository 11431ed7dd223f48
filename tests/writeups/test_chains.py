"""A block of math → chains of terms: rows, continuations, relations, annotations removed,
definitions and derivatives found."""

from __future__ import annotations

import pytest

from grader.writeups.chains import read_math, split_rows
from grader.writeups.derivatives import derivative
from grader.writeups.extract import extract


def chains(text, kind="md", barriers=()):
    reading = read_math(extract(text, kind), list(barriers))
    return [[t.text for t in c.terms] for c in reading.chains], reading


def test_aligned_rows_continue_with_ampersand_equals():
    found, reading = chains("$$\\begin{aligned} w_1 &= 0 - (0.25) \\times (-100) \\\\ &= 25 \\end{aligned}$$")
    assert found == [["w_1", "0 - (0.25) \\times (-100)", "25"]]


def test_a_block_starting_with_equals_continues_the_chain_before_it():
    text = "$$\\frac{\\partial f}{\\partial x} = a$$\n\nsome prose\n\n$$= b = \\boxed{c}$$"
    found, reading = chains(text)
    assert found == [["\\frac{\\partial f}{\\partial x}", "a", "b", "c"]]
    assert [b.text for b in reading.boxed] == ["c"]


def test_a_barrier_stops_a_continuation():
    text = "$$p = a$$\n(b)\n$$= b$$"
    found, _ = chains(text, barriers=[text.index("(b)")])
    assert found == [["p", "a"], ["b"]]


@pytest.mark.parametrize("joiner", ["\\Rightarrow", "\\implies", "\\therefore", "\\Longrightarrow",
                                    "\\approx", ",", "\\quad", "\\text{ and }", ";"])
def test_relations_and_separators_start_new_chains(joiner):
    found, _ = chains(f"$$a = b {joiner} c = d$$")
    assert found == [["a", "b"], ["c", "d"]]


def test_line_breaks_split_rows_but_not_cases_or_matrices():
    rows = split_rows("a = b \\\\[4pt] c = \\begin{cases} 1 & x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}"
                      " \\\\ d = \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}")
    assert [r.strip() for r, _ in rows] == [
        "a = b", "c = \\begin{cases} 1 & x > 0 \\\\ 0 & \\text{otherwise} \\end{cases}",
        "d = \\begin{bmatrix} 1 \\\\ 2 \\end{bmatrix}"]


def test_annotations_keep_their_content():
    text = ("$$\\underbrace{\\frac{e^{x}}{S}}_{f} - \\overbrace{\\cancel{a} + b}^{c} "
            "= \\underline{g} \\tag{3} \\label{eq:x} = \\color{red}{h} = \\textcolor{blue}{k}$$")
    found, reading = chains(text)
    assert found == [["\\frac{e^{x}}{S} - a + b", "g", "h", "k"]]
    assert [(d.name, d.value) for d in reading.definitions][:2] == [("f", "\\frac{e^{x}}{S}"), ("c", "a + b")]


def test_asides_and_shapes_are_set_apart():
    text = ("$$\\therefore \\underbrace{\\frac{\\partial f}{\\partial \\vec{x}}}_{n \\times 1} = (\\bar{A} + \\bar{A}^T)"
            " \\vec{x} + \\vec{z} \\quad \\left(\\because \\frac{\\partial (a^T x)}{\\partial x} = a\\right)$$\n"
            "$$g = 2 A x (\\dim = n \\times 1)$$\n$$h = x \\in \\mathbb{R}^{n \\times 1}$$\n"
            "$$k = x (n \\times 1)$$")
    found, reading = chains(text)
    assert found == [["\\frac{\\partial f}{\\partial \\vec{x}}", "(\\bar{A} + \\bar{A}^T) \\vec{x} + \\vec{z}"],
                     ["g", "2 A x"], ["h", "x"], ["k", "x"]]
    annotations = [c.annotations for c in reading.chains]
    assert "n \\times 1" in annotations[0]
    assert any("n \\times 1" in a for a in annotations[1])
    assert annotations[2] == ("\\mathbb{R}^{n \\times 1}",)
    assert annotations[3] == ("n \\times 1",)


def test_ocr_spacing_left_right_and_punctuation():
    found, _ = chains("$$f _ { i } = \\left( 1 - f _ { i } \\right) .$$")
    assert found == [["f_{ i }", "\\left( 1 - f_{ i } \\right)"]]


def test_definitions_from_remarks_prose_and_labels():
    text = ("Let $v = w^T x - y$. Then\n$$g = v x \\quad \\text{where } S = e^{x} + 1$$\n"
            "$$\\text{let } r = X w - y$$\n$$u := 2 x$$\n$$\\underbrace{w^T x - y}_{e} x$$")
    _, reading = chains(text)
    explicit = [(d.name, d.value) for d in reading.definitions if d.explicit]
    assert ("v", "w^T x - y") in explicit
    assert ("S", "e^{x} + 1") in explicit
    assert ("r", "X w - y") in explicit
    assert ("u", "2 x") in explicit
    assert ("e", "w^T x - y") in explicit
    plain = [(d.name, d.value) for d in reading.definitions if not d.explicit]
    assert ("g", "v x") in plain


def test_equations_to_solve_are_marked():
    text = ("$$\\nabla L = X^T (X w - y) = 0 \\Rightarrow X^T X w = X^T y$$\n"
            "Setting the gradient to zero,\n$$A w = b$$\n$$c = d$$")
    _, reading = chains(text)
    assert [c.equation for c in reading.chains] == [False, True, True, False]


def test_prose_inline_math_is_inline():
    _, reading = chains("so $a = b$ and\n$$c = d$$")
    assert [c.display for c in reading.chains] == [False, True]


@pytest.mark.parametrize(("text", "of", "operand", "wrt"), [
    ("\\frac{\\partial f}{\\partial x}", "f", None, "x"),
    ("\\dfrac{\\partial L}{\\partial \\vec{w}}", "L", None, "\\vec{w}"),
    ("\\frac{d f}{d x}", "f", None, "x"),
    ("\\frac{\\mathrm{d} \\sigma}{\\mathrm{d} x}", "\\sigma", None, "x"),
    ("\\frac{\\partial f(x_i)}{\\partial x_j}", "f(x_i)", None, "x_j"),
    ("\\frac{\\partial}{\\partial x}\\left(x^T A x\\right)", None, "\\left(x^T A x\\right)", "x"),
    ("\\frac{d}{dx} \\sigma(x)", None, "\\sigma(x)", "x"),
    ("\\nabla_{\\mathbf{w}} L", "L", None, "\\mathbf{w}"),
    ("\\nabla_x f", "f", None, "x"),
    ("df/dx", "f", None, "x"),
    ("f'(x)", "f", None, "x"),
    ("\\sigma^{\\prime}(x)", "\\sigma", None, "x"),
])
def test_derivatives_are_recognised(text, of, operand, wrt):
    found = derivative(text)
    assert (found.of, found.operand, found.wrt) == (of, operand, wrt)


@pytest.mark.parametrize("text", ["\\frac{1}{2}", "\\frac{\\partial^2 f}{\\partial x^2}", "f(x)",
                                  "\\frac{d}{2}", "d x"])
def test_other_terms_are_not_derivatives(text):
    assert derivative(text) is None


def test_line_breaks_in_plain_display_math_continue_the_chain():
    found, _ = chains("$$\\mathbf{g} = \\left(\\mathbf{A} + \\mathbf{A}^\\top\\right)\\mathbf{x} \\\\ "
                      "= \\mathbf{A}\\mathbf{x} + \\mathbf{A}^\\top\\mathbf{x}$$")
    assert found == [["\\mathbf{g}", "\\left(\\mathbf{A} + \\mathbf{A}^\\top\\right)\\mathbf{x}",
                      "\\mathbf{A}\\mathbf{x} + \\mathbf{A}^\\top\\mathbf{x}"]]


def test_a_full_stop_ends_a_statement_but_not_a_number_or_a_transpose():
    found, _ = chains("$$g = A.T x = 0.5 b. \\text{Then} c = d$$")
    assert found == [["g", "A.T x", "0.5 b"], ["c", "d"]]
