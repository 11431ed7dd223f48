"""Kind ``choice``: one of a list of options, case-insensitive, trimmed, with synonyms."""

from __future__ import annotations

import difflib
import re
import unicodedata
from typing import Any, Mapping

from ..rubric import QuestionBase, Rubric, default
from .base import Case, Outcome, SelfCheckData, WrittenKind, wrong_type
from .support import grid


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
        self.options = tuple(question.options)
        # The chosen option is compared by salted hash, here as in a self-check bundle, which
        # carries only the hashes: one code path, and the bundle never names the right option.
        self.salt = grid.question_salt(rubric.seed, question.id)
        self.answer_hash = self._hash(self.answer)
        self.partial_hashes = {self._hash(option): v for option, v in self.partial.items()}

    def _hash(self, option: str) -> bytes:
        return grid.digest(self.salt, "choice", option)

    def check(self, answer: Any) -> Outcome:
        if not isinstance(answer, (str, int, float)):
            return wrong_type(answer, "one of the options")
        written = normalise(str(answer))
        chosen = self.lookup.get(written) or self.lookup.get(grid.digest(self.salt, "word", written))
        if chosen is None:
            options = ", ".join(self.options)
            # A spelling slip of an option's own name, not a near-synonym: the hint must not
            # map what a student meant onto an option.
            names = {normalise(o): o for o in self.options}
            close = difflib.get_close_matches(written, list(names), n=1, cutoff=0.8)
            hint = f": did you mean `{names[close[0]]}`?" if close else ""
            return Outcome.invalid(f"not one of the options ({options}){hint}")
        chosen_hash = self._hash(chosen)
        if chosen_hash == self.answer_hash:
            return Outcome.correct(signature=chosen)
        if chosen_hash in self.partial_hashes:
            return Outcome.partial(self.partial_hashes[chosen_hash], "partly right", chosen)
        return Outcome.incorrect("not the right choice", chosen)

    # -- self-check bundles ----------------------------------------------------------------------
    def self_check(self, mode: str = "full") -> SelfCheckData:
        """The options (public), the synonyms as hashed words, and the answer and partial-credit
        options as salted hashes."""
        salt = grid.question_salt(self.rubric.seed, self.question.id)
        words = sorted((grid.digest(salt, "word", word), option)
                       for word, option in self.lookup.items() if normalise(option) != word)
        partial = sorted((grid.digest(salt, "choice", option), fraction)
                         for option, fraction in self.partial.items())
        data = {"options": list(self.options), "words": [list(w) for w in words], "salt": salt,
                "answer": grid.digest(salt, "choice", self.answer),
                "partial": [list(p) for p in partial]}
        return SelfCheckData(data, f"a salted hash of the right option among {len(self.options)}: "
                                   "a student can try every option")

    @classmethod
    def from_self_check(cls, question: QuestionBase, data: Mapping[str, Any]) -> "ChoiceKind":
        kind = cls._rebuilt(question)
        kind.options = tuple(data["options"])
        kind.salt = data["salt"]
        kind.lookup = {normalise(option): option for option in kind.options}
        kind.lookup.update({bytes(word): option for word, option in data["words"]})
        kind.answer_hash = data["answer"]
        kind.partial_hashes = {bytes(h): fraction for h, fraction in data["partial"]}
        return kind

    def describe_answer(self) -> str:
        return self.answer

    def reference_answer(self) -> str:
        return self.answer

    def reference_texts(self) -> list[str]:
        # Every option is public (the question lists them); the key is which one is right, and
        # no feedback says that: it is the same whichever option is right.
        return []
