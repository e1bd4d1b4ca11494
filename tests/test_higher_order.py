"""Higher-order gradients: the op table's rules run on Values agree with every op's float local derivatives,
backward(create_graph=True) leaves differentiable .grad Values, and second derivatives are right."""

import math

import pytest
from hypothesis import given, settings
from op_cases import CASES, arity, case_id, user_call

from autograd import Value, grad, gradgradcheck, logsumexp, no_grad
from autograd.engine import local_values
from autograd.testing import expressions

# Points where a rule takes a branch that the ops' sample points and kinks do not reach.
EDGES = {
    "**0.5 at 0": lambda: Value(0.0) ** 0.5,
    "**3 at 0": lambda: Value(0.0) ** 3,
    "** at base 0": lambda: Value(0.0) ** Value(2.5),
    "logsumexp inf": lambda: logsumexp([Value(math.inf), Value(1.0)]),
}


def assert_rule_agrees(node):
    rule = [d.data if isinstance(d, Value) else d for d in local_values(node)]
    assert rule == pytest.approx(list(node.local_grads), rel=1e-14, abs=1e-300, nan_ok=True), node


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_rule_agrees_with_the_forward_pass(op):
    """Every op of the table, at its sample points and its kinks (hypot's pole at the origin: NaN both ways)."""
    for xs in op.sample_points() + [list(p) for p in op.kink_points if len(p) == arity(op)]:
        assert_rule_agrees(user_call(op)(*[Value(x) for x in xs]))


@pytest.mark.parametrize("name", sorted(EDGES))
def test_rule_agrees_with_the_forward_pass_at_the_edges(name):
    assert_rule_agrees(EDGES[name]())


def test_second_derivative_of_tanh_via_backward():
    # the example: d2/dx2 tanh(x) at 0.5 = -2 tanh(0.5)(1 - tanh(0.5)^2)
    x = Value(0.5)
    x.tanh().backward(create_graph=True)
    g = x.grad
    assert isinstance(g, Value)
    t = math.tanh(0.5)
    assert g.data == pytest.approx(1 - t * t, rel=1e-15)
    x.zero_grad()
    g.backward()
    assert x.grad == pytest.approx(-2 * t * (1 - t * t), rel=1e-12)


def test_create_graph_leaves_values_on_every_node_and_accumulates():
    a, b = Value(3.0), Value(-2.0)
    e = a * b
    L = e * e  # (ab)^2: dL/da = 2 a b^2
    L.backward(create_graph=True)
    assert all(isinstance(v.grad, Value) for v in (a, b, e, L))
    assert (a.grad.data, b.grad.data, e.grad.data, L.grad.data) == (24.0, -36.0, -12.0, 1.0)
    L.backward(create_graph=True)  # accumulates, as the float path does
    assert a.grad.data == 48.0
    # second derivative d2L/da2 = 2 b^2 = 8, twice because of the accumulation
    grad_a = a.grad
    for v in (a, b):
        v.grad = 0.0
    grad_a.backward()
    assert a.grad == 16.0


def test_create_graph_adds_to_an_earlier_float_grad():
    x = Value(2.0)
    (x * x).backward()
    (x * x).backward(create_graph=True)
    assert isinstance(x.grad, Value) and x.grad.data == 8.0


def test_create_graph_argument_is_checked():
    with pytest.raises(TypeError, match=r"^backward\(create_graph=...\) must be True or False, got 1$"):
        (Value(1.0) * 2).backward(create_graph=1)


def test_create_graph_under_no_grad_gives_constants():
    x = Value(2.0)
    y = x * x * x
    with no_grad():
        y.backward(create_graph=True)
    assert x.grad.data == 12.0 and x.grad.is_leaf


def test_plain_backward_is_unchanged():
    # the float path still gives floats (and is the one the engine benchmark measures)
    x = Value(0.5)
    x.tanh().backward()
    assert type(x.grad) is float and x.grad == 1 - math.tanh(0.5) ** 2


@settings(max_examples=100, deadline=None)
@given(expressions(2, max_ops=6))
def test_random_graphs_second_derivatives(expr):
    assert gradgradcheck(expr, expr.inputs)


def test_hessian_against_torch_float64():
    torch = pytest.importorskip("torch")
    xs = [0.4, -1.3, 0.8]

    def f(x, y, z, lib):
        if lib == "torch":
            return torch.tanh(x * y) * torch.exp(z) + torch.sigmoid(y / z) ** 2 + torch.log(x * x + 1)
        return (x * y).tanh() * z.exp() + (y / z).sigmoid() ** 2 + (x * x + 1).log()

    t = torch.tensor(xs, dtype=torch.float64)
    H_torch = torch.autograd.functional.hessian(lambda v: f(v[0], v[1], v[2], "torch"), t)
    leaves = [Value(x) for x in xs]
    out = f(*leaves, "chaingrad")
    out.backward(create_graph=True)
    firsts = [leaf.grad for leaf in leaves]
    for i, g in enumerate(firsts):
        for leaf in leaves:
            leaf.grad = 0.0
        g.backward()
        for j, leaf in enumerate(leaves):
            assert leaf.grad == pytest.approx(H_torch[i, j].item(), rel=1e-10, abs=1e-12)


@pytest.mark.parametrize(
    "f, x, expected",
    [
        (lambda x: x.sin(), math.nan, math.nan),
        (lambda x: x.exp(), math.inf, math.inf),
        (lambda x: x.square(), 1e308, 2.0),  # the first derivative overflows to inf, the second is finite
        (lambda x: x.sqrt(), 0.0, -math.inf),
        (lambda x: x**0.5, 0.0, -math.inf),
        (lambda x: x.asin(), 1.0, math.inf),
        (lambda x: x.asin(), -1.0, -math.inf),
        (lambda x: x.log(), 5e-324, -math.inf),
        (lambda x: x.log2(), 1e-170, -math.inf),  # -1/(x² ln 2) is out of float range
        (lambda x: x.log10(), 1e-150, -1.0 / (1e-150 * 1e-150 * math.log(10.0))),
    ],
)
def test_second_derivatives_where_the_first_is_not_finite_follow_ieee_as_torch(f, x, expected):
    """A first local derivative that is ±inf or NaN is not a constant: its own derivative is ±inf or NaN (or
    finite), as PyTorch computes it, by both paths (grad of grad, and backward(create_graph=True))."""
    second = grad(grad(f))(x)
    v = Value(x)
    f(v).backward(create_graph=True)
    first = v.grad
    v.grad = 0.0
    first.backward()
    for got in (second, v.grad):
        assert got == expected or (math.isnan(got) and math.isnan(expected)), (got, expected)


@pytest.mark.parametrize("b", [1.0, 2.0, 3.0, 0.0])
def test_derivatives_of_a_to_a_value_power_at_base_zero_are_exact(b):
    """d^k/da^k a ** Value(b) at a = 0 is b (b-1) ... (b-k+1) 0^(b-k): 1, 0, 0, 0 for b = 1. The second
    derivative of a ** Value(1.0) raised ValueError; after the IEEE policy it was right eagerly but NaN with
    Values all the way (b 0^(b-1) at b = 0 was 0 * inf)."""

    def f(a):
        return a ** Value(b)

    expected = [math.prod(b - i for i in range(k)) * (1.0 if k == b else 0.0) for k in range(1, 5)]
    g, got = f, []
    for _ in range(4):
        g = grad(g)
        got.append(g(0.0))
    assert got == expected
    g = grad(grad(f))(Value(0.0))  # called with a Value: the second derivative as a Value with a graph
    assert isinstance(g, Value) and g.data == expected[1]
    a = Value(0.0)
    f(a).backward(create_graph=True)
    first = a.grad
    a.grad = 0.0
    first.backward(create_graph=True)
    assert float(a.grad) == expected[1]  # a float when no path leads back to a (b = 0: a constant)
