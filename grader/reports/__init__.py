"""The tidy verdict table and every file derived from it: CSV files, feedback, plots, exports.

One module per output family:

- ``table``: the tidy table (one row per student × question) and its pivots and group-bys
  (grades, summary, wrong answers, lowest questions);
- ``csvfiles``: CSV bytes, spreadsheet safety, reading CSV back, safe file creation;
- ``outdir``: writing OUTDIR as a whole and reading it back (``load_outdir``, ``regenerate``);
- ``swap``: the atomic directory swap and the clean-up of what a killed run left;
- ``feedback``, ``roster``, ``exports`` (Canvas, Gradescope), ``diff``, ``plots``;
- ``students`` (students.csv: what the intake learned about each student), ``late`` (days
  late and penalties), ``overrides`` (scores set by hand, from the instructor's file).

The names below are loaded on first use: ``grader.reports.plots`` must stay importable without
pandas, because the CLI forks the plotting process before the heavy imports of the grading path.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

#: Public name → the module that defines it.
_HOME = {
    "TABLE_COLUMNS": "table", "DETAILS_COLUMNS": "table", "ANSWERS_COLUMNS": "table",
    "WRONG_COLUMNS": "table", "SUMMARY_COLUMNS": "table",
    "verdict_table": "table", "grades_table": "table", "summary_table": "table",
    "wrong_answers_table": "table", "lowest_questions": "table",
    "QuestionInfo": "meta", "ReportMeta": "meta",
    "UnsafeOutputDirError": "swap",
    "write_outdir": "outdir", "load_outdir": "outdir", "regenerate": "outdir",
    "ROSTER_COLUMNS": "roster", "read_roster": "roster", "apply_roster": "roster",
    "export_canvas": "exports", "export_gradescope": "exports",
    "diff_outdirs": "diff", "DIFF_COLUMNS": "diff", "TOTAL_LABEL": "diff",
    "Plotter": "plots", "draw_plots": "plots",
    "STUDENT_COLUMNS": "students", "students_frame": "students", "load_students": "students",
    "LATE_COLUMNS": "late", "read_times": "late",
    "OVERRIDE_COLUMNS": "overrides", "Override": "overrides", "read_overrides": "overrides",
    "apply_overrides": "overrides", "add_override": "overrides", "undo_overrides": "overrides",
    "roster_matcher": "roster",
}

__all__ = [
    "TABLE_COLUMNS",
    "DETAILS_COLUMNS",
    "ANSWERS_COLUMNS",
    "ROSTER_COLUMNS",
    "QuestionInfo",
    "ReportMeta",
    "UnsafeOutputDirError",
    "verdict_table",
    "grades_table",
    "summary_table",
    "wrong_answers_table",
    "lowest_questions",
    "write_outdir",
    "load_outdir",
    "regenerate",
    "read_roster",
    "apply_roster",
    "export_canvas",
    "export_gradescope",
    "diff_outdirs",
    "DIFF_COLUMNS",
    "SUMMARY_COLUMNS",
    "WRONG_COLUMNS",
    "TOTAL_LABEL",
    "STUDENT_COLUMNS",
    "students_frame",
    "load_students",
    "LATE_COLUMNS",
    "read_times",
    "OVERRIDE_COLUMNS",
    "Override",
    "read_overrides",
    "apply_overrides",
    "add_override",
    "undo_overrides",
    "roster_matcher",
]


def __getattr__(name: str) -> Any:
    home = _HOME.get(name)
    if home is None:
        raise AttributeError(f"module 'grader.reports' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"grader.reports.{home}"), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_HOME))


if TYPE_CHECKING:  # what type checkers and IDEs see; at run time ``__getattr__`` loads these
    from grader.reports.diff import DIFF_COLUMNS, TOTAL_LABEL, diff_outdirs
    from grader.reports.exports import export_canvas, export_gradescope
    from grader.reports.meta import QuestionInfo, ReportMeta
    from grader.reports.outdir import load_outdir, regenerate, write_outdir
    from grader.reports.plots import Plotter, draw_plots  # noqa: F401
    from grader.reports.late import LATE_COLUMNS, read_times
    from grader.reports.overrides import (OVERRIDE_COLUMNS, Override, add_override, apply_overrides,
                                          read_overrides, undo_overrides)
    from grader.reports.roster import ROSTER_COLUMNS, apply_roster, read_roster, roster_matcher
    from grader.reports.students import STUDENT_COLUMNS, load_students, students_frame
    from grader.reports.swap import UnsafeOutputDirError
    from grader.reports.table import (
        ANSWERS_COLUMNS,
        DETAILS_COLUMNS,
        SUMMARY_COLUMNS,
        TABLE_COLUMNS,
        WRONG_COLUMNS,
        grades_table,
        lowest_questions,
        summary_table,
        verdict_table,
        wrong_answers_table,
    )
