"""The package's shape: no import cycles anywhere (module-level or inside functions), the rubric
package imports no kind, the answer language imports nothing else of grader, and no module grows
past the size a newcomer can read."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "grader"
#: Modules allowed past the usual size, with their limit (the goal is ~600 lines). The zygote is
#: started by path so that it imports nothing heavy, which keeps its code one self-contained module.
LONG = {"coderun/sandbox/zygote": 1450}


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Imports for type checkers only never run, so they make no cycle.
        typing_only = {id(inner) for node in ast.walk(tree) if isinstance(node, ast.If)
                       and getattr(node.test, "id", getattr(node.test, "attr", "")) == "TYPE_CHECKING"
                       for stmt in node.body for inner in ast.walk(stmt)}
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    anchor = package.split(".")
                    anchor = anchor[: len(anchor) - node.level + 1]
                    base = ".".join(anchor + ([base] if base else []))
                # `from . import report` imports the submodule report, not what the package's
                # __init__ imports (a parent package is already imported by then).
                names = [f"{base}.{alias.name}" for alias in node.names]
                targets = [t for t in names if t in modules]
                if len(targets) < len(names):
                    targets.append(base)  # a name defined in the package (or module) itself
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("grader"):
                    graph[name].add(target)
    return graph


def _packages_of(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    """The graph between grader's top-level parts (grader.kinds, grader.rubric, ...)."""
    top = lambda m: ".".join(m.split(".")[:2])  # noqa: E731
    out: dict[str, set[str]] = {}
    for name, targets in graph.items():
        out.setdefault(top(name), set()).update(top(t) for t in targets if top(t) != top(name))
    return out


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_no_import_cycles_between_the_packages_parts():
    assert _cycle(_packages_of(_imports())) is None


def test_no_import_cycles_between_modules():
    # A package's __init__ re-exporting its own modules is not a cycle of meaning.
    graph = {name: {t for t in targets if not (name.startswith(t + ".") )}
             for name, targets in _imports().items()}
    assert _cycle(graph) is None


@pytest.mark.parametrize(("part", "forbidden"), [
    ("grader.rubric", "grader.kinds"),
    ("grader.answers", "grader.kinds"),
    ("grader.answers", "grader.rubric"),
    ("grader.answers", "grader.pipeline"),
    ("grader.kinds", "grader.pipeline"),
    ("grader.kinds", "grader.cli"),
])
def test_layering(part, forbidden):
    assert forbidden not in _packages_of(_imports()).get(part, set())


def test_no_module_past_the_readable_size():
    for path in PACKAGE.rglob("*.py"):
        name = str(path.relative_to(PACKAGE).with_suffix(""))
        limit = next((v for k, v in LONG.items() if name.startswith(k)), 650)
        lines = len(path.read_text(encoding="utf-8").splitlines())
        assert lines <= limit, f"{name}.py has {lines} lines"
