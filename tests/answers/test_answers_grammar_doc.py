"""The table of question-dependent rules in docs/answer-grammar.md is checked row by row, so the
document cannot drift from the parser: each answer reads as its "reads as" column (same values at
random points, two assignments of sizes) or is refused with the quoted message."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest

from grader.answers import AnswerError, Function, Namespace, Symbol, evaluate, parse, read

DOC = Path(__file__).resolve().parents[2] / "docs" / "answer-grammar.md"
HEADING = "## Rules that depend on the question"
POINTS = 9
SIZE_SETS = ({"n": 3, "m": 4}, {"n": 5, "m": 2})


def _cells(line: str) -> list[str]:
    """The cells of a Markdown table row (``\\|`` is a pipe inside a cell)."""
    cells = re.split(r"(?<!\\)\|", line.strip().strip("|"))
    return [cell.strip().replace("\\|", "|") for cell in cells]


def _code(cell: str) -> str:
    match = re.fullmatch(r"`(.*)`", cell)
    assert match, f"expected `code` in {cell!r}"
    return match.group(1)


def rows() -> list[tuple[str, str, str, str]]:
    text = DOC.read_text(encoding="utf-8")
    section = text[text.index(HEADING):]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    assert _cells(lines[0]) == ["rule", "declares", "answer", "reads as"]
    return [tuple(_cells(line)) for line in lines[2:]]  # type: ignore[misc]


def namespace(declares: str) -> Namespace:
    """The doc's notation: ``x`` scalar, ``A: n x m``, ``f(x) = ...``, ``I = eye(n)``,
    ``w (omega)``, ``broadcast``, ``infinity``; ``;`` between declarations."""
    symbols, functions, identities, aliases = {}, {}, {}, {}
    dims: set[str] = set()
    flags = set()
    for item in (part.strip() for part in declares.split(";")):
        if item in ("broadcast", "infinity"):
            flags.add(item)
        elif match := re.fullmatch(r"(\w+)\((\w+)\) = (.+)", item):
            name, param, body = match.groups()
            tree = parse(body, Namespace(params=frozenset({param})))
            functions[name] = Function(name, (param,), tree)
        elif match := re.fullmatch(r"(\w+) = eye\((\w+)\)", item):
            identities[match.group(1)] = match.group(2)
            dims.add(match.group(2))
        elif match := re.fullmatch(r"(\w+): (\w+) x (\w+)", item):
            name, rows_, cols = match.groups()
            shape = tuple(int(d) if d.isdigit() else d for d in (rows_, cols))
            symbols[name] = Symbol(name, shape)  # type: ignore[arg-type]
            dims.update(d for d in shape if isinstance(d, str))
        elif match := re.fullmatch(r"(\w+) \((\w+)\)", item):
            symbols[match.group(1)] = Symbol(match.group(1))
            aliases[match.group(2)] = match.group(1)
        else:
            assert re.fullmatch(r"\w+", item), f"cannot read the declaration {item!r}"
            symbols[item] = Symbol(item)
    return Namespace(symbols=symbols, functions=functions, identities=identities, aliases=aliases,
                     dims=frozenset(dims), broadcast="broadcast" in flags,
                     allow_inf="infinity" in flags)


def environment(ns: Namespace, sizes: dict[str, int], seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    env = {}
    for name, symbol in ns.symbols.items():
        if symbol.is_scalar:
            env[name] = rng.uniform(0.5, 1.5, POINTS)
        else:
            r, c = (d if isinstance(d, int) else sizes[d] for d in symbol.shape)
            value = rng.uniform(-1, 1, (POINTS, r, c))
            env[name] = value + 3 * np.eye(r) if r == c else value
    return env


ROWS = rows()


def test_the_table_is_there_and_full():
    assert len(ROWS) >= 35
    assert sum(reads.startswith("refused") for *_, reads in ROWS) >= 5


@pytest.mark.parametrize("rule, declares, answer, reads", ROWS, ids=[r[2] for r in ROWS])
def test_rule(rule, declares, answer, reads):
    ns = namespace(_code(declares))
    text = _code(answer)
    if reads.startswith("refused"):
        fragment = re.fullmatch(r'refused: "(.*)"', reads).group(1)
        with pytest.raises(AnswerError) as info:
            read(text, ns)
        assert fragment in info.value.message
        return
    got, want = read(text, ns), read(_code(reads), ns)
    assert got.shape == want.shape
    for index, sizes in enumerate(SIZE_SETS):
        env = environment(ns, sizes, index)
        np.testing.assert_allclose(evaluate(got.tree, ns, env, sizes, POINTS),
                                   evaluate(want.tree, ns, env, sizes, POINTS), rtol=1e-10)
