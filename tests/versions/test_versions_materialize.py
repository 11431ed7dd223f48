"""A question of one version: drawn names replaced in every field that holds a number or an
expression (givens, references, mistakes, losses, starts, step sizes, parameters, intervals,
number answers, function arguments), whole words only; prompts through ``{{name}}``, LaTeX kept;
text fields left as prose."""

from __future__ import annotations

import numpy as np
import pytest

from grader.errors import RubricError
from grader.rubric.substitute import render, substitute_expression
from grader.versions import Versions, prepare_version

FIELDS = r"""
title: every field
versions:
  seed: 3
  draw:
    a: {choice: [2, 3]}
    b: {integer: [4, 6]}
    m: {choice: [-2, -3]}
    k: {integer: [2, 3]}
questions:
  - id: q.expr
    kind: expression
    points: 1
    prompt: "g(x) = {{a}} x^2 + x + {{m}}, with $e^{-x}$ and \\frac{1}{{{b}}}: give g'(x)."
    symbols:
      x: {domain: [-b, b]}
    given:
      g: "a x^2"
      h: {args: [t], value: "t + m"}
    gradient_of: "g + h(x)"
    wrt: x
    answer: "2 a x + 1"
    mistakes:
      - answer: "a x + 1"
        feedback: "a factor of 2 is missing in a x^2's derivative"
  - id: q.iter
    kind: iterates
    points: 1
    loss: "(w x - y)^2 / 2"
    variable: w
    params: {x: a, y: b}
    start: m
    alpha: "1 / (2 a^2)"
    steps: 2
  - id: q.vector
    kind: iterates
    points: 1
    loss: "norm(A w - y)^2 / 2"
    variable: w
    params: {A: [[a, 0], [0, b]], y: [1, m]}
    start: [m, 0]
    alpha: "1/b^2"
    steps: 2
  - id: q.interval
    kind: interval
    points: 1
    variable: alpha
    answer: "(0, 2 / a^2)"
  - id: q.convergence
    kind: interval
    points: 1
    variable: alpha
    convergence_of: {loss: "(w x - y)^2 / 2", variable: w, params: {x: a, y: b}}
  - id: q.number
    kind: number
    points: 1
    answer: "a b + m"
  - id: q.shape
    kind: shape
    points: 1
    answer: [k, 1]
  - id: q.function
    kind: function
    points: 1
    args:
      x: {shape: [n], domain: [0, 2 a]}
      s: {integer: [1, b]}
    answer: "a s x"
  - id: q.fixed
    kind: number
    points: 1
    prompt: "the same for everyone"
    answer: "7"
"""


@pytest.fixture
def every_field(load_text):
    rubric = load_text(FIELDS)
    return rubric, Versions(rubric)


def _values(versions, **wanted):
    """A student whose draw has these values (the draws are stable, so this is too)."""
    for i in range(500):
        values = versions.draw(f"student{i}")
        if all(values[k] == v for k, v in wanted.items()):
            return values
    raise AssertionError(f"no student drew {wanted}")


def test_which_names_each_question_uses(every_field):
    _, versions = every_field
    assert versions.uses == {
        "q.expr": ("a", "b", "m"), "q.iter": ("a", "b", "m"), "q.vector": ("a", "b", "m"),
        "q.interval": ("a",), "q.convergence": ("a", "b"), "q.number": ("a", "b", "m"),
        "q.shape": ("k",), "q.function": ("a", "b"), "q.fixed": (),
    }
    values = versions.draw("ana")
    assert versions.key("q.interval", values) == (values["a"],)
    assert versions.is_shared("q.fixed") and not versions.is_shared("q.shape")


def test_every_field_takes_the_students_values(every_field):
    rubric, versions = every_field
    values = _values(versions, a=3, b=5, m=-2, k=2)
    prepared = prepare_version(rubric, versions, values, {})
    expr = versions.materialize("q.expr", values)
    assert expr.symbols["x"].domain == (-5, 5)
    assert expr.given["g"] == "3 x^2" and expr.given["h"].value == "t + (-2)"
    assert expr.gradient_of == "g + h(x)" and expr.answer == "2 (3) x + 1"
    assert expr.mistakes[0].answer == "3 x + 1"
    # prose stays prose; the mistake keeps the label of its text as written
    assert expr.mistakes[0].feedback == "a factor of 2 is missing in a x^2's derivative"
    assert expr.mistakes[0].label == "a x + 1"
    assert expr.prompt == r"g(x) = 3 x^2 + x + -2, with $e^{-x}$ and \frac{1}{5}: give g'(x)."
    kind = prepared["q.expr"]
    assert kind.check("6 x + 1").status == "correct"
    assert kind.check("4 x + 1").status == "incorrect"
    assert kind.check("3 x + 1").mistake == "a x + 1"

    iterates = versions.materialize("q.iter", values)
    assert iterates.params == {"x": "3", "y": "5"} and iterates.start == "-2"
    w1 = -2 - (1 / 18) * (-2 * 3 - 5) * 3
    assert np.isclose(prepared["q.iter"].truth[0], w1)

    vector = versions.materialize("q.vector", values)
    assert vector.params == {"A": [["3", 0], [0, "5"]], "y": [1, "-2"]} and vector.start == ["-2", 0]
    w = np.array([-2.0, 0.0])
    A, y = np.diag([3.0, 5.0]), np.array([1.0, -2.0])
    assert np.allclose(prepared["q.vector"].truth[0].ravel(), w - (A.T @ (A @ w - y)) / 25)

    assert versions.materialize("q.interval", values).answer == "(0, 2 / 3^2)"
    assert prepared["q.interval"].check("(0, 2/9)").status == "correct"
    assert prepared["q.convergence"].check("(0, 2/9)").status == "correct"
    assert prepared["q.convergence"].check("(0, 2/4)").status == "incorrect"
    assert prepared["q.number"].check("13").status == "correct"
    assert prepared["q.shape"].check("2 x 1").status == "correct"
    assert prepared["q.shape"].check("n x 1").status != "correct"

    function = versions.materialize("q.function", values)
    assert function.args["x"].domain == (0, 6) and function.args["s"].integer == (1, 5)
    calls = prepared["q.function"].prepared_calls
    for call in calls:
        x, s = call.args
        assert np.all((0 <= x) & (x <= 6)) and 1 <= s <= 5
        assert np.allclose(call.expected, 3 * s * x)


def test_another_version_gets_other_numbers(every_field):
    rubric, versions = every_field
    first = _values(versions, a=2, b=4, m=-3)
    second = _values(versions, a=3, b=6, m=-2)
    one = prepare_version(rubric, versions, first, {})
    two = prepare_version(rubric, versions, second, {})
    assert one["q.number"].check("5").status == "correct"   # 2*4 - 3
    assert two["q.number"].check("5").status == "incorrect"
    assert two["q.number"].check("16").status == "correct"  # 3*6 - 2
    assert versions.prompt("q.expr", first).startswith("g(x) = 2 x^2 + x + -3")


def test_a_question_without_drawn_names_is_shared(every_field):
    rubric, versions = every_field
    shared: dict = {}
    one = prepare_version(rubric, versions, versions.draw("ana"), shared)
    two = prepare_version(rubric, versions, versions.draw("ben"), shared)
    assert one["q.fixed"] is two["q.fixed"] is shared["q.fixed"]
    assert versions.materialize("q.fixed", versions.draw("ana")) is rubric.question("q.fixed")


def test_each_distinct_version_is_prepared_once(every_field):
    rubric, versions = every_field
    shared: dict = {}
    students = [f"s{i}" for i in range(60)]
    draws = {s: versions.draw(s) for s in students}
    prepared = {s: prepare_version(rubric, versions, draws[s], shared) for s in students}
    distinct = sum(len({versions.key(q.id, v) for v in draws.values()})
                   for q in rubric.questions if not versions.is_shared(q.id))
    assert versions.prepared_count() == distinct < 8 * len(students)
    # students with the same values for a question share one prepared question
    for qid in ("q.interval", "q.shape"):
        by_key = {}
        for student, values in draws.items():
            by_key.setdefault(versions.key(qid, values), set()).add(id(prepared[student][qid]))
        assert all(len(ids) == 1 for ids in by_key.values()) and len(by_key) == 2


def test_the_stand_in_version_is_loaded_and_validated(every_field):
    rubric, versions = every_field
    template = rubric.versions.template()
    assert rubric.question("q.number").answer == substitute_expression("a b + m", {
        n: f"{v:g}" for n, v in template.items()})


@pytest.mark.parametrize(("text", "values", "expected"), [
    ("x0", {"x0": "-3"}, "-3"),
    ("x0 + ax0 + x0_1 + \\x0 + x0", {"x0": "3"}, "3 + ax0 + x0_1 + \\x0 + 3"),
    ("2x0 + x0 y0 + x0^2", {"x0": "3", "y0": "2"}, "2(3) + (3) (2) + 3^2"),
    ("w x0 - x0", {"x0": "-0.5"}, "w (-0.5) - (-0.5)"),
    ("{{x0}} + 1", {"x0": "4"}, "4 + 1"),
    ("\\frac{x0}{2} + \\lambda", {"x0": "4", "lambda": "9"}, "\\frac{4}{2} + \\lambda"),
    ("1e5 x0 + 2.5", {"x0": "1e-05"}, "1e5 (1e-05) + 2.5"),
])
def test_substitution_is_token_aware(text, values, expected):
    assert substitute_expression(text, values) == expected


def test_prompts_replace_double_braces_only():
    assert render(r"w = {{x0}}, $e^{-x}$, {x0}, x0, {{ y0 }}, {{zz}}", {"x0": "2", "y0": "0.25"}) \
        == r"w = 2, $e^{-x}$, {x0}, x0, 0.25, {{zz}}"


def test_a_prompt_naming_an_undeclared_parameter_is_an_error(load_text):
    text = FIELDS.replace("{{b}}", "{{bb}}")
    with pytest.raises(RubricError) as info:
        load_text(text)
    (problem,) = info.value.problems
    line = FIELDS.splitlines().index(next(l for l in FIELDS.splitlines() if "{{b}}" in l))
    assert f":{line}: questions[0].prompt: {{{{bb}}}} is not a drawn parameter" in problem


def test_a_drawn_name_a_question_declares_is_an_error(load_text):
    text = FIELDS.replace("      x: {domain: [-b, b]}", "      x: {domain: [-b, b]}\n      a: {}")
    with pytest.raises(RubricError) as info:
        load_text(text)
    assert any("questions[0].symbols.a: `a` is drawn" in p for p in info.value.problems)


def test_a_version_that_breaks_the_schema_names_the_values(load_text):
    text = FIELDS.replace("domain: [-b, b]", "domain: [b, 5]")
    rubric = None
    try:
        rubric = load_text(text)
    except RubricError as err:
        # the stand-in draw itself has b = 5 or more: refused when loading, values named
        assert "in the version a = " in err.problems[0] and "questions[0].symbols.x" in err.problems[0]
        return
    versions = Versions(rubric)
    values = _values(versions, b=6)
    with pytest.raises(RubricError) as info:
        prepare_version(rubric, versions, values, {})
    assert "questions[0].symbols.x" in info.value.problems[0]
    assert "b = 6" in info.value.problems[0]


def test_a_question_answered_with_options_keeps_its_words(load_text):
    rubric = load_text("""
        title: t
        versions:
          draw:
            a: {choice: [2, 3]}
        questions:
          - id: q.choice
            kind: choice
            points: 1
            prompt: "With α = 2/{{a}}^2, what happens?"
            options: [a, b]
            answer: a
    """.replace("\n        ", "\n"))
    versions = Versions(rubric)
    values = versions.draw("ana")
    question = versions.materialize("q.choice", values)
    assert question.options == ("a", "b") and question.answer == "a"
    assert question.prompt == f"With α = 2/{values['a']:g}^2, what happens?"
    assert versions.uses["q.choice"] == ("a",)
