"""The backward pass step by step: the steps backward() takes (one per edge, with the gradients it computes),
drawn as numbered frames, and the HTML stepper that plays them (`autograd.draw.player`).

In a grouped view (scopes collapsed into blocks) the steps inside a block, or along one edge into or out of
it, make one frame; the stepper can open each block (the same pass, drawn with that block expanded).

The internal API, for the command line: ``check_out_dir(out_dir, what)``, the check `draw_steps` makes of its
folder before it draws.
"""

from __future__ import annotations

import base64
import os
import pathlib
import re
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from ..engine import Value, topological_order
from ..files import check_folder, check_target, write_atomic
from .groups import Block, Collapse, Expand, Grouping, Item, emit, group
from .notation import (
    STYLE,
    Name,
    escape,
    grad_text,
    kind,
    local_text,
    names,
    node_rows,
    number,
    table,
    tip,
    tooltip,
    visible,
)
from .player import Box, player_page
from .views import Graph, block_rows, carries_all, check_precision, check_root, edge_lines, new_graph

__all__ = ["draw_steps", "StepFiles", "backward_steps"]


class StepFiles(typing.NamedTuple):
    """What `draw_steps` wrote: the numbered frames (frame 0 first) and the HTML stepper."""

    frames: list[pathlib.Path]
    html: pathlib.Path


class Step(typing.NamedTuple):
    """One step of the backward pass: ``parent`` passes ``upstream`` x ``local`` = ``contribution`` to
    ``child`` (its ``j``-th operand), whose gradient goes from ``before`` (None: none yet) to ``after``."""

    parent: Value
    child: Value
    local: float
    upstream: float
    contribution: float
    before: float | None
    after: float
    j: int


# What a step shows as (a frame runs the consecutive steps of one key): an edge between two drawn nodes
# (its parent and operand index), work inside a block, or an edge into or out of a block (tail, head).
_Key = tuple[Literal["edge"], Value, int] | tuple[Literal["inside"], Block] | tuple[Literal["block edge"], Item, Item]
_Run = tuple[_Key, int, int]  # (key, first step index, end step index)


def backward_steps(order: Sequence[Value]) -> list[Step]:
    """The backward pass of ``order[0]`` (``order``: root first, as topological_order gives it), edge by edge
    in the order backward() uses them, with seed 1: a list of `Step`. No ``.grad`` is touched.

    >>> from autograd import Value
    >>> x = Value(3.0); y = x * x
    >>> [(s.contribution, s.after) for s in backward_steps(topological_order(y))]
    [(3.0, 3.0), (3.0, 6.0)]
    """
    grads = {order[0]: 1.0}
    steps: list[Step] = []
    for v in order:
        for j, (child, local) in enumerate(zip(v.children, v.local_grads)):
            up = grads[v]
            before = grads.get(child)
            contribution = local * up
            grads[child] = (before or 0.0) + contribution
            steps.append(Step(v, child, local, up, contribution, before, grads[child], j))
    return steps


def _key(step: Step, unit: Mapping[Value, Item]) -> _Key:
    """What a step shows as: an edge between two drawn nodes, work inside a block, or an edge of a block."""
    head, tail = unit[step.parent], unit[step.child]
    if head is tail:
        assert isinstance(head, Block)  # a node is never its own child: only a block holds both ends
        return ("inside", head)
    if isinstance(head, Block) or isinstance(tail, Block):
        return ("block edge", tail, head)
    return ("edge", step.parent, step.j)


def _frames(
    root: Value,
    order: Sequence[Value],
    steps: Sequence[Step],
    grouping: Grouping,
    name: Mapping[Value, Name],
    formula: Mapping[Value, Name],
    precision: int,
    rankdir: str,
    what: str,
) -> tuple[list[Graph], list[str], list[int]]:
    """The graphs of one view's frames, their captions, and how many steps each frame has done."""

    def fmt(x: float) -> str:
        return number(x, precision)

    unit = grouping.unit
    runs: list[_Run] = []  # (key, first step index, end step index)
    for n, s in enumerate(steps):
        k = _key(s, unit)
        if runs and runs[-1][0] == k:
            runs[-1] = (k, runs[-1][1], n + 1)
        else:
            runs.append((k, n, n + 1))
    ends = [0] + [r[2] for r in runs]
    step_of = {(s.parent, s.j): n for n, s in enumerate(steps)}
    parents: dict[Value, int] = {}
    for v in order:
        for child in v.children:
            parents[child] = parents.get(child, 0) + 1
    final = {order[0]: 1.0}
    for s in steps:
        final[s.child] = s.after
    inside: dict[Item, int] = {}
    for s in steps:
        if unit[s.parent] is unit[s.child] and isinstance(unit[s.child], Block):
            inside[unit[s.child]] = inside.get(unit[s.child], 0) + 1
    whole = carries_all(grouping)
    # a block's link is its number, never its title: graphviz rewrites \\N and the like in links, and a title
    # may hold any character (a lone surrogate cannot even be sent to dot)
    block_number = {b: k for k, b in enumerate(grouping.blocks)}
    # every text a grad cell will show, so that its width (and the layout) is the same in every frame
    widths = {
        v: 7
        * max(
            len(grad_text(v, root, name, precision, t))
            for t in ("?", fmt(final.get(v, 0.0)), f"{fmt(final.get(v, 0.0))} + ?")
        )
        for v in order
        if unit[v] is v
    }

    graphs: list[Graph] = []
    captions: list[str] = []
    for r in range(len(runs) + 1):
        done = ends[r]
        g = new_graph(rankdir, None, what)
        g.attr(label=f"backward pass, step {done} of {len(steps)}", labelloc="t", fontsize="13")
        known, pending = {order[0]: 1.0}, dict(parents)
        done_inside: dict[Item, int] = {}
        for s in steps[:done]:
            known[s.child] = s.after
            pending[s.child] -= 1
            if unit[s.parent] is unit[s.child]:
                done_inside[unit[s.child]] = done_inside.get(unit[s.child], 0) + 1
        current = runs[r - 1][0] if r else None
        touched: set[Item] = set()
        if current:
            touched = (
                {current[1]}
                if current[0] == "inside"
                else ({current[1], current[2]} if current[0] == "block edge" else {current[1]})
            )

        # label and attrs are called by emit() below, in this pass of the loop: bind this pass's state
        def label(
            item: Item,
            done_inside: dict[Item, int] = done_inside,
            known: dict[Value, float] = known,
            pending: dict[Value, int] = pending,
        ) -> str:
            if isinstance(item, Block):
                rows = block_rows(item)
                n_in = inside.get(item, 0)
                if n_in:
                    text = f"{done_inside.get(item, 0)} of {n_in} steps inside done"
                    width = 7 * len(f"{n_in} of {n_in} steps inside done")
                    rows.append((f'<FONT COLOR="#b71c1c">{escape(text)}</FONT>', f' WIDTH="{width}"'))
                return table(rows)
            v = item
            rows = node_rows(v, name, formula, precision)
            if v not in known:
                text, color = grad_text(v, root, name, precision, "?"), "#9e9e9e"
            elif pending.get(v, 0):
                text, color = grad_text(v, root, name, precision, f"{fmt(known[v])} + ?"), "#b71c1c"
            else:
                text, color = grad_text(v, root, name, precision, fmt(known[v])), "#b71c1c"
            rows.append((f'<FONT COLOR="{color}"><B>{escape(text)}</B></FONT>', f' WIDTH="{widths[v]}"'))
            return table(rows)

        def attrs(item: Item, current: _Key | None = current, touched: set[Item] = touched) -> dict[str, str]:
            if isinstance(item, Block):
                a = dict(STYLE["block"], tooltip=tip(item.title))
                if item.is_scope:  # a link, so that graphviz reports where the block is (see _boxes)
                    a["href"] = f"#block:{block_number[item]}"
                if item in touched:
                    a.update(penwidth="3", color="#b71c1c")
                return a
            a = dict(STYLE[kind(item, root)], tooltip=tooltip(item, kind(item, root)))
            if current and current[0] == "edge":
                step = steps[step_of[current[1], current[2]]]
                if item is step.child:
                    a.update(fillcolor="#fff59d", penwidth="3", color="#b71c1c")
                elif item is step.parent:
                    a.update(penwidth="3", color="#b71c1c")
            elif item in touched:
                a.update(penwidth="3", color="#b71c1c")
            return a

        ids = emit(g, grouping, label, attrs)
        for tail, head, scalar in grouping.edges:
            if isinstance(tail, Block) or isinstance(head, Block):
                ns = [step_of[p, j] for p, _, _, j in scalar]
                grads = {p: final.get(p, 0.0) for p, _, _, _ in scalar}
                lines = edge_lines(tail, scalar, root, name, precision, True, grads, whole)
                used = all(n < done for n in ns)
                colour = "#b71c1c" if used else "#ffffff"
                attrs_e = dict(color="#b71c1c" if used else "#999999", penwidth="1.5")
                if current == ("block edge", tail, head):
                    attrs_e.update(penwidth="3.5")
                g.edge(
                    ids[tail],
                    ids[head],
                    label=f'<<FONT COLOR="{colour}"><B>{"<BR/>".join(map(escape, lines))}</B></FONT>>',
                    dir="back",
                    **attrs_e,
                )
                continue
            ((v, child, local, j),) = scalar
            n = step_of[v, j]
            s = steps[n]
            product = f"{fmt(s.upstream)} × {fmt(local)} = {fmt(s.contribution)}"
            line1 = escape(local_text(v, child, local, name, precision, j))
            if n < done - 1 or (n == done - 1 and current and current[0] != "edge"):
                lab, attrs_e = (
                    f'{line1}<BR/><FONT COLOR="#b71c1c"><B>{escape(product)}</B></FONT>',
                    dict(color="#b71c1c"),
                )
            elif n == done - 1:
                lab = f'{line1}<BR/><FONT COLOR="#b71c1c"><B>{escape(product)}</B></FONT>'
                attrs_e = dict(color="#b71c1c", penwidth="3.5", fontcolor="#b71c1c")
            else:  # not used yet: the product is there, in white, so that the layout never moves
                lab, attrs_e = (
                    f'{line1}<BR/><FONT COLOR="#ffffff"><B>{escape(product)}</B></FONT>',
                    dict(color="#999999"),
                )
            g.edge(ids[child], ids[v], label=f"<{lab}>", dir="back", **attrs_e)
        graphs.append(g)
        captions.append(_caption(r, runs, steps, root, name, precision))
    return graphs, captions, ends


def _title(item: Item, name: Mapping[Value, Name]) -> str:
    return item.title if isinstance(item, Block) else name[item][0]


def _caption(
    r: int, runs: Sequence[_Run], steps: Sequence[Step], root: Value, name: Mapping[Value, Name], precision: int
) -> str:
    def fmt(x: float) -> str:
        return number(x, precision)

    rn = name[root][0]
    if r == 0:
        return (
            f"Start: ∂{rn}/∂{rn} = 1, the seed. Every edge already carries its local derivative, "
            f"computed in the forward pass. {len(steps)} steps follow, one per edge, in reverse topological order."
        )
    key, a, b = runs[r - 1]
    where = f"Step {b} of {len(steps)}" if b == a + 1 else f"Steps {a + 1} to {b} of {len(steps)}"
    if key[0] == "inside":
        return (
            f"{where}: inside {key[1].title}, {b - a} edges pass gradients back "
            f"(expand the block to see them one by one)."
        )
    if key[0] == "block edge":
        tail, head = key[1], key[2]
        children = list(dict.fromkeys(s.child for s in steps[a:b]))
        return (
            f"{where}: {_title(head, name)} passes gradients back to {_title(tail, name)} along {b - a} "
            f"edge{'s' if b - a > 1 else ''}, to {len(children)} value{'s' if len(children) > 1 else ''}"
            f" ({', '.join(name[c][0] for c in children[:4])}{', ...' if len(children) > 4 else ''})."
        )
    s = steps[a]
    p, c = name[s.parent][0], name[s.child][0]
    text = (
        f"{where}: {p} passes its gradient back to {c}: upstream gradient {fmt(s.upstream)} "
        f"× local derivative {fmt(s.local)} = {fmt(s.contribution)}."
    )
    if s.before is not None:
        text += (
            f" {c} already had {fmt(s.before)} from another path, so it now holds {fmt(s.before)} + "
            f"{fmt(s.contribution)} = {fmt(s.after)}."
        )
    if any(t.child is s.child for t in steps[b:]):
        text += f" More paths lead to {c}: its gradient is not complete yet."
    elif not s.child.is_leaf:
        text += f" All paths to {c} are in: its gradient {fmt(s.after)} is final and it passes it on next."
    else:
        text += f" All paths to {c} are in: its gradient is {fmt(s.after)}."
    return text


def _boxes(graph: Graph, blocks: Sequence[Block], view_of: Mapping[str, int]) -> list[Box]:
    """[(x0, y0, x1, y1, view)]: the box of each block of `graph` (drawn from a grouping with these `blocks`)
    that a view opens, in the pixels of its frames (graphviz's client-side image map: 96 per inch, as PNG
    frames and SVG frames shown by a browser)."""
    out: list[Box] = []
    for m in re.finditer(r'<area [^>]*href="#block:(\d+)"[^>]*coords="([\d,]+)"', graph.pipe(format="cmapx").decode()):
        title = blocks[int(m[1])].title
        xy = [int(c) for c in m[2].split(",")]
        if title in view_of and len(xy) >= 4:
            out.append((min(xy[0::2]), min(xy[1::2]), max(xy[0::2]), max(xy[1::2]), view_of[title]))
    return out


def _render(graphs: Iterable[Graph], fmt: str) -> tuple[list[bytes], list[str]]:
    datas: list[bytes] = [g.pipe(format=fmt) for g in graphs]
    mime = "image/svg+xml" if fmt == "svg" else "image/png"
    return datas, [f"data:{mime};base64,{base64.b64encode(d).decode('ascii')}" for d in datas]


_PAGE = "steps.html"


def check_out_dir(out_dir: str | os.PathLike[str], what: str) -> str:
    """The real path of the folder `draw_steps` would write into (made if missing), or the error that would
    stop it (see `autograd.files.check_folder`; a ``steps.html`` there that is not a regular file too).
    Writes nothing."""
    folder = check_folder(out_dir, what)
    if os.path.isdir(folder):
        check_target(os.path.join(folder, _PAGE), what)
    return folder


def draw_steps(
    root: Value,
    out_dir: str | os.PathLike[str],
    format: str = "png",
    rankdir: str = "LR",
    clusters: Mapping[str, Iterable[Value]] | None = None,
    max_nodes: int | None = 100,
    precision: int = 4,
    collapse: Collapse = "auto",
    expand: Expand = None,
) -> StepFiles:
    """The backward pass of `root`, one edge at a time, as numbered frames in `out_dir` plus one
    self-contained HTML page (``steps.html``, see `autograd.draw.player`: frames embedded, buttons and keys,
    zoom and pan, no network).

    ``out_dir`` is made if missing (a link to a folder is followed; an empty name is refused, '.' is the
    current folder); in it only ``step_<k>.<format>`` and ``steps.html`` are written, each atomically
    (`autograd.files.write_atomic`). A folder that cannot be used raises before anything is drawn.

    Frame 0 shows the seed ∂L/∂L = 1; frame k the gradients known after k steps of the
    reverse topological order, the edge used in step k highlighted with 'upstream x local = contribution'.
    Gradients are computed here with root's seed 1, without touching any ``.grad``.
    ``collapse`` and ``expand`` group the frames by scopes as in `draw` (a graph past `max_nodes` is
    collapsed): then the steps inside a block, or along one edge of it, make one frame, and the page can
    open each block (a menu; the key b goes to the next view), staying at the same point of the pass.
    Returns a `StepFiles` (frames, html). Needs graphviz's ``dot``.

    >>> from autograd import Value
    >>> a = Value(2.0, label="a"); y = a * a; y.label = "y"
    >>> files = draw_steps(y, tmp_path)            # doctest: +SKIP
    >>> len(files.frames)                          # doctest: +SKIP
    3
    """
    what = "draw_steps"
    check_root(root, what)
    if format not in ("png", "svg"):
        raise ValueError(f"{what}: format must be 'png' or 'svg', got {format!r}")
    check_precision(precision, what)
    folder = check_out_dir(out_dir, f"{what}: out_dir")  # before the drawing: a bad folder fails at once
    out_dir = pathlib.Path(out_dir)
    order = topological_order(root)
    inputs_first = order[::-1]
    grouping = group(inputs_first, clusters, collapse, expand, max_nodes, what)
    steps = backward_steps(order)

    def view(grouping: Grouping) -> tuple[list[Graph], list[str], list[int]]:
        name, formula = names(inputs_first, precision, root, grouping.crossing_names(), set(grouping.items))
        return _frames(root, order, steps, grouping, name, formula, precision, rankdir, what)

    graphs, captions, ends = view(grouping)
    opened = set() if expand is None else set(expand) if not isinstance(expand, (str, tuple)) else {expand}
    views = [(graphs, grouping)]  # the view as asked, then one per block of it with that block opened
    more = []
    for b in grouping.blocks:
        if b.is_scope:
            g = group(inputs_first, clusters, 1 if grouping.auto else collapse, opened | {b.path}, None, what)
            more.append((b.title, *view(g)))
            views.append((more[-1][1], g))
    view_of = {title: k + 1 for k, (title, *_) in enumerate(more)}
    targets = [_boxes(gs[0], g.blocks, view_of) for gs, g in views]  # where a click opens a block, in each view

    datas, images = _render(graphs, format)
    pathlib.Path(folder).mkdir(parents=True, exist_ok=True)  # the real path: a link to a folder is followed
    width = max(2, len(str(len(graphs) - 1)))
    frames = []
    for k, data in enumerate(datas):
        path = out_dir / f"step_{k:0{width}d}.{format}"
        write_atomic(path, data, what)
        frames.append(path)
    opened_views = [(title, _render(gs, format)[1], cs, es, t) for (title, gs, cs, es), t in zip(more, targets[1:])]
    page = out_dir / _PAGE
    root_name = names(inputs_first, precision, root)[0][root][0]
    write_atomic(
        page,
        player_page(
            images,
            captions,
            visible(f"Backward pass of {root_name}, step by step"),
            positions=ends,
            blocks=opened_views,
            targets=targets[0],
        ).encode("utf-8"),
        what,
    )
    return StepFiles(frames, page)
