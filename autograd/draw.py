"""Draw a Value's graph with graphviz: the forward view (values), the backward view (gradients and the
local derivative on every edge), and the backward pass step by step as frames plus an HTML stepper.

Colours and shapes: inputs are blue ellipses, parameters (``node.is_parameter``, e.g. ``nn.Parameter``)
orange boxes, constants (leaves without a label) small grey ellipses, intermediate results white rounded
boxes, and the output a green rounded box with a double border.
"""
import base64
import html
import math
import pathlib
import typing

import graphviz

from .engine import Value, op_of, topological_order
from .explain import local_forms, with_value
from .player import player_page

__all__ = ["draw", "draw_steps", "nodes_between", "Graph", "StepFiles",
           "DotNotFoundError", "BackwardNotRunError", "GraphTooLargeError"]

_INSTALL = ("graphviz's 'dot' program was not found on PATH, so the graph cannot be rendered "
            "(building it and reading .source still work); install graphviz and make sure 'dot' is on PATH: "
            "Debian/Ubuntu 'sudo apt-get install graphviz', macOS 'brew install graphviz', "
            "Windows 'winget install graphviz' (or the installer from graphviz.org, then add its bin folder to PATH), "
            "conda 'conda install -c conda-forge graphviz'")


class DotNotFoundError(graphviz.ExecutableNotFound):
    """Rendering needs graphviz's `dot` binary and it is not on PATH; the message says how to install it."""

    def __init__(self):
        RuntimeError.__init__(self, _INSTALL)


class BackwardNotRunError(RuntimeError):
    """A backward view (or its numbers) was asked for, but ``backward()`` has not run on the root."""


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes``; the message says how to see more.
    ``.nodes`` and ``.max_nodes`` hold the two numbers."""

    def __init__(self, message, nodes, max_nodes):
        super().__init__(message)
        self.nodes, self.max_nodes = nodes, max_nodes


class Graph(graphviz.Digraph):
    """The ``graphviz.Digraph`` that ``draw`` returns: ``.source``, ``.render(path, format=...)``,
    ``.pipe()`` and inline display in Jupyter work as usual; a missing ``dot`` raises `DotNotFoundError`.

    >>> isinstance(draw(Value(1.0, label="x")), graphviz.Digraph)
    True
    """

    def pipe(self, *args, **kwargs):
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise DotNotFoundError() from None

    def render(self, *args, **kwargs):
        """Like graphviz's ``render``, but the DOT source file is deleted afterwards unless ``cleanup=False``:
        ``render("L", format="png")`` leaves ``L.png`` only."""
        if len(args) < 4:  # cleanup is graphviz's 4th positional parameter
            kwargs.setdefault("cleanup", True)
        try:
            return super().render(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise DotNotFoundError() from None


# ---- small helpers: escaping, numbers, names ----

def _esc(text):
    """Text for an HTML-like graphviz label, shown exactly: & < > " escaped, backslashes doubled, newlines as <BR/>, and
    characters XML refuses or that draw nothing as visible escapes (see _visible)."""
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        # graphviz expands \\N, \\G, \\E ... even in HTML-like labels, and reads \\\\ as one backslash
        out.append(html.escape(_visible(line), quote=False).replace('"', "&quot;").replace("\\", "\\\\"))
    return "<BR/>".join(out)


def _visible(text):
    """Characters XML refuses or that draw nothing (controls, U+FFFE, U+FFFF, lone surrogates) as \\x.. escapes."""
    return "".join(f"\\x{ord(c):02x}" if ord(c) < 32 or 0x7f <= ord(c) < 0xa0 else
                   f"\\u{ord(c):04x}" if c in "\ufffe\uffff" or "\ud800" <= c <= "\udfff" else c for c in text)


# dot refuses an HTML-like label or a quoted string of 16,384 characters or more: a label is cut to
# _MAX_LABEL characters in the image (with an ellipsis) and shown in full, up to _MAX_TOOLTIP, as the tooltip.
_MAX_LABEL = 80
_MAX_TOOLTIP = 2000


def _cut(text, n=_MAX_LABEL):
    """text, or its first n - 1 characters and an ellipsis."""
    return text if len(text) <= n else text[:n - 1] + "…"


def _tooltip(v, kind):
    """The node's tooltip: its kind, and its label when the image shows the label cut short."""
    if len(v.label) <= _MAX_LABEL:
        return kind
    text = _cut(f"{kind}: {v.label}", _MAX_TOOLTIP).replace("\r\n", "\n").replace("\r", "\n")
    # an escString: graphviz unescapes the quoted string, then expands \\N etc., so a backslash is written as four
    return "\\n".join(_visible(line).replace("\\", "\\\\\\\\") for line in text.split("\n"))


def _fmt(x, precision):
    """A float as short text: 2.0 -> '2', 0.70474 -> '0.7047' (precision significant digits)."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{precision}g}"


def _kind(v, root):
    if v is root:
        return "output"
    if not v.is_leaf:
        return "op"
    if v.is_parameter:
        return "parameter"
    return "input" if v.label else "constant"


_STYLE = {  # node attributes per kind: shape and colour tell the kinds apart, also in greyscale
    "input": dict(shape="ellipse", style="filled", fillcolor="#cfe2ff", color="#1f5fbf"),
    "parameter": dict(shape="box", style="filled", fillcolor="#ffe0b2", color="#c25e00"),
    "constant": dict(shape="ellipse", style="filled", fillcolor="#eeeeee", color="#9e9e9e",
                     fontsize="10", fontcolor="#555555", height="0.3", margin="0.04,0.02"),
    "op": dict(shape="box", style="rounded,filled", fillcolor="#ffffff", color="#444444"),
    "output": dict(shape="box", style="rounded,filled", fillcolor="#c8f0c8", color="#1b7a1b", peripheries="2"),
}

_MAX_TEXT = 32  # longest sub-expression written out in a node; longer ones show as '·'


def _names(order, precision):
    """For every node, (text, precedence) naming it inside a parent's formula, and its own formula.

    Labelled nodes are named by their label, unlabelled leaves by their value, unlabelled op results
    by their expression (e.g. 'a + 2 * b') when short. Precedence: 1 '+', 2 '*', 3 negative number,
    4 '**', 5 atom; a child is parenthesised when it binds less tightly than its parent needs.
    """
    name, formula = {}, {}
    for v in order:  # children before parents
        if not v.is_leaf:
            f = _formula(v, name)
            formula[v] = f
            if v.label:
                name[v] = (_cut(v.label), 5)
            else:
                name[v] = f if len(f[0]) <= _MAX_TEXT else ("·", 5)
        elif v.label:
            name[v] = (_cut(v.label), 5)
        else:
            name[v] = (_fmt(v.data, precision), 3 if v.data < 0 else 5)
    return name, formula


def _formula(v, name):
    """The op's display from the op table, with its operands' names (parenthesised where they bind less
    tightly than the op needs); a long n-ary op is summarised."""
    op, kids = op_of(v), v.children
    if op.formula_text is not None:
        return op.formula_text, op.prec
    if op.arity < 0 and len(kids) > 4:
        return (f"sum of {len(kids)} terms", 5) if op.prec < 5 else (f"{op.name}({len(kids)} terms)", 5)
    needs = op.needs if op.arity >= 0 else op.needs * len(kids)
    texts = []
    for child, need in zip(kids, needs):
        text, prec = name[child]
        texts.append(f"({text})" if prec < need else text)
    return op.formula(*texts), op.prec


def _graph_name(v, name):
    """The short name used in d(root)/d(v): the label, or None."""
    text = name[v][0]
    return text if v.label and len(text) <= 12 else None


def _local_text(parent, child, local, name, precision, j):
    # the symbolic form from the op table, then the number: '∂L/∂e = c = -2'; operand j of parent
    def named(v):  # a sub-expression too long to write ('·') shows its value instead
        return name[v] if name[v][0] != "·" else (_fmt(v.data, precision), 3 if v.data < 0 else 5)
    text = with_value(local_forms(parent, named)[j], _fmt(local, precision))
    p, c = _graph_name(parent, name), _graph_name(child, name)
    if p and c:
        return f"∂{p}/∂{c} = {text}"
    return f"local {text}"


def _grad_text(v, root, name, precision, grad, seed_is_one=True):
    # .grad is d(root)/d(v) only when backward() seeded the root with 1 (once)
    r, n = _graph_name(root, name), _graph_name(v, name)
    if r and n and seed_is_one:
        return f"∂{r}/∂{n} = {grad}"
    return f"grad = {grad}"


def _check_root(root, what):
    if not isinstance(root, Value):
        raise TypeError(f"{what}: root must be a Value, got {root!r} of type {type(root).__name__}")


def _order(root, max_nodes, what):
    if max_nodes is not None and (type(max_nodes) is not int or max_nodes < 1):
        raise ValueError(f"{what}: max_nodes must be a positive int or None, got {max_nodes!r}")
    order = topological_order(root)
    for v in order:
        if type(v.label) is not str:
            raise TypeError(f"{what}: the label of node {v!r} must be a str, got {v.label!r} of type "
                            f"{type(v.label).__name__}; set node.label to a str")
    if max_nodes is not None and len(order) > max_nodes:
        raise GraphTooLargeError(
            f"{what}: the graph has {len(order)} nodes, more than max_nodes={max_nodes}; to see it all pass "
            f"max_nodes={len(order)} (or None), or draw a part of it by passing an inner node as the root; "
            f"clusters={{title: nodes}} groups nodes (see nodes_between)", len(order), max_nodes)
    return order


def _cluster_of(clusters, what):
    """{node: cluster index} and the titles; a node listed twice stays in its first cluster."""
    if clusters is None:
        return {}, []
    if not hasattr(clusters, "items"):
        raise TypeError(f"{what}: clusters must be a mapping {{title: iterable of Values}}, got {clusters!r}")
    where, titles = {}, []
    for title, nodes in clusters.items():
        if not isinstance(title, str):
            raise TypeError(f"{what}: a cluster title must be a str, got {title!r}")
        for v in nodes:
            if not isinstance(v, Value):
                raise TypeError(f"{what}: cluster {title!r} must list Values, got {v!r}")
            where.setdefault(v, len(titles))
        titles.append(title)
    return where, titles


def _new_graph(rankdir, title, what):
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"{what}: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    g = Graph(graph_attr=dict(rankdir=rankdir, bgcolor="white", fontname="Helvetica", nodesep="0.25",
                              ranksep="0.45", pad="0.2"),
              node_attr=dict(fontname="Helvetica", fontsize="12", margin="0.1,0.05"),
              edge_attr=dict(fontname="Helvetica", fontsize="11", arrowsize="0.7", color="#555555"))
    if title is not None:
        g.attr(label=f"<{_esc(_cut(str(title)))}>", labelloc="t", fontsize="14")
    return g


def _table(rows):
    cells = "".join(f"<TR><TD{attrs}>{text}</TD></TR>" for text, attrs in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def _node_rows(v, formula, precision):
    """The title row(s) every view shows: 'a = 3' for a leaf, 'e = a + d' then '= 5' for an op."""
    value = _fmt(v.data, precision)
    if v.is_leaf:
        if not v.label:
            return [(value, "")]
        return [(f"<B>{_esc(_cut(v.label))}</B> = {value}", "")]
    text = _esc(formula[v][0])
    title = f"<B>{_esc(_cut(v.label))}</B> = {text}" if v.label else text
    return [(title, ""), (f"= {value}", "")]


def _emit(g, order, where, titles, node_label, node_extra=None):
    """Node statements, inside their cluster subgraphs where given, in order (inputs first)."""
    ids = {v: f"n{i}" for i, v in enumerate(order)}
    groups = [[] for _ in titles]
    loose = []
    for v in order:
        (groups[where[v]] if v in where else loose).append(v)
    for v in loose:  # first, so that inputs outside every cluster are placed before (above) the clusters
        g.node(ids[v], node_label(v), **(node_extra(v) if node_extra else {}))
    for i, (title, members) in enumerate(zip(titles, groups)):
        if not members:
            continue
        with g.subgraph(name=f"cluster_{i}") as c:
            c.attr(label=f"<{_esc(_cut(title))}>", style="rounded,dashed", color="#888888", fontsize="12",
                   fontcolor="#444444")
            for v in members:
                c.node(ids[v], node_label(v), **(node_extra(v) if node_extra else {}))
    return ids


# ---- public API ----

def draw(root, view="forward", rankdir="LR", clusters=None, max_nodes=250, precision=4, title=None):
    """The graph below `root` as a ``graphviz.Digraph`` (a `Graph`).

    view="forward": every node shows its label, op (as a formula, e.g. 'e = a + d') and value.
    view="backward": every node also shows its gradient, and every edge the local derivative
    d(parent)/d(child) and 'upstream x local = contribution'; arrows point from the output back to
    the inputs. It needs ``root.backward()`` to have run: if ``root.grad`` is 0 it raises
    `BackwardNotRunError` (a graph after backward() has root.grad = 1, the seed). Gradients are
    written d(root)/d(node) when root.grad is 1, else 'grad =' (after backward(grad=2) or two backward calls).
    clusters: {title: iterable of Values} draws those nodes inside a titled box (see `nodes_between`).
    max_nodes: more nodes raise `GraphTooLargeError` (None draws any size).

    >>> a, b = Value(3.0, label="a"), Value(1.0, label="b")
    >>> L = a * b; L.label = "L"; L.backward()
    >>> "∂L/∂a = 1" in draw(L, view="backward").source
    True
    """
    what = "draw"
    _check_root(root, what)
    if view not in ("forward", "backward"):
        raise ValueError(f"{what}: view must be 'forward' or 'backward', got {view!r}")
    if type(precision) is not int or not 1 <= precision <= 17:
        raise ValueError(f"{what}: precision must be an int from 1 to 17, got {precision!r}")
    backward = view == "backward"
    if backward and root.grad == 0.0:
        raise BackwardNotRunError(
            f"{what}(view='backward'): root {root!r} has grad 0, so backward() has not run on this graph; "
            "call root.backward() first, or draw view='forward'")
    order = _order(root, max_nodes, what)
    order.reverse()  # inputs first: graphviz places nodes in the order they are declared
    where, titles = _cluster_of(clusters, what)
    name, formula = _names(order, precision)
    g = _new_graph(rankdir, title, what)

    def label(v):
        rows = _node_rows(v, formula, precision)
        if backward:
            grad = _esc(_grad_text(v, root, name, precision, _fmt(v.grad, precision), root.grad == 1.0))
            rows.append((f'<FONT COLOR="#b71c1c"><B>{grad}</B></FONT>', ""))
        return _table(rows)

    ids = _emit(g, order, where, titles, label,
                lambda v: dict(_STYLE[_kind(v, root)], tooltip=_tooltip(v, _kind(v, root))))
    for v in order:
        for j, (child, local) in enumerate(zip(v.children, v.local_grads)):
            if backward:
                lines = [_local_text(v, child, local, name, precision, j),
                         f"{_fmt(v.grad, precision)} × {_fmt(local, precision)} = {_fmt(v.grad * local, precision)}"]
                g.edge(ids[child], ids[v], label=f'<<FONT COLOR="#b71c1c">{"<BR/>".join(map(_esc, lines))}</FONT>>',
                       dir="back", color="#b71c1c")
            else:
                g.edge(ids[child], ids[v])
    return g


def nodes_between(outputs, inputs=()):
    """The nodes reachable from `outputs` without going past `inputs` (inputs excluded, outputs included),
    as a list, outputs first. Made for clusters: the nodes one layer or one RNN time step computed.

    >>> x = Value(1.0, label="x"); h = (x * 2).tanh(); y = h * 3
    >>> [v.op for v in nodes_between(y, [h])]
    ['*', '']
    """
    outs = _values(outputs, "nodes_between(outputs=...)")
    stop = set(_values(inputs, "nodes_between(inputs=...)"))
    seen, result, stack = set(), [], outs[::-1]
    while stack:
        v = stack.pop()
        if v in seen or v in stop:
            continue
        seen.add(v)
        result.append(v)
        stack.extend(reversed(v.children))
    return result


def _values(xs, what):
    if isinstance(xs, Value):
        return [xs]
    try:
        xs = list(xs)
    except TypeError:
        raise TypeError(f"{what} must be a Value or an iterable of Values, got {xs!r}") from None
    for x in xs:
        if not isinstance(x, Value):
            raise TypeError(f"{what} must be a Value or an iterable of Values, got an element {x!r}")
    return xs


# ---- step by step ----

class StepFiles(typing.NamedTuple):
    """What `draw_steps` wrote: the numbered frames (frame 0 first) and the HTML stepper."""
    frames: list
    html: pathlib.Path


def _steps(order):
    """The backward pass as edges, in the order backward() uses them, with the gradients it computes:
    a list of (parent, child, local, upstream, contribution, child grad before or None, child grad after,
    the child's position among the parent's children)."""
    grads = {order[0]: 1.0}
    steps = []
    for v in order:
        for j, (child, local) in enumerate(zip(v.children, v.local_grads)):
            up = grads[v]
            before = grads.get(child)
            contribution = local * up
            grads[child] = (before or 0.0) + contribution
            steps.append((v, child, local, up, contribution, before, grads[child], j))
    return steps


def draw_steps(root, out_dir, format="png", rankdir="LR", clusters=None, max_nodes=100, precision=4):
    """The backward pass of `root`, one edge at a time, as numbered frames in `out_dir` plus one
    self-contained HTML page (``steps.html``, see `autograd.player`: frames embedded, buttons and keys,
    zoom and pan, no network).

    Frame 0 shows the seed d(root)/d(root) = 1; frame k the gradients known after k steps of the
    reverse topological order, the edge used in step k highlighted with 'upstream x local = contribution'.
    Gradients are computed here with root's seed 1, without touching any ``.grad``.
    Returns a `StepFiles` (frames, html). Needs graphviz's ``dot``.

    >>> a = Value(2.0, label="a"); y = a * a; y.label = "y"
    >>> files = draw_steps(y, tmp_path)            # doctest: +SKIP
    >>> len(files.frames)                          # doctest: +SKIP
    3
    """
    what = "draw_steps"
    _check_root(root, what)
    if format not in ("png", "svg"):
        raise ValueError(f"{what}: format must be 'png' or 'svg', got {format!r}")
    if type(precision) is not int or not 1 <= precision <= 17:
        raise ValueError(f"{what}: precision must be an int from 1 to 17, got {precision!r}")
    out_dir = pathlib.Path(out_dir)
    order = _order(root, max_nodes, what)
    steps = _steps(order)
    step_of = {(s[0], s[7]): n for n, s in enumerate(steps)}
    inputs_first = order[::-1]
    where, titles = _cluster_of(clusters, what)
    name, formula = _names(inputs_first, precision)
    fmt = lambda x: _fmt(x, precision)  # noqa: E731
    parents = {}
    for v in order:
        for child in v.children:
            parents[child] = parents.get(child, 0) + 1
    final = {order[0]: 1.0}
    for s in steps:
        final[s[1]] = s[6]
    # every text a grad cell will show, so that its width (and the layout) is the same in every frame
    widths = {v: 7 * max(len(_grad_text(v, root, name, precision, t))
                         for t in ("?", fmt(final.get(v, 0.0)), f"{fmt(final.get(v, 0.0))} + ?"))
              for v in order}

    frames_src, captions = [], []
    for k in range(len(steps) + 1):
        g = _new_graph(rankdir, None, what)
        g.attr(label=f"backward pass, step {k} of {len(steps)}", labelloc="t", fontsize="13")
        known, pending = {order[0]: 1.0}, dict(parents)
        for s in steps[:k]:
            known[s[1]] = s[6]
            pending[s[1]] -= 1
        current = steps[k - 1] if k else None

        def label(v):
            rows = _node_rows(v, formula, precision)
            if v not in known:
                text, color = _grad_text(v, root, name, precision, "?"), "#9e9e9e"
            elif pending.get(v, 0):
                text, color = _grad_text(v, root, name, precision, f"{fmt(known[v])} + ?"), "#b71c1c"
            else:
                text, color = _grad_text(v, root, name, precision, fmt(known[v])), "#b71c1c"
            rows.append((f'<FONT COLOR="{color}"><B>{_esc(text)}</B></FONT>', f' WIDTH="{widths[v]}"'))
            return _table(rows)

        def extra(v):
            attrs = dict(_STYLE[_kind(v, root)], tooltip=_tooltip(v, _kind(v, root)))
            if current and v is current[1]:
                attrs.update(fillcolor="#fff59d", penwidth="3", color="#b71c1c")
            elif current and v is current[0]:
                attrs.update(penwidth="3", color="#b71c1c")
            return attrs

        ids = _emit(g, inputs_first, where, titles, label, extra)
        for v in inputs_first:
            for j, (child, local) in enumerate(zip(v.children, v.local_grads)):
                n = step_of[v, j]
                product = f"{fmt(steps[n][3])} × {fmt(local)} = {fmt(steps[n][4])}"
                line1 = _esc(_local_text(v, child, local, name, precision, j))
                if n < k - 1:
                    lab, attrs = f'{line1}<BR/><FONT COLOR="#b71c1c"><B>{_esc(product)}</B></FONT>', dict(color="#b71c1c")
                elif n == k - 1:
                    lab = f'{line1}<BR/><FONT COLOR="#b71c1c"><B>{_esc(product)}</B></FONT>'
                    attrs = dict(color="#b71c1c", penwidth="3.5", fontcolor="#b71c1c")
                else:  # not used yet: the product is there, in white, so that the layout never moves
                    lab, attrs = f'{line1}<BR/><FONT COLOR="#ffffff"><B>{_esc(product)}</B></FONT>', dict(color="#999999")
                g.edge(ids[child], ids[v], label=f"<{lab}>", dir="back", **attrs)
        frames_src.append(g)
        captions.append(_caption(k, steps, root, name, precision))

    out_dir.mkdir(parents=True, exist_ok=True)
    width = max(2, len(str(len(steps))))
    frames, images = [], []
    for k, g in enumerate(frames_src):
        data = g.pipe(format=format)
        path = out_dir / f"step_{k:0{width}d}.{format}"
        path.write_bytes(data)
        frames.append(path)
        mime = "image/svg+xml" if format == "svg" else "image/png"
        images.append(f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}")
    page = out_dir / "steps.html"
    page.write_text(player_page(images, captions, _visible(f"Backward pass of {name[root][0]}, step by step")), encoding="utf-8")
    return StepFiles(frames, page)


def _caption(k, steps, root, name, precision):
    fmt = lambda x: _fmt(x, precision)  # noqa: E731
    r = _graph_name(root, name) or "out"
    if k == 0:
        return (f"Start: ∂{r}/∂{r} = 1, the seed. Every edge already carries its local derivative, "
                f"computed in the forward pass. {len(steps)} steps follow, one per edge, in reverse topological order.")
    parent, child, local, up, contribution, before, after, _ = steps[k - 1]
    p, c = name[parent][0], name[child][0]
    text = (f"Step {k} of {len(steps)}: {p} passes its gradient back to {c}: upstream gradient {fmt(up)} "
            f"× local derivative {fmt(local)} = {fmt(contribution)}.")
    if before is not None:
        text += f" {c} already had {fmt(before)} from another path, so it now holds {fmt(before)} + {fmt(contribution)} = {fmt(after)}."
    if any(s[1] is child for s in steps[k:]):
        text += f" More paths lead to {c}: its gradient is not complete yet."
    elif not child.is_leaf:
        text += f" All paths to {c} are in: its gradient {fmt(after)} is final and it passes it on next."
    else:
        text += f" All paths to {c} are in: its gradient is {fmt(after)}."
    return text
