"""OUTDIR: every file written from the tidy table into a fresh directory that is swapped in
whole, and read back (``load_outdir``, ``regenerate``) so that a rewrite is byte-identical.

An output directory holds::

    details.csv        student,question,score,max_score,status,feedback   (the source of truth)
    answers.csv        student,question,answer,group,mistake              (for wrong-answer grouping)
    run.json           ReportMeta: title, questions in rubric order, seed, rubric path, due date and
                       late policy, overrides applied
    roster.csv         normalised roster, only when a roster was applied
    students.csv       per-student facts from the intake: files read, LMS ids, submission time
    grades.csv         one row per student, one column per question, total, max_total,
                       [late_days, penalty, total_after_penalty,] percent
    summary.csv        one row per question: mean, median, status shares, discrimination
    wrong_answers.csv  wrong answers grouped by meaning (the ``group`` key), largest first
    feedback/<id>.md   one file per student
    plots/*.png        totals histogram, status shares per question
    exports/           written only by export_canvas / export_gradescope
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Mapping

import pandas as pd

from grader.reports.csvfiles import (
    csv_bytes,
    csv_chunks,
    read_csv_strings,
    strs,
    write_new,
)
from grader.reports.feedback import iter_feedback, safe_names
from grader.reports.meta import QuestionInfo, ReportMeta
from grader.reports.numbers import fmt_array, parse_scores
from grader.reports.plots import Plotter, draw_plots
from grader.reports.roster import ROSTER_COLUMNS, normalise_roster, read_saved_roster
from grader.reports.students import load_students, students_bytes, students_frame
from grader.reports.swap import replace_dir
from grader.reports.table import (
    ANSWERS_COLUMNS,
    DETAILS_COLUMNS,
    SUMMARY_COLUMNS,
    WRONG_COLUMNS,
    grades_from,
    normalise,
    question_max,
    question_order,
    score_matrix,
    summary_from,
    wrong_answers_table,
)
from grader.verdict import STATUSES


def plot_data(grades: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """What the plots need, as plain arrays and lists (cheap to send to a plotting process)."""
    return {
        "totals": grades["total"].to_numpy(dtype=float),
        "max_total": float(grades["max_total"].iloc[0]) if len(grades) else 0.0,
        "labels": summary["question"].tolist(),
        "shares": {status: summary[status].to_numpy(dtype=float) for status in STATUSES},
    }


#: Files a run writes that are facts of the run, not derived from details.csv (per-student
#: versions, answers that fit another student's version): ``regenerate`` keeps them as they are.
KEPT_FILES = ("versions.csv", "copied.csv")


def _write_all(table: pd.DataFrame, meta: ReportMeta, d: Path, roster: pd.DataFrame | None,
               plotter: Plotter | None = None, students: pd.DataFrame | None = None,
               warnings: list[str] | None = None, extra: Mapping[str, bytes] | None = None,
               derived: dict[str, pd.DataFrame] | None = None) -> None:
    """Every file of an output directory into the (fresh, empty) directory ``d``; ``derived``
    receives the summary and wrong-answer tables made on the way (``summary``, ``wrong``)."""
    for name, data in (extra or {}).items():
        if name not in KEPT_FILES:
            raise ValueError(f"{name} is not a file a run may add to OUTDIR")
        write_new(d / name, data)
    score_s = fmt_array(table["score"])
    max_s = fmt_array(table["max_score"])
    piv = score_matrix(table, question_order(table, meta))  # shared by grades and summary
    grades = grades_from(table, meta, piv, students, roster, warnings)
    summary = summary_from(table, meta, piv)
    pdata = plot_data(grades, summary)
    (d / "plots").mkdir()
    if plotter is not None:
        plotter.request(pdata, d / "plots")  # drawn elsewhere while the files below are written
    # The feedback files (one per student) are made and written by a forked process meanwhile:
    # creating thousands of files sometimes waits on the file system, the CSV files need the CPU.
    (d / "feedback").mkdir()
    feedback = FeedbackWriter(table, grades, meta, score_s, max_s, str(d / "feedback"))
    try:
        _write_csv_files(table, meta, d, roster, students, grades, summary, score_s, max_s,
                         derived)
    except BaseException:
        feedback.stop()  # before the folder is removed under it
        raise
    feedback.wait()

    if plotter is not None:
        plotter.wait()
    else:
        draw_plots(pdata, d / "plots")


def _write_csv_files(table: pd.DataFrame, meta: ReportMeta, d: Path, roster: pd.DataFrame | None,
                     students: pd.DataFrame | None, grades: pd.DataFrame, summary: pd.DataFrame,
                     score_s: list[str], max_s: list[str],
                     derived: dict[str, pd.DataFrame] | None) -> None:
    student = table["student"].tolist()
    question = table["question"].tolist()
    write_new(d / "details.csv", csv_chunks(DETAILS_COLUMNS, [
        student, question, score_s, max_s, table["status"].tolist(), table["feedback"].tolist(),
    ]))
    write_new(d / "answers.csv", csv_chunks(ANSWERS_COLUMNS, [
        student, question, table["answer"].tolist(), table["group"].tolist(), table["mistake"].tolist(),
    ]))
    del student, question
    write_new(d / "run.json", meta.to_json().encode("utf-8"))
    if roster is not None:
        r = normalise_roster(roster)
        write_new(d / "roster.csv", csv_bytes(ROSTER_COLUMNS, [r[c].tolist() for c in ROSTER_COLUMNS]))
    if students is not None:
        write_new(d / "students.csv", students_bytes(students_frame(students.to_dict("records"))))
    write_new(d / "grades.csv", csv_bytes(
        [str(c) for c in grades.columns],
        [strs(grades["student"])] + [fmt_array(grades[c]) for c in grades.columns[1:]],
    ))
    write_new(d / "summary.csv", csv_bytes(
        SUMMARY_COLUMNS, [strs(summary["question"])] + [fmt_array(summary[c]) for c in SUMMARY_COLUMNS[1:]],
    ))
    wrong = wrong_answers_table(table, meta)
    if derived is not None:
        derived.update(summary=summary, wrong=wrong)
    write_new(d / "wrong_answers.csv", csv_bytes(WRONG_COLUMNS, [
        strs(wrong["question"]), strs(wrong["group"]), strs(wrong["count"]), fmt_array(wrong["share"]),
        strs(wrong["representative"]), strs(wrong["examples"]), strs(wrong["matched_mistake"]),
    ]))


def write_feedback(table: pd.DataFrame, grades: pd.DataFrame, meta: ReportMeta,
                   score_s: list[str] | None, max_s: list[str] | None, folder: str) -> None:
    """``feedback/<student>.md`` for every student of ``table``, into ``folder`` (which exists)."""
    names = safe_names(pd.unique(table["student"]))
    for s, text in iter_feedback(table, grades, meta, score_s, max_s):
        write_new(f"{folder}/{names[s]}.md", text.encode("utf-8"))  # str paths: Path() x10k adds up


#: Students below which the feedback files are written in this process (forking costs more).
FORK_FEEDBACK_FROM = 2000


class FeedbackWriter:
    """``write_feedback`` in a forked process, while the caller goes on; in this process instead
    for a small class, or where forking is unsafe (a thread exists: the sandbox's, on the code
    path) or unavailable. ``wait`` raises if the files could not all be written."""

    def __init__(self, table: pd.DataFrame, grades: pd.DataFrame, meta: ReportMeta,
                 score_s: list[str], max_s: list[str], folder: str) -> None:
        import threading

        self._process = None
        if (len(grades) < FORK_FEEDBACK_FROM or threading.active_count() > 1
                or not hasattr(os, "fork")):
            write_feedback(table, grades, meta, score_s, max_s, folder)
            return
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._process = context.Process(target=_feedback_child,
                                        args=(table, grades, meta, score_s, max_s, folder, os.getpid()),
                                        daemon=True, name="grader-feedback")
        self._process.start()

    def wait(self) -> None:
        if self._process is None:
            return
        self._process.join()
        code, self._process = self._process.exitcode, None
        if code != 0:
            raise OSError(f"the feedback files could not be written (the writing process ended "
                          f"with status {code})")

    def stop(self) -> None:
        if self._process is not None:
            self._process.kill()
            self._process.join()
            self._process = None


def _feedback_child(table, grades, meta, score_s, max_s, folder: str, parent: int) -> None:
    from grader.lifetime import die_with_parent

    die_with_parent(parent)
    try:
        write_feedback(table, grades, meta, score_s, max_s, folder)
    except BaseException as err:  # noqa: BLE001 - the parent reports it; this process only exits
        sys.stderr.write(f"grader: writing feedback files: {type(err).__name__}: {err}\n")
        os._exit(1)
    os._exit(0)


def _looks_like_outdir(path: Path) -> bool:
    return (path / "run.json").is_file() or (path / "details.csv").is_file()


def write_outdir(table: pd.DataFrame, meta: ReportMeta, outdir: Path, roster: pd.DataFrame | None = None,
                 plotter: Plotter | None = None, students: pd.DataFrame | None = None,
                 extra: Mapping[str, bytes] | None = None,
                 derived: dict[str, pd.DataFrame] | None = None) -> list[str]:
    """Write every file of OUTDIR from the tidy table, replacing the directory as a whole;
    returns warnings (late marking's: times that could not be read, late without a time).

    The roster is only saved (as roster.csv, for the exports); call ``apply_roster`` first to add
    the ``missing`` rows. ``students``: the intake's per-student facts (students.csv). ``extra``:
    the run's own files (``KEPT_FILES``: versions.csv, copied.csv), written as given. Anything
    else in OUTDIR (``exports/`` included) is dropped.
    """
    norm = normalise(table, meta)
    warnings: list[str] = []
    replace_dir(Path(outdir), lambda d: _write_all(norm, meta, d, roster, plotter, students, warnings, extra, derived),
                _looks_like_outdir, "a grader output directory (no run.json or details.csv)")
    return warnings


def read_details(outdir: Path) -> pd.DataFrame:
    """details.csv of OUTDIR: text columns as str, scores as float."""
    path = Path(outdir) / "details.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{outdir} is not a grader output directory (no details.csv)")
    df = read_csv_strings(path)
    if tuple(df.columns) != DETAILS_COLUMNS:
        raise ValueError(f"{path}: expected columns {','.join(DETAILS_COLUMNS)}, found {','.join(df.columns)}")
    df["score"] = parse_scores(df["score"], str(path))
    df["max_score"] = parse_scores(df["max_score"], str(path))
    return df


def _infer_meta(table: pd.DataFrame, outdir: Path) -> ReportMeta:
    """Meta for a directory without run.json: questions in order of first appearance."""
    order = question_order(table, None)
    maxes = question_max(table, None, order)
    return ReportMeta(title=Path(outdir).name, questions=tuple(QuestionInfo(q, float(maxes[q])) for q in order))


def load_outdir(outdir: Path) -> tuple[pd.DataFrame, ReportMeta, pd.DataFrame | None]:
    """The table (details.csv joined with answers.csv), the meta and the roster (or None)."""
    outdir = Path(outdir)
    details = read_details(outdir)
    answers_path = outdir / "answers.csv"
    if answers_path.is_file():
        answers = read_csv_strings(answers_path)
        missing = set(ANSWERS_COLUMNS) - set(answers.columns)
        if missing:
            raise ValueError(f"{answers_path}: missing column(s) {', '.join(sorted(missing))}")
        answers = answers[list(ANSWERS_COLUMNS)].drop_duplicates(["student", "question"])
        table = details.merge(answers, on=["student", "question"], how="left")
    else:
        table = details
    for col in ("answer", "group", "mistake"):
        table[col] = table[col].fillna("") if col in table else ""
    meta_path = outdir / "run.json"
    meta = ReportMeta.from_json(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() \
        else _infer_meta(table, outdir)
    roster_path = outdir / "roster.csv"
    roster = read_saved_roster(roster_path) if roster_path.is_file() else None
    return normalise(table, meta), meta, roster


def regenerate(outdir: Path, overrides: Path | None = None) -> list[str]:
    """Rewrite every derived file of OUTDIR from its details/answers/run/roster/students files;
    returns warnings.

    The overrides recorded in run.json are taken off and the overrides file (``overrides``, else
    the one run.json names) is applied afresh, so an override added since grading shows up and
    one deleted from the file goes. With the same file, the rewrite is byte-identical to what
    ``write_outdir`` wrote. ``exports/`` is dropped (exports are derived too: run the export
    commands again).
    """
    from grader.reports.overrides import apply_overrides, undo_overrides

    table, meta, roster = load_outdir(Path(outdir))
    students = load_students(Path(outdir))
    path = Path(overrides) if overrides is not None else (Path(meta.overrides_file) if meta.overrides_file else None)
    table = undo_overrides(table, meta)
    warnings: list[str] = []
    if path is not None and not path.is_file() and meta.overrides:
        warnings.append(f"{path}: no such file: the {len(meta.overrides)} override(s) it held are "
                        "no longer applied")
    from dataclasses import replace

    meta = replace(meta, overrides=())
    table, meta, more = apply_overrides(table, meta, path)
    warnings += more
    kept = {name: (Path(outdir) / name).read_bytes() for name in KEPT_FILES
            if (Path(outdir) / name).is_file()}
    warnings += write_outdir(table, meta, Path(outdir), roster, students=students, extra=kept)
    return warnings
