"""Putting the roster's ids on submissions, right after they are read: from then on every step
(checking, reports, late marking, overrides, exports) keys on the roster's student id."""

from __future__ import annotations

import dataclasses
from collections import Counter
from typing import Callable, Mapping

from grader.submissions.submission import Submission

#: ``match(student, identity) -> (roster id or None, how it matched)``.
Matcher = Callable[[str, Mapping[str, str]], tuple["str | None", str]]


def put_roster_ids(submissions: list[Submission], match: Matcher) -> tuple[list[Submission], list[str]]:
    """Each submission under its roster id when ``match`` finds one (the id it was read under
    kept as ``identity['intake_id']``); notes say how many matched and how."""
    out: list[Submission] = []
    how: Counter[str] = Counter()
    by_name: list[str] = []
    for sub in submissions:
        roster_id, why = match(sub.student, dict(sub.identity))
        if roster_id is None or roster_id == sub.student:
            out.append(sub)
            continue
        identity = {**sub.identity, "intake_id": sub.student}
        out.append(dataclasses.replace(sub, student=roster_id, identity=identity))
        how[why] += 1
        if why.startswith("name"):
            by_name.append(f"{sub.student} → {roster_id}")
    notes: list[str] = []
    if how:
        ways = ", ".join(f"{n} by {why}" for why, n in sorted(how.items(), key=lambda kv: (-kv[1], kv[0])))
        notes.append(f"{sum(how.values())} submission(s) found on the roster under another id ({ways})")
        if by_name:
            notes.append("matched by name only (check them): " + ", ".join(by_name[:20]))
    return sorted(one_per_student(out, notes), key=lambda s: s.student), notes


def one_per_student(found: list[Submission], notes: list[str]) -> list[Submission]:
    """One submission per student id: of two (a student in two Gradescope groups, say), the
    later one when the times are known, else the first read; a note names the one left out."""
    by_id: dict[str, list[Submission]] = {}
    for sub in found:
        by_id.setdefault(sub.student, []).append(sub)
    out = []
    for student, subs in by_id.items():
        if len(subs) > 1:
            timed = [s for s in subs if s.submitted_at is not None]
            keep = max(timed, key=lambda s: s.submitted_at) if len(timed) == len(subs) else subs[0]
            dropped = [", ".join(s.source) for s in subs if s is not keep]
            notes.append(f"{student} has {len(subs)} submissions: graded {', '.join(keep.source)}; "
                         f"not graded: {'; '.join(dropped)}")
            subs = [keep]
        out.append(subs[0])
    return out


__all__ = ["Matcher", "one_per_student", "put_roster_ids"]


def student_facts(submissions: list[Submission], times: Mapping[str, str] | None = None
                  ) -> tuple[list[dict[str, str]], list[str]]:
    """What the intake learned about each student, as students.csv rows; ``times`` (from a
    times.csv: student → ISO time) wins over the LMS's times. A times.csv student is found by
    the id graded under, the id read under, or the LMS id."""
    times = dict(times or {})
    used: set[str] = set()
    rows = []
    for sub in submissions:
        identity = dict(sub.identity)
        when = sub.submitted_at.isoformat() if sub.submitted_at is not None else ""
        source = "gradescope" if when else ""
        for key in (sub.student, identity.get("intake_id", ""), identity.get("lms_id", "")):
            if key and key in times:
                when, source = times[key], "times.csv"
                used.add(key)
                break
        rows.append({"student": sub.student, "source": "; ".join(sub.source),
                     "lms_id": identity.get("lms_id", ""), "name": identity.get("name", ""),
                     "email": identity.get("email", ""), "group": sub.group, "submitted_at": when,
                     "time_from": source, "marked_late": "yes" if sub.late else ""})
    unused = sorted(set(times) - used)
    notes = [f"times.csv: {len(unused)} student(s) with no submission: {', '.join(unused[:20])}"] if unused else []
    return rows, notes


__all__ += ["student_facts"]
