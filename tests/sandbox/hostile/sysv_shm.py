import ctypes

KEY = 0x67726164  # "grad"


def leave_segment(x):
    libc = ctypes.CDLL(None, use_errno=True)
    shmid = libc.shmget(KEY, 64 << 20, 0o1000 | 0o600)  # IPC_CREAT
    return float(shmid)
