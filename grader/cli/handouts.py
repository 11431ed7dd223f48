"""What goes to students and to Gradescope: ``grader notebook`` (the notebook students fill in)
and ``grader gradescope`` (the autograder zip)."""

from __future__ import annotations

from pathlib import Path

import click

from . import fail, main
from ..errors import RubricError


def _rubric(path: str):
    from ..pipeline import load_rubric

    try:
        return load_rubric(path)
    except RubricError as err:
        fail(err.problems)


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The notebook to write (e.g. hw1.ipynb).")
def notebook(rubric: str, output: str) -> None:
    """Write the Jupyter notebook students fill in for RUBRIC: each question's prompt, the cell
    the grader reads below it, a function stub per programming question."""
    from ..kinds import registry
    from ..submissions.template import notebook_template

    loaded = _rubric(rubric)
    kinds = registry()
    code = {q.id for q in loaded.questions if kinds[q.kind].runs_code}
    Path(output).write_text(notebook_template(loaded, code), encoding="utf-8")
    click.echo(f"wrote {output}: {len(loaded.questions)} questions ({len(code)} programming)")


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The zip to upload to Gradescope (e.g. autograder.zip).")
def gradescope(rubric: str, output: str) -> None:
    """Write the Gradescope autograder zip for RUBRIC: setup.sh, run_autograder, the rubric and
    its reference files, and grader as a wheel (docs/gradebook.md)."""
    from ..autograder.package import build_autograder
    from ..pipeline import prepare

    loaded = _rubric(rubric)
    try:
        prepare(loaded)  # a rubric that cannot grade must not reach Gradescope
        names = build_autograder(loaded, Path(output))
    except RubricError as err:
        fail(err.problems)
    except (OSError, ValueError) as err:
        fail(str(err))
    click.echo(f"wrote {output}: {', '.join(names)}")
    click.echo(f"results are shown to students: {loaded.gradescope.visibility} "
               "(rubric `gradescope: visibility:`)")
