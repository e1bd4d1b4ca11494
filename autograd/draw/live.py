"""Pictures for a page that updates while its inputs move (the playground, `autograd.serve`).

Laying a picture out (graphviz's ``dot``) takes most of the time of drawing it, and the layout depends
only on the graph's structure and on how wide its texts are, not on the numbers. So `Layouts` lays a
picture out once per structure, with room for longer numbers (every number in a text gets the width of
5 characters, e.g. ``1.235``), and afterwards hands out only the texts of `draw`'s picture for the new
numbers, in the order of the ``<text>`` elements of that SVG: a page writes them in and keeps the layout.
When a text outgrows its room, the picture is laid out again with more room (never less, so that the
numbers of a slider's run soon fit), and so it is when the structure changes.

The texts are the runs of `draw`'s HTML-like labels (the text between two tags), exactly as graphviz
writes them into the SVG; each layout checks that its SVG holds exactly those runs, group by group
(node, edge), and a picture that does not pass the check is always drawn in full (``layout`` None).

The internal API, for `autograd.serve`: ``Layouts().picture(graph)`` -> `Picture`;
``local_derivatives(root, node)``: the local derivatives of an op node as the backward picture writes
them on its edges.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import re
import secrets
import shutil
import subprocess
import threading
import typing
from collections import OrderedDict

from ..engine import Value
from ..names import naming
from .notation import local_text, number
from .views import DotNotFoundError, Graph

__all__ = ["Layouts", "Picture", "local_derivatives"]

_ROOM = 5  # characters of room for every number in a text at first: 1.235; -0.1235 makes a wider layout
_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|nan|inf")
_STATEMENT = re.compile(r"\t(?:(\S+) -> (\S+)|(\S+)) \[")  # a node or edge line of graphviz's source
_LABEL = re.compile(r"\blabel=<")
_PIECE = re.compile(r"<[^<>]*>|[^<>]+")  # a tag, or the text up to the next tag
_GROUP = re.compile(r'<g id="[^"]*" class="(node|edge|graph|cluster)">\s*<title>(.*?)</title>', re.S)
_TEXT = re.compile(r"<text\b[^>]*>(.*?)</text>", re.S)


class Picture(typing.NamedTuple):
    """One view for a page: ``svg`` laid out by dot, and ``texts``, what its ``<text>`` elements must read,
    in document order (None: the SVG is drawn in full and reads right as it is). ``layout`` names the
    layout: a page that has it already needs only the texts (None: no layout to keep)."""

    layout: str | None
    svg: str
    texts: list[str] | None


class _Run(typing.NamedTuple):
    start: int  # where the run's escaped text starts and ends in the source
    end: int
    text: str  # as the SVG shows it


class _Layout(typing.NamedTuple):
    name: str
    svg: str
    where: list[tuple[int, int]]  # for each <text> of the SVG: (statement, run)
    room: list[list[int]]  # for each statement, each run's room in characters


def _room(text: str) -> int:
    """Characters of room a text gets in a layout: its length, and more where its numbers are short.

    >>> _room("-2 × 1 = -2")
    21
    """
    return len(text) + sum(max(0, _ROOM - len(m[0])) for m in _NUMBER.finditer(text))


def _unescape(text: str) -> str:
    """A label's text as graphviz shows it: the reverse of `autograd.draw.notation.escape`."""
    return html.unescape(text.replace("\\\\", "\\"))


def _statements(source: str) -> tuple[list[str], list[list[_Run]]]:
    """The key of every node and edge line of a DOT source ('n0', 'n0->n2'; 'graph' for the graph's own
    attributes) and the runs of its label."""
    keys: list[str] = []
    runs: list[list[_Run]] = []
    start = 0
    for line in source.splitlines(keepends=True):
        m = _STATEMENT.match(line)
        if m or line.startswith(("\tgraph [", "\tlabel=")):
            keys.append("graph" if not m else m[3] or f"{m[1]}->{m[2]}")
            runs.append(_runs(line, start))
        start += len(line)
    return keys, runs


def _runs(line: str, offset: int) -> list[_Run]:
    out: list[_Run] = []
    for m in _LABEL.finditer(line):
        depth, i = 1, m.end()
        while depth and i < len(line):
            piece = _PIECE.match(line, i)
            if piece is None:  # a lone '>' closes the label
                depth -= line[i] == ">"
                i += 1
                continue
            if piece[0].startswith("<"):
                depth += 1 if not piece[0].startswith("</") and not piece[0].endswith("/>") else 0
                depth -= 1 if piece[0].startswith("</") else 0
            else:
                out.append(_Run(offset + piece.start(), offset + piece.end(), _unescape(piece[0])))
            i = piece.end()
    return out


def _skeleton(source: str, runs: list[list[_Run]]) -> str:
    """The source without the texts of its labels: what the layout depends on besides their widths."""
    cuts = sorted((r.start, r.end) for rs in runs for r in rs)
    parts, last = [], 0
    for a, b in cuts:
        parts.append(source[last:a])
        last = b
    parts.append(source[last:])
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


def _groups(svg: str) -> list[tuple[str, list[str]]]:
    """[(key, texts)] for each group of graphviz's SVG in document order; key as in `_statements`."""
    out: list[tuple[str, list[str]]] = []
    marks = list(_GROUP.finditer(svg))
    for k, m in enumerate(marks):
        end = marks[k + 1].start() if k + 1 < len(marks) else len(svg)
        texts = [html.unescape(t) for t in _TEXT.findall(svg, m.end(), end)]
        out.append(("graph" if m[1] == "graph" else html.unescape(m[2]), texts))
    return out


def _dot(source: str, timeout: float) -> str:
    """The SVG of a DOT source, from the <svg> element on (no XML prolog)."""
    if shutil.which("dot") is None:
        raise DotNotFoundError()
    try:
        done = subprocess.run(["dot", "-Tsvg"], input=source.encode("utf-8"), capture_output=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise TimeoutError(f"graphviz's dot took longer than {timeout:g} s to lay the picture out") from None
    if done.returncode != 0:
        raise RuntimeError(f"graphviz's dot failed: {' '.join(done.stderr.decode('utf-8', 'replace').split())}")
    svg = done.stdout.decode("utf-8")
    return svg[svg.index("<svg") :]


class Layouts:
    """Laid-out pictures, one per structure (the last `size` structures), shared by threads.

    >>> from autograd import Value, draw
    >>> a = Value(3.0, label="a"); f = a * a; f.label = "f"; f.backward()
    >>> layouts = Layouts()
    >>> first = layouts.picture(draw(f, view="backward"))   # doctest: +SKIP
    >>> a.data = 4.0; f = a * a; f.label = "f"; f.backward()
    >>> again = layouts.picture(draw(f, view="backward"))   # doctest: +SKIP
    >>> again.layout == first.layout, "∂f/∂a = 8" in again.texts   # doctest: +SKIP
    (True, True)
    """

    def __init__(self, size: int = 32, timeout: float = 10.0) -> None:
        self.size, self.timeout = size, timeout
        self._cache: OrderedDict[str, _Layout | None] = OrderedDict()  # None: the check failed, draw in full
        self._lock = threading.Lock()
        # layouts are named afresh by every Layouts, so that a page never takes another server's for its own
        token = secrets.token_hex(4)
        self._names = (f"{token}-{k}" for k in itertools.count(1))

    def picture(self, graph: Graph) -> Picture:
        """The picture of `graph` (from `draw`): the texts for a layout already made when they fit it,
        else a new layout (dot runs once) and its texts."""
        source = graph.source
        keys, runs = _statements(source)
        skeleton = _skeleton(source, runs)
        with self._lock:
            known = skeleton in self._cache
            layout = self._cache.get(skeleton)
            if known:
                self._cache.move_to_end(skeleton)
        if known and layout is None:
            return Picture(None, _dot(source, self.timeout), None)
        if layout is not None and all(
            len(r.text) <= room for rs, rooms in zip(runs, layout.room) for r, room in zip(rs, rooms)
        ):
            return Picture(layout.name, layout.svg, [runs[s][k].text for s, k in layout.where])
        layout = self._lay_out(source, keys, runs, layout.room if layout is not None else None)
        with self._lock:
            self._cache[skeleton] = layout
            self._cache.move_to_end(skeleton)
            while len(self._cache) > self.size:
                self._cache.popitem(last=False)
        if layout is None:
            return Picture(None, _dot(source, self.timeout), None)
        return Picture(layout.name, layout.svg, [runs[s][k].text for s, k in layout.where])

    def _lay_out(
        self, source: str, keys: list[str], runs: list[list[_Run]], before: list[list[int]] | None
    ) -> _Layout | None:
        """A layout with room for longer numbers (each run padded with zeros), at least as much as the
        layout `before` it had (so that a slider's numbers soon fit), checked against its SVG; None when
        the SVG's texts are not the runs of the source, group by group."""
        room = [[_room(r.text) for r in rs] for rs in runs]
        if before is not None:
            room = [[max(n, m) for n, m in zip(ns, ms)] for ns, ms in zip(room, before)]
        parts, last = [], 0
        for r, n in sorted(((r, n) for rs, ns in zip(runs, room) for r, n in zip(rs, ns)), key=lambda p: p[0].start):
            parts += [source[last : r.end], "0" * (n - len(r.text))]
            last = r.end
        svg = _dot("".join(parts) + source[last:], self.timeout)
        statements: dict[str, list[int]] = {}
        for s, key in enumerate(keys):
            statements.setdefault(key, []).append(s)
        where: list[tuple[int, int]] = []
        for key, texts in _groups(svg):
            if not texts:
                continue
            if not statements.get(key):
                return None
            s = statements[key].pop(0)
            padded = [r.text + "0" * (n - len(r.text)) for r, n in zip(runs[s], room[s])]
            if texts != padded:
                return None
            where += [(s, k) for k in range(len(texts))]
        if len(where) != sum(map(len, runs)):
            return None
        return _Layout(next(self._names), svg, where, room)


def local_derivatives(root: Value, node: Value, precision: int = 4) -> list[str]:
    """The op node's name, formula and value, then its local derivatives, one per operand that carries a
    gradient (not a constant), as the backward picture of `root` writes them on its edges (`draw`), with
    the graph's one naming (`autograd.names`); [] for a leaf.

    >>> a, b = Value(3.0, label="a"), Value(1.0, label="b")
    >>> e = a + 2 * b; f = Value(-2.0, label="c") * e; f.label = "f"
    >>> local_derivatives(f, e)
    ['e = a + d = 5', '∂e/∂a = 1', '∂e/∂d = 1']
    """
    if node.is_leaf:
        return []
    names = naming(root)
    lines = [f"{names[node]} = {names.formula(node)} = {number(node.data, precision)}"]
    for j, (child, local) in enumerate(zip(node.children, node.local_grads)):
        if not child.is_constant:
            lines.append(local_text(node, child, local, names, precision, j))
    return lines
