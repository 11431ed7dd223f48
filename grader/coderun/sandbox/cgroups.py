"""Whole-submission limits with cgroups: memory, processes and CPU counted over everything one
submission starts, however many processes it forks.

Each pool makes one folder per hierarchy under the grader's own cgroup (found from
/proc/self/mountinfo and /proc/self/cgroup; machines mix v1 controllers with a cgroup2 mount)
and one group per worker in it. The worker's zygote joins its group once it has started, so
every process of its submissions is born there (moving a process costs an RCU grace period,
milliseconds). The grader reads the group's CPU time to time each call and its OOM-kill count
to say why a child died.
"""

from __future__ import annotations

import errno
import os
import time
from dataclasses import dataclass

from .limits import Limits

#: No ``cpu`` controller: under a busy machine, scheduling a worker's processes as one group
#: made whole runs 1.5-2x slower; the CPU a submission uses is limited through its own calls'
#: CPU time (cpuacct), which ends a submission whose burners eat it.
WANTED = ("memory", "pids", "cpuacct")


class CgroupsUnavailable(Exception):
    """This process cannot make the cgroups it needs (not root, no delegation, ...)."""


@dataclass(frozen=True)
class Hierarchy:
    """A cgroup hierarchy we can use: its version, our own group's folder in it, and which of
    the wanted controllers it carries."""

    version: int
    path: str
    controllers: tuple[str, ...]


def find_hierarchies() -> list[Hierarchy]:
    """The hierarchies that carry a wanted controller, with our group's folder in each."""
    ours_v1: dict[str, str] = {}
    ours_v2 = None
    try:
        with open("/proc/self/cgroup") as handle:
            for line in handle:
                number, names, path = line.rstrip("\n").split(":", 2)
                if number == "0" and names == "":
                    ours_v2 = path
                for name in names.split(","):
                    ours_v1[name] = path
        with open("/proc/self/mountinfo") as handle:
            mounts = [line.split() for line in handle]
    except OSError:
        return []
    found: list[Hierarchy] = []
    seen: set[str] = set()
    for fields in mounts:
        try:
            dash = fields.index("-")
        except ValueError:
            continue
        root, point, fstype, options = fields[3], _unescape(fields[4]), fields[dash + 1], fields[dash + 3]
        if fstype == "cgroup":
            controllers = tuple(c for c in WANTED if c in options.split(",") and c not in seen)
            ours = ours_v1.get(controllers[0]) if controllers else None
            version = 1
        elif fstype == "cgroup2":
            controllers, ours, version = ("memory", "pids"), ours_v2, 2
        else:
            continue
        if not controllers or ours is None or not (ours + "/").startswith(root.rstrip("/") + "/"):
            continue
        path = os.path.join(point, ours[len(root.rstrip("/")):].lstrip("/"))
        if version == 2:
            try:
                with open(os.path.join(path, "cgroup.controllers")) as handle:
                    available = handle.read().split()
            except OSError:
                available = []
            controllers = tuple(c for c in controllers if c in available and c not in seen)
        if controllers and os.path.isdir(path):
            seen.update(controllers)
            found.append(Hierarchy(version, path, controllers))
    return found


def _unescape(text: str) -> str:
    return text.replace("\\040", " ").replace("\\011", "\t").replace("\\012", "\n").replace("\\134", "\\")


def _write(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def _rmdir_tree(path: str, patience: float = 2.0) -> bool:
    """Remove a cgroup folder and its child groups; whether it is gone. A group whose processes
    are still exiting is tried again for up to ``patience`` seconds (then the next run's sweep
    finds it)."""
    deadline = time.monotonic() + patience
    while True:
        try:
            children = [entry.path for entry in os.scandir(path) if entry.is_dir(follow_symlinks=False)]
        except FileNotFoundError:
            return True
        except OSError:
            return False
        for child in children:  # two levels deep at most: pool, then workers
            _rmdir_tree(child, 0.0)
        try:
            os.rmdir(path)
            return True
        except FileNotFoundError:
            return True
        except OSError as exc:
            if exc.errno != errno.EBUSY or time.monotonic() > deadline:
                return False
        time.sleep(0.01)


class WorkerGroups:
    """One worker's group in each hierarchy: joined by its submissions, read by the grader."""

    def __init__(self, folders: list[tuple[Hierarchy, str]]) -> None:
        self.procs = [os.path.join(folder, "cgroup.procs") for _, folder in folders]
        self._cpu_fd = -1
        self._cpu_v2 = False
        self._oom_fd = -1
        for hierarchy, folder in folders:
            if "cpuacct" in hierarchy.controllers:
                self._cpu_fd = os.open(os.path.join(folder, "cpuacct.usage"), os.O_RDONLY | os.O_CLOEXEC)
            elif hierarchy.version == 2 and self._cpu_fd < 0:
                self._cpu_fd = os.open(os.path.join(folder, "cpu.stat"), os.O_RDONLY | os.O_CLOEXEC)
                self._cpu_v2 = True
            if "memory" in hierarchy.controllers:
                name = "memory.events" if hierarchy.version == 2 else "memory.oom_control"
                self._oom_fd = os.open(os.path.join(folder, name), os.O_RDONLY | os.O_CLOEXEC)

    @property
    def measures_cpu(self) -> bool:
        return self._cpu_fd >= 0

    def cpu_seconds(self) -> float:
        """CPU time used by everything that ever ran in this group."""
        text = os.pread(self._cpu_fd, 4096, 0)
        if not self._cpu_v2:
            return int(text) / 1e9
        for line in text.split(b"\n"):
            if line.startswith(b"usage_usec "):
                return int(line.split()[1]) / 1e6
        return 0.0

    def oom_kills(self) -> int:
        """How many processes of this group the kernel has killed for memory; -1 if unknown."""
        if self._oom_fd < 0:
            return -1
        for line in os.pread(self._oom_fd, 4096, 0).split(b"\n"):
            if line.startswith(b"oom_kill "):
                return int(line.split()[1])
        return -1

    def close(self) -> None:
        for fd in (self._cpu_fd, self._oom_fd):
            if fd >= 0:
                os.close(fd)
        self._cpu_fd = self._oom_fd = -1


class PoolGroups:
    """The cgroups of one pool, named after its lease: a folder per hierarchy under our own
    group, a group per worker in it with the pool's limits. Raises CgroupsUnavailable when no
    controller can be used (the pool then falls back to per-process rlimits)."""

    def __init__(self, name: str, workers: int, limits: Limits) -> None:
        self.folders: list[str] = []
        self.workers: list[WorkerGroups] = []
        used: list[tuple[Hierarchy, str]] = []
        for hierarchy in find_hierarchies():
            folder = os.path.join(hierarchy.path, name)
            try:
                if hierarchy.version == 2:
                    _enable(hierarchy.path, hierarchy.controllers)
                os.mkdir(folder)
            except OSError:
                continue
            self.folders.append(folder)
            try:
                if hierarchy.version == 2:
                    _enable(folder, hierarchy.controllers)
                used.append((hierarchy, folder))
            except OSError:
                continue
        self.controllers = tuple(sorted({c for h, _ in used for c in h.controllers}))
        if not used:
            self.close()
            raise CgroupsUnavailable("no cgroup controller can be used here")
        try:
            for slot in range(workers):
                mine = []
                for hierarchy, folder in used:
                    group = os.path.join(folder, f"worker{slot}")
                    os.mkdir(group)
                    _limit(hierarchy, group, limits)
                    mine.append((hierarchy, group))
                self.workers.append(WorkerGroups(mine))
        except OSError as exc:
            self.close()
            raise CgroupsUnavailable(f"cgroups could not be set up: {exc}") from None

    def close(self) -> bool:
        """Remove the groups (the workers must have stopped); whether they are all gone."""
        for worker in self.workers:
            worker.close()
        gone = all([_rmdir_tree(folder) for folder in self.folders])
        self.folders = []
        return gone


def _enable(folder: str, controllers: tuple[str, ...]) -> None:
    """cgroup v2: let ``folder``'s children use ``controllers`` (fails with EBUSY while processes
    sit in ``folder`` itself, as in a grader's own non-root group: then v2 is not used)."""
    _write(os.path.join(folder, "cgroup.subtree_control"), " ".join("+" + c for c in controllers if c != "cpuacct"))


def _limit(hierarchy: Hierarchy, group: str, limits: Limits) -> None:
    """A worker group's limits: the submission's total memory (its files in tmpfs come on top)
    and its process count (plus the zygote and the init)."""
    v2 = hierarchy.version == 2
    memory_bytes = limits.memory_bytes + 3 * limits.disk_bytes
    settings: list[tuple[str, str, bool]] = []  # file, value, required
    if "memory" in hierarchy.controllers:
        if v2:
            settings += [("memory.max", str(memory_bytes), True), ("memory.swap.max", "0", False)]
        else:
            settings += [("memory.limit_in_bytes", str(memory_bytes), True),
                         ("memory.memsw.limit_in_bytes", str(memory_bytes), False),
                         ("memory.swappiness", "0", False)]
    if "pids" in hierarchy.controllers:
        settings.append(("pids.max", str(limits.processes + 2), True))
    for name, value, required in settings:
        try:
            _write(os.path.join(group, name), value)
        except OSError:
            if required:
                raise


def remove_pool_groups(name: str) -> bool:
    """Remove the cgroups of the pool called ``name`` (a killed one); whether they are gone."""
    return all([_rmdir_tree(os.path.join(hierarchy.path, name)) for hierarchy in find_hierarchies()])
