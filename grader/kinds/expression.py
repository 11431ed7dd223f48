"""Kinds ``expression`` and ``matrix_expression``: an answer compared with a reference at random
points (and, for matrices, at several random sizes), with shape and layout diagnostics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping

import msgspec
import numpy as np

from ..answers import AnswerError, Expression, evaluate, infer_shape, parse, show
from ..answers.nodes import Node
from ..answers.printing import to_plain
from ..errors import QuestionError
from ..rubric import Layout, QuestionBase, Rubric, SymbolicQuestion
from ..tolerance import within
from .base import Case, Outcome, SelfCheckData, WrittenKind, wrong_type
from .support.symbolic import (Batch, agree, build_namespace, draw_batches, point_description,
                               read_reference, reference_function, shape_of_reference, used_names)

#: Size assignments drawn for a question with dimension names.
SIZE_SETS = 3
#: The fields of a question that are part of what it states (exported to self-check bundles).
PUBLIC_FIELDS = ("symbols", "dims", "given", "tolerance", "samples")


@dataclass(frozen=True)
class KnownMistake:
    """A listed mistake as checking needs it: its values at the sample points, its outcome."""

    feedback: str
    score: float
    label: str
    shape: tuple
    values: list[np.ndarray]


class ExpressionQuestion(SymbolicQuestion, kw_only=True):
    answer: str | float | None = None
    gradient_of: str | None = None
    wrt: str | None = None
    layout: Layout = "denominator"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.answer is None and self.gradient_of is None:
            raise ValueError("give the reference: `answer`, or `gradient_of` with `wrt`")
        if self.gradient_of is not None and self.wrt is None:
            raise ValueError("`gradient_of` needs `wrt`: the symbol to differentiate by")
        if self.wrt is not None and self.wrt not in self.symbols:
            raise ValueError(f"wrt: `{self.wrt}` is not one of the declared symbols")


class ExpressionKind(WrittenKind):
    names = ("expression", "matrix_expression")
    Question = ExpressionQuestion
    example = """
    id: q.quadratic
    kind: matrix_expression
    points: 6
    prompt: "A is n x n, x and z are n x 1. Give the gradient of x^T (A x + z) with respect to x."
    symbols:
      A: {shape: [n, n]}
      x: {shape: [n, 1]}
      z: {shape: [n, 1]}
    gradient_of: "x^T (A x + z)"
    wrt: x
    mistakes:
      - answer: "2 A x + z"
        feedback: "A is not symmetric: differentiate x^T A x one factor at a time."
    """
    reference_fields = ("gradient_of", "mistakes.0.answer")
    cases = (Case("(A + A^T) x + z", "correct", 1.0), Case(r"(A + A^\top)x + z", "correct", 1.0),
             Case("A x + A' x + z", "correct", 1.0), Case("2 A x + z", "incorrect", 0.0),
             Case("x^T (A + A^T) + z^T", "incorrect", 0.0), Case("A x", "incorrect", 0.0),
             Case("(A + A^T x + z", "invalid", 0.0))

    def __init__(self, question: ExpressionQuestion, rubric: Rubric, params=None):
        super().__init__(question, rubric, params)
        q = question
        self.ns = build_namespace(q)
        self.tol = q.tolerance
        transpose = q.layout == "numerator"
        # `answer` is read even when `gradient_of` is the reference, so that a broken one is a
        # located error rather than silently unused.
        self.given_answer = (read_reference(q.answer, self.ns, ("answer",))
                             if q.answer is not None else None)
        if q.gradient_of is not None:
            source = read_reference(q.gradient_of, self.ns, ("gradient_of",))
            if not source.is_scalar:
                raise QuestionError(("gradient_of",), "must be a scalar expression, not "
                                    f"{show(source.shape)}")
            self.reference_tree, self.wrt = source.tree, q.wrt
        else:
            self.reference_tree = self.given_answer.tree
            self.wrt = None
        self.layout = q.layout
        self.shape = shape_of_reference(self.reference_tree, self.ns, self.wrt, transpose)
        # Feedback names the scalar symbols the reference and the answer use at a sample point.
        self.reference_names = [n for n in used_names(self.reference_tree)
                                if n in self.ns.symbols and self.ns.symbols[n].is_scalar]
        reference = reference_function(self.reference_tree, self.ns, self.wrt, transpose)
        self.batches, self.values = draw_batches(q, self.ns, rubric.seed, SIZE_SETS, reference)
        self.mistakes: list[KnownMistake] = []
        for index, mistake in enumerate(q.mistakes):
            expression = read_reference(mistake.answer, self.ns, ("mistakes", index, "answer"))
            self.mistakes.append(KnownMistake(mistake.feedback, mistake.score,
                                              mistake.label or str(mistake.answer),
                                              expression.shape, self.values_of(expression)))

    # -- evaluation ----------------------------------------------------------------------------
    def values_of(self, expression: Expression) -> list[np.ndarray]:
        with np.errstate(all="ignore"):
            return [evaluate(expression.tree, self.ns, b.env, b.sizes, b.n) for b in self.batches]

    def matches(self, values: list[np.ndarray], reference: list[np.ndarray]) -> tuple[int, int] | None:
        """None when equal everywhere, else (batch index, point index) of the first difference."""
        for index, (a, r) in enumerate(zip(values, reference)):
            ok = agree(a, r, self.tol.rtol, self.tol.atol)
            if not ok.all():
                return index, int(np.argmin(ok))
        return None

    def signature(self, values: list[np.ndarray]) -> np.ndarray:
        # Each batch's (rows, cols) comes first, so that a row vector and a column vector with
        # the same entries (x^T A and A^T x) are not grouped as one answer.
        parts = []
        for v in values:
            parts += (np.asarray(_rows_cols(v)), v.reshape(-1))
        return np.concatenate(parts)

    def reference_signature(self) -> np.ndarray:
        return self.signature(self.values)

    # -- checking ------------------------------------------------------------------------------
    def check(self, answer: Any) -> Outcome:
        if isinstance(answer, (list, dict)):
            return wrong_type(answer, "one expression")
        text = str(answer)
        try:
            tree = parse(text, self.ns)
        except AnswerError as err:
            return Outcome.invalid(str(err))
        # Texts that differ in spacing, brackets or `*` parse to one tree (spans do not count in
        # a tree's equality), and what follows depends on the tree alone: it is judged once.
        try:
            known = self._judged.get(tree)
        except (TypeError, RecursionError):  # a tree that cannot be hashed: judged afresh
            return self._judge(text, tree)[0]
        if known is None:
            known, depends_on_text = self._judge(text, tree)
            if not depends_on_text:
                self._judged[tree] = known
        return known

    def _judge(self, text: str, tree: Node) -> tuple[Outcome, bool]:
        """The outcome of a parsed answer, and whether it depends on the text itself (a message
        with a caret under it) rather than on the tree alone."""
        try:
            expression = Expression(text, tree, infer_shape(tree, self.ns))
        except AnswerError as err:
            # A product that does not conform is a wrong answer, not an unreadable one; equal
            # trees share a signature so the report can count them.
            return Outcome.incorrect(str(err.with_text(text)), signature=to_plain(tree)), True
        values = self.values_of(expression)
        signature = self.signature(values)
        mistake = self.known_mistake(expression, values)
        if expression.shape != self.shape:
            return mistake or self.wrong_shape(expression, values), False
        where = self.matches(values, self.values)
        if where is None:
            return Outcome.correct(signature=signature), False
        if mistake is not None:
            return mistake, False
        if self.is_transpose(values):
            return Outcome.incorrect(self.layout_message(), signature), False
        return Outcome.incorrect(self.difference(values, where, expression), signature), False

    def known_mistake(self, expression: Expression, values: list[np.ndarray]) -> Outcome | None:
        """The rubric's outcome for a listed mistake this answer is equivalent to, if any."""
        for mistake in self.mistakes:
            if mistake.shape == expression.shape and self.matches(values, mistake.values) is None:
                return Outcome.partial(mistake.score, mistake.feedback, self.signature(values),
                                       mistake.label)
        return None

    def is_transpose(self, values: list[np.ndarray]) -> bool:
        if self.shape[0] == self.shape[1] and self.shape != (1, 1):
            swapped = [v.swapaxes(1, 2) for v in self.values]
            return self.matches(values, swapped) is None
        return False

    def wrong_shape(self, expression: Expression, values: list[np.ndarray]) -> Outcome:
        got, want = expression.shape, self.shape
        signature = self.signature(values)
        if got == (want[1], want[0]) and all(v.ndim == 3 for v in values):
            if self.matches([v.swapaxes(1, 2) for v in values], self.values) is None:
                return Outcome.incorrect(self.layout_message(), signature)
        message = f"your answer has shape {show(got)}; expected {show(want)}"
        return Outcome.incorrect(message, signature)

    def layout_message(self) -> str:
        wanted = self.layout
        other = "numerator" if wanted == "denominator" else "denominator"
        return (f"this is the {other}-layout form (the transpose); the question asks for "
                f"{wanted} layout")

    def difference(self, values: list[np.ndarray], where: tuple[int, int],
                   expression: Expression) -> str:
        batch_index, point = where
        batch: Batch = self.batches[batch_index]
        value = values[batch_index][point]
        names = self.reference_names + used_names(expression.tree)
        place = point_description(batch, point, self.ns, list(dict.fromkeys(names)))
        place = f" at {place}" if place else ""
        if not np.all(np.isfinite(value)):
            return (f"your answer is undefined{place} (a division by zero or a logarithm or root "
                    "of a negative number?) where the expected answer is defined")
        if value.ndim == 2:
            ok = within(value, self.values[batch_index][point], self.tol.rtol, self.tol.atol)
            bad = np.argwhere(~ok)
            if len(bad):
                row, col = (int(i) + 1 for i in bad[0])
                more = " and others" if len(bad) > 1 else ""
                verb = "differ" if more else "differs"
                return f"wrong{place}: entry ({row}, {col}){more} {verb}"
        return f"wrong{place}"

    # -- self-check bundles ----------------------------------------------------------------------
    def self_check(self, mode: str = "full") -> SelfCheckData:
        """The question's statement (symbols, sizes, givens), the sample points and the reference's
        values there, and (in ``full`` mode) each mistake's values, feedback and score: never a
        reference text or a mistake's answer."""
        q = self.question
        question = {name: msgspec.to_builtins(getattr(q, name)) for name in PUBLIC_FIELDS}
        # In verdict mode only mistakes that count as right stay (without their feedback): the
        # verdict is then the same as grading's.
        mistakes = [{"feedback": m.feedback if mode == "full" else "", "score": m.score,
                     "shape": list(m.shape), "values": m.values}
                    for m in self.mistakes if mode == "full" or m.score >= 1]
        data = {
            "question": question, "layout": self.layout, "shape": list(self.shape),
            "reference_names": self.reference_names,
            "batches": [{"sizes": dict(b.sizes), "env": dict(b.env), "n": b.n} for b in self.batches],
            "values": self.values, "mistakes": mistakes,
        }
        points = sum(b.n for b in self.batches)
        reveals = f"the reference's values at {points} sample points"
        if mistakes:
            reveals += f"; {len(mistakes)} listed mistakes' values, feedback and score"
        if all(np.ptp(v.reshape(len(v), -1), axis=0).max(initial=0) == 0 for v in self.values):
            reveals += ("; the reference is the same at every point, so its value is in the bundle "
                        "(consider a number question, or self_check: off)")
        return SelfCheckData(data, reveals)

    @classmethod
    def from_self_check(cls, question: QuestionBase, data: Mapping[str, Any]) -> "ExpressionKind":
        kind = cls._rebuilt(msgspec.convert(
            {**msgspec.structs.asdict(question), **data["question"]}, SymbolicQuestion))
        kind.ns = build_namespace(kind.question)
        kind.tol = kind.question.tolerance
        kind.layout = data["layout"]
        kind.shape = tuple(data["shape"])
        kind.reference_names = list(data["reference_names"])
        kind.batches = [Batch(b["sizes"], b["env"], b["n"]) for b in data["batches"]]
        kind.values = list(data["values"])
        kind.mistakes = [KnownMistake(m["feedback"], m["score"], "", tuple(m["shape"]), list(m["values"]))
                         for m in data["mistakes"]]
        return kind

    # -- for rubric authors --------------------------------------------------------------------
    def validate(self) -> list[tuple[tuple, str]]:
        problems: list[tuple[tuple, str]] = []
        q = self.question
        if q.gradient_of is not None and self.given_answer is not None:
            given = self.given_answer
            if given.shape != self.shape:
                problems.append((("answer",), f"has shape {show(given.shape)} but the gradient "
                                 f"of gradient_of has shape {show(self.shape)}"))
            elif self.matches(self.values_of(given), self.values) is not None:
                problems.append((("answer",), "does not agree with the gradient of gradient_of"))
        for index, mistake in enumerate(self.mistakes):
            if mistake.shape == self.shape and self.matches(mistake.values, self.values) is None:
                problems.append((("mistakes", index, "answer"), f"`{mistake.label}` is equivalent "
                                 "to the reference: students giving it would be marked correct"))
        return problems

    def describe_answer(self) -> str:
        text = to_plain(self.reference_tree)
        if self.wrt is not None:
            return f"gradient of {text} with respect to {self.wrt} ({self.question.layout} layout), shape {show(self.shape)}"
        return f"{text}, shape {show(self.shape)}"

    def reference_answer(self) -> str | None:
        return to_plain(self.given_answer.tree) if self.given_answer is not None else None

    def reference_texts(self) -> list[str]:
        texts = [to_plain(self.reference_tree)]
        if self.given_answer is not None:
            texts += [self.given_answer.text, to_plain(self.given_answer.tree)]
        return texts


def _rows_cols(values: np.ndarray) -> tuple[int, int]:
    """The shape of one answer in a batch of values: scalars are (n,), matrices (n, rows, cols)."""
    return (values.shape[1], values.shape[2]) if values.ndim == 3 else (1, 1)
