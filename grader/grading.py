"""The grading core: rubric × submissions → verdicts, deterministically.

Each distinct answer text to a question is checked once, however many students gave it (on
several cores when ``parallel.CheckWorkers`` are given); wrong answers are grouped by meaning
(``grouping``); each student's code runs once (``coderun``); write-ups are read against the
prepared questions; a rubric with per-student versions grades each student against their own.
The result never depends on the number of jobs. ``pipeline`` drives it for whole classes.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping

from .errors import QuestionError, RubricError
from .grouping import fast_groups, greedy_groups
from .kinds import Kind, WrittenKind, registry
from .rubric import Rubric
from .submissions import Submission, is_blank
from .verdict import ERROR, MISSING, WRONG_STATUSES, Outcome, Verdict, VerdictColumns

#: Called once per unit of work done (a written question checked, a student's code judged, a
#: student's rows built), with what kind of unit it was; for progress bars.
Progress = Callable[[int], None]


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
        keys_of: dict[str, list[str | None]] = {}
        written = _check_written(rubric, submissions, prepared, progress, workers, keys_of)
        return _rows(rubric, submissions, prepared, progress, {}, written, keys_of=keys_of)

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
            keys_of: dict[str, list[str | None]] = {}
            written = _check_written(rubric, submissions, prepared, progress, workers, keys_of)
            if meanwhile:
                meanwhile()
            return _rows(rubric, submissions, prepared, progress, code.outcomes(), written,
                         keys_of=keys_of)
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
    versions.fits = fits  # copied.csv is made from the same matches (pipeline._versions_files)
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
                   progress: Progress | None, workers: Any = None,
                   keys_of: dict[str, list[str | None]] | None = None) -> dict[str, dict[str, _Judged]]:
    """Each distinct answer to each written question, checked once (on several cores when
    ``workers`` are given) and grouped. ``keys_of`` receives, per question, each submission's
    answer key (None where there is no answer to check), for ``_rows``."""
    distinct: dict[str, dict[str, Any]] = {}
    for question in rubric.questions:
        if prepared[question.id].runs_code:
            continue
        keys: dict[str, Any] = {}
        column: list[str | None] = []
        for submission in submissions:
            value = submission.answers.get(question.id)
            if not submission.problem and not is_blank(value):
                key = answer_key(value)
                keys.setdefault(key, value)
                column.append(key)
            else:
                column.append(None)
        distinct[question.id] = keys
        if keys_of is not None:
            keys_of[question.id] = column
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


def _rows(rubric: Rubric, submissions: list[Submission], prepared: Mapping[str, Kind],
          progress: Progress | None, code_outcomes: Mapping[str, Mapping[str, Outcome]],
          judged: dict[str, dict[str, _Judged]] | None = None,
          entry: Callable[[Submission, str, Any], _Judged] | None = None,
          keys_of: Mapping[str, list[str | None]] | None = None) -> VerdictColumns:
    """The verdicts, from the checked written answers (``entry`` finds a student's when it is
    not simply ``judged[question][answer]``) and the code's outcomes, as columns.
    ``keys_of``: each submission's answer keys as ``_check_written`` found them.

    An answer's fields (score, status, feedback, group, mistake) are worked out once per
    checked answer and shared by every student who gave it."""
    if judged is None and entry is None:
        judged = _check_written(rubric, submissions, prepared, progress)
    if entry is None:
        entry = lambda submission, qid, value: judged[qid][answer_key(value)]  # noqa: E731
    out = VerdictColumns()
    add = out.add
    known = {q.id for q in rubric.questions}
    questions = [(q.id, float(q.points), q, prepared[q.id].runs_code) for q in rubric.questions]
    shared: dict[int, tuple[float, str, str, str, str]] = {}  # id(_Judged) -> its fields
    keys_of = keys_of if keys_of is not None and judged is not None else None
    for index, submission in enumerate(submissions):
        student, answers = submission.student, submission.answers
        if set(answers) - known:  # rare: a note on the row of the id it most likely misspells
            out.extend(_note_unknown(_student_rows(submission, rubric, prepared, code_outcomes, entry),
                                     sorted(set(answers) - known)))
            if progress:
                progress(1)
            continue
        if submission.problem:
            out.extend(_student_rows(submission, rubric, prepared, code_outcomes, entry))
            if progress:
                progress(1)
            continue
        reports = getattr(submission, "writeup_reports", None)
        for qid, points, question, runs_code in questions:
            value = answers.get(qid)
            if runs_code or is_blank(value) or (reports and qid in reports):
                add(*_cell(submission, question, points, prepared[qid], value, code_outcomes, entry))
                continue
            if keys_of is not None:
                key = keys_of[qid][index]
                found = judged[qid][key]
                # A list's key is its JSON, as shown, unless a mapping inside had its keys sorted.
                shown = key if isinstance(value, str) or "{" not in key else _shown(value)
            else:
                found = entry(submission, qid, value)
                shown = _shown(value)
            fields = shared.get(id(found))
            if fields is None:
                outcome = found.outcome
                fields = shared[id(found)] = (_score(points, outcome.fraction), outcome.status,
                                              outcome.feedback or "", found.group or "",
                                              outcome.mistake or "")
            score, status, feedback, group, mistake = fields
            add(student, qid, score, points, status, feedback, shown, group, mistake)
        if progress:
            progress(1)
    return out


def _student_rows(submission: Submission, rubric: Rubric, prepared: Mapping[str, Kind],
                  code_outcomes: Mapping[str, Mapping[str, Outcome]],
                  entry: Callable[[Submission, str, Any], _Judged]) -> list[Verdict]:
    """One student's verdicts, one question at a time."""
    return [Verdict(*_cell(submission, question, float(question.points), prepared[question.id],
                           submission.answers.get(question.id), code_outcomes, entry))
            for question in rubric.questions]


def _cell(submission: Submission, question: Any, points: float, kind: Kind, value: Any,
          code_outcomes: Mapping[str, Mapping[str, Outcome]],
          entry: Callable[[Submission, str, Any], _Judged]) -> tuple:
    """The fields of one verdict (``Verdict``'s order)."""
    if kind.runs_code:
        outcome, group, answer = code_outcomes[submission.student][question.id], "", ""
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
    return (submission.student, question.id, _score(points, outcome.fraction), points,
            outcome.status, outcome.feedback or "", answer, group or "", outcome.mistake or "")


def _score(points: float, fraction: float) -> float:
    return round(points * max(0.0, min(1.0, fraction)), 6)


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
    score = _score(points, outcome.fraction)
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



def _versions(rubric: Rubric) -> Any:
    """The rubric's ``Versions``, made once per rubric object: it caches every question
    prepared per version, which grading, copied-answer detection and versions.csv share."""
    from .versions import Versions

    cached = rubric.__dict__.get("_versions")
    if cached is None:
        cached = Versions(rubric)
        object.__setattr__(rubric, "_versions", cached)  # a cache, not a field of the rubric
    return cached


__all__ = ["Progress", "answer_key", "grade", "prepare"]
