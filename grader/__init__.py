"""grader: grade math-heavy machine-learning homework at random test points."""

__version__ = "0.1.0"
