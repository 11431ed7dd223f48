"""What the gradebook tests share: small rubrics cut from hw1 (fast to grade), the CLI, CSV rows."""

from __future__ import annotations

import csv
import textwrap
from pathlib import Path

import yaml
from click.testing import CliRunner

from grader.cli import main

ROOT = Path(__file__).resolve().parents[2]
HW1 = ROOT / "rubrics" / "hw1.yaml"


def run(*args, **kwargs):
    """The grader command through click's runner (stderr kept apart)."""
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False, **kwargs)


def rows(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def small_rubric(directory: Path, ids: tuple[str, ...] = ("q1.sigmoid", "q1.softmax_diag", "q4.boundary_a2"),
                 header: str = "", name: str = "rubric.yaml") -> Path:
    """A rubric holding hw1's questions ``ids`` (and any extra header lines)."""
    data = yaml.safe_load(HW1.read_text(encoding="utf-8"))
    questions = [q for q in data["questions"] if q["id"] in ids]
    text = f"title: Small HW\nseed: 2022\n{textwrap.dedent(header)}\n" + yaml.safe_dump(
        {"questions": questions}, sort_keys=False, allow_unicode=True)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text(text, encoding="utf-8")
    for reference in HW1.parent.glob("*_reference.py"):
        (directory / reference.name).write_bytes(reference.read_bytes())
    return path
