"""Tests for grader.report: the verdict table, every OUTDIR file, roster, exports and diff."""

from __future__ import annotations

import csv
import io
import json
import math
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from grader import report
from grader.report import (
    QuestionInfo,
    ReportMeta,
    UnsafeOutputDirError,
    apply_roster,
    diff_outdirs,
    export_canvas,
    export_gradescope,
    load_outdir,
    lowest_questions,
    read_roster,
    regenerate,
    summary_table,
    verdict_table,
    write_outdir,
)
from grader.verdict import Verdict

#: Appears in no verdict: must never reach a feedback file.
SECRET = "REFERENCE-ANSWER-sigma(x)(1-sigma(x))"

# Rubric order deliberately not alphabetical, so sorting by name would be caught.
META = ReportMeta(
    title="HW3: logistic regression",
    questions=(
        QuestionInfo("loss", 2, "expression"),
        QuestionInfo("grad", 3, "expression"),
        QuestionInfo("hess", 1, "matrix"),
        QuestionInfo("code", 4, "code"),
    ),
    seed=7,
    rubric="rubrics/hw3.yaml",
)

# Three texts that agree in meaning: one group, whatever their spelling.
SQ = "grp-f-plus-f2"


def _verdicts() -> list[Verdict]:
    v = Verdict
    rows = [
        # alice: everything right
        v("alice", "loss", 2, 2, "correct", "Correct.", "-log(p)", "ok"),
        v("alice", "grad", 3, 3, "correct", "Correct.", "f(1-f)", "ok"),
        v("alice", "hess", 1, 1, "correct", "Correct.", "X^T S X", "ok"),
        v("alice", "code", 4, 4, "correct", "All 12 tests pass.", "def f(): ...", "ok"),
        # bob, carol, dave: the shared wrong group on grad
        v("bob", "loss", 2, 2, "correct", "Correct.", "-log(p)", "ok"),
        v("bob", "grad", 0, 3, "incorrect", "Sign error? Differs at x = 0.5.", "f(1+f)", SQ),
        v("bob", "hess", 0.5, 1, "partial", 'Off by a factor, "check 1/n", maybe', "X^T X", "grp-xtx",
          "dropped weights"),
        v("bob", "code", 2, 4, "partial", "6 of 12 tests pass\nfirst failure: test_shape", "def f(): ...", ""),
        v("carol", "loss", 0, 2, "incorrect", "Differs at p = 0.2.", "log(p)", "grp-log"),
        v("carol", "grad", 0, 3, "incorrect", "Sign error? Differs at x = 0.5.", "f + f^2", SQ, "sign of f"),
        v("carol", "hess", 1, 1, "correct", "Correct.", "X^T S X", "ok"),
        v("carol", "code", 0, 4, "error", "Your code raised ZeroDivisionError.", "def f(): 1/0", ""),
        v("dave", "loss", 2, 2, "correct", "Correct.", "-log(p)", "ok"),
        v("dave", "grad", 0, 3, "incorrect", "Sign error? Differs at x = 0.5.", "f(x)[1+f(x)]", SQ),
        v("dave", "hess", 0, 1, "invalid", "Could not parse: unbalanced ']'", "X^T S X]", ""),
        v("dave", "code", 0, 4, "timeout", "Time limit (5 s) exceeded.", "while True: pass", ""),
        # erin: a different wrong group on grad, missing hess
        v("erin", "loss", 2, 2, "correct", "Correct.", "-log(p)", "ok"),
        v("erin", "grad", 1.5, 3, "partial", "Half credit: missing factor.", "f", "grp-f"),
        v("erin", "hess", 0, 1, "missing", "No answer.", "", ""),
        v("erin", "code", 4, 4, "correct", "All 12 tests pass.", "def f(): ...", ""),
    ]
    return rows[::-1]  # reversed: verdict_table must sort


@pytest.fixture
def table() -> pd.DataFrame:
    return verdict_table(_verdicts(), META)


@pytest.fixture
def outdir(tmp_path: Path, table: pd.DataFrame) -> Path:
    out = tmp_path / "out"
    write_outdir(table, META, out)
    return out


def _csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------------------------------
# table and details.csv
# ---------------------------------------------------------------------------------------------


def test_verdict_table_is_tidy_and_sorted(table: pd.DataFrame) -> None:
    assert tuple(table.columns) == report.TABLE_COLUMNS
    assert len(table) == 20
    assert table["student"].tolist() == [s for s in ["alice", "bob", "carol", "dave", "erin"] for _ in range(4)]
    assert table["question"].tolist()[:4] == ["loss", "grad", "hess", "code"]


def test_details_csv_has_exactly_six_columns_in_order(outdir: Path) -> None:
    text = (outdir / "details.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "student,question,score,max_score,status,feedback"
    df = _csv(outdir / "details.csv")
    assert list(df.columns) == list(report.DETAILS_COLUMNS)
    assert len(df) == 20
    assert df["question"].tolist()[4:8] == ["loss", "grad", "hess", "code"]
    bob_code = df[(df.student == "bob") & (df.question == "code")].iloc[0]
    assert bob_code["feedback"] == "6 of 12 tests pass\nfirst failure: test_shape"  # survives quoting
    assert bob_code["score"] == "2" and bob_code["max_score"] == "4"
    assert "\r" not in text


def test_answers_csv_keeps_answer_group_and_mistake(outdir: Path) -> None:
    df = _csv(outdir / "answers.csv")
    assert list(df.columns) == ["student", "question", "answer", "group", "mistake"]
    row = df[(df.student == "carol") & (df.question == "grad")].iloc[0]
    assert (row["answer"], row["group"], row["mistake"]) == ("f + f^2", SQ, "sign of f")


def test_number_formatting_is_fixed_and_never_negative_zero(tmp_path: Path) -> None:
    meta = ReportMeta("t", (QuestionInfo("q", 1),))
    vs = [Verdict("a", "q", 1 / 3, 1, "partial"), Verdict("b", "q", -0.0, 1, "incorrect"),
          Verdict("c", "q", -1e-7, 1, "incorrect"), Verdict("d", "q", 2 / 3, 1, "partial")]
    write_outdir(verdict_table(vs), meta, tmp_path / "o")
    df = _csv(tmp_path / "o" / "details.csv")
    assert df["score"].tolist() == ["0.3333", "0", "0", "0.6667"]
    assert df["max_score"].tolist() == ["1"] * 4
    assert not any(v.startswith("-") for v in df["score"])


def test_duplicate_verdicts_are_an_error(tmp_path: Path) -> None:
    vs = [Verdict("a", "loss", 1, 2, "partial"), Verdict("a", "loss", 2, 2, "correct")]
    with pytest.raises(ValueError, match="more than one verdict"):
        write_outdir(verdict_table(vs, META), META, tmp_path / "o")


def test_run_json_is_stable_and_round_trips(outdir: Path) -> None:
    text = (outdir / "run.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert [q["id"] for q in data["questions"]] == ["loss", "grad", "hess", "code"]
    assert ReportMeta.from_json(text) == META
    assert ReportMeta.from_json(text).to_json() == text


# ---------------------------------------------------------------------------------------------
# grades.csv and summary.csv
# ---------------------------------------------------------------------------------------------


def test_grades_csv_columns_order_and_totals(outdir: Path) -> None:
    df = _csv(outdir / "grades.csv")
    assert list(df.columns) == ["student", "loss", "grad", "hess", "code", "total", "max_total", "percent"]
    assert df["student"].tolist() == ["alice", "bob", "carol", "dave", "erin"]
    assert df["total"].tolist() == ["10", "4.5", "1", "2", "7.5"]
    assert set(df["max_total"]) == {"10"}
    assert df["percent"].tolist() == ["100", "45", "10", "20", "75"]
    assert df.loc[df.student == "bob", "hess"].item() == "0.5"


def test_summary_shares_sum_to_one_and_stats(outdir: Path, table: pd.DataFrame) -> None:
    df = pd.read_csv(outdir / "summary.csv")
    assert list(df.columns) == ["question", "max_score", "mean", "median", "correct", "partial",
                                "incorrect", "missing", "invalid", "error", "timeout", "discrimination"]
    assert df["question"].tolist() == ["loss", "grad", "hess", "code"]
    shares = df[["correct", "partial", "incorrect", "missing", "invalid", "error", "timeout"]].sum(axis=1)
    assert np.allclose(shares, 1.0, atol=1e-3)
    grad = df.set_index("question").loc["grad"]
    assert grad["mean"] == pytest.approx((3 + 0 + 0 + 0 + 1.5) / 5)
    assert grad["median"] == 0
    assert grad["incorrect"] == pytest.approx(0.6) and grad["partial"] == pytest.approx(0.2)
    # Discrimination matches numpy's correlation of the score with the rest of the total.
    piv = table.pivot(index="student", columns="question", values="score")
    rest = piv.sum(axis=1) - piv["code"]
    expected = np.corrcoef(piv["code"], rest)[0, 1]
    assert df.set_index("question").loc["code", "discrimination"] == pytest.approx(expected, abs=1e-4)


def test_discrimination_hand_computed_and_empty_when_constant(tmp_path: Path) -> None:
    meta = ReportMeta("t", (QuestionInfo("q1", 2), QuestionInfo("q2", 1), QuestionInfo("q3", 1)))
    scores = {"a": (0, 0, 1), "b": (2, 0, 1), "c": (1, 1, 1), "d": (2, 1, 1)}
    vs = [Verdict(s, q, x, m, "partial") for s, xs in scores.items()
          for (q, m), x in zip([("q1", 2), ("q2", 1), ("q3", 1)], xs)]
    summ = summary_table(verdict_table(vs, meta), meta).set_index("question")
    # q1 = [0,2,1,2], rest = q2+q3 = [1,1,2,2]: cov 0.5, ss 2.75 and 1 -> 0.5 / sqrt(2.75)
    assert summ.loc["q1", "discrimination"] == pytest.approx(round(0.5 / math.sqrt(2.75), 4))
    assert summ.loc["q1", "discrimination"] == pytest.approx(0.3015)
    assert math.isnan(summ.loc["q3", "discrimination"])  # zero variance: undefined
    write_outdir(verdict_table(vs, meta), meta, tmp_path / "o")
    rows = list(csv.DictReader(io.StringIO((tmp_path / "o" / "summary.csv").read_text())))
    assert rows[0]["discrimination"] == "0.3015"
    assert rows[2]["discrimination"] == ""  # NaN is written as an empty cell


# ---------------------------------------------------------------------------------------------
# wrong_answers.csv and lowest_questions
# ---------------------------------------------------------------------------------------------


def test_wrong_answers_grouped_by_meaning(outdir: Path) -> None:
    df = _csv(outdir / "wrong_answers.csv")
    assert list(df.columns) == ["question", "group", "count", "share", "representative", "examples",
                                "matched_mistake"]
    grad = df[df.question == "grad"]
    assert grad["group"].tolist() == ["1", "2"]
    assert grad["count"].tolist() == ["3", "1"]  # three spellings, one meaning
    first = grad.iloc[0]
    assert first["representative"] == "f(1+f)"  # the shortest text
    assert first["examples"] == "f + f^2 | f(x)[1+f(x)]"
    assert first["share"] == "0.6"
    assert first["matched_mistake"] == "sign of f"
    assert grad.iloc[1]["representative"] == "f"
    # rubric order, then count descending; invalid answers and answers without a group never appear
    assert df["question"].tolist() == ["loss", "grad", "grad", "hess"]
    assert "X^T S X]" not in df["representative"].tolist()
    assert df.loc[df.question == "hess", "matched_mistake"].item() == "dropped weights"


def test_wrong_answer_representative_ties_break_lexicographically() -> None:
    meta = ReportMeta("t", (QuestionInfo("q", 1),))
    vs = [Verdict("a", "q", 0, 1, "incorrect", "", "b+a", "g"),
          Verdict("b", "q", 0, 1, "incorrect", "", "a+b", "g"),
          Verdict("c", "q", 0, 1, "incorrect", "", "b+a", "g"),
          Verdict("d", "q", 0, 1, "incorrect", "", "(a)+(b)", "g"),
          Verdict("e", "q", 0, 1, "invalid", "", "a+", "")]
    wrong = report.wrong_answers_table(verdict_table(vs, meta), meta)
    assert len(wrong) == 1
    row = wrong.iloc[0]
    assert row["representative"] == "a+b" and row["count"] == 4
    assert row["examples"] == "b+a | (a)+(b)"  # most frequent first
    assert row["share"] == pytest.approx(0.8)


def test_lowest_questions(table: pd.DataFrame) -> None:
    low = lowest_questions(table, META, k=2)
    assert list(low.columns) == ["question", "mean", "max_score", "share_correct", "top_wrong", "top_wrong_count"]
    assert low["question"].tolist() == ["grad", "hess"]  # 30% of max; hess ties code at 50%: rubric order
    assert low.iloc[0]["top_wrong"] == "f(1+f)" and low.iloc[0]["top_wrong_count"] == 3
    assert low.iloc[1]["top_wrong"] == "X^T X" and low.iloc[1]["top_wrong_count"] == 1
    everything = lowest_questions(table, META, k=10)
    assert everything["question"].tolist() == ["grad", "hess", "code", "loss"]
    assert everything.iloc[2]["top_wrong"] == ""  # code answers carry no group
    assert len(lowest_questions(table, META, k=10)) == 4


# ---------------------------------------------------------------------------------------------
# feedback files and plots
# ---------------------------------------------------------------------------------------------


def test_feedback_files_per_student(outdir: Path) -> None:
    files = sorted(p.name for p in (outdir / "feedback").iterdir())
    assert files == ["alice.md", "bob.md", "carol.md", "dave.md", "erin.md"]
    bob = (outdir / "feedback" / "bob.md").read_text(encoding="utf-8")
    assert bob.startswith("# HW3: logistic regression — bob\n")
    assert "## ✓ loss — 2 / 2 (correct)" in bob
    assert "## ✗ grad — 0 / 3 (incorrect)" in bob
    assert "## ~ hess — 0.5 / 1 (partial)" in bob
    assert "6 of 12 tests pass\nfirst failure: test_shape" in bob
    assert bob.index("loss") < bob.index("grad") < bob.index("hess") < bob.index("code")
    assert bob.rstrip().endswith("**Total: 4.5 / 10 (45%)**")
    for p in (outdir / "feedback").iterdir():
        text = p.read_text(encoding="utf-8")
        assert SECRET not in text
        assert "f(1+f)" not in text  # answers are not echoed either: only scores and feedback


def test_feedback_file_names_are_sanitised_and_unique(tmp_path: Path) -> None:
    meta = ReportMeta("t", (QuestionInfo("q", 1),))
    ids = ["../evil", "Ann", "ann", "con", "jo hn/smith", ".hidden", "ok_id-1.2"]
    vs = [Verdict(s, "q", 1, 1, "correct", f"feedback for {s}") for s in ids]
    write_outdir(verdict_table(vs, meta), meta, tmp_path / "o")
    fb = tmp_path / "o" / "feedback"
    names = sorted(p.name for p in fb.iterdir())
    assert len(names) == len(ids)
    assert len({n.lower() for n in names}) == len(ids)  # safe on case-insensitive file systems
    assert "ok_id-1.2.md" in names
    assert all(not n.startswith(".") and "/" not in n and " " not in n for n in names)
    assert not (tmp_path / "evil.md").exists() and not (tmp_path / "o" / "evil.md").exists()
    contents = {p.read_text(encoding="utf-8").split("\n")[0] for p in fb.iterdir()}
    assert "# t — ../evil" in contents


def test_importing_report_does_not_import_matplotlib() -> None:
    import subprocess
    import sys

    code = "import sys, grader.report; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plots_are_pngs(outdir: Path) -> None:
    for name in ("totals.png", "status_by_question.png"):
        data = (outdir / "plots" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"Software" not in data  # no matplotlib version stamp


# ---------------------------------------------------------------------------------------------
# load / regenerate / directory replacement
# ---------------------------------------------------------------------------------------------


def test_load_outdir_round_trips_the_table(outdir: Path, table: pd.DataFrame) -> None:
    loaded, meta, roster = load_outdir(outdir)
    assert meta == META and roster is None
    pd.testing.assert_frame_equal(loaded, report._normalise(table, META), check_dtype=False)


def test_regenerate_is_byte_identical(tmp_path: Path) -> None:
    vs = _verdicts() + [
        # ids and texts that trip naive CSV round trips
        Verdict("007", "loss", 2 / 3, 2, "partial", 'He said "maybe", then\r\nleft', " padded ", "g1"),
        Verdict("NA", "loss", 0, 2, "incorrect", "  leading spaces, trailing  ", "", "g1"),
        Verdict("zoë", "loss", 1e-9, 2, "incorrect", "ünïcödé — ✓", "≥ 0", "g2"),
    ]
    roster = pd.DataFrame({"student": ["alice", "bob", "carol", "dave", "erin", "007", "NA", "zoë", "yuri"],
                           "name": ["A", "B", "C", "D", "E", "Bond", "N/A", "Zoë", "Y"]})
    table, warnings = apply_roster(verdict_table(vs, META), META, roster)
    assert warnings == []
    out = tmp_path / "out"
    write_outdir(table, META, out, roster)
    before = _tree(out)
    assert "roster.csv" in before and "plots/totals.png" in before
    regenerate(out)
    after = _tree(out)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name


def test_regenerate_without_run_json_infers_questions(outdir: Path) -> None:
    (outdir / "run.json").unlink()
    regenerate(outdir)
    meta = ReportMeta.from_json((outdir / "run.json").read_text(encoding="utf-8"))
    assert meta.question_ids == ["loss", "grad", "hess", "code"]
    assert [q.points for q in meta.questions] == [2, 3, 1, 4]
    assert list(_csv(outdir / "grades.csv").columns)[1:5] == ["loss", "grad", "hess", "code"]


def test_refuses_to_replace_a_directory_that_is_not_ours(tmp_path: Path, table: pd.DataFrame) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / "thesis.tex").write_text("years of work")
    with pytest.raises(UnsafeOutputDirError, match="does not look like a grader output directory"):
        write_outdir(table, META, home)
    assert (home / "thesis.tex").read_text() == "years of work"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]  # no temp dirs left behind
    afile = tmp_path / "file.txt"
    afile.write_text("x")
    with pytest.raises(UnsafeOutputDirError, match="not a directory"):
        write_outdir(table, META, afile)


def test_empty_existing_dir_is_fine(tmp_path: Path, table: pd.DataFrame) -> None:
    out = tmp_path / "empty"
    out.mkdir()
    write_outdir(table, META, out)
    assert (out / "details.csv").is_file()


def test_second_write_replaces_the_whole_directory(outdir: Path, table: pd.DataFrame) -> None:
    (outdir / "stray.txt").write_text("old")
    (outdir / "feedback" / "zed.md").write_text("from an older run")
    write_outdir(table[table.student != "erin"], META, outdir)
    assert not (outdir / "stray.txt").exists()
    assert not (outdir / "feedback" / "zed.md").exists()
    assert not (outdir / "feedback" / "erin.md").exists()
    assert sorted(p.name for p in outdir.parent.iterdir()) == ["out"]  # no .out.old-* / .out.tmp-*


def test_failed_write_leaves_previous_output_untouched(outdir: Path, table: pd.DataFrame,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    before = _tree(outdir)

    def boom(*args: object) -> None:
        raise RuntimeError("killed mid-run")

    monkeypatch.setattr(report, "draw_plots", boom)
    with pytest.raises(RuntimeError, match="killed mid-run"):
        write_outdir(table.assign(score=0.0), META, outdir)
    assert _tree(outdir) == before
    assert sorted(p.name for p in outdir.parent.iterdir()) == ["out"]


def test_output_dir_gets_normal_permissions(outdir: Path) -> None:
    # mkdtemp would have made it 0700; a normal mkdir honours the umask.
    umask = os.umask(0)
    os.umask(umask)
    assert outdir.stat().st_mode & 0o777 == 0o777 & ~umask


def test_empty_run_writes_headers_only(tmp_path: Path) -> None:
    write_outdir(verdict_table([], META), META, tmp_path / "o")
    out = tmp_path / "o"
    assert (out / "details.csv").read_text() == "student,question,score,max_score,status,feedback\n"
    assert (out / "grades.csv").read_text().splitlines()[0] == \
        "student,loss,grad,hess,code,total,max_total,percent"
    assert len((out / "summary.csv").read_text().splitlines()) == 5
    assert (out / "plots" / "totals.png").is_file()
    regenerate(out)


# ---------------------------------------------------------------------------------------------
# roster
# ---------------------------------------------------------------------------------------------


def test_roster_adds_missing_students_and_warns_about_unknown(tmp_path: Path, table: pd.DataFrame) -> None:
    path = _write_text(tmp_path / "roster.csv",
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
    grades = _csv(out / "grades.csv")
    assert grades["student"].tolist() == ["alice", "bob", "carol", "dave", "erin", "frank"]
    assert list(grades.columns) == ["student", "loss", "grad", "hess", "code", "total", "max_total", "percent"]
    assert _csv(out / "roster.csv")["student"].tolist() == ["alice", "bob", "carol", "dave", "frank"]


def test_roster_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "roster.csv", "student,name\nalice,A\nbob,B\n\nalice,A again\n")
    with pytest.raises(ValueError) as err:
        read_roster(path)
    assert str(err.value) == "roster.csv:5: duplicate student id 'alice' (first on line 2)"


def test_roster_empty_id_and_missing_column_errors(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "r.csv", "login,name\nalice,A\n   ,Nobody\n")
    with pytest.raises(ValueError, match=r"^r\.csv:3: empty student id"):
        read_roster(path)
    path = _write_text(tmp_path / "r2.csv", "Full Name,E-mail\nAlice,a@x\n")
    with pytest.raises(ValueError, match=r"no student id column.*'Full Name', 'E-mail'"):
        read_roster(path)


def test_roster_with_bom_and_alternative_id_headers(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "r.csv", "Student_ID,Name,SIS User ID,ID\ns1,Ann,900,12\ns2,Bo,901,13\n",
                       encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    roster, warnings = read_roster(path)
    assert warnings == []
    assert roster["student"].tolist() == ["s1", "s2"]
    assert roster["sis_id"].tolist() == ["900", "901"]
    assert roster["id"].tolist() == ["12", "13"]  # a separate `id` column is the LMS id


def test_roster_latin1_is_read_with_a_warning(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "r.csv", "login,name\nzoe,Zoë Müller\n", encoding="latin-1")
    roster, warnings = read_roster(path)
    assert roster["name"].tolist() == ["Zoë Müller"]
    assert roster["login"].tolist() == ["zoe"]  # the key column was the login
    assert len(warnings) == 1 and "Latin-1" in warnings[0]


def test_roster_quoted_multiline_field_keeps_line_numbers(tmp_path: Path) -> None:
    path = _write_text(tmp_path / "r.csv", 'id,name\na,"two\nlines"\nb,B\na,again\n')
    with pytest.raises(ValueError, match=r"^r\.csv:5: duplicate student id 'a' \(first on line 2\)$"):
        read_roster(path)


# ---------------------------------------------------------------------------------------------
# exports
# ---------------------------------------------------------------------------------------------


def test_canvas_export(tmp_path: Path, table: pd.DataFrame) -> None:
    roster = pd.DataFrame({"student": ["alice", "bob"], "name": ["Alice A", "Bob, Jr."],
                           "sis_id": ["900", "901"], "section": ["A1", "A2"], "email": ["a@x.edu", ""],
                           "id": ["11", ""], "login": ["", ""]})
    out = tmp_path / "out"
    write_outdir(apply_roster(table, META, roster)[0], META, out, roster)
    path = export_canvas(out, "HW3 (4521)")
    assert path == out / "exports" / "canvas.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "Student,ID,SIS User ID,SIS Login ID,Section,HW3 (4521)"
    assert lines[1] == "    Points Possible,,,,,10"
    rows = list(csv.reader(lines[2:]))
    assert rows[0] == ["Alice A", "11", "900", "a@x.edu", "A1", "10"]
    assert rows[1] == ["Bob, Jr.", "", "901", "bob", "A2", "4.5"]
    assert rows[4] == ["erin", "", "", "erin", "", "7.5"]  # not on the roster: id stands in
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


# ---------------------------------------------------------------------------------------------
# diff
# ---------------------------------------------------------------------------------------------


def test_diff_detects_changed_scores_and_students(tmp_path: Path, table: pd.DataFrame) -> None:
    old, new = tmp_path / "old", tmp_path / "new"
    write_outdir(table, META, old)
    changed = table.copy()
    mask = (changed.student == "bob") & (changed.question == "grad")
    changed.loc[mask, ["score", "status"]] = [3.0, "correct"]
    mask = (changed.student == "carol") & (changed.question == "code")
    changed.loc[mask, "status"] = "timeout"  # same score, different status
    changed = changed[changed.student != "dave"]
    extra = verdict_table([Verdict("zed", q.id, 0, q.points, "missing") for q in META.questions], META)
    write_outdir(pd.concat([changed, extra]), META, new)

    d = diff_outdirs(old, new)
    assert list(d.columns) == ["student", "question", "old_score", "new_score", "delta", "old_status",
                               "new_status", "change"]
    bob = d[d.student == "bob"]
    assert bob["question"].tolist() == ["grad", "(total)"]
    assert bob.iloc[0][["old_score", "new_score", "delta", "change"]].tolist() == [0.0, 3.0, 3.0, "score+status"]
    assert bob.iloc[1][["old_score", "new_score", "delta"]].tolist() == [4.5, 7.5, 3.0]
    assert d[(d.student == "carol") & (d.question == "code")]["change"].item() == "status"
    assert set(d.loc[(d.student == "dave") & (d.question != "(total)"), "change"]) == {"removed"}
    assert set(d.loc[(d.student == "zed") & (d.question != "(total)"), "change"]) == {"added"}
    assert "alice" not in set(d.student) and "erin" not in set(d.student)
    assert d["student"].tolist() == sorted(d["student"].tolist())
    assert diff_outdirs(old, old).empty
