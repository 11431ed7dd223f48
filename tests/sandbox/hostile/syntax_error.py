import numpy as np

def broken(x)
    return x
