"""The question kinds: expression, matrix_expression, shape, choice, number — and the rule that
feedback never gives away the reference answer."""

from __future__ import annotations

import itertools
import re

import numpy as np
import pytest

from grader.answers.printing import to_plain
from grader.errors import RubricError
from grader.kinds import Kind, Outcome, registry
from grader.kinds.base import signatures_agree
from grader.kinds.choice import ChoiceKind, normalise
from grader.kinds.expression import ExpressionKind
from grader.kinds.number import NumberKind
from grader.kinds.shape import ShapeKind, split_shape
from grader.sampling import generator, size_sets
from grader.verdict import CORRECT, INCORRECT, INVALID, PARTIAL

WRITTEN_KINDS = ("expression", "matrix_expression", "shape", "number", "choice")


def one(prepared, body: str, qid: str = "q", seed: int | None = None) -> Kind:
    """The checker of a one-question rubric whose question body (indented 4) is ``body``."""
    lines = "\n".join("    " + line if line.strip() else line
                      for line in _dedent(body).splitlines())
    text = f"title: t\nquestions:\n  - id: {qid}\n{lines}\n"
    _, checkers = prepared(text, seed)
    return checkers[qid]


def _dedent(text: str) -> str:
    import textwrap

    return textwrap.dedent(text).strip("\n")


def statuses(checker: Kind, answers) -> dict:
    return {repr(a): checker.check(a).status for a in answers}


# -- registry -------------------------------------------------------------------------------------
def test_registry_maps_every_written_kind_to_its_checker():
    kinds = registry()
    assert kinds["expression"] is ExpressionKind
    assert kinds["matrix_expression"] is ExpressionKind
    assert kinds["shape"] is ShapeKind
    assert kinds["number"] is NumberKind
    assert kinds["choice"] is ChoiceKind
    for kind in WRITTEN_KINDS:
        assert kinds[kind].runs_code is False
        assert kind in kinds[kind].names


def test_outcome_partial_status_follows_the_fraction():
    assert Outcome.partial(0.5, "half").status == PARTIAL
    assert Outcome.partial(0.0, "none").status == INCORRECT
    assert Outcome.partial(1.0, "all").status == CORRECT
    assert Outcome.partial(0.25, "quarter", mistake="m").mistake == "m"


def test_signatures_agree():
    a = np.array([1.0, np.nan, 3.0])
    assert signatures_agree(a, a + 1e-12)
    assert not signatures_agree(a, a + 1e-3)
    assert not signatures_agree(a, a[:2])
    assert not signatures_agree(a, [1.0, np.nan, 3.0])
    assert signatures_agree("x", "x") and not signatures_agree("x", "y")


# -- expression: equality within tolerance at every point ------------------------------------------
def test_absolute_tolerance(prepared):
    checker = one(prepared, """
        kind: expression
        points: 1
        symbols:
          x: {domain: [-1, 1]}
        answer: "x"
        tolerance: {atol: 0.01, rtol: 1.0e-9}
    """)
    assert checker.check("x + 0.005").status == CORRECT
    assert checker.check("x - 0.009").status == CORRECT
    assert checker.check("x + 0.02").status == INCORRECT


def test_relative_tolerance_must_hold_at_every_point(prepared):
    # |a - r| = 0.015 <= 0.01 |x| only where x >= 1.5: true at some points, so still wrong.
    checker = one(prepared, """
        kind: expression
        points: 1
        symbols:
          x: {domain: [1, 2]}
        answer: "x"
        tolerance: {rtol: 0.01, atol: 0}
        samples: 40
    """)
    xs = np.concatenate([b.env["x"] for b in checker.batches])
    assert (xs > 1.5).any() and (xs < 1.5).any(), "the sample must cover both sides of 1.5"
    assert checker.check("x + 0.009").status == CORRECT
    assert checker.check("x * 1.009").status == CORRECT
    outcome = checker.check("x + 0.015")
    assert outcome.status == INCORRECT
    assert re.search(r"wrong at x = 1\.[0-4]", outcome.feedback), outcome.feedback


def test_equivalent_forms_are_correct(hw1_checkers):
    sigmoid = hw1_checkers["q1.sigmoid"]
    for answer in ["f (1 - f)", "f(x) (1 - f(x))", "sigma(x) - sigma(x)^2",
                   "exp(-x) / (1 + exp(-x))^2", r"\frac{e^{-x}}{(1+e^{-x})^2}",
                   "1/(1 + exp(-x)) * (1 - 1/(1 + exp(-x)))"]:
        assert sigmoid.check(answer).status == CORRECT, answer
    assert sigmoid.check("f (1 - f) + 0.001").status == INCORRECT


def test_symbol_aliases_and_givens(hw1_checkers):
    assert hw1_checkers["q2.l2_single"].check("x (x^T omega - y)").status == CORRECT
    assert hw1_checkers["q1.softmax_diag"].check("f(x_i) (1 - f(x_i))").status == CORRECT
    assert hw1_checkers["q1.softmax_diag"].check("f_i (1 - f_i)").status == CORRECT


def test_positive_symbols_are_sampled_positive(prepared):
    positive = one(prepared, """
        kind: expression
        points: 1
        symbols:
          b: {positive: true}
        answer: "b"
    """)
    assert all((batch.env["b"] > 0).all() for batch in positive.batches)
    assert positive.check("sqrt(b^2)").status == CORRECT
    signed = one(prepared, """
        kind: expression
        points: 1
        symbols:
          b: {domain: [-3, 3]}
        answer: "b"
    """)
    assert signed.check("sqrt(b^2)").status == INCORRECT


def test_points_where_the_reference_is_undefined_are_redrawn(prepared):
    checker = one(prepared, """
        kind: expression
        points: 1
        symbols:
          x: {domain: [-1, 1]}
        answer: "log(x)"
        samples: 20
    """)
    for batch in checker.batches:
        assert batch.n == 20, "dropped points are replaced, not just lost"
        assert (batch.env["x"] > 0).all()
    for values in checker.values:
        assert np.isfinite(values).all()
    # log|x| equals log x where log x is defined: the only points used.
    assert checker.check("log(abs(x))").status == CORRECT
    assert checker.check("ln(x)").status == CORRECT
    assert checker.check("log(2 x)").status == INCORRECT


def test_an_answer_undefined_where_the_reference_is_defined_says_where(prepared):
    checker = one(prepared, """
        kind: expression
        points: 1
        symbols:
          x: {domain: [-1, 1]}
        answer: "x"
    """)
    outcome = checker.check("sqrt(x)^2")
    assert outcome.status == INCORRECT
    match = re.search(r"undefined at x = (-?[\d.]+)", outcome.feedback)
    assert match, outcome.feedback
    assert float(match.group(1)) < 0, "it is undefined only at negative x"

    # equal to the reference where it is defined (x > 0), undefined elsewhere
    outcome = checker.check("exp(log(x))")
    assert outcome.status == INCORRECT
    assert re.search(r"undefined at x = -[\d.]+", outcome.feedback), outcome.feedback
    assert "x = " in outcome.feedback and "where the expected answer is defined" in outcome.feedback


def test_unreadable_and_wrongly_typed_answers_are_invalid(hw1_checkers):
    sigmoid = hw1_checkers["q1.sigmoid"]
    outcome = sigmoid.check("f +")
    assert outcome.status == INVALID and "f +" in outcome.feedback
    outcome = sigmoid.check("g(x)")
    assert outcome.status == INVALID and "unknown name `g`" in outcome.feedback
    assert sigmoid.check(["f", "1 - f"]).status == INVALID
    assert "expected one expression" in sigmoid.check(["f"]).feedback
    assert sigmoid.check({"a": "f"}).status == INVALID
    for hostile in ["__import__('os').system('true')", "open('/etc/passwd').read()",
                    "lambda: 0", "x.__class__"]:
        assert sigmoid.check(hostile).status == INVALID, hostile


def test_a_product_that_does_not_conform_is_incorrect_not_invalid(hw1_checkers):
    outcome = hw1_checkers["q3.linear"].check("2 (W x + b - y) x")
    assert outcome.status == INCORRECT
    assert "cannot multiply" in outcome.feedback


# -- gradient_of + wrt ----------------------------------------------------------------------------
def test_gradient_of_is_exact(prepared):
    checker = one(prepared, """
        kind: expression
        points: 1
        symbols:
          x: {domain: [-3, 3]}
        gradient_of: "x^3 + sin(x)"
        wrt: x
        tolerance: {rtol: 1.0e-12, atol: 1.0e-12}
    """)
    assert checker.check("3 x^2 + cos(x)").status == CORRECT
    assert checker.check("3 x^2 + cos(x) + 1e-7").status == INCORRECT
    assert checker.check("3 x^2 (1 + 1e-9) + cos(x)").status == INCORRECT


def test_gradient_wrt_a_vector_has_the_shape_of_wrt(prepared):
    checker = one(prepared, """
        kind: matrix_expression
        points: 1
        symbols:
          A: {shape: [n, n]}
          x: {shape: [n, 1]}
        gradient_of: "x^T A x"
        wrt: x
    """)
    assert checker.shape == ("n", 1)
    assert checker.check("(A + A^T) x").status == CORRECT
    assert checker.check("A x + A^T x").status == CORRECT
    outcome = checker.check("x^T (A + A^T)")
    assert outcome.status == INCORRECT
    assert "numerator-layout form" in outcome.feedback


def test_numerator_layout_takes_the_transpose(prepared):
    checker = one(prepared, """
        kind: matrix_expression
        points: 1
        symbols:
          A: {shape: [n, n]}
          x: {shape: [n, 1]}
        gradient_of: "x^T A x"
        wrt: x
        layout: numerator
    """)
    assert checker.shape == (1, "n")
    assert checker.check("x^T (A + A^T)").status == CORRECT
    assert checker.check("x^T A + x^T A^T").status == CORRECT
    outcome = checker.check("(A + A^T) x")
    assert outcome.status == INCORRECT
    assert "denominator-layout form" in outcome.feedback
    assert "numerator layout" in outcome.feedback


def test_gradient_wrt_a_matrix_has_the_shape_of_the_matrix(hw1_checkers):
    linear = hw1_checkers["q3.linear"]
    assert linear.shape == ("m", "n")
    assert linear.check("2 (W x + b - y) x^T").status == CORRECT
    assert linear.check("2 W x x^T + 2 (b - y) x^T").status == CORRECT


def test_square_gradient_transposed_gets_the_layout_message(prepared):
    checker = one(prepared, """
        kind: matrix_expression
        points: 1
        symbols:
          W: {shape: [n, n]}
          x: {shape: [n, 1]}
          y: {shape: [n, 1]}
        gradient_of: "x^T W y"
        wrt: W
    """)
    assert checker.shape == ("n", "n")
    assert checker.check("x y^T").status == CORRECT
    outcome = checker.check("y x^T")
    assert outcome.status == INCORRECT
    assert "numerator-layout form" in outcome.feedback
    wrong = checker.check("x x^T")
    assert wrong.status == INCORRECT and "layout" not in wrong.feedback


def test_wrong_shape_names_both_shapes(hw1_checkers):
    outcome = hw1_checkers["q2.quadratic"].check("x^T A")
    assert outcome.status == INCORRECT
    assert outcome.feedback == "your answer has shape 1 x n; expected n x 1"
    outcome = hw1_checkers["q2.l2_multi"].check("X w - y")
    assert outcome.feedback == "your answer has shape n x 1; expected m x 1"


def test_transposed_answer_of_a_non_square_reference_gets_the_layout_message(prepared):
    checker = one(prepared, """
        kind: matrix_expression
        points: 1
        symbols:
          X: {shape: [n, m]}
          w: {shape: [m, 1]}
          y: {shape: [n, 1]}
        gradient_of: "norm(X w - y)^2 / 2"
        wrt: w
    """)
    outcome = checker.check("(X w - y)^T X")
    assert outcome.status == INCORRECT
    assert outcome.feedback.startswith("this is the numerator-layout form (the transpose)")
    assert "shape" not in outcome.feedback

    matrix = one(prepared, """
        kind: matrix_expression
        points: 1
        symbols:
          W: {shape: [m, n]}
          x: {shape: [n, 1]}
          y: {shape: [m, 1]}
        gradient_of: "norm(W x - y)^2"
        wrt: W
    """)
    assert matrix.shape == ("m", "n")
    assert matrix.check("2 (W x - y) x^T").status == CORRECT
    outcome = matrix.check("2 x (W x - y)^T")
    assert outcome.status == INCORRECT
    assert "numerator-layout form" in outcome.feedback
    outcome = matrix.check("2 x x^T W^T")  # n x m too, but not the transpose
    assert outcome.feedback == "your answer has shape n x m; expected m x n"


# -- matrix sizes --------------------------------------------------------------------------------
@pytest.mark.parametrize("seed", range(40))
def test_size_sets_vary_every_dimension_and_avoid_square(seed):
    dims = {"n": (2, 6), "m": (2, 6), "k": (1, 6)}
    sets = size_sets(dims, generator(seed, "test"), 3)
    assert len(sets) == 3
    for sizes in sets:
        assert set(sizes) == {"n", "m", "k"}
        assert all(value != 1 for value in sizes.values()), sizes
        assert all(dims[name][0] <= value <= dims[name][1] for name, value in sizes.items())
        assert len(set(sizes.values())) == 3, f"not all square together: {sizes}"
    for name in dims:
        assert len({sizes[name] for sizes in sets}) >= 2, (name, sets)


def test_size_sets_edge_cases():
    assert size_sets({}, generator(1, "x"), 3) == [{}]
    fixed = size_sets({"n": (3, 3)}, generator(1, "x"), 3)
    assert fixed == [{"n": 3}] * 3
    only_one = size_sets({"n": (1, 1)}, generator(1, "x"), 2)
    assert only_one == [{"n": 1}] * 2
    for seed in range(20):
        sets = size_sets({"n": (1, 2)}, generator(seed, "x"), 3)
        assert all(s["n"] == 2 for s in sets), "1 is never drawn when 2 is allowed"


def test_size_sets_are_reproducible():
    dims = {"n": (2, 6), "m": (2, 6)}
    assert size_sets(dims, generator(5, "a"), 3) == size_sets(dims, generator(5, "a"), 3)


def test_matrix_questions_are_checked_at_several_sizes(hw1_checkers):
    multi = hw1_checkers["q2.l2_multi"]
    sizes = [dict(batch.sizes) for batch in multi.batches]
    assert len(sizes) >= 2
    for name in ("n", "m"):
        assert len({s[name] for s in sizes}) >= 2
        assert all(s[name] != 1 for s in sizes)
    assert all(s["n"] != s["m"] for s in sizes)
    for batch, values in zip(multi.batches, multi.values):
        assert values.shape[1:] == (batch.sizes["m"], 1)


def test_same_seed_same_points_and_a_correct_answer_is_correct_at_any_seed(prepared):
    body = """
        kind: matrix_expression
        points: 1
        symbols:
          X: {shape: [n, m]}
          w: {shape: [m, 1]}
          y: {shape: [n, 1]}
        gradient_of: "norm(X w - y)^2 / 2"
        wrt: w
    """
    first, again = one(prepared, body), one(prepared, body)
    for a, b in zip(first.batches, again.batches):
        assert dict(a.sizes) == dict(b.sizes)
        assert all(np.array_equal(a.env[k], b.env[k]) for k in a.env)
    other = one(prepared, body, seed=99)
    assert any(dict(a.sizes) != dict(b.sizes) or not np.array_equal(a.env["w"], b.env["w"])
               for a, b in zip(first.batches, other.batches)), "another seed, other points"
    for checker in (first, other):
        assert checker.check("X^T X w - X^T y").status == CORRECT


# -- mistakes -------------------------------------------------------------------------------------
def test_mistake_feedback_and_partial_score(hw1_checkers):
    quadratic = hw1_checkers["q2.quadratic"]
    outcome = quadratic.check("x^T (A^T + A) + z^T")  # equivalent to a listed 0.5 mistake
    assert outcome.status == PARTIAL
    assert outcome.fraction == 0.5
    assert outcome.feedback.startswith("This is the numerator layout")
    assert outcome.mistake == "x^T (A + A^T) + z^T"

    outcome = quadratic.check("z + A x")  # equivalent to the 0-score mistake "A x + z"
    assert outcome.status == INCORRECT
    assert outcome.fraction == 0.0
    assert outcome.feedback == "x appears twice in x^T A x: differentiate both."


@pytest.mark.parametrize("answer", ["f(1+f)", "f + f^2", "f(x)[1+f(x)]", "sigma(x) (1 + sigma(x))"])
def test_mistakes_are_matched_by_meaning(hw1_checkers, answer):
    outcome = hw1_checkers["q1.sigmoid"].check(answer)
    assert outcome.status == INCORRECT
    assert outcome.feedback.startswith("Check the sign when you differentiate")
    assert outcome.mistake == "f (1 + f)"


def test_custom_mistake_score(prepared):
    checker = one(prepared, """
        kind: expression
        points: 1
        symbols:
          x: {domain: [-2, 2]}
        gradient_of: "x^3"
        wrt: x
        mistakes:
          - answer: "x^2"
            feedback: "Bring down the exponent."
            score: 0.25
            label: "no exponent"
    """)
    outcome = checker.check("x x")
    assert (outcome.status, outcome.fraction, outcome.feedback, outcome.mistake) == (
        PARTIAL, 0.25, "Bring down the exponent.", "no exponent")
    assert checker.check("3 x^2").status == CORRECT


# -- shape ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", [
    "n x 1", "n × 1", r"n \times 1", "(n, 1)", "[n, 1]", "nx1", "n X 1", "n by 1", r"$n \times 1$",
    " n x 1 ", ["n", "1"], ["n", 1],
])
def test_shape_accepts_the_usual_notations(hw1_checkers, answer):
    assert hw1_checkers["q2.quadratic_shape"].check(answer).status == CORRECT


@pytest.mark.parametrize(("answer", "status", "words"), [
    ("1 x n", INCORRECT, "swapped"),
    ("n x n", INCORRECT, "number of columns"),
    ("1 x 1", INCORRECT, "number of rows"),
    ("2 x 3", INCORRECT, "both sizes"),
    ("n", INVALID, "give both sizes"),
    ("n x 1 x 1", INVALID, "rows x columns"),
    (["n"], INVALID, "two sizes"),
    (["n", "1", "1"], INVALID, "two sizes"),
    ("m x 1", INCORRECT, "`m` is not a size this question uses"),
    ("n x 1; rm -rf /", INVALID, "cannot read"),
    (5, INVALID, "expected a shape"),
])
def test_shape_wrong_answers(hw1_checkers, answer, status, words):
    outcome = hw1_checkers["q2.quadratic_shape"].check(answer)
    assert outcome.status == status
    assert words in outcome.feedback


@pytest.mark.parametrize("declared", [False, True])
def test_shape_with_a_product_of_dimensions(prepared, declared):
    checker = one(prepared, """
        kind: shape
        points: 1
        answer: ["n*m", 1]
    """ + ("    dims: {n: [2, 6], m: [2, 6]}\n" if declared else ""))
    for answer in ["n*m x 1", "nm x 1", "m n x 1", "(m*n, 1)", ["n m", "1"], "n m × 1"]:
        assert checker.check(answer).status == CORRECT, answer
    assert checker.check("n x 1").status == INCORRECT
    assert checker.check("n + m x 1").status == INCORRECT
    assert "swapped" in checker.check("1 x n*m").feedback
    outcome = checker.check("k x 1")
    assert outcome.status == INCORRECT
    assert "`k` is not a size" in outcome.feedback
    assert not re.search(r"\b[nm]\b", outcome.feedback), "no list of known names reveals the answer"


def test_shape_reference_given_as_text(prepared):
    checker = one(prepared, """
        kind: shape
        points: 1
        answer: "m x n"
    """)
    assert checker.question.answer == ("m", "n")
    assert checker.check("(m, n)").status == CORRECT
    assert checker.check("n x m").status == INCORRECT


def test_split_shape():
    assert split_shape("(n, 1)") == ["n", "1"]
    assert split_shape(r"n \times 1") == ["n", "1"]
    assert split_shape("(n+1) x m") == ["(n+1)", "m"]
    assert split_shape("n") is None


# -- choice ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("answer", ["oscillates", " Oscillates ", "OSCILLATES", "oscillates.",
                                    "oscillating", "bounces",
                                    "Bounces back and forth", "neither  converges nor diverges"])
def test_choice_accepts_case_spacing_and_synonyms(hw1_checkers, answer):
    assert hw1_checkers["q4.boundary_a2"].check(answer).status == CORRECT


def test_choice_wrong_and_invalid(hw1_checkers):
    choice = hw1_checkers["q4.boundary_a2"]
    for wrong in ["diverges", "blows up", "Converges", "stuck"]:
        outcome = choice.check(wrong)
        assert outcome.status == INCORRECT, wrong
        assert outcome.feedback == "not the right choice"
    outcome = choice.check("it bounces")
    assert outcome.status == INVALID
    assert outcome.feedback == "not one of the options (converges, diverges, oscillates, stays)"
    assert choice.check(["oscillates"]).status == INVALID
    # the same choice, however written, signs the same
    assert choice.check("blows up").signature == choice.check("Diverges").signature


def test_choice_partial_credit(prepared):
    checker = one(prepared, """
        kind: choice
        points: 2
        options: [Alpha, Beta, Gamma]
        answer: alpha
        synonyms: {Beta: [b]}
        partial: {beta: 0.5}
    """)
    assert checker.check("ALPHA").status == CORRECT
    outcome = checker.check(" B ")
    assert (outcome.status, outcome.fraction) == (PARTIAL, 0.5)
    assert checker.check("gamma").status == INCORRECT


def test_normalise():
    assert normalise("  Oscillates. ") == "oscillates"
    assert normalise("Neither\tconverges  nor diverges!") == "neither converges nor diverges"


# -- number ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("reference", ['"175/2"', "87.5"])
def test_number_forms_and_tolerance(prepared, reference):
    checker = one(prepared, f"""
        kind: number
        points: 1
        answer: {reference}
        tolerance: {{atol: 0.01, rtol: 1.0e-9}}
    """)
    for answer in ["87.5", "175/2", r"\frac{175}{2}", "87.50", "87.505", "350/4", 87.5, "8.75e1"]:
        assert checker.check(answer).status == CORRECT, answer
    for answer in ["87.6", "87", "-87.5", "175"]:
        outcome = checker.check(answer)
        assert outcome.status == INCORRECT, answer
        assert "87.5" not in outcome.feedback
    assert checker.check("x").status == INVALID
    assert checker.check("abc +").status == INVALID
    assert checker.check(["87.5"]).status == INVALID
    outcome = checker.check("1/0")
    assert outcome.status == INCORRECT and "finite" in outcome.feedback


def test_number_relative_tolerance(prepared):
    checker = one(prepared, """
        kind: number
        points: 1
        answer: "1000"
        tolerance: {rtol: 0.001}
    """)
    assert checker.check("1000.9").status == CORRECT
    assert checker.check("1001.5").status == INCORRECT


# -- feedback never reveals the reference ------------------------------------------------------------
#: Wrong answers per hw1 question, and text of the reference that feedback must not contain
#: (unless the student wrote it: an error message may quote the student's own answer).
LEAKS = {
    "q1.sigmoid": (
        ["f(1+f)", "-f (1 - f)", "exp(-x) / (1 + exp(-x))", "f", "1/x", "log(x)", "g(x)", "f +",
         "x^T", ["f", "1 - f"]],
        ["f (1 - f)", "f(1 - f)", "f(1-f)", "f - f^2", "exp(-x)/(1 + exp(-x))^2", "(1 + exp(-x))^2"],
    ),
    "q1.softmax_diag": (
        ["f_i (1 + f_i)", "-f_i^2", "f_i", "f_j", "f_i f_j", "x_i +", "log(x_i)"],
        ["f_i (1 - f_i)", "f_i(1 - f_i)", "f_i - f_i^2", "1 - f_i"],
    ),
    "q1.softmax_offdiag": (
        ["f_i f_j", "f_j (1 - f_j)", "0", "f_i", "f_i (1 - f_j)"],
        ["-f_i f_j", "-f_i*f_j", "- f_i f_j", "-f(x_i) f(x_j)"],
    ),
    "q1.softmax_jacobian": (
        ["f f^T - diag(f)", "diag(f) + f f^T", "diag(f)", "f^T f", "f f^T", "diag(f) - f^T f",
         "x", "diag(", "diag(f) - 2 f f^T"],
        ["diag(f) - f f^T", "diag(f) - f*f^T", "diag(f)-f f^T", "diag(f) - f f'"],
    ),
    "q1.softplus": (
        ["sigmoid(beta x) / beta", "beta sigmoid(beta x)", "1 / (1 + exp(beta x))", "beta",
         "exp(beta x)", "sigmoid(x)", "log(x)", "beta +"],
        ["sigmoid(beta x)", "sigmoid(beta*x)", "1/(1 + exp(-beta x))", "1/(1 + exp(-beta*x))"],
    ),
    "q2.quadratic": (
        ["2 A x + z", "A x + z", "x^T A", "A^T x + z", "z", "x", "x^T (A^T + A)", "A x +",
         "x^T (A + A^T) + z^T"],
        ["(A + A^T) x + z", "(A + A^T)", "(A^T + A)", "A x + A^T x", "A^T x + A x",
         "x^T (A x + z)", "x^T*(A*x + z)"],
    ),
    "q2.quadratic_shape": (
        ["1 x n", "n x n", "n", "m x 1", "2 x 1", "1 x 1"],
        ["n x 1", "(n, 1)", "n × 1", "[n, 1]"],
    ),
    "q2.l2_single": (
        ["(w^T x - y) x^T", "2 (w^T x - y) x", "(w^T x - y) w", "w", "x", "x^T w - y", "X w"],
        ["(w^T x - y) x", "x (x^T w - y)", "x (w^T x - y)", "(w^T x - y)^2 / 2",
         "(w^T*x - y)^2/2"],
    ),
    "q2.l2_multi": (
        ["2 X^T (X w - y)", "(X w - y)^T X", "X^T X w", "X w - y", "w", "X^T y"],
        ["X^T (X w - y)", "X^T X w - X^T y", "X^T*(X*w - y)", "norm(X w - y)^2 / 2",
         "norm(X*w - y)^2/2"],
    ),
    "q2.l2_multi_shape": (
        ["1 x m", "n x 1", "m x m", "n x m"],
        ["m x 1", "(m, 1)", "[m, 1]"],
    ),
    "q3.linear": (
        ["(W x + b - y) x^T", "2 x (W x + b - y)^T", "2 (W x + b - y) x", "W", "x x^T",
         "2 (W x - y) x^T", "b x^T"],
        ["2 (W x + b - y) x^T", "2*(W*x + b - y)*x^T", "norm(W x + b - y)^2",
         "norm(W*x + b - y)^2"],
    ),
    "q3.linear_shape": (
        ["n x m", "m x m", "n x n", "m x 1", "m"],
        ["m x n", "(m, n)", "[m, n]"],
    ),
    "q4.boundary_a2": (
        ["diverges", "converges", "stays", "blows up", "stuck", "goes to the minimum"],
        ["oscillat", "bounces"],
    ),
}

def _leak_cases():
    for qid, (answers, _) in LEAKS.items():
        for answer in answers:
            yield pytest.param(qid, answer, id=f"{qid}:{answer}")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize(("qid", "answer"), list(_leak_cases()))
def test_feedback_never_reveals_the_reference(hw1, hw1_checkers, qid, answer):
    checker = hw1_checkers[qid]
    outcome = checker.check(answer)
    assert outcome.status not in (CORRECT,), f"{answer!r} was meant to be a wrong answer"
    question = hw1.question(qid)
    forbidden = list(LEAKS[qid][1])
    for field in ("answer", "gradient_of"):
        if isinstance(getattr(question, field, None), str) and question.kind != "shape":
            forbidden.append(getattr(question, field))
    if hasattr(checker, "reference_tree"):
        forbidden.append(to_plain(checker.reference_tree))
    if question.kind == "choice":
        forbidden += [question.answer, *question.synonyms.get(question.answer, ())]
    written = _squash(str(answer)).casefold()
    for text in forbidden:
        if _squash(text).casefold() in written:
            continue  # the student's own text may be quoted back
        assert _squash(text).casefold() not in _squash(outcome.feedback).casefold(), (
            f"feedback for {answer!r} reveals {text!r}: {outcome.feedback!r}")


def test_leak_table_covers_every_written_hw1_question(hw1):
    written = [q.id for q in hw1.questions if q.kind in WRITTEN_KINDS]
    assert sorted(written) == sorted(LEAKS)


def test_leak_cases_cover_every_outcome_kind(hw1_checkers):
    seen = {hw1_checkers[qid].check(a).status
            for qid, (answers, _) in LEAKS.items() for a in answers}
    assert {INCORRECT, PARTIAL, INVALID} <= seen


def test_validate_and_describe_are_for_authors_only(hw1_checkers):
    # describe_answer is what `grader validate` shows; it does state the reference.
    assert "diag(f) - f*f^T" in hw1_checkers["q1.softmax_jacobian"].describe_answer()
    assert hw1_checkers["q2.quadratic_shape"].describe_answer() == "n x 1"
    assert hw1_checkers["q4.boundary_a2"].describe_answer() == "oscillates"


def _outcomes_digest(rubric_path) -> str:
    """A digest of every LEAKS answer's full outcome (signature bytes included), from a fresh
    load and prepare."""
    import hashlib

    from grader.pipeline import load

    _, prepared = load(rubric_path)
    digest = hashlib.sha256()
    for qid, (answers, _) in LEAKS.items():
        for answer in answers:
            outcome = prepared[qid].check(answer)
            signature = outcome.signature
            shown = signature.tobytes() if hasattr(signature, "tobytes") else repr(signature).encode()
            digest.update(repr((qid, answer, outcome.status, outcome.fraction, outcome.feedback,
                                outcome.mistake)).encode() + shown)
    return digest.hexdigest()


def test_checking_is_deterministic(hw1_path):
    """The same rubric and answers give the same outcomes, bit for bit: across fresh loads and
    across processes with different hash seeds (so no set or dict order leaks into a verdict)."""
    import os
    import subprocess
    import sys

    here = _outcomes_digest(hw1_path)
    assert _outcomes_digest(hw1_path) == here
    script = ("import sys; sys.path.insert(0, sys.argv[1]); from test_kinds import _outcomes_digest; "
              "print(_outcomes_digest(sys.argv[2]))")
    for hash_seed in ("1", "12345"):
        out = subprocess.run([sys.executable, "-c", script, os.path.dirname(__file__), str(hw1_path)],
                             env={**os.environ, "PYTHONHASHSEED": hash_seed}, capture_output=True,
                             text=True, check=True).stdout.strip()
        assert out == here


def test_shape_notation_hints_do_not_use_the_answer(hw1_checkers, prepared):
    shape = hw1_checkers["q2.quadratic_shape"]
    for answer in ["n", "n x 1 x 1", 5]:
        feedback = shape.check(answer).feedback
        assert "3 x 2" in feedback and "n x 1" not in feedback, feedback
    three_by_two = one(prepared, """
        kind: shape
        points: 1
        answer: [3, 2]
    """)
    assert "3 x 2" not in three_by_two.check("3").feedback
    assert "2 x 3" in three_by_two.check("3").feedback


def test_hw1_mistake_feedback_states_no_written_reference(hw1):
    leaks = []
    for question in hw1.questions:
        for mistake in getattr(question, "mistakes", ()):
            for qid, (_, forbidden) in LEAKS.items():
                for text in forbidden:
                    if _squash(text).casefold() in _squash(mistake.feedback).casefold():
                        leaks.append((question.id, mistake.feedback, qid, text))
    assert leaks == []


@pytest.mark.parametrize("text", ["n-by-1", "n x 1 vector", "an n x 1 column vector",
                                  r"\mathbb{R}^{n \times 1}", "R^{n x 1}", "ℝ^{n×1}", "{n, 1}"])
def test_shape_written_in_words_or_as_a_space(hw1_checkers, text):
    assert hw1_checkers["q2.quadratic_shape"].check(text).status == CORRECT


# -- shape questions know the sizes the prompt names ---------------------------------------------------
SHAPES = """
title: t
questions:
  - id: q.grad
    kind: matrix_expression
    points: 1
    symbols:
      X: {shape: [n, m]}
      w: {shape: [m, 1]}
      y: {shape: [n, 1]}
    gradient_of: "norm(X w - y)^2 / 2"
    wrt: w
  - id: q.grad_shape
    kind: shape
    points: 1
    of: q.grad
    answer: [m, 1]
  - id: q.declared
    kind: shape
    points: 1
    dims: {n: [2, 6], k: [2, 6]}
    answer: [k, 1]
"""


@pytest.mark.parametrize(("qid", "answer", "status"), [
    ("q.grad_shape", "m x 1", CORRECT),
    ("q.grad_shape", "n x 1", INCORRECT),     # a size the prompt names, but the wrong one
    ("q.grad_shape", "1 x m", INCORRECT),
    ("q.grad_shape", "d x 1", INCORRECT),     # a size the question does not know: wrong, not unreadable
    ("q.grad_shape", "n m x 1", INCORRECT),
    ("q.declared", "n x 1", INCORRECT),
    ("q.declared", "k x 1", CORRECT),
    ("q.declared", "p x q", INCORRECT),
    ("q.declared", "x +", INVALID),
])
def test_shape_questions_know_the_prompts_sizes(prepared, qid, answer, status):
    _, kinds = prepared(SHAPES)
    outcome = kinds[qid].check(answer)
    assert outcome.status == status, outcome
    if status != CORRECT:
        # No message lists the sizes of the reference (that would give the answer away).
        assert "knows" not in outcome.feedback
        assert not re.search(r"\b(m|k)\b", outcome.feedback.replace(answer, "")), outcome.feedback


def test_of_must_name_a_question(load_text):
    from grader.pipeline import prepare

    rubric = load_text(SHAPES.replace("of: q.grad", "of: q.nope"))
    with pytest.raises(RubricError) as caught:
        prepare(rubric)
    assert "questions[1].of: no question has the id 'q.nope'" in caught.value.problems[0]


@pytest.mark.parametrize("answer", ["“oscillates”.", "‘oscillates’", '"Oscillates."', "«oscillates»"])
def test_choice_accepts_typographic_quotes_and_a_full_stop(hw1_checkers, answer):
    assert hw1_checkers["q4.boundary_a2"].check(answer).status == CORRECT


def test_choice_near_miss_gets_a_did_you_mean_and_stays_invalid(hw1_checkers):
    outcome = hw1_checkers["q4.boundary_a2"].check("osciliates")
    assert outcome.status == INVALID
    assert "did you mean `oscillates`?" in outcome.feedback
    assert "did you mean" not in hw1_checkers["q4.boundary_a2"].check("explodes").feedback


def test_a_message_quoting_the_text_is_never_shared_between_texts_of_one_tree(hw1_path):
    """Expressions are judged once per parse tree, but a product that does not conform is
    reported with a caret under the student's own text: each spelling gets its own caret, and
    the order in which they arrive changes nothing."""
    from grader.pipeline import load

    _, prepared = load(hw1_path)
    kind = prepared["q2.quadratic"]
    texts = ["x A + z", "x    A + z", "(x) A + z", "x A + z"]
    carets = [kind.check(text).feedback.splitlines()[1:] for text in texts]
    assert carets[0] == ["x A + z", "^^^"]
    assert carets[1] == ["x    A + z", "^^^^^^"]
    assert carets[2][0] == "(x) A + z" and carets[3] == carets[0]
    # Right answers in several spellings share one judgement, and keep their verdict.
    right = ["A x + A^T x + z", "A*x + A^T*x + z", "(A x) + (A^T x) + (z)"]
    assert all(kind.check(t).status == "correct" for t in right)
    assert sum(1 for outcome in kind._judged.values() if outcome.status == "correct") == 1
