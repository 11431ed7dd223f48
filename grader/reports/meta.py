"""What a run needs besides the verdicts to rebuild its reports (persisted as run.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """One rubric question as the reports need it."""

    id: str
    points: float
    kind: str = ""

    def __post_init__(self) -> None:
        # Coerced so that run.json spells points the same way whether the rubric said 2 or 2.0.
        object.__setattr__(self, "points", float(self.points))


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What a run needs besides the verdicts to rebuild its reports (persisted as run.json)."""

    title: str
    questions: tuple[QuestionInfo, ...]
    seed: int = 0
    rubric: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(self.questions))

    @property
    def question_ids(self) -> list[str]:
        """Question ids in rubric order."""
        return [q.id for q in self.questions]

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, trailing newline)."""
        data = {
            "title": self.title,
            "seed": self.seed,
            "rubric": self.rubric,
            "questions": [{"id": q.id, "points": q.points, "kind": q.kind} for q in self.questions],
        }
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ReportMeta:
        """Parse what ``to_json`` wrote; missing optional keys get defaults."""
        data = json.loads(text)
        questions = tuple(
            QuestionInfo(id=str(q["id"]), points=float(q.get("points", 0.0)), kind=str(q.get("kind", "")))
            for q in data.get("questions", [])
        )
        return cls(
            title=str(data.get("title", "")),
            questions=questions,
            seed=int(data.get("seed", 0)),
            rubric=str(data.get("rubric", "")),
        )
