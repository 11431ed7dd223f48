"""The ``grader`` command: arguments in, text or JSON out. No grading logic lives here."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import NoReturn

import click

from .rubric import RubricError
from .verdict import CORRECT, PARTIAL

MARKS = {CORRECT: "✓", PARTIAL: "~"}
EXIT_UNUSABLE = 2


def _fail(problems: list[str] | str, code: int = EXIT_UNUSABLE) -> NoReturn:
    for line in [problems] if isinstance(problems, str) else problems:
        click.echo(line, err=True)
    sys.exit(code)


def _load(rubric_path: str, seed: int | None = None):
    """Rubric and prepared checkers, or exit 2 with the author-facing problems."""
    from .grading import prepare
    from .rubric import load_rubric

    try:
        rubric = load_rubric(rubric_path, seed=seed)
        return rubric, prepare(rubric)
    except RubricError as err:
        _fail(err.problems)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="grader")
def main() -> None:
    """Grade math-heavy machine-learning homework at random test points."""


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.argument("submissions", type=click.Path(file_okay=False))
@click.option("-o", "--outdir", required=True, type=click.Path(file_okay=False),
              help="Folder for details.csv, grades.csv and the reports (replaced as a whole).")
@click.option("--jobs", "-j", default=None, type=click.IntRange(1, 64),
              help="Parallel sandbox workers for programming questions [default: one more than "
                   "the number of CPUs, since each worker spends part of its time waiting].")
@click.option("--seed", type=int, default=None, help="Override the rubric's seed.")
@click.option("--roster", type=click.Path(dir_okay=False, exists=True), default=None,
              help="CSV of students: those without a submission are listed as missing.")
def grade(rubric: str, submissions: str, outdir: str, jobs: int | None, seed: int | None,
          roster: str | None) -> None:
    """Grade every submission in SUBMISSIONS against RUBRIC and write the reports to OUTDIR."""
    if jobs is None:
        jobs = _usable_cpus() + 1
    from .plots import Plotter
    from .submissions import find_submissions_in_background

    # Started first, before the heavy imports: matplotlib loads and the submission files are read
    # in other processes (on the other core) while this one imports and prepares the rubric.
    plotter = Plotter()
    submissions_ready = find_submissions_in_background(submissions)
    try:
        _grade(plotter, submissions_ready, rubric, outdir, jobs, seed, roster)
    finally:
        plotter.close()


def _usable_cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _grade(plotter, submissions_ready, rubric: str, outdir: str, jobs: int, seed: int | None,
           roster: str | None) -> None:
    loaded, checkers = _load(rubric, seed)
    sandbox = None
    if any(checker.runs_code for checker in checkers.values()):
        from .coderun import start_sandbox

        # Its workers import numpy while the submissions are still being read.
        sandbox = start_sandbox(loaded, jobs)
    try:
        _grade_with(sandbox, loaded, checkers, submissions_ready, rubric, outdir, jobs, roster, plotter)
    finally:
        if sandbox is not None:
            sandbox.close()


def _grade_with(sandbox, loaded, checkers, submissions_ready, rubric: str, outdir: str, jobs: int,
                roster: str | None, plotter) -> None:
    from .grading import grade as run_grade

    if sandbox is None:
        from . import report  # noqa: F401 - pandas, imported while the submissions are being read

    try:
        found = submissions_ready()
    except FileNotFoundError as err:
        _fail(str(err))
    roster_frame = None
    warnings: list[str] = []
    if roster:  # read before grading, so that a bad roster fails at once
        from . import report

        try:
            roster_frame, warnings = report.read_roster(Path(roster))
        except ValueError as err:
            _fail(f"roster: {err}")

    def import_reports() -> None:
        from . import report  # noqa: F401 - pandas, imported while student code runs

    interactive = sys.stdout.isatty()
    with _progress(interactive, loaded, checkers, found) as tick:
        verdicts = run_grade(loaded, found, checkers, jobs=jobs, progress=tick, meanwhile=import_reports,
                             sandbox=sandbox)
    from . import report
    meta = report.ReportMeta(
        title=loaded.title,
        questions=tuple(report.QuestionInfo(q.id, float(q.points), q.kind) for q in loaded.questions),
        seed=loaded.seed, rubric=str(rubric))
    table = report.verdict_table(verdicts, meta)
    if roster_frame is not None:
        table, more = report.apply_roster(table, meta, roster_frame)
        warnings += more
    try:
        report.write_outdir(table, meta, Path(outdir), roster_frame, plotter)
    except report.UnsafeOutputDirError as err:
        _fail(str(err))
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    _print_summary(report.summary_table(table, meta), report.lowest_questions(table, meta),
                   len(found), outdir, interactive)


class _progress:
    """A progress bar on a terminal; nothing otherwise."""

    def __init__(self, interactive: bool, rubric, checkers, submissions):
        self.interactive = interactive
        written = sum(1 for q in rubric.questions if not checkers[q.id].runs_code)
        coded = any(checkers[q.id].runs_code for q in rubric.questions)
        self.total = written + len(submissions) * (2 if coded else 1)
        self.bar = None

    def __enter__(self):
        if not self.interactive:
            return None
        from rich.progress import Progress

        self.bar = Progress(transient=True)
        self.bar.start()
        task = self.bar.add_task("grading", total=self.total)
        return lambda _kind: self.bar.advance(task)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()


def _print_summary(summary, lowest, count: int, outdir: str, interactive: bool) -> None:
    title = f"{count} submissions graded → {outdir}"
    rows = [(str(r.question), f"{r.mean:.2f}", f"{r.max_score:g}", f"{r.correct:.0%}")
            for r in summary.itertuples(index=False)]
    worst_title = "Lowest-scoring questions and their most common wrong answer"
    worst = ([str(c) for c in lowest.columns], [[_cell(v) for v in row] for row in lowest.itertuples(index=False)]) \
        if lowest is not None and len(lowest) else None
    if not interactive:
        # Piped or redirected: plain aligned text, no colour, no box drawing.
        click.echo(title)
        click.echo(_plain_table(["question", "mean", "max", "correct"], rows))
        if worst:
            click.echo(f"\n{worst_title}")
            click.echo(_plain_table(*worst))
        return
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    table = Table(title=title, title_justify="left")
    for column in ("question", "mean", "max", "correct"):
        table.add_column(column, justify="left" if column == "question" else "right")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    if worst:
        table = Table(title=worst_title, title_justify="left")
        for column in worst[0]:
            table.add_column(column)
        for row in worst[1]:
            table.add_row(*row)
        console.print(table)


def _plain_table(header: list[str], rows: list) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in [header, *rows]]
    return "\n".join(lines)


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value == value else ""
    return str(value)


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.argument("submission", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (the fields of details.csv).")
@click.option("--seed", type=int, default=None, help="Override the rubric's seed.")
def check(rubric: str, submission: str, as_json: bool, seed: int | None) -> None:
    """Check one SUBMISSION (a .yaml or .py file, or a student's folder) before handing it in.

    Exit status: 0 when every question is correct, 1 when any is not, 2 when the input is unusable.
    """
    from .grading import grade as run_grade
    from .submissions import load_submission

    loaded, checkers = _load(rubric, seed)
    try:
        found = load_submission(submission)
    except FileNotFoundError as err:
        _fail(str(err))
    verdicts = run_grade(loaded, [found], checkers)
    if as_json:
        fields = ("student", "question", "score", "max_score", "status", "feedback")
        click.echo(json.dumps([{f: getattr(v, f) for f in fields} for v in verdicts],
                              ensure_ascii=False, indent=2))
    else:
        prompts = {q.id: q.prompt for q in loaded.questions}
        width = max(len(v.question) for v in verdicts)
        for v in verdicts:
            mark = MARKS.get(v.status, "✗")
            head = f"{mark} {v.question:<{width}}  {v.score:g}/{v.max_score:g}  {v.status}"
            click.echo(head)
            if v.status != CORRECT:
                if prompts.get(v.question):
                    click.echo(f"    question: {prompts[v.question]}")
                for line in v.feedback.splitlines():
                    click.echo(f"    {line}")
        total = sum(v.score for v in verdicts)
        click.echo(f"total: {total:g}/{loaded.max_total:g}")
    sys.exit(0 if all(v.status == CORRECT for v in verdicts) else 1)


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
def validate(rubric: str) -> None:
    """Lint RUBRIC: schema, references defined on their domains, answers that agree with
    gradient_of, mistakes that are not equivalent to the reference. Exit 0 or 1."""
    from .grading import prepare
    from .rubric import load_rubric

    try:
        loaded = load_rubric(rubric)
        checkers = prepare(loaded)
    except RubricError as err:
        _fail(err.problems, 1)
    problems = []
    for question in loaded.questions:
        checker = checkers[question.id]
        for problem in checker.validate():
            fields, message = problem if isinstance(problem, tuple) else ((), problem)
            problems.append(f"{loaded.where(question.id, *fields)}: {message}")
    if problems:
        _fail(problems, 1)
    click.echo(f"{rubric}: {len(loaded.questions)} questions, {loaded.max_total:g} points: ok")
    for question in loaded.questions:
        described = checkers[question.id].describe_answer()
        click.echo(f"  {question.id} ({question.kind}, {question.points:g} pts): {described}")


@main.command("report")
@click.argument("outdir", type=click.Path(file_okay=False, exists=True))
def report_command(outdir: str) -> None:
    """Regenerate every derived file in OUTDIR from details.csv, without grading again."""
    from . import report

    try:
        report.regenerate(Path(outdir))
    except (FileNotFoundError, ValueError, report.UnsafeOutputDirError) as err:
        _fail(str(err))
    click.echo(f"regenerated reports in {outdir}")


@main.command()
@click.argument("outdir", type=click.Path(file_okay=False, exists=True))
@click.option("--format", "fmt", type=click.Choice(["canvas", "gradescope"]), required=True)
@click.option("--assignment", default=None, help="Column name for Canvas (default: the rubric title).")
@click.option("--dest", type=click.Path(), default=None, help="Where to write (default: OUTDIR/exports).")
def export(outdir: str, fmt: str, assignment: str | None, dest: str | None) -> None:
    """Export grades from OUTDIR for an LMS: a Canvas gradebook CSV or Gradescope results.json files."""
    from . import report

    target = Path(dest) if dest else None
    try:
        if fmt == "canvas":
            _, meta, _ = report.load_outdir(Path(outdir))
            path = report.export_canvas(Path(outdir), assignment or meta.title, target)
        else:
            path = report.export_gradescope(Path(outdir), target)
    except (FileNotFoundError, ValueError, report.UnsafeOutputDirError) as err:
        _fail(str(err))
    click.echo(f"wrote {path}")


@main.command()
@click.argument("old", type=click.Path(file_okay=False, exists=True))
@click.argument("new", type=click.Path(file_okay=False, exists=True))
@click.option("--csv", "as_csv", is_flag=True, help="Print CSV instead of a table.")
def diff(old: str, new: str, as_csv: bool) -> None:
    """Which students' scores changed between two grading runs (after a rubric fix)."""
    from . import report

    try:
        changes = report.diff_outdirs(Path(old), Path(new))
    except (FileNotFoundError, ValueError) as err:
        _fail(str(err))
    if as_csv:
        click.echo(changes.to_csv(index=False, lineterminator="\n"), nl=False)
        return
    if changes.empty:
        click.echo("no scores changed")
        return
    title = f"{changes['student'].nunique()} students with changed scores"
    rows = [[_cell(v) for v in row] for row in changes.itertuples(index=False)]
    if not sys.stdout.isatty():
        click.echo(title)
        click.echo(_plain_table([str(c) for c in changes.columns], rows))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=title)
    for column in changes.columns:
        table.add_column(str(column))
    for row in rows:
        table.add_row(*row)
    Console(highlight=False).print(table)


def run() -> NoReturn:
    """The console entry point: ``main``, then a fast exit.

    By the time ``main`` is done, every file it wrote is closed and in place and every helper
    process (sandbox workers, plotting, reading) has been stopped, so the interpreter's teardown
    (freeing a large batch's objects one by one, about 0.3 s for 1,000 students) is skipped.
    """
    import os

    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    run()
