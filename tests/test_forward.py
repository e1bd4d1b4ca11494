"""Forward mode: Dual numbers and jvp, by hand, against reverse mode on random graphs, and their errors."""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Dual, Value, jvp, value_and_grad
from autograd.forward import dual_logsumexp, dual_sum
from autograd.testing import expressions


def test_notes_example_x_times_x():
    # the notes (reference-values.md section 8): (y, dy) = (x*x, 2*x*dx)
    x = Dual(3.0, 0.5)
    y = x * x
    assert (y.value, y.tangent) == (9.0, 2 * 3.0 * 0.5)


@pytest.mark.parametrize(
    "f, df, x",
    [
        (lambda x: x.exp(), math.exp, 0.7),
        (lambda x: x.log(), lambda x: 1 / x, 0.7),
        (lambda x: x.tanh(), lambda x: 1 - math.tanh(x) ** 2, 0.7),
        (lambda x: x.sigmoid(), lambda x: math.exp(-x) / (1 + math.exp(-x)) ** 2, -0.7),
        (lambda x: x.relu(), lambda x: 1.0, 0.7),
        (lambda x: x.relu(), lambda x: 0.0, -0.7),
        (lambda x: abs(x), lambda x: -1.0, -0.7),
        (lambda x: x**3, lambda x: 3 * x * x, -0.7),
        (lambda x: x**0.5, lambda x: 0.5 / math.sqrt(x), 0.7),
        (lambda x: 2**x, lambda x: math.log(2) * 2**x, 0.7),
        (lambda x: x**x, lambda x: x**x * (math.log(x) + 1), 0.7),
        (lambda x: 1 / x, lambda x: -1 / x**2, 0.7),
        (lambda x: 3 - x / 2, lambda x: -0.5, 0.7),
        (lambda x: -x + 1, lambda x: -1.0, 0.7),
    ],
)
def test_each_op_by_hand(f, df, x):
    _value, tangent = jvp(f, [x], [1.0])
    assert tangent == pytest.approx(df(x), rel=1e-12)
    with pytest.raises(TypeError):  # no Value is involved: f really got Duals
        Value(1.0) + Dual(x)


def test_sum_and_logsumexp():
    s = dual_sum([Dual(1.0, 1.0), 2.0, Dual(3.0, -4.0)])
    assert (s.value, s.tangent) == (6.0, -3.0)
    xs = [0.6, 1.1, -1.5]
    t = [1.0, 0.0, 2.0]
    lse = dual_logsumexp([Dual(x, ti) for x, ti in zip(xs, t)])
    z = sum(math.exp(x) for x in xs)
    assert lse.value == pytest.approx(math.log(z))
    assert lse.tangent == pytest.approx(sum(math.exp(x) / z * ti for x, ti in zip(xs, t)))


def test_softmax_reference_through_logsumexp():
    # reference-values.md section 3: softmax([0.6, 1.1, -1.5, 1.2, 3.2, -1.1])[4] = 0.738 (rounded);
    # d lse / dz_4 is softmax_4, the tangent along e_4
    z = [0.6, 1.1, -1.5, 1.2, 3.2, -1.1]
    lse = dual_logsumexp([Dual(x, 1.0 if i == 4 else 0.0) for i, x in enumerate(z)])
    assert lse.tangent == pytest.approx(0.738, abs=5e-4)


def test_jvp_is_a_directional_derivative():
    # f = x y^2 at (2, 3) along (1, -1): y^2 - 2 x y = 9 - 12
    assert jvp(lambda x, y: x * y * y, [2.0, 3.0], [1.0, -1.0]) == (18.0, -3.0)


@settings(max_examples=200, deadline=None)
@given(expressions(3, max_ops=8), st.lists(st.floats(-2, 2), min_size=3, max_size=3))
def test_forward_mode_agrees_with_reverse_mode_on_random_graphs(expr, tangents):
    value, directional = jvp(expr, expr.inputs, tangents)
    value_r, grads = value_and_grad(expr, argnums=(0, 1, 2))(*expr.inputs)
    assert value == pytest.approx(value_r, rel=1e-12, abs=1e-12)
    expected = math.fsum(g * t for g, t in zip(grads, tangents))
    scale = math.fsum(abs(g * t) for g, t in zip(grads, tangents))
    assert abs(directional - expected) <= 1e-10 * (1 + scale)


def test_domain_errors_match_the_engine():
    """Forward mode raises the engine's own error (from the op table), naming the Dual."""
    with pytest.raises(ValueError, match=r"^log: input must be positive, got Dual\(value=-1.0, tangent=1.0\)$"):
        Dual(-1.0, 1.0).log()
    with pytest.raises(ValueError, match=r"^\*\*-1: 0 to a negative power is undefined"):
        Dual(0.0) ** -1
    with pytest.raises(ValueError, match=r"^\*\*0.5: a negative base to a non-integer power is not real"):
        Dual(-2.0) ** 0.5
    with pytest.raises(ValueError, match=r"^\*\*: with a Value exponent the base must be positive"):
        Dual(-2.0) ** Dual(2.0)
    # out of float range: an infinity, as in reverse mode (IEEE 754, PyTorch)
    assert repr(Dual(1000.0, 1.0).exp()) == repr(Dual(math.inf, math.inf))
    assert repr(Dual(-1e200, 1.0) ** 3) == repr(Dual(-math.inf, math.inf))


def test_type_errors():
    with pytest.raises(TypeError, match=r"^Dual value must be a real number \(int or float\), got 'a' of type str$"):
        Dual("a")
    with pytest.raises(TypeError, match=r"^Dual tangent must be a real number \(int or float\), got True"):
        Dual(1.0, True)
    with pytest.raises(TypeError, match=r"^the operand of '\*' \(a Dual or a real number\) must be a real number"):
        Dual(1.0) * "x"
    with pytest.raises(TypeError, match=r"^jvp: f must be callable, got 1$"):
        jvp(1, [1.0], [1.0])
    with pytest.raises(
        ValueError,
        match=r"^jvp: primals and tangents must have the same length, got 2 primals "
        r"\[1.0, 2.0\] and 1 tangents \[1.0\]$",
    ):
        jvp(lambda x, y: x, [1.0, 2.0], [1.0])
    with pytest.raises(TypeError, match=r"^jvp: tangents\[0\] must be a real number \(int or float\), got None"):
        jvp(lambda x: x, [1.0], [None])
    with pytest.raises(
        TypeError,
        match=r"^jvp: f must return a Dual \(a scalar built from its arguments\), "
        r"got 1.0 of type float$",
    ):
        jvp(lambda x: x.value, [1.0], [1.0])


def test_kink_conventions_match_the_engine():
    # relu'(0) = abs'(0) = 0 in both modes; sqrt'(0) = inf in both
    for f in (lambda x: x.relu(), lambda x: abs(x)):
        assert jvp(f, [0.0], [1.0])[1] == value_and_grad(f)(0.0)[1] == 0.0
    assert jvp(lambda x: x**0.5, [0.0], [1.0])[1] == value_and_grad(lambda x: x**0.5)(0.0)[1] == math.inf
