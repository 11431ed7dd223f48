"""What ``grader grade`` prints: the lowest-scoring questions with their most common wrong answer
or failure, in an 80-column terminal."""

from __future__ import annotations

from gradebook_course import run, small_rubric
from lms_folders import put

from grader.cli.render import lowest_rows
from grader.reports import QuestionInfo, ReportMeta, lowest_questions, verdict_table
from grader.verdict import Verdict


def test_the_summary_fits_80_columns(tmp_path):
    rubric = small_rubric(tmp_path / "r")
    long_wrong = "f(1+f)" + " + 0*x" * 60
    for name in ("ann", "ben", "cat"):
        put(tmp_path / "class" / f"{name}.yaml", f"answers:\n  q1.sigmoid: '{long_wrong}'\n")
    result = run("grade", rubric, tmp_path / "class", "-o", tmp_path / "out")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].endswith("(read as a plain folder, detected; choose with --layout)")
    lines = lines[1:]  # (the title names OUTDIR, whatever its length)
    assert all(len(line) <= 80 for line in lines), max(lines, key=len)
    row = next(line for line in lines if line.startswith("q1.sigmoid") and "…" in line)
    assert row.split()[4] == "3", "how many gave it"
    assert "f(1+f) + 0*x" in row


def test_code_questions_show_their_most_common_failure():
    meta = ReportMeta("t", (QuestionInfo("p1.sigmoid_grad", 4, "function"),))
    vs = [Verdict(s, "p1.sigmoid_grad", 0, 4, "error", "no function named `sigmoid_grad` in your files")
          for s in ("a", "b")] + [Verdict("c", "p1.sigmoid_grad", 4, 4, "correct", "correct")]
    header, rows = lowest_rows(lowest_questions(verdict_table(vs, meta), meta))
    assert header == ["question", "mean", "max", "correct", "n", "most common wrong answer"]
    assert rows[0][:5] == ["p1.sigmoid_grad", "1.33", "4", "33%", "2"]
    assert rows[0][5].startswith("no function named `sigmoid_grad`") and rows[0][5].endswith("…")
    assert len("  ".join(rows[0])) <= 80
    _, wide = lowest_rows(lowest_questions(verdict_table(vs, meta), meta), width=120)
    assert wide[0][5] == "no function named `sigmoid_grad` in your files"
