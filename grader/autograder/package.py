"""``grader gradescope RUBRIC -o autograder.zip``: the zip Gradescope's autograder
documentation specifies (gradescope-autograders.readthedocs.io, "Autograder Specifications").

At the zip's root (Gradescope unpacks it into ``/autograder/source``):

- ``setup.sh``, run once when Gradescope builds the image: installs ``grader`` from the wheel in
  ``wheels/`` (never by name from the package index) and its dependencies from the index, and
  makes ``source/`` readable by root only;
- ``run_autograder``, run for each submission: grades ``/autograder/submission`` and writes
  ``/autograder/results/results.json``;
- ``rubric/``: the rubric and the reference files it names (``reference: file.py:function``).
  Only root can read them: student code runs in the sandbox as an unprivileged user.

Both scripts take the root from ``GRADER_AUTOGRADER_ROOT`` (default ``/autograder``) and the
Python from ``GRADER_PYTHON`` (default ``python3``), so a test can unpack the zip into a
temporary tree and run them there.
"""

from __future__ import annotations

import stat
import tempfile
import zipfile
from pathlib import Path

from grader.rubric import Rubric

_EPOCH = (1980, 1, 1, 0, 0, 0)

SETUP_SH = """\
#!/usr/bin/env bash
# Gradescope runs this once, when it builds the autograder's image.
set -euo pipefail
ROOT="${GRADER_AUTOGRADER_ROOT:-/autograder}"
PYTHON="${GRADER_PYTHON:-python3}"
if ! "$PYTHON" -m pip --version >/dev/null 2>&1; then
  apt-get update && apt-get install -y python3-pip
fi
# grader from the wheel in this zip, never by name from the index; its dependencies (numpy,
# pandas, ...) from the package index. Newer Ubuntu images guard the system Python (PEP 668).
PIP_BREAK_SYSTEM_PACKAGES=1 "$PYTHON" -m pip install --no-cache-dir "$ROOT"/source/wheels/*.whl
# The rubric and its reference code are root's alone: student code runs as another user.
chmod -R go-rwx "$ROOT/source"
"""

RUN_AUTOGRADER = """\
#!/usr/bin/env bash
# Gradescope runs this for each submission: it grades $ROOT/submission and writes
# $ROOT/results/results.json.
set -u
ROOT="${{GRADER_AUTOGRADER_ROOT:-/autograder}}"
PYTHON="${{GRADER_PYTHON:-python3}}"
chmod -R go-rwx "$ROOT/source" 2>/dev/null || true
mkdir -p "$ROOT/results"
cd "$ROOT"
exec "$PYTHON" -m grader.autograder.run --root "$ROOT" --rubric {rubric}
"""


def rubric_files(rubric: Rubric) -> list[Path]:
    """The rubric file and every reference file its questions name (``path.py:function``)."""
    files = [rubric.path]
    for question in rubric.questions:
        target = getattr(question, "reference", None)
        if isinstance(target, str) and ":" in target:
            path = Path(target.rpartition(":")[0])
            found = path if path.is_absolute() else rubric.base_dir / path
            if found.is_file() and found not in files:
                files.append(found)
    return files


def build_autograder(rubric: Rubric, out: Path) -> list[str]:
    """Write the autograder zip for ``rubric`` to ``out``; returns the names it holds."""
    from grader.autograder.wheel import build_wheel

    base = rubric.base_dir.resolve()
    entries: list[tuple[str, bytes, int]] = [
        ("setup.sh", SETUP_SH.encode("utf-8"), 0o755),
        ("run_autograder", RUN_AUTOGRADER.format(rubric=f"rubric/{rubric.path.name}").encode("utf-8"), 0o755),
    ]
    for path in rubric_files(rubric):
        resolved = path.resolve()
        try:
            inside = resolved.relative_to(base).as_posix()
        except ValueError:
            raise ValueError(f"{path}: a reference file must be in the rubric's folder ({base}) "
                             "or below it, to be packaged with it") from None
        entries.append((f"rubric/{inside}", resolved.read_bytes(), 0o644))
    with tempfile.TemporaryDirectory() as tmp:
        wheel = build_wheel(Path(tmp))
        entries.append((f"wheels/{wheel.name}", wheel.read_bytes(), 0o644))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp_out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data, mode in entries:
            item = zipfile.ZipInfo(name, _EPOCH)
            item.external_attr = (stat.S_IFREG | mode) << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(item, data)
    tmp_out.replace(out)
    return [name for name, _, _ in entries]


__all__ = ["RUN_AUTOGRADER", "SETUP_SH", "build_autograder", "rubric_files"]
