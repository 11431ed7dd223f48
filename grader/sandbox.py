"""Compatibility name: the sandbox lives in ``grader.coderun.sandbox`` (see docs/sandbox.md)."""

from .coderun.sandbox import *  # noqa: F401,F403
from .coderun.sandbox import __all__  # noqa: F401
