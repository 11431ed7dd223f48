"""The answer key as Markdown with LaTeX (``grader solutions``), for publishing after the deadline.

Per question: its prompt and its answer, written by the kind's renderer below (chosen by kind
name; a kind without one gets its ``reference_answer`` as text). Gradients come as the verified
closed form when one was found, else as their definition. Reference code is the instructor's
own file: it is named, and its function's source included only when asked (``include_code``).
"""

from __future__ import annotations

import ast
import re
from typing import Any, Callable, Mapping

import sympy as sp

from ..answers import Node
from ..answers.printing import to_latex as tree_latex
from ..kinds import Kind
from ..rubric import Rubric
from .closed_form import ClosedForm, closed_form

__all__ = ["solutions_markdown"]

#: A kind's renderer: (prepared question, its closed form or None, include_code) → Markdown lines.
Renderer = Callable[[Any, "ClosedForm | None", bool], list[str]]


def solutions_markdown(rubric: Rubric, prepared: Mapping[str, Kind], include_code: bool = False,
                       forms: Mapping[str, ClosedForm | None] | None = None) -> str:
    """The whole answer key. ``forms`` are closed forms already derived (else derived here)."""
    lines = [f"# Solutions: {_escape(rubric.title)}", ""]
    if rubric.description.strip():
        lines += [_escape(rubric.description.strip()), ""]
    lines += [f"{len(rubric.questions)} questions, {rubric.max_total:g} points.", ""]
    for number, question in enumerate(rubric.questions, 1):
        kind = prepared[question.id]
        points = f"{question.points:g} point{'s' if question.points != 1 else ''}"
        lines += [f"## {number}. {question.id} ({points})", ""]
        if question.prompt:
            lines += [_quote(question.prompt), ""]
        form = forms[question.id] if forms is not None and question.id in forms else closed_form(kind)
        renderer = RENDERERS.get(question.kind, _other)
        try:
            body = renderer(kind, form, include_code)
        except Exception as err:  # noqa: BLE001 - one question's rendering never loses the file
            body = [f"*The reference could not be rendered ({type(err).__name__}); "
                    "see `grader validate --show`.*"]
        lines += body + [""]
    return "\n".join(lines).rstrip() + "\n"


# -- per kind --------------------------------------------------------------------------------------
def _expression(kind: Any, form: ClosedForm | None, include_code: bool) -> list[str]:
    q = kind.question
    lines = ["**Answer:**", ""]
    if kind.given_answer is not None:
        lines += _display(_tree_latex(kind.given_answer.tree))
    else:
        lines += _gradient(form, kind.reference_tree, q.wrt)
    if q.gradient_of is not None:
        layout = f" ({q.layout} layout)" if kind.shape != (1, 1) else ""
        lines += ["", f"This is the gradient of {_inline(_tree_latex(kind.reference_tree))} with "
                      f"respect to {_inline(_name(q.wrt))}{layout}."]
    if kind.shape != (1, 1):
        lines += ["", f"Shape: {_inline(_shape(kind.shape))}."]
    return lines


def _gradient(form: ClosedForm | None, tree: Node, wrt: str) -> list[str]:
    """The verified closed form (with the givens first, when shorter), else its definition."""
    if form is not None and form.found:
        if form.with_givens_latex and form.latex:
            return _display(form.with_givens_latex) + ["", "or, in the question's symbols,", ""] \
                + _display(form.latex)
        return _display(form.with_givens_latex or form.latex)
    return _display(rf"\nabla_{{{_name(wrt)}}} \left( {_tree_latex(tree)} \right)")


def _function(kind: Any, form: ClosedForm | None, include_code: bool) -> list[str]:
    q = kind.question
    signature = f"def {q.function_name}({', '.join(q.args)})"
    lines = [f"`{signature}` returns:", ""]
    if q.reference is not None:
        path, _, name = q.reference.rpartition(":")
        code = _function_source(kind.rubric.base_dir / path, name) if include_code else None
        if code is None:
            lines.append(f"see the reference code (`{q.reference}`).")
        else:
            lines += [f"as in the reference code (`{q.reference}`):", "", "```python", code, "```"]
        return lines
    if q.answer is not None:
        lines += _display(_tree_latex(kind.source.tree))
    else:
        lines += _gradient(form, kind.source.tree, q.wrt)
        lines += ["", f"This is the gradient of {_inline(_tree_latex(kind.source.tree))} with "
                      f"respect to {_inline(_name(q.wrt))}."]
    one_d = [n for n, spec in q.args.items() if spec.shape is not None and len(spec.shape) == 1]
    if one_d:
        lines += ["", f"1-D arrays ({', '.join(f'`{n}`' for n in one_d)}) are column vectors "
                      "in the formula; a vector result is returned 1-D."]
    return lines


def _shape_kind(kind: Any, form: ClosedForm | None, include_code: bool) -> list[str]:
    rows, cols = kind.question.answer
    return [f"**Answer:** {_inline(_shape((rows, cols)))}"]


def _number(kind: Any, form: ClosedForm | None, include_code: bool) -> list[str]:
    return [f"**Answer:** {_inline(kind.reference_answer())}"]


def _choice(kind: Any, form: ClosedForm | None, include_code: bool) -> list[str]:
    return [f"**Answer:** {_escape(kind.reference_answer())}"]


def _iterates(kind: Any, form: ClosedForm | None, include_code: bool) -> list[str]:
    q = kind.question
    name = _name(q.variable)
    values = kind.reference_answer()
    lines = ["**Answer:**", "", "| step | value |", "|---|---|"]
    lines += [f"| {_inline(_subscript(name, k))} | {_inline(value)} |"
              for k, value in enumerate(values, 1)]
    alpha = _inline("\\alpha = " + str(q.alpha))
    lines += ["", f"{len(values)} steps from {_inline(_subscript(name, 0))} with step size {alpha}."]
    return lines


def _subscript(name: str, index: int) -> str:
    return f"{name}_{{{index}}}"


def _interval(kind: Any, form: ClosedForm | None, include_code: bool) -> list[str]:
    text = kind.reference_answer()
    text = text.replace("-inf", r"-\infty").replace("inf", r"\infty").replace(" U ", r" \cup ")
    text = text.replace("the empty set", r"\emptyset")
    statement = _name(kind.question.variable) + " \\in " + text
    return [f"**Answer:** {_inline(statement)}"]


def _other(kind: Any, form: ClosedForm | None, include_code: bool) -> list[str]:
    answer = kind.reference_answer()
    if answer is None:
        answer = kind.describe_answer()
    if isinstance(answer, list):
        answer = ", ".join(str(a) for a in answer)
    return [f"**Answer:** `{str(answer).replace('`', '')}`"]


RENDERERS: dict[str, Renderer] = {
    "expression": _expression, "matrix_expression": _expression, "function": _function,
    "shape": _shape_kind, "number": _number, "choice": _choice, "gd_iterates": _iterates,
    "interval": _interval,
}


# -- text ----------------------------------------------------------------------------------------
def _tree_latex(tree: Node) -> str:
    """The answer language's LaTeX, with products written by juxtaposition (``2 (W x) x^T``)
    rather than ``\\times``, except before a number, where ``2 3`` would misread."""
    return re.sub(r" \\times (?![0-9.])", " ", tree_latex(tree))


def _name(name: str) -> str:
    """A symbol's name in LaTeX (``beta`` → ``\\beta``, ``x_i`` → ``x_{i}``)."""
    return sp.latex(sp.Symbol(name))


def _shape(shape: tuple) -> str:
    return " \\times ".join(_size(d) for d in shape)


def _size(dim: Any) -> str:
    text = str(dim)
    if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", text):
        return _name(text)
    return text.replace("*", " ").replace(" ", " \\, ")


def _display(latex: str) -> list[str]:
    return ["$$", latex, "$$"]


def _inline(latex: Any) -> str:
    return f"${latex}$"


_MARKDOWN = re.compile(r"([\\`*_\[\]<>|#])")


def _escape(text: str) -> str:
    """Instructor text shown as itself: Markdown's special characters are escaped."""
    return _MARKDOWN.sub(r"\\\1", text)


def _quote(text: str) -> str:
    return "\n".join(f"> {_escape(line)}" if line.strip() else ">" for line in text.splitlines())


def _function_source(path: Any, name: str) -> str | None:
    """The source of the top-level function ``name`` in ``path``, read without running it."""
    try:
        text = path.read_text(encoding="utf-8")
        tree = ast.parse(text)
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return None
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name:
            return ast.get_source_segment(text, node)
    return None
