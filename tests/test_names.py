"""One naming of a graph (autograd.names), read by every view: the rules, the issue's cases, and a property
test that builds random graphs and checks that draw, explain, the stepper and the command line name every
node the same way."""

import html
import json
import math
import re
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import nn
from autograd import Constant, Value, draw, draw_steps, explain, scope
from autograd.cli import main
from autograd.draw.steps import backward_steps
from autograd.engine import topological_order
from autograd.names import naming

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


def textbook(labels=True):
    a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    return c * (a + 2 * b), a, b, c


# ---- what a view shows, parsed back ----


def _plain(label):
    """The visible text of an HTML-like graphviz label, rows joined by newlines."""
    text = re.sub(r"<BR/>|</TR>", "\n", label)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def dot_names(source):
    """From draw's DOT source: {name: what the node shows after 'name = '}, the constants' texts, and the
    (∂p, ∂c) pairs of the edge texts. A name in <B> or <I> is a node's name; a row without one is a constant."""
    names, constants, edges = {}, [], set()
    for line in source.splitlines():
        node = re.match(r"\s*n\d+ \[label=<<TABLE.*?<TD>(.*?)</TD>", line)
        if node:
            first = node[1]
            named = re.match(r"<([BI])>(.*?)</\1>(?: |&#160;)= (.*)", first)  # a no-break space after the name
            if named:
                name = html.unescape(named[2])
                assert name not in names, f"two nodes called {name!r}"
                names[name] = html.unescape(named[3])
            else:
                constants.append(html.unescape(first))
        for p, c in re.findall(r"∂(\S+?)/∂(\S+?) [=+]", html.unescape(line)):
            edges.add((p, c))
    return names, constants, edges


def binding_names(text):
    """From explain's text: {name: formula} of its bindings ('e = a + d:  ∂e/∂d = 1')."""
    out = {}
    for line in text.splitlines():
        m = re.match(r"(\S+) = (.+?):\s+∂", line)
        if m:
            out[m[1]] = m[2]
    return out


# ---- the cases, each failing before one naming ----


def test_unnamed_inner_nodes_have_the_same_names_whatever_explain_is_asked():
    L, a, b, c = textbook()
    for wrt in (a, b, c):
        assert binding_names(str(explain(L, wrt)))["L"] == "c·e"  # not c·d for one question, c·e for another
    assert binding_names(str(explain(L, b))) == {"L": "c·e", "e": "a + d", "d": "2b"}


def test_one_graph_one_name_per_node_in_draw_and_explain():
    # the f = (x.sin()*y.exp() + (x/y).log()) / y: the sum was v1 in draw, e in one explain, a in another
    x, y = Value(0.7, label="x"), Value(1.3, label="y")
    f = (x.sin() * y.exp() + (x / y).log()) / y
    drawn, _, _ = dot_names(draw(f).source)
    from_x, from_y = binding_names(str(explain(f, x))), binding_names(str(explain(f, y)))
    for bindings in (from_x, from_y):
        for name, formula in bindings.items():
            assert drawn[name] == formula
    sums = [n for n, f in drawn.items() if "+" in f]
    assert len(sums) == 1 and from_x[sums[0]] == from_y[sums[0]]
    assert drawn == {
        "a": "sin(x)",
        "b": "exp(y)",
        "c": "a·b",
        "d": "x/y",
        "e": "log(d)",
        "f": "c + e",
        "L": "f/y",
        "x": "0.7",
        "y": "1.3",
    }


def test_a_models_parameters_are_named_by_their_path_from_construction():
    m = nn.MLP(3, [4, 4, 1], seed=0)
    out = m([1.0, 2.0, 3.0])[0]
    out.backward()
    source = draw(out, view="backward").source  # parameters() was never called
    drawn, constants, _ = dot_names(source)
    assert "layers.0.neurons.0.w.0" in drawn and "layers.2.neurons.0.b" in drawn
    assert not re.search(r"∂L/∂\(?-?\d", html.unescape(source))  # no ∂L/∂0.8004, ∂L/∂0
    assert sorted(constants) == ["1", "2", "3"]  # the data, as written
    assert all(p.label == "" for p in m.parameters())  # naming them sets no label
    assert [p.path for p in m.parameters()] == [n for n, _ in m.named_parameters()]


def test_a_label_wins_over_a_path_and_a_path_is_known_before_parameters():
    class Affine(nn.Module):
        def __init__(self):
            self.w = [nn.Parameter(2.0), nn.Parameter(3.0)]
            self.b = nn.Parameter(1.0, label="bias")

    class Model(nn.Module):
        def __init__(self):
            self.first = Affine()
            self.layers = []
            self.layers.append(Affine())  # added to a list after the list was assigned

    m = Model()
    assert (m.first.w[1].path, m.first.b.path, m.first.b.label) == ("first.w.1", "first.b", "bias")
    assert m.layers[0].w[0].path == "w.0"  # its place in its own module; the list's is not known yet
    assert [n for n, _ in m.named_parameters()][-3:] == ["layers.0.w.0", "layers.0.w.1", "layers.0.b"]
    assert m.layers[0].w[0].path == "layers.0.w.0"
    y = m.first.w[0] * 2 + m.first.b
    n = naming(y)
    assert n[m.first.w[0]] == "first.w.0" and n[m.first.b] == "bias"
    # a module shared by two others keeps the place it got first
    shared = Affine()
    m.a, m.b = shared, shared
    assert shared.w[0].path == "a.w.0"


def test_labels_win_and_automatic_names_never_collide():
    x = Value(1.0, label="x")
    d = x * 2
    d.label = "e"  # a label that looks like an automatic name
    h1 = d.tanh()
    h1.label = "h"
    h2 = h1.sin()
    h2.label = "h"  # the same label twice
    v = h2 + x
    w = v * v
    n = naming(w)
    names = [n[node] for node in n if not node.is_constant]
    assert len(names) == len(set(names))  # one name per node
    assert (n[d], n[h1], n[h2]) == ("e", "h", "h′")
    assert n[v] not in ("e", "h", "x") and n[w] == "L"
    # an unlabelled root is L unless a label took it
    other = x * 3
    other.label = "L"
    top = other + 1
    assert naming(top)[other] == "L" and naming(top)[top] == "a"


def test_constants_are_written_as_numbers_and_carry_no_gradient_in_any_view(tmp_path):
    L, _, b, _ = textbook()
    L.backward()
    two = L.children[1].children[1].children[0]
    assert isinstance(two, Constant) and naming(L)[two] == "2" and naming(L).kind(two) == "constant"
    source = html.unescape(draw(L, view="backward").source)
    assert "∂L/∂2" not in source and "∂d/∂2" not in source
    assert "∂L/∂2" not in str(explain(L, b))
    assert all(not s.child.is_constant for s in backward_steps(topological_order(L)))
    with pytest.raises(ValueError, match=r"wrt=.* is a constant \(the number 2 written in an expression\)"):
        explain(L, two)


def test_an_unlabelled_value_you_make_is_a_variable_not_a_constant():
    x = Value(3.0)
    y = x * x
    y.backward()
    n = naming(y)
    assert n[x] == "a" and n.kind(x) == "auto"
    assert "∂L/∂a = 6" in html.unescape(draw(y, view="backward").source)
    assert str(explain(y, x)).splitlines()[-1] == "∂L/∂a = a + a = 6"


def test_values_leaving_a_scope_are_named_by_it():
    x = Value(1.0, label="x")
    with scope("layer"):
        h1, h2 = (x * 2).tanh(), (x * 3).tanh()
    loss = h1 + h2
    n = naming(loss)
    assert (n[h1], n[h2]) == ("layer#1", "layer#2") and n[h1.children[0]] == "a"
    # the collapsed picture writes the same names on the edges that leave the block
    source = html.unescape(draw(loss, collapse=1).source)
    assert "layer#1 = 0.964" in source and "layer#2 = 0.9951" in source  # tanh(2), tanh(3)


def test_the_order_is_pythons_not_the_question():
    # the names follow evaluation order (operands left to right), so they are the same from any view
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    p = a * b  # c
    q = p + a  # d
    r = q * p  # L
    assert [naming(r)[v] for v in (p, q, r)] == ["c", "d", "L"]


def test_names_are_cut_like_labels_and_kept_apart():
    long = "x" * 200
    u, v = Value(1.0, label=long), Value(2.0, label=long[:79] + "y" * 10)
    n = naming(u * v)
    assert n[u] == "x" * 79 + "…" and n[v] == n[u] + "′"  # the same after cutting: kept apart by a prime


# ---- the property: every view names every node the same way ----

_SAFE_UNARY = ("tanh", "sin", "sigmoid", "neg", "square")
_LABELS = st.sampled_from([None, None, None, "x", "y", "d", "e", "h", "h", "L", "v1", "w.0"])


@st.composite
def graphs(draw_):
    """A random graph: 2-3 leaves (labelled or not), then 1-6 ops over earlier nodes and constants, each
    result labelled or not (labels that look like automatic names, and repeated labels, included)."""
    leaves = [
        Value(draw_(st.sampled_from([0.5, -1.5, 2.0])), label=draw_(_LABELS) or "")
        for _ in range(draw_(st.integers(2, 3)))
    ]
    nodes = list(leaves)
    for _ in range(draw_(st.integers(1, 6))):
        kind = draw_(st.sampled_from(["+", "-", "*", "unary", "constant"]))
        x = draw_(st.sampled_from(nodes))
        y = draw_(st.sampled_from(nodes))
        if kind == "unary":
            op = draw_(st.sampled_from(_SAFE_UNARY))
            out = -x if op == "neg" else getattr(x, op)()
        elif kind == "constant":
            k = draw_(st.sampled_from([2, 0.5, -3]))
            form = draw_(st.sampled_from(["x * k", "k - x", "x + k"]))
            out = x * k if form == "x * k" else k - x if form == "k - x" else x + k
        else:
            out = {"+": x + y, "-": x - y, "*": x * y}[kind]
        label = draw_(_LABELS)
        if label:
            out.label = label
        nodes.append(out)
    return nodes[-1], leaves


def _check_views_agree(root, leaves, captions):
    root.zero_grad()
    root.backward()
    source = draw(root, view="backward").source
    drawn, _, edges = dot_names(source)
    named = [v for v in topological_order(root) if not v.is_constant]
    assert len(drawn) == len(named)  # every variable and op node has a name of its own in the picture
    for v in named:  # a label is shown as given, unless an earlier node showed it already
        if v.label and sum(u.label == v.label for u in named) == 1:
            assert v.label in drawn
    for name, _ in edges:
        assert name.strip("()") in drawn or name in drawn
    assert not re.search(r"∂\(?-?\d", html.unescape(source))  # no gradient of a number
    for wrt in leaves:
        if wrt in named:
            text = str(explain(root, wrt))
            for name, formula in binding_names(text).items():
                assert drawn[name] == formula, (name, formula, drawn, text)
            assert not re.search(r"∂\(?-?\d", text)
    for caption in captions:
        m = re.match(r"Steps? [\d ]+(?:to \d+ )?of \d+: (.+) passes its gradient back to (.+?): upstream", caption)
        if m:
            assert m[1] in drawn and m[2] in drawn, (caption, drawn)
    return drawn


@needs_dot
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(graphs())
def test_every_view_names_every_node_the_same_way(tmp_path, graph):
    root, leaves = graph
    if root.is_leaf:
        return
    files = draw_steps(root, tmp_path / "steps", format="svg")
    page = files.html.read_text(encoding="utf-8")
    data = json.loads(re.search(r'id="steps-data">(.*?)</script>', page, re.S)[1])
    captions = [c for view in data["views"] for c in view["captions"]]
    assert len(captions) >= 1
    _check_views_agree(root, leaves, captions)


_TERMS = st.sampled_from(["a", "b", "c", "2", "0.5", "sin(a)", "tanh(b)", "a*b", "(a - c)", "b**2"])


@needs_dot
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.sampled_from(["+", "-", "*"]), _TERMS), min_size=1, max_size=5), _TERMS)
def test_the_command_line_names_nodes_as_the_picture_and_explain_do(tmp_path, capsys, rest, first):
    expression = first + "".join(f" {op} {t}" for op, t in rest)
    used = sorted(set(re.findall(r"\b[abc]\b", expression)))
    if not used:
        return
    dot = tmp_path / "g.dot"
    args = [expression, *(f"{n}={k + 1.5}" for k, n in enumerate(used)), "--explain", used[0], "-o", str(dot)]
    assert main(["--view", "backward", *args]) == 0
    out = capsys.readouterr().out
    table = {}
    for line in out.splitlines():
        m = re.match(r"(\S+) = (.+?)\s{2,}\S+\s+\S+$", line)
        if m:
            table[m[1]] = m[2]
    drawn, _, _ = dot_names(dot.read_text(encoding="utf-8"))
    explained = binding_names(out)
    for name, formula in {**table, **explained}.items():
        assert drawn[name] == formula, (expression, name, formula, drawn)
    assert set(table) | set(used) == set(drawn)  # the table lists every named node of the picture


# ---- explain on models (issue 22 item 4) and long labels (issue 23 item 11) ----


def test_explain_on_a_model_writes_each_binding_on_one_line_with_paths_as_names():
    m = nn.MLP(3, [4, 4, 1], seed=0)
    out = m([1.0, 2.0, 3.0])[0]
    w = m.layers[0].neurons[0].w[0]
    d = explain(out, w)
    lines = str(d).splitlines()
    bindings = [line for line in lines if re.match(r"\S+ = .+?:\s+∂", line)]
    assert len(bindings) == len(d.locals)  # every binding on a line of its own, none broken
    assert all(len(re.findall(r":\s+∂", line)) == 1 for line in bindings)
    assert lines[0].startswith("∂L/∂layers.0.neurons.0.w.0")
    assert any("= layers.2.neurons.0.w.0 = " in line for line in bindings)  # a weight's path as a name
    names = [line.split(" = ")[0] for line in bindings]
    assert len(names) == len(set(names)) and "b" not in names  # no node called b beside the summary's b
    out.backward()
    assert math.isclose(d.result, w.grad, rel_tol=1e-12)


def test_explain_with_many_paths_shows_the_first_terms_and_a_count():
    m = nn.MLP(2, [16, 16, 1], seed=0)
    out = m([0.5, -1.0])[0]
    w = m.layers[0].neurons[0].w[0]
    d = explain(out, w)
    out.backward()
    assert d.path_count == 16 and d.paths is None and math.isclose(d.result, w.grad, rel_tol=1e-12)
    text = str(d)
    assert "… 9 more terms" in text and "… 9 more" in text  # 16 parents: the first 7 terms, then a count
    # the output node's binding has 16 local derivatives on the way: the first 7 and a count, on one line
    assert re.search(r"^L = Σ wᵢxᵢ \+ b:\s+.*,\s+… and 9 more$", text, re.M)
    assert max(len(line) for line in d.lines) < 500 and len(d.lines) < 120


def test_explain_with_a_huge_label_on_a_long_chain_stays_small_and_fast():
    import time

    x = Value(0.5, label="q" * 10_000)
    y = x
    for _ in range(2000):
        y = y.sin()
    t = time.perf_counter()
    text = str(explain(y, x))
    took = time.perf_counter() - t
    assert took < 3.0, took  # 7.4 s before: a generous budget that catches the blow-up, not a benchmark
    assert len(text) < 1_000_000, len(text)  # 20 MB before: no line padded to the longest name
    assert max(len(line) for line in text.splitlines()) < 600  # the name is cut to 80 characters
