"""Check analytic gradients against central finite differences: ``gradcheck`` and ``gradgradcheck``.

An input passes when ``|analytic - numeric| <= atol + rtol * |numeric|`` (as numpy's ``isclose``).
A failure raises ``GradcheckError`` (an AssertionError, so pytest reports it as a failed test)
whose message is a table with one line per failing input. Inputs and nodes are named as every view
names them (`autograd.names`): an input's Value label, else f's parameter name, else an automatic name.
"""

import inspect
import math
import numbers
from collections.abc import Callable, Sequence
from typing import TypedDict

from .engine import Value, enable_grad, gradients, op_of, topological_order
from .names import Naming, naming

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class Failure(TypedDict):
    """One failing row of a check, an item of ``GradcheckError.failures``: the input (or pair of inputs, "i,j"),
    its name (``label``: as the views name it) and value, the two derivatives, their difference and the
    tolerance it exceeded."""

    index: str
    label: str
    value: float | str  # gradgradcheck: the pair of values as text, "0.3,-0.7"
    analytic: float
    numeric: float
    difference: float
    tolerance: float


class GradcheckError(AssertionError):
    """Raised when analytic and numeric derivatives disagree. ``.failures`` holds one dict per failing row.

    >>> try:
    ...     gradcheck(lambda x: x * Value(x.data), [3.0])  # hides one path: analytic 3, numeric 6
    ... except GradcheckError as e:
    ...     e.failures[0]["analytic"], round(e.failures[0]["numeric"], 4)
    (3.0, 6.0)
    """

    def __init__(self, message: str, failures: list[Failure]) -> None:
        super().__init__(message)
        self.failures = failures


def gradcheck(
    f: Callable[..., Value], inputs: Sequence[float | Value], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Compare ``f``'s gradient from ``backward`` with central differences ``(f(x+eps) - f(x-eps)) / 2eps``.

    ``f`` is called with one Value per number in ``inputs`` and returns a Value. Returns True or
    raises ``GradcheckError``; refuses (ValueError) inputs on a kink of an op (relu or abs at 0, a
    tie of maximum: each op's ``kink`` in the op table), where the derivative is a convention that
    finite differences cannot check, and inputs whose shift by eps would cross one.

    >>> gradcheck(lambda x, y: (x * y).tanh(), [0.5, -1.5])
    True
    """
    # pytest shows a failure or a refusal at the user's line, with the message, not in here (nor in the helpers
    # below, which hide their frames too)
    __tracebackhide__ = True
    xs, labels = _check_args(f, inputs, eps, atol, rtol, "gradcheck")
    out, leaves = _call(f, xs, labels, "gradcheck")
    names = _names(out, leaves, labels)
    pattern = _kink_pattern(out, "gradcheck", xs)
    grads = gradients(out, 1.0, create_graph=False)
    failures: list[Failure] = []
    for i, leaf in enumerate(leaves):
        analytic = grads.get(leaf, 0.0)
        plus, _ = _shifted(f, xs, labels, names, i, eps, pattern, "gradcheck")
        minus, _ = _shifted(f, xs, labels, names, i, -eps, pattern, "gradcheck")
        numeric = (plus.data - minus.data) / (2.0 * eps)
        failures += _compare(analytic, numeric, atol, rtol, index=str(i), label=names[i], value=xs[i])
    if failures:
        raise GradcheckError(_table("gradcheck", failures, f"{len(xs)} inputs", eps, atol, rtol, "df/dx"), failures)
    return True


def gradgradcheck(
    f: Callable[..., Value], inputs: Sequence[float | Value], eps: float = 1e-6, atol: float = 1e-5, rtol: float = 1e-3
) -> bool:
    """Check second derivatives: d(df/dx_i)/dx_j from ``backward(create_graph=True)`` against
    central differences of the analytic gradient, for every pair (i, j).

    >>> gradgradcheck(lambda x, y: x.exp() * y.sigmoid(), [0.3, -0.7])
    True
    """
    __tracebackhide__ = True
    xs, labels = _check_args(f, inputs, eps, atol, rtol, "gradgradcheck")
    out, leaves = _call(f, xs, labels, "gradgradcheck")
    names = _names(out, leaves, labels)
    pattern = _kink_pattern(out, "gradgradcheck", xs)
    with enable_grad():
        first = gradients(out, 1.0, create_graph=True)
        rows = [gradients(first[leaf], 1.0, create_graph=False) if leaf in first else {} for leaf in leaves]
    failures: list[Failure] = []
    for j in range(len(xs)):
        shifted = []
        for s in (1.0, -1.0):
            o, moved_leaves = _shifted(f, xs, labels, names, j, s * eps, pattern, "gradgradcheck")
            g = gradients(o, 1.0, create_graph=False)
            shifted.append([g.get(leaf, 0.0) for leaf in moved_leaves])
        for i in range(len(xs)):
            analytic = rows[i].get(leaves[j], 0.0)
            numeric = (shifted[0][i] - shifted[1][i]) / (2.0 * eps)
            failures += _compare(
                analytic,
                numeric,
                atol,
                rtol,
                index=f"{i},{j}",
                label=f"{names[i]},{names[j]}",
                value=f"{xs[i]!r},{xs[j]!r}",
            )
    if failures:
        raise GradcheckError(
            _table("gradgradcheck", failures, f"{len(xs) ** 2} input pairs (i, j)", eps, atol, rtol, "d2f/dxi dxj"),
            failures,
        )
    return True


def _check_args(
    f: Callable[..., Value], inputs: Sequence[float | Value], eps: float, atol: float, rtol: float, fn: str
) -> tuple[list[float], list[str]]:
    __tracebackhide__ = True
    if not callable(f):
        raise TypeError(f"{fn}: f must be callable, got {f!r}")
    if isinstance(inputs, (Value, numbers.Number)) or not hasattr(inputs, "__iter__"):
        raise TypeError(f"{fn}: inputs must be a list of numbers, one per argument of f, got {inputs!r}")
    inputs = list(inputs)
    if not inputs:
        raise ValueError(f"{fn}: inputs must not be empty: f needs at least one argument to check")
    xs: list[float] = []
    for i, x in enumerate(inputs):
        data = x.data if isinstance(x, Value) else x
        if not (isinstance(data, numbers.Real) and not isinstance(data, bool) and math.isfinite(data)):
            raise TypeError(f"{fn}: inputs[{i}] must be a finite real number (or a Value), got {x!r}")
        xs.append(float(data))
    for name, v, ok in (("eps", eps, "> 0"), ("atol", atol, ">= 0"), ("rtol", rtol, ">= 0")):
        if not (
            isinstance(v, numbers.Real)
            and not isinstance(v, bool)
            and math.isfinite(v)
            and (float(v) > 0 if name == "eps" else float(v) >= 0)
        ):
            raise ValueError(f"{fn}: {name} must be a finite number {ok}, got {v!r}")
    return xs, _labels(f, inputs)


def _labels(f: Callable[..., Value], inputs: Sequence[float | Value]) -> list[str]:
    """Each input's name: its Value label, else f's parameter name, else ''."""
    try:
        params = inspect.signature(f).parameters.values()
        names = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    except (TypeError, ValueError):  # builtins without a signature
        names = []
    return [
        x.label if isinstance(x, Value) and x.label else names[i] if i < len(names) else ""
        for i, x in enumerate(inputs)
    ]


def _names(out: Value, leaves: list[Value], labels: list[str]) -> list[str]:
    """Each input's name, as every view of f's graph names it (an input f does not use: its label, or '')."""
    named = naming(out)
    return [named.get(leaf, label) for leaf, label in zip(leaves, labels)]


def _call(f: Callable[..., Value], xs: list[float], labels: list[str], fn: str) -> tuple[Value, list[Value]]:
    __tracebackhide__ = True
    leaves = [Value(x, label=label) for x, label in zip(xs, labels)]
    with enable_grad():  # a check needs the graph, even inside no_grad()
        out = f(*leaves)
    if not isinstance(out, Value):
        raise TypeError(
            f"{fn}: f must return a Value (a scalar built from its arguments), got {out!r} of type {type(out).__name__}"
        )
    if not math.isfinite(out.data):
        raise ValueError(f"{fn}: f returned {out.data!r} at inputs {xs!r}; a non-finite value cannot be checked")
    return out, leaves


def _shifted(
    f: Callable[..., Value],
    xs: list[float],
    labels: list[str],
    names: list[str],
    i: int,
    h: float,
    pattern: list[object],
    fn: str,
) -> tuple[Value, list[Value]]:
    """f evaluated with input i moved by h; refuses if that moved the operands of an op across a kink."""
    __tracebackhide__ = True
    moved = list(xs)
    moved[i] += h
    try:
        out, leaves = _call(f, moved, labels, fn)
    except (ValueError, OverflowError, ZeroDivisionError) as e:
        raise ValueError(
            f"{fn}: f fails at input {i} ({names[i] or 'unused'}) moved by {h!r} to "
            f"{moved[i]!r}, so finite differences cannot be taken there: {e}"
        ) from None  # the message says why: pytest shows it, not the library's frames
    if _kink_pattern(out, fn, moved) != pattern:
        raise ValueError(
            f"{fn}: moving input {i} ({names[i] or 'unused'}) = {xs[i]!r} by eps = {abs(h)!r} "
            f"moves the operands of an op across a kink (relu or abs at 0, a tie of maximum...), where "
            f"the derivative jumps; finite "
            f"differences are meaningless there: move the input away from the kink or use a smaller eps"
        )
    return out, leaves


def _kink_pattern(out: Value, fn: str, xs: list[float]) -> list[object]:
    """For every op with kinks, in graph order, the side of its kinks its operands lie on (the op
    table's ``kink``); refuses operands exactly on a kink."""
    __tracebackhide__ = True
    pattern: list[object] = []
    names: Naming | None = None
    for v in topological_order(out):
        op = op_of(v)
        if op is not None and op.kink is not None:
            side = op.kink(*[c.data for c in v.children], *op.params)
            if side is None:
                names = names or naming(out)
                operands = ", ".join(names.describe(c) for c in dict.fromkeys(v.children))
                raise ValueError(
                    f"{fn}: at inputs {xs!r} the graph has {names[v]} = {names.formula(v)} exactly on a kink "
                    f"({operands}), where the derivative is a convention ({op.kink_note}), not a limit that "
                    f"finite differences can check; choose inputs that keep the operands of {v.op} away from it"
                )
            pattern.append(side)
    return pattern


def _compare(
    analytic: float, numeric: float, atol: float, rtol: float, index: str, label: str, value: float | str
) -> list[Failure]:
    difference = abs(analytic - numeric)
    tolerance = atol + rtol * abs(numeric)
    if difference <= tolerance:  # False for NaN: a NaN never passes
        return []
    return [
        {
            "index": index,
            "label": label,
            "value": value,
            "analytic": analytic,
            "numeric": numeric,
            "difference": difference,
            "tolerance": tolerance,
        }
    ]


def _table(fn: str, failures: list[Failure], total: str, eps: float, atol: float, rtol: float, what: str) -> str:
    head = ["input", "name", "value", f"analytic {what}", f"numeric {what}", "difference", "tolerance"]
    cells = [
        [
            r["index"],
            r["label"] or "-",
            _fmt(r["value"]),
            _fmt(r["analytic"]),
            _fmt(r["numeric"]),
            _fmt(r["difference"]),
            _fmt(r["tolerance"]),
        ]
        for r in failures
    ]
    widths = [max(len(row[k]) for row in [head, *cells]) for k in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head, *cells]]
    return (
        f"{fn} failed for {len(failures)} of {total} (eps={eps!r}, atol={atol!r}, rtol={rtol!r}; "
        f"pass if difference <= atol + rtol * |numeric|):\n  " + "\n  ".join(lines)
    )


def _fmt(x: object) -> str:
    return f"{x:.10g}" if isinstance(x, float) else str(x)
