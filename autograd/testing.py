"""Random expression graphs for property tests: the hypothesis strategy ``expressions``.

hypothesis is a test dependency, not a runtime one: it is imported when ``expressions()`` is
called, so this module imports without it.

    from hypothesis import given
    from autograd import gradcheck
    from autograd.testing import expressions

    @given(expressions([0.5, -1.2]))
    def test_engine_gradients(expr):
        assert gradcheck(expr, expr.inputs)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any, cast, overload

from . import ops
from .engine import Value

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from .forward import Dual

__all__ = ["expressions", "Expression", "OPS"]

# Every op of the table by its title ('sin', '**2', 'leaky_relu(slope=0.01)'), with '**n' also for
# a few more exponents: what a drawn graph may use. Read from the op table, so a new op is drawn too.
OPS = {op.title: op for op in (*ops.OPS, *(ops.POW_N.bind(n) for n in (3.0, -1.0, 0.5)))}
_FALLBACK = "tanh"  # safe everywhere: used when a drawn op is unsafe at its drawn operands
_MAX_ABS = 1e4  # no node (nor local derivative) may exceed this, so nothing overflows
_MARGIN = 1e-2  # operands this close to a domain edge, a pole or a kink are refused


class Expression:
    """A random graph as a recipe: call it with Values (reverse mode) or Duals (forward mode).

    ``inputs`` are the leaf values it was drawn for (its domains hold there); ``steps`` lists
    ``(op, operand indices)``, where indices count the leaves first and then the steps.

    >>> e = Expression([2.0, 3.0], [("*", (0, 1)), ("tanh", (2,))])
    >>> e
    tanh(x0·x1)
    >>> e(Value(2.0), Value(3.0)).data == math.tanh(6.0)
    True
    """

    def __init__(
        self,
        inputs: Iterable[float],
        steps: Iterable[tuple[str, Iterable[int]]],
        names: Iterable[str] | None = None,
    ) -> None:
        self.inputs = [float(x) for x in inputs]
        self.steps = [(op, tuple(idx)) for op, idx in steps]
        self.names = list(names) if names is not None else [f"x{i}" for i in range(len(self.inputs))]
        for op, _idx in self.steps:
            if op not in OPS:
                raise ValueError(f"Expression: unknown op {op!r}; known ops: {sorted(OPS)}")

    @overload
    def __call__(self, *leaves: Dual) -> Dual: ...
    @overload
    def __call__(self, *leaves: Value | float) -> Value: ...
    def __call__(self, *leaves: Value | Dual | float) -> Value | Dual:
        if len(leaves) != len(self.inputs):
            raise TypeError(f"Expression over {len(self.inputs)} leaves called with {len(leaves)}: {leaves!r}")
        # Values or Duals: each step goes through its first operand's own _apply, found by duck typing
        nodes: list[Any] = [x if hasattr(x, "_apply") else Value(x) for x in leaves]
        for op, idx in self.steps:
            operands = [nodes[k] for k in idx]
            nodes.append(operands[0]._apply(OPS[op], *operands))
        result: Value | Dual = nodes[-1]
        return result

    def __repr__(self) -> str:
        texts: list[tuple[str, int]] = [
            (name, 5) for name in self.names
        ]  # (text, how tightly it binds), as the renderer writes it
        for name, idx in self.steps:
            op = OPS[name]
            needs = op.needs if op.arity >= 0 else op.needs * len(idx)
            args = [f"({texts[k][0]})" if texts[k][1] < need else texts[k][0] for k, need in zip(idx, needs)]
            texts.append((op.formula(*args), op.prec))
        return texts[-1][0]


def _value_at(name: str, operands: list[float]) -> float | None:
    """The op's value at these float operands, or None where it is not safe for finite differences:
    outside its domain or within _MARGIN of its edge or a kink, where the slope changes fast within
    _MARGIN, or where the value or slope is too large."""
    op = OPS[name]
    try:
        y, grads = ops.evaluate(op, operands)
        for i in range(len(operands)):
            for h in (-_MARGIN, _MARGIN):
                moved = list(operands)
                moved[i] += h
                moved_grads = ops.evaluate(op, moved)[1]
                if any(abs(a - b) > 0.5 * max(abs(b), 1.0) for a, b in zip(moved_grads, grads)):
                    return None  # the slope changes fast here (near a pole): differences are inaccurate
                if op.kink is not None and op.kink(*moved, *op.params) != op.kink(*operands, *op.params):
                    return None
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    if op.kink is not None and op.kink(*operands, *op.params) is None:
        return None
    if not all(math.isfinite(v) and abs(v) <= _MAX_ABS for v in (y, *grads)):
        return None
    return float(y)


def expressions(
    leaves: int | Sequence[float] | SearchStrategy[list[float]] = 2,
    ops: Iterable[str] | None = None,
    max_ops: int = 6,
    names: Iterable[str] | None = None,
) -> SearchStrategy[Expression]:
    """A hypothesis strategy drawing random ``Expression`` graphs over the given leaves.

    ``leaves``: an int n (values drawn in [-2, 2]), a list of numbers, or a hypothesis strategy of
    such lists. Intermediate results are reused (the graphs are DAGs, not trees), every op is used
    only where it is smooth and finite, and every leaf reaches the output (through a final sum).

    >>> from hypothesis import given
    >>> @given(expressions([0.5, -1.0], ops=["*", "tanh", "exp"]))
    ... def test(expr):
    ...     assert gradcheck(expr, expr.inputs)
    """
    try:
        from hypothesis import strategies as st
        from hypothesis.strategies import SearchStrategy
    except ImportError:
        raise ImportError(
            "autograd.testing.expressions needs hypothesis, a test dependency: "
            "pip install hypothesis (or pip install 'chaingrad[test]')"
        ) from None
    names_of_ops = sorted(OPS) if ops is None else list(ops)
    unknown = [op for op in names_of_ops if op not in OPS]
    if not names_of_ops or unknown:
        raise ValueError(f"expressions: ops must be a non-empty list of known ops {sorted(OPS)}, got {names_of_ops!r}")
    if type(max_ops) is not int or max_ops < 1:
        raise ValueError(f"expressions: max_ops must be an int >= 1, got {max_ops!r}")
    if type(leaves) is int:
        if leaves < 1:
            raise ValueError(f"expressions: leaves must be >= 1, got {leaves!r}")
        drawn: SearchStrategy[list[float]] = st.lists(st.floats(-2.0, 2.0), min_size=leaves, max_size=leaves)
    elif not isinstance(leaves, SearchStrategy):
        values = list(cast("Sequence[float]", leaves))  # type(leaves) is int was ruled out above
        if not values or not all(
            isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x) for x in values
        ):
            raise ValueError(
                f"expressions: leaves must be an int, a non-empty list of finite numbers "
                f"or a strategy of such lists, got {leaves!r}"
            )
        drawn = st.just(values)
    else:
        drawn = leaves

    @st.composite
    def draw_expression(draw: st.DrawFn) -> Expression:
        xs = [float(x) for x in draw(drawn)]
        values: list[float] = list(xs)
        steps: list[tuple[str, tuple[int, ...]]] = []
        used: set[int] = set()
        for _ in range(draw(st.integers(1, max_ops))):
            op = draw(st.sampled_from(names_of_ops))
            arity = OPS[op].arity if OPS[op].arity > 0 else draw(st.integers(2, 4))
            idx = tuple(draw(st.integers(0, len(values) - 1)) for _ in range(arity))
            v = _value_at(op, [values[k] for k in idx])
            if v is None:
                op, idx = _FALLBACK, idx[:1]
                v = _value_at(op, [values[idx[0]]])
            steps.append((op, idx))
            values.append(cast(float, v))  # not None: tanh is safe at every drawn value
            used.update(idx)
        sinks = tuple(k for k in range(len(values)) if k not in used)
        if len(sinks) > 1:  # join every unused node, leaves included, so each one reaches the output
            steps.append(("sum", sinks))
        return Expression(xs, steps, names)

    return draw_expression()
