"""feedback/<student>.md files."""

from __future__ import annotations

from pathlib import Path

from report_sample import SECRET

from grader.reports import (
    QuestionInfo,
    ReportMeta,
    verdict_table,
    write_outdir,
)
from grader.verdict import Verdict


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
