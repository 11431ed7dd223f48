"""Fixtures for the report tests: the sample class as a table and as a written OUTDIR."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from report_sample import META, verdicts

from grader.reports import verdict_table, write_outdir


@pytest.fixture
def table() -> pd.DataFrame:
    return verdict_table(verdicts(), META)


@pytest.fixture
def outdir(tmp_path: Path, table: pd.DataFrame) -> Path:
    out = tmp_path / "out"
    write_outdir(table, META, out)
    return out
