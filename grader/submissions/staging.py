"""Handing the sandbox code that is not a file in the class folder as it stands: a notebook's
code cells, or a Canvas download's file under the name its student gave it (``hw1_code.py``,
not ``smithjohn_12345_67890_hw1_code.py``: the names matter to ``import``).

The sandbox reads the files it is given by path; such code is written, as read, into a private
folder the caller removes, and the submission points there. Code read from plain files stays
where it is. (When the sandbox takes ``Submission.code_files`` directly, this step goes.)"""

from __future__ import annotations

import dataclasses
import os
import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path

from grader.submissions.submission import Submission


def needs_staging(sub: Submission) -> bool:
    """Whether the files at ``sub.code`` are not, by name, the modules to run."""
    return bool(sub.code_files) and [p.name for p in sub.code] != [name for name, _ in sub.code_files]


def stage_code(submissions: list[Submission], owner: ExitStack) -> list[Submission]:
    """The submissions, those whose code is derived pointing at private copies (a folder made
    here and removed by ``owner``)."""
    todo = [i for i, sub in enumerate(submissions) if needs_staging(sub) and not sub.code_problem]
    if not todo:
        return submissions
    root = Path(tempfile.mkdtemp(prefix="grader-code-"))
    owner.callback(shutil.rmtree, root, ignore_errors=True)
    out = list(submissions)
    for number, index in enumerate(todo):
        folder = root / str(number)
        folder.mkdir(mode=0o700)
        paths = []
        for name, content in submissions[index].code_files:
            path = folder / Path(name).name  # a bare name, whatever it holds
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(content)
            paths.append(path)
        out[index] = dataclasses.replace(submissions[index], code=tuple(paths))
    return out


__all__ = ["needs_staging", "stage_code"]
