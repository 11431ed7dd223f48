"""The tidy table and the tables derived from it: grades, summary, wrong answers, lowest."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from report_sample import META, read_csv

from grader import reports as report
from grader.reports import (
    QuestionInfo,
    ReportMeta,
    lowest_questions,
    summary_table,
    verdict_table,
    write_outdir,
)
from grader.verdict import Verdict


def test_verdict_table_is_tidy_and_sorted(table: pd.DataFrame) -> None:
    assert tuple(table.columns) == report.TABLE_COLUMNS
    assert len(table) == 20
    assert table["student"].tolist() == [s for s in ["alice", "bob", "carol", "dave", "erin"] for _ in range(4)]
    assert table["question"].tolist()[:4] == ["loss", "grad", "hess", "code"]


def test_grades_csv_columns_order_and_totals(outdir: Path) -> None:
    df = read_csv(outdir / "grades.csv")
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


def test_wrong_answers_grouped_by_meaning(outdir: Path) -> None:
    df = read_csv(outdir / "wrong_answers.csv")
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
    # Code answers carry no group: their most common failure stands in (ties: by wording).
    assert everything.iloc[2]["top_wrong"] == "6 of 12 tests pass"
    assert everything.iloc[2]["top_wrong_count"] == 1
    assert everything.iloc[3]["top_wrong"] == "log(p)"
    assert len(lowest_questions(table, META, k=10)) == 4


def test_lowest_questions_count_a_code_failure_whatever_its_numbers() -> None:
    meta = ReportMeta("t", (QuestionInfo("p", 4, "function"),))
    vs = [Verdict("a", "p", 0, 4, "incorrect", "wrong at x = 0.7: your function returned 1.5\nmore"),
          Verdict("b", "p", 0, 4, "incorrect", "wrong at x = -2.25: your function returned 3"),
          Verdict("c", "p", 0, 4, "error", "no function named `f` in your files"),
          Verdict("d", "p", 0, 4, "missing", "no .py file submitted"),
          Verdict("e", "p", 0, 4, "missing", "no .py file submitted"),
          Verdict("f", "p", 4, 4, "correct", "correct")]
    low = lowest_questions(verdict_table(vs, meta), meta)
    assert low.iloc[0]["top_wrong_count"] == 2, "missing files are not the failure to show"
    assert low.iloc[0]["top_wrong"].startswith("wrong at x = ")
    assert "\n" not in low.iloc[0]["top_wrong"]


def test_duplicate_verdicts_are_an_error(tmp_path: Path) -> None:
    vs = [Verdict("a", "loss", 1, 2, "partial"), Verdict("a", "loss", 2, 2, "correct")]
    with pytest.raises(ValueError, match="more than one verdict"):
        write_outdir(verdict_table(vs, META), META, tmp_path / "o")


# -- verdicts held as columns (VerdictColumns) --------------------------------------------------

def _some_verdicts():
    from grader.verdict import Verdict

    return [Verdict("bob", "q2", 1.0, 2.0, "partial", "half", "x+1", "q2#1", "slip"),
            Verdict("ann", "q1", 0.0, 1.0, "missing", "no answer"),
            Verdict("ann", "q2", 2.0, 2.0, "correct", "correct", "2*x"),
            Verdict("bob", "q1", 1.0, 1.0, "correct", "", "1")]


def test_verdict_columns_read_as_the_verdicts_they_hold():
    from grader.verdict import VerdictColumns

    verdicts = _some_verdicts()
    columns = VerdictColumns(verdicts)
    assert len(columns) == 4
    assert list(columns) == verdicts and columns == verdicts
    assert columns[1] == verdicts[1] and columns[-1] == verdicts[-1] and columns[1:3] == verdicts[1:3]
    assert columns != verdicts[:3]
    assert columns.columns["status"] == ["partial", "missing", "correct", "correct"]


def test_verdict_table_from_columns_equals_the_table_from_verdicts():
    from grader.reports import verdict_table
    from grader.verdict import VerdictColumns

    verdicts = _some_verdicts()
    fast = verdict_table(VerdictColumns(verdicts))
    slow = verdict_table(verdicts)
    pd.testing.assert_frame_equal(fast, slow)
    assert fast["student"].tolist() == ["ann", "ann", "bob", "bob"]


@pytest.mark.parametrize("seed", range(20))
def test_canonical_order_is_the_sort_whether_or_not_the_table_is_sorted_already(seed):
    import numpy as np

    from grader.reports.meta import QuestionInfo, ReportMeta
    from grader.reports.table import in_canonical_order

    rng = np.random.default_rng(seed)
    meta = ReportMeta(title="t", questions=tuple(QuestionInfo(q, 1.0) for q in ("q2", "q10", "q1")))
    students = [f"s{i}" for i in rng.integers(0, 6, size=12)]
    questions = list(rng.choice(["q1", "q2", "q10", "extra"], size=12))
    df = pd.DataFrame({"student": students, "question": questions, "n": range(12)})
    order = {"q2": 0, "q10": 1, "q1": 2, "extra": 3}
    expected = sorted(range(12), key=lambda i: (students[i], order[questions[i]], i))
    assert in_canonical_order(df, meta)["n"].tolist() == expected
    ordered = df.iloc[expected].drop_duplicates(["student", "question"])
    again = in_canonical_order(ordered, meta)
    assert again["n"].tolist() == ordered["n"].tolist() and list(again.index) == list(range(len(again)))
