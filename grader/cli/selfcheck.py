"""``grader bundle`` (an instructor publishes a self-check file) and the bundle side of
``grader check`` (a student checks a submission against it, offline, without the key)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from . import fail, main
from ..errors import RubricError, UnusableInput


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.option("-o", "--output", required=True, type=click.Path(),
              help="The bundle file to write, e.g. hw1.check (publish it with the assignment); "
                   "with --roster, a folder for one <student>.check each.")
@click.option("--seed", type=int, default=None,
              help="The grading seed, when you grade with --seed (default: the rubric's).")
@click.option("--student", default=None,
              help="For a rubric with versions: the student whose version the bundle checks.")
@click.option("--roster", type=click.Path(dir_okay=False, exists=True), default=None,
              help="For a rubric with versions: one bundle per student of this roster, "
                   "written to the folder OUTPUT.")
def bundle(rubric: str, output: str, seed: int | None, student: str | None,
           roster: str | None) -> None:
    """Write a self-check bundle of RUBRIC: what checking needs, and never the answer key.

    The rubric must pass `grader validate`. Prints what each question reveals. A rubric that
    gives each student their own numbers needs --student (one bundle, of that student's version
    only) or --roster (one bundle per student).
    """
    from ..selfcheck.build import build, write

    if roster is not None:
        if student is not None:
            fail("give --student or --roster, not both", 2)
        _bundles_of_roster(rubric, roster, output, seed)
        return
    if Path(output).resolve() == Path(rubric).resolve():
        fail(f"{output}: that is the rubric itself; write the bundle to another file", 2)
    try:
        built = build(rubric, seed, student=student)
    except RubricError as err:
        fail(err.problems, 1)
    try:
        write(built, output)
    except OSError as err:
        fail(f"{output}: cannot write: {err.strerror or err}", 2)
    checked = sum(1 for q in built.questions if q.checked)
    click.echo(f"{output}: self-check bundle of {built.title!r}, {len(built.data):,} bytes; "
               f"{checked} of {len(built.questions)} questions checked")
    for question in built.questions:
        mode = "" if question.mode == "full" or not question.checked else f", {question.mode}"
        click.echo(f"  {question.id} ({question.kind}{mode}): {question.reveals}")


def _bundles_of_roster(rubric: str, roster: str, outdir: str, seed: int | None) -> None:
    """``grader bundle RUBRIC --roster R -o DIR``: DIR/<student>.check for every student."""
    from ..reports import read_roster
    from ..selfcheck.build import build_each, write
    from ..versions.handout import check_file_name

    try:
        frame, warnings = read_roster(Path(roster))
        students = [str(s) for s in frame["student"]]
        for student in students:
            check_file_name(student)
    except ValueError as err:
        fail(f"roster: {err}", 2)
    except UnusableInput as err:
        fail(str(err), 2)
    for warning in warnings:
        click.echo(f"warning: {warning}", err=True)
    folder = Path(outdir)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        fail(f"{outdir}: cannot create: {err.strerror or err}", 2)
    try:
        for student, built in build_each(rubric, students, seed):
            try:
                write(built, folder / f"{student}.check")
            except OSError as err:
                fail(f"{folder / student}.check: cannot write: {err.strerror or err}", 2)
    except RubricError as err:
        fail(err.problems, 1)
    click.echo(f"{outdir}: {len(students)} self-check bundles, one per student")


def check_bundle(path: str, submission: str, as_json: bool, student: str | None = None) -> None:
    """``grader check BUNDLE SUBMISSION``: the same lines as with the rubric, the questions the
    bundle does not check listed as such, and a reminder that this is a self-check."""
    from ..selfcheck.check import check_path
    from ..selfcheck.format import BundleError
    from ..selfcheck.load import load_bundle
    from ..selfcheck.results import NOT_CHECKED
    from ..verdict import Verdict

    try:
        loaded = load_bundle(path)
        if student is not None and loaded.student and student != loaded.student:
            raise UnusableInput(f"{path} checks the version of student {loaded.student!r}, "
                                f"not {student!r}: use your own bundle")
        result = check_path(loaded, submission)
    except BundleError as err:
        fail(str(err))
    except UnusableInput as err:
        fail(str(err))
    if as_json:
        fields = ("student", "question", "score", "max_score", "status", "feedback")
        rows = [{f: getattr(row, f) for f in fields} if isinstance(row, Verdict) else
                {"student": result.verdicts[0].student if result.verdicts else "",
                 "question": row.question, "score": None, "max_score": row.max_score,
                 "status": "unchecked", "feedback": NOT_CHECKED}
                for row in result.rows]
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    else:
        whose = f", the version of {loaded.student}" if loaded.student else ""
        click.echo(f"self-check against {path} ({loaded.title}{whose})")
        for line in result.lines():
            click.echo(line)
    sys.exit(0 if result.all_correct else 1)
