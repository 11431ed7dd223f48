"""The answer key as Markdown (``grader solutions``): every question with its prompt and answer,
LaTeX that is balanced, the instructor's code only when asked, and the commands' exit codes."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from click.testing import CliRunner

from grader.authoring import solutions as module
from grader.authoring.closed_form import closed_form
from grader.authoring.solutions import solutions_markdown
from grader.cli import main


@pytest.fixture(scope="module")
def hw1_forms(hw1, hw1_checkers):
    return {q.id: closed_form(hw1_checkers[q.id]) for q in hw1.questions}


@pytest.fixture(scope="module")
def key(hw1, hw1_checkers, hw1_forms):
    return solutions_markdown(hw1, hw1_checkers, forms=hw1_forms)


def sections(markdown: str) -> dict[str, str]:
    """Each question's section, by id, from its `## N. id (P points)` heading."""
    parts = re.split(r"^## \d+\. (\S+) \(.*\)$", markdown, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2]))


def unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_every_question_has_a_section_in_rubric_order(key, hw1):
    assert key.startswith(f"# Solutions: {hw1.title}\n")
    assert list(sections(key)) == [q.id for q in hw1.questions]
    assert f"{len(hw1.questions)} questions, {hw1.max_total:g} points." in key


def test_every_prompt_is_shown_as_written(key, hw1):
    shown = sections(key)
    for question in hw1.questions:
        quoted = [line[2:] for line in shown[question.id].splitlines() if line.startswith("> ")]
        assert unescape("\n".join(quoted)) == question.prompt


def test_every_section_states_an_answer_and_the_latex_is_balanced(key):
    for qid, text in sections(key).items():
        assert "Answer:" in text or "returns:" in text, qid
        assert text.count("$$") % 2 == 0, qid
        inline = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
        assert inline.count("$") % 2 == 0, qid
        assert text.count(r"\left") == text.count(r"\right"), qid
        assert text.count("{") == text.count("}"), qid
    assert "Traceback" not in key and "could not be rendered" not in key


def test_gradients_show_their_verified_closed_form(key, hw1_forms):
    shown = sections(key)
    for qid in ("q2.quadratic", "q3.linear", "p2.quadratic_grad"):
        assert hw1_forms[qid].latex in shown[qid], qid
    assert r"2 \left(W x + b - y\right) x^{\top}" in shown["q3.linear"]
    # With the givens first, then in the question's own symbols.
    sigmoid = shown["q1.sigmoid"]
    assert sigmoid.index(hw1_forms["q1.sigmoid"].with_givens_latex) < \
        sigmoid.index(hw1_forms["q1.sigmoid"].latex)
    assert "This is the gradient of" in sigmoid


def test_a_gradient_without_closed_form_is_stated_by_its_definition(key):
    section = sections(key)["p1.sigmoid_grad"]
    assert r"\nabla_{x} \left( \operatorname{sum}\left(\operatorname{sigmoid}\left(x\right)\right) \right)" in section


def test_the_other_kinds_answers(key):
    shown = sections(key)
    assert r"\operatorname{diag}\left(f\right) - f f^{\top}" in shown["q1.softmax_jacobian"]
    assert r"Shape: $n \times n$." in shown["q1.softmax_jacobian"]
    assert r"**Answer:** $n \times 1$" in shown["q2.quadratic_shape"]
    assert "**Answer:** oscillates" in shown["q4.boundary_a2"]
    assert r"| $w_{3}$ | $87.5$ |" in shown["q4.iterates_a05"]
    assert r"$\alpha = 0.5$" in shown["q4.iterates_a05"]
    assert r"**Answer:** $\alpha \in (0, 2)$" in shown["q4.converge_range"]
    assert r"\operatorname{sigmoid}\left(\beta x\right)" in shown["p1.softplus_grad"]


def test_reference_code_is_named_but_left_out_unless_asked(key, hw1, hw1_checkers, hw1_forms):
    section = sections(key)["p4.gd"]
    assert "`hw1_reference.py:gd`" in section
    assert "w = float(w0)" not in key and "```" not in key
    with_code = solutions_markdown(hw1, hw1_checkers, include_code=True, forms=hw1_forms)
    section = sections(with_code)["p4.gd"]
    assert "```python\ndef gd(alpha, w0, x, y, steps):" in section
    assert "w = float(w0)" in section
    # Only the named function, not the rest of the instructor's file.
    assert "import numpy" not in with_code


def test_markdown_in_prompts_is_escaped(prepared):
    rubric, kinds = prepared("""
        title: "A *bold* <b>title</b>"
        questions:
          - id: q
            kind: choice
            points: 1
            prompt: "Is x_i * y_j [a link](http://example.com) <script>?"
            options: [yes, no]
            answer: "yes"
    """)
    text = solutions_markdown(rubric, kinds)
    assert r"Is x\_i \* y\_j \[a link\](http://example.com) \<script\>?" in text
    assert r"# Solutions: A \*bold\* \<b\>title\</b\>" in text


def test_a_question_that_cannot_be_rendered_costs_its_section_only(key, hw1, hw1_checkers,
                                                                   hw1_forms, monkeypatch):
    def broken(*_args):
        raise ValueError("boom")

    monkeypatch.setitem(module.RENDERERS, "choice", broken)
    text = solutions_markdown(hw1, hw1_checkers, forms=hw1_forms)
    assert "*The reference could not be rendered (ValueError)" in sections(text)["q4.boundary_a2"]
    assert sections(text)["q3.linear"] == sections(key)["q3.linear"]


def test_a_kind_without_a_renderer_gets_its_reference_answer():
    kind = SimpleNamespace(reference_answer=lambda: ["1", "2"], describe_answer=lambda: "")
    assert module._other(kind, None, False) == ["**Answer:** `1, 2`"]
    kind = SimpleNamespace(reference_answer=lambda: None, describe_answer=lambda: "a `thing`")
    assert module._other(kind, None, False) == ["**Answer:** `a thing`"]


# -- the commands ----------------------------------------------------------------------------------
def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_solutions_command_writes_the_file(tmp_path, hw1_path, key):
    out = tmp_path / "solutions.md"
    result = run("solutions", hw1_path, "-o", out)
    assert result.exit_code == 0, result.output
    assert result.output == f"wrote {out}: 24 questions\n"
    assert out.read_text(encoding="utf-8") == key
    assert [p.name for p in tmp_path.iterdir()] == ["solutions.md"]


def test_solutions_command_includes_code_only_with_the_flag(tmp_path, hw1_path):
    out = tmp_path / "with_code.md"
    assert run("solutions", hw1_path, "-o", out, "--include-code").exit_code == 0
    assert "w = float(w0)" in out.read_text(encoding="utf-8")


def test_solutions_of_an_unusable_rubric_exit_2_and_write_nothing(tmp_path, write_rubric):
    bad = write_rubric(tmp_path, "title: x\nquestions: []\n", "bad.yaml")
    out = tmp_path / "solutions.md"
    result = run("solutions", bad, "-o", out)
    assert result.exit_code == 2 and "questions" in result.output
    assert not out.exists()
    assert run("solutions", tmp_path / "missing.yaml", "-o", out).exit_code == 2


def test_solutions_of_a_rubric_with_problems_exit_1(tmp_path, write_rubric):
    rubric = write_rubric(tmp_path, """
        title: wrong key
        questions:
          - id: q
            kind: expression
            points: 1
            symbols: {x: {}}
            gradient_of: "x^2"
            wrt: x
            answer: "x"
    """)
    out = tmp_path / "solutions.md"
    result = run("solutions", rubric, "-o", out)
    assert result.exit_code == 1
    assert "does not agree with the gradient of gradient_of" in result.output
    assert "grader validate" in result.output and not out.exists()


def test_solutions_to_a_folder_that_does_not_exist_exit_2(tmp_path, hw1_path):
    result = run("solutions", hw1_path, "-o", tmp_path / "nowhere" / "solutions.md")
    assert result.exit_code == 2 and "cannot write" in result.output
    assert "Traceback" not in result.output
