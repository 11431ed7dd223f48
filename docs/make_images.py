"""Regenerate the pictures in docs/ from the example class, so they cannot drift from the output.

    python docs/make_images.py           # grade rubrics/hw1.yaml over submissions/, copy the plots
    python docs/make_images.py --check   # exit 1 if a picture differs from what grading draws now

The pictures are what `grader grade rubrics/hw1.yaml submissions/hw1 -o OUTDIR` draws (the README's
command), taken from OUTDIR/plots. PNG bytes depend on the matplotlib version and its fonts, so
``--check`` is meant for one machine before a commit, not as a portable test.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
#: docs picture → the plot file it copies.
IMAGES = {"img/status_by_question.png": "status_by_question.png"}


def draw(outdir: Path) -> None:
    """Grade the example class into ``outdir`` with this checkout's grader (one worker: the
    plots do not depend on it, and it keeps the run light)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    command = [sys.executable, "-m", "grader.cli", "grade", "rubrics/hw1.yaml", "submissions/hw1",
               "-o", str(outdir), "--jobs", "1"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare instead of writing")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="grader-docs-") as tmp:
        outdir = Path(tmp) / "out"
        draw(outdir)
        stale = []
        for image, plot in IMAGES.items():
            target = ROOT / "docs" / image
            fresh = outdir / "plots" / plot
            if args.check:
                if not target.is_file() or target.read_bytes() != fresh.read_bytes():
                    stale.append(image)
            else:
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(fresh, target)
                print(f"wrote docs/{image}")
    for image in stale:
        print(f"docs/{image} differs from the current output: run python docs/make_images.py", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
