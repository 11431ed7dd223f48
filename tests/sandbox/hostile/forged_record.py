import os
import struct


def forge(x):
    # A record the format allows on its face: status ok, a value of zero elements, but one
    # dimension of 2**64 - 1 that no array can have; then nothing more.
    head = struct.pack("<4sBBIHB", b"GSR1", 1, 0, 0, 0, 2)
    os.write(3, head + struct.pack("<2Q", 0, (1 << 64) - 1))
    return x


def fine(x):
    return 2 * x
