"""autograd.reductions: sums, dot, logsumexp, softmax and log_softmax over lists of Values, stable for large inputs."""

import math

import pytest
from numeric import central_differences

from autograd import Value, log_softmax, logsumexp, no_grad, softmax, sum_values


def test_softmax_reference():
    # reference-values.md, section 3: printed values are truncated to 3 decimals (tolerance 1e-3),
    # and 0.74 is printed with 2 decimals (tolerance 5e-3)
    p = [v.data for v in softmax([0.6, 1.1, -1.5, 1.2, 3.2, -1.1])]
    for got, printed, tol in zip(p, [0.055, 0.090, 0.006, 0.099, 0.74, 0.010], [1e-3] * 4 + [5e-3, 1e-3]):
        assert got == pytest.approx(printed, abs=tol)
    assert [round(v, 3) for v in p] == [0.055, 0.090, 0.007, 0.100, 0.738, 0.010]
    assert math.fsum(p) == pytest.approx(1.0, abs=1e-15)


def test_stable_list_functions():
    xs = [Value(1000.0), Value(1000.0), Value(-1000.0)]
    assert logsumexp(xs).data == pytest.approx(1000 + math.log(2))
    assert [p.data for p in softmax(xs)] == pytest.approx([0.5, 0.5, 0.0])
    assert log_softmax(xs)[0].data == pytest.approx(-math.log(2))
    assert logsumexp([-math.inf, -math.inf]).data == -math.inf


def test_sum_values_equals_the_chain_to_the_last_bit():
    xs = [0.1, 0.7, -3.3, 1e-9, 2.2, 1e16, -1e16]
    chain = Value(xs[0])
    for x in xs[1:]:
        chain = chain + x
    assert sum_values([Value(x) for x in xs]).data == chain.data
    assert sum_values([]).data == 0.0


@pytest.mark.parametrize("xs", [[1.0, math.nan, math.inf], [math.nan, 1.0], [math.inf, math.nan], [1.0, 2.0, math.nan]])
def test_logsumexp_is_nan_whenever_an_operand_is_nan_whatever_the_order(xs):
    leaves = [Value(x) for x in xs]
    out = logsumexp(leaves)
    out.backward()
    assert math.isnan(out.data) and all(math.isnan(v.grad) for v in leaves)


@pytest.mark.parametrize(
    "f",
    [
        lambda x, y, z: sum_values([x, y * y, z, 1.5]),
        lambda x, y, z: logsumexp([x, y, z]),
        lambda x, y, z: softmax([x, y, z])[1] * 3 + softmax([x, y, z])[2],
        lambda x, y, z: log_softmax([x, y, z])[0],
    ],
    ids=["sum_values", "logsumexp", "softmax", "log_softmax"],
)
def test_gradients_against_finite_differences(f):
    xs = [0.3, -1.7, 2.0]
    leaves = [Value(x) for x in xs]
    f(*leaves).backward()

    def on_floats(p):
        with no_grad():
            return f(*map(Value, p)).data

    assert [v.grad for v in leaves] == pytest.approx(central_differences(on_floats, xs), rel=1e-5, abs=1e-5)
