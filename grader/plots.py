"""Kept so that ``from grader.plots import Plotter`` goes on working: see ``grader.reports.plots``."""

from grader.reports.plots import Plotter, draw_plots  # noqa: F401

__all__ = ["Plotter", "draw_plots"]
