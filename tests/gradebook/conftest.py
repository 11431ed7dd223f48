"""Fixtures for the gradebook tests (shared helpers are in gradebook_course.py)."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def private_state(tmp_path, monkeypatch):
    """`grader grade` remembers its last OUTDIR per rubric: here, in the test's own folder."""
    monkeypatch.setenv("GRADER_STATE_DIR", str(tmp_path / "state"))
