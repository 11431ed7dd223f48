"""The grader's side of the sandbox's wire formats: requests out, the child's records in.

The formats themselves live in ``zygote`` (which must stay self-contained); everything here
treats what comes back from a child as hostile: sizes are checked before anything is allocated
or reshaped, and any oddity is a ProtocolError, never another exception.
"""

from __future__ import annotations

import math
import struct
from typing import Any

import numpy as np

from .limits import Call
from .zygote import (KIND_CALL, MAX_MESSAGE, MAX_NDIM, MAX_VALUE_BYTES, RESULT_HEADER, RESULT_MAGIC,
                     RESULT_STATUSES, ProtocolError, encode_frame)

__all__ = ["ProtocolError", "ResultReader", "Record", "encode_calls_frame", "encode_request"]

Record = tuple[int, str, int, str, "np.ndarray | None"]  # kind, status, index, message, value
_MAX_COUNT = MAX_VALUE_BYTES // 8


def _encode_arg(arg: Any, blobs: list[bytes], offset: int) -> tuple[dict[str, Any], int]:
    """One call argument as request metadata (and maybe data); the new data offset."""
    if isinstance(arg, (bool, np.bool_)):
        raise TypeError("call arguments must be floats, ints or numpy arrays, not bool")
    if isinstance(arg, (int, np.integer)):
        return {"int": int(arg)}, offset
    if isinstance(arg, (float, np.floating)):
        return {"float": float(arg)}, offset
    if isinstance(arg, np.ndarray) and arg.dtype.kind in "fiu" and arg.ndim <= MAX_NDIM:
        array = np.asarray(arg, dtype="<f8", order="C")
        blobs.append(array.tobytes())
        return {"array": {"dtype": "<f8", "shape": list(array.shape), "offset": offset}}, offset + array.nbytes
    raise TypeError(f"call arguments must be floats, ints or numeric numpy arrays, not {type(arg).__name__}")


def encode_calls_frame(calls: list[Call]) -> bytes:
    """The frame that gives a zygote the calls every child of a pool makes."""
    blobs: list[bytes] = []
    offset = 0
    call_meta = []
    for call in calls:
        args = []
        for arg in call.args:
            spec, offset = _encode_arg(arg, blobs, offset)
            args.append(spec)
        call_meta.append({"function": call.function, "args": args})
    return encode_frame({"calls": call_meta}, b"".join(blobs))


def encode_request(files: list[tuple[str, bytes]]) -> bytes:
    """The request for one submission: the student's files (read by that submission's init)."""
    offset = 0
    file_meta = []
    for name, content in files:
        file_meta.append({"name": name, "offset": offset, "length": len(content)})
        offset += len(content)
    return encode_frame({"files": file_meta}, b"".join(content for _, content in files))


class ResultReader:
    """Cuts the child's byte stream into records, refusing anything off the format."""

    def __init__(self) -> None:
        self._rest = b""  # the start of a record still incomplete
        #: Why the stream broke, once it has: the records before the bad one still count.
        self.error: ProtocolError | None = None

    def feed(self, chunk: bytes) -> list[Record]:
        """Add bytes; the records completed by them, up to the first that breaks the format
        (``error`` then says why, and nothing more is read). Values are read-only views of the
        bytes read (which nothing else holds), so no record is copied twice."""
        if self.error is not None:
            return []
        data = self._rest + bytes(chunk) if self._rest else bytes(chunk)
        records: list[Record] = []
        try:
            self._cut(data, records)
        except ProtocolError as exc:
            self.error = exc
        return records

    def _cut(self, data: bytes, records: list[Record]) -> None:
        pos = 0
        size = len(data)
        while size - pos >= RESULT_HEADER.size:
            magic, kind, code, index, text_len, ndim = RESULT_HEADER.unpack_from(data, pos)
            if magic != RESULT_MAGIC or kind > KIND_CALL or code >= len(RESULT_STATUSES):
                raise ProtocolError("bad result header")
            if text_len > MAX_MESSAGE * 4 or ndim > MAX_NDIM or (code != 0 and ndim != 0):
                raise ProtocolError("bad result header")
            dims_end = pos + RESULT_HEADER.size
            with_value = code == 0 and kind == KIND_CALL
            shape: tuple[int, ...] = ()
            count = 0
            if with_value:
                if size < dims_end + ndim * 8:
                    break
                shape = struct.unpack_from(f"<{ndim}Q", data, dims_end)
                dims_end += ndim * 8
                # Each dimension alone first: a zero elsewhere must not let a huge one through.
                if any(dim > _MAX_COUNT for dim in shape):
                    raise ProtocolError("result shape too large")
                count = math.prod(shape)
                if count > _MAX_COUNT:
                    raise ProtocolError("result too large")
            end = dims_end + text_len + count * 8
            if size < end:
                break
            message = data[dims_end : dims_end + text_len].decode("utf-8", "replace") if text_len else ""
            value = None
            if with_value:
                try:
                    if count == 0:
                        value = np.zeros(shape, dtype=np.float64)
                    else:
                        value = np.frombuffer(data, dtype="<f8", count=count, offset=dims_end + text_len)
                        value = value.astype(np.float64, copy=False).reshape(shape)
                except Exception as exc:  # whatever numpy makes of it, it is malformed data
                    raise ProtocolError(f"bad result value ({type(exc).__name__})") from None
            pos = end
            records.append((kind, RESULT_STATUSES[code], index, message, value))
        self._rest = data[pos:] if pos < size else b""
