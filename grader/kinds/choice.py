"""Kind ``choice``: one of a list of options, case-insensitive, trimmed, with synonyms."""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any

from ..rubric import QuestionBase, Rubric, default
from .base import Case, Outcome, WrittenKind, wrong_type


def normalise(text: str) -> str:
    """Case, spacing, accents and trailing punctuation do not matter: ``' Oscillates.'`` → ``oscillates``."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = re.sub(r"\s+", " ", text).strip()
    # Quotes of any kind (typographic ones from a word processor too) and a final full stop,
    # in any order: `“oscillates”.` is `oscillates`.
    previous = None
    while previous != text:
        previous = text
        text = text.strip(".!;:\"'`“”‘’«»„‚").strip()
    return text


class ChoiceQuestion(QuestionBase, kw_only=True):
    options: tuple[str, ...]
    answer: str
    synonyms: dict[str, tuple[str, ...]] = default(dict)
    #: Options that earn part of the points: option → fraction.
    partial: dict[str, float] = default(dict)

    def __post_init__(self) -> None:
        options = {normalise(o) for o in self.options}
        if len(options) < 2:
            raise ValueError("options: give at least two distinct options")
        if normalise(self.answer) not in options:
            raise ValueError(f"answer: {self.answer!r} is not one of the options")
        for option in [*self.synonyms, *self.partial]:
            if normalise(option) not in options:
                raise ValueError(f"{option!r} (in synonyms or partial) is not one of the options")


class ChoiceKind(WrittenKind):
    names = ("choice",)
    Question = ChoiceQuestion
    example = """
    id: q.behaviour
    kind: choice
    points: 1
    prompt: "What does gradient descent do at the largest step size?"
    options: [converges, oscillates, diverges]
    answer: oscillates
    synonyms: {oscillates: [bounces]}
    """
    cases = (Case("oscillates", "correct", 1.0), Case(" Oscillates.", "correct", 1.0),
             Case("bounces", "correct", 1.0), Case("diverges", "incorrect", 0.0),
             Case("“oscillates”.", "correct", 1.0), Case("osciliates", "invalid", 0.0),
             Case("explodes", "invalid", 0.0))

    def __init__(self, question: ChoiceQuestion, rubric: Rubric, params=None):
        super().__init__(question, rubric, params)
        self.lookup: dict[str, str] = {}
        for option in question.options:
            self.lookup[normalise(option)] = option
        for option, words in question.synonyms.items():
            canonical = self.lookup[normalise(option)]
            for word in words:
                self.lookup.setdefault(normalise(word), canonical)
        self.answer = self.lookup[normalise(question.answer)]
        self.partial = {self.lookup[normalise(k)]: v for k, v in question.partial.items()}

    def check(self, answer: Any) -> Outcome:
        if not isinstance(answer, (str, int, float)):
            return wrong_type(answer, "one of the options")
        written = normalise(str(answer))
        chosen = self.lookup.get(written)
        if chosen is None:
            options = ", ".join(self.question.options)
            # A spelling slip of an option's own name, not a near-synonym: the hint must not
            # map what a student meant onto an option.
            names = {normalise(o): o for o in self.question.options}
            close = difflib.get_close_matches(written, list(names), n=1, cutoff=0.8)
            hint = f": did you mean `{names[close[0]]}`?" if close else ""
            return Outcome.invalid(f"not one of the options ({options}){hint}")
        if chosen == self.answer:
            return Outcome.correct(signature=chosen)
        if chosen in self.partial:
            return Outcome.partial(self.partial[chosen], "partly right", chosen)
        return Outcome.incorrect("not the right choice", chosen)

    def describe_answer(self) -> str:
        return self.answer

    def reference_answer(self) -> str:
        return self.answer

    def reference_texts(self) -> list[str]:
        # Every option is public (the question lists them); the key is which one is right, and
        # no feedback says that: it is the same whichever option is right.
        return []
