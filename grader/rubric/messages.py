"""msgspec's validation errors → ``file:line: field: message`` in the rubric author's words."""

from __future__ import annotations

import re
from typing import Any

import msgspec

#: Marks a problem found inside a struct's own check with the field path it belongs to
#: (see ``schema.at``): the message then starts with AT path AT.
AT = "\x00"


def line_of(lines: dict[tuple, int], path: tuple) -> int:
    """The line of the deepest part of ``path`` that the YAML had."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def field_path(path: tuple) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def describe(err: msgspec.ValidationError, prefix: tuple, lines: dict[tuple, int], shown: str) -> str:
    message, path = split_validation_error(str(err))
    path = prefix + path
    return f"{shown}:{line_of(lines, path)}: {field_path(path) or 'rubric'}: {_message(message, path)}"


_LOCATION = re.compile(r"^(?P<message>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.S)
_PART = re.compile(r"\.([^.\[]+)|\[(\d+|\.\.\.)\]")
_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]+)`")


def split_validation_error(text: str, name_field: bool = True) -> tuple[str, tuple]:
    """msgspec's ``"Expected `float` > 0.0 - at `$.questions[3].tolerance.rtol`"`` → (message, path),
    with a field named by the message (unknown or missing) and any path our own checks marked
    (see ``at``) added to the path."""
    match = _LOCATION.match(text)
    message, raw_path = match.group("message"), match.group("path") or ""
    path: list[Any] = []
    for name, index in _PART.findall(raw_path):
        if name:
            path.append(name)
        elif index != "...":
            path.append(int(index))
    if message.startswith(AT):
        marked, _, message = message[1:].partition(AT)
        path.extend(int(p) if p.isdigit() else p for p in marked.split(".") if p)
    named = _FIELD.match(message) if name_field else None
    if named:
        path.append(named.group(1))
    return message, tuple(path)


def _message(message: str, path: tuple) -> str:
    """msgspec's wording → the rubric author's."""
    if message.startswith("Object missing required field"):
        return "required field is missing"
    if message.startswith("Object contains unknown field"):
        return "unknown field (check its spelling in docs/rubric-format.md)"
    bound = re.match(r"Expected `(\w+)` (>=|>|<=|<) (-?[\d.e+-]+)", message)
    if bound:
        op, value = bound.group(2), float(bound.group(3))
        if op == ">" and value == 0:
            return "must be a positive number"
        if op == ">=" and value == 0:
            return "must not be negative"
        words = {">": "greater than", ">=": "at least", "<": "less than", "<=": "at most"}[op]
        return f"must be {words} {value:g}"
    if "matching regex" in message:
        if path and path[-1] == "id":
            return "must use only letters, digits, '.' and '_'"
        return "must be a name: letters, digits and '_', starting with a letter"
    if re.match(r"Expected `array` of length >= 1", message):
        return "must not be empty"
    if re.match(r"Expected `array` of length", message):
        length = re.search(r"length (\d+)", message)
        return f"must be a list of {length.group(1)} items" if length else "must be a list"
    expected = re.match(r"Expected `([^`]+)`, got `([^`]+)`", message)
    if expected:
        wanted = expected.group(1)
        if wanted in ("float", "float | null", "int | float"):
            return "must be a number"
        if wanted in ("int", "int | null"):
            return "must be a whole number"
        if wanted.startswith("str"):
            return "must be text"
        if wanted == "bool":
            return "must be true or false"
        if wanted.startswith("array"):
            return "must be a list, like [x, y]"
        if wanted.startswith("object"):
            return "must be a mapping, like {key: value}"
        return f"must be {wanted}"
    if message.startswith("Invalid enum value"):
        return f"{message[len('Invalid enum value '):]} is not an allowed value"
    return message
