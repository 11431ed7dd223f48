"""``grader report`` (regenerate the derived files), ``grader export`` (LMS gradebooks) and
``grader diff`` (which scores changed after a regrade)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import fail, main, render


@main.command("report")
@click.argument("outdir", type=click.Path(file_okay=False, exists=True))
@click.option("--overrides", type=click.Path(dir_okay=False), default=None,
              help="The overrides file to apply [default: the one the grading run used].")
def report_command(outdir: str, overrides: str | None) -> None:
    """Regenerate every derived file in OUTDIR from details.csv, without grading again (the
    overrides file is applied afresh)."""
    from .. import reports as report

    try:
        warnings = report.regenerate(Path(outdir), Path(overrides) if overrides else None)
    except (FileNotFoundError, ValueError, report.UnsafeOutputDirError) as err:
        fail(str(err))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"regenerated reports in {outdir}")


@main.command()
@click.argument("outdir", type=click.Path(file_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["canvas", "gradescope"]), required=True)
@click.option("--assignment", default=None, help="Column name for Canvas (default: the rubric title).")
@click.option("--dest", type=click.Path(), default=None, help="Where to write (default: OUTDIR/exports).")
def export(outdir: str, fmt: str, assignment: str | None, dest: str | None) -> None:
    """Export grades from OUTDIR for an LMS: a Canvas gradebook CSV or Gradescope results.json files."""
    from .. import reports as report

    target = Path(dest) if dest else None
    warnings: list[str] = []
    try:
        if fmt == "canvas":
            _, meta, _ = report.load_outdir(Path(outdir))
            path = report.export_canvas(Path(outdir), assignment or meta.title, target, warnings)
        else:
            path = report.export_gradescope(Path(outdir), target)
    except (FileNotFoundError, ValueError, report.UnsafeOutputDirError) as err:
        fail(str(err))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(f"wrote {path}")


@main.command()
@click.argument("old", type=click.Path(file_okay=False, exists=True))
@click.argument("new", type=click.Path(file_okay=False, exists=True))
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def diff(old: str, new: str, as_csv: bool) -> None:
    """Which students' scores changed between two grading runs (after a rubric fix)."""
    from .. import reports as report

    try:
        changes = report.diff_outdirs(Path(old), Path(new))
    except (FileNotFoundError, ValueError) as err:
        fail(str(err))
    if as_csv:
        from ..reports.diff import diff_csv

        click.echo(diff_csv(changes), nl=False)
        return
    if changes.empty:
        click.echo("no scores changed")
        return
    title = f"{changes['student'].nunique()} students with changed scores"
    rows = [[render.cell(v) for v in row] for row in changes.itertuples(index=False)]
    if not sys.stdout.isatty():
        click.echo(title)
        click.echo(render.plain_table([str(c) for c in changes.columns], rows))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in changes.columns:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*row)
    Console(highlight=False).print(table)
