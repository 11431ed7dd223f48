"""Turning results into text for a terminal or a pipe: tables (rich on a terminal, plain aligned
text otherwise), summaries and per-question lines. No grading logic."""

from __future__ import annotations

import sys
from typing import Any, Iterable

import click

from ..verdict import CORRECT, mark


def interactive() -> bool:
    return sys.stdout.isatty()


def plain_table(header: list[str], rows: list) -> str:
    widths = [max(len(str(x)) for x in column) for column in zip(header, *rows)]
    lines = ["  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip()
             for line in [header, *rows]]
    return "\n".join(lines)


def cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.2f}" if value == value else ""
    return str(value)


def table(title: str, header: list[str], rows: list[list[str]], right: Iterable[str] = ()) -> None:
    """A titled table: rich on a terminal, plain aligned text when piped or redirected."""
    if not interactive():
        click.echo(title)
        click.echo(plain_table(header, rows))
        return
    from rich.console import Console
    from rich.table import Table

    right = set(right)
    shown = Table(title=title, title_justify="left")
    for column in header:
        shown.add_column(column, justify="right" if column in right else "left")
    for row in rows:
        shown.add_row(*row)
    Console(highlight=False).print(shown)


def class_summary(summary, lowest, count: int, outdir: str, source: str = "") -> None:
    """What ``grader grade`` prints: per-question means, then the lowest-scoring questions;
    ``source`` says how the class folder was read (``a Canvas download, detected``)."""
    title = f"{count} submissions graded → {outdir}" + (f" ({source})" if source else "")
    rows = [[str(r.question), f"{r.mean:.2f}", f"{r.max_score:g}", f"{r.correct:.0%}"]
            for r in summary.itertuples(index=False)]
    worst_title = "Lowest-scoring questions and their most common wrong answer"
    worst = lowest_rows(lowest, gap=2 if not interactive() else 3) \
        if lowest is not None and len(lowest) else None
    if not interactive():
        # Piped or redirected: plain aligned text, no colour, no box drawing.
        click.echo(title)
        click.echo(plain_table(["question", "mean", "max", "correct"], rows))
        if worst:
            click.echo(f"\n{worst_title}")
            click.echo(plain_table(*worst))
        return
    table(title, ["question", "mean", "max", "correct"], rows, right=("mean", "max", "correct"))
    if worst:
        table(worst_title, worst[0], worst[1])


def lowest_rows(lowest, width: int = 80, gap: int = 2) -> tuple[list[str], list[list[str]]]:
    """The lowest-scoring questions as a table that fits ``width`` columns (``gap`` characters
    between columns: 2 in plain text, 3 in rich's boxes): short headers, and the most common
    wrong answer (or failure) cut with … to the room left."""
    header = ["question", "mean", "max", "correct", "n", "most common wrong answer"]
    rows = [[str(r.question), f"{r.mean:.2f}", f"{r.max_score:g}", f"{r.share_correct:.0%}",
             str(int(r.top_wrong_count)) if r.top_wrong else "", " ".join(str(r.top_wrong).split())]
            for r in lowest.itertuples(index=False)]
    widths = [max(len(x) for x in column) for column in zip(header, *rows)]
    room = max(12, width - sum(widths[:-1]) - gap * len(header) - 1)
    for row in rows:
        if len(row[-1]) > room:
            row[-1] = row[-1][:room - 1] + "…"
    return header, rows


def verdict_lines(verdicts, prompts: dict[str, str], max_total: float) -> None:
    """``grader check``: a line per question with its mark, score and status, then what to fix."""
    width = max(len(v.question) for v in verdicts)
    for v in verdicts:
        head = f"{mark(v.status)} {v.question:<{width}}  {v.score:g}/{v.max_score:g}  {v.status}"
        click.echo(head)
        if v.status != CORRECT:
            if prompts.get(v.question):
                click.echo(f"    question: {prompts[v.question]}")
            for line in v.feedback.splitlines():
                click.echo(f"    {line}")
        elif v.feedback != CORRECT:
            for line in v.feedback.splitlines():  # a note on a right answer (a misspelt id...)
                click.echo(f"    {line}")
    total = sum(v.score for v in verdicts)
    click.echo(f"total: {total:g}/{max_total:g}")


class Progress:
    """A progress bar on a terminal; nothing otherwise. Use as ``with Progress(...) as tick``."""

    def __init__(self, rubric, prepared, submissions):
        self.interactive = interactive()
        written = sum(1 for q in rubric.questions if not prepared[q.id].runs_code)
        coded = any(prepared[q.id].runs_code for q in rubric.questions)
        self.total = written + len(submissions) * (2 if coded else 1)
        self.bar = None

    def __enter__(self):
        if not self.interactive:
            return None
        from rich.progress import Progress as Bar

        self.bar = Bar(transient=True)
        self.bar.start()
        task = self.bar.add_task("grading", total=self.total)
        return lambda _kind: self.bar.advance(task)

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.stop()
