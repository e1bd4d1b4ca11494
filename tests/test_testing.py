"""autograd.testing: the hypothesis strategy `expressions` draws random graphs over every op of the table, each
op used only where it is smooth and finite; `Expression` evaluates and prints them."""

import math
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value, ops
from autograd.testing import OPS, Expression, expressions


@settings(max_examples=30, deadline=None)
@given(expressions(st.lists(st.floats(-3, 3), min_size=1, max_size=4), max_ops=8))
def test_random_graphs_use_every_leaf_and_are_finite(expr):
    leaves = [Value(x) for x in expr.inputs]
    out = expr(*leaves)
    assert math.isfinite(out.data)
    reached, stack = set(), [out]
    while stack:
        v = stack.pop()
        if id(v) not in reached:
            reached.add(id(v))
            stack.extend(v.children)
    assert all(id(leaf) in reached for leaf in leaves)


@settings(max_examples=30, deadline=None)
@given(expressions([0.5, -1.5], ops=["*", "tanh"], max_ops=3))
def test_strategy_respects_given_leaves_and_ops(expr):
    assert expr.inputs == [0.5, -1.5]
    assert {op for op, _ in expr.steps} <= {"*", "tanh", "sum"}
    assert len([s for s in expr.steps if s[0] != "sum"]) <= 3


def test_expression_evaluates_and_prints():
    e = Expression([2.0, 3.0], [("*", (0, 1)), ("+", (2, 0)), ("tanh", (3,))])
    assert repr(e) == "tanh(x0·x1 + x0)"
    assert e(Value(2.0), Value(3.0)).data == math.tanh(2.0 * 3.0 + 2.0)
    assert repr(Expression([1.0], [("**2", (0,)), ("neg", (1,))], names=["w"])) == "-w^2"


def test_expression_errors():
    with pytest.raises(ValueError, match=r"^Expression: unknown op 'mystery'; known ops: \["):
        Expression([1.0], [("mystery", (0,))])
    with pytest.raises(TypeError, match=r"^Expression over 1 leaves called with 2: "):
        Expression([1.0], [("exp", (0,))])(1.0, 2.0)


def test_strategy_errors():
    with pytest.raises(ValueError, match=r"^expressions: ops must be a non-empty list of known ops"):
        expressions(2, ops=["mystery"])
    with pytest.raises(ValueError, match=r"^expressions: max_ops must be an int >= 1, got 0$"):
        expressions(2, max_ops=0)
    with pytest.raises(ValueError, match=r"^expressions: leaves must be >= 1, got 0$"):
        expressions(0)
    with pytest.raises(ValueError, match=r"^expressions: leaves must be an int, a non-empty list of finite numbers"):
        expressions([math.nan])


def test_the_strategy_draws_every_op_of_the_table():
    assert {op.name for op in ops.OPS} == {op.name for op in OPS.values()}


def test_testing_module_imports_without_hypothesis():
    # hypothesis is a test extra: importing autograd.testing must work without it, calling must explain
    code = textwrap.dedent("""
        import sys
        sys.modules["hypothesis"] = None  # makes `import hypothesis` raise ImportError
        import autograd.testing
        try:
            autograd.testing.expressions(2)
        except ImportError as e:
            print(e)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == (
        "autograd.testing.expressions needs hypothesis, a test dependency: "
        "pip install hypothesis (or pip install 'chaingrad[test]')"
    )
