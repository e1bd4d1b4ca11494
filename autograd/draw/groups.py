"""Scopes as pictures: which nodes are drawn one by one, which are folded into a block (a collapsed scope,
one box), which cluster (an open scope, or a cluster the caller listed) each drawn item sits in, and the edges
between the drawn items.

Where a node sits: an op result and an input (a labelled leaf) in the scope it was made in; a parameter or
a constant in the innermost scope holding every node that uses it (a neuron's weights go with the neuron,
an RNN's shared weights stay outside the time steps).

A scope is open (drawn as a labelled cluster around its contents) or closed (drawn as one block; the root
is always drawn itself, beside the block it was made in): with
``collapse=None`` every scope is open; with ``collapse=d`` the scopes d deep (1: the outermost) are closed,
except those listed in ``expand`` (an expanded scope's own sub-scopes are closed until expanded too).

The internal API, for the other modules of ``autograd.draw``: ``group(...)`` returns a `Grouping`;
``check_max_nodes``; ``emit(g, grouping, label, attrs)`` writes the node statements; `Block`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, Union

from ..engine import Value
from .notation import cut, escape

if TYPE_CHECKING:
    import graphviz

__all__ = ["Block", "Grouping", "group", "emit", "check_max_nodes", "GraphTooLargeError"]

Path = tuple[str, ...]  # a scope path, outermost first: ('layers[1]', 'neurons[0]')
# The key of a cluster: a scope path, or ('#', i) for the i-th of the caller's clusters (one tuple type for
# both, as emit() slices and sorts them together).
Key = tuple[str | int, ...]
Item = Union[Value, "Block"]  # what a view draws: a node, or a block
ScalarEdge = tuple[Value, Value, float, int]  # (parent, child, local derivative, operand index j)
Edge = tuple[Item, Item, list[ScalarEdge]]  # (tail item, head item, the scalar edges it draws)
Collapse = int | Literal["auto"] | None  # None: every scalar; d: the scopes d deep are blocks
Expand = str | Path | Iterable[str | Path] | None  # scope paths, dotted or as tuples


class GraphTooLargeError(ValueError):
    """The graph has more nodes than ``max_nodes``; the message says how to see more.
    ``.nodes`` and ``.max_nodes`` hold the two numbers."""

    def __init__(self, message: str, nodes: int, max_nodes: int | None) -> None:
        super().__init__(message)
        self.nodes, self.max_nodes = nodes, max_nodes


class Block:
    """A closed scope drawn as one box: its path, its nodes and how many of them are parameters."""

    __slots__ = ("is_scope", "nodes", "parameters", "path")

    def __init__(self, path: Path, is_scope: bool = True) -> None:
        self.path, self.is_scope = path, is_scope
        self.nodes: list[Value] = []
        self.parameters = 0

    @property
    def title(self) -> str:
        """The scope's path, dotted: 'layers[1].neurons[0]' ('shared parameters' for the block of the
        parameters that only blocks use, several of them)."""
        return ".".join(self.path) if self.is_scope else "shared parameters"

    def __repr__(self) -> str:
        return f"Block({self.title!r}, {len(self.nodes)} nodes)"


class Grouping:
    """What a view draws. ``items``: Values and `Block` s, inputs first; ``unit[v]``: the item that shows
    node v (v itself, or its block); ``where[item]``: the key of its cluster, or None; ``titles[key]``:
    the cluster's title; ``edges``: (tail item, head item, [(parent, child, local, j), ...]) with one
    scalar edge each between two drawn nodes, and every scalar edge from one item to another when a block
    is at either end; ``blocks``, in the order the data flows through them; ``auto``: True when the view
    was collapsed because the graph was too large."""

    def __init__(
        self,
        items: list[Item],
        unit: Mapping[Value, Item],
        where: Mapping[Item, Key | None],
        titles: Mapping[Key, str],
        edges: list[Edge],
        blocks: list[Block],
        auto: bool,
    ) -> None:
        self.items, self.unit, self.where, self.titles = items, unit, where, titles
        self.edges, self.blocks, self.auto = edges, blocks, auto


def _what_is_allowed(paths: Iterable[Path]) -> str:
    shown = sorted(".".join(p) for p in paths)
    more = f" and {len(shown) - 12} more" if len(shown) > 12 else ""
    return ", ".join(map(repr, shown[:12])) + more if shown else "none: no node was made inside a scope"


def _check_collapse(collapse: object, what: str) -> None:
    if collapse is None or (collapse == "auto" and isinstance(collapse, str)):
        return
    if type(collapse) is not int or collapse < 1:
        raise ValueError(
            f"{what}: collapse must be 'auto', None (every scalar) or a depth >= 1 "
            f"(1: the outermost scopes are blocks), got {collapse!r}"
        )


def _expand_paths(expand: Expand, paths: set[Path], what: str) -> set[Path]:
    """The scope paths in ``expand`` (tuples, or names dotted as in the pictures), each checked."""
    if expand is None:
        return set()
    if isinstance(expand, (str, tuple)):
        expand = [expand]
    by_text = {".".join(p): p for p in paths}
    out = set()
    try:
        items = list(expand)
    except TypeError:
        raise TypeError(f"{what}: expand must be an iterable of scope paths, got {expand!r}") from None
    for e in items:
        p = e if isinstance(e, tuple) else by_text.get(e) if isinstance(e, str) else None
        if p not in paths:
            raise ValueError(
                f"{what}: expand names no scope of this graph: {e!r}; the scopes are: {_what_is_allowed(paths)}"
            )
        out.add(p)
    return out


def check_max_nodes(max_nodes: object, what: str) -> None:
    """A ValueError unless max_nodes is a positive int or None.

    >>> check_max_nodes(0, "draw")
    Traceback (most recent call last):
    ...
    ValueError: draw: max_nodes must be a positive int or None, got 0
    """
    if max_nodes is not None and (type(max_nodes) is not int or max_nodes < 1):
        raise ValueError(f"{what}: max_nodes must be a positive int or None, got {max_nodes!r}")


def _too_large(n: int, max_nodes: int | None, what: str, scoped: bool, drawn: int | None = None) -> GraphTooLargeError:
    if drawn is not None:
        return GraphTooLargeError(
            f"{what}: collapsed, the graph still shows {drawn} items, more than max_nodes={max_nodes}; "
            f"pass max_nodes={drawn} (or None), or a smaller collapse depth",
            drawn,
            max_nodes,
        )
    how = (
        "collapse=1 draws each outermost scope as one block; "
        if scoped
        else "make parts of it inside `with autograd.scope(name):` to draw them as blocks; "
    )
    return GraphTooLargeError(
        f"{what}: the graph has {n} nodes, more than max_nodes={max_nodes}; to see it all pass max_nodes={n} "
        f"(or None), or {how}or draw a part of it by passing an inner node as the root; "
        f"clusters={{title: nodes}} groups nodes (see nodes_between)",
        n,
        max_nodes,
    )


def _user_clusters(clusters: Mapping[str, Iterable[Value]], what: str) -> tuple[dict[Value, Key], dict[Key, str]]:
    """{node: cluster key} and {key: title} from {title: nodes}; a node listed twice stays in its first cluster."""
    if not hasattr(clusters, "items"):
        raise TypeError(f"{what}: clusters must be a mapping {{title: iterable of Values}}, got {clusters!r}")
    where: dict[Value, Key] = {}
    titles: dict[Key, str] = {}
    for i, (title, nodes) in enumerate(clusters.items()):
        if not isinstance(title, str):
            raise TypeError(f"{what}: a cluster title must be a str, got {title!r}")
        for v in nodes:
            if not isinstance(v, Value):
                raise TypeError(f"{what}: cluster {title!r} must list Values, got {v!r}")
            where.setdefault(v, ("#", i))
        titles[("#", i)] = title
    return where, titles


def _places(order: Iterable[Value]) -> dict[Value, Path]:
    """Where each node sits (a scope path): see the module docstring."""
    users: dict[Value, list[Path]] = {}
    for v in order:
        for child in v.children:
            users.setdefault(child, []).append(v.scope)
    place: dict[Value, Path] = {}
    for v in order:
        if v.is_leaf and (v.is_parameter or not v.label) and v in users:
            paths = users[v]
            common = paths[0]
            for p in paths[1:]:
                n = 0
                while n < min(len(common), len(p)) and common[n] == p[n]:
                    n += 1
                common = common[:n]
            place[v] = common
        else:
            place[v] = v.scope
    return place


def group(
    order: Sequence[Value],
    clusters: Mapping[str, Iterable[Value]] | None = None,
    collapse: Collapse = "auto",
    expand: Expand = None,
    max_nodes: int | None = None,
    what: str = "draw",
) -> Grouping:
    """The `Grouping` of `order` (every node, inputs first) for a view: see the module docstring.

    ``collapse="auto"``: every scalar when the graph has at most ``max_nodes`` nodes, else the outermost
    scopes as blocks (``Grouping.auto`` is then True). ``clusters`` (the caller's {title: nodes}) replaces
    the scopes' clusters and cannot be collapsed. Raises `GraphTooLargeError` when what would be drawn has
    more than ``max_nodes`` items.

    >>> from autograd import Value, scope
    >>> from autograd.engine import topological_order
    >>> x = Value(1.0, label="x")
    >>> with scope("f"):
    ...     y = (x * 2).tanh()
    >>> g = group(topological_order(y + 1)[::-1], collapse=1)
    >>> g.blocks, len(g.items)
    ([Block('f', 3 nodes)], 4)
    """
    check_max_nodes(max_nodes, what)
    _check_collapse(collapse, what)
    n = len(order)
    fits = max_nodes is None or n <= max_nodes
    if clusters is not None:
        if collapse not in (None, "auto"):
            raise ValueError(
                f"{what}: clusters= draws every scalar, so collapse must be None or 'auto', "
                f"got {collapse!r}; scopes (autograd.scope) group nodes into blocks instead"
            )
        if not fits:
            raise _too_large(n, max_nodes, what, False)
        listed, titles = _user_clusters(clusters, what)
        return _grouping(order, {v: v for v in order}, {v: listed.get(v) for v in order}, titles, [], False)

    place = _places(order)
    paths = {p[:k] for p in place.values() for k in range(1, len(p) + 1)}
    opened = _expand_paths(expand, paths, what)
    auto = False
    if collapse == "auto":
        if fits:
            collapse = None
        elif not paths:
            raise _too_large(n, max_nodes, what, False)
        else:
            collapse, auto = 1, True
    elif collapse is None and not fits:
        raise _too_large(n, max_nodes, what, bool(paths))

    blocks: dict[Path | tuple[str, Path | None], Block] = {}
    unit: dict[Value, Item] = {}
    where: dict[Item, Path | None] = {}
    root = order[-1]
    for v in order:
        p = place[v]
        closed = next(
            (k for k in range(1, len(p) + 1) if collapse is not None and k >= collapse and p[:k] not in opened), None
        )
        if v is root and closed is not None:  # the output is always drawn, beside the block it was made in
            unit[v], where[v] = v, p[: closed - 1] or None
        elif closed is None:
            unit[v], where[v] = v, p or None
        else:
            b = blocks.get(p[:closed])
            if b is None:
                b = blocks[p[:closed]] = Block(p[:closed])
                where[b] = p[: closed - 1] or None
            b.nodes.append(v)
            b.parameters += v.is_parameter
            unit[v] = b
    users: dict[Value, set[Item]] = {}
    for v in order:
        for child in v.children:
            users.setdefault(child, set()).add(unit[v])
    for v in order:  # a leaf the root uses, folded into the block the root was made in, is drawn beside the root
        u = unit[v]
        if v.is_leaf and isinstance(u, Block) and root in users.get(v, ()):
            u.nodes.remove(v)
            u.parameters -= v.is_parameter
            unit[v], where[v] = v, u.path[:-1] or None
    if blocks:  # parameters that only blocks use (an RNN's weights, shared by the time steps): one block more
        for v in order:
            if v.is_parameter and unit[v] is v and v in users and all(isinstance(u, Block) for u in users[v]):
                b = blocks.get(("#", where[v]))
                if b is None:
                    b = blocks["#", where[v]] = Block(where[v] or (), is_scope=False)
                    where[b] = where[v]
                b.nodes.append(v)
                b.parameters += 1
                unit[v] = b
    scope_titles: dict[Key, str] = {p: p[-1] for p in paths}
    # the longest path from a leaf: blocks are listed in the order the data flows through them
    depth: dict[Value, int] = {}
    for v in order:
        depth[v] = 1 + max((depth[c] for c in v.children), default=-1)
    key = lambda b: (not b.is_scope, max(depth[v] for v in b.nodes), _natural(b))  # noqa: E731
    g = _grouping(order, unit, where, scope_titles, sorted((b for b in blocks.values() if b.nodes), key=key), auto)
    if max_nodes is not None and len(g.items) > max_nodes:
        raise _too_large(n, max_nodes, what, True, drawn=len(g.items))
    return g


def _natural(b: Block) -> list[list[int | str]]:
    """A block's path for sorting, numbers by value (layers[2] before layers[10])."""
    return [[int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)] for name in b.path]


def _grouping(
    order: Iterable[Value],
    unit: Mapping[Value, Item],
    where: Mapping[Item, Key | None],
    titles: Mapping[Key, str],
    blocks: list[Block],
    auto: bool,
) -> Grouping:
    items: list[Item] = []
    seen: set[Item] = set()
    for v in order:
        u = unit[v]
        if u not in seen:
            seen.add(u)
            items.append(u)
    edges: list[Edge] = []
    index: dict[tuple[Item, Item], int] = {}
    for parent in order:
        head = unit[parent]
        for j, (child, local) in enumerate(zip(parent.children, parent.local_grads)):
            tail = unit[child]
            if tail is head and isinstance(head, Block):
                continue  # inside a block: not drawn
            if not isinstance(tail, Block) and not isinstance(head, Block):
                edges.append((tail, head, [(parent, child, local, j)]))
                continue
            k = index.get((tail, head))
            if k is None:
                k = index[tail, head] = len(edges)
                edges.append((tail, head, []))
            edges[k][2].append((parent, child, local, j))
    return Grouping(items, unit, {u: where[u] for u in items}, titles, edges, blocks, auto)


def emit(
    g: graphviz.Digraph,
    grouping: Grouping,
    label: Callable[[Item], str],
    attrs: Callable[[Item], Mapping[str, str]],
) -> dict[Item, str]:
    """Node statements for every drawn item, inside nested cluster subgraphs where it sits; loose items
    first (so that inputs outside every cluster are placed before the clusters). Returns {item: node id}.

    >>> import graphviz
    >>> from autograd import Value
    >>> x = Value(1.0, label="x"); y = x * 2
    >>> g = graphviz.Digraph()
    >>> ids = emit(g, group([x, y.children[1], y], collapse=None), lambda v: v.label or "op", lambda v: {})
    >>> [ids[v] for v in (x, y)]
    ['n0', 'n2']
    """
    ids: dict[Item, str] = {}
    members: dict[Key | None, list[Item]] = {}
    for item in grouping.items:
        members.setdefault(grouping.where[item], []).append(item)
        ids[item] = f"b{len(ids)}" if isinstance(item, Block) else f"n{len(ids)}"
    keys = sorted((k for k in members if k is not None), key=lambda k: k[1] if k[0] == "#" else 0)
    tree: dict[Key | None, list[Key]] = {}  # every open scope with something inside it, and the scopes around it
    for k in keys:
        chain = [k] if k[0] == "#" else [k[:d] for d in range(1, len(k) + 1)]
        parent = None
        for c in chain:
            kids = tree.setdefault(parent, [])
            if c not in kids:
                kids.append(c)
            parent = c
    counter = iter(range(1 << 30))

    def fill(sub: graphviz.Digraph, key: Key | None) -> None:
        for item in members.get(key, []):
            sub.node(ids[item], label(item), **attrs(item))
        for k in tree.get(key, []):
            with sub.subgraph(name=f"cluster_{next(counter)}") as c:
                c.attr(
                    label=f"<{escape(cut(grouping.titles[k]))}>",
                    style="rounded,dashed",
                    color="#888888",
                    fontsize="12",
                    fontcolor="#444444",
                )
                fill(c, k)

    fill(g, None)
    return ids
