"""Jupyter notebooks as submissions: read with nbformat as data, never executed here.

- Written answers come from markdown or raw cells tagged with a question id (cell metadata
  ``tags``), or whose first line is ``q1.sigmoid:`` (the answer follows the colon and the lines
  below).
- The code cells, in order, are the student's module for the programming questions: they become
  one ``.py`` file in the sandbox's cell format (``# grader: cells``, each cell after a
  ``# %% cell N`` line, N counting every cell of the notebook from 1), so a cell that fails is
  reported without losing what the cells before it defined. IPython lines (``%magic``,
  ``!shell``, ``?help``) become ``pass`` (the block around them stays valid), with a note; a cell
  run by a cell magic other than %%time/%%timeit/%%capture is left out.
- Outputs and attachments (plots, images) are dropped before anything else: the size limits
  apply to what is extracted, so a notebook full of figures is not refused.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from grader.submissions.answerstext import answer_body, bound_answers, looks_like_id

#: Most bytes one notebook file may have (outputs and images included; they are dropped).
MAX_NOTEBOOK_BYTES = 64 << 20
#: The first line of a file in the sandbox's cell format, and each cell's separator.
CELLS_HEADER = "# grader: cells"
CELL_MARK = "# %% cell {}"
#: IPython's own lines: %magic, !shell, ?help, and `name?` / `name??` help.
_MAGIC = re.compile(r"^([ \t]*)([%!?].*|[A-Za-z_][\w.]*\?{1,2}[ \t]*)$")
_KEEP_CELL_MAGICS = {"time", "timeit", "capture", "prun"}
_ANSWER_LINE = re.compile(r"^\s*(?:#{1,6}\s+)?[*_`]*([A-Za-z0-9_.]+)[*_`]*\s*:[*_`]*[ \t]*(.*)$")


@dataclass(frozen=True)
class NotebookReading:
    """What a notebook holds for grading; ``problem`` says why it could not be read at all."""

    answers: dict[str, Any] = field(default_factory=dict)
    #: The code cells as one module in the cell format, or None when there is no code.
    code: bytes | None = None
    notes: tuple[str, ...] = ()
    problem: str = ""
    #: The markdown cells that answer no question by id, joined: a write-up to read.
    markdown: str = ""


def read_notebook(raw: bytes, name: str, question_ids: Collection[str] | None = None,
                  max_code_bytes: int = 16 << 20, max_text_bytes: int = 1_000_000) -> NotebookReading:
    """The answers and code of notebook bytes ``raw`` (file ``name``)."""
    data, problem = _load_json(raw, name)
    if problem:
        return NotebookReading(problem=problem)
    cells, problem = _cells(data, name)
    if problem:
        return NotebookReading(problem=problem)
    known = (lambda key: key in question_ids) if question_ids is not None else looks_like_id
    answers: dict[str, Any] = {}
    notes: list[str] = []
    code_parts: list[str] = []
    removed: list[str] = []
    left_out: list[str] = []
    repeated: list[str] = []
    prose: list[str] = []
    text_bytes = 0
    for number, cell in enumerate(cells, 1):
        kind, source, tags = cell
        if kind == "code":
            body = _code_cell(source, removed)
            if body is None:
                left_out.append(f"cell {number} ({source.splitlines()[0].strip()})")
            elif body.strip():
                code_parts.append(CELL_MARK.format(number) + "\n" + body.rstrip("\n") + "\n")
            continue
        if kind not in ("markdown", "raw"):
            continue
        found = _written_answer(source, tags, known)
        if found is None:
            if kind == "markdown" and sum(map(len, prose)) < max_text_bytes:
                prose.append(source)
            continue
        key, value = found
        text_bytes += len(source.encode("utf-8"))
        if key in answers:
            repeated.append(key)
            continue
        answers[key] = value
    if repeated:
        shown = ", ".join(f"`{key}`" for key in dict.fromkeys(repeated[:5]))
        notes.append(f"{name}: {shown} answered in more than one cell; the first is graded")
    answers = bound_answers(answers)
    if text_bytes > max_text_bytes:
        return NotebookReading(problem=f"{name}: the answer cells hold {text_bytes:,} bytes of "
                                       f"text; at most {max_text_bytes:,}")
    code = None
    if code_parts:
        code = (CELLS_HEADER + "\n" + "".join(code_parts)).encode("utf-8")
        if len(code) > max_code_bytes:
            return NotebookReading(answers=answers, problem=(
                f"{name}: the code cells hold {len(code):,} bytes; at most {max_code_bytes:,}"))
    if removed:
        shown = ", ".join(removed[:3]) + (f", … ({len(removed) - 3} more)" if len(removed) > 3 else "")
        notes.append(f"{name}: {len(removed)} IPython line(s) not run: {shown}")
    if left_out:
        notes.append(f"{name}: cell magic cells not run: {', '.join(left_out[:3])}")
    return NotebookReading(answers=answers, code=code, notes=tuple(notes),
                           markdown="\n\n".join(prose) if not answers else "")


def _load_json(raw: bytes, name: str) -> tuple[Any, str]:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None, f"{name}: not a Jupyter notebook (not UTF-8 text)"
    try:
        return json.loads(text), ""
    except json.JSONDecodeError as err:
        return None, (f"{name}: not a Jupyter notebook: not valid JSON (line {err.lineno}, "
                      f"column {err.colno}: {err.msg}); save it again from Jupyter")
    except RecursionError:
        return None, f"{name}: not a Jupyter notebook: the JSON nests too deeply"


def _cells(data: Any, name: str) -> tuple[list[tuple[str, str, list[str]]], str]:
    """(cell type, source, tags) of every cell, read with nbformat after the outputs are gone."""
    not_notebook = f"{name}: not a Jupyter notebook (no `cells`; is it a notebook saved by Jupyter?)"
    if not isinstance(data, dict):
        return [], not_notebook
    version = data.get("nbformat")
    if not isinstance(version, int) or isinstance(version, bool):
        return [], not_notebook
    if version < 3 or version > 4:
        return [], f"{name}: notebook format {version} is not supported (save it with Jupyter as format 4)"
    holders = data.get("cells") if version == 4 else [
        c for w in data.get("worksheets") or [] if isinstance(w, dict) for c in w.get("cells") or []]
    if not isinstance(holders, list):
        return [], not_notebook
    for cell in holders:
        if isinstance(cell, dict):
            # Dropped first: what grading needs is sources and tags; plots can be megabytes.
            if "outputs" in cell:
                cell["outputs"] = []
            cell.pop("attachments", None)
    import nbformat

    try:
        notebook = nbformat.convert(nbformat.from_dict(data), 4)
        cells = notebook.get("cells")
        out = []
        for cell in cells:
            kind = str(cell.get("cell_type", ""))
            source = cell.get("source", "")
            if isinstance(source, list):
                source = "".join(str(s) for s in source)
            metadata = cell.get("metadata")
            tags = metadata.get("tags") if isinstance(metadata, dict) else None
            tags = [t for t in tags if isinstance(t, str)] if isinstance(tags, list) else []
            out.append((kind, str(source), tags))
    except Exception as err:  # noqa: BLE001 - nbformat raises many kinds; the student gets a message
        return [], f"{name}: not a readable Jupyter notebook ({type(err).__name__}: {str(err)[:120]})"
    return out, ""


def _code_cell(source: str, removed: list[str]) -> str | None:
    """The cell's Python: IPython lines become ``pass`` at their indentation; None when a cell
    magic runs the cell as something other than Python."""
    lines = source.splitlines()
    first = lines[0].strip() if lines else ""
    if first.startswith("%%"):
        magic = first[2:].split()[0] if first[2:].split() else ""
        if magic not in _KEEP_CELL_MAGICS:
            return None
        removed.append(first)
        lines = [""] + lines[1:]
    out = []
    for line in lines:
        match = _MAGIC.match(line)
        if match:
            removed.append(match.group(2).strip()[:40])
            out.append(f"{match.group(1)}pass")
        else:
            out.append(line)
    return "\n".join(out)


def _written_answer(source: str, tags: list[str], known) -> tuple[str, Any] | None:
    """(question id, answer) of a markdown/raw cell, or None when it is not an answer."""
    lines = source.splitlines()
    first = _ANSWER_LINE.match(lines[0]) if lines else None
    tagged = next((t for t in tags if known(t)), None)
    if tagged is not None:
        if first and first.group(1) == tagged:  # the template's `q1.sigmoid:` line
            return tagged, answer_body([first.group(2)] + lines[1:])
        return tagged, answer_body(lines)
    if first and known(first.group(1)):
        return first.group(1), answer_body([first.group(2)] + lines[1:])
    return None


__all__ = ["CELLS_HEADER", "CELL_MARK", "MAX_NOTEBOOK_BYTES", "NotebookReading", "read_notebook"]
