"""YAML → validated rubric objects: the schema (``schema``), YAML with line numbers
(``yamlload``), author-facing messages (``messages``) and loading (``load``). Errors name the
file, line and field:

    rubrics/hw1.yaml:42: questions[3].tolerance.rtol: must be a positive number

This package imports no question kind: ``load_rubric`` is given the kinds' schemas.
"""

from ..errors import RubricError
from .load import Rubric, load_rubric, peek_question_ids
from .schema import (DEFAULT_SEED, ID_PATTERN, NAME, NAME_PATTERN, Dim, GivenFunction, GivenValue,
                     GradescopeSettings, LatePolicy, LateStep, Layout, Mistake, QuestionBase,
                     RubricHeader, SandboxSettings, SelfCheckMode, Strict, SymbolicQuestion,
                     SymbolSpec, Tolerance, at, convert, default, set_field)

__all__ = [
    "DEFAULT_SEED", "Dim", "GivenFunction", "GivenValue", "GradescopeSettings", "ID_PATTERN",
    "LatePolicy", "LateStep", "Layout", "Mistake", "NAME",
    "NAME_PATTERN", "QuestionBase", "Rubric", "RubricError", "RubricHeader", "SandboxSettings",
    "SelfCheckMode", "Strict", "SymbolSpec", "SymbolicQuestion", "Tolerance", "at", "convert",
    "default", "load_rubric", "peek_question_ids", "set_field",
]
