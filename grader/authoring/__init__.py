"""Tools for rubric authors that use sympy: closed forms of ``gradient_of`` questions, verified
numerically against the exact reference, and the answer key as Markdown with LaTeX.

Nothing on the grading path imports this package (grading never needs sympy).
"""
