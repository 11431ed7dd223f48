"""``grader grade`` and ``grader check`` from top to bottom.

    STEPS: load → prepare → read submissions → start code runs → check written answers
           → tidy table → write outputs

``grade_class`` reads as that list and owns every background process it starts (the plotting
process, the forked submission reader, the sandbox workers): each is started in one place and
stopped in its ``finally``. ``grade`` is the grading core the commands share: each distinct
answer text to a question is checked once, however many students gave it, wrong answers are
grouped by meaning, and each student's code runs once. The result never depends on ``jobs``.

Nothing here renders anything; the CLI turns the results into text.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from contextlib import ExitStack, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from .errors import QuestionError, RubricError, UnusableInput
from .grouping import fast_groups, greedy_groups
from .kinds import Kind, WrittenKind, registry, schemas
from .rubric import Rubric
from .rubric import load_rubric as _load_rubric
from .submissions import Submission, is_blank
from .verdict import ERROR, MISSING, WRONG_STATUSES, Outcome, Verdict

STEPS = ("load", "prepare", "read submissions", "start code runs", "check written answers",
         "tidy table", "write outputs")

#: Called once per unit of work done (a written question checked, a student's code judged, a
#: student's rows built), with what kind of unit it was; for progress bars.
Progress = Callable[[int], None]


# -- load and prepare --------------------------------------------------------------------------
def load_rubric(path: str | Path, seed: int | None = None) -> Rubric:
    """Read and validate a rubric with every registered kind's schema; RubricError if unusable."""
    return _load_rubric(path, schemas(), seed)


def prepare(rubric: Rubric) -> dict[str, Kind]:
    """Each question prepared once per batch (sample points, reference values); RubricError
    listing every question whose content (reference, givens, mistakes) is unusable."""
    kinds = registry()
    prepared: dict[str, Kind] = {}
    problems: list[str] = []
    for question in rubric.questions:
        try:
            prepared[question.id] = kinds[question.kind].prepare(question, rubric)
        except QuestionError as err:
            problems.append(f"{rubric.where(question.id, *err.field)}: {err.message}")
    if problems:
        raise RubricError(problems)
    return prepared


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
        plotter = Plotter()
        background.callback(plotter.close)
        intake_ready = scan_submissions_in_background(directory, layout, peek_question_ids(rubric_path))

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
        try:
            warnings += reports.write_outdir(table, meta, Path(outdir), roster_frame, plotter,
                                             reports.students_frame(facts),
                                             _versions_files(rubric, versions_of, submissions, graded))
        except reports.UnsafeOutputDirError as err:
            raise UnusableInput(str(err)) from None
    return ClassResult(rubric, table, meta, len(submissions), warnings, intake.layout, intake.detected)


def _versions(rubric: Rubric) -> Any:
    """The rubric's ``Versions``, made once per rubric object: it caches every question
    prepared per version, which grading, copied-answer detection and versions.csv share."""
    from .versions import Versions

    cached = rubric.__dict__.get("_versions")
    if cached is None:
        cached = Versions(rubric)
        object.__setattr__(rubric, "_versions", cached)  # a cache, not a field of the rubric
    return cached


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
    if distinct_answers(rubric, submissions) < WORTH_IT:
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
    rows = copied(rubric, versions, {s: known[s] for s in prepared}, verdicts, prepared)
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
    from .submissions import load_submission

    rubric, prepared = load(rubric_path, seed)
    try:
        submission = load_submission(path, {q.id for q in rubric.questions})
    except FileNotFoundError as err:
        raise UnusableInput(str(err)) from None
    if submission.problem:
        # Nothing of the answers could be read (broken YAML, an empty file, a list): the student
        # fixes the file first; there is nothing to mark.
        raise UnusableInput(submission.problem)
    return rubric, grade(rubric, [submission], prepared)


# -- the grading core ----------------------------------------------------------------------------
def answer_key(value: Any) -> str:
    """Identical answers share a key, so each is checked once."""
    if isinstance(value, str):
        return value.strip()
    return json.dumps(value, sort_keys=True, ensure_ascii=False)


@dataclass
class _Judged:
    outcome: Outcome
    group: str = ""


def grade(rubric: Rubric, submissions: Iterable[Submission],
          prepared: Mapping[str, Kind] | None = None, jobs: int = 1,
          progress: Progress | None = None, meanwhile: Callable[[], Any] | None = None,
          sandbox: Any = None, workers: Any = None,
          versions_of: Mapping[str, Mapping[str, float] | None] | None = None) -> list[Verdict]:
    """Verdicts for every student × question, sorted by student then rubric order.

    Student code starts running in the sandbox first; the written answers are checked (and
    ``meanwhile`` is called, for the caller's own preparations) while it runs. ``sandbox``: a
    pool from ``coderun.start_sandbox`` started earlier (the caller closes it). ``workers``:
    ``parallel.CheckWorkers`` to share the written answers' checking with. A rubric with
    ``versions`` grades each student against their own version: ``versions_of`` gives each
    student's values (from the roster or versions.csv; a student missing there gets ``error``
    rows, never a fresh draw); without it every student's values are drawn from their id.
    """
    prepared = prepared if prepared is not None else prepare(rubric)
    submissions = sorted(submissions, key=lambda s: s.student)
    submissions = [_read_writeups(s, rubric, prepared) if s.writeups else s for s in submissions]
    if getattr(rubric, "versions", None) is not None:
        return _grade_by_version(rubric, submissions, prepared, jobs, progress, meanwhile,
                                 sandbox, versions_of)
    coded = [q for q in rubric.questions if prepared[q.id].runs_code]
    if not coded:
        if meanwhile:
            meanwhile()
        written = _check_written(rubric, submissions, prepared, progress, workers)
        return _rows(rubric, submissions, prepared, progress, {}, written)

    import gc

    from .coderun import CodeRun

    # Everything alive now (modules, the rubric, the submissions) lives until the end: frozen,
    # the collector stops re-scanning it each time the sandbox's results trigger a collection.
    gc.freeze()
    # This thread stays busy (checking answers, importing) while the sandbox's threads wait for
    # children; a short switch interval lets them take the GIL back within half a millisecond.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(min(interval, 0.0005))
    try:
        with CodeRun([prepared[q.id] for q in coded], submissions, rubric, jobs, progress,
                     pool=sandbox) as code:
            written = _check_written(rubric, submissions, prepared, progress, workers)
            if meanwhile:
                meanwhile()
            return _rows(rubric, submissions, prepared, progress, code.outcomes(), written)
    finally:
        sys.setswitchinterval(interval)
        gc.unfreeze()


def _grade_by_version(rubric: Rubric, submissions: list[Submission], prepared: Mapping[str, Kind],
                      jobs: int, progress: Progress | None, meanwhile: Callable[[], Any] | None,
                      sandbox: Any, versions_of: Mapping[str, Any] | None) -> list[Verdict]:
    """``grade`` for a rubric with per-student versions: each question prepared once per
    distinct version (shared questions once), each distinct answer checked once per version,
    wrong answers grouped within a version (and across versions by the listed mistake they
    match), and answers right for another student's version marked as such."""
    from .versions import COPIED_FEEDBACK, fits_elsewhere, prepare_version

    versions = _versions(rubric)
    students = [s.student for s in submissions]
    values_of = (versions.draw_all(students) if versions_of is None
                 else {student: versions_of.get(student) for student in students})
    shared = {q.id: prepared[q.id] for q in rubric.questions if versions.is_shared(q.id)}
    kinds_of: dict[str, dict[str, Kind]] = {}
    broken: dict[str, str] = {}
    for student in students:
        values = values_of.get(student)
        if values is None:
            broken[student] = (f"no version for student {student!r}: they are not on the roster "
                               "(or in versions.csv), so their numbers are unknown")
            continue
        try:
            kinds_of[student] = prepare_version(rubric, versions, values, shared)
        except RubricError as err:
            broken[student] = "the grader could not prepare your version: " + "; ".join(err.problems)
    graded = [s for s in submissions if s.student in kinds_of]

    # Code: one run per student, with the calls of their version's questions.
    coded = [q.id for q in rubric.questions if prepared[q.id].runs_code]
    code_outcomes: dict[str, dict[str, Outcome]] = {}
    if coded and graded:
        from .coderun import CodeRun, start_sandbox

        pool = sandbox or start_sandbox(rubric, jobs)
        try:
            groups: dict[tuple, list[Submission]] = {}
            for submission in graded:
                plan = tuple(id(kinds_of[submission.student][qid]) for qid in coded)
                groups.setdefault(plan, []).append(submission)
            runs = [CodeRun([kinds_of[members[0].student][qid] for qid in coded], members, rubric,
                            jobs, progress, pool=pool) for members in groups.values()]
            judged = _check_by_version(rubric, graded, kinds_of, progress)
            if meanwhile:
                meanwhile()
            for run in runs:
                code_outcomes.update(run.outcomes())
        finally:
            if sandbox is None:
                pool.close()
    else:
        judged = _check_by_version(rubric, graded, kinds_of, progress)
        if meanwhile:
            meanwhile()

    def entry(submission: Submission, qid: str, value: Any) -> _Judged:
        return judged[(qid, id(kinds_of[submission.student][qid]))][answer_key(value)]

    verdicts = _rows(rubric, graded, prepared, progress, code_outcomes, entry=entry)
    fits = fits_elsewhere(rubric, versions, {s: values_of[s] for s in kinds_of}, verdicts, kinds_of)
    verdicts = [_with_note(v, COPIED_FEEDBACK) if (v.student, v.question) in fits else v
                for v in verdicts]
    for student in sorted(broken):
        verdicts += [_verdict(student, q.id, q.points, Outcome(ERROR, 0.0, broken[student]), "", "")
                     for q in rubric.questions]
    order = {student: index for index, student in enumerate(students)}
    return sorted(verdicts, key=lambda v: order[v.student])


def _check_by_version(rubric: Rubric, submissions: list[Submission],
                      kinds_of: Mapping[str, Mapping[str, Kind]],
                      progress: Progress | None) -> dict[tuple[str, int], dict[str, _Judged]]:
    """Each distinct answer checked once per version of its question, grouped within that
    version; answers matching a listed mistake share one group across versions."""
    tables: dict[tuple[str, int], dict[str, _Judged]] = {}
    kinds: dict[tuple[str, int], Kind] = {}
    for question in rubric.questions:
        for submission in submissions:
            kind = kinds_of[submission.student][question.id]
            value = submission.answers.get(question.id)
            if kind.runs_code or submission.problem or is_blank(value):
                continue
            key = (question.id, id(kind))
            kinds[key] = kind
            table = tables.setdefault(key, {})
            text = answer_key(value)
            if text not in table:
                table[text] = _Judged(_safe_check(kind, value))
        if progress:
            progress(0)
    versions_of_question: dict[str, int] = {}
    for key in sorted(tables, key=lambda k: (k[0], min(tables[k], default=""))):
        qid = key[0]
        number = versions_of_question[qid] = versions_of_question.get(qid, 0) + 1
        table = dict(sorted(tables[key].items()))
        _group(kinds[key], f"{qid}#v{number}", table)
        for judged in table.values():
            if judged.outcome.mistake:
                judged.group = f"{qid}#{judged.outcome.mistake}"
        tables[key] = table
    return tables


def _with_note(verdict: Verdict, note: str) -> Verdict:
    feedback = f"{verdict.feedback}; {note}" if verdict.feedback else note
    return Verdict(verdict.student, verdict.question, verdict.score, verdict.max_score,
                   verdict.status, feedback, verdict.answer, verdict.group, verdict.mistake)


def _check_written(rubric: Rubric, submissions: list[Submission], prepared: Mapping[str, Kind],
                   progress: Progress | None, workers: Any = None) -> dict[str, dict[str, _Judged]]:
    """Each distinct answer to each written question, checked once (on several cores when
    ``workers`` are given) and grouped."""
    distinct: dict[str, dict[str, Any]] = {}
    for question in rubric.questions:
        if prepared[question.id].runs_code:
            continue
        keys: dict[str, Any] = {}
        for submission in submissions:
            value = submission.answers.get(question.id)
            if not submission.problem and not is_blank(value):
                keys.setdefault(answer_key(value), value)
        distinct[question.id] = keys
    checked: dict[tuple[str, str], Outcome] = {}
    if workers is not None:
        tasks = [(qid, key, value) for qid, keys in distinct.items() for key, value in keys.items()]
        checked = workers.check_all(tasks)
    judged: dict[str, dict[str, _Judged]] = {}
    for qid, keys in distinct.items():
        kind = prepared[qid]
        table = {key: _Judged(checked[(qid, key)] if (qid, key) in checked else _safe_check(kind, value))
                 for key, value in sorted(keys.items())}
        _group(kind, qid, table)
        judged[qid] = table
        if progress:
            progress(0)
    return judged


def distinct_answers(rubric: Rubric, submissions: Iterable[Submission]) -> int:
    """How many distinct (question, answer) pairs a class holds: the checking work to share."""
    seen = set()
    for submission in submissions:
        if submission.problem:
            continue
        for qid, value in submission.answers.items():
            if not is_blank(value):
                seen.add((qid, answer_key(value)))
    return len(seen)


def _rows(rubric: Rubric, submissions: list[Submission], prepared: Mapping[str, Kind],
          progress: Progress | None, code_outcomes: Mapping[str, Mapping[str, Outcome]],
          judged: dict[str, dict[str, _Judged]] | None = None,
          entry: Callable[[Submission, str, Any], _Judged] | None = None) -> list[Verdict]:
    """The verdicts, from the checked written answers (``entry`` finds a student's when it is
    not simply ``judged[question][answer]``) and the code's outcomes."""
    if judged is None and entry is None:
        judged = _check_written(rubric, submissions, prepared, progress)
    if entry is None:
        entry = lambda submission, qid, value: judged[qid][answer_key(value)]  # noqa: E731
    rows_out: list[Verdict] = []
    known = {q.id for q in rubric.questions}
    for submission in submissions:
        unknown = sorted(set(submission.answers) - known)
        rows = []
        for question in rubric.questions:
            kind = prepared[question.id]
            value = submission.answers.get(question.id)
            if kind.runs_code:
                outcome, group = code_outcomes[submission.student][question.id], ""
                answer = ""
            elif submission.problem:
                outcome, group, answer = Outcome.invalid(submission.problem), "", ""
            elif is_blank(value):
                report = _report(submission, question.id)
                why = report.summary() if report is not None else "no answer"
                outcome, group, answer = Outcome(MISSING, 0.0, why), "", ""
            else:
                found = entry(submission, question.id, value)
                outcome, group, answer = found.outcome, found.group, _shown(value)
                report = _report(submission, question.id)
                if report is not None:
                    outcome = _with_steps(outcome, report, question)
            rows.append(_verdict(submission.student, question.id, question.points, outcome,
                                 answer, group))
        if unknown:
            rows = _note_unknown(rows, unknown)
        rows_out.extend(rows)
        if progress:
            progress(1)
    return rows_out


def _read_writeups(submission: Submission, rubric: Rubric, prepared: Mapping[str, Kind]) -> Submission:
    """A submission's write-ups read against the prepared questions: the answers they hold
    (an answer given in an answers file wins) and, per question, what was read and checked."""
    import dataclasses

    from .writeups import read_writeup

    answers = dict(submission.answers)
    reports: dict[str, Any] = {}
    notes = list(submission.notes)
    for name, kind, text in submission.writeups:
        try:
            writeup = read_writeup(text, kind, rubric, prepared)
        except Exception as err:  # noqa: BLE001 - one odd write-up costs its student, never the batch
            notes.append(f"{name}: the write-up could not be read ({type(err).__name__})")
            continue
        for qid, value in writeup.answers.items():
            if is_blank(answers.get(qid)):
                answers[qid] = value
        for qid, report in writeup.reports.items():
            reports.setdefault(qid, report)
        notes += [f"{name}: {note}" for note in writeup.notes]
    return dataclasses.replace(submission, answers=answers, notes=tuple(notes),
                               writeup_reports=reports)


def _report(submission: Submission, qid: str) -> Any:
    return (getattr(submission, "writeup_reports", None) or {}).get(qid)


def _with_steps(outcome: Outcome, report: Any, question: Any) -> Outcome:
    """The kind's outcome of the answer read from a write-up, with the derivation's share of the
    points (``steps``), its first wrong step, and what was read: so a student sees that their
    write-up was understood."""
    from .writeups import score_with_steps, steps_share

    scored = score_with_steps(outcome, report, steps_share(question))
    read = report.summary().split("; ")[0]
    return dataclasses.replace(scored, feedback=f"{read}; {scored.feedback}" if scored.feedback else read)


def _safe_check(kind: Kind, value: Any) -> Outcome:
    """One answer that breaks a kind costs that answer an ``error``, never the batch."""
    try:
        return kind.check(value)
    except RecursionError:
        return Outcome.invalid("the answer is nested too deeply")
    except Exception as err:  # noqa: BLE001 - the batch must go on; the message says what broke
        return Outcome(ERROR, 0.0, f"the grader could not check this answer ({type(err).__name__}); "
                                   "please tell your instructor")


def _group(kind: Kind, question_id: str, table: dict[str, _Judged]) -> None:
    """Give answers that agree at the sample points one group key (greedy first-match in
    sorted-text order, so the keys do not depend on who submitted first; see ``grouping``)."""
    entries = [entry for entry in table.values()
               if entry.outcome.status in WRONG_STATUSES and entry.outcome.signature is not None]
    signatures = [entry.outcome.signature for entry in entries]
    if getattr(type(kind), "same_meaning", None) is WrittenKind.same_meaning:
        tolerance = kind.group_tolerance()
        numbers = fast_groups(signatures, tolerance.rtol, tolerance.atol, kind.same_meaning)
    else:  # a kind with its own notion of meaning: the plain scan, which assumes nothing
        numbers = greedy_groups(signatures, kind.same_meaning)
    for entry, number in zip(entries, numbers):
        entry.group = f"{question_id}#{number + 1}"


def _shown(value: Any) -> str:
    return value.strip() if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _verdict(student: str, question: str, points: float, outcome: Outcome, answer: str,
             group: str) -> Verdict:
    score = round(points * max(0.0, min(1.0, outcome.fraction)), 6)
    return Verdict(student=student, question=question, score=score, max_score=points,
                   status=outcome.status, feedback=outcome.feedback, answer=answer, group=group,
                   mistake=outcome.mistake)


def _note_unknown(rows: list[Verdict], unknown: list[str]) -> list[Verdict]:
    """Say which answered ids the rubric does not know, on the row of the id it most likely
    misspells (``q1.sigmod`` → q1.sigmoid), or on the first row when none is close."""
    import difflib

    ids = [row.question for row in rows]
    notes: dict[int, list[str]] = {}
    for name in unknown:
        # An id that differs only in case (q5.net_w1 for q5.net_W1) is the likeliest meaning.
        close = [i for i in ids if i.casefold() == name.casefold()] or \
            difflib.get_close_matches(name, ids, n=1, cutoff=0.6)
        if close:
            index = ids.index(close[0])
            notes.setdefault(index, []).append(f"your file has an answer under `{name}`, which "
                                               f"this assignment does not have: did you mean "
                                               f"`{close[0]}`?")
        else:
            notes.setdefault(0, []).append(f"your file answers `{name}`, which this "
                                           "assignment does not have (check the id)")
    out = list(rows)
    for index, extra in notes.items():
        row = out[index]
        feedback = "; ".join(([row.feedback] if row.feedback else []) + extra)
        out[index] = Verdict(row.student, row.question, row.score, row.max_score, row.status,
                             feedback, row.answer, row.group, row.mistake)
    return out


__all__ = ["STEPS", "ClassResult", "answer_key", "check_submission", "grade_class", "load",
           "grade", "load_rubric", "prepare", "validate"]
