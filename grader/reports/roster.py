"""The class roster: read from the instructor's CSV, saved as roster.csv, and used to list
students without a submission as ``missing``."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pandas as pd

from grader.reports.csvfiles import clean_texts, from_spreadsheet_cell
from grader.reports.meta import QuestionInfo, ReportMeta
from grader.reports.table import TABLE_COLUMNS, normalise, question_max, question_order
from grader.verdict import MISSING

#: Normalised roster columns; ``id`` is the LMS's own user id (Canvas "ID", Moodle's participant
#: "Identifier"), ``login`` the SIS login; ``extension_hours`` moves the student's due time.
ROSTER_COLUMNS: tuple[str, ...] = ("student", "name", "email", "section", "sis_id", "id", "login",
                                   "extension_hours")
# Header spellings accepted for the student id, in order of preference: `id` comes last because
# in LMS exports it is usually the LMS's internal number, not the id submissions are filed under.
_ROSTER_KEYS = ("student", "student_id", "login", "id")
_ROSTER_ALIASES = {"sis_user_id": "sis_id", "e_mail": "email", "sis_login_id": "login",
                   "email_address": "email", "full_name": "name", "identifier": "id",
                   "extension": "extension_hours"}


def _norm_header(h: str) -> str:
    key = re.sub(r"[\s\-]+", "_", h.strip().lower())
    return _ROSTER_ALIASES.get(key, key)


def read_roster(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a roster CSV into ``ROSTER_COLUMNS`` (all str, sorted by student), plus warnings.

    The id column may be called student, student_id, login or id (case-insensitive; the first of
    those present wins, so a separate ``id`` column is kept as the LMS id). Encoding: UTF-8 with
    or without BOM, else Latin-1 with a warning. Errors name the file line (header = line 1).
    """
    path = Path(path)
    name = path.name
    raw = path.read_bytes()
    warnings: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        warnings.append(f"{name}: not valid UTF-8, read as Latin-1; check that accented names look right")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    while header is not None and not any(h.strip() for h in header):
        header = next(reader, None)  # leading blank lines
    if header is None:
        raise ValueError(f"{name}: empty roster (no header line)")
    cols = [_norm_header(h) for h in header]
    raw = {re.sub(r"[\s\-]+", "_", h.strip().lower()) for h in header}
    canvas = {"student", "id"} <= raw and bool({"sis_login_id", "sis_user_id"} & raw)
    if canvas:
        # A Canvas gradebook export: its "Student" column is the name ("Smith, John"), and the
        # SIS Login ID is the student id.
        cols = ["name" if c == "student" else c for c in cols]
    key = next((k for k in _ROSTER_KEYS if k in cols), None)
    if key is None:
        found = ", ".join(repr(h.strip()) for h in header)
        raise ValueError(
            f"{name}:1: no student id column; expected one of {', '.join(_ROSTER_KEYS)} "
            f"(case-insensitive), found: {found}"
        )
    index = {c: cols.index(c) for c in ROSTER_COLUMNS[1:] if c in cols}
    index["student"] = cols.index(key)
    if key in index and key != "student":
        del index[key]  # the key column is the student id, not the LMS id / login column
    rows: dict[str, list[str]] = {c: [] for c in ROSTER_COLUMNS}
    first_line: dict[str, int] = {}
    line_end = reader.line_num
    for row in reader:
        line = line_end + 1  # the line the record starts on (quoted fields may span lines)
        line_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if canvas and row and row[0].strip() == "Points Possible":
            continue  # the second line of Canvas's exports
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
        sid = cells["student"]
        if not sid:
            raise ValueError(f"{name}:{line}: empty student id")
        if sid in first_line:
            raise ValueError(f"{name}:{line}: duplicate student id {sid!r} (first on line {first_line[sid]})")
        first_line[sid] = line
        for c in ROSTER_COLUMNS:
            rows[c].append(cells.get(c, ""))
    roster = pd.DataFrame(rows, columns=list(ROSTER_COLUMNS), dtype=object)
    if key == "login":
        roster["login"] = roster["student"]
    return roster.sort_values("student", kind="stable").reset_index(drop=True), warnings


def normalise_roster(roster: pd.DataFrame) -> pd.DataFrame:
    """Exactly ``ROSTER_COLUMNS`` as str (control characters shown as ``\\uXXXX``), sorted by
    student (for roster.csv and exports)."""
    df = pd.DataFrame({c: (clean_texts(roster[c].fillna("").astype(str)) if c in roster else "")
                       for c in ROSTER_COLUMNS}, index=range(len(roster)))
    return df.sort_values("student", kind="stable").reset_index(drop=True)


def read_saved_roster(path: Path) -> pd.DataFrame:
    """roster.csv as ``write_outdir`` saved it: ``read_roster`` with the spreadsheet escaping
    undone (the instructor's own roster is taken as it is)."""
    roster = read_roster(path)[0]
    for col in ROSTER_COLUMNS:
        roster[col] = [from_spreadsheet_cell(v) for v in roster[col]]
    return roster.sort_values("student", kind="stable").reset_index(drop=True)


def apply_roster(table: pd.DataFrame, meta: ReportMeta, roster: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add ``missing`` rows (score 0, "no submission") for roster students without a submission.

    Submissions from students not on the roster are kept (and graded) but listed in a warning.
    """
    have = set(table["student"].astype(str))
    listed = roster["student"].astype(str).tolist()
    absent = [s for s in listed if s not in have]
    unknown = sorted(have - set(listed))
    questions = meta.questions or tuple(
        QuestionInfo(q, float(m)) for q, m in question_max(table, meta, question_order(table, meta)).items()
    )
    add = pd.DataFrame({
        "student": np.repeat(np.array(absent, dtype=object), len(questions)),
        "question": [q.id for q in questions] * len(absent),
        "score": 0.0,
        "max_score": [q.points for q in questions] * len(absent),
        "status": MISSING,
        "feedback": "no submission",
        "answer": "",
        "group": "",
        "mistake": "",
    }, columns=list(TABLE_COLUMNS))
    base = normalise(table, meta)
    merged = pd.concat([base, add], ignore_index=True) if len(add) else base
    warnings = []
    if unknown:
        shown = ", ".join(unknown[:20]) + (f", … ({len(unknown) - 20} more)" if len(unknown) > 20 else "")
        warnings.append(f"{len(unknown)} submission(s) from students not on the roster (still graded): {shown}")
    return normalise(merged, meta), warnings


def _name_keys(name: str) -> set[str]:
    """A name as the LMSs spell it: ``Smith, John``, ``John Smith`` and Canvas's ``smithjohn``
    give the same keys."""
    words = re.findall(r"\w+", name.casefold())
    words = [w.replace("_", "") for w in words if w.replace("_", "")]
    if not words:
        return set()
    keys = {"".join(words), "".join(words[-1:] + words[:-1])}
    return keys


def _id_key(value: str) -> str:
    """Ids compare without case or spaces; Moodle's ``Participant 123`` is ``123``."""
    value = value.strip().casefold()
    return value[len("participant"):].strip() if value.startswith("participant") else value


def roster_matcher(roster: pd.DataFrame):
    """``match(student, identity) -> (roster id or None, how)``: a submission's id and what
    its LMS said (``lms_id``, ``sid``, ``email``, ``name``) against the roster's columns, each
    only when it names exactly one roster student. Names are the last resort."""
    index: dict[str, dict[str, set[str]]] = {c: {} for c in ("student", "login", "email", "sis_id", "id", "name")}
    for row in roster.to_dict("records"):
        sid = str(row["student"])
        for column in index:
            value = str(row.get(column, "") or "")
            if not value.strip():
                continue
            keys = _name_keys(value) if column == "name" else {_id_key(value)}
            for key in keys:
                index[column].setdefault(key, set()).add(sid)
    tries = (("the id read", "student", ("student", "login", "email", "sis_id", "id")),
             ("the LMS's id", "lms_id", ("id", "sis_id", "student")),
             ("the sid", "sid", ("student", "sis_id", "id", "login")),
             ("the email", "email", ("email", "login", "student")),
             ("name", "name", ("name",)))

    def match(student: str, identity: dict[str, str]) -> tuple[str | None, str]:
        for how, field, columns in tries:
            value = student if field == "student" else identity.get(field, "")
            if not value:
                continue
            for column in columns:
                keys = _name_keys(value) if column == "name" else {_id_key(value)}
                hits = set().union(*(index[column].get(k, set()) for k in keys))
                if len(hits) == 1:
                    return next(iter(hits)), f"{how} = roster {column}"
        return None, ""

    return match
