"""``grader grade`` (a whole class, for the instructor) and ``grader check`` (one submission,
for a student before the deadline)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click

from . import fail, main, render
from ..errors import RubricError, UnusableInput
from ..verdict import CORRECT


def usable_cpus() -> int:
    import os

    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


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
              help="CSV of students: its ids name everyone in the reports; those without a "
                   "submission are listed as missing.")
@click.option("--layout", type=click.Choice(["auto", "plain", "canvas", "moodle", "gradescope"]),
              default="auto", show_default=True,
              help="How SUBMISSIONS was made: a plain folder or an LMS's download.")
@click.option("--times", type=click.Path(dir_okay=False, exists=True), default=None,
              help="CSV of submission times (student,submitted_at) for late marking.")
@click.option("--overrides", type=click.Path(dir_okay=False), default=None,
              help="Scores set by hand (student,question,score,note) [default: overrides.csv "
                   "beside RUBRIC, when it exists].")
@click.option("--versions", "versions_file", type=click.Path(dir_okay=False, exists=True), default=None,
              help="For a rubric with per-student versions: the versions.csv `grader handout` "
                   "wrote (default: each roster student's draw).")
@click.option("--allow-weak-sandbox", is_flag=True,
              help="Run the class's code even where the sandbox cannot give each submission "
                   "namespaces of its own (docs/sandbox.md says what is then not enforced); "
                   "run.json records it.")
def grade(rubric: str, submissions: str, outdir: str, jobs: int | None, seed: int | None,
          roster: str | None, layout: str, times: str | None, overrides: str | None,
          allow_weak_sandbox: bool, versions_file: str | None) -> None:
    """Grade every submission in SUBMISSIONS against RUBRIC and write the reports to OUTDIR."""
    from ..pipeline import grade_class
    from ..reports.meta import overrides_path as default_path
    from ..submissions import describe_layout

    if overrides is not None and not os.path.isfile(overrides):
        fail(f"--overrides {overrides}: no such file")
    try:
        result = grade_class(rubric, submissions, outdir, jobs=jobs or usable_cpus() + 1,
                             seed=seed, roster=roster, progress=render.Progress, layout=layout,
                             times=times, weak_sandbox=allow_weak_sandbox, versions_file=versions_file,
                             overrides=Path(overrides).resolve() if overrides else default_path(rubric))
    except RubricError as err:
        fail(err.problems)
    except UnusableInput as err:
        fail(str(err))
    from .. import reports as report
    from .gradebook import remember_outdir

    remember_outdir(rubric, outdir)  # `grader override` takes its students from here
    if result.meta.overrides:
        click.echo(f"{len(result.meta.overrides)} score(s) set by hand, from {result.meta.overrides_file}",
                   err=True)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.meta.sandbox and not result.meta.sandbox.startswith("full"):
        click.echo(f"warning: student code ran with the {result.meta.sandbox}", err=True)
    how = "detected; choose with --layout" if result.detected else "--layout"
    summary = result.summary if result.summary is not None else report.summary_table(result.table, result.meta)
    lowest = result.lowest if result.lowest is not None else report.lowest_questions(result.table, result.meta)
    render.class_summary(summary, lowest, result.count, outdir,
                         f"read as {describe_layout(result.layout)}, {how}")


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.argument("submission", type=click.Path())
@click.option("--json", "as_json", is_flag=True, help="Print a JSON list (the fields of details.csv).")
@click.option("--seed", type=int, default=None, help="Override the rubric's seed.")
@click.option("--student", default=None,
              help="Your student id: with a rubric that gives each student their own numbers, "
                   "the answers are checked against your version.")
def check(rubric: str, submission: str, as_json: bool, seed: int | None, student: str | None) -> None:
    """Check one SUBMISSION (a .yaml or .py file, or a student's folder) before handing it in.

    RUBRIC is the rubric, or a self-check bundle from `grader bundle` (e.g. hw1.check), which
    checks the same way without holding the answer key.

    Exit status: 0 when every question is correct, 1 when any is not, 2 when the input is unusable.
    """
    from ..selfcheck.format import looks_like_bundle

    if looks_like_bundle(rubric) or rubric.endswith(".check"):
        if seed is not None:
            fail("--seed applies to a rubric; a bundle has its own test points")
        from .selfcheck import check_bundle

        check_bundle(rubric, submission, as_json, student)
        return
    from ..pipeline import check_submission, grade as grade_core

    try:
        if student is None:
            loaded, verdicts = check_submission(rubric, submission, seed)
            if loaded.versions is not None:  # checked against a stand-in version: not theirs
                raise UnusableInput("this assignment gives every student their own numbers: "
                                    "say whose submission this is with --student ID")
        else:
            from ..versions.checking import check_student

            loaded, verdicts = check_student(rubric, submission, student, grade_core, seed)
    except RubricError as err:
        fail(err.problems)
    except UnusableInput as err:
        fail(str(err))
    if as_json:
        fields = ("student", "question", "score", "max_score", "status", "feedback")
        click.echo(json.dumps([{f: getattr(v, f) for f in fields} for v in verdicts],
                              ensure_ascii=False, indent=2))
    else:
        render.verdict_lines(verdicts, {q.id: q.prompt for q in loaded.questions}, loaded.max_total)
    sys.exit(0 if all(v.status == CORRECT for v in verdicts) else 1)
