"""Kind ``shape``: the shape of a result, as students write it (``n x 1``, ``(n, 1)``, ``nx1``,
``n \\times 1``, ``n*m x 1``). Sizes may be expressions of the dimension names; they are compared by
value at several random sizes, so ``m n x 1`` equals ``n*m x 1``."""

from __future__ import annotations

import re
from typing import Any, Mapping

import numpy as np

from ..answers import AnswerError, Namespace, Symbol, evaluate, read
from ..rubric import Dim, QuestionBase, Rubric, at, default, set_field
from ..sampling import generator
from ..errors import QuestionError
from .base import Case, Outcome, SelfCheckData, WrittenKind, wrong_type
from .support import grid

_SEPARATOR = re.compile(r"\s*(?:\\times|×|✕|⨯|-?\s*\bby\b\s*-?|,)\s*|(?<=[\w)\s])\s*[xX]\s*(?=[\w(\s])")
_WRAPPERS = re.compile(r"^\s*(?:\\left)?\s*(?:[\(\[{]|\\\{)\s*(.*?)\s*(?:\\right)?\s*(?:[\)\]}]|\\\})\s*$", re.S)
# `R^{n x 1}`, `\mathbb{R}^{n \times 1}`, `ℝ^{n×1}`: the space the result lives in.
_SPACE = re.compile(r"^\s*(?:\\mathbb\{R\}|\\R|ℝ|R)\s*\^\s*\{(.*)\}\s*$", re.S)
# `n x 1 vector`, `an m x n matrix`: words around the shape.
_WORDS = re.compile(r"^\s*(?:an?\s+)?(.*?)\s*(?:(?:column|row)\s+)?(?:vector|matrix|array)?\s*$", re.S | re.I)
_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")
TRIALS = 6
#: Sizes are drawn from distinct primes, so n*m, n+m and m*n collide only when really equal.
PRIMES = np.array([2.0, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41, 43, 47, 53])
_SIDES = ("rows", "cols")


class PlainSizes:
    """The reference's rows and columns as values at the trial sizes (grading)."""

    def __init__(self, expected: list[np.ndarray]):
        self.expected = expected

    def same(self, side: int, values: np.ndarray) -> bool:
        return bool(np.allclose(values, self.expected[side]))


class HashedSizes:
    """The reference's rows and columns known only by salted hashes of their values (self-check)."""

    def __init__(self, salt: bytes, hashes: list[bytes]):
        self.salt, self.hashes = salt, hashes

    def same(self, side: int, values: np.ndarray) -> bool:
        return grid.digest(self.salt, _SIDES[side], grid.exact_text(values)) == self.hashes[side]


class ShapeQuestion(QuestionBase, kw_only=True):
    answer: str | tuple[Dim, Dim]
    #: The sizes the prompt names (ranges are not used: sizes are compared at random primes).
    dims: dict[str, tuple[int, int]] = default(dict)
    #: The id of the question whose result this is the shape of: its sizes are known here too.
    of: str | None = None

    def __post_init__(self) -> None:
        if isinstance(self.answer, str):
            parts = split_shape(self.answer)
            if parts is None:
                raise ValueError(at("answer") + "write the shape as [rows, cols], e.g. [n, 1]")
            set_field(self, "answer", tuple(int(p) if p.isdigit() else p for p in parts))


def split_shape(text: str) -> list[str] | None:
    """``'(n, 1)'`` → ``['n', '1']``; None when the text is not two sizes."""
    text = text.strip().strip("$").strip()
    space = _SPACE.match(text)
    if space:
        text = space.group(1)
    text = _WORDS.match(text).group(1)
    match = _WRAPPERS.match(text)
    if match:
        text = match.group(1)
    parts = [p.strip() for p in _split_outside_parens(text)]
    if len(parts) != 2 or not all(parts):
        return None
    return parts


def _split_outside_parens(text: str) -> list[str]:
    """Split on the size separator, but not inside brackets (``(n+1) x m``)."""
    pieces, depth, start, i = [], 0, 0, 0
    while i < len(text):
        ch = text[i]
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif depth == 0:
            match = _SEPARATOR.match(text, i)
            if match and match.end() > i:
                pieces.append(text[start:i])
                start = i = match.end()
                continue
        i += 1
    pieces.append(text[start:])
    return pieces


class ShapeKind(WrittenKind):
    names = ("shape",)
    Question = ShapeQuestion
    example = """
    id: q.gradient_shape
    kind: shape
    points: 1
    prompt: "What is the shape of the gradient with respect to x (x is n x 1)?"
    answer: [n, 1]
    """
    cases = (Case("n x 1", "correct", 1.0), Case("(n, 1)", "correct", 1.0),
             Case(["n", 1], "correct", 1.0), Case("1 x n", "incorrect", 0.0),
             Case("n x n", "incorrect", 0.0), Case("column", "invalid", 0.0))

    def __init__(self, question: ShapeQuestion, rubric: Rubric, params=None):
        super().__init__(question, rubric, params)
        # Dimension names used by the reference sizes (``n*m`` uses n and m) and declared ones.
        used = {name for d in question.answer if isinstance(d, str) for name in _NAME.findall(d)}
        names = sorted(used | set(question.dims))
        borrowed = sorted(self._borrowed(question, rubric) - set(names))
        known = names + borrowed
        self.ns = Namespace(symbols={n: Symbol(n) for n in known}, dims=frozenset(known))
        rng = generator(rubric.seed, question.id, "dims")
        primes = PRIMES
        self.env = {n: rng.choice(primes, size=TRIALS) for n in names}
        # Sizes the prompt names but the answer does not use differ from every other size at
        # every trial, so `n x 1` never equals `m x 1` by chance.
        extra = generator(rubric.seed, question.id, "dims", "borrowed")
        for name in borrowed:
            taken = np.array([self.env[n] for n in self.env]).T if self.env else np.zeros((TRIALS, 0))
            self.env[name] = np.array([extra.choice([p for p in primes if p not in row])
                                       for row in taken])
        self.expected = []
        for index, dim in enumerate(question.answer):
            try:
                self.expected.append(self.size_values(str(dim)))
            except AnswerError as err:
                raise QuestionError(("answer", index), err.message) from None
        self.key: PlainSizes | HashedSizes = PlainSizes(self.expected)
        # The example in messages about the notation must not be the answer itself (n x 1).
        is_3x2 = all(np.allclose(e, v) for e, v in zip(self.expected, (3, 2)))
        rows, cols = (2, 3) if is_3x2 else (3, 2)
        self.example = f"{rows} x {cols}"
        self.example_tuple = f"({rows}, {cols})"

    @staticmethod
    def _borrowed(question: ShapeQuestion, rubric: Rubric) -> set[str]:
        """The size names of the question named by ``of``."""
        if question.of is None:
            return set()
        try:
            other = rubric.question(question.of)
        except KeyError:
            raise QuestionError(("of",), f"no question has the id {question.of!r}") from None
        names = set(getattr(other, "dims", {}) or {})
        for spec in (getattr(other, "symbols", {}) or {}).values():
            names.update(d for d in (getattr(spec, "shape", None) or ()) if isinstance(d, str))
            identity = getattr(spec, "identity", None)
            if isinstance(identity, str):
                names.add(identity)
        for spec in (getattr(other, "args", {}) or {}).values():
            names.update(d for d in (getattr(spec, "shape", None) or ()) if isinstance(d, str))
        return names

    def size_values(self, text: str, env: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        expression = read(text, self.ns)
        if not expression.is_scalar:
            raise AnswerError(f"`{text}` is not a size")
        return evaluate(expression.tree, self.ns, self.env if env is None else env, {}, TRIALS)

    def check(self, answer: Any) -> Outcome:
        if isinstance(answer, list):
            parts = [str(p).strip() for p in answer]
            if len(parts) != 2:
                return Outcome.invalid(f"a shape has two sizes (rows and columns), not {len(parts)}")
        elif isinstance(answer, str):
            parts = split_shape(answer)
            if parts is None:
                if re.fullmatch(r"\s*\(?\s*\w+\s*,?\s*\)?\s*", answer):
                    return Outcome.invalid(f"give both sizes, rows and columns, like {self.example}")
                return Outcome.invalid(f"write a shape as rows x columns, like {self.example} or "
                                       f"{self.example_tuple}")
        else:
            return wrong_type(answer, f"a shape like {self.example}")
        try:
            values = [self.size_values(part) for part in parts]
        except AnswerError as err:
            return self._unreadable(parts, err)
        same = [self.key.same(side, v) for side, v in enumerate(values)]
        signature = np.concatenate(values)
        if all(same):
            return Outcome.correct(signature=signature)
        if self.key.same(0, values[1]) and self.key.same(1, values[0]):
            return Outcome.incorrect("rows and columns are swapped: that is the shape of the "
                                     "transpose (the other layout)", signature)
        wrong = "the number of rows" if not same[0] else "the number of columns"
        if not same[0] and not same[1]:
            wrong = "both sizes"
        return Outcome.incorrect(f"{wrong} is not right", signature)

    # -- self-check bundles ----------------------------------------------------------------------
    def self_check(self, mode: str = "full") -> SelfCheckData:
        """The size names the question knows, trial sizes for them, and salted hashes of the
        reference's rows and columns at those sizes."""
        names = sorted(self.ns.symbols)
        env = self.env
        if len(names) <= len(PRIMES):
            # Every name gets its own prime at every trial (grading lets the answer's names share
            # one), so the bundle's sizes do not tell the answer's names from the others.
            rng = generator(self.rubric.seed, self.question.id, "dims", "self-check")
            draws = np.array([rng.choice(PRIMES, size=len(names), replace=False) for _ in range(TRIALS)])
            env = {name: draws[:, i] for i, name in enumerate(names)}
        salt = grid.question_salt(self.rubric.seed, self.question.id)
        hashes = [grid.digest(salt, side, grid.exact_text(self.size_values(str(dim), env)))
                  for side, dim in zip(_SIDES, self.question.answer)]
        data = {"names": names, "env": {name: env[name] for name in names}, "salt": salt,
                "hashes": hashes, "example": [self.example, self.example_tuple]}
        return SelfCheckData(data, f"salted hashes of the rows and columns; the size names it "
                                   f"knows ({', '.join(names) or 'none'}): a student can try "
                                   "every small shape")

    @classmethod
    def from_self_check(cls, question: QuestionBase, data: Mapping[str, Any]) -> "ShapeKind":
        kind = cls._rebuilt(question)
        names = list(data["names"])
        kind.ns = Namespace(symbols={n: Symbol(n) for n in names}, dims=frozenset(names))
        kind.env = dict(data["env"])
        kind.key = HashedSizes(data["salt"], list(data["hashes"]))
        kind.example, kind.example_tuple = data["example"]
        return kind

    def _unreadable(self, parts: list[str], err: AnswerError) -> Outcome:
        """A shape that names sizes this question does not know is a wrong answer, not an
        unreadable one, and the message must not list the sizes the reference uses; anything
        else that does not read is invalid."""
        unknown = sorted({word for part in parts for word in _NAME.findall(part)
                          if word not in self.ns.symbols})
        if unknown:
            known = [*self.ns.symbols, *unknown]
            wider = Namespace(symbols={n: Symbol(n) for n in known}, dims=frozenset(known))
            try:
                readable = all(read(part, wider).is_scalar for part in parts)
            except AnswerError:
                readable = False
            if readable:
                names = ", ".join(f"`{w}`" for w in unknown)
                verb = "is not a size" if len(unknown) == 1 else "are not sizes"
                return Outcome.incorrect(f"{names} {verb} this question uses", tuple(parts))
        return Outcome.invalid(f"cannot read the shape: {err.message}")

    def describe_answer(self) -> str:
        rows, cols = self.question.answer
        return f"{rows} x {cols}"

    def reference_answer(self) -> str:
        return self.describe_answer()
