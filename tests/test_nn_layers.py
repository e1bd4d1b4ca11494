"""Neuron, Layer, MLP, Dropout and Embedding: hand math, finite differences, seeds."""

import math
import random
import statistics

import pytest

import nn
from autograd import Value
from nn import init


def finite_difference(f, params, h=1e-6):
    """Central differences of the scalar f() with respect to each parameter's data."""
    grads = []
    for p in params:
        old = p.data
        p.data = old + h
        up = f().data
        p.data = old - h
        down = f().data
        p.data = old
        grads.append((up - down) / (2 * h))
    return grads


@pytest.mark.parametrize(
    "activation, fn",
    [
        ("tanh", math.tanh),
        ("relu", lambda z: max(z, 0.0)),
        ("sigmoid", lambda z: 1 / (1 + math.exp(-z))),
        ("linear", lambda z: z),
    ],
)
def test_neuron_computes_activation_of_weighted_sum(activation, fn):
    n = nn.Neuron(3, activation=activation, seed=0)
    n.load_state_dict({"w.0": 0.5, "w.1": -1.0, "w.2": 2.0, "b": 0.25})
    x = [1.0, 2.0, 0.5]
    z = 0.5 * 1.0 - 1.0 * 2.0 + 2.0 * 0.5 + 0.25  # -0.25 by hand
    assert n(x).data == pytest.approx(fn(z), abs=1e-15)
    assert n([Value(v) for v in x]).data == pytest.approx(fn(z), abs=1e-15)


def test_neuron_weighted_sum_is_one_node_and_the_expanded_form_agrees():
    n = nn.Neuron(4, activation="tanh", seed=0)
    out = n([1.0, 2.0, 3.0, 4.0])
    assert out.op == "tanh" and out.children[0].op == "dot" and len(out.children[0].children) == 9
    expanded = nn.Neuron(4, activation="tanh", seed=0, fused=False)
    out2 = expanded([1.0, 2.0, 3.0, 4.0])
    assert out2.children[0].op == "sum" and len(out2.children[0].children) == 5
    assert out2.data == pytest.approx(out.data, rel=1e-15)


def test_neuron_with_a_weight_replaced_by_a_number_treats_it_as_a_constant():
    n = nn.Neuron(2, activation="linear", seed=0)
    n.w[1] = 3.0  # a number: the fused path cannot take it, dot() makes it a constant
    x = [Value(2.0), Value(-1.0)]
    out = n(x)
    out.backward()
    assert out.op == "dot" and out.data == n.w[0].data * 2.0 + 3.0 * -1.0 + n.b.data
    assert (n.w[0].grad, x[1].grad, n.b.grad) == (2.0, 3.0, 1.0)


def test_fused_and_expanded_mlps_give_the_same_gradients():
    fused = nn.MLP(3, [5, 4, 1], activation="relu", seed=3)
    expanded = nn.MLP(3, [5, 4, 1], activation="relu", seed=3, fused=False)
    assert "fused=False" in repr(expanded) and "fused" not in repr(fused)
    for m in (fused, expanded):
        for x, y in (([0.3, -1.2, 0.7], 1.0), ([1.5, 0.2, -0.4], -1.0)):
            ((m(x)[0] - y) ** 2).backward()
    for p, q in zip(fused.parameters(), expanded.parameters()):
        assert p.grad == pytest.approx(q.grad, rel=1e-12, abs=1e-15)


def test_mlp_gradients_match_finite_differences():
    m = nn.MLP(3, [4, 3, 2], activation="tanh", out_activation="sigmoid", seed=5)
    x = [0.3, -1.2, 0.7]

    def loss():
        out = m(x)
        return out[0] * 2.0 + out[1] * out[1]

    L = loss()
    m.zero_grad()
    L.backward()
    analytic = [p.grad for p in m.parameters()]
    assert analytic == pytest.approx(finite_difference(loss, m.parameters()), abs=1e-7)


def test_return_types_do_not_depend_on_sizes():
    assert isinstance(nn.Layer(2, 1, seed=0)([1.0, 2.0]), list)
    out = nn.MLP(2, [3, 1], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 1 and isinstance(out[0], Value)


def test_mlp_337_parameters_and_reprs():
    m = nn.MLP(2, [16, 16, 1], activation="relu")
    assert len(m.parameters()) == 337
    assert repr(m) == "MLP(2, [16, 16, 1], activation='relu', out_activation='linear')"
    assert repr(m.layers[0]) == "Layer(2, 16, activation='relu')"
    assert repr(m.layers[0].neurons[0]) == "Neuron(2, activation='relu')"
    assert repr(nn.Dropout(0.25)) == "Dropout(p=0.25)" and repr(nn.Embedding(5, 3)) == "Embedding(5, 3)"


def test_seed_and_rng_reproduce_weights():
    a = nn.MLP(3, [5, 2], seed=42).state_dict()
    assert nn.MLP(3, [5, 2], seed=42).state_dict() == a
    assert nn.MLP(3, [5, 2], rng=random.Random(42)).state_dict() == a
    assert nn.MLP(3, [5, 2], seed=43).state_dict() != a
    # no seed: drawn from the OS, so two models differ
    assert nn.MLP(3, [5, 2]).state_dict() != nn.MLP(3, [5, 2]).state_dict()


@pytest.mark.parametrize(
    "make, match",
    [
        (lambda: nn.Neuron(0), "nin must be a positive int, got 0"),
        (lambda: nn.Neuron(2, activation="softmax"), "'softmax'"),
        (lambda: nn.Neuron(2, activation="sin"), "'sin'"),
        (lambda: nn.Layer(2, 2.0), "nout must be a positive int, got 2.0"),
        (lambda: nn.MLP(2, []), r"\[\]"),
        (lambda: nn.MLP(2, 3), "got 3"),
        (lambda: nn.MLP(2, [3, -1]), "got -1"),
        (lambda: nn.MLP(2, [3], out_activation="soft"), "out_activation.*'soft'"),
        (lambda: nn.Neuron(2, init="glorot"), "'glorot'"),
        (lambda: nn.Neuron(2, seed=1, rng=random.Random(1)), "not both"),
        (lambda: nn.Neuron(2, seed="1"), "'1'"),
        (lambda: nn.Dropout(1.5), "1.5"),
        (lambda: nn.Embedding(0, 2), "got 0"),
    ],
)
def test_constructor_errors_quote_the_bad_value(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()


def test_call_errors():
    n = nn.Neuron(2, seed=0)
    with pytest.raises(ValueError, match=r"takes 2 inputs, got 3: \[1, 2, 3\]"):
        n([1, 2, 3])
    with pytest.raises(TypeError, match=r"got 1\.0"):
        n(1.0)
    with pytest.raises(ValueError, match="takes 2 inputs"):
        nn.MLP(2, [3, 1], seed=0)([1.0])


def test_xavier_bound_from_reference_section_8():
    rng = random.Random(0)
    a = math.sqrt(6 / (3 + 5))
    draws = [init.xavier_uniform(3, 5, rng) for _ in range(4000)]
    assert max(draws) <= a and min(draws) >= -a
    assert max(draws) > 0.95 * a and min(draws) < -0.95 * a
    # variance of U(-a, a) is a^2 / 3 = 2 / (fan_in + fan_out)
    assert statistics.pvariance(draws) == pytest.approx(2 / 8, rel=0.08)


def test_dropout_training_and_eval():
    d = nn.Dropout(0.25, seed=3)
    xs = [Value(1.0) for _ in range(4000)]
    out = d(xs)
    values = {v.data for v in out}
    assert values <= {0.0, 1 / 0.75}
    dropped = sum(v.data == 0.0 for v in out) / len(out)
    assert dropped == pytest.approx(0.25, abs=0.03)
    # gradient: 0 through a dropped unit, 1/(1-p) through a kept one
    for x, y in zip(xs[:50], out[:50]):
        y.backward()
        assert x.grad == (0.0 if y.data == 0.0 else 1 / 0.75)
    d.eval()
    assert [v.data for v in d([1.0, 2.0])] == [1.0, 2.0]
    assert all(v.data == 0.0 for v in nn.Dropout(1.0, seed=0)([1.0, 2.0, 3.0]))
    assert nn.Dropout(0.5, seed=9)([1.0] * 20)[0].data == nn.Dropout(0.5, seed=9)([1.0] * 20)[0].data


def test_embedding_rows_are_parameters_and_get_gradients():
    e = nn.Embedding(4, 3, seed=0)
    assert len(e.parameters()) == 12 and e.named_parameters()[5][0] == "weight.1.2"
    row = e(2)
    (row[0] * 2 + row[2]).backward()
    assert [p.grad for p in e.weight[2]] == [2.0, 0.0, 1.0]
    assert all(p.grad == 0.0 for r in (0, 1, 3) for p in e.weight[r])
    with pytest.raises(IndexError, match="got 4"):
        e(4)
    with pytest.raises(TypeError, match=r"1\.0"):
        e(1.0)


@pytest.mark.parametrize("bad", [{0: 5.0, 1: 7.0}, {5.0, 7.0}, "ab", b"ab", frozenset({1.0, 2.0})])
@pytest.mark.parametrize(
    "make", [lambda: nn.MLP(2, [3, 1], seed=0), lambda: nn.Layer(2, 3, seed=0), lambda: nn.Neuron(2, seed=0)]
)
def test_a_dict_a_set_or_a_string_is_not_a_list_of_inputs(make, bad):
    """model({0: 5., 1: 7.}) used the dict's keys 0 and 1 as the inputs."""
    with pytest.raises(TypeError, match=r"takes a list of 2 inputs \(Values or numbers\), got .* of type"):
        make()(bad)
    with pytest.raises(TypeError, match=r"Dropout takes a list of Values or numbers"):
        nn.Dropout(0.5)(bad)


def test_a_numpy_array_is_a_list_of_inputs():
    np = pytest.importorskip("numpy", reason="numpy is not installed: numpy's arrays are checked only where it is")
    model = nn.MLP(2, [3, 1], seed=0)
    assert model(np.array([5.0, 7.0]))[0].data == model([5.0, 7.0])[0].data
