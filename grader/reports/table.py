"""The tidy verdict table (one row per student × question) and the tables derived from it:
grades, summary, wrong answers grouped by meaning, lowest-scoring questions."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from grader.reports.csvfiles import clean_texts
from grader.reports.meta import ReportMeta
from grader.reports.numbers import round4
from grader.verdict import CORRECT, INCORRECT, MISSING, PARTIAL, STATUSES, Verdict

TABLE_COLUMNS: tuple[str, ...] = (
    "student", "question", "score", "max_score", "status", "feedback", "answer", "group", "mistake",
)
DETAILS_COLUMNS: tuple[str, ...] = TABLE_COLUMNS[:6]
ANSWERS_COLUMNS: tuple[str, ...] = ("student", "question", "answer", "group", "mistake")
WRONG_COLUMNS: tuple[str, ...] = (
    "question", "group", "count", "share", "representative", "examples", "matched_mistake",
)
SUMMARY_COLUMNS: tuple[str, ...] = (
    ("question", "max_score", "mean", "median") + STATUSES + ("discrimination",)
)

_WRONG_STATUSES = (INCORRECT, PARTIAL)


def question_order(table: pd.DataFrame, meta: ReportMeta | None) -> list[str]:
    """Rubric order, then any question the rubric does not list in order of first appearance."""
    order = meta.question_ids if meta is not None else []
    known = set(order)
    extra = [q for q in pd.unique(table["question"]) if q not in known] if len(table) else []
    return order + [str(q) for q in extra]


def normalise(table: pd.DataFrame, meta: ReportMeta | None) -> pd.DataFrame:
    """Exact columns, str/float dtypes, scores rounded to what the CSV keeps, control characters
    shown as ``\\uXXXX``, canonical order.

    Rounding here (not only when formatting) is what makes ``regenerate`` byte-identical: totals
    and statistics are computed from the same numbers whether they come from verdicts or CSV.
    """
    df = pd.DataFrame(index=range(len(table)))
    for col in TABLE_COLUMNS:
        if col in ("score", "max_score"):
            src = table[col] if col in table else np.nan
            df[col] = round4(pd.to_numeric(pd.Series(src, index=table.index), errors="raise"))
        elif col in table:
            df[col] = clean_texts(table[col].fillna("").astype(str).to_numpy())
        else:
            df[col] = ""
    bad = sorted(set(df["status"].unique()) - set(STATUSES))
    if bad:
        raise ValueError(f"unknown verdict status(es): {', '.join(map(repr, bad))}")
    df = in_canonical_order(df, meta)
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
    columns = getattr(verdicts, "columns", None)
    if columns is not None:  # a VerdictColumns: already one list per field, typed
        df = pd.DataFrame({name: columns[name] for name in TABLE_COLUMNS}, columns=list(TABLE_COLUMNS))
        return in_canonical_order(df, meta)
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
    return in_canonical_order(df, meta)


def in_canonical_order(df: pd.DataFrame, meta: ReportMeta | None) -> pd.DataFrame:
    """Rows sorted by student, then by question in rubric order (a stable sort; a table that is
    already in that order, as grading makes it, is only re-indexed)."""
    qpos = pd.Index(question_order(df, meta)).get_indexer(df["question"])
    student = df["student"].to_numpy(dtype=object)
    if len(student) > 1:
        later = student[1:] > student[:-1]
        same = student[1:] == student[:-1]
        if bool(np.all(later | (same & (qpos[1:] > qpos[:-1])))):
            return df.reset_index(drop=True)
    return df.iloc[np.lexsort((qpos, student))].reset_index(drop=True)


def question_max(table: pd.DataFrame, meta: ReportMeta | None, order: Sequence[str]) -> pd.Series:
    """Max score per question: the largest max_score seen, else the rubric's points."""
    seen = table.groupby("question", sort=False)["max_score"].max()
    points = {q.id: q.points for q in meta.questions} if meta is not None else {}
    out = seen.reindex(list(order))
    return out.fillna(pd.Series(points, dtype=float).reindex(list(order))).fillna(0.0)


def score_matrix(table: pd.DataFrame, order: Sequence[str]) -> pd.DataFrame:
    """Students × questions scores (NaN where a student has no row), students sorted."""
    if not len(table):
        return pd.DataFrame(index=pd.Index([], name="student", dtype=object), columns=list(order), dtype=float)
    piv = table.pivot(index="student", columns="question", values="score")
    return piv.reindex(columns=list(order)).sort_index()


def grades_table(table: pd.DataFrame, meta: ReportMeta | None = None,
                 students: pd.DataFrame | None = None, roster: pd.DataFrame | None = None,
                 warnings: list[str] | None = None) -> pd.DataFrame:
    """grades.csv: student, one column per question (rubric order), total, max_total, then
    (only when the rubric has ``due:``) late_days, penalty, total_after_penalty, and percent
    (of the penalised total when there is one). ``students``: students.csv (submission
    times); ``roster``: for extensions; ``warnings`` collects what late marking had to say."""
    return grades_from(table, meta, score_matrix(table, question_order(table, meta)), students,
                       roster, warnings)


def grades_from(table: pd.DataFrame, meta: ReportMeta | None, piv: pd.DataFrame,
                students: pd.DataFrame | None = None, roster: pd.DataFrame | None = None,
                warnings: list[str] | None = None) -> pd.DataFrame:
    order = question_order(table, meta)
    max_total = float(round4(question_max(table, meta, order).sum()))
    total = round4(piv.to_numpy().sum(axis=1, where=~np.isnan(piv.to_numpy()))) if len(piv) else np.array([])
    out = piv.reset_index()
    out.columns = ["student"] + list(order)
    out["total"] = total
    out["max_total"] = max_total
    counted = total
    if meta is not None and meta.due:
        from grader.reports.late import late_table

        empty = pd.DataFrame(columns=["student", "submitted_at", "marked_late"])
        late, said = late_table(students if students is not None else empty, meta.due, meta.late,
                                roster, out["student"].astype(str).tolist())
        if warnings is not None:
            warnings.extend(said)
        out["late_days"] = late["late_days"].to_numpy()
        out["penalty"] = round4(late["penalty"].to_numpy())
        counted = round4(total * (1.0 - out["penalty"].to_numpy())) if len(out) else np.array([])
        out["total_after_penalty"] = counted
    out["percent"] = round4(100.0 * counted / max_total) if max_total > 0 else np.nan
    return out


def summary_table(table: pd.DataFrame, meta: ReportMeta | None = None) -> pd.DataFrame:
    """summary.csv: per question max_score, mean, median, status shares, discrimination.

    Discrimination is the Pearson correlation, across students, of the question's score with the
    rest of the total (total minus this question); a student without a row counts 0. It is NaN
    when either side has zero variance or there are fewer than two students.
    """
    return summary_from(table, meta, score_matrix(table, question_order(table, meta)))


def summary_from(table: pd.DataFrame, meta: ReportMeta | None, piv: pd.DataFrame) -> pd.DataFrame:
    order = question_order(table, meta)
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
        "max_score": question_max(table, meta, order).to_numpy(),
        "mean": round4(stats["mean"].to_numpy()),
        "median": round4(stats["median"].to_numpy()),
    })
    for i, status in enumerate(STATUSES):
        out[status] = round4(share[:, i])
    out["discrimination"] = round4(disc)
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
    order = question_order(table, meta)
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
    out["share"] = round4(out["count"].to_numpy() / max(n_students, 1))
    return out[list(WRONG_COLUMNS)].reset_index(drop=True)


def lowest_questions(table: pd.DataFrame, meta: ReportMeta | None = None, k: int = 3, *,
                     summary: pd.DataFrame | None = None, wrong: pd.DataFrame | None = None
                     ) -> pd.DataFrame:
    """The k questions with the lowest mean (as a fraction of max), with their most common
    wrong answer.

    Columns: question, mean, max_score, share_correct, top_wrong, top_wrong_count. top_wrong is
    the representative of the largest wrong-answer group; for a question without groups (code
    questions, or every wrong answer unreadable) it is the most common failure message (its
    first line, numbers aside: ``wrong at x = 0.3`` and ``wrong at x = 0.7`` are one failure).
    "" and 0 when nothing went wrong. Ties keep rubric order. ``summary`` and ``wrong``: the
    table's ``summary_table`` and ``wrong_answers_table`` when the caller has them already.
    """
    order = question_order(table, meta)
    summ = summary if summary is not None else summary_table(table, meta)
    wrong = wrong if wrong is not None else wrong_answers_table(table, meta)
    top = wrong.loc[wrong["group"] == 1].set_index("question") if len(wrong) else pd.DataFrame(
        columns=["representative", "count"])
    with np.errstate(invalid="ignore", divide="ignore"):
        frac = summ["mean"].to_numpy(dtype=float) / summ["max_score"].to_numpy(dtype=float)
    failures = _top_failures(table, [q for q in order if q not in top.index])
    texts = {q: str(top.at[q, "representative"]) for q in top.index}
    counts = {q: int(top.at[q, "count"]) for q in top.index}
    for q, (text, count) in failures.items():
        texts[q], counts[q] = text, count
    out = pd.DataFrame({
        "question": summ["question"],
        "mean": summ["mean"],
        "max_score": summ["max_score"],
        "share_correct": summ[CORRECT],
        "top_wrong": [texts.get(q, "") for q in summ["question"]],
        "top_wrong_count": [counts.get(q, 0) for q in summ["question"]],
        "_frac": np.where(np.isfinite(frac), frac, np.inf),
        "_q": range(len(order)),
    })
    out = out.sort_values(["_frac", "_q"], kind="stable").head(k)
    return out.drop(columns=["_frac", "_q"]).reset_index(drop=True)


_NUMBER = re.compile(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")


def _top_failures(table: pd.DataFrame, questions: list[str]) -> dict[str, tuple[str, int]]:
    """Per question, the most common failure among its rows that are neither correct nor
    missing: (its commonest wording's first line, how many rows)."""
    if not questions or not len(table):
        return {}
    rows = table.loc[table["question"].isin(questions) & ~table["status"].isin((CORRECT, MISSING)),
                     ["question", "feedback"]]
    if rows.empty:
        return {}
    first = rows["feedback"].astype(str).str.split("\n", n=1).str[0].str.strip()
    frame = pd.DataFrame({"question": rows["question"].to_numpy(), "text": first.to_numpy(),
                          "key": first.map(lambda t: _NUMBER.sub("#", t)).to_numpy()})
    out: dict[str, tuple[str, int]] = {}
    for question, part in frame.groupby("question", sort=False):
        sizes = part.groupby("key").size()
        best = sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
        texts = part.loc[part["key"] == best, "text"].value_counts()
        text = sorted(texts.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0][0]
        out[str(question)] = (text, int(sizes[best]))
    return out
