"""nn.Module and nn.Parameter: discovery, names, modes, state dicts.
(Saving and loading: tests/test_nn_serialization.py.)"""

import math

import pytest

import nn
from autograd import Value
from nn import Module, Parameter, StateDictError


class Pair(Module):
    def __init__(self, a=1.0, b=2.0):
        self.w = [Parameter(a), Parameter(b)]
        self.note = "not a parameter"
        self.value = Value(5.0)  # a plain Value is not a parameter


class Tree(Module):
    def __init__(self):
        self.first = Pair(1.0, 2.0)
        self.nested = [(Parameter(3.0), [Parameter(4.0)]), Pair(5.0, 6.0)]
        self.bias = Parameter(7.0)
        self.drop = nn.Dropout(0.5, seed=0)


def test_parameter_is_a_value_marked_as_parameter():
    p = Parameter(1.5, label="p")
    assert isinstance(p, Value) and p.is_parameter and not Value(1.0).is_parameter
    assert (p * 2).data == 3.0 and not hasattr(p, "__dict__")


def test_named_parameters_in_definition_order_with_dotted_names():
    t = Tree()
    names = [n for n, _ in t.named_parameters()]
    assert names == ["first.w.0", "first.w.1", "nested.0.0", "nested.0.1.0", "nested.1.w.0", "nested.1.w.1", "bias"]
    assert [p.data for p in t.parameters()] == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0]


def test_every_parameter_knows_its_path_from_construction_and_no_label_is_set():
    t = Tree()  # named_parameters() not called: the paths are known as the modules are built
    assert [p.path for p in (t.first.w[1], t.nested[0][1][0], t.nested[1].w[0], t.bias)] == [
        "first.w.1",
        "nested.0.1.0",
        "nested.1.w.0",
        "bias",
    ]
    t.bias.label = "mine"
    assert [p.path for p in t.parameters()] == [n for n, _ in t.named_parameters()]
    assert t.first.w[1].label == "" and t.bias.label == "mine" and t.bias.path == "bias"
    # a module that holds its parent (a cycle) gets no place in it: paths stay finite
    t.first.back = t
    assert t.first.w[0].path == "first.w.0" and t._owner is None


def test_shared_parameter_and_module_are_listed_once_and_cycles_terminate():
    t = Tree()
    t.again = t.first  # the same module twice
    t.also = t.bias
    t.parent = [t]  # a cycle
    assert len(t.parameters()) == 7


def test_mlp_names_and_count():
    m = nn.MLP(2, [16, 16, 1], seed=0)
    names = [n for n, _ in m.named_parameters()]
    assert len(names) == 337 == 2 * 16 + 16 + 16 * 16 + 16 + 16 + 1
    assert names[3 * 3 + 1] == "layers.0.neurons.3.w.1"
    assert names[-1] == "layers.2.neurons.0.b"


def test_zero_grad_train_eval():
    t = Tree()
    for p in t.parameters():
        p.grad = 3.0
    t.zero_grad()
    assert all(p.grad == 0.0 for p in t.parameters())
    assert t.eval() is t
    assert not t.training and not t.first.training and not t.drop.training and not t.nested[1].training
    t.train()
    assert t.training and t.drop.training
    with pytest.raises(TypeError, match="'yes'"):
        t.train("yes")


def test_state_dict_round_trip_and_is_a_copy():
    a, b = nn.MLP(3, [4, 2], seed=1), nn.MLP(3, [4, 2], seed=2)
    state = a.state_dict()
    assert list(state) == [n for n, _ in a.named_parameters()]
    b.load_state_dict(state)
    assert [p.data for p in b.parameters()] == [p.data for p in a.parameters()]
    state["layers.0.neurons.0.b"] = 99.0
    assert a.layers[0].neurons[0].b.data != 99.0
    x = [0.3, -0.2, 0.9]
    assert [v.data for v in a(x)] == [v.data for v in b(x)]


@pytest.mark.parametrize(
    "change, error, match",
    [
        (lambda s: s.pop("w.0"), StateDictError, "missing names: 'w.0'"),
        (lambda s: s.update(extra=1.0), StateDictError, "unexpected names: 'extra'"),
        (lambda s: s.update({"w.1": "2"}), TypeError, "'w.1' must be a real number.*'2'"),
        (lambda s: s.update({"w.1": True}), TypeError, "True"),
        (lambda s: s.update({"w.1": [1.0, 2.0]}), TypeError, r"\[1.0, 2.0\]"),
        (lambda s: s.update({"w.1": math.nan}), StateDictError, "finite.*nan"),
    ],
)
def test_every_load_state_dict_error_changes_nothing(change, error, match):
    m = Pair(1.0, 2.0)
    state = {"w.0": 10.0, "w.1": 20.0}
    change(state)
    with pytest.raises(error, match=match):
        m.load_state_dict(state)
    assert [p.data for p in m.parameters()] == [1.0, 2.0]


def test_load_state_dict_refuses_non_dict():
    with pytest.raises(TypeError, match=r"\[1.0, 2.0\]"):
        Pair().load_state_dict([1.0, 2.0])


def test_module_without_init_call_and_repr():
    class Empty(Module):
        pass

    assert Empty().parameters() == [] and Empty().training
    assert repr(Pair()) == "Pair(2 parameters)"


# ---- hardening: large models, every kind of bad file, failed saves ----


def test_load_state_dict_refuses_integers_beyond_float_range():
    m = Pair(1.0, 2.0)
    with pytest.raises(StateDictError, match=r"'w\.1' must be a finite float.*beyond float range"):
        m.load_state_dict({"w.0": 1, "w.1": 10**400})
    assert [p.data for p in m.parameters()] == [1.0, 2.0]
