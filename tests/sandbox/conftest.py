"""The pool the sandbox tests share (per test module)."""

from __future__ import annotations

import pytest
from sandbox_cases import LIMITS

from grader.sandbox import SandboxPool


@pytest.fixture(scope="module")
def pool():
    with SandboxPool(jobs=2, limits=LIMITS) as shared:
        yield shared
