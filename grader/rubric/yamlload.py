"""Rubric YAML with line numbers: a safe loader that records the line of every mapping key and
sequence item, so that a problem found later can name its line."""

from __future__ import annotations

import re
from typing import Any

import yaml


class _LineLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """A safe loader that also records the line of every mapping key and sequence item (libyaml's
    parser where PyYAML has it: the same nodes and marks, several times faster).

    Only ``true`` and ``false`` are booleans (as in YAML 1.2): a choice option ``yes`` or ``no``
    stays text instead of turning into True or False.
    """


_LineLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_LineLoader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))


#: Most values one rubric may hold once its aliases are expanded, and deepest nesting. Authors
#: share blocks with anchors (`symbols: *common`), which costs a few hundred values; a
#: "billion laughs" file of nested aliases would expand to billions and is refused instead.
MAX_VALUES = 200_000
MAX_DEPTH = 64


class RubricYAMLError(ValueError):
    """A rubric whose YAML is well-formed but unusable (it expands too far, nests too deeply, or
    an alias refers to itself), and the line where that shows."""

    def __init__(self, message: str, line: int = 1):
        super().__init__(message)
        self.line = line


def load_with_lines(text: str) -> tuple[Any, dict[tuple, int]]:
    """The rubric's data and the line of every field path; yaml.YAMLError for malformed YAML,
    RubricYAMLError for YAML that expands too far or refers to itself."""
    loader = _LineLoader(text)
    try:
        try:
            node = loader.get_single_node()
            lines: dict[tuple, int] = {}
            budget = [MAX_VALUES]
            data = _construct(loader, node, (), lines, budget, set()) if node is not None else None
        except RecursionError:
            raise RubricYAMLError("the YAML nests too deeply (or an alias refers to itself)") from None
        return data, lines
    finally:
        loader.dispose()


def _construct(loader: yaml.SafeLoader, node: yaml.Node, path: tuple, lines: dict[tuple, int],
               budget: list[int], active: set[int]) -> Any:
    line = node.start_mark.line + 1
    budget[0] -= 1
    if budget[0] < 0:
        raise RubricYAMLError(f"the rubric expands to more than {MAX_VALUES:,} values "
                              "(aliases of aliases?)", line)
    if len(path) > MAX_DEPTH:
        raise RubricYAMLError(f"nested more than {MAX_DEPTH} levels deep", line)
    if id(node) in active:
        raise RubricYAMLError("an alias refers to the block that contains it", line)
    lines.setdefault(path, line)
    if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
        active.add(id(node))
        try:
            if isinstance(node, yaml.MappingNode):
                loader.flatten_mapping(node)
                result = {}
                for key_node, value_node in node.value:
                    if not isinstance(key_node, yaml.ScalarNode):
                        raise RubricYAMLError("a key must be plain text, not a list or a mapping",
                                              key_node.start_mark.line + 1)
                    key = loader.construct_object(key_node, deep=True)
                    if not isinstance(key, (str, int, float, bool)) or key is None:
                        key = str(key)
                    lines[path + (key,)] = key_node.start_mark.line + 1
                    result[key] = _construct(loader, value_node, path + (key,), lines, budget, active)
                return result
            return [_construct(loader, item, path + (i,), lines, budget, active)
                    for i, item in enumerate(node.value)]
        finally:
            active.discard(id(node))
    return loader.construct_object(node, deep=True)
