"""autograd.draw: the DOT of the forward and backward views, escaping, clusters, limits, missing dot, steps.

Expected numbers come from reference-values.md section 1 (L = c(a + 2b), a = 3, b = 1, c = -2) or hand math.
"""

import html
import pathlib
import re
import shutil
import xml.etree.ElementTree as ET

import graphviz
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import autograd
from autograd import Value, draw, draw_steps, nodes_between
from autograd.draw import BackwardNotRunError, DotNotFoundError, Graph, GraphTooLargeError
from demos.computation_graph import build

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


def textbook():
    return build()  # the demo's L = c(a + 2b), labelled a..e, L


def plain(label_html):
    """The text of an HTML-like label, as a reader sees it (tags dropped, <BR/> as newline, a no-break space
    as a space)."""
    return html.unescape(re.sub(r"<[^>]+>", "", label_html.replace("<BR/>", "\n"))).replace("\xa0", " ")


def parse_dot(source):
    """{node id: (visible text, attribute text)} and [(tail, head, visible label, attribute text)]."""
    nodes, edges = {}, []
    for line in source.splitlines():
        m = re.match(r"\s*(n\d+) -> (n\d+) \[label=<(.*)>(.*)\]$", line)
        if m:
            edges.append((m[1], m[2], plain(m[3]), m[4]))
            continue
        m = re.match(r"\s*(n\d+) -> (n\d+)(.*)$", line)
        if m:
            edges.append((m[1], m[2], "", m[3]))
            continue
        m = re.match(r"\s*(n\d+) \[label=<(.*)>(.*)\]$", line)
        if m:
            nodes[m[1]] = (plain(m[2]), m[3])
    return nodes, edges


def node_by_text(nodes, start):
    hits = [k for k, (text, _) in nodes.items() if text.startswith(start)]
    assert len(hits) == 1, (start, nodes)
    return hits[0]


def svg_texts(svg):
    """(text, fill colour) of every <text> in an SVG from dot."""
    root = ET.fromstring(svg)
    return [("".join(t.itertext()), t.get("fill")) for t in root.iter("{http://www.w3.org/2000/svg}text")]


# ---- forward view ----


def test_forward_view_shows_labels_ops_and_the_textbook_values():
    L, _ = textbook()
    g = draw(L)
    assert isinstance(g, graphviz.Digraph)
    nodes, edges = parse_dot(g.source)
    # values from reference-values.md section 1; ops as formulas with the textbook's names
    assert nodes[node_by_text(nodes, "a = ")][0] == "a = 3"
    assert nodes[node_by_text(nodes, "b = ")][0] == "b = 1"
    assert nodes[node_by_text(nodes, "c = ")][0] == "c = -2"
    assert nodes[node_by_text(nodes, "d = ")][0] == "d = 2b= 2"  # the node 2 * b, written as its title is
    assert nodes[node_by_text(nodes, "e = ")][0] == "e = a + d= 5"
    assert nodes[node_by_text(nodes, "L = ")][0] == "L = c·e= -10"
    assert len(nodes) == 7 and len(edges) == 6  # a b c d e L and the constant 2; one edge per operand
    assert all(label == "" for _, _, label, _ in edges)


def test_forward_view_draws_inputs_parameters_constants_and_output_apart():
    x = Value(2.0, label="x")

    class P(Value):  # what nn.Parameter is
        __slots__ = ()
        is_parameter = True

    w = P(0.5, label="w")
    y = (w * x + 1).tanh()
    nodes, _ = parse_dot(draw(y).source)
    kinds = {text: re.search(r"tooltip=(\w+)", attrs)[1] for text, attrs in nodes.values()}
    assert kinds["x = 2"] == "input" and kinds["w = 0.5"] == "parameter" and kinds["1"] == "constant"
    out = [attrs for text, attrs in nodes.values() if "tanh" in text]
    assert len(out) == 1 and "tooltip=output" in out[0] and "peripheries=2" in out[0]
    styles = {
        k: re.search(r'fillcolor="([^"]+)"', a)[1]
        for k, a in (
            ("input", nodes[node_by_text(nodes, "x = ")][1]),
            ("parameter", nodes[node_by_text(nodes, "w = ")][1]),
            ("constant", nodes[node_by_text(nodes, "1")][1]),
            ("output", out[0]),
        )
    }
    assert len(set(styles.values())) == 4


def test_every_unlabelled_inner_node_gets_a_textbook_name():
    a, b = Value(3.0, label="a"), Value(1.0, label="b")
    f = (a + 2 * b).exp()
    nodes, _ = parse_dot(draw(f).source)
    texts = sorted(t for t, _ in nodes.values())
    # the free letters in the order Python computes the nodes (2 * b, then a + c), as the notes name them
    assert texts == ["2", "L = exp(d)= 148.4", "a = 3", "b = 1", "c = 2b= 2", "d = a + c= 5"]  # e^5 = 148.41...
    long = a
    for _ in range(30):
        long = long * b
    nodes, _ = parse_dot(draw(long.tanh() + 1).source)
    firsts = [t.split("=")[0].strip() for t, _ in nodes.values()]
    # 21 free letters (c to z, without l, o, v), then v1, v2, ...: short names, each given once
    assert len(set(firsts)) == len(firsts) and max(map(len, firsts)) <= 3
    texts = {t for t, _ in nodes.values()}
    assert {"c = a·b= 3", "d = c·b= 3", "z = y·b= 3", "v1 = z·b= 3", "v9 = v8·b= 3"} <= texts
    assert "v10 = tanh(v9)= 0.9951" in texts and "L = v10 + 1= 1.995" in texts


def test_every_edge_says_d_parent_d_child_even_without_labels():
    a = Value(2.0, label="a")
    y = (a**0.5 + a.exp() * 3).tanh()
    y.backward()
    _, edges = parse_dot(draw(y, view="backward").source)
    first = [label.split("\n")[0] for *_, label, _ in edges]
    # the symbolic form from the op table (issue 17), then the number: 0.5 a^-0.5 = 1 / (2 sqrt 2)
    assert "∂b/∂a = 0.5a^(-0.5) = 0.3536" in first  # b = a^0.5, the first node Python computes
    # every edge but the one into the constant 3, which carries no gradient and has no text
    assert sum(t == "" for t in first) == 1 and not any("∂3" in t for t in first)
    assert all(re.match(r"∂.+/∂.+ = ", t) for t in first if t) and not any("local" in t for t in first)


# ---- backward view ----


def test_backward_view_labels_edges_with_local_derivatives_and_contributions():
    L, _n = textbook()
    L.backward()
    nodes, edges = parse_dot(draw(L, view="backward").source)
    ids = {k: node_by_text(nodes, f"{k} = ") for k in "abcdeL"}
    # gradients from reference-values.md section 1
    for k, grad in dict(a=-2, b=-4, c=5, d=-2, e=-2, L=1).items():
        assert nodes[ids[k]][0].endswith(f"∂L/∂{k} = {grad}"), nodes[ids[k]]
    by_pair = {(t, h): (label, attrs) for t, h, label, attrs in edges}
    # local derivatives of the textbook's backward figure, symbolic = number (reference-values.md section 1:
    # dL/de = c = -2, dL/dc = e = 5, de/da = 1, de/dd = 1, dd/db = 2), and upstream x local = contribution
    expected = {
        ("e", "L"): "∂L/∂e = c = -2\n1 × -2 = -2",
        ("c", "L"): "∂L/∂c = e = 5\n1 × 5 = 5",
        ("a", "e"): "∂e/∂a = 1\n-2 × 1 = -2",
        ("d", "e"): "∂e/∂d = 1\n-2 × 1 = -2",
        ("b", "d"): "∂d/∂b = 2\n-2 × 2 = -4",
    }
    for (child, parent), text in expected.items():
        label, attrs = by_pair[ids[child], ids[parent]]
        assert label == text
        assert "dir=back" in attrs  # drawn from the output back to the inputs


def test_backward_view_before_backward_raises():
    L, _ = textbook()
    with pytest.raises(BackwardNotRunError, match=r"backward\(\) has not run.*call root.backward\(\) first"):
        draw(L, view="backward")
    assert "c·e" in draw(L).source  # the forward view needs no gradients


def test_backward_view_after_backward_with_create_graph_shows_the_same_numbers():
    """After backward(create_graph=True) every grad is a Value: the view shows its number (it raised
    AttributeError: 'Value' object has no attribute 'is_integer')."""
    L, _ = textbook()
    L.backward()
    plain = draw(L, view="backward").source
    L2, _ = textbook()
    L2.backward(create_graph=True)
    assert isinstance(L2.grad, Value)
    assert draw(L2, view="backward").source == plain


def test_a_seed_other_than_one_is_not_called_a_derivative():
    L, _ = textbook()
    L.backward()
    L.backward()  # gradients accumulate: every grad is now twice dL/dnode
    nodes, _ = parse_dot(draw(L, view="backward").source)
    assert nodes[node_by_text(nodes, "a = ")][0].endswith("grad = -4")
    assert not any("∂L/∂a" in text for text, _ in nodes.values())


def test_square_has_two_edges_each_with_its_contribution():
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    y.backward()
    nodes, edges = parse_dot(draw(y, view="backward").source)
    assert [label for *_, label, _ in edges] == ["∂y/∂x = x = 3\n1 × 3 = 3"] * 2
    assert nodes[node_by_text(nodes, "x = ")][0].endswith("∂y/∂x = 6")  # d(x^2)/dx = 2x


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(view="sideways"), ValueError, r"view must be 'forward' or 'backward', got 'sideways'"),
        (dict(rankdir="XY"), ValueError, r"rankdir must be .* got 'XY'"),
        (dict(max_nodes=0), ValueError, r"max_nodes must be a positive int or None, got 0"),
        (dict(max_nodes=True), ValueError, r"got True"),
        (dict(precision=0), ValueError, r"precision must be an int from 1 to 17, got 0"),
        (dict(clusters=[1, 2]), TypeError, r"clusters must be a mapping"),
        (dict(clusters={1: []}), TypeError, r"cluster title must be a str, got 1"),
        (dict(clusters={"t": [3.0]}), TypeError, r"cluster 't' must list Values, got 3.0"),
    ],
)
def test_bad_arguments_raise_typed_errors_quoting_the_value(kwargs, error, match):
    L, _ = textbook()
    with pytest.raises(error, match=match):
        draw(L, **kwargs)


def test_root_must_be_a_value():
    with pytest.raises(TypeError, match=r"root must be a Value, got 3.0"):
        draw(3.0)


# ---- escaping ----

HOSTILE = [
    'say "hi"',
    "back\\slash\\",
    "{ } | < >",
    "two\nlines",
    "ünïcödé λ ∂ 日本 🙂",
    "a & b &amp;",
    "it's",
    "]]> <!-- -->",
    "<B>not bold</B>",
    "\\N \\G \\l \\n",
    "<<>>",
    "x</TD></TR></TABLE>",
]


@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_stay_inside_the_dot_source(label):
    x = Value(1.0, label=label)
    y = x * 2
    y.label = label
    y.backward()
    for view in ("forward", "backward"):
        src = draw(y, view=view, title=label, clusters={label: [x]}).source
        # every HTML-like label is balanced: no raw < > & " from the label got through
        for m in re.finditer(r"label=<(.*?)>(?: |\]|$)", src, re.M):
            inner = m[1]
            assert "&" not in re.sub(r"&(amp|lt|gt|quot|#93|#160);", "", inner)


@needs_dot
@pytest.mark.parametrize("label", HOSTILE)
def test_hostile_labels_render_exactly(label):
    x = Value(1.0, label=label)
    y = x * 2
    y.label = "y"
    y.backward()
    svg = draw(y, view="backward", title="t " + label, clusters={"c " + label: [x]}).pipe(format="svg").decode()
    texts = [t for t, _ in svg_texts(svg)]
    lines = label.split("\n")
    for line in lines:  # the node: the label in bold, then ' = 1'
        assert line in texts or line + " = 1" in "".join(texts), (line, texts)
    assert "\n".join(lines) in "\n".join(texts) or all(line in "\n".join(texts) for line in lines)
    if "\n" not in label:
        assert "t " + label in texts and "c " + label in texts  # graph title and cluster title


@needs_dot
def test_control_characters_show_as_escapes():
    x = Value(1.0, label="bell\x07nul\x00tab\t")
    svg = draw(x * 2).pipe(format="svg").decode()
    assert "bell\\x07nul\\x00tab\\x09" in "".join(t for t, _ in svg_texts(svg))


@needs_dot
@pytest.mark.parametrize("label", ["]", "]]", "a]b", "]]>"])
def test_a_label_with_a_closing_bracket_renders(label):
    """graphviz's HTML-label lexer failed on a text that starts with "]" (found by the test below)."""
    svg = draw(Value(2.0, label=label) * 3).pipe(format="svg").decode()
    assert label in [t for t, _ in svg_texts(svg)]


@needs_dot
@settings(max_examples=25, deadline=None)
@given(st.text(st.characters(whitelist_categories=("L", "N", "P", "S")), min_size=1, max_size=12))
def test_any_printable_label_renders_exactly(label):
    x = Value(2.0, label=label)
    svg = draw(x * 3).pipe(format="svg").decode()
    assert label in [t for t, _ in svg_texts(svg)]


# ---- rendering, Jupyter, missing dot ----


@needs_dot
@pytest.mark.parametrize("fmt, magic", [("svg", b"<?xml"), ("png", b"\x89PNG"), ("pdf", b"%PDF")])
def test_render_to_each_format(tmp_path, fmt, magic):
    L, _ = textbook()
    L.backward()
    path = draw(L, view="backward").render(tmp_path / "L", format=fmt)
    assert path.endswith(f".{fmt}")
    data = pathlib.Path(path).read_bytes()
    assert data.startswith(magic) and len(data) > 500
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"L.{fmt}"]  # no DOT source left behind


@needs_dot
def test_render_keeps_the_dot_source_when_asked(tmp_path):
    L, _ = textbook()
    draw(L).render(tmp_path / "L", format="svg", cleanup=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["L", "L.svg"]
    assert (tmp_path / "L").read_text(encoding="utf-8").startswith("digraph")


@needs_dot
def test_render_never_writes_or_deletes_the_file_named_as_its_source(tmp_path):
    """graphviz's own render writes the DOT source to `filename` and, with cleanup, deletes it: a user's file there
    was overwritten and then deleted (and /dev/null on a probe machine run as root)."""
    L, _ = textbook()
    notes = tmp_path / "notes.txt"
    notes.write_text("data\n")
    path = draw(L).render(notes, format="svg")
    assert path == f"{notes}.svg" and pathlib.Path(path).read_bytes().startswith(b"<?xml")
    assert notes.read_text() == "data\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "notes.txt.svg"]
    assert draw(L).render(outfile=tmp_path / "out.png") == str(tmp_path / "out.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt", "notes.txt.svg", "out.png"]


@needs_dot
def test_render_follows_a_link_and_refuses_what_is_not_a_regular_file(tmp_path):
    import os

    L, _ = textbook()
    real = tmp_path / "real.svg"
    real.write_text("old")
    (tmp_path / "link.svg").symlink_to(real)
    draw(L).render(tmp_path / "link", format="svg")
    assert (tmp_path / "link.svg").is_symlink() and real.read_bytes().startswith(b"<?xml")
    os.mkfifo(tmp_path / "fifo.svg")  # writing into it would block; replacing it would destroy it
    (tmp_path / "folder.svg").mkdir()
    for name in ("fifo", "folder"):
        with pytest.raises(FileExistsError, match=rf"render: refusing to replace .*{name}\.svg'"):
            draw(L).render(tmp_path / name, format="svg")
    assert (tmp_path / "fifo.svg").is_fifo() and (tmp_path / "folder.svg").is_dir()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fifo.svg", "folder.svg", "link.svg", "real.svg"]


@needs_dot
def test_displays_inline_in_jupyter():
    L, _ = textbook()
    bundle = draw(L)._repr_mimebundle_()
    assert "<svg" in bundle["image/svg+xml"] and "c·e" in bundle["image/svg+xml"]


def test_missing_dot_says_how_to_install_and_source_still_works(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))  # an empty directory: no dot anywhere
    L, _ = textbook()
    L.backward()
    g = draw(L, view="backward")
    assert "∂L/∂c = 5" in g.source
    for attempt in (
        lambda: g.pipe(format="svg"),
        lambda: g.render(tmp_path / "x", format="png"),
        lambda: g._repr_mimebundle_(),
        lambda: draw_steps(L, tmp_path / "steps"),
    ):
        with pytest.raises(DotNotFoundError) as info:
            attempt()
        message = str(info.value)
        for hint in (
            "apt-get install graphviz",
            "brew install graphviz",
            "winget install graphviz",
            "conda install -c conda-forge graphviz",
            ".source still work",
        ):
            assert hint in message
        assert isinstance(info.value, graphviz.ExecutableNotFound)


# ---- clusters, nodes_between, max_nodes ----


def test_clusters_hold_their_nodes_and_a_node_listed_twice_stays_in_the_first():
    L, n = textbook()
    g = draw(L, clusters={"inner": [n["d"], n["b"]], "outer": [n["d"], n["e"]], "unused": [Value(9.0)]})
    blocks = dict(re.findall(r"subgraph (cluster_\d+) \{(.*?)\n\t\}", g.source, re.S))
    nodes, _ = parse_dot(g.source)
    d, b, e = (node_by_text(nodes, f"{k} = ") for k in "dbe")
    assert f"\t\t{d} [" in blocks["cluster_0"] and f"\t\t{b} [" in blocks["cluster_0"]
    assert f"\t\t{e} [" in blocks["cluster_1"] and f"{d} [" not in blocks["cluster_1"]
    assert "label=<inner>" in blocks["cluster_0"] and "cluster_2" not in blocks  # empty clusters are left out


def test_nodes_between_stops_at_the_inputs():
    L, n = textbook()
    assert set(nodes_between(L, [n["e"]])) == {L, n["c"]}
    assert nodes_between(n["e"], [n["a"], n["d"]]) == [n["e"]]
    assert len(nodes_between([L])) == 7
    # two RNN steps sharing w: step 2's nodes include w but not step 1's
    w, x1, x2 = Value(0.5, label="w"), Value(1.0, label="x1"), Value(2.0, label="x2")
    s1 = w * x1
    h1 = s1.tanh()
    s2 = w * x2
    t2 = h1 * w
    a2 = s2 + t2
    h2 = a2.tanh()
    assert set(nodes_between(h2, [h1])) == {h2, a2, s2, t2, w, x2}
    assert set(nodes_between(h1, [x1])) == {h1, s1, w}
    with pytest.raises(TypeError, match="got an element 3"):
        nodes_between([L, 3])


def test_max_nodes_refuses_with_a_message_saying_how_to_see_more():
    x = Value(1.0, label="x")
    y = x
    for _ in range(299):
        y = y * 1.0001
    n = 299 * 2 + 1  # each step adds a product and a constant
    with pytest.raises(
        GraphTooLargeError,
        match=rf"has {n} nodes, more than max_nodes=250; .*max_nodes={n} "
        r"\(or None\)",
    ) as info:
        draw(y)
    assert (info.value.nodes, info.value.max_nodes) == (n, 250)
    assert len(parse_dot(draw(y, max_nodes=None).source)[0]) == n


def test_deep_graph_draws_without_recursion():
    y = Value(1.0, label="x")
    for _ in range(5000):
        y = y + 1.0
    assert draw(y, max_nodes=None).source.count("->") == 10000


# ---- step by step ----


@needs_dot
def test_draw_steps_frames_follow_the_backward_pass(tmp_path):
    L, n = textbook()
    files = draw_steps(L, tmp_path / "steps", format="svg")
    # the seed, then one frame per edge that carries a gradient: 6 edges, but none into the constant 2
    assert len(files.frames) == 6
    assert [p.name for p in files.frames] == [f"step_{k:02d}.svg" for k in range(6)]
    frames = [svg_texts(p.read_text(encoding="utf-8")) for p in files.frames]

    def visible(k):
        return {t for t, fill in frames[k] if fill != "#ffffff"}

    assert {"∂L/∂L = 1", "∂L/∂a = ?", "∂L/∂c = ?"} <= visible(0)
    assert "1 × 5 = 5" in visible(1) and "∂L/∂c = 5" in visible(1)  # L passes e = 5 to c
    assert "-2 × 2 = -4" not in visible(1)  # not computed yet
    # after the last step every gradient of reference-values.md section 1 is known
    assert {"∂L/∂a = -2", "∂L/∂b = -4", "∂L/∂c = 5", "∂L/∂d = -2", "∂L/∂e = -2"} <= visible(5)
    assert "-2 × 2 = -4" in visible(5)
    assert not any(t.startswith("∂L/∂2") or t.startswith("∂d/∂2") for t, _ in frames[5])  # no gradient of a number
    # the layout never moves: every frame has the same size
    sizes = {
        tuple(ET.fromstring(p.read_text(encoding="utf-8")).get(a) for a in ("width", "height")) for p in files.frames
    }
    assert len(sizes) == 1
    assert all(v.grad == 0.0 for v in n.values())  # draw_steps computes its own numbers


@needs_dot
def test_draw_steps_shows_accumulation_and_writes_a_self_contained_page(tmp_path):
    x = Value(3.0, label="x")
    y = x * x
    y.label = "y"
    files = draw_steps(y, tmp_path, format="png")
    assert len(files.frames) == 3
    assert all(p.read_bytes().startswith(b"\x89PNG") for p in files.frames)
    page = files.html.read_text(encoding="utf-8")
    assert page.count('"svg": "') == 1  # one picture, drawn with each frame's numbers by the page
    offline = re.sub(r"http://www\.w3\.org/(2000/svg|1999/xlink)", "", page)  # namespace names, not addresses
    assert "http://" not in offline and "https://" not in offline and "<link" not in page
    for needed in ('id="prev"', 'id="next"', "ArrowRight", "ArrowLeft", "x already had 3"):
        assert needed in page
    svg = draw_steps(y, tmp_path / "svg", format="svg").frames
    middle = {t for t, fill in svg_texts(svg[1].read_text()) if fill != "#ffffff"}
    assert "∂y/∂x = 3 + ?" in middle  # one of the two paths done: d(x^2)/dx = 2x = 6 in the end
    assert "∂y/∂x = 6" in {t for t, _ in svg_texts(svg[2].read_text())}


def test_draw_steps_checks_its_arguments(tmp_path):
    L, _ = textbook()
    with pytest.raises(ValueError, match=r"format must be 'png' or 'svg', got 'gif'"):
        draw_steps(L, tmp_path, format="gif")
    with pytest.raises(GraphTooLargeError, match="max_nodes=3"):
        draw_steps(L, tmp_path, max_nodes=3)


def test_draw_steps_refuses_an_empty_folder_name_and_writes_nothing(tmp_path, monkeypatch):
    """'' meant the current folder: frames and steps.html landed wherever the process happened to be."""
    L, _ = textbook()
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ValueError, match=r"draw_steps: out_dir: the folder name is empty"):
        draw_steps(L, "")
    assert list(tmp_path.iterdir()) == []
    assert len(draw_steps(L, ".", format="svg").frames) == 6  # the current folder, by name (no step into the 2)
    assert (tmp_path / "steps.html").is_file()


def test_graph_is_a_digraph_subclass():
    assert issubclass(Graph, graphviz.Digraph)


# ---- hardening: labels changed after creation, huge labels, the stepper's script ----


@pytest.mark.parametrize("bad", [3, None, b"x", ["a"]])
def test_a_label_set_to_a_non_string_is_refused_at_assignment_and_every_view_still_works(tmp_path, bad):
    x = Value(2.0, label="x")
    y = x * 3
    y.backward()
    match = rf"label of Value\(data=2.0, .*label='x'\) must be a str, got {re.escape(repr(bad))}"
    with pytest.raises(TypeError, match=match):
        x.label = bad
    assert x.label == "x"
    assert "x" in draw(y).source and "x" in draw(y, view="backward").source
    assert len(draw_steps(y, tmp_path, format="svg").frames) == 2  # the seed and x's step (none into the 3)
    assert str(autograd.explain(y, x)).splitlines()[-1] == "∂L/∂x = 3"


def xlink_titles(svg):
    root = ET.fromstring(svg)
    return [
        e.get("{http://www.w3.org/1999/xlink}title")
        for e in root.iter()
        if e.get("{http://www.w3.org/1999/xlink}title")
    ]


@needs_dot
@pytest.mark.parametrize("n", [16_384, 20_000, 100_000])
def test_huge_labels_are_cut_with_an_ellipsis_and_kept_as_tooltip(tmp_path, n):
    label = ('w\\N"<&' * n)[:n]
    x = Value(1.0, label=label)
    y = x * 2
    y.label = "y"
    y.backward()
    for view in ("forward", "backward"):
        svg = draw(y, view=view, title=label).pipe(format="svg").decode()
        title = [t for t, _ in svg_texts(svg)][:4]  # the title wraps, at most 4 lines of 100 characters
        assert "".join(title) == label[:398] + " …" and all(len(t) <= 100 for t in title)
        shown = [t for t, _ in svg_texts(svg)[4:] if t.startswith("w\\N")]
        assert shown and all(t.endswith("…") or t.endswith("… = 1") for t in shown), shown
        assert all(len(t) < 100 for t in shown)
        assert any(t.startswith("input: " + label[:1000]) for t in xlink_titles(svg))  # the text, unexpanded
    files = draw_steps(y, tmp_path, format="svg")
    assert files.html.is_file() and all(xlink_titles(f.read_text(encoding="utf-8")) for f in files.frames)


@needs_dot
def test_stepper_script_cannot_be_closed_or_escaped_by_a_label(tmp_path):
    x = Value(1.0, label="<!--<script>")
    y = x * 2
    y.label = "</script><script>alert(1)</script>"
    y.backward()
    page = draw_steps(y, tmp_path, format="svg").html.read_text(encoding="utf-8")
    template = (pathlib.Path(autograd.__file__).parent / "draw" / "player.html").read_text(encoding="utf-8")
    assert page.count("<script") == template.count("<script") == page.count("</script>")
    assert page.count("<!--") == template.count("<!--")  # only the template's own comment
