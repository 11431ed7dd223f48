import ctypes
import re

BOB_SECRET = "BOB_SECRET_654321_END"  # this student's own marker: the scan must find it


def scan(x):
    """How often each student's marker appears in this process's writable memory: [others, own].

    The patterns are written so that their own text does not match them."""
    others = re.compile(rb"(?:ALICE|CAROL)_SECRET_[0-9]{6}_END")
    own = re.compile(rb"BOB_SECRET_[0-9]{6}_END")
    found = [0, 0]
    with open("/proc/self/maps") as maps:
        regions = [line.split() for line in maps]
    for fields in regions:
        start, end = (int(v, 16) for v in fields[0].split("-"))
        name = fields[5] if len(fields) > 5 else ""
        if not fields[1].startswith("rw") or (name and name not in ("[heap]", "[stack]")):
            continue
        if end - start > 512 << 20:
            continue
        data = ctypes.string_at(start, end - start)
        found[0] += len(others.findall(data))
        found[1] += len(own.findall(data))
    return found
