"""What ``run_autograder`` runs for each Gradescope submission::

    python3 -m grader.autograder.run --root /autograder --rubric rubric/hw1.yaml

It reads the files in ``ROOT/submission`` as ``grader check`` reads a student's folder (an
answers file, a notebook, .py files), grades them against ``ROOT/source/RUBRIC`` (the code in
the sandbox, one submission: Gradescope gives each submission a fresh container), and writes
``ROOT/results/results.json``. Whatever happens, a results.json is written: a submission that
cannot be read gets its message and 0 points rather than a failed autograder run."""

from __future__ import annotations

import argparse
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any


def grade_submission(root: Path, rubric_file: str) -> dict[str, Any]:
    """results.json's content for the submission in ``root/submission``."""
    from grader.autograder.results import failure_json, results_json
    from grader.errors import RubricError
    from grader.pipeline import grade, load
    from grader.submissions import load_submission

    started = time.monotonic()
    try:
        rubric, prepared = load(root / "source" / rubric_file)
    except RubricError as err:
        return failure_json("The autograder's rubric is broken; please tell your instructor.\n"
                            + "\n".join(err.problems), "hidden")
    visibility = rubric.gradescope.visibility
    folder = root / "submission"
    try:
        submission = load_submission(folder, {q.id for q in rubric.questions})
    except FileNotFoundError:
        return failure_json("No files were submitted.", visibility)
    verdicts = grade(rubric, [submission], prepared)
    notes = [n for n in submission.notes]
    if submission.problem:
        notes.insert(0, f"Your files could not be read: {submission.problem}")
    prompts = {q.id: q.prompt for q in rubric.questions}
    return results_json(verdicts, prompts, visibility, notes, time.monotonic() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", default="/autograder", type=Path)
    parser.add_argument("--rubric", required=True, help="the rubric, relative to ROOT/source")
    args = parser.parse_args(argv)
    results = args.root / "results" / "results.json"
    results.parent.mkdir(parents=True, exist_ok=True)
    try:
        data = grade_submission(args.root, args.rubric)
    except Exception:  # noqa: BLE001 - Gradescope must get a results.json whatever broke
        traceback.print_exc()  # stdout/stderr are the instructor's (stdout_visibility hidden)
        from grader.autograder.results import failure_json

        data = failure_json("The autograder failed on this submission; please tell your "
                            "instructor.", "visible")
    results.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"score {data['score']} written to {results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
