"""No key in a bundle. Each bundle (hw1, every kind's example, every rubric written in the tests)
is decompressed and searched for: every `answer`, `gradient_of` and mistake answer text (and the
reference texts each kind declares), the reference code, the grading seed, and every reference
final value (numbers, iterates, interval endpoints) as text, as a number in the payload, inside
an array, and as float64/float32 bytes in either byte order. Values the question itself states
(in any prompt, its givens, parameters, start, step size) are exempt, as the issue allows.

A second test changes only a question's answer and checks that the bundle changes only in hash
bytes: whatever else a bundle holds cannot depend on the key.
"""

from __future__ import annotations

import math
import re
import struct
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pytest
import yaml

from grader.errors import RubricError
from grader.pipeline import load
from grader.selfcheck.build import build
from grader.selfcheck.format import decode_plain, payload_bytes

from .rubrics import all_rubrics

RUBRICS = all_rubrics()
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def squash(text: str) -> str:
    return re.sub(r"\s+", "", str(text)).casefold()


def walk(value: Any) -> Iterator[Any]:
    """Every leaf of a decoded payload (dict keys included)."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from walk(key)
            yield from walk(item)
    elif isinstance(value, (list, tuple)):
        for item in value:
            yield from walk(item)
    else:
        yield value


def _path_of(name: str, tmp_path: Path) -> Path:
    source = RUBRICS[name]
    if isinstance(source, Path):
        return source
    tmp_path.mkdir(parents=True, exist_ok=True)
    path = tmp_path / "rubric.yaml"
    path.write_text(source, encoding="utf-8")
    return path


def _built(name: str, tmp_path: Path):
    path = _path_of(name, tmp_path)
    try:
        return path, build(path)
    except RubricError:
        return path, None  # a rubric the tests write broken on purpose: `grader bundle` refuses it


# -- what is secret, and what the question states ----------------------------------------------
def _texts(question, kind) -> list[str]:
    texts = [t for t in kind.reference_texts() if str(t).strip()]
    for field in ("answer", "gradient_of", "reference"):
        value = getattr(question, field, None)
        if isinstance(value, str):
            texts.append(value)
    for mistake in getattr(question, "mistakes", ()):
        texts.append(str(mistake.answer))
    return texts


def _code_lines(question, rubric) -> list[str]:
    reference = getattr(question, "reference", None)
    if not isinstance(reference, str):
        return []
    file_name = reference.rpartition(":")[0]
    code = (rubric.base_dir / file_name).read_text(encoding="utf-8")
    lines = [line.strip() for line in code.splitlines()]
    return [file_name] + [line for line in lines
                          if len(line) >= 12 and not line.startswith(("#", '"""', "import", "from"))]


def _final_values(kind) -> list[float]:
    name = kind.question.kind
    if name == "number":
        return [kind.reference]
    if name == "gd_iterates":
        return [float(v) for step in kind.truth if not kind.close(step, kind.start)
                for v in np.ravel(step)]
    if name == "interval":
        values = [x for part in kind.reference.parts for x in (part.low, part.high) if math.isfinite(x)]
        # Step sizes are positive: an interval of them starting at 0 says so by itself.
        return [v for v in values if not (v == 0 and kind.question.convergence_of is not None)]
    return []


#: Fields that hold the key: everything else a question has is part of what it states.
KEY_FIELDS = ("answer", "gradient_of", "mistakes", "reference")


def _public(question, rubric) -> tuple[str, set[float]]:
    """The text and the numbers the question states: any prompt (students see them all), and
    its fields other than the key (givens, symbols, parameters, start, step size, credit...)."""
    stated = yaml.safe_dump({k: v for k, v in _fields(question).items() if k not in KEY_FIELDS},
                            allow_unicode=True)
    text = " ".join(q.prompt for q in rubric.questions) + " " + stated
    numbers = {float(n) for n in NUMBER.findall(text)}
    return squash(text), numbers


def _fields(question) -> dict:
    import msgspec

    return msgspec.to_builtins(question)


def _number_forms(value: float) -> set[str]:
    forms = {repr(value), f"{value:g}", f"{value:.6g}"}
    if float(value).is_integer():
        forms.add(str(int(value)))
    return forms


def _float64_bytes(value: float) -> list[bytes]:
    return [struct.pack("<d", value), struct.pack(">d", value)]


def _float32_bytes(value: float) -> list[bytes]:
    return [struct.pack("<f", value), struct.pack(">f", value)] if abs(value) < 3e38 else []


def _contains(string: str, secret: str) -> bool:
    """A secret text in a (squashed) payload string; a number only as a whole token."""
    if NUMBER.fullmatch(secret):
        return re.search(rf"(?<![\w.]){re.escape(secret)}(?![\w.])", string) is not None
    return secret in string


# -- the test ------------------------------------------------------------------------------------
def test_the_suite_has_rubrics_to_bundle(tmp_path):
    built = sum(1 for i, name in enumerate(RUBRICS) if _built(name, tmp_path / str(i))[1])
    assert len(RUBRICS) >= 40 and built >= 30, (len(RUBRICS), built)


@pytest.mark.parametrize("name", list(RUBRICS))
def test_a_bundle_holds_no_part_of_the_key(name, tmp_path):
    path, built = _built(name, tmp_path)
    if built is None:
        pytest.skip("a rubric that does not validate is refused")
    raw = payload_bytes(built.data)
    decoded = decode_plain(built.data)
    leaves = list(walk(decoded))
    strings = [squash(x) for x in leaves if isinstance(x, str)]
    numbers = [x for x in leaves if isinstance(x, (int, float)) and not isinstance(x, bool)]
    arrays = [x for x in leaves if isinstance(x, np.ndarray)]
    # float32 is looked for in the binary blobs (hashes, salts) at any offset, and in array data
    # as aligned 4-byte words: across msgpack's structure, or straddling two float64 entries,
    # a 4-byte pattern such as 00 00 16 43 turns up by chance.
    blobs = [x for x in leaves if isinstance(x, bytes)]
    words = [np.frombuffer(a.tobytes(), dtype="<f4") for a in arrays if a.size]
    rubric, prepared = load(path)

    for question in rubric.questions:
        kind = prepared[question.id]
        public_text, public_numbers = _public(question, rubric)
        for text in _texts(question, kind) + _code_lines(question, rubric):
            secret = squash(text)
            if not secret or secret in public_text:
                continue  # the question states it
            assert not any(_contains(s, secret) for s in strings), (question.id, text)
        for value in _final_values(kind):
            if value in public_numbers:
                continue
            for s in strings:
                for form in _number_forms(value):
                    assert not re.search(rf"(?<![\w.]){re.escape(squash(form))}(?![\w.])", s), \
                        (question.id, value, s)
            assert not any(math.isclose(n, value, rel_tol=1e-12, abs_tol=0) for n in numbers), \
                (question.id, value)
            assert not any(np.isclose(a, value, rtol=1e-12, atol=0).any() for a in arrays if a.size), \
                (question.id, value)
            for form in _float64_bytes(value):
                assert form not in raw, (question.id, value, form)
            for form in _float32_bytes(value):
                assert not any(form in blob for blob in blobs), (question.id, value, form)
            if abs(value) < 3e38:
                assert not any((w == np.float32(value)).any() for w in words), (question.id, value)

        # Grading's own call inputs (drawn at the grading seed) are not in the bundle either.
        for call in getattr(kind, "prepared_calls", ()):
            for arg in call.args:
                if isinstance(arg, float):
                    assert arg not in numbers, (question.id, arg)
                elif isinstance(arg, np.ndarray) and arg.size:
                    assert not any(a.shape == arg.shape and np.array_equal(a, arg) for a in arrays)
                    for form in _float64_bytes(float(arg.flat[0])):
                        assert form not in raw, (question.id, "a grading call's input")

    seed = rubric.seed
    assert seed not in [n for n in numbers if isinstance(n, int)] or seed < 10
    assert not any(re.search(rf"(?<![\w.]){seed}(?![\w.])", s) for s in strings) or seed < 10
    if seed >= 256:
        for form in (struct.pack("<q", seed), struct.pack(">q", seed)):
            assert form not in raw


# -- only hashes depend on the answer -------------------------------------------------------------
VARIANTS = {
    "choice": ("""
    id: q.c
    kind: choice
    points: 1
    options: [converges, oscillates, diverges]
    answer: {}
    synonyms: {{oscillates: [bounces], diverges: [explodes]}}
    partial: {{converges: 0.5}}
    """, ["oscillates", "diverges"]),
    "number": ("""
    id: q.n
    kind: number
    points: 1
    answer: "{}"
    """, ["175/2", "88.25"]),
    "shape": ("""
    id: q.s
    kind: shape
    points: 1
    answer: "{}"
    dims: {{n: [2, 6], m: [2, 6]}}
    """, ["n x 1", "m x n"]),
    "interval": ("""
    id: q.i
    kind: interval
    points: 1
    variable: alpha
    answer: "{}"
    """, ["(0, 2)", "[0.5, 3]"]),
}


def _differences(a: Any, b: Any, where: str = "") -> list[str]:
    """Paths where two decoded payloads differ other than in bytes (hashes and salts)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if list(a) != list(b):
            return [f"{where}: keys {list(a)} != {list(b)}"]
        return [d for key in a for d in _differences(a[key], b[key], f"{where}.{key}")]
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: lengths {len(a)} != {len(b)}"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{where}[{i}]")]
    if isinstance(a, bytes) and isinstance(b, bytes):
        return []
    if isinstance(a, np.ndarray) and isinstance(b, np.ndarray):
        return [] if a.shape == b.shape and np.array_equal(a, b) else [f"{where}: array"]
    return [] if type(a) is type(b) and a == b else [f"{where}: {a!r} != {b!r}"]


@pytest.mark.parametrize("kind", list(VARIANTS))
def test_only_hashes_depend_on_the_answer(kind, tmp_path):
    template, answers = VARIANTS[kind]
    decoded = []
    for index, answer in enumerate(answers):
        body = textwrap_question(template.format(answer))
        path = tmp_path / f"r{index}.yaml"
        path.write_text("title: t\nquestions:\n" + body, encoding="utf-8")
        decoded.append(decode_plain(build(path, seed_of_bundle=12345).data))
    assert _differences(*decoded) == []
    # ... and the hashes do differ: the test compares something.
    hashes = [[x for x in walk(d) if isinstance(x, bytes)] for d in decoded]
    assert hashes[0] != hashes[1]


def textwrap_question(template: str) -> str:
    import textwrap

    lines = textwrap.dedent(template).strip("\n").splitlines()
    return "  - " + lines[0] + "\n" + "\n".join("    " + line for line in lines[1:]) + "\n"
