"""Optimizers and clipping against hand computations and (if installed) torch."""

import math
import re

import pytest

import nn
from autograd import Value


def params_with_grads(datas, grads):
    ps = [nn.Parameter(d) for d in datas]
    for p, g in zip(ps, grads):
        p.grad = g
    return ps


def test_sgd_step_by_hand():
    ps = params_with_grads([1.0, -2.0], [0.5, -4.0])
    nn.SGD(ps, lr=0.1).step()
    assert [p.data for p in ps] == pytest.approx([0.95, -1.6], abs=1e-15)


def test_sgd_momentum_two_steps_by_hand():
    p = nn.Parameter(1.0)
    opt = nn.SGD([p], lr=0.1, momentum=0.9)
    p.grad = 1.0
    opt.step()  # v = 1, p = 0.9
    p.grad = 2.0
    opt.step()  # v = 0.9 + 2 = 2.9, p = 0.9 - 0.29
    assert p.data == pytest.approx(0.61, abs=1e-15)


def test_adam_two_steps_by_hand():
    p = nn.Parameter(1.0)
    opt = nn.Adam([p], lr=0.1)
    p.grad = 2.0
    opt.step()
    # m = 0.2, v = 0.004; m_hat = 2, v_hat = 4: step = 0.1 * 2 / (2 + 1e-8)
    assert p.data == pytest.approx(1.0 - 0.1 * 2 / (2 + 1e-8), abs=1e-15)
    p.grad = -1.0
    opt.step()
    m = 0.9 * 0.2 + 0.1 * -1.0
    v = 0.999 * 0.004 + 0.001 * 1.0
    expected = 1.0 - 0.1 * 2 / (2 + 1e-8) - 0.1 * (m / (1 - 0.81)) / (math.sqrt(v / (1 - 0.999**2)) + 1e-8)
    assert p.data == pytest.approx(expected, abs=1e-14)


def test_adagrad_two_steps_by_hand():
    p = nn.Parameter(0.0)
    opt = nn.Adagrad([p], lr=0.5)
    p.grad = 3.0
    opt.step()  # s = 9: p = -0.5 * 3 / 3
    p.grad = 4.0
    opt.step()  # s = 25: p -= 0.5 * 4 / 5
    assert p.data == pytest.approx(-0.5 - 0.4, abs=1e-9)


def test_optimizers_match_torch_on_a_small_problem():
    torch = pytest.importorskip("torch")
    cases = [
        (lambda ps: nn.SGD(ps, lr=0.05, momentum=0.8), lambda ts: torch.optim.SGD(ts, lr=0.05, momentum=0.8)),
        (lambda ps: nn.Adam(ps, lr=0.05), lambda ts: torch.optim.Adam(ts, lr=0.05)),
        (lambda ps: nn.Adagrad(ps, lr=0.05), lambda ts: torch.optim.Adagrad(ts, lr=0.05)),
    ]
    for ours, theirs in cases:
        ps = [nn.Parameter(0.5), nn.Parameter(-1.5)]
        ts = [
            torch.tensor(0.5, dtype=torch.float64, requires_grad=True),
            torch.tensor(-1.5, dtype=torch.float64, requires_grad=True),
        ]
        opt, topt = ours(ps), theirs(ts)
        for _ in range(5):
            opt.zero_grad()
            ((ps[0] * ps[1] - 1.0) ** 2 + ps[0].tanh()).backward()
            opt.step()
            topt.zero_grad()
            ((ts[0] * ts[1] - 1.0) ** 2 + torch.tanh(ts[0])).backward()
            topt.step()
        assert [p.data for p in ps] == pytest.approx([t.item() for t in ts], abs=1e-12)


def test_optimizer_takes_a_module_and_zero_grad():
    m = nn.MLP(2, [2, 1], seed=0)
    opt = nn.SGD(m, lr=0.1)
    assert len(opt.params) == 9
    m([1.0, 2.0])[0].backward()
    assert any(p.grad for p in m.parameters())
    opt.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_training_reduces_loss():
    m = nn.MLP(1, [8, 1], seed=0)
    opt = nn.Adam(m.parameters(), lr=0.05)
    data = [(x / 10, math.sin(x / 10 * 3)) for x in range(-10, 11, 2)]

    def loss():
        return nn.mse_loss([m([x])[0] for x, _ in data], [y for _, y in data])

    first = loss().data
    for _ in range(200):
        opt.zero_grad()
        loss().backward()
        opt.step()
    assert loss().data < first / 5


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: nn.SGD([], lr=0.1), ValueError, "empty"),
        (lambda: nn.SGD([Value(1.0)], lr=-1), ValueError, "lr must be a positive finite number, got -1"),
        (lambda: nn.SGD([Value(1.0)], lr=0.1, momentum=1.0), ValueError, "momentum must be in"),
        (lambda: nn.SGD(Value(1.0), lr=0.1), TypeError, "single Value"),
        (lambda: nn.SGD([1.0], lr=0.1), TypeError, "got 1.0"),
        (lambda: nn.Adam([Value(1.0)], betas=(0.9, 1.0)), ValueError, r"\(0.9, 1.0\)"),
        (lambda: nn.Adagrad([Value(1.0)], lr=math.nan), ValueError, "nan"),
        (lambda: nn.clip_grad_norm([Value(1.0)], 0), ValueError, "got 0"),
    ],
)
def test_optimizer_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_clip_grad_value():
    ps = params_with_grads([0.0] * 3, [-7.0, 0.5, 3.0])
    nn.clip_grad_value(ps, 1.0)
    assert [p.grad for p in ps] == [-1.0, 0.5, 1.0]


def test_clip_grad_norm():
    ps = params_with_grads([0.0] * 2, [3.0, 4.0])
    assert nn.clip_grad_norm(ps, 10.0) == 5.0 and [p.grad for p in ps] == [3.0, 4.0]
    assert nn.clip_grad_norm(ps, 2.5) == 5.0
    assert [p.grad for p in ps] == pytest.approx([1.5, 2.0], abs=1e-15)


def test_batch_averaged_gradient_is_the_mean_of_per_example_gradients():
    m = nn.MLP(2, [3, 1], seed=1)
    batch = [([0.1, 0.2], 1.0), ([-0.5, 0.3], -1.0), ([0.9, -0.4], 0.5)]
    per_example = []
    for x, y in batch:
        m.zero_grad()
        nn.mse_loss(m(x), [y]).backward()
        per_example.append([p.grad for p in m.parameters()])
    m.zero_grad()
    nn.mse_loss([m(x)[0] for x, _ in batch], [y for _, y in batch]).backward()
    mean = [sum(col) / len(batch) for col in zip(*per_example)]
    assert [p.grad for p in m.parameters()] == pytest.approx(mean, abs=1e-14)


# ---- hardening: huge, non-finite and Value gradients ----

OPTIMIZERS = [
    lambda ps, **kw: nn.SGD(ps, lr=0.1, **kw),
    lambda ps, **kw: nn.SGD(ps, lr=0.1, momentum=0.9, **kw),
    lambda ps, **kw: nn.Adam(ps, lr=0.1, **kw),
    lambda ps, **kw: nn.Adagrad(ps, lr=0.1, **kw),
]


@pytest.mark.parametrize("g", [1e160, 1.3e154, 1e300, 5e-320])
def test_clip_grad_norm_with_huge_or_tiny_finite_grads(g):
    ps = params_with_grads([0.0] * 2, [g, -g])
    norm = nn.clip_grad_norm(ps, 1.0)
    assert norm == pytest.approx(g * math.sqrt(2), rel=1e-15)
    expected = 1 / math.sqrt(2) if norm > 1.0 else g
    assert [p.grad for p in ps] == pytest.approx([expected, -expected], rel=1e-15)


def test_clip_grad_norm_beyond_float_range_still_clips():
    ps = params_with_grads([0.0] * 4, [1.7e308] * 4)
    assert nn.clip_grad_norm(ps, 2.0) == math.inf
    assert [p.grad for p in ps] == pytest.approx([1.0] * 4, rel=1e-15)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_clip_grad_norm_non_finite_names_the_parameter_and_changes_nothing(bad):
    m = nn.MLP(1, [1], seed=0)
    for p in m.parameters():
        p.grad = 5.0
    m.layers[0].neurons[0].b.grad = bad
    with pytest.raises(nn.NonFiniteGradientError, match=rf"'layers.0.neurons.0.b' is {bad!r}.*detect_anomaly"):
        nn.clip_grad_norm(m, 1.0)
    assert next(p.grad for p in m.parameters()) == 5.0
    norm = nn.clip_grad_norm(m, 1.0, error_if_nonfinite=False)  # the caller opts out: the norm, grads as they are
    assert repr(norm) == repr(abs(bad)) and next(p.grad for p in m.parameters()) == 5.0
    ps = params_with_grads([0.0] * 3, [1.3e154, 1.3e154, bad])  # squares that overflow a sum, and bad
    assert repr(nn.clip_grad_norm(ps, 1.0, error_if_nonfinite=False)) == repr(abs(bad))
    with pytest.raises(TypeError, match="'no'"):
        nn.clip_grad_norm(m, 1.0, error_if_nonfinite="no")


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_step_after_create_graph_keeps_data_a_float(make):
    p = nn.Parameter(0.5)
    (p * p * p).backward(create_graph=True)
    assert isinstance(p.grad, Value)
    opt = make([p])
    opt.step()
    assert type(p.data) is float and p.data < 0.5
    nn.clip_grad_norm([p], 0.1)
    nn.clip_grad_value([p], 0.01)
    assert p.grad == 0.01


@pytest.mark.parametrize("make", OPTIMIZERS)
@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_optimizers_refuse_non_finite_grads_and_change_nothing(make, bad):
    ps = params_with_grads([1.0, 2.0, 3.0], [0.5, bad, 0.25])
    ps[1].label = "w"
    opt = make(ps)
    with pytest.raises(nn.NonFiniteGradientError, match=rf"gradient of parameter 'w' is {bad!r}.*detect_anomaly"):
        opt.step()
    assert [p.data for p in ps] == [1.0, 2.0, 3.0]
    # the optimizer's state did not move either: the next good step is the first step of a fresh optimizer
    ps[1].grad = 1.0
    twin = params_with_grads([1.0, 2.0, 3.0], [0.5, 1.0, 0.25])
    opt.step()
    make(twin).step()
    assert [p.data for p in ps] == [p.data for p in twin]


@pytest.mark.parametrize("make", OPTIMIZERS)
def test_optimizers_step_on_non_finite_grads_when_told_to(make):
    ps = params_with_grads([1.0], [math.nan])
    make(ps, error_if_nonfinite=False).step()
    assert math.isnan(ps[0].data)


def test_optimizer_names_module_parameters_by_dotted_name():
    m = nn.MLP(2, [2, 1], seed=0)
    m.layers[1].neurons[0].w[1].grad = math.nan
    with pytest.raises(nn.NonFiniteGradientError, match=r"'layers\.1\.neurons\.0\.w\.1' is nan"):
        nn.Adam(m).step()


@pytest.mark.parametrize("make", [lambda ps: nn.Adam(ps, lr=0.1), lambda ps: nn.Adagrad(ps, lr=0.1)])
@pytest.mark.parametrize("g", [1e160, -1e200, 1e300])
def test_adaptive_optimizers_first_step_is_lr_even_for_huge_grads(make, g):
    ps = params_with_grads([1.0], [g])
    make(ps).step()
    assert ps[0].data == pytest.approx(1.0 - math.copysign(0.1, g), abs=1e-12)


def test_sgd_update_that_overflows_changes_nothing():
    ps = params_with_grads([0.0, 1e308], [1.0, -1e308])
    with pytest.raises(nn.NonFiniteGradientError, match=r"params\[1\].*gives inf; no parameter was changed"):
        nn.SGD(ps, lr=1.0).step()
    assert [p.data for p in ps] == [0.0, 1e308]


def test_a_diverging_demo_stops_with_the_message(monkeypatch, tmp_path, capsys):
    import demos.__main__ as runner
    import demos.sigmoid_unit

    def diverge(out_dir):
        p = nn.Parameter(1.0, label="w")
        (p * math.inf).backward()
        nn.SGD([p], lr=0.1).step()

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(demos.sigmoid_unit, "main", diverge)
    with pytest.raises(SystemExit) as exc:
        runner.main(["sigmoid_unit"])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "sigmoid_unit stopped: SGD.step: the gradient of parameter 'w' is inf" in err and "Traceback" not in err


def test_numpy_numbers_are_accepted_as_hyperparameters_and_gradients():
    np = pytest.importorskip("numpy", reason="numpy is not installed: numpy's numbers are checked only where it is")
    p = Value(1.0, label="w")
    p.grad = np.float32(0.5)
    opt = nn.Adam([p], lr=np.float64(0.1), betas=(np.float64(0.9), np.float32(0.99)), eps=np.float64(1e-8))
    assert type(opt.lr) is float and opt.lr == 0.1
    opt.step()
    assert type(p.data) is float and p.data == pytest.approx(0.9)
    sgd = nn.SGD([p], lr=np.float32(0.5), momentum=np.int64(0))
    p.grad = np.int64(1)
    sgd.step()
    assert type(p.data) is float and p.data == pytest.approx(0.4)
    assert nn.Dropout(np.float64(0.25)).p == 0.25


@pytest.mark.parametrize("bad", ["0.5", None, True, [1.0], object()])
@pytest.mark.parametrize(
    "use",
    [
        lambda ps: nn.SGD(ps, lr=0.1).step(),
        lambda ps: nn.Adam(ps, lr=0.1).step(),
        lambda ps: nn.Adagrad(ps, lr=0.1).step(),
        lambda ps: nn.clip_grad_norm(ps, 1.0),
        lambda ps: nn.clip_grad_value(ps, 1.0),
    ],
)
def test_a_gradient_that_is_not_a_number_is_refused_naming_the_parameter(bad, use):
    """A gradient of '0.5' was read as 0.5 without a word, and None gave a bare TypeError."""
    ps = params_with_grads([1.0, 2.0], [0.1, 0.2])
    ps[1].label = "b"
    ps[1].grad = bad
    with pytest.raises(
        TypeError, match=rf"the gradient of parameter 'b' must be a real number.*got {re.escape(repr(bad))}"
    ):
        use(ps)
    assert [p.data for p in ps] == [1.0, 2.0] and ps[0].grad == 0.1  # nothing changed
