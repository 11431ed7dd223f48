"""Gradescope's autograder: ``grader gradescope RUBRIC -o autograder.zip`` builds the zip its
documentation specifies (``package``; grader itself as a wheel inside it: ``wheel``), and
``python -m grader.autograder.run`` is what its ``run_autograder`` runs for each submission
(``run``; results.json as ``results`` builds it)."""
