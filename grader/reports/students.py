"""students.csv: what the intake learned about each student besides their answers (the files
read, the LMS's ids, the submission time and late marker). Per-student facts live here, never
in details.csv; late marking and the exports read them back."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable, Mapping

import pandas as pd

from grader.reports.csvfiles import clean_texts, csv_bytes, read_csv_strings

#: ``lms_id``: Canvas user id / Moodle participant id; ``group``: a group submission's folder;
#: ``time_from``: where ``submitted_at`` came from (gradescope, times.csv); ``marked_late``:
#: ``yes`` when the LMS marked the submission late (Canvas's LATE).
STUDENT_COLUMNS: tuple[str, ...] = ("student", "source", "lms_id", "name", "email", "group",
                                    "submitted_at", "time_from", "marked_late")


def students_frame(records: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Exactly ``STUDENT_COLUMNS`` as text, one row per student, sorted by student."""
    rows = [{c: "" if r.get(c) is None else str(r.get(c)) for c in STUDENT_COLUMNS} for r in records]
    frame = pd.DataFrame(rows, columns=list(STUDENT_COLUMNS), dtype=object)
    for column in STUDENT_COLUMNS:
        frame[column] = clean_texts(frame[column].to_numpy(dtype=object)) if len(frame) else frame[column]
    return frame.sort_values("student", kind="stable").drop_duplicates("student").reset_index(drop=True)


def students_bytes(frame: pd.DataFrame) -> bytes:
    return csv_bytes(STUDENT_COLUMNS, [frame[c].astype(str).tolist() for c in STUDENT_COLUMNS])


def load_students(outdir: Path) -> pd.DataFrame | None:
    """students.csv of OUTDIR (None when there is none: an older run)."""
    path = Path(outdir) / "students.csv"
    if not path.is_file():
        return None
    frame = read_csv_strings(path)
    for column in STUDENT_COLUMNS:
        if column not in frame:
            frame[column] = ""
    return students_frame(frame[list(STUDENT_COLUMNS)].to_dict("records"))


__all__ = ["STUDENT_COLUMNS", "load_students", "students_bytes", "students_frame"]
