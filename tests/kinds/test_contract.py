"""The contract every registered question kind fulfils, run over the registry: a kind added
tomorrow is tested here without being listed.

For each kind: its documented example loads, prepares and validates; breaking each of its
reference fields gives ``file:line: field: message`` (never a traceback); its table of answers
earns what the table says; no feedback gives the key away; the reference itself is correct; an
answer's signature agrees with itself.
"""

from __future__ import annotations

import math
import re
import textwrap

import pytest
import yaml

from grader.errors import RubricError
from grader.kinds import Kind, registry
from grader.pipeline import load, validate

KINDS = sorted({cls for cls in registry().values()}, key=lambda cls: cls.__name__)


def _rubric_text(example: str) -> str:
    body = textwrap.indent(textwrap.dedent(example).strip("\n"), "    ")
    return "title: contract\nquestions:\n  -\n" + body + "\n"


def _prepared(tmp_path, text: str):
    path = tmp_path / "rubric.yaml"
    path.write_text(text, encoding="utf-8")
    rubric, prepared = load(path)
    return path, rubric, next(iter(prepared.values()))


@pytest.fixture(params=KINDS, ids=lambda cls: cls.__name__)
def kind(request) -> type[Kind]:
    return request.param


def test_every_kind_declares_its_contract(kind):
    assert kind.names, "a kind names the YAML `kind:` values it checks"
    assert kind.example.strip(), "a kind documents an example question"
    data = yaml.safe_load(textwrap.dedent(kind.example))
    assert data["kind"] in kind.names
    if not kind.runs_code:
        statuses = {case.status for case in kind.cases}
        assert "correct" in statuses and statuses - {"correct"}, \
            "the table has right and wrong answers"


def test_the_example_loads_prepares_and_validates(kind, tmp_path):
    path, rubric, prepared = _prepared(tmp_path, _rubric_text(kind.example))
    assert isinstance(prepared, kind)
    assert validate(rubric, {rubric.questions[0].id: prepared}) == []
    assert prepared.describe_answer()


def _broken(example: str, field: str, text: str) -> str:
    data = yaml.safe_load(textwrap.dedent(example))
    target = data
    parts = field.split(".")
    for part in parts[:-1]:
        target = target[int(part)] if part.isdigit() else target[part]
    last = parts[-1]
    target[int(last) if last.isdigit() else last] = text
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def _field_pattern(field: str) -> str:
    shown = "".join(f"[{p}]" if p.isdigit() else f".{p}" for p in field.split("."))
    return re.escape(f"questions[0]{shown}")


@pytest.mark.parametrize("broken", ["foo +", "(x", "zz_unknown_name * 2"])
def test_a_broken_reference_is_a_located_error(kind, tmp_path, broken):
    for field in kind.reference_fields:
        text = _rubric_text(_broken(kind.example, field, broken))
        path = tmp_path / "rubric.yaml"
        path.write_text(text, encoding="utf-8")
        with pytest.raises(RubricError) as caught:
            load(path)
        (problem,) = caught.value.problems
        last = field.split(".")[-1]
        line = next(i for i, row in enumerate(text.splitlines(), 1)
                    if re.match(rf"^\s*(- )?{re.escape(last)}:", row) and broken in row)
        assert re.match(rf"^{re.escape(str(path))}:\d+: {_field_pattern(field)}: \S", problem), problem
        assert int(problem.split(":")[1]) == line, problem
        assert "Traceback" not in problem


def test_the_table_of_answers(kind, tmp_path):
    _, _, prepared = _prepared(tmp_path, _rubric_text(kind.example))
    for case in kind.cases:
        outcome = prepared.check(case.answer)
        assert outcome.status == case.status, (case.answer, outcome)
        assert math.isclose(outcome.fraction, case.fraction, abs_tol=1e-9), (case.answer, outcome)


def _contains(feedback: str, text: str) -> bool:
    squash = lambda s: re.sub(r"\s+", "", s).casefold()  # noqa: E731
    if re.fullmatch(r"-?[\d.]+", text.strip()):  # a number: as a whole token, not inside w2
        return re.search(rf"(?<![\w.]){re.escape(text.strip())}(?![\w.])", feedback) is not None
    return squash(text) in squash(feedback)


def test_feedback_never_gives_the_key_away(kind, tmp_path):
    _, _, prepared = _prepared(tmp_path, _rubric_text(kind.example))
    secrets = [t for t in prepared.reference_texts() if t.strip()]
    for case in kind.cases:
        if case.status == "correct":
            continue
        feedback = prepared.check(case.answer).feedback
        written = str(case.answer)
        for secret in secrets:
            if _contains(written, secret):
                continue  # the student's own text may be quoted back
            assert not _contains(feedback, secret), (case.answer, secret, feedback)


def test_the_reference_is_correct_and_signatures_are_reflexive(kind, tmp_path):
    _, _, prepared = _prepared(tmp_path, _rubric_text(kind.example))
    reference = prepared.reference_answer()
    if reference is not None:
        assert prepared.check(reference).status == "correct", reference
    for case in kind.cases:
        signature = prepared.check(case.answer).signature
        if signature is not None:
            assert prepared.same_meaning(signature, signature), case.answer


# -- self-check bundles ------------------------------------------------------------------------------
def _through_a_bundle(tmp_path, kind: type[Kind]):
    """The kind's example bundled, written, read back: (grading's prepared kind, the rebuilt one),
    or None for a kind that says it cannot be exported."""
    from grader.selfcheck.build import build, write
    from grader.selfcheck.load import load_bundle

    path, rubric, prepared = _prepared(tmp_path, _rubric_text(kind.example))
    built = build(path)
    write(built, tmp_path / "example.check")
    bundle = load_bundle(tmp_path / "example.check")
    qid = rubric.questions[0].id
    if qid in bundle.unchecked:
        return prepared, None, bundle.unchecked[qid]
    return prepared, bundle.prepared[qid], ""


def test_every_kind_goes_through_a_bundle_or_says_why_not(kind, tmp_path):
    _, rebuilt, note = _through_a_bundle(tmp_path, kind)
    if rebuilt is None:
        assert kind.no_self_check, f"{kind.__name__} cannot be exported but does not say why: {note}"
        assert kind.no_self_check in note
    else:
        assert rebuilt.runs_code == kind.runs_code


def test_the_table_of_answers_through_a_bundle(kind, tmp_path):
    """Checking through the bundle gives every case of the kind's table the same status and
    fraction as checking with the rubric."""
    direct, rebuilt, _ = _through_a_bundle(tmp_path, kind)
    if rebuilt is None:
        pytest.skip(f"{kind.__name__} cannot be self-checked")
    for case in kind.cases:
        want, got = direct.check(case.answer), rebuilt.check(case.answer)
        assert (got.status, got.fraction) == (want.status, want.fraction), (case.answer, got, want)
    reference = direct.reference_answer()
    if reference is not None:
        assert rebuilt.check(reference).status == "correct", reference


def test_code_kinds_judge_the_bundles_own_calls(kind, tmp_path):
    """A code kind rebuilt from a bundle judges results at the bundle's calls as grading judges
    results at its own: the reference's outputs are right, others wrong, errors stay errors."""
    from grader.selfcheck.runner import CallOutcome

    if not kind.runs_code:
        pytest.skip("a written kind")
    direct, rebuilt, _ = _through_a_bundle(tmp_path, kind)
    if rebuilt is None:
        pytest.skip(f"{kind.__name__} cannot be self-checked")
    for judged in (direct, rebuilt):
        expected = [call.expected for call in judged.prepared_calls]
        assert judged.judge([CallOutcome("ok", e) for e in expected]).status == "correct"
        assert judged.judge([CallOutcome("ok", e + 1.0) for e in expected]).status == "incorrect"
        assert judged.judge([CallOutcome("error", None, "boom")] * len(expected)).status == "error"
    # The bundle's calls are its own: none of grading's inputs is among them.
    grading = {repr(call.args) for call in direct.prepared_calls}
    assert not grading & {repr(call.args) for call in rebuilt.prepared_calls}
