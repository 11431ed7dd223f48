"""``grader grade`` and ``grader check`` from top to bottom.

    STEPS: load → prepare → read submissions → start code runs → check written answers
           → tidy table → write outputs

``grade_class`` reads as that list and owns every background process it starts (the plotting
process, the forked submission reader, the sandbox workers): each is started in one place and
stopped in its ``finally``. ``grade`` (in ``grading``) is the core the commands share.

Nothing here renders anything; the CLI turns the results into text.
"""

from __future__ import annotations

from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from .errors import UnusableInput
from .grading import _safe_check, _versions, answer_key, grade, prepare
from .kinds import Kind, schemas
from .rubric import Rubric
from .rubric import load_rubric as _load_rubric
from .submissions import Submission
from .verdict import Verdict

STEPS = ("load", "prepare", "read submissions", "start code runs", "check written answers",
         "tidy table", "write outputs")



# -- load and prepare --------------------------------------------------------------------------
def load_rubric(path: str | Path, seed: int | None = None) -> Rubric:
    """Read and validate a rubric with every registered kind's schema; RubricError if unusable."""
    return _load_rubric(path, schemas(), seed)


def load(path: str | Path, seed: int | None = None) -> tuple[Rubric, dict[str, Kind]]:
    """``load_rubric`` then ``prepare``."""
    rubric = load_rubric(path, seed)
    return rubric, prepare(rubric)


def validate(rubric: Rubric, prepared: Mapping[str, Kind]) -> list[str]:
    """Every problem the kinds find beyond the schema, as ``file:line: field: message``."""
    problems = []
    for question in rubric.questions:
        for problem in prepared[question.id].validate():
            fields, message = problem if isinstance(problem, tuple) else ((), problem)
            problems.append(f"{rubric.where(question.id, *fields)}: {message}")
    return problems


# -- the whole class -----------------------------------------------------------------------------
@dataclass
class ClassResult:
    """What ``grade_class`` did, for the CLI to show: the tidy table and what to warn about."""

    rubric: Rubric
    table: Any
    meta: Any
    count: int
    warnings: list[str] = field(default_factory=list)
    #: How the class folder was read (``plain``, ``canvas``, ...), and whether that was detected.
    layout: str = "plain"
    detected: bool = False
    #: summary.csv's table and the lowest-scoring questions, as written (for the terminal).
    summary: Any = None
    lowest: Any = None


def grade_class(rubric_path: str | Path, directory: str | Path, outdir: str | Path, *,
                jobs: int, seed: int | None = None, roster: str | Path | None = None,
                progress: Callable[[Rubric, Mapping[str, Kind], list[Submission]], Any] | None = None,
                layout: str = "auto", times: str | Path | None = None,
                overrides: str | Path | None = None, weak_sandbox: bool = False,
                versions_file: str | Path | None = None) -> ClassResult:
    """Grade every submission in ``directory`` and write OUTDIR; the steps of ``STEPS``.

    ``layout``: how the folder was made (``auto``, ``plain``, ``canvas``, ``moodle``,
    ``gradescope``). ``roster``: its student ids replace the ids read, right after reading.
    ``times``: a times.csv of submission times. ``overrides``: the instructor's overrides file
    (applied when it exists). ``progress(rubric, prepared, submissions)`` may return a context
    manager that yields a ``Progress`` callable (the CLI's progress bar). A rubric with
    ``versions`` takes each student's values from the roster's ids or ``versions_file`` (the
    versions.csv ``grader handout`` wrote); OUTDIR then gains versions.csv and copied.csv.
    Raises RubricError
    (unusable rubric) or UnusableInput (no such folder, a bad roster or times file, an OUTDIR
    that must not be replaced, student code to run where the sandbox cannot isolate students
    from each other and ``weak_sandbox`` was not given).
    """
    from .reports.plots import Plotter
    from .rubric import peek_question_ids
    from .submissions import scan_submissions_in_background

    with ExitStack() as background:
        # Started first, before the heavy imports: matplotlib loads and the submission files are
        # read in other processes (on the other core) while this one prepares the rubric.
        intake_ready = scan_submissions_in_background(directory, layout, peek_question_ids(rubric_path))
        plotter = Plotter()
        background.callback(plotter.close)

        # load, prepare
        rubric, prepared = load(rubric_path, seed)

        # start code runs (the workers import numpy while the submissions are still being read)
        sandbox = None
        if any(kind.runs_code for kind in prepared.values()):
            from .coderun import start_sandbox

            from .coderun.sandbox import IsolationUnavailable

            try:
                sandbox = start_sandbox(rubric, jobs, "weak-ok" if weak_sandbox else "required",
                                        hide=(directory, outdir))
            except IsolationUnavailable as err:
                raise UnusableInput(f"{err}\nTo run the class's code with the weaker sandbox "
                                    "anyway, pass --allow-weak-sandbox (docs/sandbox.md).") from None
            background.callback(sandbox.close)
        else:
            _import_reports()  # pandas, imported while the submissions are read

        # read submissions, and put the roster's ids on them
        try:
            intake = intake_ready()
        except FileNotFoundError as err:
            raise UnusableInput(str(err)) from None
        submissions = list(intake.submissions)
        roster_frame, warnings = None, list(intake.notes)
        if roster:  # read before grading, so that a bad roster fails at once
            try:
                roster_frame, more = _import_reports().read_roster(Path(roster))
            except ValueError as err:
                raise UnusableInput(f"roster: {err}") from None
            warnings += more
            submissions, more = _identify(submissions, roster_frame)
            warnings += more
        facts, more = _facts(submissions, times)
        warnings += more
        versions_of = _versions_of(rubric, roster_frame, versions_file)
        workers = _check_workers(rubric, prepared, submissions, jobs, sandbox, background)

        # check written answers while the code runs (pandas imports meanwhile), judge the code
        bar = progress(rubric, prepared, submissions) if progress else None
        with (bar if bar is not None else nullcontext(None)) as tick:
            graded = grade(rubric, submissions, prepared, jobs=jobs, progress=tick,
                           meanwhile=_import_reports, sandbox=sandbox, workers=workers,
                           versions_of=versions_of)
        # Idle from here on: their memory goes back now, and with the sandbox's threads gone
        # the reports may fork a helper (feedback files) safely.
        if workers is not None:
            workers.close()
        if sandbox is not None:
            sandbox.close()
        reports = _import_reports()

        # tidy table: the roster's missing students, then the instructor's overrides
        meta = reports.ReportMeta(
            title=rubric.title,
            questions=tuple(reports.QuestionInfo(q.id, float(q.points), q.kind, q.prompt)
                            for q in rubric.questions),
            seed=rubric.seed, rubric=str(rubric_path),
            due=rubric.due.isoformat() if rubric.due is not None else "",
            late=rubric.late.as_dict() if rubric.late is not None else None,
            layout=intake.layout,
            sandbox=sandbox.isolation.describe() if sandbox is not None else "")
        table = reports.verdict_table(graded, meta)
        if roster_frame is not None:
            table, more = reports.apply_roster(table, meta, roster_frame)
            warnings += more
        if overrides is not None and Path(overrides).is_file():
            table, meta, more = reports.apply_overrides(table, meta, Path(overrides))
            warnings += more

        # write outputs
        derived: dict[str, Any] = {}
        try:
            warnings += reports.write_outdir(table, meta, Path(outdir), roster_frame, plotter,
                                             reports.students_frame(facts),
                                             _versions_files(rubric, versions_of, submissions, graded),
                                             derived)
        except reports.UnsafeOutputDirError as err:
            raise UnusableInput(str(err)) from None
    lowest = reports.lowest_questions(table, meta, summary=derived.get("summary"), wrong=derived.get("wrong"))
    return ClassResult(rubric, table, meta, len(submissions), warnings, intake.layout, intake.detected,
                       derived.get("summary"), lowest)


def _check_workers(rubric: Rubric, prepared: Mapping[str, Kind], submissions: list[Submission],
                   jobs: int, sandbox: Any, owner: ExitStack) -> Any:
    """Processes that share the checking of written answers, for a large class whose code (if
    any) is not running meanwhile: forked here, before the progress bar or the sandbox's
    threads exist; ``owner`` stops them. None when one process is enough."""
    import os

    from .parallel import WORTH_IT, CheckWorkers

    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    count = min(jobs, cores) - 1  # this process checks a share too
    if sandbox is not None or count < 1 or getattr(rubric, "versions", None) is not None:
        return None
    # The answers given, not the distinct ones (counting those costs what it saves): a class
    # has a few distinct answers for every several given.
    if sum(len(s.answers) for s in submissions) < WORTH_IT * 8:
        return None
    workers = CheckWorkers(prepared, count, _safe_check)
    owner.callback(workers.close)
    return workers


def _versions_of(rubric: Rubric, roster_frame: Any, versions_file: str | Path | None) -> Any:
    """Each known student's values, for a rubric with versions: from versions.csv when given,
    else drawn for the roster's ids. UnusableInput when neither says who the students are."""
    if getattr(rubric, "versions", None) is None:
        return None
    from .versions.handout import read_versions_csv

    versions = _versions(rubric)
    if versions_file is not None:
        try:
            return read_versions_csv(versions_file, versions)
        except (OSError, ValueError) as err:
            raise UnusableInput(f"versions: {err}") from None
    if roster_frame is None:
        raise UnusableInput("this assignment gives every student their own numbers: pass the "
                            "class's --roster (or the --versions versions.csv that `grader "
                            "handout` wrote), so that each student is graded against their own")
    return versions.draw_all(str(s) for s in roster_frame["student"])


def _versions_files(rubric: Rubric, versions_of: Any, submissions: list[Submission],
                    verdicts: list[Verdict]) -> dict[str, bytes] | None:
    """versions.csv and copied.csv for OUTDIR (a rubric with versions only)."""
    if versions_of is None:
        return None
    from .reports.csvfiles import csv_bytes
    from .versions import COPIED_COLUMNS, copied, copied_columns, prepare_version
    from .versions.handout import versions_csv

    versions = _versions(rubric)
    known = {student: values for student, values in versions_of.items() if values is not None}
    graded = {s.student for s in submissions}
    shared: dict[str, Kind] = {}
    prepared = {student: prepare_version(rubric, versions, values, shared)
                for student, values in known.items() if student in graded}
    rows = copied(rubric, versions, {s: known[s] for s in prepared}, verdicts, prepared,
                  fits=getattr(versions, "fits", None))
    return {"versions.csv": versions_csv(versions, known),
            "copied.csv": csv_bytes(COPIED_COLUMNS, copied_columns(rows))}


def _identify(submissions: list[Submission], roster_frame: Any) -> tuple[list[Submission], list[str]]:
    """The roster's student id on every submission it can place (by id, login, email, LMS id)."""
    from .reports import roster_matcher
    from .submissions.identity import put_roster_ids

    return put_roster_ids(submissions, roster_matcher(roster_frame))


def _facts(submissions: list[Submission], times: str | Path | None) -> tuple[list[dict], list[str]]:
    """students.csv's rows; submission times from ``times`` (a times.csv) when given."""
    from .submissions.identity import student_facts

    table, warnings = {}, []
    if times:
        try:
            table, warnings = _import_reports().read_times(Path(times))
        except (OSError, ValueError) as err:
            raise UnusableInput(f"times: {err}") from None
    facts, more = student_facts(submissions, table)
    return facts, warnings + more


def _import_reports():
    """The reports package (it imports pandas, about 0.3 s: done while other work waits)."""
    from . import reports

    return reports


def check_submission(rubric_path: str | Path, path: str | Path,
                     seed: int | None = None) -> tuple[Rubric, list[Verdict]]:
    """One student's self-check: load, prepare, read the submission, check it."""
    from .submissions import load_checkable

    rubric, prepared = load(rubric_path, seed)
    submission = load_checkable(path, {q.id for q in rubric.questions})
    return rubric, grade(rubric, [submission], prepared)


__all__ = ["STEPS", "ClassResult", "answer_key", "check_submission", "grade",
           "grade_class", "load", "load_rubric", "prepare", "validate"]
