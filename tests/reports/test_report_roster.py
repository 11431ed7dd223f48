"""Reading the roster and adding missing students."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from report_sample import META, read_csv, write_text

from grader.reports import (
    apply_roster,
    read_roster,
    write_outdir,
)


def test_roster_adds_missing_students_and_warns_about_unknown(tmp_path: Path, table: pd.DataFrame) -> None:
    path = write_text(tmp_path / "roster.csv",
                       " Student ,Name,Email,Section\nalice,Alice A,a@x.edu,A1\nbob,Bob B,b@x.edu,A1\n"
                       "carol,Carol C,,B2\ndave,Dave D,,B2\nfrank,Frank F,f@x.edu,B2\n")
    roster, warnings = read_roster(path)
    assert warnings == []
    assert roster["student"].tolist() == ["alice", "bob", "carol", "dave", "frank"]
    full, warnings = apply_roster(table, META, roster)
    assert len(warnings) == 1 and "erin" in warnings[0] and "not on the roster" in warnings[0]
    assert "erin" in set(full["student"])  # warned, still graded
    frank = full[full.student == "frank"]
    assert frank["question"].tolist() == ["loss", "grad", "hess", "code"]
    assert set(frank["status"]) == {"missing"} and set(frank["score"]) == {0.0}
    assert set(frank["feedback"]) == {"no submission"}
    assert frank["max_score"].tolist() == [2, 3, 1, 4]
    out = tmp_path / "out"
    write_outdir(full, META, out, roster)
    grades = read_csv(out / "grades.csv")
    assert grades["student"].tolist() == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert list(grades.columns) == ["student", "loss", "grad", "hess", "code", "total", "max_total", "percent"]
    assert read_csv(out / "roster.csv")["student"].tolist() == ["alice", "bob", "carol", "dave", "frank"]


def test_roster_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = write_text(tmp_path / "roster.csv", "student,name\nalice,A\nbob,B\n\nalice,A again\n")
    with pytest.raises(ValueError) as err:
        read_roster(path)
    assert str(err.value) == "roster.csv:5: duplicate student id 'alice' (first on line 2)"


def test_roster_empty_id_and_missing_column_errors(tmp_path: Path) -> None:
    path = write_text(tmp_path / "r.csv", "login,name\nalice,A\n   ,Nobody\n")
    with pytest.raises(ValueError, match=r"^r\.csv:3: empty student id"):
        read_roster(path)
    path = write_text(tmp_path / "r2.csv", "Full Name,E-mail\nAlice,a@x\n")
    with pytest.raises(ValueError, match=r"no student id column.*'Full Name', 'E-mail'"):
        read_roster(path)


def test_roster_with_bom_and_alternative_id_headers(tmp_path: Path) -> None:
    path = write_text(tmp_path / "r.csv", "Student_ID,Name,SIS User ID,ID\ns1,Ann,900,12\ns2,Bo,901,13\n",
                       encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    roster, warnings = read_roster(path)
    assert warnings == []
    assert roster["student"].tolist() == ["s1", "s2"]
    assert roster["sis_id"].tolist() == ["900", "901"]
    assert roster["id"].tolist() == ["12", "13"]  # a separate `id` column is the LMS id


def test_roster_latin1_is_read_with_a_warning(tmp_path: Path) -> None:
    path = write_text(tmp_path / "r.csv", "login,name\nzoe,Zoë Müller\n", encoding="latin-1")
    roster, warnings = read_roster(path)
    assert roster["name"].tolist() == ["Zoë Müller"]
    assert roster["login"].tolist() == ["zoe"]  # the key column was the login
    assert len(warnings) == 1 and "Latin-1" in warnings[0]


def test_roster_quoted_multiline_field_keeps_line_numbers(tmp_path: Path) -> None:
    path = write_text(tmp_path / "r.csv", 'id,name\na,"two\nlines"\nb,B\na,again\n')
    with pytest.raises(ValueError, match=r"^r\.csv:5: duplicate student id 'a' \(first on line 2\)$"):
        read_roster(path)
