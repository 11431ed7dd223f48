"""Finding submissions in a class folder. Every file or folder found becomes a student in the
report, whatever is wrong with it: an unreadable file is a submission with a ``problem``, not a
crash. Entries that are not submissions (``README.md``, ``.DS_Store``, ``__MACOSX/``, empty
folders, ...) are left out and named in the intake notes.

Every file is read through ``files.Folder``: never through a symlink, never from a FIFO, socket
or device, never more than a size limit, and nothing is ever written into the class folder."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from grader.submissions.files import FILE, FOLDER, FileTooLargeError, Folder, UnsafeEntryError
from grader.submissions.yamlfile import MAX_FILE_BYTES, describe_read_error, parse_answers

ANSWER_SUFFIXES = (".yaml", ".yml")
CODE_SUFFIX = ".py"
#: Most bytes of Python one submission may hold, all its .py files together (the sandbox's own
#: limit for one file).
MAX_CODE_BYTES = 16 << 20
#: Entries of a class folder that are not submissions: operating-system and archive debris and
#: repository files. Compared without regard to case; hidden entries (".name") are skipped too.
NOT_SUBMISSIONS = ("README*", "LICENSE*", ".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX/",
                   "._*", "__pycache__/", "empty folders")
_DEBRIS = {"thumbs.db", "desktop.ini", "__macosx", "__pycache__"}
_NOT_SUBMISSION_PREFIXES = ("readme", "license")
#: A student id must not start with these: a spreadsheet would read the id as a formula.
_FORMULA_START = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Submission:
    """One student's answers (question id → text or list) and code files."""

    student: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    #: The student's .py files, in name order (what the sandbox runs today; see ``code_files``).
    code: tuple[Path, ...] = ()
    #: Why the answers could not be read ("" when they could); every written question is then
    #: invalid. A symlink, FIFO, socket or device in the submission refuses all of it.
    problem: str = ""
    #: (file name, content) of each .py file in ``code``, read once, safely, when the folder was
    #: read: what the sandbox should run, rather than reading ``code`` again by path.
    code_files: tuple[tuple[str, bytes], ...] = field(default=(), repr=False)
    #: Why the code cannot be run ("" when it can): every code question is then invalid.
    code_problem: str = ""
    #: Remarks for the instructor about how this submission was read (a renamed id).
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Intake:
    """What a class folder holds: the submissions, sorted by student id, and one line per thing
    the instructor should know (entries that are not submissions, renamed ids)."""

    submissions: tuple[Submission, ...]
    notes: tuple[str, ...] = ()


class NoSubmissionsError(FileNotFoundError):
    """The class folder holds no submission at all."""


def scan_submissions(directory: str | Path) -> Intake:
    """Every submission in ``directory``, and the notes about what was left out or renamed.

    ``<student>.yaml``, ``<student>/answers.yaml``, ``<student>.py`` and ``<student>/*.py`` belong
    to the student named by the stem or folder (suffixes in any case: ``Alice.YAML``); any other
    file becomes a submission that cannot be read, so it still shows in the report.
    """
    directory = Path(directory)
    try:
        top = Folder.open(directory)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(f"{directory}: no such folder") from None
    ignored: list[str] = []
    with top:
        parts: dict[str, list[tuple[str, str]]] = {}
        for name, kind in top.entries():
            if _not_a_submission(name):
                ignored.append(f"{name}/" if kind == FOLDER else name)
            elif kind == FOLDER and _is_empty(top, name):
                ignored.append(f"{name}/ (empty)")
            else:
                student = name if kind == FOLDER else _stem(name)
                parts.setdefault(student, []).append((name, kind))
        found = [_assemble(top, student, entries) for student, entries in sorted(parts.items())]
    notes = []
    if ignored:
        what = "entry that is not a submission" if len(ignored) == 1 else "entries that are not submissions"
        notes.append(f"ignored {len(ignored)} {what}: {_listed(ignored)}")
    if not found:
        what = f"only {_listed(ignored)}, which are not submissions" if ignored else "it is empty"
        raise NoSubmissionsError(f"{directory}: no submissions to grade ({what})")
    found = _safe_ids(found)
    notes += [note for sub in found for note in sub.notes]
    return Intake(tuple(found), tuple(notes))


def find_submissions(directory: str | Path) -> list[Submission]:
    """Every submission in ``directory``, sorted by student id (``scan_submissions`` without
    its notes)."""
    return list(scan_submissions(directory).submissions)


def scan_submissions_in_background(directory: str | Path) -> Callable[[], Intake]:
    """Start ``scan_submissions`` in a forked process, so reading hundreds of files overlaps the
    grader's own start-up on another core; call the result to wait for the intake.

    The process runs only this package's code (the YAML base loader builds nothing but strings,
    lists and maps), so its pickled answer is our own data, not a student's. It dies with the
    grader. Any failure of the process falls back to reading here.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_scan_and_send, args=(directory, sender, os.getpid()),
                              daemon=True, name="grader-find")
    process.start()
    sender.close()

    def result() -> Intake:
        try:
            outcome = receiver.recv()
        except (EOFError, OSError):
            outcome = None
        finally:
            receiver.close()
            process.join(timeout=5)
        if outcome is None:
            return scan_submissions(directory)
        status, value = outcome
        if status == "empty":
            raise NoSubmissionsError(value)
        if status == "missing":
            raise FileNotFoundError(value)
        return value

    return result


def find_submissions_in_background(directory: str | Path) -> Callable[[], list[Submission]]:
    """``scan_submissions_in_background`` without the notes: the result is the list of
    submissions."""
    ready = scan_submissions_in_background(directory)
    return lambda: list(ready().submissions)


def _scan_and_send(directory: str | Path, sender: Any, parent: int) -> None:
    from grader.lifetime import die_with_parent

    die_with_parent(parent)
    try:
        outcome: tuple[str, Any] = ("ok", scan_submissions(directory))
    except NoSubmissionsError as err:
        outcome = ("empty", str(err))
    except FileNotFoundError as err:
        outcome = ("missing", str(err))
    sender.send(outcome)
    sender.close()


def load_submission(path: str | Path) -> Submission:
    """One submission: a YAML file, a .py file or a student's folder (for ``grader check``).

    The folder holding ``path`` is the caller's; ``path`` itself and everything in it is read
    as a class folder's entries are (a symlink there is refused, not followed)."""
    path = Path(path)
    if not os.path.lexists(path):
        raise FileNotFoundError(f"{path}: no such file or folder")
    if path.name in ("", ".", ".."):
        path = Path(os.path.abspath(path))
    with Folder.open(path.parent) as parent:
        kind = parent.kind(path.name)
        if kind is None:
            raise FileNotFoundError(f"{path}: no such file or folder")
        name = path.name
        student = name if kind == FOLDER else _stem(name)
        entries = [(name, kind)]
        if kind == FILE and _suffix(name) in ANSWER_SUFFIXES + (CODE_SUFFIX,):
            # A .py and a .yaml with the same stem belong to one student.
            for suffix in ANSWER_SUFFIXES + (CODE_SUFFIX,):
                other = student + suffix
                if suffix != _suffix(name) and (other_kind := parent.kind(other)) is not None:
                    entries.append((other, other_kind))
        (sub,) = _safe_ids([_assemble(parent, student, entries)])
        return sub


# --------------------------------------------------------------------------------------------


def _suffix(name: str) -> str:
    return os.path.splitext(name)[1].lower()


def _stem(name: str) -> str:
    return Path(name).stem


def _debris(name: str) -> bool:
    """Hidden entries and what operating systems and archivers leave behind."""
    return name.startswith(".") or name.lower() in _DEBRIS


def _not_a_submission(name: str) -> bool:
    """An entry of the class folder that is no student's (``README.md``, ``LICENSE``, debris)."""
    return _debris(name) or name.lower().startswith(_NOT_SUBMISSION_PREFIXES)


def _is_empty(top: Folder, name: str) -> bool:
    """True for a folder holding nothing, or nothing but debris (``.DS_Store``, ``__MACOSX``)."""
    try:
        with top.sub(name) as folder:
            return all(_debris(inner) for inner, _ in folder.entries())
    except OSError:
        return False  # a folder that cannot be opened is a student's problem to report


def _listed(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


@dataclass
class _Reading:
    """What one student's entries yield, gathered while their folders are open."""

    answer_files: list[tuple[str, bytes | OSError]] = field(default_factory=list)
    code: list[Path] = field(default_factory=list)
    code_files: list[tuple[str, bytes]] = field(default_factory=list)
    code_problems: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    code_bytes: int = 0

    def read_answers(self, folder: Folder, name: str) -> None:
        try:
            self.answer_files.append((name, folder.read(name, MAX_FILE_BYTES)))
        except UnsafeEntryError as err:
            self.unsafe.append(str(err))
        except OSError as err:
            self.answer_files.append((name, err))

    def read_code(self, folder: Folder, name: str) -> None:
        self.code.append(folder.path / name)
        try:
            content = folder.read(name, MAX_CODE_BYTES - self.code_bytes)
        except UnsafeEntryError as err:
            self.unsafe.append(str(err))
            return
        except FileTooLargeError:
            self.code_problems.append(
                f"{name} is larger than {MAX_CODE_BYTES >> 20} MiB" if not self.code_bytes
                else f"the .py files are larger than {MAX_CODE_BYTES >> 20} MiB together")
            return
        except OSError as err:
            self.code_problems.append(f"cannot read {name}: {err.strerror or err}")
            return
        self.code_bytes += len(content)
        self.code_files.append((name, content))


def _assemble(top: Folder, student: str, entries: list[tuple[str, str]]) -> Submission:
    """One student's submission from their entries in the open folder ``top``."""
    reading = _Reading()
    for name, kind in entries:
        if kind == FOLDER:
            _read_student_folder(top, name, reading)
        elif kind != FILE:
            reading.unsafe.append(str(UnsafeEntryError(name, kind, folder=not _suffix(name))))
        elif _suffix(name) in ANSWER_SUFFIXES:
            reading.read_answers(top, name)
        elif _suffix(name) == CODE_SUFFIX:
            reading.read_code(top, name)
        else:
            reading.problems.append(f"{name}: not a submission file (expected .yaml or .py)")
    if reading.unsafe:
        # The whole submission is refused: a link may stand for any of its files.
        problem = "; ".join(reading.unsafe)
        return Submission(student=student, problem=problem, code_problem=problem)
    answers: dict[str, Any] = {}
    problems = reading.problems
    for name, content in reading.answer_files:
        loaded, problem = (({}, describe_read_error(name, content)) if isinstance(content, OSError)
                           else parse_answers(content, name))
        if problem:
            problems.append(problem)
        for key, value in loaded.items():
            answers.setdefault(key, value)
    code_problem = "; ".join(reading.code_problems)
    return Submission(student=student, answers=answers, code=tuple(reading.code),
                      problem="; ".join(problems),
                      code_files=() if code_problem else tuple(reading.code_files),
                      code_problem=code_problem)


def _read_student_folder(top: Folder, name: str, reading: _Reading) -> None:
    """A student's folder: ``answers.yaml`` (else its one YAML file) and every .py file; other
    files and sub-folders are not read, but a symlink or special file anywhere in it refuses
    the submission."""
    try:
        folder = top.sub(name)
    except UnsafeEntryError as err:
        reading.unsafe.append(str(err))
        return
    except OSError as err:
        reading.problems.append(f"{name}/: cannot open ({err.strerror or err})")
        return
    with folder:
        inner = [(n, k) for n, k in folder.entries() if not _debris(n)]
        for inner_name, kind in inner:
            if kind not in (FILE, FOLDER):
                reading.unsafe.append(str(UnsafeEntryError(inner_name, kind)))
        yaml_files = [n for n, k in inner if k == FILE and _suffix(n) in ANSWER_SUFFIXES]
        code = [n for n, k in inner if k == FILE and _suffix(n) == CODE_SUFFIX]
        preferred = [n for n in yaml_files if _stem(n).lower() == "answers"]
        for answer_file in preferred[:1] or yaml_files[:1]:
            reading.read_answers(folder, answer_file)
        for code_file in code:
            reading.read_code(folder, code_file)
        if not yaml_files and not code and not reading.unsafe:
            reading.problems.append(f"{name}/ has no answers.yaml and no .py files")


def _safe_ids(found: list[Submission]) -> list[Submission]:
    """Rename ids a spreadsheet would take for a formula (``=1+2``, ``-x``, ``@SUM(1)``) or that
    hold control characters, with a note; a renamed id never takes another student's."""
    taken = {s.student for s in found}
    out = []
    for sub in found:
        new = _CONTROL.sub("_", sub.student)
        if new.startswith(_FORMULA_START):
            new = "_" + new
        if new == sub.student:
            out.append(sub)
            continue
        taken.discard(sub.student)
        while new in taken:
            new = "_" + new
        taken.add(new)
        why = ("starts with " + repr(sub.student[0]) + ", which spreadsheets read as a formula"
               if sub.student.startswith(_FORMULA_START) else "holds control characters")
        note = f"student id {sub.student!r} {why}: renamed to {new!r}"
        out.append(Submission(student=new, answers=sub.answers, code=sub.code, problem=sub.problem,
                              code_files=sub.code_files, code_problem=sub.code_problem,
                              notes=sub.notes + (note,)))
    return sorted(out, key=lambda s: s.student)
