"""Find and load submissions. Every file or folder found becomes a student in the report,
whatever is wrong with it: an unreadable file is a submission with a ``problem``, not a crash."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

import yaml

MAX_FILE_BYTES = 1_000_000
MAX_LIST = 200
ANSWER_SUFFIXES = (".yaml", ".yml")
CODE_SUFFIX = ".py"
#: Answers a student left blank.
_BLANK = {"", "~", "null"}


@dataclass(frozen=True)
class Submission:
    """One student's answers (question id → text or list) and code files."""

    student: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    code: tuple[Path, ...] = ()
    #: Why the answers could not be read ("" when they could); every question is then invalid.
    problem: str = ""
    sources: tuple[Path, ...] = ()


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


def find_submissions(directory: str | Path) -> list[Submission]:
    """Every submission in ``directory``, sorted by student id.

    ``<student>.yaml``, ``<student>/answers.yaml``, ``<student>.py`` and ``<student>/*.py`` belong
    to the student named by the stem or folder; hidden files are skipped; any other file becomes
    a submission that cannot be read, so it still shows in the report.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: no such folder")
    parts: dict[str, list[Path]] = {}
    for entry in sorted(directory.iterdir()):
        if entry.name.startswith((".", "__pycache__")):
            continue
        student = entry.name if entry.is_dir() else entry.stem
        parts.setdefault(student, []).append(entry)
    return [_assemble(student, paths) for student, paths in sorted(parts.items())]


def find_submissions_in_background(directory: str | Path) -> Callable[[], list[Submission]]:
    """Start ``find_submissions`` in a forked process, so reading hundreds of files overlaps the
    grader's own start-up on another core; call the result to wait for the submissions.

    The process runs only this module's code (the YAML base loader builds nothing but strings,
    lists and maps), so its pickled answer is our own data, not a student's. Any failure of the
    process falls back to reading here.
    """
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_find_and_send, args=(directory, sender), daemon=True,
                              name="grader-find")
    process.start()
    sender.close()

    def result() -> list[Submission]:
        try:
            outcome = receiver.recv()
        except (EOFError, OSError):
            outcome = None
        finally:
            receiver.close()
            process.join(timeout=5)
        if outcome is None:
            return find_submissions(directory)
        found, value = outcome
        if not found:
            raise FileNotFoundError(value)
        return value

    return result


def _find_and_send(directory: str | Path, sender: Any) -> None:
    try:
        outcome = (True, find_submissions(directory))
    except FileNotFoundError as err:
        outcome = (False, str(err))
    sender.send(outcome)
    sender.close()


def load_submission(path: str | Path) -> Submission:
    """One submission: a YAML file, a .py file or a student's folder (for ``grader check``)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"{path}: no such file or folder")
    student = path.name if path.is_dir() else path.stem
    paths = [path]
    if path.is_file() and path.suffix in ANSWER_SUFFIXES + (CODE_SUFFIX,):
        # A .py and a .yaml with the same stem belong to one student.
        paths += [path.with_suffix(s) for s in ANSWER_SUFFIXES + (CODE_SUFFIX,)
                  if s != path.suffix and path.with_suffix(s).is_file()]
    return _assemble(student, paths)


def _assemble(student: str, paths: list[Path]) -> Submission:
    answer_files: list[Path] = []
    code: list[Path] = []
    problems: list[str] = []
    for path in paths:
        if path.is_dir():
            inner = sorted(p for p in path.iterdir() if not p.name.startswith("."))
            yaml_files = [p for p in inner if p.is_file() and p.suffix in ANSWER_SUFFIXES]
            preferred = [p for p in yaml_files if p.stem == "answers"]
            answer_files += preferred or yaml_files[:1]
            code += [p for p in inner if p.is_file() and p.suffix == CODE_SUFFIX]
            if not yaml_files and not code:
                problems.append(f"{path.name}/ has no answers.yaml and no .py files")
        elif path.suffix in ANSWER_SUFFIXES:
            answer_files.append(path)
        elif path.suffix == CODE_SUFFIX:
            code.append(path)
        else:
            problems.append(f"{path.name}: not a submission file (expected .yaml or .py)")
    answers: dict[str, Any] = {}
    for path in answer_files:
        loaded, problem = read_answers(path)
        if problem:
            problems.append(problem)
        for key, value in loaded.items():
            answers.setdefault(key, value)
    return Submission(student=student, answers=answers, code=tuple(code),
                      problem="; ".join(problems), sources=tuple(paths))


def read_answers(path: Path) -> tuple[dict[str, Any], str]:
    """The ``answers`` mapping of one YAML file, or ({}, why it could not be read)."""
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as err:
        return {}, f"{name}: cannot read ({err.strerror or err})"
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
