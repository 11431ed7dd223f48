"""Running untrusted student Python code in separate, isolated, limited processes (Linux first).

Three kinds of process take part (docs/sandbox.md explains the design for instructors):

* the **grader** (``SandboxPool``) never imports, evals or unpickles anything of the student's.
  It times every call, reads the child's results and output, and kills what is left.
* one **zygote** per job (``zygote``, started by path): a trusted Python process with numpy
  imported, in namespaces of its own and a file system of read-only binds (the interpreter,
  its libraries, the offered packages), in its worker's cgroups. Per submission it prepares
  fresh PID, mount, IPC and UTS namespaces with private tmpfs and a ``sleep`` as their PID 1,
  and forks the **child**, which reads the student's files itself, drops every privilege and
  runs the student's code.

Nothing is pickled: requests are frames (JSON plus raw bytes), results are fixed-layout binary
records, and every header is checked and every size bounded.
"""

from .isolation import FULL, WEAK, Isolation, IsolationUnavailable
from .limits import Call, CallResult, Limits, SubmissionRun
from .pool import PRELOAD_MODULES, SandboxPool, run_submission, sandbox_isolation
from .files import read_submission_files
from .slots import SANDBOX_UIDS

__all__ = [
    "Limits", "Call", "CallResult", "SubmissionRun", "run_submission", "SandboxPool",
    "Isolation", "IsolationUnavailable", "sandbox_isolation", "read_submission_files",
    "PRELOAD_MODULES", "SANDBOX_UIDS", "FULL", "WEAK",
]
