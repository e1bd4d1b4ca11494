"""The views of a Value's graph, drawn with graphviz: forward (values) and backward (gradients, and the local
derivative ∂parent/∂child on every edge), scalar by scalar or grouped by scopes (see `autograd.scope`):
an open scope is a labelled cluster, a collapsed one a single block, with the values (forward) or the
gradients (backward) on the edges that enter and leave it.

Colours and shapes: inputs are blue ellipses, parameters (``node.is_parameter``, e.g. ``nn.Parameter``)
orange boxes, constants (leaves without a label) small grey ellipses, intermediate results white rounded
boxes, the output a green rounded box with a double border, and a collapsed scope a purple 3-d box.

The internal API, for `autograd.draw.steps`: ``check_root``, ``new_graph``, ``check_precision``,
``edge_lines(...)``, ``block_rows(...)``, ``carries_all(grouping)``.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import graphviz

from ..engine import Value, topological_order
from ..files import write_atomic
from ..names import Naming, naming
from .groups import Block, Collapse, Expand, GraphTooLargeError, Grouping, Item, ScalarEdge, emit, group
from .layout import DotNotFoundError, Sheet, attached
from .notation import (
    STYLE,
    Row,
    cut,
    escape,
    grad_text,
    kind,
    local_text,
    node_rows,
    number,
    table,
    tip,
    tooltip,
)

__all__ = ["draw", "nodes_between", "Graph", "DotNotFoundError", "BackwardNotRunError", "GraphTooLargeError"]

# DejaVu Sans is on every Debian/Ubuntu machine with graphviz (fontconfig depends on it), so dot measures the
# text with the font a browser then draws the SVG with (Helvetica is not there: dot and the browser each pick
# another font, and the words of a line overlap or drift apart); sans-Serif is the browser's fallback elsewhere.
FONT = "DejaVu Sans,sans-Serif"
_MAX_LINES = 5  # values listed on an edge that enters or leaves a block; more are counted
_TITLE_WIDTH, _TITLE_LINES = 100, 4  # a title wraps at 100 characters (about 900 px at 14 pt), 4 lines at most


class BackwardNotRunError(RuntimeError):
    """A backward view (or its numbers) was asked for, but ``backward()`` has not run on the root."""


# graphviz is untyped (its classes are Any to mypy), and subclassing Any is an error under --strict: the class
# below extends graphviz's on purpose.
class Graph(graphviz.Digraph):  # type: ignore[misc]  # graphviz is untyped
    """The ``graphviz.Digraph`` that ``draw`` returns: ``.source``, ``.render(path, format=...)``,
    ``.pipe()`` and inline display in Jupyter work as usual; a missing ``dot`` raises `DotNotFoundError`.

    Rendering first lays the graph out once to find the edge labels that dot placed nearer another edge's
    line than their own (a long edge can bend away from its label), and attaches each of them to its edge
    with a line (dot's ``decorate``); ``.source`` shows them from then on.

    >>> isinstance(draw(Value(1.0, label="x")), graphviz.Digraph)
    True
    """

    _settled = False

    def settle(self) -> list[str]:
        """Attach the labels that read as another edge's to their own edge (one layout by dot, the first
        time only); returns the ids of those edges. Edges without an ``id`` are left as they are."""
        if self._settled:
            return []
        try:
            strays = Sheet(super().pipe(format="svg")).strays() if "id=e" in self.source else []
        except graphviz.ExecutableNotFound:
            raise DotNotFoundError() from None
        self.attach(strays)
        return strays

    def attach(self, edges: Iterable[str]) -> None:
        """Draw the labels of the edges whose ids are listed attached to their edge (decorate=true)."""
        wanted = set(edges)
        self.body[:] = [attached(line, wanted) for line in self.body]
        self._settled = True

    def pipe(self, *args: Any, **kwargs: Any) -> Any:  # bytes, or str when an encoding is given
        self.settle()
        # graphviz starts dot, then encodes the source line by line: a character the encoding refuses (a lone
        # surrogate in an attribute set by hand) would stop it half way, with dot left waiting on its input
        try:
            self.source.encode(self.encoding)
        except UnicodeEncodeError as e:
            raise ValueError(
                f"pipe: the graph's DOT source holds {e.object[e.start : e.end]!r}, which {self.encoding} cannot "
                f"encode (chaingrad escapes every text it draws: was an attribute set by hand?)"
            ) from None
        try:
            return super().pipe(*args, **kwargs)
        except graphviz.ExecutableNotFound:
            raise DotNotFoundError() from None

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = True,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,  # accepted for graphviz's signature: no source file is read here
    ) -> str:
        """Render to ``<filename>.<format>`` (or to ``outfile``, its format from its suffix) and return that path:
        ``render("L", format="png")`` writes ``L.png`` and nothing else. Unlike graphviz's own ``render``, the DOT
        source goes to ``dot`` through a pipe: no file named ``filename`` is written or deleted, unless
        ``cleanup=False`` asks for the source there too. The image is written atomically, a symbolic link is
        followed and a path that is not a regular file is refused (`autograd.files.write_atomic`).

        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp(); notes = os.path.join(folder, "notes.txt")
        >>> _ = open(notes, "w").write("mine")
        >>> draw(Value(1.0, label="x")).render(notes, format="dot") == notes + ".dot", open(notes).read()
        (True, 'mine')
        """
        # os.path, not pathlib: a trailing '/' (a folder, not a file) must reach write_atomic, which refuses it
        folder = os.fspath(directory if directory is not None else self.directory)
        if outfile is not None:
            out = os.path.join(folder, os.fspath(outfile))
            format = format or os.path.splitext(out)[1][1:].lower()
            if not format:
                raise ValueError(f"render: cannot tell the format from outfile={os.fspath(outfile)!r}: give format=")
            source = os.path.splitext(out)[0] + ".gv"
        else:
            name = os.fspath(filename) if filename is not None else self.filename
            if not name:
                raise ValueError("render: the file name is empty; give one, e.g. render('graph', format='svg')")
            source = os.path.join(folder, name)
            format = format or self.format
            out = f"{source}.{format}"
        if raise_if_result_exists and os.path.exists(out):
            raise graphviz.FileExistsError(f"render: output file exists: {os.fspath(out)!r}")
        data = self.pipe(
            format=format, renderer=renderer, formatter=formatter, neato_no_op=neato_no_op, quiet=quiet, engine=engine
        )
        write_atomic(out, data, "render")
        if not cleanup:
            write_atomic(source, self.source.encode("utf-8"), "render")
        if view or quiet_view:
            graphviz.view(out, quiet=quiet_view)
        return out


def check_root(root: object, what: str) -> None:
    """A TypeError unless root is a Value.

    >>> check_root(3.0, "draw")
    Traceback (most recent call last):
    ...
    TypeError: draw: root must be a Value, got 3.0 of type float
    """
    if not isinstance(root, Value):
        raise TypeError(f"{what}: root must be a Value, got {root!r} of type {type(root).__name__}")


def check_precision(precision: object, what: str) -> None:
    """A ValueError unless precision is an int from 1 to 17.

    >>> check_precision(4, "draw")
    """
    if type(precision) is not int or not 1 <= precision <= 17:
        raise ValueError(f"{what}: precision must be an int from 1 to 17, got {precision!r}")


def new_graph(rankdir: str, title: object, what: str, note: str | None = None) -> Graph:
    """An empty `Graph` with the house style; ``title`` on top, ``note`` (smaller, grey) under it.

    >>> "rankdir=TB" in new_graph("TB", "t", "draw").source
    True
    """
    if rankdir not in ("LR", "RL", "TB", "BT"):
        raise ValueError(f"{what}: rankdir must be 'LR', 'RL', 'TB' or 'BT', got {rankdir!r}")
    g = Graph(
        graph_attr=dict(rankdir=rankdir, bgcolor="white", fontname=FONT, nodesep="0.25", ranksep="0.45", pad="0.2"),
        node_attr=dict(fontname=FONT, fontsize="12", margin="0.1,0.05"),
        edge_attr=dict(fontname=FONT, fontsize="10", arrowsize="0.7", color="#555555"),
    )
    lines = ([escape(wrap(str(title)))] if title is not None else []) + (
        [f'<FONT POINT-SIZE="11" COLOR="#555555">{escape(note)}</FONT>'] if note else []
    )
    if lines:
        g.attr(label=f"<{'<BR/>'.join(lines)}>", labelloc="t", fontsize="14")
    return g


def wrap(title: str, width: int = _TITLE_WIDTH, most: int = _TITLE_LINES) -> str:
    """A title as lines of at most ``width`` characters, broken between words (a line break of the title's
    own is kept); past ``most`` lines the last one ends with an ellipsis.

    >>> wrap("the RNN unrolled over 4 time steps", width=16).splitlines()
    ['the RNN unrolled', 'over 4 time', 'steps']
    """
    lines = [
        piece
        for paragraph in title.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        for piece in (textwrap.wrap(paragraph, width, break_on_hyphens=False) or [""])
    ]
    if len(lines) > most:
        lines = [*lines[: most - 1], lines[most - 1][: width - 2] + " …"]
    return "\n".join(lines)


def flow_text(
    child: Value,
    root: Value,
    names: Naming,
    precision: int,
    amount: float,
    whole: bool,
    seed_is_one: bool,
) -> str:
    """The gradient a block edge carries back to `child`: '∂L/∂c = g' when it is all of c's gradient,
    else the share this edge adds, '∂L/∂c += g' (with 'grad of c' when the root's seed is not 1).

    >>> h = Value(1.0, label="h1"); L = h * 2; n = naming(L)
    >>> flow_text(h, L, n, 4, 0.25, False, True), flow_text(h, L, n, 4, 0.25, True, False)
    ('∂L/∂h1 += 0.25', 'grad of h1 = 0.25')
    """
    sign = "=" if whole else "+="
    if seed_is_one:
        return f"{names.partial(root)}/{names.partial(child)} {sign} {number(amount, precision)}"
    return f"grad of {names[child]} {sign} {number(amount, precision)}"


def edge_lines(
    tail: Item,
    scalar: Iterable[ScalarEdge],
    root: Value,
    names: Naming,
    precision: int,
    backward: bool,
    grads: Mapping[Value, float],
    whole: Callable[[Value], bool],
    seed_is_one: bool = True,
) -> list[str]:
    """The text lines of an edge that enters or leaves a block: for each value crossing it, its value (forward,
    when it leaves a block) or the gradient flowing back along the edge (backward: sum of upstream x local over
    the scalar edges, from ``grads``); at most a few, the largest, then 'and k more'. ``whole(child)``: the edge carries
    all of child's gradient. A constant is never listed: it carries no gradient, and its value is written
    where it is used."""
    flows: dict[Value, float] = {}
    for parent, child, local, _ in scalar:
        if not child.is_constant:
            flows[child] = flows.get(child, 0.0) + grads[parent] * local
    shown = list(flows)
    if len(shown) > _MAX_LINES:  # the largest first (gradients, or values), the rest counted
        size = (lambda c: abs(flows[c])) if backward else (lambda c: abs(c.data))
        shown = sorted(shown, key=size, reverse=True)[: _MAX_LINES - 1]
    if backward:
        lines = [flow_text(c, root, names, precision, flows[c], whole(c), seed_is_one) for c in shown]
    elif isinstance(tail, Block):
        lines = [f"{names[c]} = {number(c.data, precision)}" for c in shown]
    else:
        return []
    if len(shown) < len(flows):
        lines.append(f"and {len(flows) - len(shown)} more")
    return lines


def block_rows(b: Block) -> list[Row]:
    """The rows of a block's label: its title, and what it holds.

    >>> from autograd.draw.groups import Block
    >>> block_rows(Block(("layers[0]",)))
    [('<B>layers[0]</B>', ''), ('0 nodes', '')]
    """
    inside = f"{len(b.nodes)} nodes" + (f", {b.parameters} parameters" if b.parameters and b.is_scope else "")
    return [(f"<B>{escape(cut(b.title))}</B>", ""), (escape(inside), "")]


def carries_all(grouping: Grouping) -> Callable[[Value], bool]:
    """whole(child): every edge from child runs into one drawn item (so one edge carries all of its gradient).

    >>> from autograd.draw.groups import group
    >>> x = Value(1.0, label="x"); y = x * x; z = y + x
    >>> whole = carries_all(group([x, y, z], collapse=None))
    >>> whole(y), whole(x)
    (True, False)
    """
    heads: dict[Value, set[Item]] = {}
    for _tail, head, scalar in grouping.edges:
        for _, child, _, _ in scalar:
            heads.setdefault(child, set()).add(head)
    return lambda child: len(heads[child]) == 1


def _note(grouping: Grouping, n: int) -> str:
    """How to open an automatically collapsed picture: two short lines under the title."""
    scopes = [b for b in grouping.blocks if b.is_scope]
    deeper = any(len(v.scope) > len(b.path) for b in scopes for v in b.nodes)
    level = ", collapse=2 the next level of scopes" if deeper else ""
    return (
        f"{n} nodes, too many to read one by one: each outermost scope is one block.\n"
        f"draw(..., expand=[{scopes[0].title!r}]) opens a block{level}; "
        f"collapse=None, max_nodes=None draws every scalar."
    )


# ---- public API ----


def draw(
    root: Value,
    view: str = "forward",
    rankdir: str = "LR",
    clusters: Mapping[str, Iterable[Value]] | None = None,
    max_nodes: int | None = 250,
    precision: int = 4,
    title: object = None,
    collapse: Collapse = "auto",
    expand: Expand = None,
    svg_ids: Mapping[Value, str] | None = None,
) -> Graph:
    """The graph below `root` as a ``graphviz.Digraph`` (a `Graph`).

    view="forward": every node shows its label, op (as a formula, e.g. 'e = a + d') and value.
    view="backward": every node also shows its gradient ∂L/∂node, and every edge the local derivative
    ∂parent/∂child (in symbols where the op table has them, then its value: '∂L/∂e = c = -2') and
    'upstream x local = contribution'; arrows point from the output back to
    the inputs. It needs ``root.backward()`` to have run: if ``root.grad`` is 0 it raises
    `BackwardNotRunError` (a graph after backward() has root.grad = 1, the seed). Gradients are
    written ∂L/∂node when root.grad is 1, else 'grad =' (after backward(grad=2) or two backward calls).
    Every node is called by the graph's one naming (`autograd.names`), as `explain` and the stepper call
    it: a label or a parameter's path in bold, else an automatic name in italics ('d = 2b', 'L'); a
    constant is shown as its number and carries no gradient (its edges have no text in the backward view).

    Scopes (``with autograd.scope(name):``, and ``nn`` modules name their calls: ``layers[0]``,
    ``neurons[2]``, ``step[3]``) group the picture:
    collapse="auto" (default): every scalar, each scope a labelled cluster, when the graph has at most
    `max_nodes` nodes; a larger graph is drawn with each outermost scope as one block, and a note says how
    to open it. collapse=None: every scalar. collapse=d: the scopes d deep (1: the outermost) are blocks.
    A block shows its name and size; the edges entering and leaving it carry the values (forward) or the
    gradients flowing back (backward, ∂L/∂x when the edge carries all of x's gradient, else += its share).
    Parameters used only inside blocks, by several of them, form one 'shared parameters' block.
    expand: scope paths (dotted, 'layers[1]', or tuples) drawn open although collapsed.
    clusters: {title: iterable of Values} draws those nodes inside a titled box instead of the scopes'
    clusters (see `nodes_between`). max_nodes: the largest number of items drawn; past it a graph with
    scopes is collapsed (collapse="auto"), one without raises `GraphTooLargeError` (None draws any size).
    svg_ids: {node: text} gives those nodes graphviz's ``id`` attribute, the id of the node's group in an SVG
    (``<g id="...">``), so that a page can tell which node is clicked (the playground, `autograd.serve`).

    >>> a, b = Value(3.0, label="a"), Value(1.0, label="b")
    >>> L = a * b; L.label = "L"; L.backward()
    >>> "∂L/∂a = 1" in draw(L, view="backward").source
    True
    """
    what = "draw"
    check_root(root, what)
    if view not in ("forward", "backward"):
        raise ValueError(f"{what}: view must be 'forward' or 'backward', got {view!r}")
    check_precision(precision, what)
    backward = view == "backward"
    if backward and float(root.grad) == 0.0:
        raise BackwardNotRunError(
            f"{what}(view='backward'): root {root!r} has grad 0, so backward() has not run on this graph; "
            "call root.backward() first, or draw view='forward'"
        )
    order = topological_order(root)
    order.reverse()  # inputs first: graphviz places nodes in the order they are declared
    grouping = group(order, clusters, collapse, expand, max_nodes, what)
    names = naming(root)
    g = new_graph(rankdir, title, what, _note(grouping, len(order)) if grouping.auto else None)
    grads = {v: float(v.grad) for v in order}  # after backward(create_graph=True) a grad is a Value: its number
    seed_is_one = grads[root] == 1.0

    def label(item: Item) -> str:
        if isinstance(item, Block):
            return table(block_rows(item))
        rows = node_rows(item, names, precision)
        if backward and not item.is_constant:
            grad = escape(grad_text(item, root, names, precision, number(grads[item], precision), seed_is_one))
            rows.append((f'<FONT COLOR="#b71c1c"><B>{grad}</B></FONT>', ""))
        return table(rows)

    def attrs(item: Item) -> dict[str, str]:
        if isinstance(item, Block):
            return dict(STYLE["block"], tooltip=tip(f"scope {item.title}" if item.is_scope else item.title))
        a = dict(STYLE[kind(item, root)], tooltip=tooltip(item, kind(item, root)))
        if svg_ids is not None and item in svg_ids:
            a["id"] = svg_ids[item]
        return a

    ids = emit(g, grouping, label, attrs)

    def drawn(v: Value) -> bool:  # a node the view draws is its own unit (else its block is)
        return grouping.unit.get(v) is v

    whole = carries_all(grouping)
    for k, (tail, head, scalar) in enumerate(grouping.edges):  # ids e0, e1, ...: see Graph.settle
        if isinstance(tail, Block) or isinstance(head, Block):
            lines = edge_lines(tail, scalar, root, names, precision, backward, grads, whole, seed_is_one)
            extra: dict[str, str] = dict(dir="back", color="#b71c1c") if backward else {}
            color = "#b71c1c" if backward else "#333333"
            extra.update(penwidth="1.5", fontsize="10", fontcolor=color, id=f"e{k}")
            text = "<BR/>".join(map(escape, lines))
            if text:
                extra["label"] = f'<<FONT COLOR="{color}">{text}</FONT>>'
            g.edge(ids[tail], ids[head], **extra)
        elif backward and child_of(scalar).is_constant:  # a constant carries no gradient: no text
            g.edge(ids[tail], ids[head], dir="back", color="#9e9e9e", id=f"e{k}")
        elif backward:
            ((v, child, local, j),) = scalar
            lines = [
                local_text(v, child, local, names, precision, j, drawn),
                f"{number(grads[v], precision)} × {number(local, precision)} = {number(grads[v] * local, precision)}",
            ]
            g.edge(
                ids[child],
                ids[v],
                label=f'<<FONT COLOR="#b71c1c">{"<BR/>".join(map(escape, lines))}</FONT>>',
                dir="back",
                color="#b71c1c",
                fontcolor="#b71c1c",
                id=f"e{k}",
            )
        else:
            g.edge(ids[tail], ids[head], id=f"e{k}")
    return g


def child_of(scalar: list[ScalarEdge]) -> Value:
    """The child of an edge between two drawn nodes (it holds one scalar edge)."""
    return scalar[0][1]


def nodes_between(outputs: Value | Iterable[Value], inputs: Value | Iterable[Value] = ()) -> list[Value]:
    """The nodes reachable from `outputs` without going past `inputs` (inputs excluded, outputs included),
    as a list, outputs first. Made for clusters: the nodes one layer or one RNN time step computed.

    >>> x = Value(1.0, label="x"); h = (x * 2).tanh(); y = h * 3
    >>> [v.op for v in nodes_between(y, [h])]
    ['*', '']
    """
    outs = _values(outputs, "nodes_between(outputs=...)")
    stop = set(_values(inputs, "nodes_between(inputs=...)"))
    seen: set[Value] = set()
    result: list[Value] = []
    stack = outs[::-1]
    while stack:
        v = stack.pop()
        if v in seen or v in stop:
            continue
        seen.add(v)
        result.append(v)
        stack.extend(reversed(v.children))
    return result


def _values(xs: Value | Iterable[Value], what: str) -> list[Value]:
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
