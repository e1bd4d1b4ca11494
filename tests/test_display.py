"""Rich display in Jupyter: autograd.display.value_html (the card Value._repr_html_ shows) and nn.Module._repr_html_."""

import doctest
import html
import re

import pytest

import autograd.display
import nn
from autograd import Value
from autograd.display import card_html, value_html
from demos.computation_graph import build


def cells(page):
    """The card's rows as {name: text}, as a reader sees them."""
    pairs = re.findall(r"<tr><td[^>]*>(.*?)</td><td[^>]*>(.*?)</td></tr>", page)
    return {html.unescape(k): html.unescape(v) for k, v in pairs}


def title(page):
    return tuple(map(html.unescape, re.search(r"<b>(.*?)</b> <span[^>]*>(.*?)</span>", page).group(1, 2)))


def test_value_cards_show_label_data_grad_and_op():
    L, n = build()
    L.backward()
    assert title(value_html(n["a"])) == ("a", "input")
    assert cells(value_html(n["a"])) == {"data": "3", "grad": "-2", "op": "none (a leaf)"}
    assert title(value_html(L)) == ("L", "op")
    assert cells(value_html(L)) == {"data": "-10", "grad": "1", "op": "* of 2 operands"}
    assert title(value_html(Value(0.25))) == ("Value", "input")  # a Value you make is a variable
    assert title(value_html(L.children[1].children[1].children[0])) == ("Value", "constant")  # the 2 in 2 * b
    assert title(value_html(nn.Parameter(0.5, label="w"))) == ("w", "parameter")
    assert title(value_html(nn.MLP(1, [1], seed=0).layers[0].neurons[0].b)) == ("layers.0.neurons.0.b", "parameter")
    assert cells(value_html(Value(1 / 3)))["data"] == "0.333333"


def test_a_grad_with_its_own_graph_says_so():
    x = Value(0.5, label="x")
    x.tanh().backward(create_graph=True)
    assert cells(value_html(x))["grad"] == "0.786448 (a Value with its own graph)"


@pytest.mark.parametrize("label", ["<script>alert(1)</script>", "a & b", "\"quoted\" 'x'", "<!--", "</table></div>"])
def test_every_text_is_escaped(label):
    page = value_html(Value(1.0, label=label))
    assert html.escape(label) in page
    assert title(page) == (label, "input")
    assert page.count("<div") == page.count("</div>") == 1 and page.count("<table") == 1


def test_plain_repr_is_unchanged():
    assert repr(Value(2.0, label="x")) == "Value(data=2.0, grad=0.0, label='x')"


def test_errors_quote_the_bad_value():
    with pytest.raises(TypeError, match=r"value_html: needs a Value, got 3.0 of type float"):
        value_html(3.0)
    with pytest.raises(ValueError, match=r"kind must be one of 'input', .* got 'shiny'"):
        card_html("x", "shiny", [])


def test_module_cards_show_class_parameter_count_and_shape():
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    page = model._repr_html_()
    assert title(page) == ("MLP", "module")
    assert cells(page) == {
        "parameters": "337 parameters",
        "shape": "2 → 16 → 16 → 1",
        "mode": "training",
        "module": "MLP(2, [16, 16, 1], activation='relu', out_activation='linear')",
    }
    assert cells(nn.Layer(3, 2, seed=0).eval()._repr_html_())["mode"] == "eval"
    assert cells(nn.Neuron(3, seed=0)._repr_html_())["shape"] == "3 → 1"
    assert cells(nn.RNN(4, 3, 4, seed=0)._repr_html_())["shape"] == "4 → 3 (recurrent) → 4"
    assert cells(nn.Embedding(5, 2, seed=0)._repr_html_())["shape"] == "5 rows × 2"
    assert "shape" not in cells(nn.Dropout(0.1)._repr_html_())


def test_a_model_of_layers_shows_their_chain_and_keeps_its_parameter_names():
    class Net(nn.Module):
        def __init__(self):
            self.hidden = nn.Layer(2, 3, seed=0)
            self.out = nn.Layer(3, 1, seed=0)

    net = Net()
    page = net.hidden._repr_html_() + net._repr_html_()
    assert "2 → 3 → 1" in page and "13 parameters" in page
    # displaying the inner layer first did not name its parameters 'neurons.0.w.0'
    assert net.named_parameters()[0][0] == net.named_parameters()[0][1].path == "hidden.neurons.0.w.0"


def test_docstring_examples():
    result = doctest.testmod(autograd.display, optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


def test_jupyter_shows_a_value_as_its_card():
    v = Value(2.0, label="x")
    assert v._repr_html_() == value_html(v)
