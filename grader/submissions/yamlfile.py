"""Reading a student's answers YAML: text, lists and maps only, never Python objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from grader.submissions.files import FileTooLargeError, Folder, UnsafeEntryError

MAX_FILE_BYTES = 1_000_000
MAX_LIST = 200
#: Answers a student left blank.
_BLANK = {"", "~", "null"}


class _NoAliasLoader(yaml.BaseLoader):
    """Every scalar stays the student's text (``yes`` is not True, ``0.50`` is not 0.5), and
    anchors/aliases are refused. Used where libyaml is missing; otherwise the C loader (50x
    faster) is used, after ``_refuse_aliases`` has checked its event stream."""

    def compose_node(self, parent, index):  # type: ignore[override]
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              event.start_mark)
        return super().compose_node(parent, index)


# Both build only str, list and dict: nothing in a submission becomes a Python object.
_LOADER = getattr(yaml, "CBaseLoader", None) if getattr(yaml, "__with_libyaml__", False) else None
_LOADER = _LOADER or _NoAliasLoader
#: Most list entries one submission may hold, counted over all answers.
MAX_ENTRIES = 5000


def _refuse_aliases(text: str) -> None:
    """ComposerError at the first alias (``*name``). The C loader would build it as a shared
    reference that ``_clean`` does not look inside past depth 3, so a 1 KB file of nested aliases
    could expand to billions of entries later (when the answer is keyed or shown)."""
    if _LOADER is _NoAliasLoader:
        return  # it refuses them while composing
    for event in yaml.parse(text, Loader=_LOADER):
        if isinstance(event, yaml.AliasEvent):
            raise yaml.composer.ComposerError(None, None, "aliases (*name) are not allowed",
                                              event.start_mark)


def read_answers(path: str | Path) -> tuple[dict[str, Any], str]:
    """The ``answers`` mapping of one YAML file, or ({}, why it could not be read).

    The file itself is opened without following a symlink (its folder is the caller's)."""
    path = Path(path)
    try:
        with Folder.open(path.parent) as folder:
            raw = folder.read(path.name, MAX_FILE_BYTES)
    except OSError as err:
        return {}, describe_read_error(path.name, err)
    return parse_answers(raw, path.name)


def describe_read_error(name: str, err: OSError) -> str:
    """The student-facing message for a file that could not be read."""
    if isinstance(err, UnsafeEntryError):
        return str(err)
    if isinstance(err, FileTooLargeError):
        return f"{name}: file too large ({err.size:,} bytes; at most {err.limit:,})"
    return f"{name}: cannot read ({err.strerror or err})"


def parse_answers(raw: bytes, name: str) -> tuple[dict[str, Any], str]:
    """The ``answers`` mapping of a YAML file's bytes, or ({}, why it could not be read)."""
    if len(raw) > MAX_FILE_BYTES:
        return {}, f"{name}: file too large ({len(raw):,} bytes; at most {MAX_FILE_BYTES:,})"
    if b"\x00" in raw:
        return {}, f"{name}: not a text file"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return {}, f"{name}: not UTF-8 text"
    if not text.strip():
        return {}, f"{name}: the file is empty"
    try:
        if "*" in text:  # an alias is `*name`: without a star there is none to refuse
            _refuse_aliases(text)
        data = yaml.load(text, Loader=_LOADER)
    except yaml.YAMLError as err:
        if "nesting depth" in str(getattr(err, "problem", "")):
            return {}, f"{name}: nested too deeply"  # newer PyYAML stops deep nesting itself
        mark = getattr(err, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(err, "problem", None) or "invalid YAML"
        return {}, f"{name}: not valid YAML{where}: {problem}"
    except RecursionError:
        return {}, f"{name}: nested too deeply"
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else "plain text"
        return {}, f"{name}: expected `answers:` followed by question ids, found {kind}"
    answers = data.get("answers", data if "answers" not in data else None)
    if not isinstance(answers, dict):
        return {}, f"{name}: `answers:` must map question ids to answers"
    budget = [MAX_ENTRIES]
    cleaned = {str(k).strip(): _clean(v, budget) for k, v in answers.items()}
    if budget[0] < 0:
        return {}, f"{name}: too many entries (at most {MAX_ENTRIES:,} list items in all)"
    return cleaned, ""


def _clean(value: Any, budget: list[int], depth: int = 0) -> Any:
    """Blank answers become None; lists are bounded in length, depth and total entries."""
    if isinstance(value, str):
        return None if value.strip() in _BLANK else value
    if isinstance(value, list) and depth < 3:
        budget[0] -= len(value)
        if budget[0] < 0:
            return None
        return [_clean(v, budget, depth + 1) for v in value[:MAX_LIST]]
    return value


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, list) and not value)
