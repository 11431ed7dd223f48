"""The descent examples in docs/rubric-format.md load, prepare and validate as written."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from grader.pipeline import load, validate

DOC = Path(__file__).resolve().parents[2] / "docs" / "rubric-format.md"


def _sections() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text[text.index("## `gd_iterates`"):text.index("## `function`")]


def _blocks() -> list[str]:
    return [block for block in re.findall(r"```yaml\n(.*?)```", _sections(), re.S)]


QUESTIONS = [b for b in _blocks() if b.lstrip().startswith("- id:")]
FRAGMENTS = [line.split("#")[0].strip() for b in _blocks() if not b.lstrip().startswith("- id:")
             for line in b.splitlines() if line.strip().startswith("update:")]


def test_the_sections_have_examples():
    assert len(QUESTIONS) >= 4 and len(FRAGMENTS) >= 2


@pytest.mark.parametrize("block", QUESTIONS, ids=lambda b: re.search(r"id: (\S+)", b).group(1))
def test_each_question_example_validates(tmp_path, block):
    path = tmp_path / "rubric.yaml"
    path.write_text("title: docs\nquestions:\n" + block, encoding="utf-8")
    rubric, kinds = load(path)
    assert validate(rubric, kinds) == []
    for kind in kinds.values():
        reference = kind.reference_answer()
        if reference is not None:
            assert kind.check(reference).status == "correct"


@pytest.mark.parametrize("fragment", FRAGMENTS)
def test_each_update_fragment_works_in_the_custom_example(tmp_path, fragment):
    base = yaml.safe_load(next(b for b in QUESTIONS if "method: custom" in b))[0]
    update = yaml.safe_load(fragment)["update"]
    question = {**base, "update": update, "state": {"G": 0} if "G" in update else {}}
    if "hess" in str(update):
        question["alpha"] = 1
    path = tmp_path / "rubric.yaml"
    path.write_text(yaml.safe_dump({"title": "docs", "questions": [question]}, sort_keys=False))
    rubric, kinds = load(path)
    assert validate(rubric, kinds) == []
