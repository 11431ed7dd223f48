"""One student's entries → a ``Submission``: which files hold answers, which hold code.

In a student's files (their folder, or their top-level files):

- answers YAML: ``answers.yaml`` (else the one YAML file);
- a plain answers file: ``answers.md`` / ``answers.txt`` (or, in a plain folder, the top-level
  ``<student>.md``), else a single other .md/.txt that follows the answers-file rule;
- a notebook (.ipynb): tagged answer cells and the code cells;
- .py files: the code;
- an LMS's online text (``onlinetext.html``, Canvas's ``text.html``), read as an answers file.

Where several give the same question, the first in that order wins. Other files are not read.
A symlink or special file anywhere refuses the whole submission.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.submissions.answerstext import TextAnswers, read_answers_text
from grader.submissions.files import FILE, FOLDER, FileTooLargeError, Folder, UnsafeEntryError
from grader.submissions.layouts import Group
from grader.submissions.notebook import MAX_NOTEBOOK_BYTES, read_notebook
from grader.submissions.submission import Submission
from grader.submissions.yamlfile import MAX_FILE_BYTES, describe_read_error, parse_answers

ANSWER_SUFFIXES = (".yaml", ".yml")
TEXT_SUFFIXES = (".md", ".txt")
#: LaTeX write-ups (Markdown ones are .md files that are not answers files).
WRITEUP_SUFFIX = ".tex"
NOTEBOOK_SUFFIX = ".ipynb"
CODE_SUFFIX = ".py"
ONLINE_TEXT = ("onlinetext.html", "text.html")
#: Most bytes of Python one submission may hold, all its code together (the sandbox's own
#: limit for one file).
MAX_CODE_BYTES = 16 << 20
_DEBRIS = {"thumbs.db", "desktop.ini", "__macosx", "__pycache__"}


def suffix(name: str) -> str:
    dot = name.rfind(".")
    return name[dot:].lower() if dot > 0 else ""


def stem(name: str) -> str:
    dot = name.rfind(".")
    return name[:dot] if dot > 0 else name


def debris(name: str) -> bool:
    """Hidden entries and what operating systems and archivers leave behind."""
    return name.startswith(".") or name.lower() in _DEBRIS


@dataclass
class _Reading:
    """What one student's entries yield, gathered while their folders are open."""

    question_ids: Collection[str] | None
    yaml_files: list[tuple[str, bytes | OSError]] = field(default_factory=list)
    #: (name, content, named as an answers file: answers.md or the plain <student>.md)
    text_files: list[tuple[str, bytes | OSError, bool]] = field(default_factory=list)
    notebooks: list[tuple[str, Path, bytes | OSError]] = field(default_factory=list)
    online_text: list[tuple[str, bytes | OSError]] = field(default_factory=list)
    code: list[Path] = field(default_factory=list)
    code_files: list[tuple[str, bytes]] = field(default_factory=list)
    code_problems: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unsafe: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)
    code_bytes: int = 0
    #: (name, "md" or "tex", text) of write-ups, read later against the rubric.
    writeups: list[tuple[str, str, str]] = field(default_factory=list)
    #: Whether any file read was a source of answers (even an empty one).
    found: bool = False

    def read(self, folder: Folder, entry: str, limit: int) -> bytes | OSError | None:
        try:
            return folder.read(entry, limit)
        except UnsafeEntryError as err:
            self.unsafe.append(str(err))
            return None
        except OSError as err:
            return err

    def take(self, folder: Folder, entry: str, name: str, top_level_plain: bool = False) -> None:
        """File ``entry`` of ``folder``, which the student named ``name``."""
        kind = suffix(name)
        if kind in ANSWER_SUFFIXES:
            if (content := self.read(folder, entry, MAX_FILE_BYTES)) is not None:
                self.yaml_files.append((name, content))
        elif kind in TEXT_SUFFIXES:
            if (content := self.read(folder, entry, MAX_FILE_BYTES)) is not None:
                named = top_level_plain or stem(name).lower() == "answers"
                self.text_files.append((name, content, named))
        elif kind == NOTEBOOK_SUFFIX:
            if (content := self.read(folder, entry, MAX_NOTEBOOK_BYTES)) is not None:
                self.notebooks.append((name, folder.path / entry, content))
        elif name.lower() in ONLINE_TEXT:
            if (content := self.read(folder, entry, MAX_FILE_BYTES)) is not None:
                self.online_text.append((name, content))
        elif kind == CODE_SUFFIX:
            self.read_code(folder, entry, name)
        elif kind == WRITEUP_SUFFIX:
            if (content := self.read(folder, entry, MAX_FILE_BYTES)) is not None:
                self.writeup(name, "tex", content)
        else:
            self.others.append(name)

    def writeup(self, name: str, kind: str, content: bytes | OSError) -> None:
        """Keep a write-up's text (UTF-8; a problem when it is not text)."""
        if isinstance(content, OSError):
            self.problems.append(describe_read_error(name, content))
            return
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            self.problems.append(f"{name}: not UTF-8 text")
            return
        if "\x00" in text:
            self.problems.append(f"{name}: not a text file")
            return
        self.writeups.append((name, kind, text))
        self.found = True

    def read_code(self, folder: Folder, entry: str, name: str) -> None:
        self.code.append(folder.path / entry)
        try:
            content = folder.read(entry, MAX_CODE_BYTES - self.code_bytes)
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


def assemble(top: Folder, group: Group, question_ids: Collection[str] | None,
             plain: bool) -> Submission:
    """One student's submission from their entries in the open folder ``top``."""
    reading = _Reading(question_ids)
    for part in group.parts:
        if part.kind == FOLDER:
            _read_student_folder(top, part.entry, reading)
        elif part.kind != FILE:
            reading.unsafe.append(str(UnsafeEntryError(part.entry, part.kind, folder=not suffix(part.entry))))
        else:
            reading.take(top, part.entry, part.as_name, top_level_plain=plain)
            if plain and reading.others:
                reading.problems.append(f"{reading.others.pop()}: not a submission file (expected "
                                        ".yaml, .md, .txt, .tex, .ipynb or .py)")
                reading.found = True  # that problem is the row's message
    base = dict(student=group.student, source=tuple(p.entry for p in group.parts),
                identity=dict(group.identity), submitted_at=group.submitted_at, late=group.late,
                group=group.group)
    if reading.unsafe:
        # The whole submission is refused: a link may stand for any of its files.
        problem = "; ".join(reading.unsafe)
        return Submission(problem=problem, code_problem=problem, **base)
    answers = _answers(reading)
    if reading.others and not plain:
        reading.notes.append(f"{group.student}: not read: {', '.join(sorted(reading.others)[:5])}")
    if not reading.found and not reading.code and not reading.problems:
        folders = [p.entry for p in group.parts if p.kind == FOLDER]
        where = f"{folders[0]}/ has" if plain and folders else "the submission has"
        found = f" (found {', '.join(sorted(reading.others)[:5])})" if reading.others and not plain else ""
        reading.problems.append(f"{where} no answers file, notebook or .py file{found}")
    code_problem = "; ".join(reading.code_problems)
    return Submission(answers=answers, code=tuple(reading.code), problem="; ".join(reading.problems),
                      code_files=() if code_problem else tuple(reading.code_files),
                      code_problem=code_problem, notes=tuple(reading.notes),
                      writeups=tuple(reading.writeups), **base)


def _answers(reading: _Reading) -> dict[str, Any]:
    """Every source of answers, read and merged (YAML, then text, notebook, online text)."""
    sources: list[tuple[str, dict[str, Any]]] = []
    problems = reading.problems
    yaml_files = sorted(reading.yaml_files, key=lambda f: (stem(f[0]).lower() != "answers", f[0]))
    if len(yaml_files) > 1:
        reading.notes.append(f"read {yaml_files[0][0]}; not read: "
                             + ", ".join(name for name, _ in yaml_files[1:]))
    for name, content in yaml_files[:1]:
        loaded, problem = (({}, describe_read_error(name, content)) if isinstance(content, OSError)
                           else parse_answers(content, name))
        if problem:
            problems.append(problem)
        sources.append((name, loaded))
        reading.found = True
    text = _text_answers(reading)
    if text is not None:
        sources.append(text)
        reading.found = True
    if reading.notebooks:
        sources += _notebook_answers(reading)
        reading.found = True
    for name, content in reading.online_text:
        read = _online_text(name, content, reading)
        if read is not None:
            sources.append((name, read))
            reading.found = True
        elif not sources and not reading.code:
            problems.append(f"{name}: the online text is not an answers file (write one "
                            "`question id: answer` per line)")
        else:
            reading.notes.append(f"{name}: online text that is not an answers file was not read")
    answers: dict[str, Any] = {}
    for _, loaded in sources:
        for key, value in loaded.items():
            answers.setdefault(key, value)
    given = [name for name, loaded in sources if loaded]
    if len(given) > 1:
        reading.notes.append(f"answers read from {', '.join(given)} (where two answer one "
                             "question, the first in that list is graded)")
    return answers


def _text_answers(reading: _Reading) -> tuple[str, dict[str, Any]] | None:
    named = [f for f in reading.text_files if f[2]]
    others = [f for f in reading.text_files if not f[2]]
    for name, content, _ in sorted(named):
        if isinstance(content, OSError):
            reading.problems.append(describe_read_error(name, content))
            return None
        read, problem = decode_text_answers(content, name, reading.question_ids)
        if problem and suffix(name) == ".md" and "not an answers file" in problem:
            # The one rule both readers share: a Markdown file whose headings or lines are not
            # the question ids is a write-up (docs/writeups.md), whatever it is called.
            reading.writeup(name, "md", content)
            reading.notes.append(f"{name}: read as a write-up (its headings are not question ids)")
            continue
        if problem:
            reading.problems.append(problem)
            return None
        reading.notes.extend(read.notes)
        return name, read.answers
    chosen = None
    for name, content, _ in sorted(others):
        if isinstance(content, OSError):
            continue
        read, problem = decode_text_answers(content, name, reading.question_ids)
        if problem and suffix(name) == ".md" and "not an answers file" in problem \
                and not stem(name).lower().startswith("readme"):
            reading.writeup(name, "md", content)  # not answers by id: a write-up to read
        elif problem:
            reading.notes.append(f"{name} was not read: {problem.split(': ', 1)[-1]}")
        elif chosen is None and not reading.yaml_files:
            # A single other .md/.txt that follows the answers-file rule holds the answers.
            reading.notes.extend(read.notes)
            chosen = (name, read.answers)
        else:
            reading.notes.append(f"{name} was not read: the answers come from another file")
    return chosen


def decode_text_answers(raw: bytes, name: str, question_ids: Collection[str] | None
                        ) -> tuple[TextAnswers, str]:
    """``read_answers_text`` on file bytes; a message when the file is not an answers file."""
    empty = TextAnswers({})
    if b"\x00" in raw:
        return empty, f"{name}: not a text file"
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return empty, f"{name}: not UTF-8 text"
    if not text.strip():
        return empty, f"{name}: the file is empty"
    read = read_answers_text(text, name, question_ids)
    if read is None:
        ids = "this assignment's question ids" if question_ids is not None else "question ids"
        return empty, (f"{name}: not an answers file: write each answer under a heading that is "
                       f"its question id (`## q1.sigmoid`), or as `q1.sigmoid: answer` lines; "
                       f"no heading or line of this file names one of {ids}")
    return read, ""


def _notebook_answers(reading: _Reading) -> list[tuple[str, dict[str, Any]]]:
    notebooks = sorted(reading.notebooks)
    if len(notebooks) > 1:
        reading.notes.append(f"read {notebooks[0][0]}; not read: "
                             + ", ".join(n for n, _, _ in notebooks[1:]))
    name, path, content = notebooks[0]
    if isinstance(content, OSError):
        message = describe_read_error(name, content)
        reading.problems.append(message)
        reading.code_problems.append(message)
        return []
    budget = MAX_CODE_BYTES - reading.code_bytes
    read = read_notebook(content, name, reading.question_ids, max_code_bytes=budget)
    reading.notes.extend(read.notes)
    if read.problem:
        reading.problems.append(read.problem)
        reading.code_problems.append(read.problem)
        return []
    if read.markdown.strip():
        reading.writeups.append((name, "md", read.markdown))
    if read.code is not None:
        taken = {n for n, _ in reading.code_files}
        module = stem(name) + ".py"
        if module in taken:
            module = stem(name) + "_ipynb.py"
        reading.code.append(path)
        reading.code_files.append((module, read.code))
        reading.code_bytes += len(read.code)
    return [(name, read.answers)]


def _online_text(name: str, content: bytes | OSError, reading: _Reading) -> dict[str, Any] | None:
    from grader.submissions.htmltext import html_to_text

    if isinstance(content, OSError):
        return None
    try:
        text = html_to_text(content.decode("utf-8-sig", errors="replace"))
    except Exception:  # noqa: BLE001 - malformed HTML is the student's: the text is not read
        return None
    read = read_answers_text(text, name, reading.question_ids)
    if read is None:
        return None
    reading.notes.extend(read.notes)
    return read.answers


def _read_student_folder(top: Folder, name: str, reading: _Reading, depth: int = 0) -> None:
    """A student's folder: its files as listed in the module docstring; other files and
    sub-folders are not read (except a lone sub-folder when there is nothing else, as unzipping
    ``hw1.zip`` leaves), but a symlink or special file anywhere in it refuses the submission."""
    try:
        folder = top.sub(name)
    except UnsafeEntryError as err:
        reading.unsafe.append(str(err))
        return
    except OSError as err:
        reading.problems.append(f"{name}/: cannot open ({err.strerror or err})")
        return
    with folder:
        inner = [(n, k) for n, k in folder.entries() if not debris(n)]
        for inner_name, kind in inner:
            if kind not in (FILE, FOLDER):
                reading.unsafe.append(str(UnsafeEntryError(inner_name, kind)))
        files = [n for n, k in inner if k == FILE]
        folders = [n for n, k in inner if k == FOLDER]
        before = len(reading.others)
        for file in files:
            reading.take(folder, file, file)
        known = len(files) - (len(reading.others) - before)
        if not known and len(folders) == 1 and depth == 0 and not reading.unsafe:
            _read_student_folder(folder, folders[0], reading, depth + 1)


__all__ = ["ANSWER_SUFFIXES", "CODE_SUFFIX", "MAX_CODE_BYTES", "NOTEBOOK_SUFFIX", "TEXT_SUFFIXES",
           "assemble", "debris", "decode_text_answers", "stem", "suffix"]
