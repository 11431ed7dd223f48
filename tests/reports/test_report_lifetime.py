"""What a killed grader leaves: no plotting process, and no temporary output folder after the
next run (but never one that a live run is still building)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from report_sample import META, tree

from grader.reports import write_outdir

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(")")[-1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def _wait_gone(pid: int, seconds: float = 5.0) -> bool:
    deadline = time.monotonic() + seconds
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.02)
    return not _alive(pid)


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="Linux only (parent-death signal)")
@pytest.mark.parametrize("how", [signal.SIGKILL, signal.SIGTERM])
def test_the_plotting_process_dies_with_the_grader(how):
    script = ("import time\nfrom grader.reports.plots import Plotter\np = Plotter()\n"
              "print(p._process.pid, flush=True)\ntime.sleep(60)\n")
    grader = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True,
                              env=dict(os.environ, PYTHONPATH=str(ROOT)))
    plotter = int(grader.stdout.readline())
    try:
        assert _alive(plotter)
        grader.send_signal(how)
        grader.wait(10)
        assert _wait_gone(plotter), "the plotter outlived the grader"
    finally:
        for pid in (plotter, grader.pid):
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)


def _siblings(out: Path) -> list[str]:
    return sorted(p.name for p in out.parent.iterdir() if p.name != out.name)


_WRITER = """
import os, signal, sys, time
sys.path.insert(0, {tests!r})
import grader.reports.outdir as outdir
import grader.reports.swap as swap
from report_sample import META, verdicts
from grader.reports import verdict_table, write_outdir
how = {how!r}
def stop(*args):
    if how == "kill":
        os.kill(os.getpid(), signal.SIGKILL)
    print("building", flush=True)
    sys.stdin.readline()  # the test lets it go on
    real(*args)
real = outdir.draw_plots
outdir.draw_plots = stop
if how == "between-renames":
    outdir.draw_plots = real
    rename = os.rename
    def second_rename_killed(src, dst):
        if ".tmp-" in str(src):
            os.kill(os.getpid(), signal.SIGKILL)
        rename(src, dst)
    swap.os.rename = second_rename_killed
write_outdir(verdict_table(verdicts(), META), META, {out!r})
print("done", flush=True)
"""


def _writer(out: Path, how: str) -> subprocess.Popen:
    code = _WRITER.format(tests=str(Path(__file__).parent), how=how, out=str(out))
    return subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=dict(os.environ, PYTHONPATH=str(ROOT)))


def test_the_next_run_removes_what_a_killed_run_left(tmp_path, table):
    out = tmp_path / "out"
    write_outdir(table, META, out)
    before = tree(out)
    assert _writer(out, "kill").wait(60) == -signal.SIGKILL
    left = _siblings(out)
    assert len(left) == 1 and left[0].startswith(".out.tmp-"), left
    assert tree(out) == before, "the killed run did not touch OUTDIR"
    write_outdir(table, META, out)
    assert _siblings(out) == [], "the next run removed the killed run's folder"


def test_a_kill_between_the_renames_leaves_both_trees_until_the_next_run(tmp_path, table):
    out = tmp_path / "out"
    write_outdir(table, META, out)
    assert _writer(out, "between-renames").wait(60) == -signal.SIGKILL
    assert not out.exists()
    left = _siblings(out)
    assert [n[:9] for n in left] == [".out.old-", ".out.tmp-"]
    for name in left:  # both complete: the user can rename either back
        assert (tmp_path / name / "details.csv").is_file() and (tmp_path / name / "plots" / "totals.png").is_file()
    write_outdir(table, META, out)
    assert _siblings(out) == [] and (out / "details.csv").is_file()


def test_a_live_runs_folder_is_never_removed(tmp_path, table):
    out = tmp_path / "out"
    write_outdir(table.head(4), META, out)
    live = _writer(out, "wait")
    try:
        assert live.stdout.readline().strip() == "building"
        building = _siblings(out)
        assert len(building) == 1 and building[0].startswith(".out.tmp-")
        write_outdir(table.head(8), META, out)  # a second run finishes while the first is still building
        assert _siblings(out) == building, "the live run's folder was kept"
        live.stdin.write("\n")
        live.stdin.flush()
        assert live.stdout.readline().strip() == "done"
        assert live.wait(60) == 0
    finally:
        if live.poll() is None:
            live.kill()
    assert _siblings(out) == []
    write_outdir(table, META, tmp_path / "reference")
    assert tree(out) == tree(tmp_path / "reference"), "the live run finished and its output is in place"


def test_only_our_own_sibling_folders_are_removed(tmp_path, table):
    out = tmp_path / "out"
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "thesis.tex").write_text("years of work")
    os.symlink(precious, tmp_path / ".out.tmp-deadbeef")  # a link is never followed or removed
    (tmp_path / ".out.tmp-notahexx").mkdir()  # not a name we make
    (tmp_path / ".other.tmp-0123abcd").mkdir()  # another OUTDIR's
    young = tmp_path / ".out.new-00000000"
    young.mkdir()  # may be a live run's, between its mkdir and its lock
    old = tmp_path / ".out.new-11111111"
    old.mkdir()
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    write_outdir(table, META, out)
    assert (precious / "thesis.tex").read_text() == "years of work"
    assert _siblings(out) == [".other.tmp-0123abcd", ".out.new-00000000", ".out.tmp-deadbeef",
                              ".out.tmp-notahexx", "precious"]
