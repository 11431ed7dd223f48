"""The ``grader`` command: arguments in, text or JSON out; no grading logic lives here.

Each family of commands is a module of this package (``classwork``: grade and check;
``authoring``: validate; ``outputs``: report, export, diff; ``gradebook``: override;
``handouts``: notebook, gradescope; ``selfcheck``: bundle; ``versions``: per-student versions)
that adds its commands to ``main``.
"""

from __future__ import annotations

import signal
import sys
from typing import NoReturn

import click

from ..version import __version__

#: The distribution name on the package index (`grader` there is an unrelated project).
DISTRIBUTION = "grader-ml"
EXIT_UNUSABLE = 2
#: The status a shell reports for a process ended by SIGPIPE, as `yes | head -1` gives.
EXIT_PIPE_CLOSED = 128 + signal.SIGPIPE


def fail(problems: list[str] | str, code: int = EXIT_UNUSABLE) -> NoReturn:
    """Print each problem on stderr and exit with ``code``."""
    for line in [problems] if isinstance(problems, str) else problems:
        click.echo(line, err=True)
    sys.exit(code)


class _Main(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (`grader grade ... | head -1`): stop quietly, as other tools do.
            raise click.exceptions.Exit(EXIT_PIPE_CLOSED) from None


@click.group(cls=_Main, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(version=__version__, package_name=DISTRIBUTION, prog_name="grader",
                      message="%(prog)s (%(package)s) %(version)s")
def main() -> None:
    """Grade math-heavy machine-learning homework at random test points."""


# The command modules register themselves on `main` when imported.
from . import authoring, classwork, gradebook, handouts, outputs, selfcheck, versions  # noqa: E402,F401

_signals: list[int] = []


def _terminate(number: int, _frame) -> None:
    """SIGTERM is handled like Ctrl-C: every helper process is stopped on the way out."""
    _signals.append(number)
    raise KeyboardInterrupt


def run() -> NoReturn:
    """The console entry point: ``main``, then a fast exit.

    By the time ``main`` is done, every file it wrote is closed and in place and every helper
    process (sandbox workers, plotting, reading) has been stopped, so the interpreter's teardown
    (freeing a large batch's objects one by one, about 0.3 s for 1,000 students) is skipped.
    """
    import os

    signal.signal(signal.SIGTERM, _terminate)
    try:
        main()
        code = 0
    except SystemExit as done:
        code = done.code
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)
        code = 1
    if _signals:
        code = 128 + _signals[0]
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            if stream is sys.stdout and code == 0:
                code = EXIT_PIPE_CLOSED
    os._exit(code)


__all__ = ["EXIT_UNUSABLE", "fail", "main", "run"]
