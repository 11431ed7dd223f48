"""What reading a class folder yields: one ``Submission`` per student, gathered in an ``Intake``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Mapping


@dataclass(frozen=True)
class Submission:
    """One student's answers (question id → text or list) and code files."""

    student: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    #: The student's code files, in name order (what the sandbox runs today; see ``code_files``).
    #: For a notebook this is the .ipynb, whose code cells are in ``code_files``.
    code: tuple[Path, ...] = ()
    #: Why the answers could not be read ("" when they could); every written question is then
    #: invalid. A symlink, FIFO, socket or device in the submission refuses all of it.
    problem: str = ""
    #: (file name, content) of each module to run, read once, safely, when the folder was read:
    #: what the sandbox should run, rather than reading ``code`` again by path. Names are the
    #: student's own (a Canvas download's prefix taken off); a notebook's code cells are one
    #: module in the sandbox's cell format.
    code_files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    #: Why the code cannot be run ("" when it can): every code question is then invalid.
    code_problem: str = ""
    #: Remarks for the instructor about how this submission was read (a renamed id, ignored
    #: IPython lines, the answers file that won).
    notes: tuple[str, ...] = ()
    #: The class-folder entries it was read from.
    source: tuple[str, ...] = ()
    #: What the LMS says about the student: ``lms_id`` (Canvas user id, Moodle participant id),
    #: ``name``, ``email``, ``sid``; used to find them on the roster.
    identity: Mapping[str, str] = field(default_factory=dict)
    #: When it was handed in, when the LMS says (Gradescope's metadata, a times.csv).
    submitted_at: datetime | None = None
    #: The LMS marked it late without saying when it came (Canvas's ``LATE``).
    late: bool = False
    #: A group submission's folder: every member gets the group's result.
    group: str = ""
    #: Write-ups to read against the rubric (docs/writeups.md): (file name, "md" or "tex",
    #: text). They need the prepared questions, so the pipeline reads them, not the reader.
    writeups: tuple[tuple[str, str, str], ...] = field(default=(), repr=False)
    #: Per question, what the pipeline read from the write-ups and the steps it checked.
    writeup_reports: Mapping[str, Any] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class Intake:
    """What a class folder holds: the submissions, sorted by student id, one line per thing the
    instructor should know (entries that are not submissions, renamed ids), and the layout it
    was read as (``detected`` when ``--layout auto`` chose it)."""

    submissions: tuple[Submission, ...]
    notes: tuple[str, ...] = ()
    layout: str = "plain"
    detected: bool = False


class NoSubmissionsError(FileNotFoundError):
    """The class folder holds no submission at all."""


__all__ = ["Intake", "NoSubmissionsError", "Submission"]
