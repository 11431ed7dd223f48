"""A question for one version: its YAML with every drawn name replaced by the student's value.

Kinds never see drawn names. A question's raw YAML is kept, and a version of it is that YAML with
each drawn name replaced, as text, by the value as shown (``shown``), then converted with the
kind's schema like any question. Three kinds of field:

- **names and flags** (``NAME_FIELDS``: id, kind, points, variable, wrt, method, aliases, ...):
  never changed;
- **text** (``TEXT_FIELDS``: prompt, feedback, label, options, synonyms, and the ``answer`` of a
  question with ``options``): ``{{name}}`` is replaced by the value; a bare word is prose;
- **everything else** holds numbers and expressions (answer, gradient_of, given, params, start,
  alpha, loss, domains, ...): a drawn name standing as a whole word (not inside another
  identifier, not after a backslash) is replaced, and so is ``{{name}}``. A negative value, or
  one next to a number or another drawn name, is put in parentheses (``2 x0`` → ``2 (3)``); a
  field that is just the name becomes just the value (``params: {x: x0}`` → ``{x: "2"}``).
"""

from __future__ import annotations

import re
from typing import Any, Iterator, Mapping

import msgspec

NAME_FIELDS = frozenset({
    "id", "kind", "points", "self_check", "variable", "wrt", "layout", "method", "of", "function",
    "reference", "aliases", "structure", "identity", "follow_through", "broadcast", "positive",
})
TEXT_FIELDS = frozenset({"prompt", "feedback", "label", "options", "synonyms"})
NAME, TEXT, EXPRESSION = "name", "text", "expression"

_BRACED = re.compile(r"\{\{\s*([A-Za-z][A-Za-z0-9_]*)\s*\}\}")
_TOKEN = re.compile(r"\{\{\s*(?P<braced>[A-Za-z][A-Za-z0-9_]*)\s*\}\}|\\[A-Za-z]+"
                    r"|(?P<number>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
                    r"|(?P<name>[A-Za-z_][A-Za-z0-9_]*)|(?P<other>\S)")


def _inner(context: str, key: Any, text_answer: bool) -> str:
    """The context of a mapping's entry ``key`` inside ``context``."""
    if context != EXPRESSION:
        return context
    if key in NAME_FIELDS:
        return NAME
    if key in TEXT_FIELDS or (text_answer and key == "answer"):
        return TEXT
    return EXPRESSION


def _fields(raw: Any, context: str = EXPRESSION, path: tuple = ()) -> Iterator[tuple[tuple, str, str]]:
    """Every string of a question's YAML with its path and context (name, text, expression)."""
    if isinstance(raw, dict):
        text_answer = "options" in raw and not path
        for key, value in raw.items():
            yield from _fields(value, _inner(context, key, text_answer), path + (key,))
    elif isinstance(raw, list):
        for index, value in enumerate(raw):
            yield from _fields(value, context, path + (index,))
    elif isinstance(raw, str) and context != NAME:
        yield path, context, raw


def mentions(raw: Any, names: frozenset[str] | set[str]) -> set[str]:
    """The drawn names a question's YAML uses (whole words in expressions, ``{{name}}`` anywhere)."""
    used: set[str] = set()
    for _, context, text in _fields(raw):
        used.update(n for n in _BRACED.findall(text) if n in names)
        if context == EXPRESSION:
            used.update(m.group("name") for m in _TOKEN.finditer(text) if m.group("name") in names)
    return used


def undeclared(raw: Any, names: frozenset[str] | set[str]) -> list[tuple[tuple, str]]:
    """(path, name) of each ``{{name}}`` naming no drawn parameter."""
    return [(path, name) for path, _, text in _fields(raw)
            for name in _BRACED.findall(text) if name not in names]


def declared(raw: Any, names: frozenset[str] | set[str]) -> list[tuple[tuple, str]]:
    """(path, name) where a question declares a name of its own that is also a drawn name: a key
    of one of its mappings (symbols, given, params, args, state, ...), or a variable, wrt or
    alias. Substituting there would change what the question means."""
    out: list[tuple[tuple, str]] = []

    def visit(value: Any, path: tuple) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if len(path) >= 1 and key in names:
                    out.append((path + (key,), str(key)))
                visit(item, path + (key,))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                visit(item, path + (index,))
        elif isinstance(value, str) and value in names and _names_something(path):
            out.append((path, value))

    visit(raw, ())
    return out


def _names_something(path: tuple) -> bool:
    """Whether the string at ``path`` is a name the question declares: a variable, wrt, or an
    item of a list of aliases or of a given function's args."""
    if path[-1] in ("variable", "wrt"):
        return True
    return len(path) >= 2 and isinstance(path[-1], int) and path[-2] in ("aliases", "args")


def render(text: str, shown: Mapping[str, str]) -> str:
    """``{{name}}`` → the value as shown (LaTeX braces such as ``e^{-x}`` are left alone)."""
    return _BRACED.sub(lambda m: shown.get(m.group(1), m.group(0)), text)


def substitute_expression(text: str, shown: Mapping[str, str]) -> str:
    """An expression with each drawn name (whole word, or ``{{name}}``) replaced by its value."""
    tokens = list(_TOKEN.finditer(text))
    drawn = [(m.group("name") or m.group("braced")) in shown for m in tokens]
    if not any(drawn):
        return text
    if len(tokens) == 1:
        return shown[tokens[0].group("name") or tokens[0].group("braced")]
    out, last = [], 0
    for index, match in enumerate(tokens):
        if not drawn[index]:
            continue
        value = shown[match.group("name") or match.group("braced")]
        before = tokens[index - 1] if index else None
        after = tokens[index + 1] if index + 1 < len(tokens) else None
        crowded = (value.startswith("-")
                   or (before is not None and (before.group("number") is not None or drawn[index - 1]
                                               or before.group(0) in (")", "]", ".")))
                   or (after is not None and (after.group("number") is not None or drawn[index + 1]
                                              or after.group(0) == ".")))
        out.append(text[last:match.start()])
        out.append(f"({value})" if crowded else value)
        last = match.end()
    out.append(text[last:])
    return "".join(out)


def substitute(raw: Any, shown: Mapping[str, str]) -> tuple[Any, list[tuple]]:
    """The question's YAML for one version, and the paths of the strings that changed."""
    changed: list[tuple] = []

    def visit(value: Any, context: str, path: tuple) -> Any:
        if isinstance(value, dict):
            text_answer = "options" in value and not path
            return {key: visit(item, _inner(context, key, text_answer), path + (key,))
                    for key, item in value.items()}
        if isinstance(value, list):
            return [visit(item, context, path + (i,)) for i, item in enumerate(value)]
        if isinstance(value, str) and context != NAME:
            new = render(value, shown) if context == TEXT else substitute_expression(value, shown)
            if new != value:
                changed.append(path)
            return new
        return value

    return visit(raw, EXPRESSION, ()), changed


def convert_question(raw: Any, changed: list[tuple], schema: type) -> Any:
    """``raw`` converted with the kind's schema. Where a field only takes numbers (a domain, an
    integer range) and holds an expression of drawn names (``[0, 2 lam]``), the expression's
    value is used: tried only when the plain conversion fails, so text fields keep their text."""
    try:
        return msgspec.convert(raw, schema, strict=False)
    except msgspec.ValidationError:
        numeric = _numbers_at(raw, changed)
        if not numeric:
            raise
    return msgspec.convert(_replaced(raw, numeric), schema, strict=False)


def _numbers_at(raw: Any, changed: list[tuple]) -> dict[tuple, float]:
    from ..answers import AnswerError, Namespace, evaluate, parse

    ns = Namespace()
    out = {}
    for path in changed:
        value = raw
        for part in path:
            value = value[part]
        try:
            tree = parse(value, ns)
            out[path] = float(evaluate(tree, ns, {}, {}, 1)[0])
        except (AnswerError, IndexError, TypeError, ValueError):
            continue
    return out


def _replaced(raw: Any, numbers: dict[tuple, float], path: tuple = ()) -> Any:
    if path in numbers:
        return numbers[path]
    if isinstance(raw, dict):
        return {k: _replaced(v, numbers, path + (k,)) for k, v in raw.items()}
    if isinstance(raw, list):
        return [_replaced(v, numbers, path + (i,)) for i, v in enumerate(raw)]
    return raw


__all__ = ["EXPRESSION", "NAME", "NAME_FIELDS", "TEXT", "TEXT_FIELDS", "convert_question",
           "declared", "materialize", "mentions", "render", "substitute", "substitute_expression", "undeclared"]


def materialize(raw: Any, shown: Mapping[str, str], schema: type, broadcast: bool | None) -> Any:
    """The question of one version: ``raw`` with the values ``shown`` put in, converted with the
    kind's ``schema`` (msgspec.ValidationError when the version breaks the schema).

    A listed mistake keeps the label its text has before substitution (``y0/x0``, not ``100/3``),
    so that reports count one mistake across versions. ``broadcast`` is the rubric's default for
    a question that does not set it."""
    version, changed = substitute(raw, shown)
    mistakes = raw.get("mistakes") if isinstance(raw, dict) else None
    if isinstance(mistakes, list):
        for original, item in zip(mistakes, version["mistakes"]):
            if isinstance(item, dict) and "label" not in item and "answer" in original:
                item["label"] = str(original["answer"])
    question = convert_question(version, changed, schema)
    if getattr(question, "broadcast", False) is None:
        msgspec.structs.force_setattr(question, "broadcast", broadcast)
    return question
