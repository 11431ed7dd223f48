"""grader diff: changed scores between two runs."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from report_sample import META

from grader.reports import (
    diff_outdirs,
    verdict_table,
    write_outdir,
)
from grader.verdict import Verdict


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
                               "new_status", "change", "override"]
    assert set(d["override"]) == {""}
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
