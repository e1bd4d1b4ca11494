"""Scopes in pictures: nn modules name their calls; draw() shows a scope as a cluster (open) or a block
(collapsed), with values or gradients on the edges that enter and leave it; large graphs collapse by default.

Expected numbers are computed here from the graph itself (the gradients backward() left in .grad)."""

import re
import shutil

import pytest

import nn
from autograd import Value, draw, draw_steps, scope, sum_values
from autograd.draw import GraphTooLargeError
from autograd.draw.groups import Block, group
from autograd.engine import topological_order

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


def readable(source):
    """DOT source with the ']' that labels write as &#93; (graphviz's HTML-label lexer) shown as ']'."""
    return source.replace("&#93;", "]")


def blocks_in(source):
    """{block title: its label text} of the blocks (box3d nodes) in DOT source."""
    out = {}
    for m in re.finditer(r"\s(b\d+) \[label=<(<TABLE.*?</TABLE>)>.*?shape=box3d", source):
        text = re.sub(r"<[^>]+>", "\n", m[2])
        lines = [t for t in text.split("\n") if t.strip()]
        out[lines[0]] = lines[1:]
    return out


def edge_labels(source):
    """[(tail id, head id, visible lines)] of every labelled edge."""
    out = []
    for m in re.finditer(r"^\s*(\w+) -> (\w+) \[label=<(.*?)>(?: |\])", source, re.M):
        text = re.sub(r"<(?!BR/)[^>]+>", "", m[3])
        out.append((m[1], m[2], [t for t in text.split("<BR/>") if t]))
    return out


def mlp_loss(sizes=(16, 16, 1), x=(0.5, -1.0)):
    model = nn.MLP(len(x), list(sizes), activation="relu", seed=0)
    y = model(list(x))[0]
    loss = (y - 1.0) ** 2
    loss.label = "loss"
    loss.backward()
    return model, loss


def test_nn_modules_name_their_calls():
    model = nn.MLP(2, [3, 1], seed=0)
    y = model([1.0, 2.0])[0]
    scopes = {v.scope for v in topological_order(y)}
    assert {("layers[0]",), ("layers[1]",)} <= scopes
    assert y.scope == ("layers[1]",) and model.parameters()[0].scope == ()  # parameters are made outside
    rnn = nn.RNN(2, 3, 2, seed=0)
    outputs, hiddens = rnn([[1.0, 0.0], [0.0, 1.0]])
    assert [h[0].scope for h in hiddens] == [("step[0]",), ("step[1]",)]
    assert outputs[1][0].scope == ("step[1]",)
    with scope("model"):  # the caller's scope around a module's call gives a path
        z = model([1.0, 2.0])[0]
    assert z.scope == ("model", "layers[1]")


def test_a_small_graph_draws_every_scalar_with_each_scope_a_cluster():
    model = nn.MLP(2, [2, 1], seed=0)
    x = [Value(1.0, label="x1"), Value(2.0, label="x2")]
    y = model(x)[0]
    src = readable(draw(y).source)
    assert "box3d" not in src  # nothing collapsed
    titles = re.findall(r"label=<([^<>]*)> style=\"rounded,dashed\"", src)
    assert sorted(titles) == ["layers[0]", "layers[1]"]
    layer0 = re.search(r"label=<layers\[0\]> style.*?\n(.*?)\n\t\}", src, re.S)[1]
    # a neuron's weights sit with the layer that uses them; the inputs, made outside, stay outside
    assert layer0.count("tooltip=parameter") == 6 and "x1 = " not in layer0


def test_a_large_graph_is_collapsed_with_a_note_on_how_to_expand():
    _model, loss = mlp_loss()
    n = len(topological_order(loss))
    assert n > 250
    src = readable(draw(loss, view="backward").source)
    blocks = blocks_in(src)
    assert set(blocks) == {"layers[0]", "layers[1]", "layers[2]"}
    assert blocks["layers[1]"] == ["304 nodes, 272 parameters"]  # 16 x (16 weights, bias, one dot node, relu)
    assert f"{n} nodes, too many to read one by one" in src and "expand=[" in src and "collapse=None" in src
    assert "loss</B>&#160;= " in src  # the output is drawn itself
    with pytest.raises(GraphTooLargeError, match=rf"has {n} nodes, more than max_nodes=250.*collapse=1"):
        draw(loss, collapse=None)
    assert "box3d" not in readable(draw(loss, collapse=None, max_nodes=None).source)  # every scalar: one argument away


def test_block_edges_carry_values_forward_and_gradients_backward():
    _model, loss = mlp_loss((3, 1))
    outs = [v for v in topological_order(loss) if v.scope == ("layers[0]",) and v.op == "relu"]
    assert len(outs) == 3

    def numbers_on(source, prefix):  # the numbers of the one edge whose lines start with prefix
        (lines,) = [ls for _, _, ls in edge_labels(source) if ls and all(t.startswith(prefix) for t in ls)]
        assert len(lines) == 3
        return sorted(float(t.split(" = ")[1]) for t in lines)

    # the three values leaving layers[0], named by its scope, and the gradients that flow back into it
    assert numbers_on(readable(draw(loss, collapse=1).source), "layers[0]#") == pytest.approx(
        sorted(v.data for v in outs), rel=1e-3
    )
    back = numbers_on(readable(draw(loss, view="backward", collapse=1).source), "∂loss/∂layers[0]#")
    assert back == pytest.approx(sorted(v.grad for v in outs), rel=1e-3)


def test_shared_parameters_collect_one_share_per_time_step():
    rnn = nn.RNN(1, 1, 1, seed=0)  # 5 parameters: few enough to be listed on every edge
    for name, p in rnn.named_parameters():
        p.label = name
    outputs, _ = rnn([[1.0], [0.5], [-1.0]])
    loss = sum_values([y[0] for y in outputs])
    loss.label = "L"
    loss.backward()
    g = group(topological_order(loss)[::-1], collapse=1)
    shared = [b for b in g.blocks if not b.is_scope]
    assert len(shared) == 1 and shared[0].title == "shared parameters"
    w = rnn.cell.W_xh[0][0]
    assert g.unit[w] is shared[0]
    src = draw(loss, view="backward", collapse=1).source
    shares = [float(m) for m in re.findall(r"∂L/∂cell\.W_xh\.0\.0 \+= (-?[\d.e-]+)", src)]
    assert len(shares) == 3  # backpropagation through time: one share from each step, summing to .grad
    assert sum(shares) == pytest.approx(w.grad, rel=1e-3)


def test_expand_opens_a_block_and_collapse_two_opens_a_level():
    with scope("net"):
        _model, loss = mlp_loss((2, 1))
    src = readable(draw(loss, collapse=1).source)
    assert set(blocks_in(src)) == {"net"}
    src = readable(draw(loss, collapse=2).source)
    assert set(blocks_in(src)) == {"net.layers[0]", "net.layers[1]"} and "label=<net>" in src
    src = readable(draw(loss, collapse=2, expand=["net.layers[1]"]).source)
    assert set(blocks_in(src)) == {"net.layers[0]"} and "label=<layers[1]>" in src
    assert blocks_in(readable(draw(loss, collapse=2, expand=[("net", "layers[0]")]).source)).keys() == {"net.layers[1]"}


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(collapse=0), ValueError, r"collapse must be 'auto', None .* got 0"),
        (dict(collapse="all"), ValueError, r"got 'all'"),
        (
            dict(expand=["layers[9]"]),
            ValueError,
            r"expand names no scope of this graph: 'layers\[9\]'; the scopes are: "
            r"'layers\[0\]', 'layers\[1\]'",
        ),
        (dict(expand=3), TypeError, r"expand must be an iterable of scope paths, got 3"),
        (dict(clusters={}, collapse=1), ValueError, r"collapse must be None or 'auto', got 1"),
    ],
)
def test_bad_grouping_arguments_raise_typed_errors(kwargs, error, match):
    _, loss = mlp_loss((2, 1))
    with pytest.raises(error, match=match):
        draw(loss, **kwargs)


def test_a_graph_without_scopes_still_refuses_past_max_nodes():
    y = Value(1.0, label="x")
    for _ in range(200):
        y = y * 1.0001
    with pytest.raises(GraphTooLargeError, match=r"autograd.scope"):
        draw(y)


def test_grouping_keeps_inputs_where_they_were_made_and_constants_with_their_users():
    x = Value(2.0, label="x")
    with scope("f"):
        y = (x * 3).tanh()
    z = y + 1
    g = group(topological_order(z)[::-1], collapse=1)
    (b,) = g.blocks
    assert isinstance(b, Block) and g.unit[x] is x and g.unit[y] is b
    assert [v.data for v in b.nodes if v.is_leaf] == [3.0]


@needs_dot
def test_draw_steps_through_a_collapsed_view_and_its_opened_blocks(tmp_path):
    import json

    _, loss = mlp_loss((3, 2, 1))
    files = draw_steps(loss, tmp_path, format="svg", collapse=1)
    steps = sum(not c.is_constant for v in topological_order(loss) for c in v.children)  # none into a number
    assert 2 < len(files.frames) < steps  # steps inside a block, or along one of its edges, make one frame
    page = files.html.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="steps-data">(.*?)</script>', page, re.S)[1])
    names = [v["name"] for v in data["views"]]
    assert names == ["all blocks collapsed", "expand layers[0]", "expand layers[1]", "expand layers[2]"]
    for view in data["views"]:
        assert view["positions"][0] == 0 and view["positions"][-1] == steps
        assert view["positions"] == sorted(view["positions"])
    assert any("inside layers[1]" in c for c in data["views"][0]["captions"])


@needs_dot
@pytest.mark.parametrize("odd", ["\ud800", "a\\Nb", "\\G\\E\\L", 'q"uote', "<b>&amp;", "#block:0"])
def test_draw_steps_gives_every_scope_its_click_target_whatever_its_name(tmp_path, odd):
    """A scope named with a lone surrogate raised UnicodeEncodeError (and left dot waiting on its input);
    one containing \\N (which graphviz rewrites in links) had no click target."""
    import json

    x = Value(1.0, label="x")
    with scope(odd):
        h = (x * 2).tanh()
    with scope("other"):
        y = h * 3 + x
    files = draw_steps(y, tmp_path, format="svg", collapse=1)
    data = json.loads(re.search(r'id="steps-data">(.*?)</script>', files.html.read_text(encoding="utf-8"), re.S)[1])
    assert [v["name"] for v in data["views"]] == ["all blocks collapsed", f"expand {odd}", "expand other"]
    assert sorted(t[4] for t in data["views"][0]["targets"]) == [1, 2]  # a click opens either block


@needs_dot
def test_a_graph_that_cannot_be_encoded_is_refused_before_dot_starts(monkeypatch):
    import subprocess

    g = draw(Value(1.0, label="x"))
    g.attr(label="\ud800")  # by hand: chaingrad escapes every text it draws
    started = []
    monkeypatch.setattr(subprocess, "Popen", lambda *a, **k: started.append(a))
    with pytest.raises(ValueError, match=r"cannot encode"):
        g.pipe(format="svg")
    assert started == []
