"""Helpers shared by the write-up tests."""

from __future__ import annotations

import textwrap


def marked(question: str, body: str) -> str:
    """A Markdown write-up with one question's part, started by its template marker (line 1);
    the body starts on line 2."""
    return f"<!-- {question} -->\n{textwrap.dedent(body).lstrip(chr(10))}\n"
