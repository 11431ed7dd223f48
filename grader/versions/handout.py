"""``grader handout``: each student's assignment with their own numbers, and ``versions.csv``.

``handouts/<student>.md`` holds the title and, per question, its id, points and prompt with the
student's values in place of ``{{name}}`` (LaTeX kept as written). ``versions.csv`` has one row
per student: the id, then every drawn parameter as shown to the student. Reading it back
(``read_versions_csv``) gives each student's values exactly, so grading can use the numbers the
students were given even if the rubric's ``versions`` section changed since.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Iterable, Mapping

from ..errors import UnusableInput
from ..rubric import Rubric
from ..rubric.draw import shown
from . import VersionError, Versions

VERSIONS_FILE = "versions.csv"


def handout_markdown(rubric: Rubric, versions: Versions, student: str,
                     values: Mapping[str, float]) -> str:
    """One student's assignment as Markdown: prompts with their numbers, nothing of the key."""
    lines = [f"# {rubric.title}", "", f"Your version (student `{student}`).", ""]
    if rubric.description.strip():
        lines += [rubric.description.strip(), ""]
    for question in rubric.questions:
        points = f"{question.points:g} point{'s' if question.points != 1 else ''}"
        lines += [f"## {question.id} ({points})", ""]
        prompt = versions.prompt(question.id, values).strip()
        if prompt:
            lines += [prompt, ""]
    return "\n".join(lines)


def check_file_name(student: str) -> str:
    """The student id as a file name, or UnusableInput when it cannot be one safely."""
    if not student or student in (".", "..") or student.startswith(".") or \
            any(c in student for c in "/\\\0") or any(ord(c) < 32 for c in student):
        raise UnusableInput(f"student id {student!r} cannot be used as a file name")
    return student


def versions_csv(versions: Versions, students_values: Mapping[str, Mapping[str, float]]) -> bytes:
    """``student,<each parameter>``: every value as the student is shown it (spreadsheet-safe)."""
    from ..reports.csvfiles import csv_bytes

    students = sorted(students_values)
    columns = [students] + [[shown(students_values[s][name]) for s in students]
                            for name in versions.names]
    return csv_bytes(["student", *versions.names], columns)


def read_versions_csv(path: str | Path, versions: Versions) -> dict[str, dict[str, float]]:
    """Each student's values from a versions.csv (``grader handout`` writes it); UnusableInput
    naming the line when a row is unusable or a parameter's column is missing."""
    from ..reports.csvfiles import from_spreadsheet_cell

    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as err:
        raise UnusableInput(f"{path}: cannot read: {err}") from None
    reader = csv.reader(io.StringIO(text, newline=""))
    header = [h.strip() for h in next(reader, [])]
    if "student" not in header:
        raise UnusableInput(f"{path}:1: no `student` column")
    missing = [name for name in versions.names if name not in header]
    if missing:
        raise UnusableInput(f"{path}:1: no column for {', '.join(missing)} (the rubric draws "
                            f"{', '.join(versions.names)})")
    out: dict[str, dict[str, float]] = {}
    for row in reader:
        if not any(cell.strip() for cell in row):
            continue
        line = reader.line_num
        cells = {h: from_spreadsheet_cell(row[i].strip()) if i < len(row) else ""
                 for i, h in enumerate(header)}
        student = cells["student"]
        if not student:
            raise UnusableInput(f"{path}:{line}: empty student id")
        if student in out:
            raise UnusableInput(f"{path}:{line}: student {student!r} appears twice")
        try:
            out[student] = versions.values_from_text(cells)
        except VersionError as err:
            raise UnusableInput(f"{path}:{line}: {err}") from None
    return out


def write_handouts(rubric: Rubric, versions: Versions, students: Iterable[str],
                   outdir: str | Path) -> dict[str, dict[str, float]]:
    """``outdir/<student>.md`` for each student and ``outdir/versions.csv``; the values drawn.
    Each file is written whole (a temporary file renamed into place)."""
    from ..reports.csvfiles import atomic_write

    students = sorted(set(students))
    for student in students:
        check_file_name(student)
    try:
        values = {student: versions.draw(student) for student in students}
    except VersionError as err:
        raise UnusableInput(str(err)) from None
    outdir = Path(outdir)
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        for student in students:
            text = handout_markdown(rubric, versions, student, values[student])
            atomic_write(outdir / f"{student}.md", text.encode("utf-8"))
        atomic_write(outdir / VERSIONS_FILE, versions_csv(versions, values))
    except OSError as err:
        raise UnusableInput(f"{outdir}: cannot write: {err.strerror or err}") from None
    return values


__all__ = ["VERSIONS_FILE", "check_file_name", "handout_markdown", "read_versions_csv",
           "versions_csv", "write_handouts"]
