"""Rubrics to bundle in the self-check tests: hw1, every registered kind's example, and every
rubric (or question body) written inline in the test suite, harvested from the test files'
string constants so that a rubric added to any test is bundled here too."""

from __future__ import annotations

import ast
import textwrap
from pathlib import Path

import yaml

from grader.kinds import registry

TESTS = Path(__file__).resolve().parents[1]
ROOT = TESTS.parent
HW1 = ROOT / "rubrics" / "hw1.yaml"


def _kind_examples() -> dict[str, str]:
    out = {}
    for cls in sorted(set(registry().values()), key=lambda c: c.__name__):
        body = textwrap.indent(textwrap.dedent(cls.example).strip("\n"), "    ")
        out[f"example:{cls.__name__}"] = "title: example\nquestions:\n  -\n" + body + "\n"
    return out


def _as_rubric(value) -> str | None:
    """YAML text of a rubric, from a string constant that is one, or one question's body."""
    try:
        data = yaml.safe_load(textwrap.dedent(value))
    except yaml.YAMLError:
        return None
    if isinstance(data, dict) and isinstance(data.get("questions"), list):
        data.setdefault("title", "harvested")
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    if isinstance(data, dict) and data.get("kind") in registry() and "points" in data:
        question = {"id": "q", **data}
        return yaml.safe_dump({"title": "harvested", "questions": [question]}, sort_keys=False,
                              allow_unicode=True)
    return None


def harvested() -> dict[str, str]:
    """Every rubric written in a test file: name → YAML text."""
    out: dict[str, str] = {}
    for path in sorted(TESTS.rglob("*.py")):
        if "selfcheck" in path.parts:
            continue
        try:
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except SyntaxError:
            continue  # test data that is broken Python on purpose
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and "kind:" in node.value:
                text = _as_rubric(node.value)
                if text is not None and text not in out.values():
                    out[f"{path.relative_to(TESTS)}:{node.lineno}"] = text
    return out


def all_rubrics() -> dict[str, str | Path]:
    return {"hw1": HW1, **_kind_examples(), **harvested()}
