"""Finding submissions in a folder. Every file or folder found becomes a student in the report,
whatever is wrong with it: an unreadable file is a submission with a ``problem``, not a crash."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from grader.submissions.yamlfile import read_answers

ANSWER_SUFFIXES = (".yaml", ".yml")
CODE_SUFFIX = ".py"


@dataclass(frozen=True)
class Submission:
    """One student's answers (question id → text or list) and code files."""

    student: str
    answers: Mapping[str, Any] = field(default_factory=dict)
    code: tuple[Path, ...] = ()
    #: Why the answers could not be read ("" when they could); every question is then invalid.
    problem: str = ""
    sources: tuple[Path, ...] = ()


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
