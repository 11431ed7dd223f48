"""How LMS downloads name students' files, and which student each top-level entry belongs to.

- ``plain``: ``<student>.yaml`` / ``.py`` / ``.md`` / ``.ipynb`` or a ``<student>/`` folder.
- ``canvas`` ("Download Submissions"): ``{sortable name}[_LATE]_{user id}_{file id}_{file name}``,
  ``{name}[_LATE]_{user id}_text.html`` for text entry; anonymous grading puts
  ``[LATE_]anon_{id}`` in place of the name and user id; a resubmitted file name gets ``-1``,
  ``-2`` before its extension. Files of one user id are one student, marked late if any is.
- ``moodle`` ("Download all submissions"): ``{full name}_{participant id}_assignsubmission_file_/``
  folders (or the same prefix on flat file names), ``..._assignsubmission_onlinetext_`` for
  online text.
- ``gradescope`` ("Export Submissions"): ``submission_{id}/`` folders and a top-level
  ``submission_metadata.yml`` naming each folder's submitters (sid, email, name) and its time.

``group_entries`` turns the listing into ``Group``s (one per student); ``find`` reads them.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable

LAYOUTS = ("auto", "plain", "canvas", "moodle", "gradescope")
GRADESCOPE_METADATA = "submission_metadata.yml"
MAX_METADATA_BYTES = 16 << 20

_CANVAS_FILE = re.compile(r"^(?P<who>.+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<fid>\d+)_(?P<file>.+)$")
_CANVAS_TEXT = re.compile(r"^(?P<who>.+?)(?P<late>_LATE)?_(?P<uid>\d+)_(?P<kind>text|link)\.html$")
_CANVAS_ANON = re.compile(r"^(?P<late>LATE_)?(?P<anon>anon_[A-Za-z0-9]+)_(?:(?P<fid>\d+)_(?P<file>.+)|"
                          r"(?P<kind>text|link)\.html)$")
_MOODLE = re.compile(r"^(?P<who>.+)_(?P<pid>\d+)_assignsubmission_(?P<plugin>[A-Za-z0-9]+)_(?P<file>.*)$")
_RESUBMITTED = re.compile(r"^(?P<base>.+?)-\d+(?P<ext>\.[A-Za-z0-9]+)?$")
_GRADESCOPE_FOLDER = re.compile(r"^submission_\d+$")


@dataclass(frozen=True)
class Part:
    """One top-level entry of the class folder that belongs to a student; ``as_name`` is the
    name the student gave it (the LMS's prefix taken off)."""

    entry: str
    kind: str
    as_name: str


@dataclass
class Group:
    """One student's entries and what the LMS says about them."""

    student: str
    parts: list[Part] = field(default_factory=list)
    #: lms_id (Canvas user id, Moodle participant id), name, email, sid, as the LMS gave them.
    identity: dict[str, str] = field(default_factory=dict)
    late: bool = False
    submitted_at: datetime | None = None
    group: str = ""


def detect_layout(names: list[tuple[str, str]]) -> str:
    """The layout a listing of (name, kind) follows: an LMS's when most entries follow its naming."""
    if any(name == GRADESCOPE_METADATA for name, _ in names):
        return "gradescope"
    folders = [n for n, k in names if k == "folder"]
    if folders and sum(bool(_GRADESCOPE_FOLDER.match(n)) for n in folders) * 2 > len(names):
        return "gradescope"
    if not names:
        return "plain"
    moodle = sum(bool(_MOODLE.match(n)) for n, _ in names)
    canvas = sum(bool(_canvas(n)) for n, _ in names)
    if moodle * 2 > len(names):
        return "moodle"
    if canvas * 2 > len(names):
        return "canvas"
    return "plain"


def _canvas(name: str) -> dict[str, Any] | None:
    """What a Canvas download's file name says: user (id or anon_…), late, original file name."""
    match = _CANVAS_TEXT.match(name) or _CANVAS_FILE.match(name)
    if match is None:
        anon = _CANVAS_ANON.match(name)
        if anon is None:
            return None
        return {"user": anon["anon"], "who": "", "late": bool(anon["late"]),
                "file": anon["file"] or f"{anon['kind']}.html"}
    groups = match.groupdict()
    file = groups.get("file") or f"{groups['kind']}.html"
    return {"user": groups["uid"], "who": groups["who"], "late": bool(groups["late"]), "file": file}


def original_name(name: str) -> str:
    """``hw1-2.yaml`` → ``hw1.yaml``: Canvas's suffix on a resubmitted file's name taken off."""
    match = _RESUBMITTED.match(name)
    return f"{match['base']}{match['ext'] or ''}" if match else name


def group_entries(layout: str, names: list[tuple[str, str]], notes: list[str],
                  read_metadata: Callable[[], tuple[Any, str]]) -> list[Group]:
    """The students of a listing (entries that are not submissions already left out)."""
    if layout == "canvas":
        return _canvas_groups(names, notes)
    if layout == "moodle":
        return _moodle_groups(names, notes)
    if layout == "gradescope":
        return _gradescope_groups(names, notes, read_metadata)
    return plain_groups(names)


def plain_groups(names: list[tuple[str, str]]) -> list[Group]:
    """``<student>.<ext>`` files and ``<student>/`` folders: the stem or folder names a student."""
    groups: dict[str, Group] = {}
    for name, kind in names:
        student = name if kind == "folder" else _stem(name)
        groups.setdefault(student, Group(student)).parts.append(Part(name, kind, name))
    return list(groups.values())


def _stem(name: str) -> str:
    stem, dot, _ = name.rpartition(".")
    return stem if dot and stem else name


def _canvas_groups(names: list[tuple[str, str]], notes: list[str]) -> list[Group]:
    groups: dict[str, Group] = {}
    strays: list[tuple[str, str]] = []
    for name, kind in names:
        # A folder with a Canvas name is a student's upload unzipped in place (hw1.zip).
        info = _canvas(name)
        if info is None:
            strays.append((name, kind))
            continue
        group = groups.setdefault(info["user"], Group(info["user"]))
        group.parts.append(Part(name, kind, info["file"]))
        group.late = group.late or info["late"]
        group.identity.setdefault("lms_id", info["user"])
        if info["who"]:
            group.identity.setdefault("name", info["who"])
    for group in groups.values():
        # Canvas appends -1, -2 to a resubmitted file's name; the name the student chose is
        # what matters (answers.yaml, the module names), unless two files would then clash.
        originals = [original_name(p.as_name) for p in group.parts]
        if len(set(originals)) == len(originals):
            group.parts = [Part(p.entry, p.kind, o) for p, o in zip(group.parts, originals)]
        names = Counter(p.as_name for p in group.parts)
        # Two files under one name (two uploads both called grads.py): their Canvas names, which
        # differ, rather than one hiding the other.
        group.parts = [p if names[p.as_name] == 1 else Part(p.entry, p.kind, p.entry)
                       for p in group.parts]
    return list(groups.values()) + _strays(strays, "Canvas", notes)


def _moodle_groups(names: list[tuple[str, str]], notes: list[str]) -> list[Group]:
    groups: dict[str, Group] = {}
    strays: list[tuple[str, str]] = []
    for name, kind in names:
        match = _MOODLE.match(name)
        if match is None or (kind == "folder") == bool(match["file"]):
            strays.append((name, kind))
            continue
        group = groups.setdefault(match["pid"], Group(match["pid"]))
        as_name = match["file"] if kind != "folder" else name
        if match["plugin"] == "onlinetext" and kind != "folder":
            as_name = "onlinetext.html"
        group.parts.append(Part(name, kind, as_name))
        group.identity.setdefault("lms_id", match["pid"])
        group.identity.setdefault("name", match["who"])
    return list(groups.values()) + _strays(strays, "Moodle", notes)


def _strays(strays: list[tuple[str, str]], lms: str, notes: list[str]) -> list[Group]:
    """Entries that do not follow the LMS's naming: read as in a plain folder, with a note."""
    if strays:
        shown = ", ".join(n for n, _ in strays[:5]) + (" …" if len(strays) > 5 else "")
        notes.append(f"{len(strays)} entr{'y' if len(strays) == 1 else 'ies'} not named as {lms} "
                     f"names downloads, read as a plain folder's: {shown}")
    return plain_groups(strays)


def _gradescope_groups(names: list[tuple[str, str]], notes: list[str],
                       read_metadata: Callable[[], tuple[Any, str]]) -> list[Group]:
    metadata, problem = read_metadata() if any(n == GRADESCOPE_METADATA for n, _ in names) \
        else ({}, f"no {GRADESCOPE_METADATA}: students are named by their folders")
    if problem:
        notes.append(problem)
    entries = {str(k).lstrip(":"): v for k, v in metadata.items()} if isinstance(metadata, dict) else {}
    groups: list[Group] = []
    strays: list[tuple[str, str]] = []
    seen: set[str] = set()
    for name, kind in names:
        if name == GRADESCOPE_METADATA:
            continue
        info = entries.get(name)
        if kind != "folder" or not isinstance(info, dict):
            strays.append((name, kind))
            continue
        seen.add(name)
        info = _plain_keys(info)
        submitted = _time_of(info.get("created_at"), name, notes)
        members = [m for m in (info.get("submitters") or []) if isinstance(m, dict)] or [{}]
        for member in members:
            member = _plain_keys(member)
            identity = {key: str(member[key]).strip() for key in ("sid", "email", "name")
                        if isinstance(member.get(key), (str, int)) and str(member[key]).strip()}
            student = identity.get("sid") or identity.get("email") or identity.get("name") or name
            groups.append(Group(student, [Part(name, kind, name)], identity, False, submitted,
                                name if len(members) > 1 else ""))
    missing = sorted(set(entries) - seen)
    if missing:
        notes.append(f"{GRADESCOPE_METADATA} lists {len(missing)} submission(s) with no folder: "
                     + ", ".join(missing[:5]) + (" …" if len(missing) > 5 else ""))
    return groups + _strays(strays, "Gradescope", notes) if strays else groups


def _plain_keys(data: dict) -> dict:
    """Gradescope writes Ruby symbols (``:sid:``): the keys without the colon."""
    return {str(k).lstrip(":"): v for k, v in data.items()}


def _time_of(value: Any, folder: str, notes: list[str]) -> datetime | None:
    from grader.times import TimeError, parse_time

    if value is None or value == "":
        return None
    try:
        return parse_time(str(value))
    except TimeError as err:
        notes.append(f"{folder}: submission time not read ({err})")
        return None


__all__ = ["GRADESCOPE_METADATA", "LAYOUTS", "Group", "Part", "detect_layout", "group_entries",
           "original_name", "plain_groups"]
