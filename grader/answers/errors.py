"""The one error type the answer language raises: a message a student can act on."""

from __future__ import annotations


class AnswerError(ValueError):
    """Rejected input: carries a message for the student and, when known, where in the text."""

    def __init__(self, message: str, text: str = "", span: tuple[int, int] | None = None):
        super().__init__(message)
        self.message = message
        self.text = text
        self.span = span

    def with_text(self, text: str) -> "AnswerError":
        """The same error, attached to the student's text (for the caret display)."""
        if self.text:
            return self
        return AnswerError(self.message, text, self.span)

    def caret(self) -> str:
        """The student's text with a caret under the bad spot, or '' when there is no spot."""
        if self.span is None or not self.text or "\n" in self.text or len(self.text) > 200:
            return ""
        start, end = self.span
        start = max(0, min(start, len(self.text)))
        width = max(1, min(end, len(self.text) + 1) - start)
        return f"{self.text}\n{' ' * start}{'^' * width}"

    def __str__(self) -> str:
        caret = self.caret()
        return f"{self.message}\n{caret}" if caret else self.message
