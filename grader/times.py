"""Points in time and durations, one reading of each: a due date, a submission time from an
LMS's metadata or a times.csv, a grace period. A time without a zone is refused rather than
guessed: "23:59" means a different instant in every time zone, and lateness hangs on it."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

#: 2024-02-01T23:59:00-05:00, 2024-02-01 23:59:00.123456789 -0500 (Gradescope's Ruby form),
#: 2024-02-01T23:59Z, with any number of fraction digits (Python keeps microseconds).
_TIME = re.compile(
    r"^\s*(?P<date>\d{4}-\d{2}-\d{2})[T ](?P<h>\d{2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"\s*(?P<zone>Z|UTC|[+-]\d{2}(?::?\d{2})?)?\s*$", re.I)
_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(days?|d|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s)(?![a-z])", re.I)
_ISO_DURATION = re.compile(r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?"
                           r"(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$", re.I)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}


class TimeError(ValueError):
    """A time or duration that cannot be read; the message says what form is expected."""


def parse_time(text: str) -> datetime:
    """An aware datetime from ISO 8601 text with a zone (``Z``, ``+01:00``, ``-0500``)."""
    match = _TIME.match(str(text))
    if not match:
        raise TimeError(f"{text!r} is not a time: write ISO 8601 with a zone, "
                        "e.g. 2024-02-01T23:59:00-05:00")
    zone = match["zone"]
    if zone is None:
        raise TimeError(f"{text!r} has no time zone: add one, e.g. {text.strip()}-05:00 or "
                        f"{text.strip()}Z")
    fraction = (match["f"] or "")[:6].ljust(6, "0")
    try:
        naive = datetime.fromisoformat(f"{match['date']}T{match['h']}:{match['m']}:{match['s'] or '00'}")
    except ValueError as err:
        raise TimeError(f"{text!r}: {err}") from None
    naive = naive.replace(microsecond=int(fraction))
    return naive.replace(tzinfo=_zone(zone))


def _zone(text: str) -> timezone:
    if text.upper() in ("Z", "UTC"):
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_duration(text: str | int | float) -> timedelta:
    """``15m``, ``2h``, ``1d 12h``, ``90 minutes``, ISO 8601 ``PT15M``, or a number of hours."""
    if isinstance(text, bool):
        raise TimeError(f"{text!r} is not a duration")
    if isinstance(text, (int, float)):
        if text < 0:
            raise TimeError("a duration must not be negative")
        return timedelta(hours=float(text))
    raw = str(text).strip()
    iso = _ISO_DURATION.match(raw)
    if iso and raw.upper() not in ("P", "PT"):
        return timedelta(days=float(iso["d"] or 0), hours=float(iso["h"] or 0),
                         minutes=float(iso["m"] or 0), seconds=float(iso["s"] or 0))
    if raw in ("0", ""):
        return timedelta(0)
    parts = _DURATION_PART.findall(raw)
    if not parts or _DURATION_PART.sub("", raw).strip(" ,"):
        raise TimeError(f"{text!r} is not a duration: write e.g. 15m, 2h, 1d or PT15M")
    seconds = sum(float(amount) * _UNIT_SECONDS[unit[0].lower()] for amount, unit in parts)
    return timedelta(seconds=seconds)


def iso(moment: datetime) -> str:
    """The form OUTDIR files keep: ISO 8601 to the second (microseconds only when present)."""
    return moment.isoformat()


__all__ = ["TimeError", "iso", "parse_duration", "parse_time"]
