# Filled in by the test: a later student's file on the machine.
TARGET = "{target}"


def double(x):
    with open(TARGET, "w") as handle:
        handle.write("def double(x):\n    return 0 * x\n")
    return 2 * x
