"""The errors grader raises, one definition each.

- ``AnswerError``: text that the answer language rejects; carries a message for the student and
  where in the text (defined in ``answers``, which stays self-contained; re-exported here).
- ``QuestionError``: a problem in one question's content (a reference that does not parse, a
  loss that is not quadratic...), naming the field at fault; turned into a ``RubricError`` line.
- ``RubricError``: a rubric that cannot be used; every problem as ``file:line: field: message``.
- ``UnusableInput``: input a command cannot use at all (exit status 2).
"""

from __future__ import annotations

from .answers.errors import AnswerError

__all__ = ["AnswerError", "QuestionError", "RubricError", "UnusableInput"]


class RubricError(Exception):
    """A rubric that cannot be used; ``problems`` are ready-to-print ``file:line: field: message``."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class QuestionError(Exception):
    """A problem in a question's content (not its schema): names the field at fault."""

    def __init__(self, field: tuple[str | int, ...], message: str):
        super().__init__(message)
        self.field = tuple(field)
        self.message = message


class UnusableInput(Exception):
    """Input a command cannot work with (a missing folder, an empty class): exit status 2."""
