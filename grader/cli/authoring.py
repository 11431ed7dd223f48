"""``grader validate``: the rubric author's lint."""

from __future__ import annotations

import click

from . import fail, main
from ..errors import RubricError


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
def validate(rubric: str) -> None:
    """Lint RUBRIC: schema, references defined on their domains, answers that agree with
    gradient_of, mistakes that are not equivalent to the reference. Exit 0 or 1."""
    from ..pipeline import load, validate as problems_of

    try:
        loaded, prepared = load(rubric)
    except RubricError as err:
        fail(err.problems, 1)
    problems = problems_of(loaded, prepared)
    if problems:
        fail(problems, 1)
    click.echo(f"{rubric}: {len(loaded.questions)} questions, {loaded.max_total:g} points: ok")
    for question in loaded.questions:
        described = prepared[question.id].describe_answer()
        click.echo(f"  {question.id} ({question.kind}, {question.points:g} pts): {described}")
