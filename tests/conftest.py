"""Shared fixtures for the grader's tests: the repository's paths, rubric writing and loading."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HW1 = ROOT / "rubrics" / "hw1.yaml"
SUBMISSIONS = ROOT / "submissions" / "hw1"
SUBMISSIONS_HW2 = ROOT / "submissions" / "hw2"


def _write_rubric(directory: Path, yaml_text: str, name: str = "rubric.yaml") -> Path:
    """Write ``yaml_text`` (dedented) to ``directory/name`` and return the path."""
    path = Path(directory) / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(yaml_text).lstrip("\n"), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def root() -> Path:
    """The repository root (holds rubrics/ and submissions/)."""
    return ROOT


@pytest.fixture(scope="session")
def hw1_path() -> Path:
    return HW1


@pytest.fixture(scope="session")
def submissions_dir() -> Path:
    return SUBMISSIONS


@pytest.fixture
def write_rubric():
    """``write_rubric(tmp_path, yaml_text, name="rubric.yaml") -> Path``; the text is dedented."""
    return _write_rubric


@pytest.fixture
def load_text(tmp_path):
    """``load_text(yaml_text, seed=None) -> Rubric``: write a rubric under tmp_path and load it."""
    from grader.pipeline import load_rubric

    counter = iter(range(10_000))

    def load(yaml_text: str, seed: int | None = None):
        return load_rubric(_write_rubric(tmp_path, yaml_text, f"rubric{next(counter)}.yaml"),
                           seed=seed)

    return load


@pytest.fixture
def prepared(load_text):
    """``prepared(yaml_text) -> (rubric, checkers)``: a rubric and its prepared checkers."""
    from grader.pipeline import prepare

    def build(yaml_text: str, seed: int | None = None):
        rubric = load_text(yaml_text, seed)
        return rubric, prepare(rubric)

    return build


@pytest.fixture(scope="session")
def hw1():
    """The example rubric, loaded once (rubrics are frozen, so sharing is safe)."""
    from grader.pipeline import load_rubric

    return load_rubric(HW1)


@pytest.fixture(scope="session")
def hw1_checkers(hw1):
    """hw1's prepared checkers, once per session (``check`` is pure, so sharing is safe)."""
    from grader.pipeline import prepare

    return prepare(hw1)


#: The question kinds these tests cover (hw1 also has code and other kinds, tested elsewhere).
WRITTEN_KINDS = ("expression", "matrix_expression", "shape", "number", "choice")


@pytest.fixture(scope="session")
def written_hw1_path(tmp_path_factory) -> Path:
    """hw1.yaml with only its expression/matrix/shape/number/choice questions: fast to grade
    (no sandbox) and stable while other question kinds are added to hw1."""
    import yaml

    data = yaml.safe_load(HW1.read_text(encoding="utf-8"))
    data["questions"] = [q for q in data["questions"] if q.get("kind") in WRITTEN_KINDS]
    path = tmp_path_factory.mktemp("written") / "hw1_written.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def written_hw1(written_hw1_path):
    from grader.pipeline import load_rubric

    return load_rubric(written_hw1_path)
