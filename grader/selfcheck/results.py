"""A self-check's result: one row per question (a verdict, or "not checked before the deadline"),
as terminal text and as a compact HTML table for Jupyter."""

from __future__ import annotations

import html
from dataclasses import dataclass

from ..verdict import CORRECT, Verdict, mark

NOT_CHECKED = "not checked before the deadline"
#: The footnote every self-check shows.
DISCLAIMER = ("self-check: other test points are used for the final grade, which may differ")


@dataclass(frozen=True)
class Unchecked:
    """A question the bundle does not check (``self_check: off``, or a kind it cannot export)."""

    question: str
    max_score: float
    note: str = ""


Row = Verdict | Unchecked


@dataclass(frozen=True)
class SelfCheckResult:
    """Every row of one self-check, in the assignment's order."""

    rows: tuple[Row, ...]
    prompts: dict

    @property
    def verdicts(self) -> list[Verdict]:
        return [r for r in self.rows if isinstance(r, Verdict)]

    @property
    def unchecked(self) -> list[Unchecked]:
        return [r for r in self.rows if isinstance(r, Unchecked)]

    @property
    def all_correct(self) -> bool:
        """Every checked question is right (questions not checked do not count)."""
        return all(v.status == CORRECT for v in self.verdicts)

    @property
    def score(self) -> float:
        return sum(v.score for v in self.verdicts)

    @property
    def max_score(self) -> float:
        return sum(v.max_score for v in self.verdicts)

    def __getitem__(self, question: str) -> Row:
        for row in self.rows:
            if row.question == question:
                return row
        raise KeyError(question)

    # -- text ----------------------------------------------------------------------------------
    def lines(self, prompts: bool = True) -> list[str]:
        """What a terminal shows: a head line per question, then what to fix."""
        width = max((len(r.question) for r in self.rows), default=0)
        out = []
        for row in self.rows:
            if isinstance(row, Unchecked):
                out.append(f"- {row.question:<{width}}  {NOT_CHECKED}")
                continue
            out.append(f"{mark(row.status)} {row.question:<{width}}  {row.score:g}/{row.max_score:g}  {row.status}")
            if row.status != CORRECT and prompts and self.prompts.get(row.question):
                out.append(f"    question: {self.prompts[row.question]}")
            if row.status != CORRECT or row.feedback != CORRECT:
                out.extend(f"    {line}" for line in row.feedback.splitlines())
        out.append(self.total_line())
        return out

    def total_line(self) -> str:
        line = f"total: {self.score:g}/{self.max_score:g} ({DISCLAIMER})"
        unchecked = self.unchecked
        if unchecked:
            points = sum(u.max_score for u in unchecked)
            line += f"; {len(unchecked)} question{'s' if len(unchecked) > 1 else ''} ({points:g} points) not checked"
        return line

    def __str__(self) -> str:
        return "\n".join(self.lines(prompts=False))

    def __repr__(self) -> str:
        return str(self)

    # -- Jupyter -------------------------------------------------------------------------------
    def _repr_html_(self) -> str:
        cells = []
        for row in self.rows:
            if isinstance(row, Unchecked):
                cells.append(f"<tr><td>–</td><td><code>{_html(row.question)}</code></td>"
                             f"<td></td><td></td><td></td><td><i>{NOT_CHECKED}</i></td></tr>")
                continue
            colour = {"correct": "#1a7f37", "partial": "#9a6700"}.get(row.status, "#cf222e")
            feedback = "" if row.feedback == CORRECT else row.feedback
            cells.append(
                f"<tr><td style='color:{colour}'>{mark(row.status)}</td>"
                f"<td><code>{_html(row.question)}</code></td>"
                f"<td><code>{_html(row.answer)}</code></td>"
                f"<td style='text-align:right'>{row.score:g}/{row.max_score:g}</td>"
                f"<td style='color:{colour}'>{_html(row.status)}</td>"
                # <pre>: a caret under a parse error stays under the character it points at.
                f"<td style='text-align:left'><pre style='margin:0;white-space:pre-wrap'>"
                f"{_html(feedback)}</pre></td></tr>")
        head = "".join(f"<th>{h}</th>" for h in ("", "question", "answer", "score", "status", "feedback"))
        return (f"<table class='grader-self-check'><thead><tr>{head}</tr></thead>"
                f"<tbody>{''.join(cells)}</tbody></table>"
                f"<p><small>{_html(self.total_line())}</small></p>")


def _html(text: str) -> str:
    """Escaped, and shown as typed: no `$` is left for a notebook's math renderer."""
    return html.escape(str(text)).replace("$", "&#36;")


__all__ = ["DISCLAIMER", "NOT_CHECKED", "Row", "SelfCheckResult", "Unchecked"]
