"""Reading each question's answer from its part: boxed first, else the last term of the last
chain that reads as an answer for the kind."""

from __future__ import annotations

import pytest

from writeup_cases import marked


def answer(read_hw1, question, body, kind="md"):
    writeup = read_hw1(marked(question, body) if kind == "md" else body, kind)
    return writeup.answers.get(question), writeup.reports[question]


def test_the_boxed_answer_wins_over_later_lines(read_hw1):
    value, report = answer(read_hw1, "q1.sigmoid", r"""
        $$\frac{df}{dx} = \boxed{f(1-f)}$$
        Check at $x = 0$: $$f(0)(1 - f(0)) = 0.25$$
        """)
    assert value == "f(1-f)"
    assert report.answer_read == "f(1−f)"
    assert report.answer_line == 1 + 1


def test_a_boxed_chain_gives_its_last_term(read_hw1):
    value, _ = answer(read_hw1, "q1.sigmoid", r"$$\boxed{\sigma'(x) = \sigma(x)(1-\sigma(x))}$$")
    assert value == r"\sigma(x)(1-\sigma(x))"


def test_without_a_box_the_last_term_of_the_derivative_chain(read_hw1):
    value, report = answer(read_hw1, "q1.sigmoid", r"""
        $$\frac{d f}{d x} = \frac{e^{-x}}{(1+e^{-x})^2}$$
        $$= f(x)\left(1 - f(x)\right)$$
        For example $f(0) = \frac{1}{2}$, so at $x = 0$ the slope is $\frac{1}{4}$.
        """)
    assert value == r"f(x)\left(1 - f(x)\right)"
    assert report.answer_line == 3


def test_a_term_that_does_not_read_is_passed_over(read_hw1):
    value, _ = answer(read_hw1, "q1.softmax_diag", r"""
        $$\frac{\partial f_i}{\partial x_i} = f_i - f_i^2 = \frac{e^{x_i}}{S}\left(1 - \frac{e^{x_i}}{S}\right)$$
        """)
    assert value == "f_i - f_i^2"


def test_names_the_writeup_defines_are_substituted(read_hw1):
    value, report = answer(read_hw1, "q2.l2_single", r"""
        $$\frac{\partial L}{\partial \bar{w}} = \underbrace{(\bar{w}^T \bar{x} - y)}_{v} \bar{x} = \boxed{v \bar{x}}$$
        """)
    assert value == r"((\bar{w}^T \bar{x} - y)) \bar{x}"
    assert report.answer_read == r"v \bar{x} (with v as you defined it)"


@pytest.mark.parametrize("definition", [r"$$\text{let } r = X w - y$$",
                                        r"where $r = X w - y$.",
                                        r"$$r := X w - y$$"])
def test_definitions_before_or_after_the_answer(read_hw1, definition):
    value, _ = answer(read_hw1, "q2.l2_multi", f"$$\\nabla_w L = \\boxed{{X^T r}}$$\n{definition}\n")
    assert value == "X^T (X w - y)"


def test_definitions_and_points_are_not_answers(read_hw1):
    value, _ = answer(read_hw1, "q1.sigmoid", r"""
        $$\frac{d f}{d x} = f (1 - f)$$
        where $f = \sigma(x)$, and at $x = 0$:
        """)
    assert value == "f (1 - f)"


def test_nothing_readable_says_to_box_the_answer(read_hw1):
    value, report = answer(read_hw1, "q1.sigmoid", r"$$\frac{d f}{d x} = \sum_j \frac{\partial f}{\partial z_j}$$")
    assert value is None
    assert report.located and "box your final answer" in report.problem


@pytest.mark.parametrize(("body", "expected"), [
    (r"The gradient is $\frac{\partial f}{\partial x} \in \mathbb{R}^{n \times 1}$.", r"\mathbb{R}^{n \times 1}"),
    (r"$$\underbrace{\nabla_x f}_{n \times 1} = (A + A^T) x + z$$", r"n \times 1"),
    (r"$$g = (A + A^T) x + z \quad (\dim = n \times 1)$$", r"n \times 1"),
    (r"a column vector, n x 1, like x", "n x 1"),
    (r"$\boxed{n \times 1}$", r"n \times 1"),
])
def test_shapes_from_boxes_labels_asides_and_prose(read_hw1, body, expected):
    value, _ = answer(read_hw1, "q2.quadratic_shape", body)
    assert value.strip() == expected


@pytest.mark.parametrize("body", [r"$$2 > \alpha > 0$$", r"$$\therefore \alpha \in (0, 2)$$",
                                  r"$$|1 - \alpha| < 1 \Rightarrow 0 < \alpha < 2$$",
                                  r"$$\alpha > 0 \text{ and } \alpha < 2$$",
                                  r"so $\boxed{0 < \alpha < 2}$ (and it oscillates at $\alpha = 2$)"])
def test_intervals(read_hw1, hw1w, body):
    value, _ = answer(read_hw1, "q4.converge_range", body)
    assert hw1w[1]["q4.converge_range"].check(value).status == "correct", value


@pytest.mark.parametrize(("body", "expected"), [
    (r"It $\boxed{\text{oscillates}}$.", "oscillates"),
    (r"The iterates **oscillate** between 0 and 200.", "oscillate"),
    (r"It oscillates between $0$ and $200$ forever.", "oscillates"),
    (r"\textbf{diverges}", "diverges"),
])
def test_choices(read_hw1, body, expected):
    value, _ = answer(read_hw1, "q4.boundary_a2", body)
    assert value == expected


def test_a_choice_among_several_named_options_is_not_guessed(read_hw1):
    value, report = answer(read_hw1, "q4.boundary_a2", "It does not converge and does not diverge: it oscillates.")
    assert value is None
    assert "box or bold your choice" in report.problem


def test_numbers_are_read_from_the_last_chain(rubric_from):
    from grader.writeups import read_writeup
    rubric, prepared = rubric_from("""
        title: t
        questions:
          - {id: q.w2, kind: number, points: 1, answer: "175/2", locate: "Part 1"}
        """)
    writeup = read_writeup("Part 1\n$$w_2 = 75 + 0.5 \\times 25 = \\frac{175}{2} = 87.5$$", "md", rubric, prepared)
    assert writeup.answers["q.w2"] == "87.5"
    assert writeup.reports["q.w2"].steps_checked == 2


@pytest.mark.parametrize("lhs", ["w_{k}", "w_k", "w^{(k)}", r"\mathbf{w}_k", "w^{k}"])
def test_iterates_from_lines_with_the_iterate_on_the_left(read_hw1, hw1w, lhs):
    lines = [f"$${lhs.replace('k', str(k))} = {v}$$" for k, v in enumerate([50, 75, 87.5, 93.75], 1)]
    value, report = answer(read_hw1, "q4.iterates_a05", "\n".join(lines))
    assert value == ["50", "75", "87.5", "93.75"]
    assert report.answer_read == "w_1 = 50, w_2 = 75, w_3 = 87.5, w_4 = 93.75"
    assert hw1w[1]["q4.iterates_a05"].check(value).status == "correct"


def test_iterates_written_twice_take_the_last_line_and_gaps_are_named(read_hw1):
    value, report = answer(read_hw1, "q4.iterates_a05", r"""
        $$w_1 = 40$$ oops, $$w_1 = 50$$ and $w_3 = 87.5$
        """)
    assert value == ["50", "", "87.5"]
    assert report.answer_read == "w_1 = 50, w_2 missing, w_3 = 87.5"


def test_vector_iterates_from_matrices_and_transposed_lists(rubric_from):
    from grader.writeups import read_writeup
    rubric, prepared = rubric_from("""
        title: t
        questions:
          - id: q.vec
            kind: gd_iterates
            points: 2
            loss: "(w^T w) / 2"
            variable: w
            start: [1, 2]
            alpha: 0.5
            steps: 2
            locate: "Part 1"
        """)
    text = ("Part 1\n$$w_1 = w_0 - 0.5 w_0 = \\begin{bmatrix} 0.5 \\\\ 1 \\end{bmatrix}$$\n"
            "$$w_2 = [0.25, 0.5]^T$$")
    writeup = read_writeup(text, "md", rubric, prepared)
    assert writeup.answers["q.vec"] == ["[0.5, 1]", "[0.25, 0.5]"]
    assert prepared["q.vec"].check(writeup.answers["q.vec"]).status == "correct"


def test_code_questions_are_not_read_from_a_writeup(rubric_from):
    from grader.writeups import read_writeup
    rubric, prepared = rubric_from("""
        title: t
        questions:
          - id: p.f
            kind: function
            points: 1
            args: {x: {shape: [n]}}
            answer: "x"
          - {id: q.n, kind: number, points: 1, answer: 17.25, locate: "x"}
        """)
    writeup = read_writeup("x $$17.25$$", "md", rubric, prepared)
    assert set(writeup.reports) == {"q.n"}


def test_iterates_from_a_markdown_table(read_hw1, hw1w):
    value, report = answer(read_hw1, "q4.iterates_a05", """
        | $k$ | $w_k$ | $L(w_k)$ |
        |-----|-------|----------|
        | 1 | $50$ | 1250 |
        | 2 | 75 | 312.5 |
        | 3 | $\\frac{175}{2}$ | |
        | 4 | 93.75 | |
        """)
    assert value == ["50", "75", "\\frac{175}{2}", "93.75"]
    assert report.answer_line == 4
    assert hw1w[1]["q4.iterates_a05"].check(value).status == "correct"


@pytest.mark.parametrize("body", [r"$w_1, w_2, w_3, w_4 = 50, 75, 87.5, 93.75$",
                                  r"$$(w_1, w_2, w_3, w_4) = \left(50, 75, 87.5, 93.75\right)$$"])
def test_iterates_from_one_tuple(read_hw1, body):
    value, _ = answer(read_hw1, "q4.iterates_a05", body)
    assert value == ["50", "75", "87.5", "93.75"]


def test_prose_that_announces_the_answer_counts_as_a_box(read_hw1):
    value, _ = answer(read_hw1, "q1.sigmoid", r"""
        Final answer: $f(1-f)$.
        Check: $$f(0)(1-f(0)) = \frac{1}{4}$$
        """)
    assert value == "f(1-f)"


def test_ocr_differentials(read_hw1):
    value, report = answer(read_hw1, "q1.sigmoid", r"""
        $$\frac{\mathrm{d} f}{\mathrm{~d} x}=\frac{e^{-x}}{\left(1+e^{-x}\right)^{2}}=f(x)(1-f(x))$$
        """)
    assert value == "f(x)(1-f(x))"
    assert report.steps_checked == 2


def test_a_question_that_cannot_be_located_is_missing_with_the_pattern_named(read_hw1):
    writeup = read_hw1("Question 1\n(a) $$\\frac{df}{dx} = \\boxed{f(1-f)}$$\n")
    assert writeup.answers == {"q1.sigmoid": "f(1-f)"}
    report = writeup.reports["q3.linear"]
    assert not report.located and report.answer_read == ""
    assert report.locate_problem == ("could not find this question's part: `Q(?:uestion)?\\s*\\.?\\s*3\\b` "
                                     "(locate[0]) found nothing in the write-up")
    assert writeup.reports["q1.softmax_diag"].locate_problem == (
        "could not find this question's part: `\\(b\\)` (locate[1]) found nothing between "
        "`Question 1` (line 1) and the end")
