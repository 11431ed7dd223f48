"""The answer language: text → parse tree → numpy values at many sample points at once.

Student text is never evaluated as Python: it is tokenized against a whitelist, parsed into the
small node classes of ``nodes``, shape-checked with symbolic sizes, and evaluated by numpy.
"""

from __future__ import annotations

from dataclasses import dataclass

from .builtins import BUILTINS, Builtin
from .errors import AnswerError
from .evaluate import evaluate, gradient, kink_distance
from .lexer import ESCAPE_HINT
from .namespace import SCALAR, Function, Namespace, Shape, Symbol
from .nodes import Node
from .parser import parse, parse_condition
from .shapes import infer_shape, show

__all__ = [
    "AnswerError", "BUILTINS", "Builtin", "ESCAPE_HINT", "Expression", "Function", "Namespace",
    "Node", "SCALAR", "Shape", "Symbol", "evaluate", "gradient", "infer_shape", "kink_distance",
    "parse", "parse_condition", "read", "show",
]


@dataclass(frozen=True, slots=True)
class Expression:
    """A parsed, shape-checked answer."""

    text: str
    tree: Node
    shape: Shape

    @property
    def is_scalar(self) -> bool:
        return self.shape == SCALAR


def read(text: str, namespace: Namespace) -> Expression:
    """Parse and shape-check one answer; AnswerError carries the caret and the student message."""
    tree = parse(text, namespace)
    try:
        shape = infer_shape(tree, namespace)
    except AnswerError as err:
        raise err.with_text(text) from None
    return Expression(text, tree, shape)
