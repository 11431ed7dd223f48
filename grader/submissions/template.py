"""``grader notebook RUBRIC -o hw1.ipynb``: the notebook students fill in. Each question's prompt
sits in a markdown cell with, below it, the cell the grader reads: a markdown cell tagged with
the question id whose first line is ``q1.sigmoid:`` (written questions), or a code cell with a
stub of the function (programming questions). It holds the prompts, never a reference."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from grader.rubric import Rubric

_HOW_TO = """\
**How to answer.** Under each question is the cell the grader reads.

- *Written questions*: write your answer after the first line (`q1.sigmoid:`), or on the lines
  below it, in plain math (`f(1 - f)`, `X^T (X w - y)`) or LaTeX (`\\frac{e^{-x}}{(1+e^{-x})^2}`).
  A list (gradient-descent iterates) is one `- value` line per entry, or values separated by commas.
  Keep the first line and the cell's tag as they are.
- *Programming questions*: complete the function in its code cell. Your code cells run in order,
  as one module; a cell that fails is reported, and what the cells before it defined is kept.
  Lines starting with `%`, `!` or `?` (IPython's) are not run.
"""


def notebook_template(rubric: Rubric, code_questions: Collection[str]) -> str:
    """The student notebook for ``rubric`` as JSON text (format 4); ``code_questions``: the ids
    of the questions answered by a function."""
    import nbformat
    from nbformat import v4

    cells: list[Any] = []
    intro = f"# {rubric.title}\n\n" + (f"{rubric.description.strip()}\n\n" if rubric.description.strip() else "")
    cells.append(v4.new_markdown_cell(intro + _HOW_TO))
    if code_questions:
        cells.append(v4.new_code_cell("import numpy as np"))
    for question in rubric.questions:
        points = f"{question.points:g} point{'s' if question.points != 1 else ''}"
        prompt = question.prompt.strip() or "(no prompt)"
        cells.append(v4.new_markdown_cell(f"### {question.id} ({points})\n\n{prompt}"))
        if question.id in code_questions:
            cell = v4.new_code_cell(_stub(question))
        else:
            cell = v4.new_markdown_cell(f"{question.id}:\n")
        cell.metadata["tags"] = [question.id]
        cells.append(cell)
    for number, cell in enumerate(cells):
        cell["id"] = f"cell-{number}"  # fixed ids: the same rubric gives the same file
    notebook = v4.new_notebook(cells=cells, metadata={
        "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
        "language_info": {"name": "python"}})
    nbformat.validate(notebook)
    return nbformat.writes(notebook)


def _stub(question: Any) -> str:
    """``def name(args):`` with a comment per argument, raising NotImplementedError."""
    name = getattr(question, "function_name", None) or question.id.rsplit(".", 1)[-1]
    args = dict(getattr(question, "args", None) or {})
    lines = [f"def {name}({', '.join(args)}):"]
    for arg, spec in args.items():
        lines.append(f"    # {arg}: {_describe(spec)}")
    lines.append("    raise NotImplementedError")
    return "\n".join(lines)


def _describe(spec: Any) -> str:
    shape = getattr(spec, "shape", None)
    integer = getattr(spec, "integer", None)
    if shape:
        dims = ", ".join(str(d) for d in shape)
        return f"array of shape ({dims}{',' if len(shape) == 1 else ''})"
    if integer:
        return f"int in [{integer[0]}, {integer[1]}]"
    return "float"


__all__ = ["notebook_template"]
