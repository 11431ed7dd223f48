"""How isolated a submission can be on this machine, and the file system it may see.

Namespace support is detected by trying (a throw-away process does what a zygote and an init
do), not by reading sysctls: a container's seccomp profile or a missing user namespace only
shows itself then. ``GRADER_SANDBOX_NAMESPACES=off`` pretends they are unavailable (tests, or
an instructor who wants the old behaviour on purpose).
"""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import os
import re
import site
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import NoReturn

from . import zygote

FULL, WEAK = "full", "weak"
ENV_SWITCH = "GRADER_SANDBOX_NAMESPACES"

#: System folders every plan binds (when present): the C libraries the interpreter and its
#: extension modules load, and /bin for the shell that os.system and subprocess start.
SYSTEM_PATHS = ("/lib", "/lib32", "/lib64", "/usr/lib", "/usr/lib32", "/usr/lib64", "/bin", "/usr/bin")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime")


class IsolationUnavailable(RuntimeError):
    """A pool that runs several students' code needs namespaces, and they are not available."""


@dataclass(frozen=True)
class Isolation:
    """What a pool's sandbox enforces: ``level`` full (namespaces) or weak (separate processes,
    rlimits, a dropped uid when root); whether a user namespace stands in for root; the cgroup
    controllers in use; and, when weak, why."""

    level: str
    user_namespace: bool = False
    cgroups: tuple[str, ...] = ()
    reason: str = ""

    def describe(self) -> str:
        """One line for run.json and logs."""
        text = f"{self.level} isolation"
        if self.level == FULL:
            text += " (user namespace)" if self.user_namespace else " (namespaces as root)"
        text += f"; cgroups: {', '.join(self.cgroups)}" if self.cgroups else "; no cgroups (rlimits only)"
        return text + (f"; {self.reason}" if self.reason else "")


def namespaces_switched_off() -> bool:
    return os.environ.get(ENV_SWITCH, "").strip().lower() in ("0", "off", "no", "false")


def _try_namespaces(user_ns: bool, plan: list[list[str]], root: str) -> NoReturn:
    """In a throw-away forked process: do what a zygote and a submission do, then exit 0 (or 1
    with the reason on fd 2). Support is detected by trying, not by reading sysctls."""
    code = 1
    try:
        os.closerange(3, 1 << 20)
        zygote.enter_worker_namespaces(user_ns)
        zygote.build_root(root, plan)
        zygote.enter_submission_namespaces(0, 1 << 20)
        pid = os.fork()
        if pid == 0:
            try:
                zygote.mount_proc()
                os._exit(0)
            except BaseException as exc:
                os.write(2, f"{exc}\n".encode())
                os._exit(1)
        code = 0 if os.waitpid(pid, 0)[1] == 0 else 1
    except BaseException as exc:
        os.write(2, f"{exc}\n".encode())
    os._exit(code)


@functools.cache
def _probe(user_ns: bool, plan_key: str) -> str:
    """The empty string when a zygote's and a submission's namespaces can be made here, else
    the reason they cannot (found in a forked process, once per process and plan)."""
    import json

    plan = json.loads(plan_key)
    root = tempfile.mkdtemp(prefix="grader-probe-")
    read, write = os.pipe()
    try:
        pid = os.fork()
        if pid == 0:  # pragma: no cover - runs in the forked probe
            try:
                os.dup2(write, 2)
            finally:
                _try_namespaces(user_ns, plan, root)
        os.close(write)
        write = -1
        status = os.waitpid(pid, 0)[1]
        reason = os.read(read, 1000).decode("utf-8", "replace").strip()
    finally:
        os.close(read)
        if write >= 0:
            os.close(write)
        os.rmdir(root)
    if os.waitstatus_to_exitcode(status) == 0:
        return ""
    return reason or f"the namespace probe failed (wait status {status})"


def probe(plan: list[list[str]]) -> tuple[bool, bool, str]:
    """(namespaces usable, through a user namespace, reason if not) for this process."""
    import json

    if namespaces_switched_off():
        return False, False, f"namespaces switched off ({ENV_SWITCH}={os.environ[ENV_SWITCH]})"
    if not sys.platform.startswith("linux"):
        return False, False, "namespaces need Linux"
    user_ns = os.geteuid() != 0
    reason = _probe(user_ns, json.dumps(plan))
    if reason:
        how = "unprivileged user namespaces" if user_ns else "namespaces as root"
        return False, user_ns, f"{how} are not available here ({reason})"
    return True, user_ns, ""


# ---------------------------------------------------------------------------------------------
# The worker's file system
# ---------------------------------------------------------------------------------------------


def default_hidden() -> tuple[str, ...]:
    """Folders that must never be visible even when they lie inside a bound folder: the grader's
    repository (an editable install sits beside rubrics/ and submissions/), the current folder
    and home folders."""
    repository = Path(__file__).resolve().parents[3]  # grader/coderun/sandbox/ → the repository
    return (str(repository), os.getcwd(), "/home", "/root", os.path.expanduser("~"))


@functools.cache
def mount_plan(modules: tuple[str, ...], hidden: tuple[str, ...]) -> list[list[str]]:
    """The operations that build a worker's file system (``zygote.build_root`` runs them):

    * read-only binds of the interpreter's prefixes and the system's library folders;
    * masks (empty read-only tmpfs) over every site-packages folder and over ``hidden``
      folders that lie inside a bound folder;
    * read-only binds of what numpy and ``modules`` need: their distributions' files and, in
      turn, those of their requirements, at their usual paths.

    Everything else (the class folder, rubrics, outputs, the repository, home folders, /etc,
    /var, ...) does not exist inside.
    """
    binds: dict[str, str] = {}  # where -> what (files such as /etc/localtime may be links)
    symlinks: list[list[str]] = []
    prefixes = {sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix,
                os.path.dirname(os.path.realpath(sys.executable))}
    for path in [*SYSTEM_PATHS, *sorted(prefixes)]:
        if os.path.islink(path) and os.path.dirname(path) == "/":  # merged /usr: /lib -> usr/lib
            symlinks.append(["symlink", path, os.readlink(path)])
        if os.path.isdir(path):
            real = os.path.realpath(path)
            binds.setdefault(real, real)
    bound = _outermost(binds)
    files = [["bind", path, os.path.realpath(path)] for path in SYSTEM_FILES
             if os.path.isfile(path) and not _inside_any(path, bound)]
    sites = {os.path.realpath(p) for p in [*site.getsitepackages(), site.getusersitepackages(), *sys.path]
             if p and os.path.basename(p.rstrip("/")) in ("site-packages", "dist-packages") and os.path.isdir(p)}
    # A hidden folder that holds a bound one (/, /root above a pyenv) is already absent apart
    # from the path down to what is bound; one inside a bound folder gets a mask.
    hide = {os.path.realpath(p) for p in hidden if p and os.path.exists(p)}
    hide = {h for h in hide if not any(_inside(b, h) for b in bound)}
    masks = sorted({p for p in sites | hide if _inside_any(p, bound) and p not in bound},
                   key=lambda p: p.count("/"))
    site_masks = [m for m in masks if m in sites]
    packages: set[str] = set()
    for name in ("numpy", *modules):
        packages |= _package_entries(name)
    wanted = sorted(p for p in packages if not _inside_any(p, hide)
                    and (_inside_any(p, site_masks) or not _inside_any(p, bound)))
    plan: list[list[str]] = [["bind", path, path] for path in bound]
    plan += files + symlinks + [["mask", path] for path in masks]
    plan += [["bind", path, path] for path in wanted]
    return plan


def init_program(plan: list[list[str]]) -> str:
    """The program each submission's PID namespace runs as its PID 1 (``sleep``), when the
    worker's file system has it; "" for the zygote's own forked reaper."""
    import shutil

    found = shutil.which("sleep", path="/usr/bin:/bin")
    if not found:
        return ""
    bound = [op[1] for op in plan if op[0] == "bind"]
    real = os.path.realpath(found)
    return real if _inside_any(real, bound) else ""


def _inside(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _inside_any(path: str, folders: set[str] | list[str]) -> bool:
    return any(_inside(path, folder) for folder in folders)


def _outermost(paths: dict[str, str]) -> list[str]:
    """The paths not inside another one, in order."""
    kept: list[str] = []
    for path in sorted(paths):
        if not _inside_any(path, kept):
            kept.append(path)
    return kept


_REQUIREMENT = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def _package_entries(module: str) -> set[str]:
    """Top-level site-packages entries (folders, modules, .libs, .dist-info) of the
    distribution that provides ``module`` and of everything it requires."""
    try:
        spec = importlib.util.find_spec(module)
    except (ImportError, ValueError):
        return set()
    if spec is None:
        return set()
    entries = {os.path.realpath(p) for p in (spec.submodule_search_locations or [spec.origin]) if p}
    try:
        dist = importlib.metadata.distribution(module)
    except importlib.metadata.PackageNotFoundError:
        names = importlib.metadata.packages_distributions().get(module, [])
        dists = [importlib.metadata.distribution(name) for name in names[:1]]
    else:
        dists = [dist]
    seen: set[str] = set()
    while dists:
        dist = dists.pop()
        key = (dist.metadata["Name"] or "").lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for file in dist.files or ():
            top = file.parts[0] if file.parts else ""
            if top and top not in ("..", "__pycache__") and not top.endswith(".pth"):
                entries.add(os.path.realpath(dist.locate_file(top)))
        for requirement in dist.requires or ():
            marker = requirement.partition(";")[2]
            found = _REQUIREMENT.match(requirement)
            if "extra" in marker or found is None:
                continue
            try:
                dists.append(importlib.metadata.distribution(found.group(1)))
            except importlib.metadata.PackageNotFoundError:
                pass
    return {entry for entry in entries if os.path.exists(entry)}
