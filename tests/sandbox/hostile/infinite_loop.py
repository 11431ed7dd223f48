def spin(x):
    while True:
        pass


def fine(x):
    return x + 1
