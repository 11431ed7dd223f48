"""The bundle file: deterministic, versioned, typed; damaged or foreign files are clear errors;
the bundle seed is one-way from the grading seed; the tolerance grid accepts every value within
tolerance and nothing beyond about twice it."""

from __future__ import annotations

import math
import zlib

import msgspec
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from grader.kinds.support import grid
from grader.pipeline import load_rubric
from grader.selfcheck import format as fmt
from grader.selfcheck.build import build, bundle_seed
from grader.selfcheck.load import load_bundle
from grader.tolerance import Tolerance


@pytest.fixture(scope="module")
def hw1_bundle(tmp_path_factory, hw1_path):
    path = tmp_path_factory.mktemp("bundle") / "hw1.check"
    path.write_bytes(build(hw1_path).data)
    return path


def test_rebuilding_gives_the_same_bytes(hw1_path, hw1_bundle):
    assert build(hw1_path).data == hw1_bundle.read_bytes()


def test_the_file_says_what_it_is_and_its_format(hw1_bundle):
    raw = hw1_bundle.read_bytes()
    assert raw.startswith(b"grader self-check bundle\nformat 1\n")
    assert fmt.looks_like_bundle(hw1_bundle)
    payload = fmt.decode(raw)
    assert payload.title.startswith("HW1")
    assert [e.id for e in payload.questions][:2] == ["q1.sigmoid", "q1.softmax_diag"]


def test_arrays_round_trip_exactly():
    values = {"a": np.random.default_rng(1).normal(size=(3, 2, 4)), "s": np.array(2.5), "e": np.zeros((0, 3))}
    entry = fmt.Entry(id="q", kind="expression", points=1.0, data=values)
    raw = fmt.encode(fmt.Payload(grader="x", title="t", questions=[entry]))
    back = fmt.decode(raw).questions[0].data
    for name, array in values.items():
        assert back[name].dtype == np.float64 and back[name].shape == array.shape
        assert np.array_equal(back[name], array)


def _with_version(raw: bytes, line: bytes) -> bytes:
    head, _, rest = raw[len(fmt.MAGIC):].partition(b"\n")
    return fmt.MAGIC + line + b"\n" + rest


def test_a_newer_format_names_both_versions(hw1_bundle, tmp_path):
    newer = tmp_path / "newer.check"
    newer.write_bytes(_with_version(hw1_bundle.read_bytes(), b"format 2"))
    with pytest.raises(fmt.BundleError) as caught:
        load_bundle(newer)
    message = str(caught.value)
    assert "format 2" in message and "reads format 1" in message and "pip install --upgrade grader-ml" in message


def test_an_older_format_names_both_versions(hw1_bundle, tmp_path, monkeypatch):
    monkeypatch.setattr(fmt, "OLDEST_READABLE", 2)
    monkeypatch.setattr(fmt, "FORMAT_VERSION", 3)
    with pytest.raises(fmt.BundleError, match=r"format 1, made by an older grader.*formats 2 to 3"):
        fmt.decode(hw1_bundle.read_bytes())


@pytest.mark.parametrize("spoil", [
    lambda raw: b"title: HW1\nquestions: []\n",                      # a rubric, not a bundle
    lambda raw: raw[:40],                                            # cut short
    lambda raw: raw[:-200],                                          # cut short inside the data
    lambda raw: fmt.MAGIC + b"format one\n" + raw[40:],              # unreadable format line
    lambda raw: fmt.MAGIC + b"format 1\n" + b"\x00" * 50,            # not zlib
    lambda raw: fmt.MAGIC + b"format 1\n" + zlib.compress(b"\x93\x01\x02\x03"),  # not a Payload
    lambda raw: fmt.MAGIC + b"format 1\n" + zlib.compress(msgspec.msgpack.encode(
        {"grader": "x", "title": "t", "questions": [{"id": "q", "kind": "number", "points": 1,
                                                     "data": {"tolerance": {}}}]})),  # a bad entry
])
def test_a_damaged_or_foreign_file_is_a_clear_error(hw1_bundle, tmp_path, spoil):
    path = tmp_path / "x.check"
    path.write_bytes(spoil(hw1_bundle.read_bytes()))
    with pytest.raises(fmt.BundleError) as caught:
        load_bundle(path)
    assert "x.check" in str(caught.value)


def test_a_zlib_bomb_stops_at_the_limit(tmp_path, monkeypatch):
    monkeypatch.setattr(fmt, "MAX_PAYLOAD", 1 << 16)
    path = tmp_path / "bomb.check"
    path.write_bytes(fmt.MAGIC + b"format 1\n" + zlib.compress(b"\x00" * (1 << 20)))
    with pytest.raises(fmt.BundleError, match="too large"):
        load_bundle(path)


def test_the_bundle_seed_is_not_the_grading_seed_and_depends_on_the_rubric(hw1_path, tmp_path):
    rubric = load_rubric(hw1_path)
    seed = bundle_seed(rubric)
    assert seed != rubric.seed and seed.bit_length() > 32
    assert bundle_seed(load_rubric(hw1_path)) == seed  # reproducible
    assert bundle_seed(load_rubric(hw1_path, seed=rubric.seed + 1)) != seed
    copy = tmp_path / "hw1.yaml"
    copy.write_text(hw1_path.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    assert bundle_seed(load_rubric(copy)) != seed
    # Without the rubric's bytes, trying seeds does not find it.
    assert all(int.from_bytes(grid.derive(s, "bundle seed", "", size=8), "big") != seed
               for s in range(3000))


# -- the tolerance grid ------------------------------------------------------------------------------
TOLERANCES = st.sampled_from([Tolerance(), Tolerance(rtol=1e-4, atol=1e-6), Tolerance(rtol=1e-4, atol=0.0),
                              Tolerance(rtol=1e-3, atol=1e-3), Tolerance(rtol=1e-9, atol=1e-12)])
VALUES = st.one_of(st.floats(-1e6, 1e6, allow_nan=False), st.sampled_from([0.0, 1.0, -2.5, 87.5, 1e-9]),
                   st.floats(-1e300, 1e300, allow_nan=False, allow_infinity=False))


@settings(max_examples=400, deadline=None)
@given(TOLERANCES, VALUES, st.floats(-1, 1))
def test_a_value_within_tolerance_always_matches(tol, reference, fraction):
    salt = b"s" * 16
    hashes = grid.value_hashes(salt, "v", reference, tol)
    answer = reference + fraction * (tol.atol + tol.rtol * abs(reference))
    if abs(answer - reference) <= tol.atol + tol.rtol * abs(reference):  # after rounding
        assert grid.value_matches(salt, "v", answer, tol, hashes)


@settings(max_examples=400, deadline=None)
@given(TOLERANCES, VALUES, st.floats(2.2, 1e6), st.sampled_from([-1, 1]))
def test_a_value_beyond_about_twice_the_tolerance_never_matches(tol, reference, times, sign):
    if tol.atol == 0 and abs(reference) < 1e-250:
        return  # the grid's smallest absolute width (1e-300) is wider than rtol·|r| there
    salt = b"s" * 16
    hashes = grid.value_hashes(salt, "v", reference, tol)
    width = tol.atol + tol.rtol * abs(reference)
    answer = reference + sign * times * width * grid.cell_width(tol)
    if math.isfinite(answer) and answer != reference:
        assert not grid.value_matches(salt, "v", answer, tol, hashes)


def test_infinite_values_match_only_themselves():
    tol, salt = Tolerance(), b"s" * 16
    hashes = grid.value_hashes(salt, "v", math.inf, tol)
    assert grid.value_matches(salt, "v", math.inf, tol, hashes)
    assert not grid.value_matches(salt, "v", 1e308, tol, hashes)
    assert not grid.value_matches(salt, "v", -math.inf, tol, hashes)


def test_a_tolerance_too_wide_to_hash_is_refused():
    assert not grid.hashable(Tolerance(rtol=0.5))
    with pytest.raises(ValueError):
        grid.cell_width(Tolerance(rtol=0.7))


def test_a_tampered_payload_loads_or_is_refused_never_crashes(hw1_bundle, tmp_path):
    """Random byte changes inside the (decompressed) payload: the bundle loads, or loading says
    it is damaged; no other exception escapes."""
    import random

    body = fmt.payload_bytes(hw1_bundle.read_bytes())
    rng = random.Random(5)
    path = tmp_path / "t.check"
    outcomes = {"loaded": 0, "refused": 0}
    for _ in range(150):
        data = bytearray(body)
        for _ in range(rng.randint(1, 4)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        path.write_bytes(fmt.MAGIC + b"format 1\n" + zlib.compress(bytes(data)))
        try:
            load_bundle(path)
            outcomes["loaded"] += 1
        except fmt.BundleError:
            outcomes["refused"] += 1
    assert outcomes["refused"] > 0 and outcomes["loaded"] > 0, outcomes
