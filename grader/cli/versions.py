"""``grader handout``: each student's assignment with their own numbers (for a rubric with
``versions``), and versions.csv."""

from __future__ import annotations

from pathlib import Path

import click

from . import fail, main
from ..errors import RubricError, UnusableInput


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.option("--roster", type=click.Path(dir_okay=False, exists=True), default=None,
              help="CSV of students (as for `grader grade --roster`): one handout each.")
@click.option("-o", "--outdir", type=click.Path(file_okay=False), default=None,
              help="Folder for <student>.md and versions.csv.")
@click.option("--student", default=None, help="Print one student's handout instead.")
def handout(rubric: str, roster: str | None, outdir: str | None, student: str | None) -> None:
    """Write each student's version of RUBRIC: the prompts with their numbers (Markdown, LaTeX
    kept) and versions.csv (student, each parameter). Exit 0 written, 2 unusable input."""
    from ..pipeline import load_rubric
    from ..versions import VersionError, Versions
    from ..versions.handout import handout_markdown, write_handouts

    if (student is None) == (roster is None):
        fail("give --roster ROSTER -o OUTDIR (every student) or --student ID (print one)")
    if roster is not None and outdir is None:
        fail("--roster needs -o OUTDIR: the folder for the handouts")
    try:
        loaded = load_rubric(rubric)
    except RubricError as err:
        fail(err.problems)
    if loaded.versions is None:
        fail(f"{rubric}: the rubric has no `versions` section: every student has the same "
             "assignment")
    versions = Versions(loaded)
    if student is not None:
        try:
            values = versions.draw(student)
        except VersionError as err:
            fail(str(err))
        click.echo(handout_markdown(loaded, versions, student, values), nl=False)
        return
    from ..reports import read_roster

    try:
        frame, warnings = read_roster(Path(roster))
    except ValueError as err:
        fail(f"roster: {err}")
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    try:
        values = write_handouts(loaded, versions, [str(s) for s in frame["student"]], outdir)
    except UnusableInput as err:
        fail(str(err))
    click.echo(f"{outdir}: {len(values)} handouts and versions.csv "
               f"({', '.join(versions.names)} per student)")
