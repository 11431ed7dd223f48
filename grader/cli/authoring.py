"""``grader validate`` (the rubric author's lint, with ``--show`` for closed forms) and
``grader solutions`` (the answer key as Markdown, for publishing after the deadline)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from . import EXIT_UNUSABLE, fail, main
from ..errors import RubricError


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.option("--show", is_flag=True,
              help="Also print, for every gradient_of question, a closed form derived with sympy "
                   "and checked against the exact reference at the question's sample points.")
def validate(rubric: str, show: bool) -> None:
    """Lint RUBRIC: schema, references defined on their domains, answers that agree with
    gradient_of, mistakes that are not equivalent to the reference; with `versions`, every
    question over many students' draws. Exit 0 or 1."""
    from ..pipeline import load_rubric, prepare, validate as problems_of
    from ..versions import validate_versions

    try:
        loaded = load_rubric(rubric)
    except RubricError as err:
        fail(err.problems, 1)
    # With versions, the questions prepared below are those of one stand-in draw; every
    # question is also prepared over many draws, and a draw that breaks one names its values.
    versioned = validate_versions(loaded)
    try:
        prepared = prepare(loaded)
    except RubricError as err:
        if not versioned:
            fail(err.problems, 1)
        from ..versions.validation import shared_problems

        fail(shared_problems(loaded) + versioned, 1)  # the stand-in draw is among the versions
    problems = problems_of(loaded, prepared)
    problems += [p for p in versioned if p not in problems]
    if problems:
        fail(problems, 1)
    click.echo(f"{rubric}: {len(loaded.questions)} questions, {loaded.max_total:g} points: ok")
    if loaded.versions is not None:
        click.echo(f"  versions: {', '.join(loaded.versions.names)} drawn per student; "
                   "below, the answers of one stand-in version")
    for question in loaded.questions:
        described = prepared[question.id].describe_answer()
        click.echo(f"  {question.id} ({question.kind}, {question.points:g} pts): {described}")
        if show:
            from ..authoring.closed_form import closed_form

            form = closed_form(prepared[question.id])
            if form is None:
                continue
            if not form.found:
                click.echo(f"      closed form: {form.note}")
                continue
            if form.text:
                click.echo(f"      closed form ({form.note}): {form.text}")
            if form.with_givens:
                head = "with the givens" if form.text else f"closed form ({form.note})"
                click.echo(f"      {head}: {form.with_givens}")


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False),
              help="The Markdown file to write (replaced as a whole).")
@click.option("--include-code", is_flag=True,
              help="Include the source of functions named by `reference:` (the instructor's own "
                   "code; left out by default).")
@click.option("--student", default=None,
              help="For a rubric with versions: the key of this student's version.")
def solutions(rubric: str, output: str, include_code: bool, student: str | None) -> None:
    """Write the answer key of RUBRIC as Markdown with LaTeX, to publish after the deadline.

    Exit status: 0 written, 1 the rubric has problems (see `grader validate`), 2 unusable.
    """
    from ..errors import UnusableInput
    from ..pipeline import load, validate as problems_of
    from ..versions.checking import student_version

    try:
        loaded, prepared = load(rubric)
        if loaded.versions is not None:
            loaded, prepared = student_version(loaded, student)
    except RubricError as err:
        fail(err.problems, EXIT_UNUSABLE)
    except UnusableInput as err:
        fail(str(err), EXIT_UNUSABLE)
    problems = problems_of(loaded, prepared)
    if problems:
        fail(problems + ["fix these before publishing solutions (grader validate)"], 1)
    from ..authoring.solutions import solutions_markdown

    text = solutions_markdown(loaded, prepared, include_code=include_code)
    try:
        _write_whole(Path(output), text)
    except OSError as err:
        fail(f"cannot write {output}: {err.strerror or err}")
    click.echo(f"wrote {output}: {len(loaded.questions)} questions")


def _write_whole(path: Path, text: str) -> None:
    """Write beside ``path`` and rename, so that a failure never leaves half a file."""
    directory = path.parent if str(path.parent) else Path(".")
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(text)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
