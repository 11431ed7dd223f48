"""Kind ``function``: a student's Python function, run in the sandbox at random inputs and compared
on our side with a reference (an answer-language expression, a derived gradient, or trusted
instructor Python). The student's process only ever sees the arguments."""

from __future__ import annotations

import importlib.util
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Mapping

import numpy as np
from msgspec import Meta

from ..answers import Namespace, Symbol, evaluate, gradient, show
from ..errors import QuestionError
import msgspec

from ..rubric import Dim, QuestionBase, Rubric, Strict, convert, default, set_field
from ..sampling import DEFAULT_DIM_RANGE, generator, size_sets
from ..tolerance import Tolerance, allowed, within
from ..verdict import ERROR, INVALID, TIMEOUT
from .base import CodeKind, Outcome, SelfCheckData
from .support.symbolic import read_reference

#: Distinct size assignments the calls cycle through.
SIZE_SETS = 3


class ArgSpec(Strict, kw_only=True):
    """One argument: a float (default), an int (``integer: [1, 8]``) or an array (``shape: [n]``)."""

    shape: Annotated[tuple[Dim, ...], Meta(min_length=1, max_length=2)] | None = None
    domain: tuple[float, float] | None = None
    positive: bool = False
    integer: tuple[int, int] | None = None

    def bounds(self) -> tuple[float, float]:
        if self.domain is not None:
            return self.domain
        return (0.1, 5.0) if self.positive else (-5.0, 5.0)


class FunctionQuestion(QuestionBase, kw_only=True):
    args: Annotated[dict[str, Any], Meta(min_length=1)]
    function: Annotated[str, Meta(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")] | None = None
    dims: dict[str, tuple[int, int]] = default(dict)
    answer: str | None = None
    gradient_of: str | None = None
    wrt: str | None = None
    reference: str | None = None
    #: The shape the function must return, when it is not the reference's own (e.g. [n] for a
    #: column-vector expression is the default; say [n, 1] to demand a column).
    returns: tuple[Dim, ...] | None = None
    calls: Annotated[int, Meta(ge=1, le=1000)] = 12
    #: Whether feedback on a wrong value may show the expected value (off: it reveals the key).
    show_expected: bool = False
    tolerance: Tolerance = default(Tolerance)

    def __post_init__(self) -> None:
        set_field(self, "args", {name: convert(spec if spec is not None else {}, ArgSpec, "args", name)
                                 for name, spec in self.args.items()})
        given = [x for x in (self.answer, self.gradient_of, self.reference) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one reference: `answer`, `gradient_of` (with `wrt`) or `reference`")
        if self.gradient_of is not None and self.wrt not in self.args:
            raise ValueError("`gradient_of` needs `wrt`: one of the args")

    @property
    def function_name(self) -> str:
        return self.function or self.id.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class PreparedCall:
    args: tuple[Any, ...]
    expected: np.ndarray
    sizes: Mapping[str, int]


class FunctionKind(CodeKind):
    names = ("function",)
    Question = FunctionQuestion
    example = """
    id: p.sigmoid_grad
    kind: function
    points: 4
    prompt: "Write sigmoid_grad(x): the derivative of the sigmoid at x."
    function: sigmoid_grad
    args:
      x: {domain: [-6, 6]}
    gradient_of: "1/(1 + exp(-x))"
    wrt: x
    """
    reference_fields = ("gradient_of",)
    #: Code questions are answered by running code: their table is exercised by the sandbox tests.
    cases = ()

    def __init__(self, question: FunctionQuestion, rubric: Rubric, params=None):
        super().__init__(question, rubric, params)
        q = question
        self.tol = q.tolerance
        self.function_name = q.function_name
        self.arg_names = list(q.args)
        dims = {d for spec in q.args.values() for d in (spec.shape or ()) if isinstance(d, str)}
        dims |= set(q.dims)
        ranges = {d: tuple(q.dims.get(d, DEFAULT_DIM_RANGE)) for d in dims}
        sizes = size_sets(ranges, generator(rubric.seed, q.id, "sizes"), SIZE_SETS)
        reference = self._reference(q, rubric)
        rng = generator(rubric.seed, q.id, "calls")
        self.prepared_calls: list[PreparedCall] = []
        attempts = 0
        while len(self.prepared_calls) < q.calls:
            attempts += 1
            if attempts > 20 * q.calls:
                raise QuestionError((), "the reference is undefined (or not finite) at almost "
                                        "every random input: check the domains")
            chosen = sizes[len(self.prepared_calls) % len(sizes)]
            args = tuple(_draw(spec, chosen, rng) for spec in q.args.values())
            expected = np.asarray(reference(args, chosen), dtype=float)
            if np.all(np.isfinite(expected)):
                if q.returns is not None:
                    wanted = tuple(d if isinstance(d, int) else chosen[d] for d in q.returns)
                    if expected.size != int(np.prod(wanted)):
                        raise QuestionError(("returns",), f"the reference has shape {expected.shape}")
                    expected = expected.reshape(wanted)
                self.prepared_calls.append(PreparedCall(args, expected, chosen))
        self._index_calls()

    def _index_calls(self) -> None:
        # Every call's expected values end to end, with the tolerance each may differ by: the
        # usual case (every call ok, every shape right) is then one vectorised comparison.
        self._shapes = [call.expected.shape for call in self.prepared_calls]
        self._expected = np.concatenate([call.expected.ravel() for call in self.prepared_calls])
        self._allowed = allowed(self._expected, self.tol.rtol, self.tol.atol)

    # -- references ----------------------------------------------------------------------------
    def _reference(self, q: FunctionQuestion, rubric: Rubric) -> Callable[[tuple, Mapping[str, int]], np.ndarray]:
        if q.reference is not None:
            return _python_reference(q.reference, rubric.base_dir)
        symbols = {}
        for name, spec in q.args.items():
            if spec.shape is None:
                symbols[name] = Symbol(name)
            elif len(spec.shape) == 1:
                symbols[name] = Symbol(name, (spec.shape[0], 1))  # a 1-D array is a column
            else:
                symbols[name] = Symbol(name, tuple(spec.shape))
        dims = frozenset(d for s in symbols.values() for d in s.shape if isinstance(d, str))
        ns = Namespace(symbols=symbols, dims=dims)
        field = ("answer",) if q.answer is not None else ("gradient_of",)
        expression = read_reference(q.answer if q.answer is not None else q.gradient_of, ns, field)
        if q.gradient_of is not None and not expression.is_scalar:
            raise QuestionError(field, f"must be a scalar expression, not {show(expression.shape)}")
        # Kept for authors' tools (closed forms, solutions), which read the reference symbolically.
        self.ns, self.source = ns, expression
        names = list(q.args)
        one_d = {n for n, spec in q.args.items() if spec.shape is not None and len(spec.shape) == 1}

        def value(args: tuple, sizes: Mapping[str, int]) -> np.ndarray:
            env = {}
            for name, arg in zip(names, args):
                array = np.asarray(arg, dtype=float)
                env[name] = array.reshape(1, -1, 1) if name in one_d else array.reshape(1, *array.shape)
            with np.errstate(all="ignore"):
                if q.gradient_of is not None:
                    out = gradient(expression.tree, ns, env, sizes, 1, q.wrt)[0]
                    return out.reshape(-1) if q.wrt in one_d else out
                out = evaluate(expression.tree, ns, env, sizes, 1)[0]
            if out.ndim == 2 and out.shape[1] == 1 and one_d:
                return out[:, 0]  # a column over 1-D arguments comes back 1-D
            return out
        return value

    # -- checking ------------------------------------------------------------------------------
    def planned_calls(self) -> list[tuple[str, tuple[Any, ...]]]:
        """(function name, arguments) of each call, for any runner."""
        return [(self.function_name, call.args) for call in self.prepared_calls]

    def calls(self) -> list:
        from ..coderun.sandbox import Call

        return [Call(name, args) for name, args in self.planned_calls()]

    def judge(self, results: Iterable[Any]) -> Outcome:
        """An outcome from the sandbox's results for this question's calls, in order."""
        results = list(results)
        if len(results) == len(self.prepared_calls) and all(
                r.status == "ok" and r.value.shape == shape for r, shape in zip(results, self._shapes)):
            got = np.concatenate([r.value.ravel() for r in results])
            if np.all(np.abs(got - self._expected) <= self._allowed):
                return Outcome.correct()
        for index, (call, result) in enumerate(zip(self.prepared_calls, results)):
            if result.status == "ok":
                value = result.value
                if value.shape == call.expected.shape and np.all(
                        within(value, call.expected, self.tol.rtol, self.tol.atol)):
                    continue
            where = f"call {index + 1} ({self.describe_args(call)})"
            if result.status == "timeout":
                return Outcome(TIMEOUT, 0.0, f"{where}: {result.message or 'took too long'}")
            if result.status == "error":
                return Outcome(ERROR, 0.0, f"{where}: {result.message}")
            if result.status == "invalid":
                return Outcome(INVALID, 0.0, f"{where}: {result.message}")
            value = np.asarray(result.value, dtype=float)
            if value.shape != call.expected.shape:
                return Outcome.incorrect(f"{where}: returned shape {_shape(value.shape)}; "
                                         f"expected {_shape(call.expected.shape)}")
            close = within(value, call.expected, self.tol.rtol, self.tol.atol)
            if not np.all(close):
                bad = tuple(int(i) for i in np.argwhere(~close)[0])
                entry = f" at index {bad if len(bad) > 1 else bad[0]}" if bad else ""
                message = f"{where}: wrong value{entry}; your function returned {_values(value)}"
                if getattr(self.question, "show_expected", False):
                    message += f", expected {_values(call.expected)}"
                return Outcome.incorrect(message)
        return Outcome.correct()

    def describe_args(self, call: PreparedCall) -> str:
        """The inputs of a call as a student can retry them: values when small, else shapes."""
        parts = []
        for name, arg in zip(self.arg_names, call.args):
            if isinstance(arg, np.ndarray) and arg.size <= SMALL:
                parts.append(f"{name} = {_values(arg)}")
            elif isinstance(arg, np.ndarray):
                parts.append(f"{name} of shape {_shape(arg.shape)}")
            elif isinstance(arg, int):
                parts.append(f"{name} = {arg}")
            else:
                parts.append(f"{name} = {arg:.3g}")
        return ", ".join(parts)

    # -- self-check bundles ----------------------------------------------------------------------
    def self_check(self, mode: str = "full") -> SelfCheckData:
        """The bundle's own calls (drawn at its seed) and the reference's outputs there; never
        the reference itself, nor grading's calls."""
        calls = [{"args": list(call.args), "expected": call.expected} for call in self.prepared_calls]
        data = {"function": self.function_name, "args": self.arg_names, "calls": calls,
                "tolerance": msgspec.to_builtins(self.tol)}
        return SelfCheckData(data, f"{len(calls)} calls' inputs and the reference's outputs "
                                   "there (grading calls at other inputs)")

    @classmethod
    def from_self_check(cls, question: QuestionBase, data: Mapping[str, Any]) -> "FunctionKind":
        kind = cls._rebuilt(question)
        kind.tol = msgspec.convert(data["tolerance"], Tolerance)
        kind.function_name = data["function"]
        kind.arg_names = list(data["args"])
        kind.prepared_calls = [PreparedCall(tuple(c["args"]), np.asarray(c["expected"]), {})
                               for c in data["calls"]]
        kind._index_calls()
        return kind

    def describe_answer(self) -> str:
        q = self.question
        source = q.reference or q.answer or f"gradient of {q.gradient_of} with respect to {q.wrt}"
        return f"{q.function_name}({', '.join(q.args)}) vs {source}, {len(self.prepared_calls)} calls"


#: Arrays of at most this many entries are shown by value in feedback.
SMALL = 6


def _values(value: np.ndarray) -> str:
    """An array as numpy would print it, short: its values when small, else its shape."""
    value = np.asarray(value, dtype=float)
    if value.ndim == 0:
        return f"{float(value):.4g}"
    if value.size > SMALL:
        return f"an array of shape {_shape(value.shape)}"
    if value.ndim == 1:
        return "[" + ", ".join(f"{v:.4g}" for v in value) + "]"
    return "[" + ", ".join(_values(row) for row in value) + "]"


def _shape(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(map(str, shape)) + ("," if len(shape) == 1 else "") + ")"


def _draw(spec: ArgSpec, sizes: Mapping[str, int], rng: np.random.Generator) -> Any:
    if spec.integer is not None:
        low, high = spec.integer
        return int(rng.integers(low, high + 1))
    low, high = spec.bounds()
    if spec.shape is None:
        return float(rng.uniform(low, high))
    shape = tuple(d if isinstance(d, int) else sizes[d] for d in spec.shape)
    return rng.uniform(low, high, shape)


def _python_reference(target: str, base_dir: Path) -> Callable[[tuple, Mapping[str, int]], np.ndarray]:
    """``path.py:function`` from trusted instructor code, loaded into this process."""
    path_text, _, name = target.rpartition(":")
    if not path_text or not name:
        raise QuestionError(("reference",), "write the reference as path/to/file.py:function")
    path = Path(path_text)
    # Only beside the rubric: a file of that name in the current folder (which may be the class
    # folder, writable by students) must never become everyone's reference.
    found = path if path.is_absolute() else base_dir / path
    if not found.is_file():
        raise QuestionError(("reference",), f"no file {path_text} (a reference path is relative to "
                                            f"the rubric's folder, {base_dir})")
    module_name = f"_grader_reference_{abs(hash(str(found.resolve())))}"
    module = sys.modules.get(module_name)
    if module is None:
        spec = importlib.util.spec_from_file_location(module_name, found)
        if spec is None or spec.loader is None:
            raise QuestionError(("reference",), f"cannot load {path_text}")
        module = importlib.util.module_from_spec(spec)
        try:
            spec.loader.exec_module(module)  # instructor code, never a student's
        except Exception as err:  # noqa: BLE001 - report any failure of the instructor's file
            raise QuestionError(("reference",), f"{path_text} failed to load: {type(err).__name__}: {err}") from None
        sys.modules[module_name] = module
    function = getattr(module, name, None)
    if not callable(function):
        raise QuestionError(("reference",), f"{path_text} has no function {name}")

    def value(args: tuple, sizes: Mapping[str, int]) -> np.ndarray:
        copies = tuple(np.array(a) if isinstance(a, np.ndarray) else a for a in args)
        return np.asarray(function(*copies), dtype=float)
    return value
