"""What a run needs besides the verdicts to rebuild its reports (persisted as run.json)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

#: The instructor's overrides file, beside the rubric (here, not in ``overrides``, so that the
#: CLI can name it without importing pandas before the submissions are being read).
OVERRIDES_NAME = "overrides.csv"


def overrides_path(rubric: str | Path) -> Path:
    """``overrides.csv`` beside the rubric."""
    return Path(rubric).resolve().parent / OVERRIDES_NAME


@dataclass(frozen=True, slots=True)
class QuestionInfo:
    """One rubric question as the reports need it (the prompt is shown in feedback files)."""

    id: str
    points: float
    kind: str = ""
    prompt: str = ""

    def __post_init__(self) -> None:
        # Coerced so that run.json spells points the same way whether the rubric said 2 or 2.0.
        object.__setattr__(self, "points", float(self.points))


@dataclass(frozen=True, slots=True)
class ReportMeta:
    """What a run needs besides the verdicts to rebuild its reports (persisted as run.json).

    ``due`` (ISO 8601) and ``late`` (the rubric's policy as plain data) turn on the late columns
    of grades.csv; ``overrides_file`` is the instructor's overrides.csv and ``overrides`` what
    was applied from it (with the scores they replaced, so ``grader report`` can apply the file
    afresh); ``layout`` is how the class folder was read; ``sandbox`` how student code was
    isolated (set only when code ran: "namespaces" or the weaker level the instructor accepted).
    """

    title: str
    questions: tuple[QuestionInfo, ...]
    seed: int = 0
    rubric: str = ""
    due: str = ""
    late: dict[str, Any] | None = None
    overrides_file: str = ""
    overrides: tuple[dict[str, Any], ...] = field(default=())
    layout: str = ""
    sandbox: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "questions", tuple(self.questions))
        object.__setattr__(self, "overrides", tuple(self.overrides))

    @property
    def question_ids(self) -> list[str]:
        """Question ids in rubric order."""
        return [q.id for q in self.questions]

    def to_json(self) -> str:
        """Stable JSON text (sorted keys, trailing newline); optional parts only when set."""
        questions = []
        for q in self.questions:
            entry: dict[str, Any] = {"id": q.id, "points": q.points, "kind": q.kind}
            if q.prompt:
                entry["prompt"] = q.prompt
            questions.append(entry)
        data: dict[str, Any] = {"title": self.title, "seed": self.seed, "rubric": self.rubric,
                                "questions": questions}
        for key in ("due", "late", "overrides_file", "layout", "sandbox"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.overrides:
            data["overrides"] = list(self.overrides)
        return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ReportMeta:
        """Parse what ``to_json`` wrote; missing optional keys get defaults."""
        data = json.loads(text)
        questions = tuple(
            QuestionInfo(id=str(q["id"]), points=float(q.get("points", 0.0)), kind=str(q.get("kind", "")),
                         prompt=str(q.get("prompt", "")))
            for q in data.get("questions", [])
        )
        late = data.get("late")
        return cls(
            title=str(data.get("title", "")),
            questions=questions,
            seed=int(data.get("seed", 0)),
            rubric=str(data.get("rubric", "")),
            due=str(data.get("due", "")),
            late=dict(late) if isinstance(late, dict) else None,
            overrides_file=str(data.get("overrides_file", "")),
            overrides=tuple(dict(o) for o in data.get("overrides", []) if isinstance(o, dict)),
            layout=str(data.get("layout", "")),
            sandbox=str(data.get("sandbox", "")),
        )
