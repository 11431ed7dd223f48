"""The report plots, drawn with matplotlib's Agg canvas; optionally in a separate process started
before grading, so that importing matplotlib and drawing overlap the run on another core.

Deliberately light to import (no pandas, no matplotlib at module level): the CLI forks the plotting
process first thing, before the heavy imports of the grading path.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from grader.verdict import STATUSES

_STATUS_COLORS = {
    "correct": "#2ca02c", "partial": "#bcbd22", "incorrect": "#d62728", "missing": "#7f7f7f",
    "invalid": "#9467bd", "error": "#ff7f0e", "timeout": "#8c564b",
}


def draw_plots(data: dict[str, Any], plots: Path) -> None:
    """totals.png and status_by_question.png; Agg canvas, no pyplot, no timestamps."""
    # Imported here: matplotlib costs ~0.3 s and most CLI commands never plot. No pyplot: no
    # global figure registry, no backend selection, nothing to close.
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.collections import PolyCollection
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.ticker import MaxNLocator

    # "Software": None drops the only varying PNG chunk, so equal data give equal bytes.
    save = {"format": "png", "dpi": 100, "metadata": {"Software": None}}

    fig = Figure(figsize=(6.4, 4.0))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    totals = data["totals"]
    max_total = data["max_total"]
    if 0 < max_total <= 40 and np.all(totals == np.round(totals)):
        edges = np.arange(-0.5, max_total + 1.0, 1.0)  # one bar per whole point
    else:
        top = max(max_total, float(np.nanmax(totals)) if len(totals) else 0.0, 1.0)
        edges = np.linspace(0.0, top, 21)
    counts, _ = np.histogram(totals[np.isfinite(totals)], bins=edges)
    # One filled step artist instead of a Rectangle per bin: same picture, a fraction of the cost.
    ax.stairs(counts, edges, fill=True, color="#1f77b4")
    ax.set_xlim(edges[0], edges[-1])
    ax.set_ylim(0, max(1, int(counts.max()) if len(counts) else 1) * 1.05)
    ax.set_xlabel(f"total (max {max_total:g})")
    ax.set_ylabel("students")
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(f"Totals ({len(totals)} students)")
    # Fixed margins instead of tight_layout: layout passes cost a full extra draw.
    fig.subplots_adjust(left=0.11, right=0.97, bottom=0.13, top=0.91)
    fig.savefig(plots / "totals.png", **save)

    labels = data["labels"]
    nq = len(labels)
    rotate = nq > 12 or sum(len(q) for q in labels) > 60
    width = min(max(6.4, 0.45 * nq + 2.5), 30.0)
    # Room below the axes for (possibly rotated) tick labels, ~0.09 in per character.
    below = 0.45 + (0.09 * max((len(q) for q in labels), default=1) if rotate else 0.0)
    height = 3.8 + below
    fig = Figure(figsize=(width, height))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = np.arange(nq, dtype=float)
    bottom = np.zeros(nq)
    handles = []
    for status in STATUSES:
        share = data["shares"][status]
        # One collection per status rather than ax.bar's Rectangle per question.
        verts = np.stack([
            np.column_stack([x - 0.4, bottom]), np.column_stack([x + 0.4, bottom]),
            np.column_stack([x + 0.4, bottom + share]), np.column_stack([x - 0.4, bottom + share]),
        ], axis=1)
        ax.add_collection(PolyCollection(verts, facecolors=_STATUS_COLORS[status], linewidths=0))
        handles.append(Patch(color=_STATUS_COLORS[status], label=status))
        bottom = bottom + share
    ax.set_xticks(x, labels, rotation=90 if rotate else 0)
    ax.set_xlim(-0.6, max(nq, 1) - 0.4)
    ax.set_ylim(0, 1)
    ax.set_ylabel("share of students")
    ax.set_title("Status by question")
    # Reversed so the legend reads top-down like the stack.
    ax.legend(handles=handles[::-1], loc="upper left", bbox_to_anchor=(1.0, 1.0),
              fontsize="small", frameon=False)
    fig.subplots_adjust(left=0.7 / width, right=1.0 - 1.2 / width, bottom=below / height, top=1.0 - 0.45 / height)
    fig.savefig(plots / "status_by_question.png", **save)


class Plotter:
    """Draws the plots in a separate process, started before grading, so that importing
    matplotlib and drawing overlap the rest of the run on another core. Any failure falls back to
    drawing in this process: plots never cost a grading run."""

    def __init__(self) -> None:
        import multiprocessing

        context = multiprocessing.get_context("fork")
        self._conn, child = context.Pipe()
        self._process = context.Process(target=_plot_server, args=(child, os.getpid()), daemon=True,
                                        name="grader-plots")
        self._process.start()
        child.close()
        self._pending: tuple[dict[str, Any], Path] | None = None

    def request(self, data: dict[str, Any], plots: Path) -> None:
        """Start drawing into ``plots`` (returns at once)."""
        self._pending = (data, plots)
        try:
            self._conn.send((data, str(plots)))
        except (OSError, ValueError):
            pass  # the server is gone; ``wait`` draws here

    def wait(self, timeout: float = 120.0) -> None:
        """Block until the requested plots exist."""
        if self._pending is None:
            return
        data, plots = self._pending
        self._pending = None
        try:
            done = self._conn.poll(timeout) and self._conn.recv() == "ok"
        except (OSError, EOFError):
            done = False
        if not done:
            self.close()
            draw_plots(data, plots)

    def close(self) -> None:
        try:
            self._conn.send(None)
        except (OSError, ValueError):
            pass
        self._conn.close()
        self._process.join(timeout=5)
        if self._process.is_alive():
            self._process.kill()


def _plot_server(conn: Any, parent: int) -> None:
    """The plotting process: import matplotlib at once, then draw each request. It dies with the
    grader: it holds a copy of the grader's end of the pipe, so it would never see it close."""
    from grader.lifetime import die_with_parent

    die_with_parent(parent)
    try:
        import numpy  # noqa: F401  (the imports are the warm-up)
        from matplotlib import figure  # noqa: F401
        from matplotlib.backends import backend_agg  # noqa: F401
        while True:
            message = conn.recv()
            if message is None:
                return
            data, plots = message
            try:
                draw_plots(data, Path(plots))
                conn.send("ok")
            except Exception as err:  # noqa: BLE001 - reported as "not ok"; the parent redraws
                conn.send(f"failed: {err}")
    except (EOFError, OSError, KeyboardInterrupt):
        return


