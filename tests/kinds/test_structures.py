"""Structured symbols: drawn so the question's assumptions hold at every sample point, which
makes the natural answers under those assumptions correct (``p - y`` for a one-hot ``y``)."""

from __future__ import annotations

import numpy as np
import pytest

from grader.errors import RubricError

QUESTION = """
title: t
questions:
  - id: q
    kind: matrix_expression
    points: 1
    symbols:
      S: {{shape: {shape}, structure: {structure}{extra}}}
    dims: {{n: [2, 6], k: [2, 6]}}
    answer: "S"
"""


def _draws(prepared, structure: str, shape: str, extra: str = ""):
    _, kinds = prepared(QUESTION.format(structure=structure, shape=shape, extra=extra))
    return [batch.env["S"] for batch in kinds["q"].batches]


@pytest.mark.parametrize("shape", ["[n, 1]", "[1, n]"])
def test_vector_structures(prepared, shape):
    for draws in _draws(prepared, "onehot", shape):
        flat = draws.reshape(len(draws), -1)
        assert set(np.unique(flat)) == {0.0, 1.0} and np.all(flat.sum(axis=1) == 1)
    for draws in _draws(prepared, "simplex", shape):
        flat = draws.reshape(len(draws), -1)
        assert np.all(flat > 0) and np.allclose(flat.sum(axis=1), 1)
    for draws in _draws(prepared, "unit", shape):
        assert np.allclose(np.linalg.norm(draws.reshape(len(draws), -1), axis=1), 1)


def test_square_structures(prepared):
    for draws in _draws(prepared, "symmetric", "[n, n]", ", domain: [-2, 3]"):
        assert np.allclose(draws, draws.swapaxes(1, 2))
        assert draws.min() >= -2 and draws.max() <= 3
        assert not np.allclose(draws, np.zeros_like(draws))
    for draws in _draws(prepared, "spd", "[n, n]"):
        eigenvalues = np.linalg.eigvalsh(draws)
        assert eigenvalues.min() >= 0.5 - 1e-9 and eigenvalues.max() <= 2 + 1e-9
    for draws in _draws(prepared, "diagonal", "[n, n]", ", domain: [1, 2]"):
        off = draws - np.einsum("nii->ni", draws)[:, :, None] * np.eye(draws.shape[1])
        assert np.allclose(off, 0) and np.all(np.einsum("nii->ni", draws) >= 1)


@pytest.mark.parametrize("shape", ["[n, n]", "[n, k]", "[5, 2]"])
def test_orthogonal_has_orthonormal_columns_at_every_size(prepared, shape):
    for draws in _draws(prepared, "orthogonal", shape):
        assert draws.shape[1] >= draws.shape[2]
        gram = draws.swapaxes(1, 2) @ draws
        assert np.allclose(gram, np.eye(draws.shape[2]))


@pytest.mark.parametrize(("structure", "shape", "words"), [
    ("onehot", "[n, n]", "for vectors"),
    ("spd", "[n, 1]", "for square matrices"),
    ("orthogonal", "[2, 5]", "at least as many rows"),
    ("wobbly", "[n, 1]", "allowed value"),
])
def test_structures_that_do_not_fit_the_shape_are_located_errors(load_text, structure, shape, words):
    with pytest.raises(RubricError) as caught:
        load_text(QUESTION.format(structure=structure, shape=shape, extra=""))
    (problem,) = caught.value.problems
    assert "questions[0].symbols.S" in problem and words in problem


def test_cross_entropy_with_a_onehot_label(prepared):
    """With y one-hot, the gradient of -yᵀ log softmax(z) is p - y; p sum(y) - y is too."""
    _, kinds = prepared("""
        title: t
        questions:
          - id: ce
            kind: matrix_expression
            points: 1
            symbols:
              z: {shape: [k, 1]}
              y: {shape: [k, 1], structure: onehot}
            given:
              p: "softmax(z)"
            gradient_of: "-y^T log(softmax(z))"
            wrt: z
    """)
    ce = kinds["ce"]
    assert ce.check("p - y").status == "correct"
    assert ce.check("p sum(y) - y").status == "correct"
    assert ce.check("y - p").status == "incorrect"
    assert ce.check("p").status == "incorrect"


def test_symmetric_matrix_makes_2Ax_right(prepared):
    _, kinds = prepared("""
        title: t
        questions:
          - id: quad
            kind: matrix_expression
            points: 1
            symbols:
              A: {shape: [n, n], structure: symmetric}
              x: {shape: [n, 1]}
            gradient_of: "x^T A x"
            wrt: x
    """)
    assert kinds["quad"].check("2 A x").status == "correct"
    assert kinds["quad"].check("A x").status == "incorrect"
