"""Finding submissions in a class folder. Every student found becomes a row of the report,
whatever is wrong with their files: an unreadable file is a submission with a ``problem``, not a
crash. Entries that are not submissions (``README.md``, ``.DS_Store``, ``__MACOSX/``, empty
folders, ...) are left out and named in the intake notes.

The folder may be a plain one (``<student>.yaml``, ``<student>/``) or an LMS's download (Canvas,
Moodle, Gradescope: see ``layouts``), recognised by its names unless the layout is given. Every
file is read through ``files.Folder``: never through a symlink, never from a FIFO, socket or
device, never more than a size limit, and nothing is ever written into the class folder."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any, Callable

from grader.submissions.files import FILE, FOLDER, Folder
from grader.submissions.identity import one_per_student
from grader.submissions.layouts import (
    GRADESCOPE_METADATA,
    LAYOUTS,
    MAX_METADATA_BYTES,
    Group,
    Part,
    detect_layout,
    group_entries,
)
from grader.submissions.reading import (
    ANSWER_SUFFIXES,
    CODE_SUFFIX,
    MAX_CODE_BYTES,
    NOTEBOOK_SUFFIX,
    TEXT_SUFFIXES,
    assemble,
    debris,
    stem,
    suffix,
)
from grader.submissions.submission import Intake, NoSubmissionsError, Submission

#: Entries of a class folder that are not submissions: operating-system and archive debris and
#: repository files. Compared without regard to case; hidden entries (".name") are skipped too.
NOT_SUBMISSIONS = ("README*", "LICENSE*", ".DS_Store", "Thumbs.db", "desktop.ini", "__MACOSX/",
                   "._*", "__pycache__/", "empty folders")
_NOT_SUBMISSION_PREFIXES = ("readme", "license")
#: A student id must not start with these: a spreadsheet would read the id as a formula.
_FORMULA_START = ("=", "+", "-", "@")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LAYOUT_NAMES = {"plain": "a plain folder", "canvas": "a Canvas download",
                 "moodle": "a Moodle download", "gradescope": "a Gradescope export"}


def describe_layout(layout: str) -> str:
    """``canvas`` → ``a Canvas download``, for messages."""
    return _LAYOUT_NAMES.get(layout, layout)


def scan_submissions(directory: str | Path, layout: str = "auto",
                     question_ids: Collection[str] | None = None) -> Intake:
    """Every submission in ``directory``, and the notes about what was left out or renamed.

    ``layout``: one of ``LAYOUTS`` (``auto`` recognises an LMS download by its names).
    ``question_ids``: the rubric's, when known: a Markdown file or a notebook cell is an answer
    only under a heading, tag or ``id:`` line that names one of them (docs/intake.md).
    """
    return _finish(directory, layout, *_scan(directory, layout, question_ids))


def _scan(directory: str | Path, layout: str, question_ids: Collection[str] | None,
          shard: tuple[int, int] = (0, 1)) -> tuple[list[Submission], list[str], list[str], str]:
    """(submissions, ignored entries, notes, layout) of one shard (index, count) of the class:
    the groups are listed (cheaply) the same way by every shard, and each shard reads every
    count-th of them."""
    if layout not in LAYOUTS:
        raise ValueError(f"unknown layout {layout!r} (one of {', '.join(LAYOUTS)})")
    directory = Path(directory)
    try:
        top = Folder.open(directory)
    except (FileNotFoundError, NotADirectoryError):
        raise FileNotFoundError(f"{directory}: no such folder") from None
    ignored: list[str] = []
    notes: list[str] = []
    with top:
        names: list[tuple[str, str]] = []
        for name, kind in top.entries():
            if _not_a_submission(name):
                ignored.append(f"{name}/" if kind == FOLDER else name)
            elif kind == FOLDER and _is_empty(top, name):
                ignored.append(f"{name}/ (empty)")
            else:
                names.append((name, kind))
        chosen = detect_layout(names) if layout == "auto" else layout
        groups = group_entries(chosen, names, notes, lambda: _read_metadata(top))
        plain = chosen == "plain"
        ordered = sorted(groups, key=lambda g: (g.student, g.parts[0].entry if g.parts else ""))
        index, count = shard
        found = [assemble(top, group, question_ids, plain or not _lms_named(group))
                 for group in ordered[index::count]]
    return found, ignored, notes, chosen


def _finish(directory: str | Path, layout: str, found: list[Submission], ignored: list[str],
            notes: list[str], chosen: str) -> Intake:
    """The intake from the submissions read (all shards, in group order)."""
    if ignored:
        what = "entry that is not a submission" if len(ignored) == 1 else "entries that are not submissions"
        notes.insert(0, f"ignored {len(ignored)} {what}: {_listed(ignored)}")
    if not found:
        what = f"only {_listed(ignored)}, which are not submissions" if ignored else "it is empty"
        raise NoSubmissionsError(f"{directory}: no submissions to grade ({what})")
    found = one_per_student(_safe_ids(found), notes)
    notes += [note for sub in found for note in sub.notes]
    return Intake(tuple(found), tuple(notes), chosen, layout == "auto")


def _lms_named(group: Group) -> bool:
    """A group built from an LMS's names (not a stray read as in a plain folder)."""
    return bool(group.identity) or any(p.as_name != p.entry for p in group.parts) or bool(group.group)


def _read_metadata(top: Folder) -> tuple[Any, str]:
    """Gradescope's submission_metadata.yml, read as data (strings, lists and maps only)."""
    import yaml

    from grader.submissions.yamlfile import load_yaml_data

    try:
        raw = top.read(GRADESCOPE_METADATA, MAX_METADATA_BYTES)
        return load_yaml_data(raw.decode("utf-8-sig")), ""
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError) as err:
        return {}, f"{GRADESCOPE_METADATA} could not be read ({type(err).__name__}): students are named by their folders"


def find_submissions(directory: str | Path, layout: str = "auto") -> list[Submission]:
    """Every submission in ``directory``, sorted by student id (``scan_submissions`` without
    its notes)."""
    return list(scan_submissions(directory, layout).submissions)


def scan_submissions_in_background(directory: str | Path, layout: str = "auto",
                                   question_ids: Collection[str] | None = None,
                                   readers: int = 2) -> Callable[[], Intake]:
    """Start ``scan_submissions`` in ``readers`` forked processes (each reads a share of the
    class), so reading thousands of files overlaps the grader's own start-up and uses every
    core; call the result to wait for the intake (the same, whatever the number of readers).

    The processes run only this package's code (the YAML base loader builds nothing but strings,
    lists and maps; notebooks are JSON read as data), so their pickled answers are our own data,
    not a student's. They die with the grader. Any failure of a process falls back to reading
    its share here.
    """
    import multiprocessing

    ids = frozenset(question_ids) if question_ids is not None else None
    context = multiprocessing.get_context("fork")
    count = max(1, readers)
    started = []
    for index in range(count):
        receiver, sender = context.Pipe(duplex=False)
        process = context.Process(target=_scan_and_send,
                                  args=(directory, layout, ids, (index, count), sender, os.getpid()),
                                  daemon=True, name="grader-find")
        process.start()
        sender.close()
        started.append((receiver, process))

    def result() -> Intake:
        shards = []
        for index, (receiver, process) in enumerate(started):
            try:
                outcome = receiver.recv()
            except (EOFError, OSError):
                outcome = None
            finally:
                receiver.close()
                process.join(timeout=5)
            if outcome is None:
                shards.append(_scan(directory, layout, ids, (index, count)))
                continue
            status, value = outcome
            if status == "missing":
                raise FileNotFoundError(value)
            shards.append(value)
        found = [sub for shard in shards for sub in shard[0]]
        found.sort(key=lambda sub: (sub.student, sub.source[0] if sub.source else ""))
        _, ignored, notes, chosen = shards[0]
        return _finish(directory, layout, found, list(ignored), list(notes), chosen)

    return result


def find_submissions_in_background(directory: str | Path) -> Callable[[], list[Submission]]:
    """``scan_submissions_in_background`` without the notes: the result is the list of
    submissions."""
    ready = scan_submissions_in_background(directory)
    return lambda: list(ready().submissions)


def _scan_and_send(directory: str | Path, layout: str, ids: frozenset[str] | None,
                   shard: tuple[int, int], sender: Any, parent: int) -> None:
    from grader.lifetime import die_with_parent

    die_with_parent(parent)
    try:
        outcome: tuple[str, Any] = ("ok", _scan(directory, layout, ids, shard))
    except FileNotFoundError as err:
        outcome = ("missing", str(err))
    sender.send(outcome)
    sender.close()


def load_checkable(path: str | Path, question_ids: Collection[str] | None = None) -> Submission:
    """``load_submission`` for a student's own check: UnusableInput when there is no such file or
    nothing in it can be read (broken YAML, an empty file, a list): the student fixes the file
    first, since there is nothing to mark."""
    from grader.errors import UnusableInput

    try:
        submission = load_submission(path, question_ids)
    except FileNotFoundError as err:
        raise UnusableInput(str(err)) from None
    if submission.problem:
        raise UnusableInput(submission.problem)
    return submission


def load_submission(path: str | Path, question_ids: Collection[str] | None = None) -> Submission:
    """One submission: an answers file, a notebook, a .py file or a student's folder (for
    ``grader check``).

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
        student = name if kind == FOLDER else stem(name)
        parts = [Part(name, kind, name)]
        mates = ANSWER_SUFFIXES + TEXT_SUFFIXES + (NOTEBOOK_SUFFIX, CODE_SUFFIX)
        if kind == FILE and suffix(name) in mates:
            # Files with the same stem (alice.yaml, alice.py) belong to one student.
            for other_suffix in mates:
                other = student + other_suffix
                if other_suffix != suffix(name) and (other_kind := parent.kind(other)) is not None:
                    parts.append(Part(other, other_kind, other))
        (sub,) = _safe_ids([assemble(parent, Group(student, parts), question_ids, True)])
        return sub


# --------------------------------------------------------------------------------------------


def _not_a_submission(name: str) -> bool:
    """An entry of the class folder that is no student's (``README.md``, ``LICENSE``, debris)."""
    return debris(name) or name.lower().startswith(_NOT_SUBMISSION_PREFIXES)


def _is_empty(top: Folder, name: str) -> bool:
    """True for a folder holding nothing, or nothing but debris (``.DS_Store``, ``__MACOSX``)."""
    try:
        with top.sub(name) as folder:
            return all(debris(inner) for inner, _ in folder.entries())
    except OSError:
        return False  # a folder that cannot be opened is a student's problem to report


def _listed(names: list[str], limit: int = 10) -> str:
    shown = ", ".join(names[:limit])
    return shown + (f", … ({len(names) - limit} more)" if len(names) > limit else "")


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
        out.append(dataclasses.replace(sub, student=new, notes=sub.notes + (note,)))
    return sorted(out, key=lambda s: s.student)


__all__ = ["ANSWER_SUFFIXES", "CODE_SUFFIX", "MAX_CODE_BYTES", "NOT_SUBMISSIONS", "Intake",
           "NoSubmissionsError", "Submission", "describe_layout", "find_submissions",
           "find_submissions_in_background", "load_checkable", "load_submission", "scan_submissions",
           "scan_submissions_in_background"]
