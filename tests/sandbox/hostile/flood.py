def flood(x):
    for _ in range(50_000):
        print("spam " * 20)
    return x
