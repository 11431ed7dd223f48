"""Exporting a prepared question for a bundle and rebuilding it, through the kind's own
``self_check``/``from_self_check`` hooks (see ``grader.kinds.base``)."""

from __future__ import annotations

from typing import Any, Mapping

from ..kinds import Kind, registry
from ..kinds.base import SelfCheckData
from ..rubric import QuestionBase


class NotExportable(Exception):
    """A question whose kind cannot go into a bundle; the message says why."""


def _has_hooks(cls: type[Kind]) -> bool:
    return cls.self_check is not Kind.self_check and \
        cls.from_self_check.__func__ is not Kind.from_self_check.__func__  # type: ignore[attr-defined]


def export(kind: Kind, mode: str) -> SelfCheckData:
    """What the bundle carries for a question prepared at the bundle's seed."""
    cls = type(kind)
    try:
        if _has_hooks(cls):
            return kind.self_check(mode)
    except NotImplementedError as err:
        raise NotExportable(str(err) or "it cannot be exported") from None
    raise NotExportable(cls.no_self_check or f"the {kind.question.kind} kind cannot be exported")


def rebuild(question: QuestionBase, data: Mapping[str, Any]) -> Kind:
    """The checking side of a question, from its bundle entry."""
    cls = registry().get(question.kind)
    if cls is None:
        raise NotExportable(f"this grader does not know the kind {question.kind!r} (upgrade it)")
    if _has_hooks(cls):
        return cls.from_self_check(question, data)
    raise NotExportable(cls.no_self_check or f"the {question.kind} kind cannot be rebuilt")


__all__ = ["NotExportable", "export", "rebuild"]
