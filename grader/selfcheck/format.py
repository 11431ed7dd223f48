"""The self-check bundle file (``hw1.check``): a versioned, compressed msgpack document.

Layout, byte for byte::

    grader self-check bundle\\n          the magic line: what the file is
    format 1\\n                          the format version, readable without decoding the rest
    <zlib-compressed msgpack Payload>

The payload is a ``Payload`` struct: the assignment's title, the grader version that wrote it, the
sandbox limits, and one ``Entry`` per question (id, kind, points, prompt, ``self_check`` mode,
and the kind's exported ``data``). float64 arrays are msgpack extension objects (type 1): a dtype
byte, the number of dimensions, each dimension as a little-endian uint64, then the values as
little-endian float64. Decoding is typed (msgspec), and every size is checked, so a damaged or
hand-edited file is a clear error, never a crash; nothing is unpickled.

Version rule: a reader reads formats ``OLDEST_READABLE`` .. ``FORMAT_VERSION``. Fields may be
added within a version (readers ignore fields they do not know); anything else is a new version.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np

MAGIC = b"grader self-check bundle\n"
FORMAT_VERSION = 1
OLDEST_READABLE = 1
#: Largest decompressed payload read (a hand-made zlib bomb stops here).
MAX_PAYLOAD = 256 << 20
_ARRAY_EXT = 1
_FLOAT64 = 0
_NDIM = struct.Struct("<BB")
_DIM = struct.Struct("<Q")
_MAX_NDIM = 8
#: The distribution name on the package index (the import package and the command are `grader`).
DISTRIBUTION = "grader-ml"


class BundleError(Exception):
    """A file that is not a usable self-check bundle; the message says why, for a student."""


class Entry(msgspec.Struct, frozen=True, kw_only=True):
    """One question of a bundle. ``data`` is None for a question that is not checked, and
    ``note`` then says why."""

    id: str
    kind: str
    points: float
    prompt: str = ""
    mode: Literal["full", "verdict", "off"] = "full"
    data: dict[str, Any] | None = None
    note: str = ""


class Payload(msgspec.Struct, frozen=True, kw_only=True):
    grader: str
    title: str
    questions: list[Entry]
    sandbox: dict[str, Any] = msgspec.field(default_factory=dict)
    #: The student whose version the bundle checks ("" when the rubric has one version).
    student: str = ""


# -- arrays as extension objects -------------------------------------------------------------------
def _encode_hook(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        array = np.asarray(value, dtype="<f8")  # (ascontiguousarray would make 0-d arrays 1-d)
        if array.ndim > _MAX_NDIM:
            raise TypeError("arrays in a bundle have at most 8 dimensions")
        header = _NDIM.pack(_FLOAT64, array.ndim) + b"".join(_DIM.pack(d) for d in array.shape)
        return msgspec.msgpack.Ext(_ARRAY_EXT, header + array.tobytes())
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"a bundle cannot hold a {type(value).__name__}")


def _array_hook(code: int, data: memoryview) -> Any:
    if code != _ARRAY_EXT or len(data) < _NDIM.size:
        raise ValueError("unknown extension object")
    dtype, ndim = _NDIM.unpack_from(data)
    if dtype != _FLOAT64 or ndim > _MAX_NDIM:
        raise ValueError("unknown array type")
    offset = _NDIM.size
    shape = []
    for _ in range(ndim):
        if offset + _DIM.size > len(data):
            raise ValueError("truncated array")
        shape.append(_DIM.unpack_from(data, offset)[0])
        offset += _DIM.size
    count = int(np.prod(shape, dtype=object)) if shape else 1
    if len(data) - offset != 8 * count:
        raise ValueError("array size does not match its shape")
    return np.frombuffer(data[offset:], dtype="<f8").astype(np.float64).reshape(tuple(shape))


# -- the file --------------------------------------------------------------------------------------
def encode(payload: Payload) -> bytes:
    """The bytes of a bundle file; the same payload always gives the same bytes."""
    body = msgspec.msgpack.encode(payload, enc_hook=_encode_hook)
    return MAGIC + f"format {FORMAT_VERSION}\n".encode() + zlib.compress(body, 9)


def looks_like_bundle(path: str | Path) -> bool:
    """Whether the file starts with the bundle's magic line (False for folders, missing files)."""
    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def version_of(raw: bytes, name: str = "this file") -> tuple[int, bytes]:
    """The format version and the compressed body; BundleError when the file is not a bundle."""
    if not raw.startswith(MAGIC):
        raise BundleError(f"{name} is not a self-check bundle (make one with `grader bundle RUBRIC`)")
    line, newline, body = raw[len(MAGIC):].partition(b"\n")
    words = line.split()
    if not newline or len(words) != 2 or words[0] != b"format" or not words[1].isdigit():
        raise BundleError(f"{name} is damaged: its format line is unreadable")
    return int(words[1]), body


def check_version(version: int, name: str = "this file") -> None:
    """BundleError naming both versions when this grader cannot read ``version``."""
    from ..version import __version__

    if version > FORMAT_VERSION:
        raise BundleError(
            f"{name} is a self-check bundle of format {version}, but this grader ({DISTRIBUTION} "
            f"{__version__}) reads format {FORMAT_VERSION}: upgrade with "
            f"`pip install --upgrade {DISTRIBUTION}`")
    if version < OLDEST_READABLE:
        raise BundleError(
            f"{name} is a self-check bundle of format {version}, made by an older grader; this "
            f"grader ({DISTRIBUTION} {__version__}) reads formats {OLDEST_READABLE} to "
            f"{FORMAT_VERSION}: ask for a bundle made with a current grader")


def payload_bytes(raw: bytes, name: str = "this file") -> bytes:
    """The decompressed msgpack payload of a readable bundle."""
    version, body = version_of(raw, name)
    check_version(version, name)
    inflate = zlib.decompressobj()
    try:
        data = inflate.decompress(body, MAX_PAYLOAD)
    except zlib.error:
        raise BundleError(f"{name} is damaged (it does not decompress)") from None
    if inflate.unconsumed_tail:
        raise BundleError(f"{name} is too large to be a self-check bundle")
    if not inflate.eof:
        raise BundleError(f"{name} is damaged (it is cut short)")
    return data


def decode(raw: bytes, name: str = "this file") -> Payload:
    """The payload of a bundle file's bytes; BundleError for anything unusable."""
    data = payload_bytes(raw, name)
    try:
        return msgspec.msgpack.decode(data, type=Payload, ext_hook=_array_hook)
    except (msgspec.DecodeError, ValueError) as err:
        raise BundleError(f"{name} is damaged ({err})") from None


def decode_plain(raw: bytes) -> Any:
    """The payload as plain Python objects (dicts, lists, bytes, arrays), for inspection."""
    return msgspec.msgpack.decode(payload_bytes(raw), ext_hook=_array_hook)


def read(path: str | Path) -> Payload:
    """A bundle file's payload; BundleError when it cannot be used."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise BundleError(f"{path}: no such file") from None
    except OSError as err:
        raise BundleError(f"{path}: cannot read: {err.strerror or err}") from None
    return decode(raw, str(path))


__all__ = ["BundleError", "DISTRIBUTION", "Entry", "FORMAT_VERSION", "MAGIC", "OLDEST_READABLE",
           "Payload", "decode", "decode_plain", "encode", "looks_like_bundle", "payload_bytes",
           "read", "version_of"]
