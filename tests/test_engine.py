"""The engine: each way to write an op against central finite differences, the fast paths against the table's
path, the textbook's reference numbers, accumulation, bad inputs, deep graphs, and random graphs against finite
differences and torch."""

import contextlib
import math
import re
import struct

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from numeric import central_differences
from op_cases import torch_function, user_call
from random_programs import build
from random_programs import programs as random_programs

import nn
from autograd import Value, dot, no_grad, ops, scope, sum_values
from autograd.engine import _node, _recorded, fused_dot, gradients, op_of
from autograd.testing import expressions


def numeric_grads(f, xs):
    """Central differences of f (Values -> Value) at xs, with no graph built."""

    def on_floats(p):
        with no_grad():
            return f(*map(Value, p)).data

    return central_differences(on_floats, xs)


def analytic_grads(f, xs):
    vs = [Value(x) for x in xs]
    f(*vs).backward()
    return [v.grad for v in vs]


def assert_grads_match(f, xs, tol=1e-5):
    for a, n in zip(analytic_grads(f, xs), numeric_grads(f, xs)):
        assert a == pytest.approx(n, rel=tol, abs=tol)


# Each way to write an op with Values and numbers on either side, through finite differences (each op of the
# table by itself: tests/test_ops.py; the list functions: tests/test_reductions.py).
SPELLINGS = {
    "add": (lambda x, y: x + y, [0.3, -1.7]),
    "add_number": (lambda x: x + 2.5, [0.3]),
    "radd": (lambda x: 2.5 + x, [0.3]),
    "sub": (lambda x, y: x - y, [0.3, -1.7]),
    "rsub": (lambda x: 2.5 - x, [0.3]),
    "mul": (lambda x, y: x * y, [0.3, -1.7]),
    "mul_self": (lambda x: x * x, [-1.3]),
    "rmul": (lambda x: 3.0 * x, [0.3]),
    "div": (lambda x, y: x / y, [0.3, -1.7]),
    "rdiv": (lambda x: 2.0 / x, [0.7]),
    "neg": (lambda x: -x, [0.3]),
    "pow_int": (lambda x: x**3, [-1.2]),
    "pow_neg": (lambda x: x**-2, [0.8]),
    "pow_frac": (lambda x: x**0.5, [2.3]),
    "pow_value": (lambda x, y: x**y, [1.7, 0.6]),
    "rpow": (lambda x: 2.0**x, [0.6]),
}


@pytest.mark.parametrize("name", SPELLINGS)
def test_op_against_finite_differences(name):
    f, xs = SPELLINGS[name]
    assert_grads_match(f, xs)


def test_textbook_graph_values_gradients_and_local_derivatives():
    # reference-values.md, section 1: L = c(a + 2b), a = 3, b = 1, c = -2
    a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    d = 2 * b
    e = a + d
    L = c * e
    L.backward()
    values = {"a": 3, "b": 1, "c": -2, "d": 2, "e": 5, "L": -10}
    grads = {"a": -2, "b": -4, "c": 5, "d": -2, "e": -2, "L": 1}
    nodes = {"a": a, "b": b, "c": c, "d": d, "e": e, "L": L}
    for name, v in nodes.items():
        assert v.data == values[name], name
        assert v.grad == grads[name], name
    assert L.op == "*" and L.children == (c, e) and L.local_grads == (5.0, -2.0)  # dL/dc = e, dL/de = c
    assert e.op == "+" and e.children == (a, d) and e.local_grads == (1.0, 1.0)
    assert d.op == "*" and d.children[1] is b and d.local_grads[1] == 2.0  # dd/db = 2
    assert a.is_leaf and not L.is_leaf


def test_graph_views_for_leaf_unary_and_nary_nodes():
    x, y = Value(2.0), Value(3.0)
    assert (x.op, x.children, x.local_grads) == ("", (), ())
    t = x.tanh()
    assert t.children == (x,) and t.local_grads == (1.0 - math.tanh(2.0) ** 2,) and not t.is_leaf
    s = sum_values([x, y, x])
    assert s.op == "sum" and s.children == (x, y, x) and s.local_grads == (1.0, 1.0, 1.0)
    with no_grad():
        assert (x * y).children == () and (x * y).is_leaf


def test_sigmoid_unit_reference():
    # reference-values.md, section 2
    w, x, b = [0.2, 0.3, 0.9], [0.5, 0.6, 0.1], Value(0.5)
    z = sum_values([Value(wi) * xi for wi, xi in zip(w, x)] + [b])
    assert z.data == pytest.approx(0.87, abs=5e-5)
    assert z.sigmoid().data == pytest.approx(0.704746, abs=5e-7)


# ---- the fast paths give the node the table's path gives ----

# The engine's fast paths (the marked section of engine.py), as a user reaches them, with numbers on either side.
FAST_PATHS = {
    "+": [lambda a, b: a + b, lambda a, b: a + b.data, lambda a, b: a.data + b],
    "-": [lambda a, b: a - b, lambda a, b: a - b.data, lambda a, b: a.data - b],
    "*": [lambda a, b: a * b, lambda a, b: a * b.data, lambda a, b: a.data * b],
    "neg": [lambda a: -a],
    "tanh": [lambda a: a.tanh()],
    "relu": [lambda a: a.relu()],
}
MODES = {"recording": contextlib.nullcontext, "in a scope": lambda: scope("s"), "under no_grad": no_grad}


def assert_same_node(node, table, where):
    assert op_of(node) is op_of(table) and node.scope == table.scope and node.is_leaf == table.is_leaf, where
    assert bits(node.data) == bits(table.data), where
    assert [bits(d) for d in node.local_grads] == [bits(d) for d in table.local_grads], where
    assert [c.data for c in node.children] == [c.data for c in table.children], where


def bits(x):
    return struct.pack("<d", x)


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("name", FAST_PATHS)
def test_each_fast_path_gives_the_node_the_tables_path_gives(name, mode):
    op = next(o for o in ops.OPS if o.name == name)
    extremes = [[x] * op.arity for x in (0.0, -0.0, math.nan, 1e300, -math.inf)]
    for xs in op.sample_points() + extremes:
        for spelling in FAST_PATHS[name]:
            with MODES[mode]():
                node = spelling(*[Value(x) for x in xs])
                table = Value._apply(op, *[Value(x) for x in xs])  # what OpMethods' method would do
            assert_same_node(node, table, (xs, mode))


@pytest.mark.parametrize("mode", MODES)
def test_nodes_made_by_the_common_case_equal_nodes_made_by_node(mode):
    """_recorded (the common case written out) and _node (every mode) make the same node."""
    a, b = Value(2.0), Value(-3.0)
    with MODES[mode]():
        for args in [(6.0, ops.HYPOT, a, 0.5, b, -0.25), (0.5, ops.TANH, a, 0.75), (1.0, ops.SUM, (a, b), (1.0, 1.0))]:
            assert_same_node(_recorded(*args), _node(*args), (args, mode))


@pytest.mark.parametrize("mode", MODES)
def test_the_fast_dot_gives_the_node_the_tables_path_gives(mode):
    for n in (1, 3, 16):
        ws = [Value(math.sin(k + 1.0)) for k in range(n)]
        xs = [Value(math.cos(3.0 * k)) for k in range(n)]
        b = Value(0.25)
        with MODES[mode]():
            table = Value._apply(ops.DOT, *ws, *xs, b)
            for node in (fused_dot(ws, xs, b), fused_dot(ws, xs, b, [x.data for x in xs]), dot(ws, xs, b)):
                assert_same_node(node, table, (n, mode))


def test_float_gradients_equal_the_rules_run_on_values():
    """gradients() without create_graph multiplies the forward pass's local derivatives; with it, the ops'
    rules run on Values: the same numbers, on a graph of every op of the table."""
    leaves = [Value(0.3), Value(-0.8)]
    x, y = leaves
    nodes = [x, y]
    for op in ops.OPS:
        for point in op.sample_points()[:1]:
            operands = [p + 0.0 * n for p, n in zip(point, [nodes[-1], nodes[-2], nodes[-1]])]
            nodes.append(Value._apply(op, *operands) * 0.5 + nodes[-1] * 1e-3)
    out = sum_values(nodes)
    floats = gradients(out, 1.0, create_graph=False)
    values = gradients(out, 1.0, create_graph=True)
    assert floats.keys() == values.keys()
    for v in leaves:
        assert floats[v] == pytest.approx(values[v].data, rel=1e-12, abs=1e-300)


# ---- accumulation ----


def test_a_node_used_twice_gets_both_contributions():
    x = Value(3.0)
    (x + x).backward()
    assert x.grad == 2.0
    y = Value(3.0)
    z = y * y
    assert z.children == (y, y)  # an ordered tuple with two edges, not a set
    z.backward()
    assert y.grad == 6.0


def test_reused_intermediate_node():
    x = Value(2.0)
    h = x * 3.0  # dh/dx = 3
    out = h * h + h  # d/dh = 2h + 1 = 13
    out.backward()
    assert h.grad == 13.0
    assert x.grad == 39.0


def test_second_backward_accumulates_like_pytorch():
    x = Value(3.0)
    h = x * x
    y = h.tanh() + h
    y.backward()
    first = {id(v): v.grad for v in (x, h, y)}
    y.backward()
    assert x.grad == pytest.approx(2 * first[id(x)])
    assert h.grad == pytest.approx(2 * first[id(h)])
    assert y.grad == 2.0


def test_backward_of_two_graphs_sharing_a_leaf_adds_up():
    x = Value(1.5)
    (x * 2.0).backward()
    (x * x).backward()
    assert x.grad == 2.0 + 3.0


def test_backward_with_upstream_gradient():
    x = Value(1.5)
    (x * x).backward(grad=2.0)
    assert x.grad == 6.0


def test_zero_grad_clears_the_whole_graph():
    x, w = Value(2.0), Value(-1.0)
    y = (x * w).tanh()
    y.backward()
    y.zero_grad()
    assert x.grad == w.grad == y.grad == 0.0
    y.backward()
    assert x.grad == pytest.approx(-(1 - math.tanh(-2.0) ** 2))


# ---- ReLU and abs at the kink, stability ----


def test_relu_and_abs_derivative_at_zero_is_zero():
    for f in (lambda v: v.relu(), lambda v: v.abs()):
        x = Value(0.0)
        f(x).backward()
        assert x.grad == 0.0


def test_stable_tanh_and_sigmoid():
    assert Value(1000.0).tanh().data == 1.0
    assert Value(-1000.0).tanh().data == -1.0
    assert Value(-1000.0).sigmoid().data == 0.0
    assert Value(1000.0).sigmoid().data == 1.0
    x = Value(-1000.0)
    x.sigmoid().backward()
    assert x.grad == 0.0


# ---- bad inputs ----


@pytest.mark.parametrize("bad", [True, "1.0", None, 1j, [1.0], {"x": 1}])
def test_value_refuses_non_real_data(bad):
    with pytest.raises(TypeError, match="Value data must be a real number") as info:
        Value(bad)
    assert repr(bad) in str(info.value)


def test_value_accepts_ints_nan_and_inf():
    assert Value(3).data == 3.0 and type(Value(3).data) is float
    assert math.isnan(Value(math.nan).data)
    assert Value(math.inf).data == math.inf


def test_label_must_be_a_string():
    with pytest.raises(TypeError, match="label must be a str, got 3"):
        Value(1.0, label=3)


@pytest.mark.parametrize("bad", [3, None, 2.5, b"x", ["a"]])
def test_a_label_assigned_later_must_be_a_string_too(bad):
    """Every kind of node (a leaf, the inlined + and *, a table op, a parameter) refuses a label that is not a
    str at assignment, naming the node, and keeps its label (explain failed later on an int label)."""
    x = Value(2.0, label="x")
    nodes = [x, x + 1, x * 2, x.sin(), nn.Parameter(1.0)]
    for v in nodes:
        before = v.label
        match = rf"the label of {re.escape(repr(v))} must be a str, got {re.escape(repr(bad))}"
        with pytest.raises(TypeError, match=match):
            v.label = bad
        assert v.label == before
        v.label = "ok"
        assert v.label == "ok"


def test_bad_operands_name_the_op_and_the_value():
    x = Value(1.0)
    with pytest.raises(TypeError, match=r"operand of '\+'.*'a'"):
        x + "a"
    with pytest.raises(TypeError, match=r"operand of '\*'.*None"):
        None * x
    with pytest.raises(TypeError, match=r"exponent of '\*\*'.*\[2\]"):
        x ** [2]
    with pytest.raises(TypeError, match=r"backward\(grad=...\).*'one'"):
        x.backward(grad="one")


@pytest.mark.parametrize(
    "make, op, kind",
    [
        (lambda: Value(0.0, label="x").log(), "log", ValueError),
        (lambda: Value(-2.5, label="x").log(), "log", ValueError),
        (lambda: Value(0.0, label="x") ** -1, r"\*\*", ValueError),
        (lambda: 1.0 / Value(0.0, label="x"), "/: division by zero", ValueError),
        (lambda: Value(1.0) % Value(0.0, label="x"), "%: modulo by zero", ValueError),
        (lambda: Value(2.0, label="x").acos(), "acos: input must be in", ValueError),
        (lambda: Value(0.5, label="x").acosh(), "acosh", ValueError),
        (lambda: Value(-1.0, label="x").atanh(), "atanh", ValueError),
        (lambda: Value(-1.0, label="x").sqrt(), "sqrt: input must be >= 0", ValueError),
        (lambda: Value(-1.0, label="x").log1p(), "log1p", ValueError),
        (lambda: Value(0.0, label="x").reciprocal(), "reciprocal: division by zero", ValueError),
        (lambda: Value(-8.0, label="x") ** 0.5, r"\*\*", ValueError),
        (lambda: Value(-2.0, label="x") ** Value(2.0), r"\*\*", ValueError),
    ],
)
def test_domain_errors_name_the_op_value_and_label(make, op, kind):
    with pytest.raises(kind, match=op) as info:
        make()
    message = str(info.value)
    assert "'x'" in message
    assert any(s in message for s in ("0.0", "-2.5", "-8.0", "-2.0", "800.0", "1e+200", "2.0", "0.5", "-1.0"))


@pytest.mark.parametrize(
    "make, x, value, grad",
    [
        (lambda x: x.sinh(), 800.0, math.inf, math.inf),
        (lambda x: x.sinh(), -800.0, -math.inf, math.inf),
        (lambda x: x.cosh(), -800.0, math.inf, -math.inf),
        (lambda x: x.exp(), 800.0, math.inf, math.inf),
        (lambda x: x**2, -1e200, math.inf, -2e200),
        (lambda x: x**3, -1e200, -math.inf, math.inf),
        (lambda x: x**-1, 1e-300, 1e300, -math.inf),  # a finite value whose slope overflows
        (lambda x: x * x, 1e200, math.inf, 2e200),
    ],
)
def test_overflow_is_an_infinity_as_in_ieee_and_pytorch(make, x, value, grad):
    """One policy: a value or a derivative out of float range is ±inf (anomaly mode catches it), never an error."""
    leaf = Value(x)
    y = make(leaf)
    y.backward()
    assert (y.data, leaf.grad) == (pytest.approx(value, rel=1e-15), grad)


def test_pow_edge_cases_follow_pytorch():
    x = Value(0.0)
    (x**2).backward()
    assert x.grad == 0.0
    y = Value(0.0)
    (y**0.5).backward()
    assert y.grad == math.inf
    z = Value(-2.0)
    (z**3).backward()  # negative base, integer power: fine
    assert z.grad == 12.0


# ---- deep graphs, repr ----


def test_million_node_chain():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y * 1.0
    y.backward()
    assert x.grad == 1.0
    y.zero_grad()
    assert x.grad == 0.0


def test_repr_is_readable():
    assert repr(Value(3.0)) == "Value(data=3.0, grad=0.0)"
    assert repr(Value(-2.0, label="c")) == "Value(data=-2.0, grad=0.0, label='c')"


# ---- random graphs ----


@settings(max_examples=150, deadline=None)
@given(expressions(st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=4), max_ops=12))
def test_random_graphs_against_finite_differences(expr):
    assert_grads_match(expr, expr.inputs, tol=1e-4)


@settings(max_examples=150, deadline=None)
@given(random_programs(max_size=12), st.lists(st.floats(-1.5, 1.5), min_size=1, max_size=4))
def test_random_graphs_against_torch_float64(program, xs):
    """Random graphs over every op of the table, in chaingrad (as a user calls each op) and in torch."""
    torch = pytest.importorskip("torch")
    sides: dict[str, list[object]] = {"torch": [], "ours": []}

    def side(engine, op, operands):
        # where the two sigmoids round an operand to different sides of a kink (or onto one), the
        # derivatives differ by the jump and neither engine is wrong
        if op.kink is not None:
            sides[engine].append(op.kink(*[float(x) for x in operands], *op.params))

    def torch_call(op, *a):
        side("torch", op, [x.item() for x in a])
        return torch_function(torch, op)(*a, *op.params)

    def our_call(op, *a):
        side("ours", op, [x.data for x in a])
        return user_call(op)(*a)

    ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    out_t = build(program, ts, torch_call, torch.sigmoid)
    out_t.backward()
    vs = [Value(x) for x in xs]
    out = build(program, vs, our_call, lambda v: v.sigmoid())
    out.backward()
    assume(sides["torch"] == sides["ours"])
    assert out.data == pytest.approx(out_t.item(), rel=1e-12, abs=1e-12)
    for v, t in zip(vs, ts):
        expected = t.grad.item() if t.grad is not None else 0.0
        # NaN where both engines take it: hypot at the origin (an operand in the middle of [-2, 2] is a kink's)
        assert v.grad == pytest.approx(expected, rel=1e-9, abs=1e-12, nan_ok=True)


def test_no_global_tape_memory_returns_after_del():
    """Nothing keeps a graph alive once the user drops it: after `del loss` no node is left, and memory
    is where it was. (CPython keeps freed small tuples, e.g. a dot node's operands, in a free list that
    only a full collection empties: so the memory is read after gc.collect().)"""
    import gc
    import tracemalloc

    import nn

    model = nn.MLP(2, [8, 8, 1], seed=0)
    x = [0.5, -1.0]
    ((model(x)[0] - 1.0) ** 2).backward()  # warm up: caches of bound ops, imports
    gc.collect()
    already = sum(1 for o in gc.get_objects() if type(o) is Value)  # other tests' garbage, if any
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = sum_values([(model([i * 0.01, -i * 0.02])[0] - 1.0) ** 2 for i in range(200)])
    loss.backward()
    during = tracemalloc.get_traced_memory()[0]
    nodes = sum(1 for o in gc.get_objects() if type(o) is Value)
    del loss
    left = sum(1 for o in gc.get_objects() if type(o) is Value)
    gc.collect()
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert during - before > 100_000 and nodes > 1000  # the graph was there
    assert left <= already  # freed by reference counting at `del`, not by the collector
    assert after - before < 5_000, (before, during, after)


def test_numbers_in_expressions_become_constants_and_values_you_make_stay_variables():
    import nn
    from autograd import Constant, relu, sum_values
    from autograd.engine import topological_order

    b = Value(1.0, label="b")
    d = 2 * b
    e = b - 0.5
    assert [type(c) for c in d.children] == [Constant, Value] and type(e.children[1]) is Constant
    assert d.children[0].is_constant and not b.is_constant and not Value(3.0).is_constant
    assert type(relu(-1.0).children[0]) is Constant and sum_values([]).is_constant
    # nn's data inputs are constants: the model's pictures write them as numbers
    out = nn.Neuron(2, seed=0)([1.0, 2.0])
    inputs = [v for v in topological_order(out) if v.is_leaf and not v.is_parameter]
    assert len(inputs) == 2 and all(v.is_constant for v in inputs)
    # backward() treats a constant like any leaf (skipping it would cost every edge a test)
    d.backward()
    assert b.grad == 2.0 and d.children[0].grad == 1.0


def test_division_derivatives_stay_in_float_range_where_the_true_value_does():
    a, b = Value(1e300), Value(1e200)
    (a / b).backward()
    assert (a.grad, b.grad) == (pytest.approx(1e-200, rel=1e-15), pytest.approx(-1e-100, rel=1e-15))  # torch too
    x = Value(1.0)
    y = x / 1e-170  # b*b underflowed to 0 here, and the derivative raised ZeroDivisionError
    y.backward()
    assert y.data == pytest.approx(1e170, rel=1e-15) and x.grad == pytest.approx(1e170, rel=1e-15)
    x = Value(1e-200)
    y = 1 / x
    y.backward()
    assert y.data == pytest.approx(1e200, rel=1e-15) and x.grad == -math.inf  # -1e400: out of float range
    a, b = Value(1e-200), Value(1e-200)
    a.atan2(b).backward()  # the pole's convention (0, 0) was taken here, silently
    assert (a.grad, b.grad) == (pytest.approx(5e199, rel=1e-15), pytest.approx(-5e199, rel=1e-15))
    for method in ("log", "log2", "log10"):
        x = Value(1e-170)
        getattr(x, method)().backward(create_graph=True)
        first = x.grad
        x.grad = 0.0
        first.backward()
        assert x.grad == -math.inf  # -1/x² (over ln 2 or ln 10) is out of float range: no ZeroDivisionError


def test_comparisons_with_numpy_numbers_return_python_bools():
    np = pytest.importorskip("numpy", reason="numpy is not installed: numpy's numbers are checked only where it is")
    v = Value(3)
    results = [v < np.float64(4), v <= np.int64(3), v > np.float32(2.5), v >= np.float64(4), np.float64(4) > v]
    assert results == [True, True, True, False, True] and all(type(r) is bool for r in results)
    assert max([Value(1.0), v, Value(2.0)]) is v and max(v, np.float64(5)) == 5


@pytest.mark.parametrize("other", ["4", None, True, [4.0]])
def test_comparisons_with_what_is_not_a_real_number_raise_type_error(other):
    with pytest.raises(TypeError, match=r"not supported between instances of 'Value' and"):
        _ = Value(3.0) < other
