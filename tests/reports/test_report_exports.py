"""Canvas and Gradescope exports."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pandas as pd
import pytest
from report_sample import META

from grader.reports import (
    UnsafeOutputDirError,
    apply_roster,
    export_canvas,
    export_gradescope,
    write_outdir,
)


def test_canvas_export(tmp_path: Path, table: pd.DataFrame) -> None:
    roster = pd.DataFrame({"student": ["alice", "bob"], "name": ["Alice A", "Bob, Jr."],
                           "sis_id": ["900", "901"], "section": ["A1", "A2"], "email": ["a@x.edu", ""],
                           "id": ["11", ""], "login": ["", ""]})
    out = tmp_path / "out"
    write_outdir(apply_roster(table, META, roster)[0], META, out, roster)
    warnings: list[str] = []
    path = export_canvas(out, "HW3 (4521)", warnings=warnings)
    assert path == out / "exports" / "canvas.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,HW3 (4521)"
    assert lines[1] == "    Points Possible,,,,,10"
    rows = list(csv.reader(lines[2:]))
    assert rows[0] == ["Alice A", "11", "900", "a@x.edu", "A1", "10"]
    assert rows[1] == ["Bob, Jr.", "", "901", "bob", "A2", "4.5"]
    assert [r[3] for r in rows] == ["a@x.edu", "bob"], "students not on the roster are not exported"
    assert warnings == ["3 student(s) not on the roster, left out of the Canvas import (add them "
                        "to the roster to export them): carol, dave, erin"]
    custom = export_canvas(out, "HW3", tmp_path / "elsewhere" / "c.csv")
    assert custom.read_text().splitlines()[2:] == lines[2:]
    assert not [p for p in custom.parent.iterdir() if p.name != "c.csv"]  # no temp file left


def test_gradescope_export(outdir: Path) -> None:
    dest = export_gradescope(outdir)
    assert dest == outdir / "exports" / "gradescope"
    assert sorted(p.name for p in dest.iterdir()) == ["alice", "bob", "carol", "dave", "erin"]
    bob = json.loads((dest / "bob" / "results.json").read_text(encoding="utf-8"))
    assert bob["score"] == 4.5
    assert [t["name"] for t in bob["tests"]] == ["loss", "grad", "hess", "code"]
    assert [t["status"] for t in bob["tests"]] == ["passed", "failed", "failed", "failed"]
    assert bob["tests"][2]["score"] == 0.5 and bob["tests"][2]["max_score"] == 1
    assert bob["tests"][2]["tags"] == ["partial"]
    assert bob["tests"][3]["output"].startswith("6 of 12 tests pass")
    export_gradescope(outdir)  # a second export replaces the first
    with pytest.raises(UnsafeOutputDirError):
        export_gradescope(outdir, outdir)  # OUTDIR itself is not a Gradescope export dir


def test_canvas_export_without_a_roster_warns(outdir: Path) -> None:
    warnings: list[str] = []
    path = export_canvas(outdir, "HW3", warnings=warnings)
    rows = list(csv.reader(path.read_text(encoding="utf-8").splitlines()[2:]))
    assert [r[0] for r in rows] == ["alice", "bob", "carol", "dave", "erin"]
    assert all(r[1] == "" and r[3] == r[0] for r in rows), "no Canvas ID is ever guessed"
    (warning,) = warnings
    assert warning.startswith("no roster: Canvas matches each row by its ID")
    assert "SIS Login ID" in warning
    assert warning.endswith("5 student(s) have no Canvas ID and will match only if their id is "
                            "their SIS Login ID: alice, bob, carol, dave, erin")
