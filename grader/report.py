"""Turn verdicts into the tidy verdict table and every file derived from it.

An output directory (OUTDIR) holds::

    details.csv        student,question,score,max_score,status,feedback   (the source of truth)
    answers.csv        student,question,answer,group,mistake              (for wrong-answer grouping)
    run.json           ReportMeta: title, questions in rubric order, seed, rubric path
    roster.csv         normalised roster, only when a roster was applied
    grades.csv         one row per student, one column per question, total, max_total, percent
    summary.csv        one row per question: mean, median, status shares, discrimination
    wrong_answers.csv  wrong answers grouped by meaning (the ``group`` key), largest first
    feedback/<id>.md   one file per student
    plots/*.png        totals histogram, status shares per question
    exports/           written only by export_canvas / export_gradescope

Everything is deterministic: the same table and meta give byte-identical files, so
``regenerate`` (which re-reads details.csv, answers.csv, run.json and roster.csv) reproduces the
directory exactly. The directory is always replaced as a whole (built next to it, then swapped in
with renames), so a killed run never leaves half-written files or a mix of two runs.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import os
import re
import secrets
import shutil
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from grader.plots import Plotter, draw_plots
from grader.verdict import CORRECT, INCORRECT, MISSING, PARTIAL, STATUSES, Verdict

__all__ = [
    "TABLE_COLUMNS",
    "DETAILS_COLUMNS",
    "ANSWERS_COLUMNS",
    "ROSTER_COLUMNS",
    "QuestionInfo",
    "ReportMeta",
    "UnsafeOutputDirError",
    "verdict_table",
    "grades_table",
    "summary_table",
    "wrong_answers_table",
    "lowest_questions",
    "write_outdir",
    "load_outdir",
    "regenerate",
    "read_roster",
    "apply_roster",
    "export_canvas",
    "export_gradescope",
    "diff_outdirs",
    "DIFF_COLUMNS",
    "TOTAL_LABEL",
]

TABLE_COLUMNS: tuple[str, ...] = (
    "student", "question", "score", "max_score", "status", "feedback", "answer", "group", "mistake",
)
DETAILS_COLUMNS: tuple[str, ...] = TABLE_COLUMNS[:6]
ANSWERS_COLUMNS: tuple[str, ...] = ("student", "question", "answer", "group", "mistake")
#: Normalised roster columns; ``id`` is the LMS's own user id (Canvas "ID"), ``login`` the SIS login.
ROSTER_COLUMNS: tuple[str, ...] = ("student", "name", "email", "section", "sis_id", "id", "login")
WRONG_COLUMNS: tuple[str, ...] = (
    "question", "group", "count", "share", "representative", "examples", "matched_mistake",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    ("question", "max_score", "mean", "median") + STATUSES + ("discrimination",)
)
DIFF_COLUMNS: tuple[str, ...] = (
    "student", "question", "old_score", "new_score", "delta", "old_status", "new_status", "change",
)
#: Question label of the per-student total rows in ``diff_outdirs`` (parentheses keep it apart
#: from any plausible question id).
TOTAL_LABEL = "(total)"

_MARKS = {CORRECT: "✓", PARTIAL: "~"}  # anything else gets ✗
_WRONG_STATUSES = (INCORRECT, PARTIAL)
# Header spellings accepted for the student id, in order of preference: `id` comes last because
# in LMS exports it is usually the LMS's internal number, not the id submissions are filed under.
_ROSTER_KEYS = ("student", "student_id", "login", "id")
_ROSTER_ALIASES = {"sis_user_id": "sis_id", "e_mail": "email"}


class UnsafeOutputDirError(FileExistsError):
    """Refusal to replace a directory that does not look like one we wrote."""


# --------------------------------------------------------------------------------------------
# Metadata
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """One rubric question as the reports need it."""

    id: str
    points: float
    kind: str = ""

    def __post_init__(self) -> None:
        # Coerced so that run.json spells points the same way whether the rubric said 2 or 2.0.
        object.__setattr__(self, "points", float(self.points))


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What a run needs besides the verdicts to rebuild its reports (persisted as run.json)."""

    title: str
    questions: tuple[QuestionInfo, ...]
    seed: int = 0
    rubric: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(self.questions))

    @property
    def question_ids(self) -> list[str]:
        """Question ids in rubric order."""
        return [q.id for q in self.questions]

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, trailing newline)."""
        data = {
            "title": self.title,
            "seed": self.seed,
            "rubric": self.rubric,
            "questions": [{"id": q.id, "points": q.points, "kind": q.kind} for q in self.questions],
        }
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ReportMeta:
        """Parse what ``to_json`` wrote; missing optional keys get defaults."""
        data = json.loads(text)
        questions = tuple(
            QuestionInfo(id=str(q["id"]), points=float(q.get("points", 0.0)), kind=str(q.get("kind", "")))
            for q in data.get("questions", [])
        )
        return cls(
            title=str(data.get("title", "")),
            questions=questions,
            seed=int(data.get("seed", 0)),
            rubric=str(data.get("rubric", "")),
        )


# --------------------------------------------------------------------------------------------
# Number formatting: one formatter for every file so the bytes never depend on the code path
# --------------------------------------------------------------------------------------------


def _round4(values: Any) -> np.ndarray:
    """Round to 4 decimals; ``+ 0.0`` turns -0.0 into 0.0."""
    return np.round(np.asarray(values, dtype=float), 4) + 0.0


def _fmt(x: float) -> str:
    """4 decimals at most, trailing zeros dropped, never ``-0``; NaN is the empty string."""
    if x != x:
        return ""
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    s = f"{round(x, 4) + 0.0:.4f}".rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def _fmt_array(values: Any) -> list[str]:
    """``_fmt`` over many values, formatting each distinct value once."""
    arr = np.asarray(values, dtype=float)
    if arr.size == 0:
        return []
    uniq, inverse = np.unique(arr, return_inverse=True)
    strings = np.array([_fmt(u) for u in uniq], dtype=object)
    return strings[inverse.reshape(-1)].tolist()


def _parse_scores(values: pd.Series, what: str) -> np.ndarray:
    """Scores from CSV text ("" is NaN); a non-number is an error naming the file."""
    s = pd.Series(values, dtype=object).replace("", np.nan)
    try:
        return pd.to_numeric(s, errors="raise").to_numpy(dtype=float)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}: non-numeric score ({exc})") from None


# --------------------------------------------------------------------------------------------
# The tidy table
# --------------------------------------------------------------------------------------------


def _question_order(table: pd.DataFrame, meta: ReportMeta | None) -> list[str]:
    """Rubric order, then any question the rubric does not list in order of first appearance."""
    order = meta.question_ids if meta is not None else []
    known = set(order)
    extra = [q for q in pd.unique(table["question"]) if q not in known] if len(table) else []
    return order + [str(q) for q in extra]


def _normalise(table: pd.DataFrame, meta: ReportMeta | None) -> pd.DataFrame:
    """Exact columns, str/float dtypes, scores rounded to what the CSV keeps, canonical order.

    Rounding here (not only when formatting) is what makes ``regenerate`` byte-identical: totals
    and statistics are computed from the same numbers whether they come from verdicts or CSV.
    """
    df = pd.DataFrame(index=range(len(table)))
    for col in TABLE_COLUMNS:
        if col in ("score", "max_score"):
            src = table[col] if col in table else np.nan
            df[col] = _round4(pd.to_numeric(pd.Series(src, index=table.index), errors="raise"))
        elif col in table:
            df[col] = table[col].fillna("").astype(str).to_numpy()
        else:
            df[col] = ""
    bad = sorted(set(df["status"].unique()) - set(STATUSES))
    if bad:
        raise ValueError(f"unknown verdict status(es): {', '.join(map(repr, bad))}")
    qpos = pd.Index(_question_order(df, meta)).get_indexer(df["question"])
    df = df.iloc[np.lexsort((qpos, df["student"].to_numpy(dtype=object)))].reset_index(drop=True)
    # After sorting, a duplicate (student, question) pair can only sit right after its twin.
    s = df["student"].to_numpy(dtype=object)
    q = df["question"].to_numpy(dtype=object)
    dup = np.flatnonzero((s[1:] == s[:-1]) & (q[1:] == q[:-1]))
    if len(dup):
        raise ValueError(f"more than one verdict for student {s[dup[0]]!r}, question {q[dup[0]]!r}")
    return df


def verdict_table(verdicts: Iterable[Verdict], meta: ReportMeta | None = None) -> pd.DataFrame:
    """The tidy table: one row per student × question, sorted by student then rubric order.

    Without ``meta`` questions keep their order of first appearance.
    """
    vs = list(verdicts)
    data = {
        "student": [str(v.student) for v in vs],
        "question": [str(v.question) for v in vs],
        "score": [float(v.score) for v in vs],
        "max_score": [float(v.max_score) for v in vs],
        "status": [v.status for v in vs],
        "feedback": [v.feedback or "" for v in vs],
        "answer": [v.answer or "" for v in vs],
        "group": [v.group or "" for v in vs],
        "mistake": [v.mistake or "" for v in vs],
    }
    df = pd.DataFrame(data, columns=list(TABLE_COLUMNS))
    qpos = pd.Index(_question_order(df, meta)).get_indexer(df["question"])
    return df.iloc[np.lexsort((qpos, df["student"].to_numpy(dtype=object)))].reset_index(drop=True)


def _question_max(table: pd.DataFrame, meta: ReportMeta | None, order: Sequence[str]) -> pd.Series:
    """Max score per question: the largest max_score seen, else the rubric's points."""
    seen = table.groupby("question", sort=False)["max_score"].max()
    points = {q.id: q.points for q in meta.questions} if meta is not None else {}
    out = seen.reindex(list(order))
    return out.fillna(pd.Series(points, dtype=float).reindex(list(order))).fillna(0.0)


def _score_matrix(table: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Students × questions scores (NaN where a student has no row), students sorted."""
    if not len(table):
        return pd.DataFrame(index=pd.Index([], name="student", dtype=object), columns=list(order), dtype=float)
    piv = table.pivot(index="student", columns="question", values="score")
    return piv.reindex(columns=list(order)).sort_index()


def grades_table(table: pd.DataFrame, meta: ReportMeta | None = None) -> pd.DataFrame:
    """grades.csv: student, one column per question (rubric order), total, max_total, percent."""
    return _grades(table, meta, _score_matrix(table, _question_order(table, meta)))


def _grades(table: pd.DataFrame, meta: ReportMeta | None, piv: pd.DataFrame) -> pd.DataFrame:
    order = _question_order(table, meta)
    max_total = float(_round4(_question_max(table, meta, order).sum()))
    total = _round4(piv.to_numpy().sum(axis=1, where=~np.isnan(piv.to_numpy()))) if len(piv) else np.array([])
    out = piv.reset_index()
    out.columns = ["student"] + list(order)
    out["total"] = total
    out["max_total"] = max_total
    out["percent"] = _round4(100.0 * total / max_total) if max_total > 0 else np.nan
    return out


def summary_table(table: pd.DataFrame, meta: ReportMeta | None = None) -> pd.DataFrame:
    """summary.csv: per question max_score, mean, median, status shares, discrimination.

    Discrimination is the Pearson correlation, across students, of the question's score with the
    rest of the total (total minus this question); a student without a row counts 0. It is NaN
    when either side has zero variance or there are fewer than two students.
    """
    return _summary(table, meta, _score_matrix(table, _question_order(table, meta)))


def _summary(table: pd.DataFrame, meta: ReportMeta | None, piv: pd.DataFrame) -> pd.DataFrame:
    order = _question_order(table, meta)
    stats = table.groupby("question", sort=False)["score"].agg(["mean", "median"]).reindex(order)
    # Status counts per question by bincount on integer codes: far cheaper than pd.crosstab.
    qcode = pd.Index(order).get_indexer(table["question"])
    scode = pd.Index(STATUSES).get_indexer(table["status"])
    ns = len(STATUSES)
    counts = np.bincount(qcode * ns + scode, minlength=len(order) * ns).reshape(len(order), ns)
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.nan_to_num(counts / counts.sum(axis=1, keepdims=True))
    scores = piv.fillna(0.0).to_numpy()
    disc = _discrimination(scores)
    out = pd.DataFrame({
        "question": order,
        "max_score": _question_max(table, meta, order).to_numpy(),
        "mean": _round4(stats["mean"].to_numpy()),
        "median": _round4(stats["median"].to_numpy()),
    })
    for i, status in enumerate(STATUSES):
        out[status] = _round4(share[:, i])
    out["discrimination"] = _round4(disc)
    return out


def _discrimination(scores: np.ndarray) -> np.ndarray:
    """Column-wise corr(score_q, total - score_q); NaN for constant columns."""
    n, k = scores.shape
    if n < 2 or k == 0:
        return np.full(k, np.nan)
    rest = scores.sum(axis=1, keepdims=True) - scores
    # Exact-constant test: a mean of equal floats can differ from them by an ulp, which would
    # otherwise turn "no variance" into a correlation of noise.
    flat = (np.ptp(scores, axis=0) == 0) | (np.ptp(rest, axis=0) == 0)
    sc = scores - scores.mean(axis=0)
    rc = rest - rest.mean(axis=0)
    den = np.sqrt((sc * sc).sum(axis=0) * (rc * rc).sum(axis=0))
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (sc * rc).sum(axis=0) / den
    r[flat | ~np.isfinite(r)] = np.nan
    return np.clip(r, -1.0, 1.0)


def wrong_answers_table(table: pd.DataFrame, meta: ReportMeta | None = None) -> pd.DataFrame:
    """wrong_answers.csv: incorrect/partial answers grouped by meaning (``group``), not text.

    Groups are numbered 1, 2, … per question by descending count (ties: representative text).
    ``representative`` is the shortest text (ties lexicographic); ``examples`` up to three other
    distinct texts, most frequent first; ``matched_mistake`` the most common rubric mistake label.
    """
    order = _question_order(table, meta)
    n_students = table["student"].nunique()
    w = table.loc[table["status"].isin(_WRONG_STATUSES) & (table["group"] != ""),
                  ["question", "group", "answer", "mistake"]]
    if w.empty:
        return pd.DataFrame({c: pd.Series(dtype=object) for c in WRONG_COLUMNS})
    keys = ["question", "group"]
    texts = w.groupby(["question", "group", "answer"], sort=False).size().rename("n").reset_index()
    texts["len"] = texts["answer"].str.len()
    texts = texts.sort_values(keys + ["len", "answer"], kind="stable")
    first = texts.groupby(keys, sort=False).cumcount() == 0
    reps = texts.loc[first].set_index(keys)["answer"]
    counts = texts.groupby(keys, sort=False)["n"].sum()
    others = texts.loc[~first].sort_values(keys + ["n", "len", "answer"],
                                           ascending=[True, True, False, True, True], kind="stable")
    others = others.loc[others.groupby(keys, sort=False).cumcount() < 3]
    examples = others.groupby(keys, sort=False)["answer"].agg(" | ".join)
    marked = w.loc[w["mistake"] != ""]
    if len(marked):
        m = marked.groupby(keys + ["mistake"], sort=False).size().rename("n").reset_index()
        m = m.sort_values(keys + ["n", "mistake"], ascending=[True, True, False, True], kind="stable")
        mistakes = m.drop_duplicates(keys).set_index(keys)["mistake"]
    else:
        mistakes = pd.Series(dtype=object)
    out = pd.DataFrame({"count": counts})
    out["representative"] = reps.reindex(out.index)
    out["examples"] = examples.reindex(out.index).fillna("")
    out["matched_mistake"] = mistakes.reindex(out.index).fillna("") if len(mistakes) else ""
    out = out.reset_index()
    out["_q"] = out["question"].map({q: i for i, q in enumerate(order)})
    out = out.sort_values(["_q", "count", "representative", "group"],
                          ascending=[True, False, True, True], kind="stable")
    out["group"] = out.groupby("_q", sort=False).cumcount() + 1
    out["share"] = _round4(out["count"].to_numpy() / max(n_students, 1))
    return out[list(WRONG_COLUMNS)].reset_index(drop=True)


def lowest_questions(table: pd.DataFrame, meta: ReportMeta | None = None, k: int = 3) -> pd.DataFrame:
    """The k questions with the lowest mean (as a fraction of max), with their largest wrong group.

    Columns: question, mean, max_score, share_correct, top_wrong (representative text of the
    largest wrong-answer group, "" if none), top_wrong_count. Ties keep rubric order.
    """
    order = _question_order(table, meta)
    summ = summary_table(table, meta)
    wrong = wrong_answers_table(table, meta)
    top = wrong.loc[wrong["group"] == 1].set_index("question") if len(wrong) else pd.DataFrame(
        columns=["representative", "count"])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = summ["mean"].to_numpy(dtype=float) / summ["max_score"].to_numpy(dtype=float)
    out = pd.DataFrame({
        "question": summ["question"],
        "mean": summ["mean"],
        "max_score": summ["max_score"],
        "share_correct": summ[CORRECT],
        "top_wrong": summ["question"].map(top["representative"]).fillna("") if len(top) else "",
        "top_wrong_count": summ["question"].map(top["count"]).fillna(0).astype(int) if len(top) else 0,
        "_frac": np.where(np.isfinite(frac), frac, np.inf),
        "_q": range(len(order)),
    })
    out = out.sort_values(["_frac", "_q"], kind="stable").head(k)
    return out.drop(columns=["_frac", "_q"]).reset_index(drop=True)


# --------------------------------------------------------------------------------------------
# Writing files
# --------------------------------------------------------------------------------------------


def _csv_bytes(header: Sequence[str], columns: Sequence[Sequence[str]]) -> bytes:
    """CSV of string columns: quoted only when needed (like csv.QUOTE_MINIMAL), ``\\n`` line ends.

    Hand-rolled because it beats csv.writer here: report columns repeat the same
    few values (question ids, statuses, scores, feedback), so each distinct value is quoted once.
    """
    def quoted(values: Sequence[str]) -> Sequence[str]:
        cache = {v: q for v in set(values) if (q := _csv_field(v)) is not v}
        return [cache.get(v, v) for v in values] if cache else values

    lines = [",".join(_csv_field(h) for h in header)]
    lines += map(",".join, zip(*(quoted(c) for c in columns)))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _csv_field(v: str) -> str:
    if "," in v or '"' in v or "\n" in v or "\r" in v:
        return '"' + v.replace('"', '""') + '"'
    return v


def _strs(values: Any) -> list[str]:
    return [str(v) for v in values]


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _spreadsheet_safe(values: Any) -> list[str]:
    """Student text for a file meant to be opened in a spreadsheet: a leading ``'`` keeps a cell
    such as ``=HYPERLINK(...)`` (or ``-2+cmd|...``) from being run as a formula."""
    return [f"'{v}" if str(v).startswith(_FORMULA_START) else str(v) for v in values]


def _write_new(path: Path | str, data: bytes) -> None:
    """Create ``path`` (it must not exist) with ``data``; raw os calls because 10k of these add up."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
    finally:
        os.close(fd)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write via a temporary sibling and ``os.replace`` so readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    while True:
        tmp = path.with_name(f".{path.name}.tmp-{secrets.token_hex(4)}")
        try:
            _write_new(tmp, data)
            break
        except FileExistsError:
            continue
    try:
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


_UNSAFE_CHARS = re.compile(r"[^A-Za-z0-9._-]")
_WINDOWS_RESERVED = {"con", "prn", "aux", "nul"} | {f"{p}{i}" for p in ("com", "lpt") for i in range(1, 10)}


def _safe_names(students: Iterable[str]) -> dict[str, str]:
    """File-name stem per student id: ASCII-safe, unique even on case-insensitive file systems.

    Ids that had to be altered (or collide ignoring case) get a short hash of the original id
    appended, so two different ids never share a file and the name stays recognisable.
    """
    def digest(s: str) -> str:
        return hashlib.sha1(s.encode("utf-8")).hexdigest()[:8]

    names: dict[str, str] = {}
    for s in students:
        base = _UNSAFE_CHARS.sub("_", s)[:80]
        if base.startswith("."):
            base = "_" + base[1:]
        if base != s or not base or base.split(".")[0].lower() in _WINDOWS_RESERVED:
            base = f"{base}-{digest(s)}"
        names[s] = base
    by_lower: dict[str, list[str]] = {}
    for s, n in names.items():
        by_lower.setdefault(n.lower(), []).append(s)
    for group in by_lower.values():
        if len(group) > 1:
            for s in group:
                names[s] = f"{names[s]}-{digest(s)}"
    return names


def _feedback_files(table: pd.DataFrame, grades: pd.DataFrame, meta: ReportMeta,
                    score_s: list[str] | None = None, max_s: list[str] | None = None) -> dict[str, str]:
    """Markdown feedback per student id (only what the table holds: never a reference)."""
    n = len(table)
    if n == 0:
        return {}
    student = table["student"].to_numpy(dtype=object)
    score_s = _fmt_array(table["score"]) if score_s is None else score_s
    max_s = _fmt_array(table["max_score"]) if max_s is None else max_s
    lines = [
        f"## {_MARKS.get(st, '✗')} {q} — {sc} / {mx} ({st})\n\n" + (f"{fb}\n\n" if fb else "")
        for q, sc, mx, st, fb in zip(
            table["question"].tolist(), score_s, max_s, table["status"].tolist(), table["feedback"].tolist()
        )
    ]
    # Table rows are sorted by student, so each student's lines are one contiguous slice.
    starts = np.flatnonzero(np.r_[True, student[1:] != student[:-1]])
    ends = np.r_[starts[1:], n]
    g = grades.set_index("student")
    totals = dict(zip(g.index, _fmt_array(g["total"])))
    pcts = dict(zip(g.index, _fmt_array(g["percent"])))
    max_total = _fmt(float(grades["max_total"].iloc[0])) if len(grades) else "0"
    title = meta.title or "Feedback"
    out: dict[str, str] = {}
    for a, b in zip(starts.tolist(), ends.tolist()):
        s = student[a]
        pct = f" ({pcts[s]}%)" if pcts[s] else ""
        out[s] = (
            f"# {title} — {s}\n\n" + "".join(lines[a:b])
            + f"**Total: {totals[s]} / {max_total}{pct}**\n"
        )
    return out


def _plot_data(grades: pd.DataFrame, summary: pd.DataFrame) -> dict[str, Any]:
    """What the plots need, as plain arrays and lists (cheap to send to a plotting process)."""
    return {
        "totals": grades["total"].to_numpy(dtype=float),
        "max_total": float(grades["max_total"].iloc[0]) if len(grades) else 0.0,
        "labels": summary["question"].tolist(),
        "shares": {status: summary[status].to_numpy(dtype=float) for status in STATUSES},
    }


def _write_all(table: pd.DataFrame, meta: ReportMeta, d: Path, roster: pd.DataFrame | None,
               plotter: Plotter | None = None) -> None:
    """Every file of an output directory into the (fresh, empty) directory ``d``."""
    score_s = _fmt_array(table["score"])
    max_s = _fmt_array(table["max_score"])
    student = table["student"].tolist()
    question = table["question"].tolist()
    _write_new(d / "details.csv", _csv_bytes(DETAILS_COLUMNS, [
        student, question, score_s, max_s, table["status"].tolist(), table["feedback"].tolist(),
    ]))
    _write_new(d / "answers.csv", _csv_bytes(ANSWERS_COLUMNS, [
        student, question, table["answer"].tolist(), table["group"].tolist(), table["mistake"].tolist(),
    ]))
    _write_new(d / "run.json", meta.to_json().encode("utf-8"))
    if roster is not None:
        r = _normalise_roster(roster)
        _write_new(d / "roster.csv", _csv_bytes(ROSTER_COLUMNS, [r[c].tolist() for c in ROSTER_COLUMNS]))

    piv = _score_matrix(table, _question_order(table, meta))  # shared by grades and summary
    grades = _grades(table, meta, piv)
    _write_new(d / "grades.csv", _csv_bytes(
        [str(c) for c in grades.columns],
        [_strs(grades["student"])] + [_fmt_array(grades[c]) for c in grades.columns[1:]],
    ))
    summary = _summary(table, meta, piv)
    plot_data = _plot_data(grades, summary)
    (d / "plots").mkdir()
    if plotter is not None:
        plotter.request(plot_data, d / "plots")  # drawn elsewhere while the files below are written
    _write_new(d / "summary.csv", _csv_bytes(
        SUMMARY_COLUMNS, [_strs(summary["question"])] + [_fmt_array(summary[c]) for c in SUMMARY_COLUMNS[1:]],
    ))
    wrong = wrong_answers_table(table, meta)
    _write_new(d / "wrong_answers.csv", _csv_bytes(WRONG_COLUMNS, [
        _strs(wrong["question"]), _strs(wrong["group"]), _strs(wrong["count"]), _fmt_array(wrong["share"]),
        _spreadsheet_safe(wrong["representative"]), _spreadsheet_safe(wrong["examples"]),
        _spreadsheet_safe(wrong["matched_mistake"]),
    ]))

    (d / "feedback").mkdir()
    texts = _feedback_files(table, grades, meta, score_s, max_s)
    names = _safe_names(texts)
    fb_dir = str(d / "feedback")
    for s, text in texts.items():
        _write_new(f"{fb_dir}/{names[s]}.md", text.encode("utf-8"))  # str paths: Path() x10k adds up

    if plotter is not None:
        plotter.wait()
    else:
        draw_plots(plot_data, d / "plots")


def _looks_like_outdir(path: Path) -> bool:
    return (path / "run.json").is_file() or (path / "details.csv").is_file()


def _looks_like_gradescope_export(path: Path) -> bool:
    return all(p.is_dir() and [c.name for c in p.iterdir()] == ["results.json"] for p in path.iterdir())


def _replace_dir(target: Path, build: Callable[[Path], None], ours: Callable[[Path], bool], what: str) -> None:
    """Build a directory with ``build`` in a fresh sibling, then swap it in for ``target``.

    Refuses (before writing anything) when ``target`` is a non-empty directory that ``ours`` does
    not recognise: `-o ~` must never cost anyone their home directory. The swap is two renames on
    the same file system; if killed between them, ``target`` is briefly absent and the complete
    old and new trees sit next to it as ``.NAME.old-*`` / ``.NAME.tmp-*`` (never a mix).
    """
    target = Path(os.path.abspath(target))
    if target.is_symlink():
        target = Path(os.path.realpath(target))  # replace the directory it points to, keep the link
    if target.parent == target or not target.name:
        raise UnsafeOutputDirError(f"refusing to use {target} as {what}")
    if target.exists() or target.is_symlink():
        if not target.is_dir():
            raise UnsafeOutputDirError(f"{target} exists and is not a directory")
        if any(target.iterdir()) and not ours(target):
            raise UnsafeOutputDirError(
                f"refusing to replace {target}: it is not empty and does not look like {what}; "
                f"choose a new or empty directory"
            )
    parent = target.parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = _fresh_sibling(target, "tmp", create=True)
    try:
        build(tmp)
        if os.path.lexists(target):
            old = _fresh_sibling(target, "old", create=False)
            os.rename(target, old)
            try:
                os.rename(tmp, target)
            except BaseException:
                os.rename(old, target)
                raise
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _fresh_sibling(target: Path, tag: str, *, create: bool) -> Path:
    """An unused hidden sibling path ``.NAME.TAG-xxxxxxxx`` (created as a directory if asked).

    os.mkdir rather than tempfile.mkdtemp: mkdtemp's 0700 mode would become OUTDIR's mode.
    """
    while True:
        p = target.with_name(f".{target.name}.{tag}-{secrets.token_hex(4)}")
        if create:
            try:
                os.mkdir(p)
            except FileExistsError:
                continue
            return p
        if not os.path.lexists(p):
            return p


def write_outdir(table: pd.DataFrame, meta: ReportMeta, outdir: Path, roster: pd.DataFrame | None = None,
                 plotter: Plotter | None = None) -> None:
    """Write every file of OUTDIR from the tidy table, replacing the directory as a whole.

    The roster is only saved (as roster.csv, for the exports); call ``apply_roster`` first to add
    the ``missing`` rows. Anything else in OUTDIR (``exports/`` included) is dropped.
    """
    norm = _normalise(table, meta)
    _replace_dir(Path(outdir), lambda d: _write_all(norm, meta, d, roster, plotter), _looks_like_outdir,
                 "a grader output directory (no run.json or details.csv)")


# --------------------------------------------------------------------------------------------
# Reading back
# --------------------------------------------------------------------------------------------


def _read_csv_strings(path: Path) -> pd.DataFrame:
    """A CSV we wrote, every cell as str ("" stays "", "NA" stays "NA", "007" stays "007")."""
    return pd.read_csv(path, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8")


def _read_details(outdir: Path) -> pd.DataFrame:
    path = Path(outdir) / "details.csv"
    if not path.is_file():
        raise FileNotFoundError(f"{outdir} is not a grader output directory (no details.csv)")
    df = _read_csv_strings(path)
    if tuple(df.columns) != DETAILS_COLUMNS:
        raise ValueError(f"{path}: expected columns {','.join(DETAILS_COLUMNS)}, found {','.join(df.columns)}")
    df["score"] = _parse_scores(df["score"], str(path))
    df["max_score"] = _parse_scores(df["max_score"], str(path))
    return df


def _infer_meta(table: pd.DataFrame, outdir: Path) -> ReportMeta:
    """Meta for a directory without run.json: questions in order of first appearance."""
    order = _question_order(table, None)
    maxes = _question_max(table, None, order)
    return ReportMeta(title=Path(outdir).name, questions=tuple(QuestionInfo(q, float(maxes[q])) for q in order))


def load_outdir(outdir: Path) -> tuple[pd.DataFrame, ReportMeta, pd.DataFrame | None]:
    """The table (details.csv joined with answers.csv), the meta and the roster (or None)."""
    outdir = Path(outdir)
    details = _read_details(outdir)
    answers_path = outdir / "answers.csv"
    if answers_path.is_file():
        answers = _read_csv_strings(answers_path)
        missing = set(ANSWERS_COLUMNS) - set(answers.columns)
        if missing:
            raise ValueError(f"{answers_path}: missing column(s) {', '.join(sorted(missing))}")
        answers = answers[list(ANSWERS_COLUMNS)].drop_duplicates(["student", "question"])
        table = details.merge(answers, on=["student", "question"], how="left")
    else:
        table = details
    for col in ("answer", "group", "mistake"):
        table[col] = table[col].fillna("") if col in table else ""
    meta_path = outdir / "run.json"
    meta = ReportMeta.from_json(meta_path.read_text(encoding="utf-8")) if meta_path.is_file() \
        else _infer_meta(table, outdir)
    roster_path = outdir / "roster.csv"
    roster = read_roster(roster_path)[0] if roster_path.is_file() else None
    return _normalise(table, meta), meta, roster


def regenerate(outdir: Path) -> None:
    """Rewrite every derived file of OUTDIR from its details/answers/run/roster files.

    Byte-identical to what ``write_outdir`` wrote for the same data. ``exports/`` is dropped
    (exports are derived too: run the export commands again).
    """
    table, meta, roster = load_outdir(Path(outdir))
    write_outdir(table, meta, Path(outdir), roster)


# --------------------------------------------------------------------------------------------
# Roster
# --------------------------------------------------------------------------------------------


def _norm_header(h: str) -> str:
    key = re.sub(r"[\s\-]+", "_", h.strip().lower())
    return _ROSTER_ALIASES.get(key, key)


def read_roster(path: Path) -> tuple[pd.DataFrame, list[str]]:
    """Read a roster CSV into ``ROSTER_COLUMNS`` (all str, sorted by student), plus warnings.

    The id column may be called student, student_id, login or id (case-insensitive; the first of
    those present wins, so a separate ``id`` column is kept as the LMS id). Encoding: UTF-8 with
    or without BOM, else Latin-1 with a warning. Errors name the file line (header = line 1).
    """
    path = Path(path)
    name = path.name
    raw = path.read_bytes()
    warnings: list[str] = []
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
        warnings.append(f"{name}: not valid UTF-8, read as Latin-1; check that accented names look right")
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    while header is not None and not any(h.strip() for h in header):
        header = next(reader, None)  # leading blank lines
    if header is None:
        raise ValueError(f"{name}: empty roster (no header line)")
    cols = [_norm_header(h) for h in header]
    key = next((k for k in _ROSTER_KEYS if k in cols), None)
    if key is None:
        found = ", ".join(repr(h.strip()) for h in header)
        raise ValueError(
            f"{name}:1: no student id column; expected one of {', '.join(_ROSTER_KEYS)} "
            f"(case-insensitive), found: {found}"
        )
    index = {c: cols.index(c) for c in ROSTER_COLUMNS[1:] if c in cols}
    index["student"] = cols.index(key)
    if key in index and key != "student":
        del index[key]  # the key column is the student id, not the LMS id / login column
    rows: dict[str, list[str]] = {c: [] for c in ROSTER_COLUMNS}
    first_line: dict[str, int] = {}
    line_end = reader.line_num
    for row in reader:
        line = line_end + 1  # the line the record starts on (quoted fields may span lines)
        line_end = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        cells = {c: (row[i].strip() if i < len(row) else "") for c, i in index.items()}
        sid = cells["student"]
        if not sid:
            raise ValueError(f"{name}:{line}: empty student id")
        if sid in first_line:
            raise ValueError(f"{name}:{line}: duplicate student id {sid!r} (first on line {first_line[sid]})")
        first_line[sid] = line
        for c in ROSTER_COLUMNS:
            rows[c].append(cells.get(c, ""))
    roster = pd.DataFrame(rows, columns=list(ROSTER_COLUMNS), dtype=object)
    if key == "login":
        roster["login"] = roster["student"]
    return roster.sort_values("student", kind="stable").reset_index(drop=True), warnings


def _normalise_roster(roster: pd.DataFrame) -> pd.DataFrame:
    """Exactly ``ROSTER_COLUMNS`` as str, sorted by student (for roster.csv and exports)."""
    df = pd.DataFrame({c: (roster[c].fillna("").astype(str).to_numpy() if c in roster else "")
                       for c in ROSTER_COLUMNS}, index=range(len(roster)))
    return df.sort_values("student", kind="stable").reset_index(drop=True)


def apply_roster(table: pd.DataFrame, meta: ReportMeta, roster: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """Add ``missing`` rows (score 0, "no submission") for roster students without a submission.

    Submissions from students not on the roster are kept (and graded) but listed in a warning.
    """
    have = set(table["student"].astype(str))
    listed = roster["student"].astype(str).tolist()
    absent = [s for s in listed if s not in have]
    unknown = sorted(have - set(listed))
    questions = meta.questions or tuple(
        QuestionInfo(q, float(m)) for q, m in _question_max(table, meta, _question_order(table, meta)).items()
    )
    add = pd.DataFrame({
        "student": np.repeat(np.array(absent, dtype=object), len(questions)),
        "question": [q.id for q in questions] * len(absent),
        "score": 0.0,
        "max_score": [q.points for q in questions] * len(absent),
        "status": MISSING,
        "feedback": "no submission",
        "answer": "",
        "group": "",
        "mistake": "",
    }, columns=list(TABLE_COLUMNS))
    base = _normalise(table, meta)
    merged = pd.concat([base, add], ignore_index=True) if len(add) else base
    warnings = []
    if unknown:
        shown = ", ".join(unknown[:20]) + (f", … ({len(unknown) - 20} more)" if len(unknown) > 20 else "")
        warnings.append(f"{len(unknown)} submission(s) from students not on the roster (still graded): {shown}")
    return _normalise(merged, meta), warnings


# --------------------------------------------------------------------------------------------
# Exports
# --------------------------------------------------------------------------------------------


def _roster_for(students: pd.Series, roster: pd.DataFrame | None) -> pd.DataFrame:
    """Roster fields aligned with ``students`` ("" where a student is not on the roster)."""
    r = _normalise_roster(roster if roster is not None else pd.DataFrame(columns=list(ROSTER_COLUMNS)))
    return r.set_index("student").reindex(students.to_numpy()).fillna("").reset_index(drop=True)


def export_canvas(outdir: Path, assignment: str, dest: Path | None = None) -> Path:
    """A Canvas gradebook import CSV with each student's total; returns its path.

    Columns: Student (roster name, else the id), ID (the roster's separate ``id`` column, else
    empty), SIS User ID, SIS Login ID (login, else email, else the id), Section, and the
    assignment (``"HW1 (12345)"`` targets an existing Canvas assignment). A ``Points Possible``
    row, as in Canvas's own exports, follows the header.
    """
    if not assignment.strip():
        raise ValueError("the Canvas assignment name must not be empty")
    outdir = Path(outdir)
    table, meta, roster = load_outdir(outdir)
    grades = grades_table(table, meta)
    r = _roster_for(grades["student"], roster)
    student = grades["student"].astype(str)
    name = r["name"].where(r["name"] != "", student.to_numpy())
    login = r["login"].where(r["login"] != "", r["email"])
    login = login.where(login != "", student.to_numpy())
    max_total = _fmt(float(grades["max_total"].iloc[0])) if len(grades) else _fmt(
        sum(q.points for q in meta.questions))
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["Student", "ID", "SIS User ID", "SIS Login ID", "Section", assignment])
    writer.writerow(["    Points Possible", "", "", "", "", max_total])
    writer.writerows(zip(name.tolist(), r["id"].tolist(), r["sis_id"].tolist(), login.tolist(),
                         r["section"].tolist(), _fmt_array(grades["total"])))
    path = Path(dest) if dest is not None else outdir / "exports" / "canvas.csv"
    _atomic_write(path, buf.getvalue().encode("utf-8"))
    return path


def export_gradescope(outdir: Path, dest: Path | None = None) -> Path:
    """Gradescope autograder ``results.json`` per student under ``dest/<student>/``; returns dest.

    Each question is a test: status ``passed`` only when correct (partial credit shows as failed
    with its score), our status word in ``tags`` and ``extra_data``, feedback as ``output``.
    """
    outdir = Path(outdir)
    table, meta, _ = load_outdir(outdir)
    grades = grades_table(table, meta)
    totals = dict(zip(grades["student"], grades["total"].tolist()))
    target = Path(dest) if dest is not None else outdir / "exports" / "gradescope"

    def build(d: Path) -> None:
        names = _safe_names(totals)
        for student, rows in table.groupby("student", sort=True):
            tests = [
                {
                    "name": q, "number": str(i), "score": float(_fmt(sc) or 0), "max_score": float(_fmt(mx) or 0),
                    "status": "passed" if st == CORRECT else "failed", "output": fb,
                    "tags": [st], "extra_data": {"status": st},
                }
                for i, (q, sc, mx, st, fb) in enumerate(zip(
                    rows["question"], rows["score"], rows["max_score"], rows["status"], rows["feedback"]), 1)
            ]
            result = {"score": float(_fmt(totals[student]) or 0), "tests": tests,
                      "extra_data": {"student": student}}
            sub = d / names[student]
            sub.mkdir()
            _write_new(sub / "results.json",
                       (json.dumps(result, indent=2, ensure_ascii=False) + "\n").encode("utf-8"))

    target.parent.mkdir(parents=True, exist_ok=True)
    _replace_dir(target, build, _looks_like_gradescope_export, "a Gradescope export directory")
    return target


# --------------------------------------------------------------------------------------------
# Comparing runs
# --------------------------------------------------------------------------------------------


def diff_outdirs(old: Path, new: Path) -> pd.DataFrame:
    """Rows of details.csv whose score or status changed between two runs, plus total rows.

    ``change`` is ``score``, ``status``, ``score+status``, ``added`` or ``removed`` (a row only in
    the new / old run: students added or removed show up with all their rows). Every student
    with a change also gets a ``(total)`` row (change ``total``). Sorted by student, then
    question order (the new run's rubric first), total last.
    """
    a, b = _read_details(Path(old)), _read_details(Path(new))
    metas = [Path(p) / "run.json" for p in (new, old)]
    order: list[str] = []
    for mp in metas:
        if mp.is_file():
            order += [q for q in ReportMeta.from_json(mp.read_text(encoding="utf-8")).question_ids if q not in order]
    for q in list(b["question"]) + list(a["question"]):
        if q not in order:
            order.append(q)
    keys = ["student", "question"]
    m = a[keys + ["score", "status"]].merge(
        b[keys + ["score", "status"]], on=keys, how="outer", suffixes=("_old", "_new"), indicator=True)
    os_, ns_ = m["score_old"].to_numpy(float), m["score_new"].to_numpy(float)
    score_changed = ~((os_ == ns_) | (np.isnan(os_) & np.isnan(ns_)) | (np.abs(os_ - ns_) < 1e-9))
    status_changed = m["status_old"].fillna("").to_numpy() != m["status_new"].fillna("").to_numpy()
    change = np.select(
        [m["_merge"].eq("right_only").to_numpy(), m["_merge"].eq("left_only").to_numpy(),
         score_changed & status_changed, score_changed, status_changed],
        ["added", "removed", "score+status", "score", "status"], default="")
    out = pd.DataFrame({
        "student": m["student"], "question": m["question"], "old_score": os_, "new_score": ns_,
        "delta": _round4(ns_ - os_), "old_status": m["status_old"].fillna(""),
        "new_status": m["status_new"].fillna(""), "change": change,
    })
    out = out.loc[out["change"] != ""]
    if len(out):
        changed = out["student"].unique()
        tot_old = a.groupby("student")["score"].sum().reindex(changed)
        tot_new = b.groupby("student")["score"].sum().reindex(changed)
        totals = pd.DataFrame({
            "student": changed, "question": TOTAL_LABEL, "old_score": _round4(tot_old.to_numpy()),
            "new_score": _round4(tot_new.to_numpy()), "delta": _round4(tot_new.to_numpy() - tot_old.to_numpy()),
            "old_status": "", "new_status": "", "change": "total",
        })
        out = pd.concat([out, totals], ignore_index=True)
    pos = {q: i for i, q in enumerate(order)}
    out = out.assign(_q=out["question"].map(pos).fillna(len(order)))
    out = out.sort_values(["student", "_q"], kind="stable").drop(columns="_q")
    return out[list(DIFF_COLUMNS)].reset_index(drop=True)
