"""The backward pass step by step: the steps backward() takes (one per edge, with the gradients it computes),
drawn as numbered frames, and the HTML stepper that plays them (`autograd.draw.player`).

In a grouped view (scopes collapsed into blocks) the steps inside a block, or along one edge into or out of
it, make one frame; the stepper can open each block (the same pass, drawn with that block expanded).

Every frame of a view has the same layout: `dot` lays the view out once (`autograd.draw.layout`), and a frame
is that picture with some colours and texts changed, so the page holds one picture per view and a few bytes
per step.

The internal API, for the command line: ``check_out_dir(out_dir, what)``, the check `draw_steps` makes of its
folder before it draws.
"""

from __future__ import annotations

import math
import os
import pathlib
import typing
from collections.abc import Iterable, Mapping, Sequence
from typing import Literal

from ..engine import Value, topological_order
from ..files import check_folder, check_target, write_atomic
from ..names import Naming, naming
from .groups import Block, Collapse, Expand, GraphTooLargeError, Grouping, Item, emit, group
from .layout import Box, Sheet
from .notation import (
    STYLE,
    escape,
    grad_text,
    kind,
    local_text,
    node_rows,
    number,
    table,
    tip,
    tooltip,
    visible,
)
from .player import Layout, player_page
from .views import Graph, block_rows, carries_all, check_precision, check_root, edge_lines, new_graph

__all__ = ["draw_steps", "StepFiles", "backward_steps"]

# What one call may write as frame files (the page itself is one picture per view and a few bytes per step):
# PNG frames cost dot about 0.1 s per megapixel, SVG frames are one picture each.
MAX_PNG_MEGAPIXELS = 150
MAX_SVG_MEGABYTES = 100


class StepFiles(typing.NamedTuple):
    """What `draw_steps` wrote: the numbered frames (frame 0 first; none with ``frames=False``) and the
    HTML stepper."""

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
    in the order backward() uses them, with seed 1: a list of `Step`. No ``.grad`` is touched. An edge into
    a constant is no step: a constant carries no gradient.

    >>> from autograd import Value
    >>> x = Value(3.0); y = x * x + 1
    >>> [(s.contribution, s.after) for s in backward_steps(topological_order(y))]
    [(1.0, 1.0), (3.0, 3.0), (3.0, 6.0)]
    """
    grads = {order[0]: 1.0}
    steps: list[Step] = []
    for v in order:
        for j, (child, local) in enumerate(zip(v.children, v.local_grads)):
            if child.is_constant:
                continue
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


_RED, _GREY, _WHITE, _BLACK = "#b71c1c", "#9e9e9e", "#ffffff", "#000000"
# How a frame marks a node: the child of its step (its gradient changes), the parent (and a block at work).
_MARKS: dict[str, dict[str, str]] = {
    "": {},
    "child": dict(fillcolor="#fff59d", penwidth="3", color=_RED),
    "parent": dict(penwidth="3", color=_RED),
}
# A scalar edge not used yet (its product is there, in white, so that the layout never moves), the edge of
# this frame's step, and a used edge.
_EDGES: dict[str, dict[str, str]] = {
    "todo": dict(color="#999999"),
    "current": dict(color=_RED, penwidth="3.5"),
    "done": dict(color=_RED),
}

# What a frame shows of each drawn thing (a look), keyed by the item, the index of an edge in
# grouping.edges, or "title":
# a node ("node", gradient text, its colour, mark), a block ("block", steps-inside text, mark),
# a scalar edge ("edge", todo | current | done), an edge of a block ("block edge", used, current),
# the title ("title", text).
_Look = tuple[object, ...]
_Thing = Item | int | str
_Change = tuple[str, str, str]  # (id of a part of the picture, attribute or "#text", value)


class _View:
    """One view of the pass (a grouping of the graph): its frames as looks, their captions and positions, and
    its DOT source for any frame."""

    def __init__(
        self,
        root: Value,
        order: Sequence[Value],
        steps: Sequence[Step],
        grouping: Grouping,
        precision: int,
        rankdir: str,
        what: str,
    ) -> None:
        self.root, self.order, self.steps, self.grouping = root, order, steps, grouping
        self.precision, self.rankdir, self.what = precision, rankdir, what
        self.names = naming(root)
        unit = grouping.unit
        self.runs: list[_Run] = []
        for n, s in enumerate(steps):
            key = _key(s, unit)
            if self.runs and self.runs[-1][0] == key:
                self.runs[-1] = (key, self.runs[-1][1], n + 1)
            else:
                self.runs.append((key, n, n + 1))
        self.ends = [0] + [r[2] for r in self.runs]
        self.captions = [_caption(r, self.runs, steps, root, self.names, precision) for r in range(len(self.runs) + 1)]
        self.edge_of: dict[tuple[Item, Item] | tuple[Value, int], int] = {}
        for k, (tail, head, scalar) in enumerate(grouping.edges):
            if isinstance(tail, Block) or isinstance(head, Block):
                self.edge_of[tail, head] = k
            else:
                ((parent, _, _, j),) = scalar
                self.edge_of[parent, j] = k
        final = {order[0]: 1.0}
        for s in steps:
            final[s.child] = s.after
        self.final = final
        self.inside: dict[Item, int] = {}
        for s in steps:
            if unit[s.parent] is unit[s.child]:
                self.inside[unit[s.child]] = self.inside.get(unit[s.child], 0) + 1
        # every text a grad cell will show, so that its width (and the layout) is the same in every frame
        self.widths = {
            v: 7
            * max(
                len(grad_text(v, root, self.names, precision, t))
                for t in ("?", self._fmt(final.get(v, 0.0)), f"{self._fmt(final.get(v, 0.0))} + ?")
            )
            for v in order
            if unit[v] is v
        }
        self._step_of = {(s.parent, s.j): n for n, s in enumerate(steps)}
        self.looks = self._looks()
        self.strays: list[str] | None = None  # the edges whose label is attached to them, once laid out

    def _fmt(self, x: float) -> str:
        return number(x, self.precision)

    def _looks(self) -> list[dict[_Thing, _Look]]:
        """The looks of frame 0 (every drawn thing), then, for each later frame, the looks that change."""
        unit, steps, root = self.grouping.unit, self.steps, self.root
        known: dict[Value, float] = {root: 1.0}
        pending: dict[Value, int] = {}
        for v in self.order:
            for child in v.children:
                pending[child] = pending.get(child, 0) + 1
        done_inside: dict[Item, int] = {}
        left = {k: len(scalar) for k, (_, _, scalar) in enumerate(self.grouping.edges)}
        marks: dict[Item, str] = {}

        def node(v: Value) -> _Look:
            if v.is_constant:  # a constant carries no gradient: no text to change
                return ("node", "", _GREY, marks.get(v, ""))
            if v not in known:
                text, colour = grad_text(v, root, self.names, self.precision, "?"), _GREY
            elif pending.get(v, 0):
                text, colour = grad_text(v, root, self.names, self.precision, f"{self._fmt(known[v])} + ?"), _RED
            else:
                text, colour = grad_text(v, root, self.names, self.precision, self._fmt(known[v])), _RED
            return ("node", text, colour, marks.get(v, ""))

        def block(b: Block) -> _Look:
            n_in = self.inside.get(b, 0)
            text = f"{done_inside.get(b, 0)} of {n_in} steps inside done" if n_in else ""
            return ("block", text, marks.get(b, ""))

        def look(item: Item) -> _Look:
            return block(item) if isinstance(item, Block) else node(item)

        def title(done: int) -> _Look:
            return ("title", f"backward pass, step {done} of {len(steps)}")

        first: dict[_Thing, _Look] = {item: look(item) for item in self.grouping.items}
        for k, (tail, head, scalar) in enumerate(self.grouping.edges):
            first[k] = (
                ("block edge", False, False)
                if isinstance(tail, Block) or isinstance(head, Block)
                else ("constant edge",)  # into a constant: no step, no text
                if scalar[0][1].is_constant
                else ("edge", "todo")
            )
        first["title"] = title(0)
        frames = [first]
        current: set[int] = set()  # the edges drawn as this frame's
        for key, a, b in self.runs:
            changed: dict[_Thing, _Look] = {"title": title(b)}
            touched: set[Item] = set(marks)
            for item in marks:
                marks[item] = ""
            for k in current:
                changed[k] = ("edge", "done") if frames[0][k][0] == "edge" else ("block edge", left[k] == 0, False)
            current = set()
            for s in steps[a:b]:
                known[s.child] = s.after
                pending[s.child] -= 1
                touched.add(unit[s.child])
                if unit[s.parent] is unit[s.child]:
                    done_inside[unit[s.child]] = done_inside.get(unit[s.child], 0) + 1
                else:
                    k = (
                        self.edge_of[(s.parent, s.j)]
                        if key[0] == "edge"
                        else self.edge_of[(unit[s.child], unit[s.parent])]
                    )
                    left[k] -= 1
                    current.add(k)
            if key[0] == "edge":
                s = steps[a]
                marks[s.child], marks[s.parent] = "child", "parent"
            elif key[0] == "inside":
                marks[key[1]] = "parent"
            else:
                marks[key[1]] = marks[key[2]] = "parent"
            touched |= set(marks)
            for item in touched:
                changed[item] = look(item)
            for k in current:
                changed[k] = ("edge", "current") if key[0] == "edge" else ("block edge", left[k] == 0, True)
            frames.append(changed)
        return frames

    def states(self) -> Iterable[dict[_Thing, _Look]]:
        """The full looks of every frame, in order (one dict, updated in place)."""
        state = dict(self.looks[0])
        yield state
        for changed in self.looks[1:]:
            state.update(changed)
            yield state

    def graph(self, state: Mapping[_Thing, _Look]) -> Graph:
        """The DOT source of the frame whose looks are ``state``; nodes and edges carry ids (n3, b0, e5)."""
        g = new_graph(self.rankdir, None, self.what)
        g.attr(label=typing.cast(str, state["title"][1]), labelloc="t", fontsize="13")
        root, names, precision = self.root, self.names, self.precision

        def label(item: Item) -> str:
            look = state[item]
            if isinstance(item, Block):
                rows = block_rows(item)
                n_in = self.inside.get(item, 0)
                if n_in:
                    width = 7 * len(f"{n_in} of {n_in} steps inside done")
                    rows.append((f'<FONT COLOR="{_RED}">{escape(str(look[1]))}</FONT>', f' WIDTH="{width}"'))
                return table(rows)
            rows = node_rows(item, names, precision)
            if not item.is_constant:
                text = f'<FONT COLOR="{look[2]}"><B>{escape(str(look[1]))}</B></FONT>'
                rows.append((text, f' WIDTH="{self.widths[item]}"'))
            return table(rows)

        def attrs(item: Item) -> dict[str, str]:
            mark = _MARKS[str(state[item][-1])]
            if isinstance(item, Block):
                return dict(STYLE["block"], tooltip=tip(item.title), **mark)
            return dict(STYLE[kind(item, root)], tooltip=tooltip(item, kind(item, root)), **mark)

        g.node_attr["id"] = "\\N"  # each node's id in the SVG is its name (n3, b0): a frame names what it changes
        ids = self.ids = emit(g, self.grouping, label, attrs)
        whole = carries_all(self.grouping)
        for k, (tail, head, scalar) in enumerate(self.grouping.edges):
            look = state[k]
            if look[0] == "block edge":
                lines = edge_lines(tail, scalar, root, names, precision, True, self.final, whole)
                colour = _RED if look[1] else _WHITE
                g.edge(
                    ids[tail],
                    ids[head],
                    label=f'<<FONT COLOR="{colour}"><B>{"<BR/>".join(map(escape, lines))}</B></FONT>>',
                    dir="back",
                    id=f"e{k}",
                    color=_RED if look[1] else "#999999",
                    fontcolor=colour,  # the line from a stray label to its edge: shown with the label
                    penwidth="3.5" if look[2] else "1.5",
                )
                continue
            ((v, child, local, j),) = scalar
            if look[0] == "constant edge":
                g.edge(ids[child], ids[v], dir="back", id=f"e{k}", color=_GREY)
                continue
            s = self.steps[self.step_of(v, j)]
            product = f"{self._fmt(s.upstream)} × {self._fmt(local)} = {self._fmt(s.contribution)}"
            line1 = escape(local_text(v, child, local, names, precision, j, lambda u: self.grouping.unit.get(u) is u))
            first = _RED if look[1] == "current" else _BLACK
            colour = _WHITE if look[1] == "todo" else _RED
            style = _EDGES[str(look[1])]
            g.edge(
                ids[child],
                ids[v],
                label=f'<<FONT COLOR="{first}">{line1}</FONT><BR/>'
                f'<FONT COLOR="{colour}"><B>{escape(product)}</B></FONT>>',
                dir="back",
                id=f"e{k}",
                fontcolor=style["color"],  # the line from a stray label to its edge
                **style,
            )
        if self.strays is not None:
            g.attach(self.strays)
        return g

    def step_of(self, parent: Value, j: int) -> int:
        """The index of the step along operand j of parent."""
        return self._step_of[parent, j]


class _Picture:
    """A view laid out once by `dot`: the parts of its SVG that the frames change, and what each frame sets."""

    def __init__(self, view: _View) -> None:
        self.view = view
        first = next(iter(view.states()))
        g = view.graph(first)
        view.strays = g.settle()  # the same in every frame: the layout is
        self.ids = view.ids
        self.sheet = sheet = Sheet(g.pipe(format="svg"))
        self.parts: dict[_Thing, tuple[list[str], list[str]]] = {"title": ([], [sheet.title()])}
        for item, gid in self.ids.items():
            self.parts[item] = (sheet.shapes(gid), sheet.texts(gid))
            look = first[item]
            if look[1]:  # a gradient, or the steps done inside a block: centred (a constant has neither)
                sheet.centre(self.parts[item][1][-1], gid)
        for k in range(len(view.grouping.edges)):
            self.parts[k] = (sheet.shapes(f"e{k}"), sheet.texts(f"e{k}"))
        self.svg = sheet.tostring()  # frame 0, every changing part named
        start: dict[tuple[str, str], str] = {}
        for thing, look in first.items():
            for part, attribute, value in self._changes(thing, look):
                start[part, attribute] = value
        now = dict(start)
        self.tracks: dict[tuple[str, str], list[tuple[int, str]]] = {}
        for f, changed in enumerate(view.looks[1:], 1):
            for thing, look in changed.items():
                for part, attribute, value in self._changes(thing, look):
                    if now[part, attribute] != value:
                        now[part, attribute] = value
                        self.tracks.setdefault((part, attribute), [(0, start[part, attribute])]).append((f, value))
        self.focus = [self._focus(r) for r in range(len(view.looks))]

    def _changes(self, thing: _Thing, look: _Look) -> list[_Change]:
        """What a look sets in the picture: (part id, attribute or "#text", value), as dot draws the same look."""
        shapes, texts = self.parts[thing]
        out: list[_Change] = []
        if look[0] == "title":
            return [(texts[0], "#text", str(look[1]))]
        if look[0] == "constant edge":
            return []
        if look[0] in ("node", "block"):
            item = typing.cast(Item, thing)
            style = dict(
                STYLE["block" if isinstance(item, Block) else kind(item, self.view.root)], **_MARKS[str(look[-1])]
            )
            out.append((shapes[0], "fill", style["fillcolor"]))
            for s in shapes:
                out += [(s, "stroke", style["color"]), (s, "stroke-width", style.get("penwidth", "1"))]
            text = str(look[1])
            if look[0] == "node" and text:
                lines = [visible(line) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
                out += [(t, "fill", str(look[2])) for t in texts[-sum(1 for line in lines if line) :]]
                out.append((texts[-1], "#text", lines[-1]))
            elif text:
                out.append((texts[-1], "#text", text))
            return out
        if look[0] == "edge":
            style = _EDGES[str(look[1])]
            colour, width = style["color"], style.get("penwidth", "1")
            product = _WHITE if look[1] == "todo" else _RED
            first = _RED if look[1] == "current" else _BLACK
            out += [(t, "fill", first) for t in texts[:-1]] + [(texts[-1], "fill", product)]
        else:
            colour, width = (_RED if look[1] else "#999999"), ("3.5" if look[2] else "1.5")
            out += [(t, "fill", _RED if look[1] else _WHITE) for t in texts]
            out += [(s, "stroke", _RED if look[1] else _WHITE) for s in shapes if self.sheet.kind(s) == "polyline"]
        for s in shapes:  # the line, its arrowhead, and the line from a stray label to its edge (Graph.settle)
            part = self.sheet.kind(s)
            if part == "polyline" and look[0] == "edge":
                out += [(s, "stroke", colour)]
            elif part != "polyline":
                out += [(s, "stroke", colour), (s, "stroke-width", width)]
            if part == "polygon":
                out += [(s, "fill", colour)]
        return out

    def _focus(self, r: int) -> Box:
        """Where frame r's step is: the edge's label and the node it passes a gradient to (the label alone
        when the two are far apart), or the block."""
        sheet, view = self.sheet, self.view
        if r == 0:
            return sheet.box(self.ids[view.root])
        key = view.runs[r - 1][0]
        if key[0] == "inside":
            return sheet.box(self.ids[key[1]])
        child: Item
        if key[0] == "edge":
            k, child = view.edge_of[key[1], key[2]], view.steps[view.step_of(key[1], key[2])].child
        else:
            k, child = view.edge_of[key[1], key[2]], key[1]
        a, b = sheet.box(f"e{k}", shapes=False), sheet.box(self.ids[child])
        both = (min(a[0], b[0]), min(a[1], b[1]), max(a[2], b[2]), max(a[3], b[3]))
        # the label and the node together while they fit a window at the page's opening zoom, else the label
        return both if both[2] - both[0] <= 1200 and both[3] - both[1] <= 560 else a

    def layout(self) -> Layout:
        """The view as the page draws it."""
        tracks = [(part, attribute, changes) for (part, attribute), changes in self.tracks.items()]
        focus = [typing.cast(Box, tuple(round(c, 1) for c in box)) for box in self.focus]
        return Layout(self.svg, tracks, focus)

    def targets(self, view_of: Mapping[str, int]) -> list[tuple[int, int, int, int, int]]:
        """(x0, y0, x1, y1, view): the box of each block that a view opens, in the frames' pixels."""
        out = []
        for item, gid in self.ids.items():
            if isinstance(item, Block) and item.is_scope and item.title in view_of:
                x0, y0, x1, y1 = self.sheet.box(gid, texts=False)
                out.append((math.floor(x0), math.floor(y0), math.ceil(x1), math.ceil(y1), view_of[item.title]))
        return out

    def svg_frames(self) -> Iterable[str]:
        """Every frame as SVG text, frame 0 first (the picture is changed in place)."""
        at: dict[int, list[tuple[str, str, str]]] = {}
        for (part, attribute), changes in self.tracks.items():
            for f, value in changes[1:]:
                at.setdefault(f, []).append((part, attribute, value))
        for f in range(len(self.view.looks)):
            for part, attribute, value in at.get(f, []):
                self.sheet.set(part, attribute, value)
            yield self.sheet.tostring()


def _title(item: Item, names: Naming) -> str:
    return item.title if isinstance(item, Block) else names[item]


def _caption(r: int, runs: Sequence[_Run], steps: Sequence[Step], root: Value, names: Naming, precision: int) -> str:
    def fmt(x: float) -> str:
        return number(x, precision)

    rn = names[root]
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
            f"{where}: {_title(head, names)} passes gradients back to {_title(tail, names)} along {b - a} "
            f"edge{'s' if b - a > 1 else ''}, to {len(children)} value{'s' if len(children) > 1 else ''}"
            f" ({', '.join(names[c] for c in children[:4])}{', ...' if len(children) > 4 else ''})."
        )
    s = steps[a]
    p, c = names[s.parent], names[s.child]
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


def _too_many_frames(what: str, n: int, size: tuple[int, int], svg_bytes: int, format: str) -> str | None:
    """Why the frame files of a view would be over the budget, or None."""
    w, h = size
    if format == "png" and n * w * h / 1e6 > MAX_PNG_MEGAPIXELS:
        total = f"{n * w * h / 1e6:.0f} megapixels of PNG, more than the {MAX_PNG_MEGAPIXELS} one call draws"
    elif format == "svg" and n * svg_bytes / 1e6 > MAX_SVG_MEGABYTES:
        total = f"{n * svg_bytes / 1e6:.0f} MB of SVG, more than the {MAX_SVG_MEGABYTES} MB one call writes"
    else:
        return None
    other = "format='svg' (frames drawn from one layout), " if format == "png" else ""
    return (
        f"{what}: {n} frames of {w} x {h} px would be {total}; pass {other}frames=False (the page alone, "
        f"which plays any number of steps), or show fewer steps: collapse=1 (scopes as blocks), a smaller "
        f"max_nodes, or an inner node as the root"
    )


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
    format: str = "svg",
    rankdir: str = "LR",
    clusters: Mapping[str, Iterable[Value]] | None = None,
    max_nodes: int | None = 50,
    precision: int = 4,
    collapse: Collapse = "auto",
    expand: Expand = None,
    frames: bool = True,
) -> StepFiles:
    """The backward pass of `root`, one edge at a time, as numbered frames in `out_dir`
    (``step_00.svg``, ...; ``format="png"`` for PNG) plus one self-contained HTML page (``steps.html``, see
    `autograd.draw.player`: buttons and keys, zoom and pan, following the step, no network).

    Frame 0 shows the seed ∂L/∂L = 1; frame k the gradients known after k steps of the
    reverse topological order, the edge used in step k highlighted with 'upstream x local = contribution'.
    Gradients are computed here with root's seed 1, without touching any ``.grad``.
    ``collapse`` and ``expand`` group the frames by scopes as in `draw`: a graph of more than `max_nodes`
    nodes is drawn with its scopes as blocks; then the steps inside a block, or along one edge of it, make one
    frame, and the page can open each block whose view has at most `max_nodes` items (a menu; the key b goes
    to the next view), staying at the same point of the pass; a larger block is listed with the max_nodes
    that opens it. ``frames=False`` writes the page alone.
    Returns a `StepFiles` (frames, html). Needs graphviz's ``dot``.

    ``out_dir`` is made if missing (a link to a folder is followed; an empty name is refused, '.' is the
    current folder); in it only ``step_<k>.<format>`` and ``steps.html`` are written, each atomically
    (`autograd.files.write_atomic`). A folder that cannot be used raises before anything is drawn.

    Cost: every frame of a view has the same layout, so `dot` lays out each view once (the first, and one per
    block it can open, each of at most `max_nodes` items); the page holds one SVG picture per view and a few
    bytes per step, and the browser draws a frame when it is shown. SVG frame files are that picture with the
    frame's colours and numbers; PNG frames cost one `dot` run each. A call whose frame files would pass
    100 MB of SVG or 150 megapixels of PNG (about 15 s of `dot`) raises `GraphTooLargeError` before writing
    anything, naming what to pass.

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
    if not isinstance(frames, bool):
        raise TypeError(f"{what}: frames must be True or False, got {frames!r}")
    folder = check_out_dir(out_dir, f"{what}: out_dir")  # before the drawing: a bad folder fails at once
    out_dir = pathlib.Path(out_dir)
    order = topological_order(root)
    inputs_first = order[::-1]
    grouping = group(inputs_first, clusters, collapse, expand, max_nodes, what)
    steps = backward_steps(order)
    first = _Picture(_View(root, order, steps, grouping, precision, rankdir, what))
    n = len(first.view.looks)
    why = _too_many_frames(what, n, first.sheet.size, len(first.svg.encode()), format) if frames else None
    if why:
        raise GraphTooLargeError(why, len(grouping.items), max_nodes)

    opened = set() if expand is None else set(expand) if not isinstance(expand, (str, tuple)) else {expand}
    more: list[tuple[str, _Picture]] = []  # one view per block of the first, with that block opened
    closed: list[tuple[str, str]] = []
    for b in grouping.blocks:
        if b.is_scope:
            try:
                g = group(inputs_first, clusters, 1 if grouping.auto else collapse, opened | {b.path}, max_nodes, what)
            except GraphTooLargeError as e:
                closed.append((b.title, f"{e.nodes} items, more than max_nodes={max_nodes}: pass max_nodes={e.nodes}"))
                continue
            more.append((b.title, _Picture(_View(root, order, steps, g, precision, rankdir, what))))
    view_of = {title: k + 1 for k, (title, _) in enumerate(more)}

    pathlib.Path(folder).mkdir(parents=True, exist_ok=True)  # the real path: a link to a folder is followed
    page = out_dir / _PAGE
    blocks = [(title, p.layout(), p.view.captions, p.view.ends, p.targets(view_of)) for title, p in more]
    text = player_page(
        first.layout(),
        first.view.captions,
        visible(f"Backward pass of {first.view.names[root]}, step by step"),
        positions=first.view.ends,
        blocks=blocks,
        targets=first.targets(view_of),
        closed=closed,
    )
    written = []
    if frames:
        width = max(2, len(str(n - 1)))
        datas: Iterable[str | bytes] = (
            first.svg_frames()
            if format == "svg"
            else (first.view.graph(state).pipe(format="png") for state in first.view.states())
        )
        for k, data in enumerate(datas):
            path = out_dir / f"step_{k:0{width}d}.{format}"
            write_atomic(path, data.encode("utf-8") if isinstance(data, str) else data, what)
            written.append(path)
    write_atomic(page, text.encode("utf-8"), what)
    return StepFiles(written, page)
