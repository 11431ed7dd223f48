import os
import socket

# Filled in by the test: where the grader's secrets are on the machine.
RUBRIC = "{rubric}"
CLASS_FOLDER = "{class_folder}"
GRADER_PID = {grader_pid}
PORT = {port}


def read_rubric(x):
    return open(RUBRIC).read()  # a str: invalid, but its text would be in the message if read


def list_class(x):
    return [float(len(os.listdir(CLASS_FOLDER)))]


def grader_cmdline(x):
    raise ValueError(open(f"/proc/{{GRADER_PID}}/cmdline").read())


def processes(x):
    return sorted(float(p) for p in os.listdir("/proc") if p.isdigit())


def phone_home(x):
    with socket.create_connection(("127.0.0.1", PORT), timeout=2) as connection:
        connection.sendall(b"LEAK")
    return x
