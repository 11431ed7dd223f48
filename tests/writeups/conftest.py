"""Fixtures for the write-up tests: the HW1 write-up rubric, prepared once, and a reader that
takes a write-up's text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from grader.pipeline import load
from grader.writeups import read_writeup

ROOT = Path(__file__).resolve().parents[2]
WRITEUP_RUBRIC = ROOT / "rubrics" / "hw1_writeup.yaml"
EXAMPLES = ROOT / "submissions" / "writeups"


@pytest.fixture(scope="session")
def hw1w():
    """(rubric, prepared) of rubrics/hw1_writeup.yaml."""
    return load(WRITEUP_RUBRIC)


@pytest.fixture(scope="session")
def read_hw1(hw1w):
    """``read_hw1(text, kind="md")``: the write-up read against the HW1 write-up rubric."""
    rubric, prepared = hw1w

    def read(text: str, kind: str = "md"):
        return read_writeup(textwrap.dedent(text), kind, rubric, prepared)

    return read


@pytest.fixture
def rubric_from(tmp_path):
    """``rubric_from(yaml_text) -> (rubric, prepared)`` for a small rubric of the test's own."""
    counter = iter(range(1000))

    def make(yaml_text: str):
        path = tmp_path / f"rubric{next(counter)}.yaml"
        path.write_text(textwrap.dedent(yaml_text).lstrip("\n"), encoding="utf-8")
        return load(path)

    return make
