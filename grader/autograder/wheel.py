"""A wheel of the installed ``grader`` package, built by hand: a wheel is a zip of the package
files and a ``.dist-info`` folder (METADATA, WHEEL, entry_points.txt, RECORD with hashes), so
no build tool, network or source checkout is needed, and the same files give the same bytes.
The metadata comes from the project's pyproject.toml beside the package when there is one
(a checkout or an editable install), else from the installed distribution."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

#: The grader package's folder (this file is grader/autograder/wheel.py).
_PACKAGE = Path(__file__).resolve().parents[1]


#: Zip entries carry this time, so a rebuild of the same files is byte-identical.
_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Project:
    name: str
    version: str
    requires: tuple[str, ...]
    requires_python: str
    scripts: dict[str, str]
    summary: str = ""


def project() -> Project:
    """grader's name, version, dependencies and console scripts."""
    pyproject = _PACKAGE.parent / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        data = tomllib.loads(pyproject.read_text(encoding="utf-8")).get("project", {})
        if data.get("name"):
            return Project(str(data["name"]), str(data.get("version", "0")),
                           tuple(data.get("dependencies", ())), str(data.get("requires-python", "")),
                           dict(data.get("scripts", {})), str(data.get("description", "")))
    from importlib import metadata

    for name in ("grader", "grader-ml"):
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
        requires = tuple(r for r in (dist.requires or []) if "extra ==" not in r)
        scripts = {e.name: e.value for e in dist.entry_points if e.group == "console_scripts"}
        return Project(dist.metadata["Name"], dist.version, requires,
                       dist.metadata.get("Requires-Python", "") or "", scripts,
                       dist.metadata.get("Summary", "") or "")
    return Project("grader", "0", (), ">=3.10", {"grader": "grader.cli:run"})


def _record_hash(data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode("ascii")
    return f"sha256={digest}"


def package_files() -> list[tuple[str, bytes]]:
    """(path in the wheel, bytes) of every file of the grader package (no caches)."""
    root = _PACKAGE
    files = []
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root.parent)
        if not path.is_file() or "__pycache__" in relative.parts or path.suffix in (".pyc", ".pyo"):
            continue
        if any(part.startswith(".") for part in relative.parts):
            continue
        files.append((relative.as_posix(), path.read_bytes()))
    return files


def build_wheel(dest: Path) -> Path:
    """Write ``{name}-{version}-py3-none-any.whl`` into ``dest``; returns its path."""
    info = project()
    dist = re.sub(r"[-_.]+", "_", info.name).lower()
    dist_info = f"{dist}-{info.version}.dist-info"
    metadata = ["Metadata-Version: 2.1", f"Name: {info.name}", f"Version: {info.version}"]
    if info.summary:
        metadata.append(f"Summary: {info.summary}")
    if info.requires_python:
        metadata.append(f"Requires-Python: {info.requires_python}")
    metadata += [f"Requires-Dist: {r}" for r in info.requires]
    entries = package_files()
    entries.append((f"{dist_info}/METADATA", ("\n".join(metadata) + "\n").encode("utf-8")))
    entries.append((f"{dist_info}/WHEEL", b"Wheel-Version: 1.0\nGenerator: grader\nRoot-Is-Purelib: true\n"
                                          b"Tag: py3-none-any\n"))
    if info.scripts:
        scripts = "".join(f"{k} = {v}\n" for k, v in sorted(info.scripts.items()))
        entries.append((f"{dist_info}/entry_points.txt", f"[console_scripts]\n{scripts}".encode("utf-8")))
    entries.append((f"{dist_info}/top_level.txt", b"grader\n"))
    record = "".join(f"{name},{_record_hash(data)},{len(data)}\n" for name, data in entries)
    record += f"{dist_info}/RECORD,,\n"
    entries.append((f"{dist_info}/RECORD", record.encode("utf-8")))
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    path = dest / f"{dist}-{info.version}-py3-none-any.whl"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as wheel:
        for name, data in entries:
            item = zipfile.ZipInfo(name, _EPOCH)
            item.external_attr = 0o644 << 16
            item.compress_type = zipfile.ZIP_DEFLATED
            wheel.writestr(item, data)
    return path


__all__ = ["Project", "build_wheel", "package_files", "project"]
