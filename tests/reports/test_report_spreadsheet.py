"""Every CSV the grader writes is safe to open in a spreadsheet (OWASP's advice on CSV
injection): a cell of student-controlled text that starts with = + - @, a tab or a line break
gets a leading ', numbers are left alone, control characters are shown as \\uXXXX; and the files
that `grader report` reads back are un-escaped, so regeneration stays byte-identical."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd
import pytest
from report_sample import META, tree, verdicts

from grader.reports import (
    QuestionInfo,
    ReportMeta,
    apply_roster,
    diff_outdirs,
    export_canvas,
    load_outdir,
    regenerate,
    verdict_table,
    write_outdir,
)
from grader.reports.csvfiles import from_spreadsheet_cell, spreadsheet_cell
from grader.reports.diff import diff_csv
from grader.verdict import Verdict

HYPERLINK = '=HYPERLINK("http://x","y")'
#: What a hostile class puts into the reports: an exception message, answers, an id taken from a
#: file name, a NUL, and texts that must keep their meaning (-f_i f_j is an answer, not a formula).
HOSTILE = [
    Verdict("=1+2", "loss", 0, 2, "error", f"your code raised {HYPERLINK}", "@SUM(1)", "g-at"),
    Verdict("=1+2", "grad", 0, 3, "incorrect", "-f_i f_j differs at x = 0.5", "-f_i f_j", "g-neg"),
    Verdict("@mallory", "loss", 0, 2, "incorrect", "+cmd|' /C calc'!A0", "@SUM(1)", "g-at"),
    Verdict("@mallory", "grad", 0, 3, "incorrect", "nul\x00byte and bell\x07", "\tf\x00", "g-tab"),
    Verdict("'quoted", "loss", 0, 2, "incorrect", "'=already quoted", "'@x", "g-q"),
    Verdict("'quoted", "grad", 1.5, 3, "partial", "-2", "-0.5", "g-num"),
]
DANGEROUS_START = tuple("=+-@\t\r\n") + ("\uff1d", "\uff0b", "\uff0d", "\uff20")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")


def _cells(path: Path) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")) for cell in row]


def _assert_safe(path: Path) -> list[str]:
    """No cell would run as a formula, none holds a control character; returns the cells."""
    cells = _cells(path)
    for cell in cells:
        assert not (cell.startswith(DANGEROUS_START) and not NUMBER.fullmatch(cell)), (path.name, cell)
        assert not re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", cell), (path.name, cell)
    return cells


@pytest.fixture
def hostile_outdir(tmp_path: Path) -> Path:
    table = verdict_table(verdicts() + HOSTILE, META)
    roster = pd.DataFrame({"student": ["alice", "=1+2", "@mallory", "'quoted"],
                           "name": ["Alice", "-Mallory", "@Trudy", "=cmd"],
                           "section": ["+A1", "B", "C", "D"], "email": ["a@x.edu", "", "", ""]})
    table, _ = apply_roster(table, META, roster)
    out = tmp_path / "out"
    write_outdir(table, META, out, roster)
    return out


@pytest.mark.parametrize("name", ["details.csv", "answers.csv", "grades.csv", "summary.csv",
                                  "wrong_answers.csv", "roster.csv"])
def test_every_outdir_csv_is_spreadsheet_safe(hostile_outdir, name):
    _assert_safe(hostile_outdir / name)


def test_details_csv_cells_exactly(hostile_outdir):
    rows = list(csv.reader(io.StringIO((hostile_outdir / "details.csv").read_text(encoding="utf-8"), newline="")))
    by_key = {(r[0], r[1]): r for r in rows[1:]}
    assert by_key[("'=1+2", "loss")] == ["'=1+2", "loss", "0", "2", "error", f"your code raised {HYPERLINK}"]
    assert by_key[("'=1+2", "grad")][5] == "'-f_i f_j differs at x = 0.5"
    assert by_key[("'@mallory", "loss")][5] == "'+cmd|' /C calc'!A0"
    assert by_key[("'@mallory", "grad")][5] == "nul\\u0000byte and bell\\u0007"
    assert by_key[("'quoted", "loss")][5] == "''=already quoted", "a leading ' is itself escaped"
    assert by_key[("'quoted", "grad")][2:] == ["1.5", "3", "partial", "-2"], "numbers are left alone"
    assert by_key[("alice", "loss")] == ["alice", "loss", "2", "2", "correct", "Correct."]


def test_answers_csv_cells_exactly(hostile_outdir):
    rows = {(r[0], r[1]): r[2] for r in csv.reader(io.StringIO((hostile_outdir / "answers.csv").read_text(encoding="utf-8"), newline=""))}
    assert rows[("'=1+2", "loss")] == "'@SUM(1)"
    assert rows[("'=1+2", "grad")] == "'-f_i f_j"
    assert rows[("'@mallory", "grad")] == "'\tf\\u0000"
    assert rows[("'quoted", "loss")] == "''@x"
    assert rows[("'quoted", "grad")] == "-0.5"


def test_regenerate_is_byte_identical_and_answers_keep_their_meaning(hostile_outdir):
    before = tree(hostile_outdir)
    table, _, roster = load_outdir(hostile_outdir)
    got = table.set_index(["student", "question"])
    assert got.loc[("=1+2", "grad"), "answer"] == "-f_i f_j"
    assert got.loc[("=1+2", "loss"), "answer"] == "@SUM(1)"
    assert got.loc[("=1+2", "loss"), "feedback"] == f"your code raised {HYPERLINK}"
    assert got.loc[("'quoted", "loss"), "feedback"] == "'=already quoted"
    assert got.loc[("@mallory", "grad"), "feedback"] == "nul\\u0000byte and bell\\u0007"
    assert roster.set_index("student").loc["=1+2", "name"] == "-Mallory"
    regenerate(hostile_outdir)
    assert tree(hostile_outdir) == before


def test_wrong_answers_csv_cells(hostile_outdir):
    rows = _assert_safe(hostile_outdir / "wrong_answers.csv")
    assert "'@SUM(1)" in rows and "'-f_i f_j" in rows and "-0.5" in rows
    assert "@SUM(1)" not in rows


def test_grades_and_summary_with_hostile_question_ids(tmp_path):
    meta = ReportMeta("t", (QuestionInfo("=q1", 1), QuestionInfo("q2", 1)))
    vs = [Verdict("-s", "=q1", 1, 1, "correct"), Verdict("-s", "q2", 0, 1, "incorrect")]
    write_outdir(verdict_table(vs, meta), meta, tmp_path / "o")
    grades = _assert_safe(tmp_path / "o" / "grades.csv")
    assert grades[:4] == ["student", "'=q1", "q2", "total"] and "'-s" in grades
    assert _assert_safe(tmp_path / "o" / "summary.csv")[12] == "'=q1"
    regenerate(tmp_path / "o")
    assert load_outdir(tmp_path / "o")[0]["question"].tolist() == ["=q1", "q2"]


def test_canvas_export_is_spreadsheet_safe(hostile_outdir):
    path = export_canvas(hostile_outdir, "=HW1")
    cells = _assert_safe(path)
    assert cells[5] == "'=HW1"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))
    by_login = {r[3]: r for r in rows[2:]}
    assert by_login["'=1+2"][0] == "'-Mallory"
    assert by_login["'@mallory"][0] == "'@Trudy"
    assert by_login["a@x.edu"][4] == "'+A1"


def test_diff_csv_is_spreadsheet_safe(hostile_outdir, tmp_path):
    new = tmp_path / "new"
    table, meta, roster = load_outdir(hostile_outdir)
    table.loc[table.student == "=1+2", "score"] = 1.0
    write_outdir(table, meta, new, roster)
    changes = diff_outdirs(hostile_outdir, new)
    assert set(changes["student"]) == {"=1+2"}, "diff works on the real ids"
    path = tmp_path / "diff.csv"
    path.write_text(diff_csv(changes), encoding="utf-8")
    cells = _assert_safe(path)
    assert cells[:9] == ["student", "question", "old_score", "new_score", "delta", "old_status", "new_status",
                         "change", "override"]
    assert cells[9:18] == ["'=1+2", "loss", "0", "1", "1", "error", "error", "score", ""]


@pytest.mark.parametrize("text", ["", "plain", "=1+2", "+1", "-1", "-1.5e3", ".5", "@SUM(1)", "\tx", "\rx", "\nx",
                                  "'", "''", "'=x", "''=x", "'plain", "-", "+", "\uff1dcmd", "-f_i f_j", "1-2"])
def test_escaping_round_trips(text):
    cell = spreadsheet_cell(text)
    assert from_spreadsheet_cell(cell) == text
    assert spreadsheet_cell(from_spreadsheet_cell(cell)) == cell
    assert not (cell.startswith(DANGEROUS_START) and not NUMBER.fullmatch(cell))
    if NUMBER.fullmatch(text) or not text.startswith(DANGEROUS_START + ("'",)):
        assert cell == text or text.startswith("'")


def test_csv_written_in_pieces_reads_back_as_written_whole(monkeypatch, tmp_path):
    """details.csv and answers.csv are written a few thousand rows at a time; the file is the
    same as one made in one piece, whatever falls on a piece's edge."""
    import csv as csvmodule

    from grader.reports import csvfiles

    rows = 25
    columns = [[f"s{i:02d}" for i in range(rows)],
               [("=1+1" if i % 7 == 0 else f'say "hi", {i}\nnext line') for i in range(rows)]]
    whole = csvfiles.csv_bytes(["student", "feedback"], columns)
    monkeypatch.setattr(csvfiles, "CHUNK_ROWS", 4)
    pieces = list(csvfiles.csv_chunks(["student", "feedback"], columns))
    assert len(pieces) == 7 and b"".join(pieces) == whole
    csvfiles.write_new(tmp_path / "x.csv", iter(pieces))
    assert (tmp_path / "x.csv").read_bytes() == whole
    read = list(csvmodule.reader(io.StringIO(whole.decode("utf-8"))))
    assert read[0] == ["student", "feedback"] and len(read) == rows + 1
    assert [csvfiles.from_spreadsheet_cell(r[1]) for r in read[1:]] == columns[1]
    assert list(csvfiles.csv_chunks(["a"], [[]])) == [b"a\n"]
