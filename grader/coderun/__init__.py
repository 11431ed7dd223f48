"""Running students' code: the batch runner (``batch``) and the sandbox it drives (``sandbox``)."""

from .batch import CodeRun, start_sandbox

__all__ = ["CodeRun", "start_sandbox"]
