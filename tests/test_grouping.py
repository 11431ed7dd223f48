"""Grouping wrong answers: the fast, bucketed grouping gives exactly the greedy first-match
assignment, including at the edge of the tolerance (where "agrees" is neither symmetric nor
transitive), with nan, inf, mixed shapes and non-array signatures."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.grouping import _SPAN, _span_bound, fast_groups, greedy_groups
from grader.kinds.base import signatures_agree


def _agree(rtol, atol):
    return lambda a, b: signatures_agree(a, b, rtol, atol)


@st.composite
def classes(draw):
    """Signatures clustered around a few centres, with offsets near the tolerance's edge."""
    rtol = draw(st.sampled_from([1e-6, 1e-4, 1e-2, 0.3]))
    atol = draw(st.sampled_from([1e-9, 1e-6, 1e-2]))
    length = draw(st.integers(1, 6))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((draw(st.integers(1, 8)), length)) * 10 ** rng.uniform(-8, 4)
    count = draw(st.integers(70, 200))
    signatures = []
    for _ in range(count):
        centre = centres[rng.integers(len(centres))]
        edge = atol + rtol * np.abs(centre)
        factor = rng.choice([0.0, 0.5, 0.999, 1.0, 1.001, 2.0, 3.0])
        value = centre + factor * edge * rng.choice([-1.0, 1.0], length)
        roll = rng.random()
        if roll < 0.05:
            value = value.copy()
            value[rng.integers(length)] = np.nan
        elif roll < 0.07:
            value = value.copy()
            value[rng.integers(length)] = np.inf
        elif roll < 0.1:
            value = value[:-1] if length > 1 else np.r_[value, 1.0]  # another shape
        elif roll < 0.13:
            value = f"text{rng.integers(3)}"  # a hashable signature (a shape error's text)
        elif roll < 0.15:
            value = None
        signatures.append(value)
    return signatures, rtol, atol


@settings(max_examples=150, deadline=None)
@given(classes())
def test_fast_grouping_is_exactly_the_greedy_grouping(case):
    signatures, rtol, atol = case
    agree = _agree(rtol, atol)
    assert fast_groups(signatures, rtol, atol, agree) == greedy_groups(signatures, agree)


def test_a_long_chain_at_the_tolerance_edge():
    """a0 ~ a1 ~ a2 ... each just within tolerance of the previous, not of the first: the greedy
    rule starts a new group exactly where the scan does."""
    rtol, atol = 1e-3, 1e-9
    values = [np.array([1.0])]
    for _ in range(300):
        values.append(values[-1] * (1 + 0.6 * rtol))
    order = values[::2] + values[1::2]
    agree = _agree(rtol, atol)
    assert fast_groups(order, rtol, atol, agree) == greedy_groups(order, agree)


@pytest.mark.parametrize("rtol", [1e-9, 1e-6, 1e-3, 0.1, 0.49])
@pytest.mark.parametrize("atol", [1e-12, 1e-9, 1e-3, 1.0])
def test_the_change_of_scale_keeps_agreeing_values_within_one_cell(rtol, atol):
    for b in np.concatenate([[0.0], np.logspace(-15, 15, 301), -np.logspace(-15, 15, 301)]):
        assert _span_bound(rtol, atol, b) <= _SPAN


def test_large_class_is_fast_and_the_same():
    import time

    rng = np.random.default_rng(5)
    centres = rng.standard_normal((3000, 40))
    signatures = [centres[rng.integers(3000)] * (1 + rng.choice([0, 1e-8])) for _ in range(6000)]
    agree = _agree(1e-6, 1e-9)
    started = time.perf_counter()
    fast = fast_groups(signatures, 1e-6, 1e-9, agree)
    elapsed = time.perf_counter() - started
    # Spot-check against the scan on a prefix (the whole scan is the slow thing avoided here).
    assert fast[:800] == greedy_groups(signatures[:800], agree)
    assert len(set(fast)) <= 3000
    assert elapsed < 60  # generous: the benchmark measures; this only guards against the quadratic


def test_a_realistic_class_of_10000_is_grouped_exactly_as_the_greedy_scan_groups_it():
    """The wrong answers of a 10,000-student class made by the realistic generator (hundreds to
    thousands of distinct texts per question), checked by the rubric's own kinds: the bucketed
    grouping gives every question the greedy first-match assignment, answer for answer."""
    import sys
    import tempfile
    from pathlib import Path

    import yaml

    from grader.grading import _safe_check, answer_key
    from grader.kinds.base import WrittenKind
    from grader.pipeline import load
    from grader.verdict import WRONG_STATUSES

    root = Path(__file__).resolve().parents[1]
    sys.path.insert(0, str(root / "benchmarks"))
    import realistic

    data = yaml.safe_load((root / "rubrics" / "hw1.yaml").read_text())
    data["questions"] = [q for q in data["questions"] if q["kind"] != "function"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "hw1_written.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
        rubric, prepared = load(path)
    students = realistic.make_class(10_000, seed=1)
    compared = 0
    for question in rubric.questions:
        kind = prepared[question.id]
        if getattr(type(kind), "same_meaning", None) is not WrittenKind.same_meaning:
            continue
        texts = sorted({answer_key(s.answers[question.id]): s.answers[question.id]
                        for s in students if s.answers.get(question.id) not in (None, "", "null")}.items())
        outcomes = [_safe_check(kind, value) for _, value in texts]
        signatures = [o.signature for o in outcomes
                      if o.status in WRONG_STATUSES and o.signature is not None]
        tolerance = kind.group_tolerance()
        fast = fast_groups(signatures, tolerance.rtol, tolerance.atol, kind.same_meaning)
        assert fast == greedy_groups(signatures, kind.same_meaning), question.id
        compared += len(signatures)
    assert compared > 5000
