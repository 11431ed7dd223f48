"""OUTDIR: the files written, reading them back, regenerating, replacing the directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pytest
from report_sample import META, SQ, read_csv, tree, verdicts

from grader import reports as report
from grader.reports import (
    QuestionInfo,
    ReportMeta,
    UnsafeOutputDirError,
    apply_roster,
    load_outdir,
    regenerate,
    verdict_table,
    write_outdir,
)
from grader.reports.table import normalise
from grader.verdict import Verdict


def test_details_csv_has_exactly_six_columns_in_order(outdir: Path) -> None:
    text = (outdir / "details.csv").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "student,question,score,max_score,status,feedback"
    df = read_csv(outdir / "details.csv")
    assert list(df.columns) == list(report.DETAILS_COLUMNS)
    assert len(df) == 20
    assert df["question"].tolist()[4:8] == ["loss", "grad", "hess", "code"]
    bob_code = df[(df.student == "bob") & (df.question == "code")].iloc[0]
    assert bob_code["feedback"] == "6 of 12 tests pass\nfirst failure: test_shape"  # survives quoting
    assert bob_code["score"] == "2" and bob_code["max_score"] == "4"
    assert "\r" not in text


def test_answers_csv_keeps_answer_group_and_mistake(outdir: Path) -> None:
    df = read_csv(outdir / "answers.csv")
    assert list(df.columns) == ["student", "question", "answer", "group", "mistake"]
    row = df[(df.student == "carol") & (df.question == "grad")].iloc[0]
    assert (row["answer"], row["group"], row["mistake"]) == ("f + f^2", SQ, "sign of f")


def test_number_formatting_is_fixed_and_never_negative_zero(tmp_path: Path) -> None:
    meta = ReportMeta("t", (QuestionInfo("q", 1),))
    vs = [Verdict("a", "q", 1 / 3, 1, "partial"), Verdict("b", "q", -0.0, 1, "incorrect"),
          Verdict("c", "q", -1e-7, 1, "incorrect"), Verdict("d", "q", 2 / 3, 1, "partial")]
    write_outdir(verdict_table(vs), meta, tmp_path / "o")
    df = read_csv(tmp_path / "o" / "details.csv")
    assert df["score"].tolist() == ["0.3333", "0", "0", "0.6667"]
    assert df["max_score"].tolist() == ["1"] * 4
    assert not any(v.startswith("-") for v in df["score"])


def test_run_json_is_stable_and_round_trips(outdir: Path) -> None:
    text = (outdir / "run.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert list(data) == sorted(data)
    assert [q["id"] for q in data["questions"]] == ["loss", "grad", "hess", "code"]
    assert ReportMeta.from_json(text) == META
    assert ReportMeta.from_json(text).to_json() == text


def test_importing_report_does_not_import_matplotlib() -> None:
    import subprocess
    import sys

    code = "import sys, grader.report, grader.reports.outdir; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_plots_are_pngs(outdir: Path) -> None:
    for name in ("totals.png", "status_by_question.png"):
        data = (outdir / "plots" / name).read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        assert b"Software" not in data  # no matplotlib version stamp


def test_load_outdir_round_trips_the_table(outdir: Path, table: pd.DataFrame) -> None:
    loaded, meta, roster = load_outdir(outdir)
    assert meta == META and roster is None
    pd.testing.assert_frame_equal(loaded, normalise(table, META), check_dtype=False)


def test_regenerate_is_byte_identical(tmp_path: Path) -> None:
    vs = verdicts() + [
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
    before = tree(out)
    assert "roster.csv" in before and "plots/totals.png" in before
    regenerate(out)
    after = tree(out)
    assert after.keys() == before.keys()
    for name in before:
        assert after[name] == before[name], name


def test_regenerate_without_run_json_infers_questions(outdir: Path) -> None:
    (outdir / "run.json").unlink()
    regenerate(outdir)
    meta = ReportMeta.from_json((outdir / "run.json").read_text(encoding="utf-8"))
    assert meta.question_ids == ["loss", "grad", "hess", "code"]
    assert [q.points for q in meta.questions] == [2, 3, 1, 4]
    assert list(read_csv(outdir / "grades.csv").columns)[1:5] == ["loss", "grad", "hess", "code"]


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
    before = tree(outdir)

    def boom(*args: object) -> None:
        raise RuntimeError("killed mid-run")

    monkeypatch.setattr("grader.reports.outdir.draw_plots", boom)
    with pytest.raises(RuntimeError, match="killed mid-run"):
        write_outdir(table.assign(score=0.0), META, outdir)
    assert tree(outdir) == before
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


def _without_plots(files: dict[str, bytes]) -> dict[str, bytes]:
    return {k: v for k, v in files.items() if not k.startswith("plots")}


def test_feedback_written_by_a_forked_process_is_the_same(tmp_path: Path, table: pd.DataFrame,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    """A large class's feedback files are written by a forked process while the CSV files are
    built: the same files as when this process writes them."""
    import grader.reports.outdir as outdir_module

    write_outdir(table, META, tmp_path / "here")
    monkeypatch.setattr(outdir_module, "FORK_FEEDBACK_FROM", 0)
    real = outdir_module.write_feedback
    writer = tmp_path / "writer-pid"

    def recorded(*args: object) -> None:
        writer.write_text(str(os.getpid()))
        real(*args)

    monkeypatch.setattr(outdir_module, "write_feedback", recorded)
    write_outdir(table, META, tmp_path / "forked")
    assert int(writer.read_text()) != os.getpid()
    assert _without_plots(tree(tmp_path / "forked")) == _without_plots(tree(tmp_path / "here"))
    assert len(list((tmp_path / "forked" / "feedback").iterdir())) == table["student"].nunique()


def test_a_failed_feedback_process_fails_the_write_and_keeps_the_old_output(
        outdir: Path, table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    import grader.reports.outdir as outdir_module

    before = tree(outdir)
    monkeypatch.setattr(outdir_module, "FORK_FEEDBACK_FROM", 0)

    def broken(*args: object) -> None:
        raise PermissionError("disk says no")

    monkeypatch.setattr(outdir_module, "write_feedback", broken)
    with pytest.raises(OSError, match="feedback files could not be written"):
        write_outdir(table.assign(score=0.0), META, outdir)
    assert tree(outdir) == before
    assert sorted(p.name for p in outdir.parent.iterdir()) == ["out"]


def test_an_interrupted_write_stops_the_feedback_process_and_keeps_the_old_output(
        outdir: Path, table: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C while the CSV files are built: the forked feedback writer is stopped before the
    half-made folder is removed, and the previous OUTDIR stays as it was."""
    import multiprocessing

    import grader.reports.outdir as outdir_module

    before = tree(outdir)
    monkeypatch.setattr(outdir_module, "FORK_FEEDBACK_FROM", 0)

    def interrupted(*args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(outdir_module, "_write_csv_files", interrupted)
    with pytest.raises(KeyboardInterrupt):
        write_outdir(table.assign(score=0.0), META, outdir)
    assert tree(outdir) == before
    assert sorted(p.name for p in outdir.parent.iterdir()) == ["out"]
    assert not [p for p in multiprocessing.active_children() if p.name == "grader-feedback"]
