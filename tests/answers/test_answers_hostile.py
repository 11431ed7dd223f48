"""Hostile input: every text is either rejected with AnswerError or evaluates harmlessly (a float
array: finite, inf or nan), quickly, and nothing it names is ever run.

The time bound is a safety bound (no exponential blow-up, no giant numbers), not a speed test.
"""

from __future__ import annotations

import io
import time
import tokenize
from pathlib import Path

import numpy as np
import pytest

from answers_cases import DIMS, ENVS, N, NAMESPACES
from grader.answers import AnswerError, evaluate, read
from grader.answers.printing import to_latex, to_plain

TIME_BOUND = 1.0  # seconds per input, for read + evaluate + printing
PWNED = Path("/tmp/pwned")

HOSTILE: list[tuple[str, str]] = [
    # Python code
    ("s", "__import__('os').system('touch /tmp/pwned')"),
    ("s", '__import__("os").system("touch pwned")'),
    ("s", "lambda: 0"),
    ("s", "lambda x: open('pwned', 'w')"),
    ("s", "x.__class__"),
    ("s", "x.__class__.__mro__[1].__subclasses__()"),
    ("s", "().__class__.__base__.__subclasses__()"),
    ("s", "__builtins__"),
    ("s", "__dict__"),
    ("s", "_"),
    ("s", "[x for x in ()]"),
    ("s", "[c for c in ().__class__.__bases__]"),
    ("s", "f'{x}'"),
    ("s", 'f"{__import__(\'os\').system(\'touch pwned\')}"'),
    ("s", "open('/etc/passwd')"),
    ("s", "open('pwned', 'w').write('x')"),
    ("s", "exec('import os')"),
    ("s", "eval('1+1')"),
    ("s", "compile('x', 'f', 'eval')"),
    ("s", "globals()"),
    ("s", "locals()['x']"),
    ("s", "getattr(x, 'real')"),
    ("s", "`x`"),
    ("s", "x; import os"),
    ("s", "x\nimport os\nos.system('touch pwned')"),
    ("s", "x # ; os.system('touch pwned')"),
    ("s", "'' or x"),
    ("s", "x if x else y"),
    ("s", "x = __import__('os')"),
    ("s", "__import__('os').system('touch pwned') = x"),  # only the right-hand side is read
    ("s", "%s%s%s%n"),
    ("s", "{{x}}"),
    ("s", "${x}"),
    ("s", "<script>alert(1)</script>"),
    ("s", "'; DROP TABLE students; --"),
    # size and nesting
    ("s", "(" * 100_000 + "x" + ")" * 100_000),
    ("s", "x" * 1_000_000),
    ("s", "x " * 999),
    ("s", "(" * 60 + "x" + ")" * 60),
    ("s", "(" * 59 + "x" + ")" * 59),
    ("s", "{" * 1000 + "x" + "}" * 999),
    ("s", "\\left(" * 150 + "x" + "\\right)" * 150),
    ("s", "\\frac{" * 60 + "1" + "}{2}" * 60),
    ("s", "\\frac{1}{" * 60 + "x" + "}" * 60),
    ("s", "-" * 10_000 + "x"),
    ("s", "-" * 1999 + "x"),
    ("s", "+".join(["x"] * 1000)),
    ("s", "*".join(["x"] * 1000)),
    ("s", "/".join(["x"] * 1000)),
    ("s", "x" + "'" * 1500),
    ("s", "x" + "^T" * 900),
    ("s", "sum(" * 60 + "x" + ")" * 60),
    ("s", "sum(sum(sum(x)))"),
    ("s", "sigmoid(" * 40 + "x" + ")" * 40),
    ("s", "e^{" * 50 + "x" + "}" * 50),
    ("s", "f(" * 40 + "x" + ")" * 40),
    ("s", "|" * 1999),
    ("s", "\\" * 1999),
    ("s", "$" * 1999),
    ("s", "xxxxxxxxxxxq"),
    ("s", "ab" * 999),
    ("s", "x_{" + "a" * 1000 + "}"),
    # huge numbers
    ("s", "9**9**9**9"),
    ("s", "9^9^9^9^9"),
    ("s", "10^10^10"),
    ("s", "1e999999"),
    ("s", "-1e999999"),
    ("s", "9" * 1999),
    ("s", "1" + "0" * 1500 + "x"),
    ("s", "0." + "0" * 1990 + "1"),
    ("s", "x^x^x^x^x^x^x^x"),
    ("s", "^".join(["x"] * 500)),
    ("s", "exp(exp(exp(exp(x))))"),
    ("s", "e^{e^{e^{e^{e^{x}}}}}"),
    ("s", "1/0"),
    ("s", "0/0"),
    ("s", "log(-x)"),
    ("s", "sqrt(-x)"),
    ("s", "(-8)^(1/3)"),
    ("s", "\\sqrt[0]{x}"),
    ("s", "tan(pi/2)"),
    # Unicode tricks
    ("s", "х"),  # Cyrillic ha
    ("s", "ｘ + 1"),  # fullwidth x
    ("s", "ο"),  # Greek omicron
    ("s", "𝑥"),  # mathematical italic x
    ("s", "ⅹ"),  # Roman numeral ten
    ("s", "x\u200b+\u200bx"),  # zero-width spaces
    ("s", "x\u200d"),  # zero-width joiner
    ("s", "\u202ex+1"),  # right-to-left override
    ("s", "x\u2066+1"),  # left-to-right isolate
    ("s", "x\x00"),
    ("s", "\x00" * 10),
    ("s", "\ufeffx"),
    ("s", "x\u0301"),  # combining acute accent
    ("s", "x\u2028y"),
    ("s", "\udcff"),  # lone surrogate
    # LaTeX that runs things elsewhere
    ("s", "\\input{/etc/passwd}"),
    ("s", "\\include{/etc/passwd}"),
    ("s", "\\def\\x{1}\\x"),
    ("s", "\\newcommand{\\x}{1}"),
    ("s", "\\immediate\\write18{touch /tmp/pwned}"),
    ("s", "\\write18{rm -rf ~}"),
    ("s", "\\catcode`\\^=12"),
    ("s", "\\begin{pmatrix}1 & 2\\end{pmatrix}"),
    ("s", "\\href{javascript:alert(1)}{x}"),
    ("s", "\\mathbf{" * 50 + "x" + "}" * 50),
    # matrices
    ("mat", "A^{999999999}"),
    ("mat", "A^64"),
    ("mat", "A^{-64}"),
    ("mat", "inv(" * 30 + "A" + ")" * 30),
    ("mat", "det(A)^(10^10)"),
    ("mat", "x x^T x x^T x x^T x x^T x x^T x x^T"),
    ("mat", "diag(diag(diag(diag(x))))"),
    ("mat", "A.__class__"),
    # sizes only from declared dimensions or small literal numbers
    ("mat", "ones(10^9)"),
    ("mat", "ones(10**9, 10**9)"),
    ("mat", "ones(1e9)"),
    ("mat", "ones(n, 999999999)"),
    ("mat", "eye(10^9)"),
    ("mat", "eye(1000) eye(1000)"),
    ("mat", "1_{999999999}"),
    ("mat", "\\mathbf{1}_{99999}"),
    ("mat", "ones(n)^T " * 40 + "x"),
    ("mat", "\\mathbf{1}" * 500),
    ("s", "𝟙" * 500),
    ("s", "1_" * 500),
    # indicators, cases, conditions
    ("s", "[" * 100 + "x > 0" + "]" * 100),
    ("s", "[" + " < ".join(["x"] * 500) + "]"),
    ("s", "[" + " and ".join(["x > 0"] * 200) + "]"),
    ("s", "\\mathbb{1}_{" * 50 + "x > 0" + "}" * 50),
    ("s", "\\begin{cases} " + "1 & x > 0 \\\\ " * 140 + "0 & \\text{otherwise} \\end{cases}"),
    ("s", "\\begin{cases} " * 70 + "1 & x > 0" + " \\end{cases}" * 70),
    ("s", "\\begin{cases} 1 & x > 0"),
    ("s", "\\end{cases}"),
    ("s", "\\text{if} " * 300),
    ("s", "& " * 900),
    ("s", "x == __import__('os')"),
    ("s", "[x == __import__('os')]"),
    ("s", "[x > 0]^[x > 0]^[x > 0]^[x > 0]"),
    ("mat", "\\|x\\|_{" + "2" * 1000 + "}"),
    ("mat", "\\langle " * 40 + "x, x" + " \\rangle" * 40),
    ("mat", "x^{-T}" * 100),
    ("s", "\\begin{cases} 1 & \\begin{cases} 1 & x > 0 \\end{cases} > 0 \\end{cases}"),
]


def _harmless(value) -> bool:
    return (isinstance(value, np.ndarray) and value.dtype.kind == "f"
            and value.ndim in (1, 3) and value.shape[0] == N)


def test_enough_hostile_inputs():
    assert len(HOSTILE) >= 40
    assert len({text for _, text in HOSTILE}) == len(HOSTILE)


@pytest.fixture
def empty_cwd(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = PWNED.stat().st_mtime_ns if PWNED.exists() else None
    yield tmp_path
    assert list(tmp_path.iterdir()) == [], "a hostile answer created a file"
    after = PWNED.stat().st_mtime_ns if PWNED.exists() else None
    assert after == before, "/tmp/pwned was created or touched"


@pytest.fixture(scope="module", autouse=True)
def _warm_up():
    """Import-time work (numpy ufunc setup and the like) is not charged to the first input."""
    ns = NAMESPACES["mat"]
    expression = read("exp(x^T A x) + det(A)", ns)
    evaluate(expression.tree, ns, ENVS["mat"], DIMS, N)
    to_plain(expression.tree), to_latex(expression.tree)


@pytest.mark.parametrize("key, text", HOSTILE, ids=[f"{i}:{text[:30]!r}" for i, (_, text) in enumerate(HOSTILE)])
def test_hostile_input_is_rejected_or_harmless(key, text, empty_cwd):
    ns = NAMESPACES[key]
    start = time.perf_counter()
    try:
        expression = read(text, ns)
    except AnswerError as err:
        elapsed = time.perf_counter() - start
        rendered = str(err)
        assert err.message and "Traceback" not in rendered
        assert len(rendered) < 2 * len(err.message) + 1000, "error text echoes a huge input"
    else:
        value = evaluate(expression.tree, ns, ENVS[key], DIMS, N)
        plain, latex = to_plain(expression.tree), to_latex(expression.tree)
        elapsed = time.perf_counter() - start
        assert _harmless(value), (type(value), getattr(value, "dtype", None))
        assert isinstance(plain, str) and isinstance(latex, str)
    assert elapsed < TIME_BOUND, f"{elapsed:.3f} s"


CHAINS = {
    "sum": lambda k: "+".join(["x"] * k),
    "difference": lambda k: "-".join(["x"] * k),
    "product": lambda k: "*".join(["x"] * k),
    "quotient": lambda k: "/".join(["x"] * k),
    "juxtaposition": lambda k: " ".join(["x"] * k),
    "transposes": lambda k: "x" + "'" * (k - 1),
    "calls and a sum": lambda k: "exp(" * 40 + "+".join(["x"] * (k - 40)) + ")" * 40,
}


@pytest.mark.parametrize("kind", sorted(CHAINS))
def test_longest_accepted_chain_survives_every_pass(kind, empty_cwd):
    """At the height limit everything recursive (shapes, evaluation, gradient, printing, sympy)
    still works inside pytest's own stack; one level more is a clean AnswerError."""
    from grader.answers import gradient
    from grader.answers.parser import MAX_HEIGHT
    from grader.answers.sympy_bridge import to_sympy

    ns = NAMESPACES["s"]
    text = CHAINS[kind](MAX_HEIGHT)
    expression = read(text, ns)
    value = evaluate(expression.tree, ns, ENVS["s"], DIMS, N)
    assert _harmless(value)
    assert _harmless(gradient(expression.tree, ns, ENVS["s"], DIMS, N, "x"))
    for show in (to_plain, to_latex):
        printed = show(expression.tree)
        if show is to_latex and kind == "quotient":
            # x/x/.../x prints as 149 nested \frac: more nesting than an answer may have.
            assert printed.count("\\frac") == MAX_HEIGHT - 1
            continue
        again = evaluate(read(printed, ns).tree, ns, ENVS["s"], DIMS, N)
        assert np.allclose(again, value, equal_nan=True)
    to_sympy(expression.tree, ns)
    with pytest.raises(AnswerError) as info:
        read(CHAINS[kind](MAX_HEIGHT + 1), ns)
    assert "too long a chain" in info.value.message


@pytest.mark.parametrize("text", [
    "__import__('os').system('touch /tmp/pwned')",
    "exec('x')",
    "x.__class__",
    "lambda: 0",
    "1e999999",
])
def test_gradient_of_hostile_input_is_harmless(text, empty_cwd):
    from grader.answers import gradient

    ns = NAMESPACES["s"]
    try:
        expression = read(text, ns)
    except AnswerError:
        return
    value = gradient(expression.tree, ns, ENVS["s"], DIMS, N, "x")
    assert _harmless(value)


@pytest.mark.parametrize("text", ["9^9^9^9", "9**9**9**9", "10^10^10", "2^2^2^2^2^2", "(10^200)^200"])
def test_sympy_refuses_huge_numbers_quickly(text, empty_cwd):
    pytest.importorskip("sympy")
    from grader.answers.sympy_bridge import to_sympy

    to_sympy(read("x", NAMESPACES["s"]).tree, NAMESPACES["s"])  # the sympy import is not timed
    tree = read(text, NAMESPACES["s"]).tree
    start = time.perf_counter()
    with pytest.raises(AnswerError) as info:
        to_sympy(tree, NAMESPACES["s"])
    assert time.perf_counter() - start < TIME_BOUND
    assert "too large" in info.value.message


def test_sympy_of_ordinary_numbers_still_works():
    pytest.importorskip("sympy")
    import sympy

    from grader.answers.sympy_bridge import to_sympy

    assert to_sympy(read("2^10", NAMESPACES["s"]).tree, NAMESPACES["s"]) == 1024
    x = sympy.Symbol("x", real=True)
    result = to_sympy(read("175/2 x", NAMESPACES["s"]).tree, NAMESPACES["s"])
    assert sympy.simplify(result - sympy.Rational(175, 2) * x) == 0


# -- static guard: nothing in grader/ turns text into code ------------------------------------

GRADER = Path(__file__).resolve().parents[2] / "grader"
FORBIDDEN_CALLS = {"eval", "exec", "compile", "sympify", "parse_expr", "__import__"}
#: Exact known-safe uses: (path relative to grader/, the stripped source line).
ALLOWED = {
    # The sandbox's child process runs the student's *Python* files on purpose, inside namespaces
    # of its own with limits, a scrubbed environment and an empty folder (docs/sandbox.md). It
    # never sees answer-language text.
    ("coderun/sandbox/zygote.py", 'exec(compile(source, path, "exec", dont_inherit=True), namespace)'),
    # Self-check's child process runs the student's own .py files on the student's own machine
    # where the sandbox is not used (docs/self-check.md); only float64 records come back.
    ("selfcheck/child.py", 'exec(compile(data[offset:offset + size], path, "exec", dont_inherit=True), namespace)'),
}


def _calls(path: Path):
    """(line number, what) for every forbidden call or unpickling in a Python file, comments and
    strings excluded (the tokenizer drops them)."""
    source = path.read_text(encoding="utf-8")
    tokens = [t for t in tokenize.generate_tokens(io.StringIO(source).readline)
              if t.type in (tokenize.NAME, tokenize.OP)]
    for i, token in enumerate(tokens):
        nxt = tokens[i + 1].string if i + 1 < len(tokens) else ""
        prev = tokens[i - 1].string if i else ""
        before = tokens[i - 2].string if i > 1 else ""
        if token.type != tokenize.NAME:
            continue
        if token.string in FORBIDDEN_CALLS and nxt == "(":
            if token.string == "compile" and prev == "." and before == "re":
                continue  # re.compile: a regular expression, not code
            yield token.start[0], token.string
        if token.string in ("load", "loads") and prev == "." and before in ("pickle", "marshal", "dill"):
            yield token.start[0], f"{before}.{token.string}"
        if token.string == "import" and nxt in ("pickle", "marshal", "dill"):
            yield token.start[0], f"import {nxt}"


def test_no_code_evaluation_in_grader():
    offenders = []
    for path in sorted(GRADER.rglob("*.py")):
        lines = path.read_text(encoding="utf-8").splitlines()
        relative = path.relative_to(GRADER).as_posix()
        for line_no, what in _calls(path):
            line = lines[line_no - 1].strip()
            if (relative, line) not in ALLOWED:
                offenders.append(f"grader/{relative}:{line_no}: {what}: {line}")
    assert not offenders, "\n".join(offenders)


def test_static_guard_catches_what_it_should(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import re\n"
        "import pickle\n"
        "# eval(x) in a comment is fine\n"
        "text = 'exec(y) in a string is fine'\n"
        "pattern = re.compile('x')\n"
        "value = eval(text)\n"
        "data = pickle.loads(b'')\n"
        "expr = sympy.sympify(text)\n"
        "code = compile(text, 'f', 'eval')\n",
        encoding="utf-8")
    found = list(_calls(sample))
    assert found == [(2, "import pickle"), (6, "eval"), (7, "pickle.loads"), (8, "sympify"),
                     (9, "compile")]


def test_answers_package_imports_nothing_dangerous():
    dangerous = {"os", "subprocess", "pickle", "marshal", "shutil", "ctypes", "importlib",
                 "builtins", "socket", "sys"}
    for path in sorted((GRADER / "answers").glob("*.py")):
        for line in path.read_text(encoding="utf-8").splitlines():
            words = line.replace(",", " ").split()
            if words[:1] == ["import"]:
                assert not set(words[1:]) & dangerous, (path.name, line)
            if words[:1] == ["from"] and len(words) > 1:
                assert words[1].split(".")[0] not in dangerous, (path.name, line)
