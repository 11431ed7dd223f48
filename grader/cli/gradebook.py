"""``grader override``: a score set by hand, kept in the instructor's overrides file (outside
OUTDIR, which every run replaces) and applied by every ``grade`` and ``report``."""

from __future__ import annotations

import json
import os
from pathlib import Path

import click

from . import fail, main
from ..errors import RubricError


@main.command()
@click.argument("rubric", type=click.Path(dir_okay=False))
@click.argument("student")
@click.argument("question")
@click.argument("score", type=float)
@click.option("--note", default="", help="Why: shown to the student with the score.")
@click.option("--overrides", type=click.Path(dir_okay=False), default=None,
              help="The overrides file [default: overrides.csv beside RUBRIC].")
@click.option("-o", "--outdir", type=click.Path(file_okay=False), default=None,
              help="A grader output folder whose students are known [default: the last one "
                   "`grader grade` wrote for RUBRIC].")
@click.option("--roster", type=click.Path(dir_okay=False, exists=True), default=None,
              help="The roster whose students are known.")
def override(rubric: str, student: str, question: str, score: float, note: str,
             overrides: str | None, outdir: str | None, roster: str | None) -> None:
    """Set STUDENT's score on QUESTION to SCORE by hand (0 ≤ SCORE ≤ the question's points).

    The student must be known: from an output folder of a run (-o; by default the last one
    `grader grade` wrote for RUBRIC) or the roster."""
    from ..pipeline import load_rubric
    from ..reports.overrides import Override, add_override, check_override, default_path

    try:
        loaded = load_rubric(rubric)
    except RubricError as err:
        fail(err.problems)
    if not outdir and not roster:
        last = last_outdir(rubric)
        outdir = str(last) if last is not None else None
    known, where = _known_students(outdir, roster)
    points = {q.id: float(q.points) for q in loaded.questions}
    entry = Override(student, question, score, " ".join(note.split()))
    problem = check_override(entry, points, known)
    if problem:
        hint = f" (students are known from {where})" if "student" in problem else ""
        fail(f"not added: {problem}{hint}")
    path = Path(overrides) if overrides else default_path(rubric)
    add_override(path, entry)
    click.echo(f"{path}: {student} {question} = {score:g} of {points[question]:g} "
               f"(student known from {where}); `grader grade` and `grader report` apply it")


def _known_students(outdir: str | None, roster: str | None) -> tuple[set[str], str]:
    """The students an override may name, and where they were found."""
    if not outdir and not roster:
        fail("say where the students are known from: -o OUTDIR (a run's output folder; none is "
             "remembered for this rubric) or --roster FILE")
    from .. import reports

    known: set[str] = set()
    sources = []
    if outdir:
        try:
            table, _, saved = reports.load_outdir(Path(outdir))
        except (FileNotFoundError, ValueError) as err:
            fail(str(err))
        known |= set(table["student"].astype(str))
        if saved is not None:
            known |= set(saved["student"].astype(str))
        sources.append(f"{outdir}/details.csv")
    if roster:
        try:
            frame, _ = reports.read_roster(Path(roster))
        except ValueError as err:
            fail(f"roster: {err}")
        known |= set(frame["student"].astype(str))
        sources.append(str(roster))
    return known, " and ".join(sources)


# -- the last OUTDIR graded per rubric, so that `override` knows the students ------------------
def _state_file() -> Path:
    """``$GRADER_STATE_DIR/last_runs.json`` (default: the XDG state folder, ~/.local/state)."""
    base = os.environ.get("GRADER_STATE_DIR")
    if not base:
        xdg = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
        base = os.path.join(xdg, "grader")
    return Path(base) / "last_runs.json"


def remember_outdir(rubric: str, outdir: str) -> None:
    """Note that ``outdir`` is the last output of ``rubric`` (best effort: a read-only home
    only costs ``override`` its default)."""
    try:
        path = _state_file()
        runs = _runs(path)
        runs.pop(str(Path(rubric).resolve()), None)
        runs[str(Path(rubric).resolve())] = str(Path(outdir).resolve())
        runs = dict(list(runs.items())[-100:])
        path.parent.mkdir(parents=True, exist_ok=True)
        from ..reports.csvfiles import atomic_write

        atomic_write(path, (json.dumps(runs, indent=1) + "\n").encode("utf-8"))
    except OSError:
        pass


def last_outdir(rubric: str) -> Path | None:
    """The last output folder ``grader grade`` wrote for ``rubric``, if it is still there."""
    found = _runs(_state_file()).get(str(Path(rubric).resolve()))
    return Path(found) if found and (Path(found) / "details.csv").is_file() else None


def _runs(path: Path) -> dict[str, str]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
