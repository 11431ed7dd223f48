"""Checking written answers on several cores.

A class of thousands brings thousands of distinct answers; each is checked once, and that work
splits cleanly by answer. ``CheckWorkers`` forks processes that inherit the prepared questions
(the reference side is never recomputed), hands each a share of the distinct answers, and
collects the outcomes by key, so the result is the same whatever the number of workers.

The workers are forked before any thread exists in the grader (forking a process with threads
can leave a lock held forever in the child): ``pipeline.grade_class`` starts them right after
the submissions are read, before the sandbox and the progress bar start their threads. What
crosses the pipes is our own data: answers as the YAML base loader built them (text, lists,
maps) and the outcomes our kinds computed.
"""

from __future__ import annotations

import os
import threading
from typing import Any, Callable, Mapping

#: Distinct answers below which one process checks them all (forking costs more than it saves).
WORTH_IT = 1500

Task = tuple[str, str, Any]  # question id, answer key, answer


class CheckWorkers:
    """Forked processes that check answers for ``prepared`` questions."""

    def __init__(self, prepared: Mapping[str, Any], count: int,
                 check: Callable[[Any, Any], Any]) -> None:
        import multiprocessing

        if threading.active_count() > 1:
            raise RuntimeError("check workers must be forked before any thread starts")
        self._check = check
        self._prepared = prepared
        context = multiprocessing.get_context("fork")
        self._workers = []
        for index in range(count):
            ours, theirs = context.Pipe(duplex=True)
            process = context.Process(target=_serve, args=(theirs, prepared, check, os.getpid()),
                                      daemon=True, name=f"grader-check-{index}")
            process.start()
            theirs.close()
            self._workers.append((process, ours))

    def check_all(self, tasks: list[Task]) -> dict[tuple[str, str], Any]:
        """Every task's outcome, by (question id, key); this process takes a share too."""
        shares = len(self._workers) + 1
        # Interleaved shares: answers of every question (cheap and costly ones) in each.
        parts = [tasks[i::shares] for i in range(shares)]
        sent = []
        for (process, conn), part in zip(self._workers, parts[1:]):
            try:
                conn.send(part)
                sent.append((conn, part))
            except (OSError, EOFError):
                parts[0] = parts[0] + part  # a worker that died: its share is done here
        results = _check_part(parts[0], self._prepared, self._check)
        for conn, part in sent:
            try:
                results.update(conn.recv())
            except (OSError, EOFError):
                results.update(_check_part(part, self._prepared, self._check))
        return results

    def close(self) -> None:
        for process, conn in self._workers:
            try:
                conn.send(None)
                conn.close()
            except (OSError, EOFError):
                pass
        for process, _ in self._workers:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
                process.join()
        self._workers = []

    def __enter__(self) -> "CheckWorkers":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _check_part(part: list[Task], prepared: Mapping[str, Any], check) -> dict[tuple[str, str], Any]:
    return {(qid, key): check(prepared[qid], value) for qid, key, value in part}


def _serve(conn, prepared, check, parent: int) -> None:
    from .lifetime import die_with_parent

    die_with_parent(parent)
    while True:
        try:
            part = conn.recv()
        except (EOFError, OSError):
            break
        if part is None:
            break
        conn.send(_check_part(part, prepared, check))
    conn.close()
    os._exit(0)


__all__ = ["CheckWorkers", "WORTH_IT"]
