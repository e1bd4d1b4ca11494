"""Losses against hand computations, finite differences and (if installed) torch float64."""

import math

import pytest
from numeric import central_differences

import nn
from autograd import Value


def vals(xs):
    return [Value(x) for x in xs]


def grads_fd(loss_fn, xs):
    return central_differences(lambda p: loss_fn(vals(p)).data, xs)


def grads(loss_fn, xs):
    vs = vals(xs)
    loss_fn(vs).backward()
    return [v.grad for v in vs]


def test_mse_reductions_by_hand():
    p, t = [3.0, 1.0, -2.0], [1.0, 1.0, 0.0]  # squared errors 4, 0, 4
    assert nn.mse_loss(vals(p), t).data == pytest.approx(8 / 3)
    assert nn.mse_loss(vals(p), t, reduction="sum").data == 8.0
    assert nn.mse_loss(vals(p), t, reduction="half_sum").data == 4.0
    # d/dp of 1/2 sum (p - t)^2 is p - t
    assert grads(lambda v: nn.mse_loss(v, t, reduction="half_sum"), p) == [2.0, 0.0, -2.0]


def test_bce_by_hand_and_gradient():
    p, t = [0.8, 0.3], [1.0, 0.0]
    expected = -(math.log(0.8) + math.log(0.7)) / 2
    assert nn.binary_cross_entropy(vals(p), t).data == pytest.approx(expected, abs=1e-15)
    fn = lambda v: nn.binary_cross_entropy(v, [0.7, 0.2])  # noqa: E731
    assert grads(fn, p) == pytest.approx(grads_fd(fn, p), abs=1e-7)


def test_bce_saturated_probabilities_are_finite():
    loss = nn.binary_cross_entropy(vals([1.0, 0.0]), [1.0, 1.0], reduction="sum")
    assert loss.data == pytest.approx(100.0)  # log(1) = 0, and log(0) clamped at -100


def test_bce_with_logits_equals_bce_of_sigmoid_and_is_stable():
    z, t = [-3.0, -0.5, 0.0, 0.7, 4.0], [0.0, 1.0, 1.0, 0.3, 0.0]
    p = [1 / (1 + math.exp(-zi)) for zi in z]
    hand = sum(-(ti * math.log(pi) + (1 - ti) * math.log(1 - pi)) for pi, ti in zip(p, t)) / len(z)
    assert nn.binary_cross_entropy_with_logits(vals(z), t).data == pytest.approx(hand, abs=1e-14)
    # gradient (sigmoid(z) - t) / n everywhere, including z = 0 where max(z,0) and |z| have kinks
    g = grads(lambda v: nn.binary_cross_entropy_with_logits(v, t), z)
    assert g == pytest.approx([(pi - ti) / len(z) for pi, ti in zip(p, t)], abs=1e-15)
    big = nn.binary_cross_entropy_with_logits(vals([800.0, -800.0]), [0.0, 1.0], reduction="sum")
    assert big.data == pytest.approx(1600.0)


def test_cross_entropy_by_hand_and_finite_differences():
    z = [0.6, 1.1, -1.5, 1.2, 3.2, -1.1]  # reference section 3's logits
    lse = math.log(sum(math.exp(v) for v in z))
    assert nn.cross_entropy(vals(z), 4).data == pytest.approx(lse - 3.2, abs=1e-14)
    # softmax(z)[4] = 0.738 (reference section 3), so the loss is -log(0.738) within the 3 decimals
    assert math.exp(-nn.cross_entropy(vals(z), 4).data) == pytest.approx(0.738, abs=1e-3)
    fn = lambda v: nn.cross_entropy(v, 1)  # noqa: E731
    assert grads(fn, z) == pytest.approx(grads_fd(fn, z), abs=1e-7)
    assert nn.cross_entropy(vals([1000.0, 0.0]), 1).data == pytest.approx(1000.0)


def test_hinge_by_hand():
    s, y = [0.5, -2.0, 0.2, 3.0], [1, -1, -1, 1]  # margins 0.5, 0 (relu), 1.2, 0
    assert nn.hinge_loss(vals(s), y).data == pytest.approx((0.5 + 0 + 1.2 + 0) / 4)
    assert grads(lambda v: nn.hinge_loss(v, y, reduction="sum"), s) == [-1.0, 0.0, 1.0, 0.0]


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: nn.mse_loss(vals([1.0]), [1.0, 2.0]), ValueError, "same length, got 1 and 2"),
        (lambda: nn.mse_loss(Value(1.0), [1.0]), TypeError, "pred must be a list"),
        (lambda: nn.mse_loss([], []), ValueError, "empty"),
        (lambda: nn.mse_loss(vals([1.0]), [1.0], reduction="avg"), ValueError, "'avg'"),
        (lambda: nn.binary_cross_entropy(vals([1.5]), [1.0]), ValueError, "1.5"),
        (lambda: nn.binary_cross_entropy(vals([0.5]), [2.0]), ValueError, "2.0"),
        (lambda: nn.binary_cross_entropy_with_logits(vals([0.5]), [-1]), ValueError, "-1"),
        (lambda: nn.cross_entropy(vals([1.0, 2.0]), 2), ValueError, "got 2"),
        (lambda: nn.cross_entropy(vals([1.0, 2.0]), 1.0), ValueError, "got 1.0"),
        (lambda: nn.hinge_loss(vals([1.0]), [0]), ValueError, "-1 or \\+1, got 0"),
    ],
)
def test_loss_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_losses_against_torch_float64():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    z, t = [-1.3, 0.2, 2.5, 0.0], [1.0, 0.0, 1.0, 0.4]

    def check(ours, theirs):
        vs = vals(z)
        loss = ours(vs)
        loss.backward()
        tz = torch.tensor(z, dtype=torch.float64, requires_grad=True)
        tl = theirs(tz)
        tl.backward()
        assert loss.data == pytest.approx(tl.item(), abs=1e-12)
        assert [v.grad for v in vs] == pytest.approx(tz.grad.tolist(), abs=1e-12)

    tt = torch.tensor(t, dtype=torch.float64)
    check(lambda v: nn.mse_loss(v, t), lambda x: F.mse_loss(x, tt))
    check(lambda v: nn.binary_cross_entropy_with_logits(v, t), lambda x: F.binary_cross_entropy_with_logits(x, tt))
    check(
        lambda v: nn.binary_cross_entropy([x.sigmoid() for x in v], t),
        lambda x: F.binary_cross_entropy(torch.sigmoid(x), tt),
    )
    check(lambda v: nn.cross_entropy(v, 2), lambda x: F.cross_entropy(x[None], torch.tensor([2])))
    y = [1, -1, 1, -1]
    ty = torch.tensor(y, dtype=torch.float64)
    check(lambda v: nn.hinge_loss(v, y), lambda x: torch.relu(1 - ty * x).mean())
