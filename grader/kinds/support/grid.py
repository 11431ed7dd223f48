"""Final values as salted hashes, for self-check bundles: a student's answer is hashed the same way
and compared, so the bundle never holds the value itself.

Numbers are hashed on the *tolerance grid*. The map

    φ(v) = sign(v) · ln(1 + rtol·|v| / atol) / rtol

has slope 1 / (atol + rtol·|v|): one tolerance width of |a − r| <= atol + rtol·|r| is about one unit
of φ wherever r lies (at most −ln(1 − rtol)/rtol ≈ 1 + rtol/2, and where the interval crosses zero
at most 2·ln(1 + rtol/(2 − 2·rtol))/rtol ≈ 1). The cell of v is ⌊φ(v) / c⌋, with c the larger of
those bounds plus 1e-12/rtol (rounding in φ). A bundle holds the hashes of the reference's cell
and its two neighbours, so:

- an answer within tolerance always matches (its cell is at most one away);
- an answer that matches is within two cells, i.e. within about twice the tolerance.

Each hash is SHA-256 over a per-question salt (derived from the bundle seed), a label saying what is
hashed, and the cell number; hashes are cut to 16 bytes. Salting stops a table of hashes of common
values from being shared between assignments; it does not stop a student from hashing guesses, and
where the answer space is small (a choice, a small shape) nothing can (see docs/self-check.md).
"""

from __future__ import annotations

import hashlib
import hmac
import math
from typing import Iterable

from ...tolerance import Tolerance

#: The smallest absolute tolerance the grid uses (atol = 0 would make φ infinite).
TINY_ATOL = 1e-300
DIGEST_BYTES = 16


def derive(key: int | bytes, *labels: str, size: int = 32) -> bytes:
    """HMAC-SHA256 of ``labels`` under ``key``: one-way, so the key cannot be read back."""
    key_bytes = key if isinstance(key, bytes) else str(key).encode()
    message = b"\0".join(label.encode() for label in ("grader/self-check", *labels))
    return hmac.new(key_bytes, message, hashlib.sha256).digest()[:size]


def question_salt(bundle_seed: int, question_id: str) -> bytes:
    """The salt of one question's hashes."""
    return derive(bundle_seed, "salt", question_id, size=16)


def digest(salt: bytes, label: str, value: str) -> bytes:
    """One salted hash: what is hashed (``label``) and its canonical text (``value``)."""
    return hashlib.sha256(salt + label.encode() + b"\0" + value.encode()).digest()[:DIGEST_BYTES]


#: Relative tolerances from here on are too wide for the grid (a cell would cover zero and ±r).
MAX_RTOL = 0.5


def hashable(tol: Tolerance) -> bool:
    """Whether numbers with this tolerance can be hashed on the grid."""
    return tol.rtol < MAX_RTOL


def cell_width(tol: Tolerance) -> float:
    """The width of a cell in units of φ: at least one tolerance width anywhere."""
    rtol = tol.rtol
    if not hashable(tol):
        raise ValueError(f"a relative tolerance of {rtol:g} is too wide to hash (at most {MAX_RTOL})")
    toward_zero = -math.log1p(-rtol) / rtol
    across_zero = 2 * math.log1p(rtol / (2 * (1 - rtol))) / rtol
    return max(1.0, toward_zero, across_zero) + 1e-12 / rtol


def coordinate(value: float, tol: Tolerance) -> float:
    """φ(value): one unit is about one tolerance width."""
    if value == 0:
        return 0.0
    atol = max(tol.atol, TINY_ATOL)
    scaled = tol.rtol * abs(value) / atol
    logged = math.log1p(scaled) if math.isfinite(scaled) else (
        math.log(tol.rtol) + math.log(abs(value)) - math.log(atol))
    return math.copysign(logged / tol.rtol, value)


def cell(value: float, tol: Tolerance) -> str:
    """The grid cell of ``value`` as text (non-finite values are their own cells)."""
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return str(math.floor(coordinate(value, tol) / cell_width(tol)))


def neighbours(text: str) -> list[str]:
    """A cell and the cells on either side (a non-finite cell has none)."""
    if text in ("nan", "inf", "-inf"):
        return [text]
    number = int(text)
    return [str(number - 1), text, str(number + 1)]


def value_hashes(salt: bytes, label: str, value: float, tol: Tolerance) -> list[bytes]:
    """What a bundle stores for a reference value: the hashes of its cell and its neighbours."""
    return [digest(salt, label, c) for c in neighbours(cell(value, tol))]


def value_matches(salt: bytes, label: str, value: float, tol: Tolerance,
                  hashes: Iterable[bytes]) -> bool:
    """Whether an answer's value falls in one of the stored cells."""
    return digest(salt, label, cell(value, tol)) in set(hashes)


def exact_text(values: Iterable[float]) -> str:
    """Canonical text of values compared exactly (sizes: products and sums of primes)."""
    return ",".join(f"{float(v):.10g}" for v in values)


class PlainValue:
    """A reference number compared within tolerance (grading)."""

    def __init__(self, reference: float, tol: Tolerance):
        self.reference, self.tol = reference, tol

    def matches(self, value: float) -> bool:
        from ...tolerance import within

        return bool(within(value, self.reference, self.tol.rtol, self.tol.atol))


class HashedValue:
    """A reference number known only by the hashes of its grid cells (self-check)."""

    def __init__(self, salt: bytes, hashes: Iterable[bytes], tol: Tolerance, label: str = "value"):
        self.salt, self.hashes, self.tol, self.label = salt, list(hashes), tol, label

    def matches(self, value: float) -> bool:
        return value_matches(self.salt, self.label, value, self.tol, self.hashes)


__all__ = ["HashedValue", "MAX_RTOL", "PlainValue", "cell", "cell_width", "coordinate", "derive",
           "digest", "exact_text", "hashable", "neighbours", "question_salt", "value_hashes", "value_matches"]
