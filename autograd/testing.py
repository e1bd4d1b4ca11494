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
import math
import numbers

from .engine import Value, no_grad
from .forward import Dual, dual_logsumexp, dual_sum
from .functions import logsumexp, sum_values

__all__ = ["expressions", "Expression", "OPS"]


def _n_ary(values_fn, duals_fn):
    def apply(*xs):
        return values_fn(xs) if isinstance(xs[0], Value) else duals_fn(xs)
    return apply


# name: (arity, how to apply it, where it is safe for the drawn inputs). The domains keep every
# node away from overflow, from the poles of 1/x and log, and from the kinks of relu and abs,
# so that finite differences of the drawn graphs are accurate. Arity None means 2 to 4 operands.
OPS = {
    "+": (2, lambda a, b: a + b, lambda a, b: True),
    "-": (2, lambda a, b: a - b, lambda a, b: True),
    "*": (2, lambda a, b: a * b, lambda a, b: True),
    "/": (2, lambda a, b: a / b, lambda a, b: abs(b) >= 0.1),
    "neg": (1, lambda a: -a, lambda a: True),
    "**2": (1, lambda a: a ** 2, lambda a: abs(a) <= 100.0),
    "**3": (1, lambda a: a ** 3, lambda a: abs(a) <= 20.0),
    "**-1": (1, lambda a: a ** -1, lambda a: abs(a) >= 0.1),
    "**0.5": (1, lambda a: a ** 0.5, lambda a: a >= 0.01),
    "**": (2, lambda a, b: a ** b, lambda a, b: 0.1 <= a <= 20.0 and abs(b) <= 3.0),
    "exp": (1, lambda a: a.exp(), lambda a: a <= 5.0),
    "log": (1, lambda a: a.log(), lambda a: a >= 0.01),
    "tanh": (1, lambda a: a.tanh(), lambda a: True),
    "sigmoid": (1, lambda a: a.sigmoid(), lambda a: True),
    "relu": (1, lambda a: a.relu(), lambda a: abs(a) >= 1e-2),
    "abs": (1, lambda a: abs(a), lambda a: abs(a) >= 1e-2),
    "sum": (None, _n_ary(sum_values, dual_sum), lambda *xs: True),
    "logsumexp": (None, _n_ary(logsumexp, dual_logsumexp), lambda *xs: True),
}
_FALLBACK = "tanh"  # safe everywhere: used when a drawn op is unsafe at its drawn operands
_MAX_ABS = 1e4      # no node may exceed this, so nothing overflows and differences stay accurate


class Expression:
    """A random graph as a recipe: call it with Values (reverse mode) or Duals (forward mode).

    ``inputs`` are the leaf values it was drawn for (its domains hold there); ``steps`` lists
    ``(op, operand indices)``, where indices count the leaves first and then the steps.

    >>> e = Expression([2.0, 3.0], [("*", (0, 1)), ("tanh", (2,))])
    >>> e
    tanh(x0 * x1)
    >>> e(Value(2.0), Value(3.0)).data == math.tanh(6.0)
    True
    """

    def __init__(self, inputs, steps, names=None):
        self.inputs = [float(x) for x in inputs]
        self.steps = [(op, tuple(idx)) for op, idx in steps]
        self.names = list(names) if names is not None else [f"x{i}" for i in range(len(self.inputs))]
        for op, idx in self.steps:
            if op not in OPS:
                raise ValueError(f"Expression: unknown op {op!r}; known ops: {sorted(OPS)}")

    def __call__(self, *leaves):
        if len(leaves) != len(self.inputs):
            raise TypeError(f"Expression over {len(self.inputs)} leaves called with {len(leaves)}: {leaves!r}")
        nodes = [x if isinstance(x, (Value, Dual)) else Value(x) for x in leaves]
        for op, idx in self.steps:
            nodes.append(OPS[op][1](*[nodes[k] for k in idx]))
        return nodes[-1]

    def __repr__(self):
        texts = list(self.names)
        atomic = [True] * len(texts)  # False for infix results, which need parentheses as operands

        def operand(k):
            return texts[k] if atomic[k] else f"({texts[k]})"

        for op, idx in self.steps:
            if op in ("+", "-", "*", "/", "**"):
                texts.append(f"{operand(idx[0])} {op} {operand(idx[1])}")
            elif op.startswith("**"):
                texts.append(f"{operand(idx[0])}{op}")
            elif op == "neg":
                texts.append(f"-{operand(idx[0])}")
            else:
                texts.append(f"{op}({', '.join(texts[k] for k in idx)})")
            atomic.append(not (op in ("+", "-", "*", "/", "**") or op.startswith("**") or op == "neg"))
        return texts[-1]


def _value_at(op, operands):
    """The op's value at these float operands, or None if they lie outside its safe domain."""
    if not OPS[op][2](*operands):
        return None
    try:
        with no_grad():
            v = OPS[op][1](*[Value(x) for x in operands]).data
    except (ValueError, OverflowError, ZeroDivisionError):
        return None
    return v if math.isfinite(v) and abs(v) <= _MAX_ABS else None


def expressions(leaves=2, ops=None, max_ops=6, names=None):
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
        raise ImportError("autograd.testing.expressions needs hypothesis, a test dependency: "
                          "pip install hypothesis (or pip install 'chaingrad[test]')") from None
    ops = sorted(OPS) if ops is None else list(ops)
    unknown = [op for op in ops if op not in OPS]
    if not ops or unknown:
        raise ValueError(f"expressions: ops must be a non-empty list of known ops {sorted(OPS)}, got {ops!r}")
    if type(max_ops) is not int or max_ops < 1:
        raise ValueError(f"expressions: max_ops must be an int >= 1, got {max_ops!r}")
    if type(leaves) is int:
        if leaves < 1:
            raise ValueError(f"expressions: leaves must be >= 1, got {leaves!r}")
        leaves = st.lists(st.floats(-2.0, 2.0), min_size=leaves, max_size=leaves)
    elif not isinstance(leaves, SearchStrategy):
        values = list(leaves)
        if not values or not all(isinstance(x, numbers.Real) and not isinstance(x, bool) and math.isfinite(x)
                                 for x in values):
            raise ValueError(f"expressions: leaves must be an int, a non-empty list of finite numbers "
                             f"or a strategy of such lists, got {leaves!r}")
        leaves = st.just(values)

    @st.composite
    def draw_expression(draw):
        xs = [float(x) for x in draw(leaves)]
        values, steps, used = list(xs), [], set()
        for _ in range(draw(st.integers(1, max_ops))):
            op = draw(st.sampled_from(ops))
            arity = OPS[op][0] or draw(st.integers(2, 4))
            idx = tuple(draw(st.integers(0, len(values) - 1)) for _ in range(arity))
            v = _value_at(op, [values[k] for k in idx])
            if v is None:
                op, idx = _FALLBACK, idx[:1]
                v = _value_at(op, [values[idx[0]]])
            steps.append((op, idx))
            values.append(v)
            used.update(idx)
        sinks = tuple(k for k in range(len(values)) if k not in used)
        if len(sinks) > 1:  # join every unused node, leaves included, so each one reaches the output
            steps.append(("sum", sinks))
        return Expression(xs, steps, names)

    return draw_expression()
