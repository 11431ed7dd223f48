"""Reading a student's answers YAML: text, lists and maps only, never Python objects."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from grader.answers import ESCAPE_HINT

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


def load_yaml_data(text: str) -> Any:
    """YAML text as strings, lists and maps only (no Python objects, no aliases); the same
    loader as answers files. yaml.YAMLError when it is not YAML."""
    if "*" in text:
        _refuse_aliases(text)
    return yaml.load(text, Loader=_LOADER)


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
        return {}, describe_yaml_error(name, text, err)
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


# -- messages for YAML a student got wrong ----------------------------------------------------
_SHOWN_WIDTH = 100


def describe_yaml_error(name: str, text: str, err: yaml.YAMLError) -> str:
    """``name: not valid YAML (line L, column C): problem``, then the line with a caret under the
    spot, then what is usually wrong there (a tab, an unclosed quote or bracket, the indentation,
    a backslash in double quotes)."""
    mark = getattr(err, "problem_mark", None)
    problem = str(getattr(err, "problem", None) or "invalid YAML")
    if mark is None:
        return f"{name}: not valid YAML: {problem}"
    lines = text.splitlines() or [""]
    context = str(getattr(err, "context", None) or "")
    opened = getattr(err, "context_mark", None)
    where, hint = mark, _hint(problem, context, lines, mark, opened)
    if opened is not None and ("end of stream" in problem or "expected ',' or" in problem):
        where = opened  # the quote or bracket that never closes is what to show
    line = lines[where.line] if where.line < len(lines) else ""
    shown, caret = _with_caret(line, where.column)
    head = f"{name}: not valid YAML (line {mark.line + 1}, column {mark.column + 1}): {problem}"
    return "\n".join([head, f"line {where.line + 1}: {shown}", " " * len(f"line {where.line + 1}: ") + caret]
                     + ([hint] if hint else []))


def _with_caret(line: str, column: int) -> tuple[str, str]:
    """The line as shown (tabs as →, at most ~100 characters around the spot) and its caret."""
    start = max(0, column - _SHOWN_WIDTH // 2) if len(line) > _SHOWN_WIDTH else 0
    piece = line[start:start + _SHOWN_WIDTH].replace("\t", "→")
    piece = _CONTROL_SHOWN.sub("?", piece)
    prefix = "…" if start else ""
    return prefix + piece, " " * (len(prefix) + max(0, column - start)) + "^"


_CONTROL_SHOWN = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _hint(problem: str, context: str, lines: list[str], mark: Any, opened: Any) -> str:
    """What is usually wrong when YAML stops with ``problem`` at ``mark``."""
    line = lines[mark.line] if mark.line < len(lines) else ""
    char = line[mark.column] if mark.column < len(line) else ""
    if "escape" in problem:
        return ESCAPE_HINT
    if "\t" in line[: mark.column + 1] and ("token" in problem or "indent" in problem
                                            or "expected key" in problem or char == "\t"):
        return "that is a tab (shown as →): YAML indents with spaces, never tabs"
    if "quoted scalar" in context and opened is not None:
        quote = lines[opened.line][opened.column] if opened.line < len(lines) else '"'
        return (f"the {quote} opened on line {opened.line + 1} is never closed: end the answer "
                f"with {quote} on the same line")
    if "flow sequence" in context or "flow mapping" in context:
        bracket = "[" if "sequence" in context else "{"
        where = f" on line {opened.line + 1}" if opened is not None else ""
        return (f"the `{bracket}` opened{where} is not closed; if the answer itself starts with "
                f"`{bracket}`, put it in single quotes")
    if "cannot start any token" in problem:
        return f"an answer cannot start with {char!r} in YAML: put it in single quotes"
    if "mapping values are not allowed" in problem:
        return ("a `: ` inside an answer (put the answer in single quotes), or a line indented "
                "deeper than the one before it")
    if "expected key" in problem or "block end" in problem or "expected <block" in problem:
        return "check the indentation: every question id under `answers:` starts in the same column"
    if "could not find expected ':'" in problem:
        return ("a line that is not `id: answer`: an answer that goes on over several lines "
                "belongs in quotes or after `|`")
    return ""
