import os


def dig(x):
    # A folder 3,000 levels deep in the working folder: a recursive clean-up runs out of stack.
    start = os.getcwd()
    for _ in range(3000):
        os.mkdir("d")
        os.chdir("d")
    os.chdir(start)
    return x
