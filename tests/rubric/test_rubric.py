"""Rubric loading: the YAML format, its defaults, and errors that name file, line and field."""

from __future__ import annotations

import re
import textwrap

import pytest

from grader.pipeline import prepare
from grader.errors import RubricError
from grader.pipeline import load_rubric
from grader.rubric import DEFAULT_SEED

HW1_IDS = [
    "q1.sigmoid", "q1.softmax_diag", "q1.softmax_offdiag", "q1.softmax_jacobian", "q1.softplus",
    "q2.quadratic", "q2.quadratic_shape", "q2.l2_single", "q2.l2_multi", "q2.l2_multi_shape",
    "q3.linear", "q3.linear_shape", "q4.boundary_a2",
]

#: A valid one-question rubric that the error tests below break in one place each.
BASE = """\
title: t
questions:
  - id: a
    kind: expression
    points: 1
    symbols:
      x: {domain: [-1, 1]}
    answer: "x^2"
"""


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    """1-based line number of the ``occurrence``-th line containing ``needle``."""
    hits = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    assert len(hits) >= occurrence, f"{needle!r} not in the rubric text"
    return hits[occurrence - 1]


def problems_of(path) -> list[str]:
    with pytest.raises(RubricError) as info:
        rubric = load_rubric(path)
        prepare(rubric)
    problems = info.value.problems
    assert problems, "a RubricError must carry at least one problem"
    assert str(info.value) == "\n".join(problems)
    return problems


# -- the example rubric ---------------------------------------------------------------------------
def test_hw1_loads_with_questions_in_file_order(hw1):
    assert hw1.title == "HW1 - gradients and gradient descent"
    assert hw1.seed == 2022
    ids = [q.id for q in hw1.questions]
    # hw1 grows (code questions, more kinds): its written part keeps these ids, in this order.
    assert [i for i in ids if i in HW1_IDS] == HW1_IDS
    assert len(set(ids)) == len(ids)
    kinds = {q.id: q.kind for q in hw1.questions}
    assert kinds["q1.sigmoid"] == "expression"
    assert kinds["q1.softmax_jacobian"] == "matrix_expression"
    assert kinds["q2.quadratic_shape"] == "shape"
    assert kinds["q4.boundary_a2"] == "choice"
    assert hw1.max_total == sum(q.points for q in hw1.questions)
    assert sum(hw1.question(i).points for i in HW1_IDS) == 54
    assert hw1.question("q2.l2_single").points == 5
    with pytest.raises(KeyError):
        hw1.question("q9.nope")


def test_hw1_fields_are_parsed(hw1):
    sigmoid = hw1.question("q1.sigmoid")
    assert sigmoid.symbols["x"].domain == (-6, 6)
    assert sigmoid.gradient_of == "1/(1 + exp(-x))"
    assert sigmoid.wrt == "x"
    assert sigmoid.layout == "denominator"
    f = sigmoid.given["f"]
    assert f.args == ("x",) and f.value == "1/(1 + exp(-x))" and f.aliases == ("sigma",)
    assert len(sigmoid.mistakes) == 3
    assert sigmoid.mistakes[0].answer == "f (1 + f)"
    assert sigmoid.mistakes[0].score == 0.0

    jacobian = hw1.question("q1.softmax_jacobian")
    assert jacobian.symbols["x"].shape == ("n", 1)
    assert jacobian.dims == {"n": (2, 6)}
    assert jacobian.given["f"] == "exp(x) / sum(exp(x))"
    assert jacobian.answer == "diag(f) - f f^T"

    softplus = hw1.question("q1.softplus")
    assert softplus.symbols["beta"].positive is True

    l2 = hw1.question("q2.l2_single")
    assert l2.symbols["w"].aliases == ("omega",)
    assert l2.mistakes[0].score == 0.5

    assert hw1.question("q2.quadratic_shape").answer == ("n", 1)
    choice = hw1.question("q4.boundary_a2")
    assert choice.options == ("converges", "diverges", "oscillates", "stays")
    assert choice.answer == "oscillates"
    assert "bounces" in choice.synonyms["oscillates"]


def test_hw1_where_points_at_the_question_line(hw1, hw1_path):
    text = hw1_path.read_text()
    index = HW1_IDS.index("q2.quadratic")
    assert hw1.where("q2.quadratic") == (
        f"{hw1_path}:{line_of(text, '- id: q2.quadratic')}: questions[{index}]")
    gradient_line = line_of(text, 'gradient_of: "x^T (A x + z)"')
    assert hw1.where("q2.quadratic", "gradient_of") == (
        f"{hw1_path}:{gradient_line}: questions[{index}].gradient_of")


# -- defaults and the shared vocabulary ------------------------------------------------------------
def test_defaults(load_text):
    rubric = load_text(BASE)
    assert rubric.seed == DEFAULT_SEED
    q = rubric.question("a")
    assert q.prompt == ""
    assert q.tolerance.rtol > 0 and q.tolerance.atol >= 0
    assert q.samples >= 1
    assert q.mistakes == ()
    assert q.layout == "denominator"


def test_seed_from_file_and_override(load_text):
    assert load_text(BASE.replace("title: t\n", "title: t\nseed: 7\n")).seed == 7
    assert load_text(BASE, seed=11).seed == 11


def test_symbol_specs(load_text):
    rubric = load_text("""
        title: t
        questions:
          - id: a
            kind: matrix_expression
            points: 2.5
            prompt: "Give it."
            symbols:
              x: {domain: [-6, 6]}
              beta: {positive: true}
              gamma: {positive: true, domain: [0, 3]}
              A: {shape: [n, n]}
              w: {shape: [n, 1], aliases: [omega]}
            dims: {n: [2, 6]}
            given:
              S: "exp(x) + 1"
              f: {args: [t], value: "1/(1 + exp(-t))"}
            tolerance: {rtol: 1.0e-4, atol: 1.0e-8}
            samples: 10
            answer: "A w"
            mistakes:
              - answer: "A^T w"
                feedback: "transpose"
                score: 0.25
    """)
    q = rubric.question("a")
    assert q.points == 2.5 and q.prompt == "Give it."
    assert q.symbols["x"].bounds() == (-6, 6)
    low, high = q.symbols["beta"].bounds()
    assert 0 < low < high
    low, high = q.symbols["gamma"].bounds()
    assert 0 < low and high == 3, "a positive symbol never samples 0"
    assert q.symbols["A"].shape == ("n", "n")
    assert q.symbols["w"].aliases == ("omega",)
    assert q.dims == {"n": (2, 6)}
    assert q.given["S"] == "exp(x) + 1"
    assert q.given["f"].args == ("t",)
    assert (q.tolerance.rtol, q.tolerance.atol) == (1e-4, 1e-8)
    assert q.samples == 10
    assert q.mistakes[0].score == 0.25 and q.mistakes[0].feedback == "transpose"


def test_valid_ids_with_dots_underscores_digits(load_text):
    rubric = load_text(BASE.replace("id: a", "id: Q1.part_b2"))
    assert rubric.questions[0].id == "Q1.part_b2"


# -- schema errors: file, line, field ---------------------------------------------------------------
def test_negative_rtol_exact_message(tmp_path, write_rubric):
    text = BASE + "    tolerance: {rtol: -1}\n"
    path = write_rubric(tmp_path, text)
    assert problems_of(path) == [f"{path}:9: questions[0].tolerance.rtol: must be a positive number"]


def test_negative_rtol_in_block_mapping_points_at_its_own_line(tmp_path, write_rubric):
    text = BASE + "    tolerance:\n      atol: 0.1\n      rtol: -0.5\n"
    path = write_rubric(tmp_path, text)
    assert line_of(text, "rtol: -0.5") == 11
    assert problems_of(path) == [f"{path}:11: questions[0].tolerance.rtol: must be a positive number"]


def test_error_in_a_later_question_names_its_index_and_line(tmp_path, write_rubric):
    second = BASE.split("questions:\n")[1].replace("id: a", "id: b")
    text = BASE + second + "    tolerance:\n      rtol: 0\n"
    path = write_rubric(tmp_path, text)
    assert problems_of(path) == [
        f"{path}:{line_of(text, 'rtol: 0')}: questions[1].tolerance.rtol: must be a positive number"]


def test_relative_path_is_shown_as_given(tmp_path, write_rubric, monkeypatch):
    write_rubric(tmp_path / "rubrics", BASE + "    tolerance: {rtol: -1}\n", "hw1.yaml")
    monkeypatch.chdir(tmp_path)
    assert problems_of("rubrics/hw1.yaml") == [
        "rubrics/hw1.yaml:9: questions[0].tolerance.rtol: must be a positive number"]


@pytest.mark.parametrize(
    ("name", "edit", "needle", "field", "message"),
    [
        ("missing title", lambda t: t.replace("title: t\n", ""), None, "title",
         "required field is missing"),
        ("unknown kind", lambda t: t.replace("kind: expression", "kind: integral"), "kind:",
         "questions[0].kind", "unknown kind 'integral'"),
        ("missing kind", lambda t: t.replace("    kind: expression\n", ""), "- id: a",
         "questions[0].kind", "missing field `kind`"),
        ("id with a dash", lambda t: t.replace("id: a", "id: q1-a"), "id:", "questions[0].id",
         "must use only letters, digits, '.' and '_'"),
        ("id with a space", lambda t: t.replace("id: a", "id: 'q 1'"), "id:", "questions[0].id",
         "must use only letters, digits, '.' and '_'"),
        ("id with a slash", lambda t: t.replace("id: a", "id: q1/a"), "id:", "questions[0].id",
         "must use only letters, digits, '.' and '_'"),
        ("misspelt field", lambda t: t + "    tolerence: {rtol: 0.1}\n", "tolerence",
         "questions[0].tolerence", "unknown field"),
        ("misspelt nested field", lambda t: t.replace("{domain:", "{domian:"), "domian",
         "questions[0].symbols.x.domian", "unknown field"),
        ("zero points", lambda t: t.replace("points: 1", "points: 0"), "points",
         "questions[0].points", "must be a positive number"),
        ("negative points", lambda t: t.replace("points: 1", "points: -2"), "points",
         "questions[0].points", "must be a positive number"),
        ("rtol not a number", lambda t: t + "    tolerance: {rtol: abc}\n", "tolerance",
         "questions[0].tolerance.rtol", "must be a number"),
        ("negative atol", lambda t: t + "    tolerance: {atol: -1}\n", "tolerance",
         "questions[0].tolerance.atol", "must not be negative"),
        ("mistake score above 1",
         lambda t: t + "    mistakes:\n      - answer: x\n        feedback: nope\n        score: 1.5\n",
         "score: 1.5", "questions[0].mistakes[0].score", "must be at most 1"),
        ("mistake without feedback", lambda t: t + "    mistakes:\n      - answer: x\n",
         "- answer: x", "questions[0].mistakes[0].feedback", "required field is missing"),
        ("zero samples", lambda t: t + "    samples: 0\n", "samples", "questions[0].samples",
         "must be at least 1"),
        ("bad layout", lambda t: t + "    layout: sideways\n", "layout", "questions[0].layout", ""),
        ("no questions", lambda t: "title: t\nquestions: []\n", "questions", "questions",
         "must not be empty"),
        ("domain reversed", lambda t: t.replace("[-1, 1]", "[1, -1]"), "x:",
         "questions[0].symbols.x", "domain must be [low, high] with low < high"),
        ("dims below 1", lambda t: t + "    dims: {n: [0, 3]}\n", "- id: a", "questions[0]",
         "dims.n: must be [low, high] with 1 <= low <= high <= 64"),
        ("no reference", lambda t: t.replace('    answer: "x^2"\n', ""), "- id: a", "questions[0]",
         "give the reference"),
        ("gradient_of without wrt", lambda t: t.replace('answer: "x^2"', 'gradient_of: "x^2"'),
         "- id: a", "questions[0]", "`gradient_of` needs `wrt`"),
        ("wrt not a symbol",
         lambda t: t.replace('answer: "x^2"', 'gradient_of: "x^2"\n    wrt: y'), "- id: a",
         "questions[0]", "wrt: `y` is not one of the declared symbols"),
        ("choice answer not an option",
         lambda t: t.replace("kind: expression", "kind: choice").replace(
             '    symbols:\n      x: {domain: [-1, 1]}\n    answer: "x^2"\n',
             "    options: [up, down]\n    answer: sideways\n"),
         "- id: a", "questions[0]", "'sideways' is not one of the options"),
        ("shape answer not two sizes",
         lambda t: t.replace("kind: expression", "kind: shape").replace(
             '    symbols:\n      x: {domain: [-1, 1]}\n    answer: "x^2"\n',
             '    answer: "n"\n'),
         "answer:", "questions[0].answer", "write the shape as [rows, cols]"),
    ],
    ids=lambda v: v if isinstance(v, str) and " " in v else None,
)
def test_schema_errors(tmp_path, write_rubric, name, edit, needle, field, message):
    text = edit(BASE)
    path = write_rubric(tmp_path, text)
    problems = problems_of(path)
    line = line_of(text, needle) if needle else 1
    prefix = f"{path}:{line}: {field}: "
    assert any(p.startswith(prefix) and message in p for p in problems), problems


def test_unknown_kind_lists_the_known_kinds(tmp_path, write_rubric):
    path = write_rubric(tmp_path, BASE.replace("kind: expression", "kind: integral"))
    (problem,) = problems_of(path)
    known = re.search(r"known kinds: (.*)\)$", problem).group(1).split(", ")
    assert {"expression", "matrix_expression", "shape", "number", "choice"} <= set(known)
    assert "integral" not in known


def test_duplicate_id_points_at_the_second_one(tmp_path, write_rubric):
    text = BASE + BASE.split("questions:\n")[1]
    path = write_rubric(tmp_path, text)
    assert problems_of(path) == [
        f"{path}:{line_of(text, 'id: a', 2)}: questions[1].id: duplicate id 'a' (also questions[0])"]


def test_every_problem_is_reported_at_once(tmp_path, write_rubric):
    text = (BASE.replace("points: 1", "points: 0")
            + BASE.split("questions:\n")[1].replace("id: a", "id: b").replace(
                "kind: expression", "kind: integral"))
    path = write_rubric(tmp_path, text)
    problems = problems_of(path)
    assert len(problems) == 2
    assert problems[0].startswith(f"{path}:{line_of(text, 'points: 0')}: questions[0].points:")
    assert problems[1].startswith(f"{path}:{line_of(text, 'integral')}: questions[1].kind:")


def test_unreadable_files(tmp_path, write_rubric):
    missing = tmp_path / "nope.yaml"
    assert problems_of(missing) == [f"{missing}: no such file"]

    bad_yaml = write_rubric(tmp_path, "title: t\nquestions: [\n", "bad.yaml")
    (problem,) = problems_of(bad_yaml)
    assert re.match(rf"{re.escape(str(bad_yaml))}:\d+: not valid YAML: ", problem)

    a_list = write_rubric(tmp_path, "- a\n- b\n", "list.yaml")
    assert problems_of(a_list) == [f"{a_list}:1: a rubric is a mapping with title and questions"]

    empty = write_rubric(tmp_path, "", "empty.yaml")
    assert problems_of(empty) == [f"{empty}:1: a rubric is a mapping with title and questions"]


# -- content errors found by prepare(): still file:line: field ---------------------------------------
@pytest.mark.parametrize(
    ("edit", "needle", "field", "message"),
    [
        (lambda t: t.replace('answer: "x^2"', 'answer: "x^^2 +"'), "answer:",
         "questions[0].answer", "unexpected"),
        (lambda t: t.replace('answer: "x^2"', 'answer: "y + 1"'), "answer:",
         "questions[0].answer", "unknown name `y`"),
        (lambda t: t + "    mistakes:\n      - answer: \"x +\"\n        feedback: nope\n",
         'answer: "x +"', "questions[0].mistakes[0].answer", ""),
        (lambda t: t + "    given:\n      g: \"x ** (\"\n", "g:", "questions[0].given.g", ""),
        (lambda t: t.replace("[-1, 1]", "[-2, -1]").replace('"x^2"', '"log(x)"'), "- id: a",
         "questions[0]", "undefined at almost every sample point"),
    ],
    ids=["reference does not parse", "reference uses an unknown name", "mistake does not parse",
         "given does not parse", "reference undefined on the domain"],
)
def test_prepare_reports_content_errors_with_file_and_line(tmp_path, write_rubric, edit, needle,
                                                           field, message):
    text = edit(BASE)
    path = write_rubric(tmp_path, text)
    rubric = load_rubric(path)  # the schema is fine
    with pytest.raises(RubricError) as info:
        prepare(rubric)
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}:{line_of(text, needle)}: {field}: "), problem
    assert message in problem


def test_prepare_rejects_a_matrix_gradient_of(tmp_path, write_rubric):
    text = """\
title: t
questions:
  - id: m
    kind: matrix_expression
    points: 1
    symbols:
      x: {shape: [n, 1]}
    gradient_of: "x"
    wrt: x
"""
    path = write_rubric(tmp_path, text)
    with pytest.raises(RubricError) as info:
        prepare(load_rubric(path))
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}:8: questions[0].gradient_of: must be a scalar expression")


def test_prepare_rejects_a_shape_reference_it_cannot_read(tmp_path, write_rubric):
    text = "title: t\nquestions:\n  - id: s\n    kind: shape\n    points: 1\n    answer: [\"n +\", 1]\n"
    path = write_rubric(tmp_path, text)
    with pytest.raises(RubricError) as info:
        prepare(load_rubric(path))
    (problem,) = info.value.problems
    assert problem.startswith(f"{path}:6: questions[0].answer[0]: ")


# -- validate(): problems for the author beyond the schema --------------------------------------------
def test_hw1_validates_clean(hw1, hw1_checkers):
    for question in hw1.questions:
        assert hw1_checkers[question.id].validate() == [], question.id


def test_validate_flags_a_mistake_equal_to_the_reference(prepared):
    rubric, checkers = prepared(BASE + "    mistakes:\n      - answer: \"x*x\"\n        feedback: nope\n"
                                "      - answer: \"2 x\"\n        feedback: fine\n")
    ((field, problem),) = checkers["a"].validate()
    assert field == ("mistakes", 0, "answer") and "equivalent to the reference" in problem


def test_validate_flags_an_answer_that_disagrees_with_gradient_of(prepared):
    _, checkers = prepared(BASE.replace('answer: "x^2"', 'gradient_of: "x^3"\n    wrt: x\n    answer: "3 x"'))
    ((field, problem),) = checkers["a"].validate()
    assert field == ("answer",) and "does not agree with the gradient" in problem

    _, checkers = prepared(BASE.replace('answer: "x^2"', 'gradient_of: "x^3"\n    wrt: x\n    answer: "3 x^2"'))
    assert checkers["a"].validate() == []


def test_validate_flags_an_answer_of_the_wrong_shape(prepared):
    _, checkers = prepared("""
        title: t
        questions:
          - id: g
            kind: matrix_expression
            points: 1
            symbols:
              x: {shape: [n, 1]}
            gradient_of: "x^T x"
            wrt: x
            answer: "2 x^T"
    """)
    ((field, problem),) = checkers["g"].validate()
    assert field == ("answer",) and "shape 1 x n" in problem and "n x 1" in problem


def test_errors_under_an_upper_case_name_keep_the_name_and_line(tmp_path, write_rubric):
    # Matrix symbols are usually upper case (A, W, X); the field path must still name them.
    text = """\
title: t
questions:
  - id: a
    kind: matrix_expression
    points: 1
    symbols:
      x: {shape: [n, 1]}
      A:
        shape: [n, n]
        domian: [1, 2]
    answer: "A x"
"""
    path = write_rubric(tmp_path, text)
    assert problems_of(path) == [
        f"{path}:10: questions[0].symbols.A.domian: unknown field (check its spelling in "
        "docs/rubric-format.md)"]


def test_errors_inside_a_given_name_the_given(tmp_path, write_rubric):
    text = BASE + "    given:\n      S: {value: \"x\", bogus: 1}\n"
    path = write_rubric(tmp_path, text)
    problems = problems_of(path)
    assert f"{path}:10: questions[0].given.S.bogus: unknown field (check its spelling in " \
           "docs/rubric-format.md)" in problems
    assert all(p.startswith(f"{path}:10: questions[0].given.S") for p in problems), problems


# -- hostile YAML: rubrics are trusted, but must not hang or crash ----------------------------------
LAUGHS = "title: t\na: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n" + "".join(
    f"{b}: &{b} [{', '.join(['*' + a] * 9)}]\n" for a, b in zip("abcdefgh", "bcdefghi")) + "questions: *i\n"


@pytest.mark.parametrize(("text", "words"), [
    (LAUGHS, "expands to more than"),
    ("title: t\nquestions: &q\n  - *q\n", "refers to the block that contains it"),
    ("title: t\nquestions: " + "[" * 400 + "]" * 400 + "\n", "nest"),
    ("title: t\nquestions:\n  - {[a]: 1}\n", "a key must be plain text"),
])
def test_hostile_yaml_is_a_located_error_not_a_hang_or_traceback(tmp_path, text, words):
    import time

    path = tmp_path / "r.yaml"
    path.write_text(text)
    started = time.monotonic()
    with pytest.raises(RubricError) as caught:
        load_rubric(path)
    assert time.monotonic() - started < 10
    (problem,) = caught.value.problems
    assert re.match(rf"^{re.escape(str(path))}:\d+: ", problem), problem
    assert words in problem


def test_shared_anchors_still_work(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(textwrap.dedent("""
        title: t
        shared: &common
          x: {domain: [-3, 3]}
        questions:
          - {id: a, kind: expression, points: 1, symbols: *common, answer: "x^2"}
          - {id: b, kind: expression, points: 1, symbols: *common, answer: "2 x"}
    """))
    rubric = load_rubric(path)
    assert [q.id for q in rubric.questions] == ["a", "b"]
