"""One layout, many texts: dot's SVG of a graph, laid out once, read once, and changed in place afterwards.

Laying a picture out (graphviz's ``dot``) takes most of the time of drawing it, and the layout depends only
on the graph's structure and the widths of its texts. Two kinds of page change a picture without laying it
out again, and both read dot's SVG through a `Sheet`, which names by id the parts they change:

- the stepper (`autograd.draw.steps`) knows every frame's texts in advance: it lays a view out once, with
  each cell as wide as its widest text, and a frame is that SVG with some attributes and texts set (by the
  page's script in the browser, by `draw_steps` in Python for the frame files);
- the playground (`autograd.serve`) learns its numbers as a slider moves: `Layouts` lays a picture out once
  per structure, with room for longer numbers (every number in a text gets the width of 5 characters, e.g.
  ``1.235``), and afterwards hands out only the texts of `draw`'s picture for the new numbers, in the order
  of the SVG's ``<text>`` elements; the page writes them in and re-centres the lines they changed. When a
  text outgrows its room, the picture is laid out again with more room (never less, so that the numbers of
  a slider's run soon fit), and so it is when the structure changes.

The texts `Layouts` hands out are the runs of `draw`'s HTML-like labels (the text between two tags), as
graphviz writes them into the SVG; each layout checks that every node and edge (by its ``id``) holds exactly
its runs, and a picture that does not pass the check is always drawn in full (``layout`` None).

Both also attach the edge labels that dot placed nearer another edge's line than their own (a long edge that
bends away from its label) to their edge (``Sheet.strays``, ``attached``): `autograd.draw.views` does it for
every picture, `Layouts` for its own.

The internal API, for the other modules of ``autograd.draw`` and for `autograd.serve`: `Sheet` (the parsed
SVG: boxes of nodes and edges in the picture's pixels, the parts a frame changes, each given an id, and
``get``/``set`` to change them; ``strays()``, the edges whose label reads as another edge's); ``attached(line,
edges)``; ``Layouts().picture(source)`` -> `Picture`; `DotNotFoundError`.
"""

from __future__ import annotations

import hashlib
import html
import itertools
import math
import re
import secrets
import shutil
import subprocess
import threading
import typing
import xml.etree.ElementTree as ET
from collections import OrderedDict
from collections.abc import Collection

import graphviz

__all__ = ["Sheet", "Box", "Layouts", "Picture", "attached", "DotNotFoundError"]

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in the picture's pixels, y down

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_SHAPES = {f"{{{_SVG}}}{t}" for t in ("path", "polygon", "polyline", "ellipse")}
_TEXT = f"{{{_SVG}}}text"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
ET.register_namespace("", _SVG)
ET.register_namespace("xlink", _XLINK)
_ID = re.compile(r"\bid=(\w+)[ \]]")  # the id of a node or edge statement of graphviz's source
_NODE = re.compile(r"\t+(\w+) \[")  # a node statement: its name

_INSTALL = (
    "graphviz's 'dot' program was not found on PATH, so the graph cannot be rendered "
    "(building it and reading .source still work); install graphviz and make sure 'dot' is on PATH: "
    "Debian/Ubuntu 'sudo apt-get install graphviz', macOS 'brew install graphviz', "
    "Windows 'winget install graphviz' (or the installer from graphviz.org, then add its bin folder to PATH), "
    "conda 'conda install -c conda-forge graphviz'"
)


# graphviz is untyped (its classes are Any to mypy), and subclassing Any is an error under --strict: this class
# extends graphviz's on purpose.
class DotNotFoundError(graphviz.ExecutableNotFound):  # type: ignore[misc]  # graphviz is untyped
    """Rendering needs graphviz's `dot` binary and it is not on PATH; the message says how to install it."""

    def __init__(self) -> None:
        RuntimeError.__init__(self, _INSTALL)


class Sheet:
    """dot's SVG of one graph whose nodes and edges carry ``id`` attributes (``n3``, ``e5``).

    ``size``: the picture's (width, height) in pixels, as a browser shows it (96 per inch).
    ``shapes(gid)`` and ``texts(gid)``: the ids of the shapes (outline, fill, arrowheads) and of the text lines
    of node or edge ``gid``, in drawing order; ``title()``: the id of the graph's title line. Each of them is
    given an id on first use (``n3.s0``, ``n3.t2``), so that a frame can name what it changes.

    >>> sheet = Sheet('<svg xmlns="http://www.w3.org/2000/svg" width="30pt" height="30pt" viewBox="0 0 30 30">'
    ...               '<g transform="translate(0 30)"><g id="n0"><ellipse cx="15" cy="-15" rx="15" ry="15"/>'
    ...               '<text x="15" y="-12">a</text></g></g></svg>')
    >>> sheet.size, sheet.box("n0", texts=False), sheet.texts("n0")
    ((40, 40), (0.0, 0.0, 40.0, 40.0), ['n0.t0'])
    """

    def __init__(self, svg: bytes | str) -> None:
        self.root = ET.fromstring(svg)
        graph = self.root.find(f"{{{_SVG}}}g")
        assert graph is not None, "dot's SVG has a graph group"
        self._graph = graph
        m = re.search(r"translate\(([-\d.]+) ([-\d.]+)\)", graph.get("transform", ""))
        self._dx, self._dy = (float(m[1]), float(m[2])) if m else (0.0, 0.0)
        view = [float(x) for x in self.root.get("viewBox", "0 0 1 1").split()]
        width = _points(self.root.get("width", "1pt"))
        height = _points(self.root.get("height", "1pt"))
        # dot writes width and height in points (a browser shows 4/3 pixels each) over a viewBox in points
        self._sx, self._sy = width * 4 / 3 / view[2], height * 4 / 3 / view[3]
        self.size = (round(width * 4 / 3), round(height * 4 / 3))
        self._groups = {str(g.get("id")): g for g in self.root.iter(f"{{{_SVG}}}g") if g.get("id")}
        self._by_id: dict[str, ET.Element] = {}

    def __contains__(self, gid: object) -> bool:
        """Whether the picture has a node or edge with id ``gid``."""
        return gid in self._groups

    def _group(self, gid: str) -> ET.Element:
        return self._groups[gid]

    def _named(self, elements: list[ET.Element], gid: str, kind: str) -> list[str]:
        ids = []
        for k, e in enumerate(elements):
            e.set("id", f"{gid}.{kind}{k}")
            self._by_id[f"{gid}.{kind}{k}"] = e
            ids.append(f"{gid}.{kind}{k}")
        return ids

    def shapes(self, gid: str) -> list[str]:
        """The ids of the shapes of node or edge ``gid``: a node's outline(s) (the first one filled), or an
        edge's line and arrowheads."""
        return self._named([e for e in self._group(gid).iter() if e.tag in _SHAPES], gid, "s")

    def texts(self, gid: str) -> list[str]:
        """The ids of the text lines (runs) of node or edge ``gid``, in the order of its label."""
        return self._named([e for e in self._group(gid).iter() if e.tag == _TEXT], gid, "t")

    def text_ids(self) -> list[str]:
        """The ids of every text line of the picture, in drawing order ('' for one that no call of ``texts``
        or ``title`` has named)."""
        return [e.get("id", "") for e in self.root.iter(_TEXT)]

    def title(self) -> str:
        """The id of the graph's title line (the first text outside every node and edge)."""
        t = self._graph.find(_TEXT)
        assert t is not None, "the graph has a title"
        t.set("id", "title")
        self._by_id["title"] = t
        return "title"

    def kind(self, element_id: str) -> str:
        """What a part is: 'path', 'polygon', 'polyline', 'ellipse' or 'text'."""
        return self._by_id[element_id].tag.rsplit("}", 1)[-1]

    def centre(self, text_id: str, gid: str) -> None:
        """Anchor a text line at the middle of node ``gid``, so that a longer or shorter text stays centred."""
        x0, _, x1, _ = self._extent(self._group(gid), texts=False)
        e = self._by_id[text_id]
        e.set("text-anchor", "middle")
        e.set("x", f"{(x0 + x1) / 2:.2f}")

    def get(self, element_id: str, attribute: str) -> str:
        """An attribute of a part (``#text``: its text), as dot drew it or as last set."""
        e = self._by_id[element_id]
        return "".join(e.itertext()) if attribute == "#text" else e.get(attribute, "")

    def set(self, element_id: str, attribute: str, value: str) -> None:
        """Set an attribute of a part (``#text``: its text)."""
        e = self._by_id[element_id]
        if attribute == "#text":
            e.text = value
        else:
            e.set(attribute, value)

    def box(self, gid: str, texts: bool = True, shapes: bool = True) -> Box:
        """Where node or edge ``gid`` is, in the picture's pixels: its shapes and texts (``texts=False``:
        its shapes only, ``shapes=False``: its texts only)."""
        x0, y0, x1, y1 = self._extent(self._group(gid), texts, shapes)
        return (
            (x0 + self._dx) * self._sx,
            (y0 + self._dy) * self._sy,
            (x1 + self._dx) * self._sx,
            (y1 + self._dy) * self._sy,
        )

    def _extent(self, group: ET.Element, texts: bool = True, shapes: bool = True) -> Box:
        xs: list[float] = []
        ys: list[float] = []
        for e in group.iter():
            if e.tag in _SHAPES and shapes:
                if e.tag.endswith("ellipse"):
                    cx, cy, rx, ry = (float(e.get(a, "0")) for a in ("cx", "cy", "rx", "ry"))
                    xs += [cx - rx, cx + rx]
                    ys += [cy - ry, cy + ry]
                else:
                    numbers = [float(n) for n in _NUMBER.findall(e.get("points") or e.get("d") or "")]
                    xs += numbers[0::2]
                    ys += numbers[1::2]
            elif e.tag == _TEXT and texts:
                size = float(e.get("font-size", "14"))
                width = 0.6 * size * len("".join(e.itertext()))  # about right for a sans-serif font
                x, y = float(e.get("x", "0")), float(e.get("y", "0"))
                left = {"middle": x - width / 2, "end": x - width}.get(e.get("text-anchor", "start"), x)
                xs += [left, left + width]
                ys += [y - size, y + 0.3 * size]
        if not xs:
            return (0.0, 0.0, 0.0, 0.0)
        return (min(xs), min(ys), max(xs), max(ys))

    def strays(self) -> list[str]:
        """The ids of the edges whose label has its middle nearer another edge's line than its own: a reader
        would take it for the other edge's label."""
        lines: dict[str, list[tuple[float, float]]] = {}
        middles: dict[str, tuple[float, float]] = {}
        for gid, g in self._groups.items():
            path = g.find(f"{{{_SVG}}}path")
            if g.get("class") != "edge" or path is None:
                continue
            lines[gid] = _curve(path.get("d", ""))
            if g.find(_TEXT) is not None:
                x0, y0, x1, y1 = self._extent(g, shapes=False)
                middles[gid] = ((x0 + x1) / 2, (y0 + y1) / 2)
        out = []
        for gid, middle in middles.items():
            own = min(math.dist(middle, p) for p in lines[gid])
            if any(min(math.dist(middle, p) for p in line) < own for other, line in lines.items() if other != gid):
                out.append(gid)
        return out

    def tostring(self) -> str:
        """The SVG as it stands, as the text of an SVG file."""
        return '<?xml version="1.0" encoding="UTF-8" standalone="no"?>\n' + ET.tostring(self.root, encoding="unicode")


def attached(line: str, edges: Collection[str]) -> str:
    """An edge statement of graphviz's source with its label attached to its line (``decorate=true``) when its
    id is one of ``edges``; any other line as it is.

    >>> attached("\\tn1 -> n0 [label=x id=e0]", ["e0"])
    '\\tn1 -> n0 [label=x id=e0 decorate=true]'
    """
    m = _ID.search(line)
    if " -> " in line and m and m[1] in edges:
        return line.replace(f"id={m[1]}", f"id={m[1]} decorate=true", 1)
    return line


def _curve(d: str) -> list[tuple[float, float]]:
    """Points along a path of dot's (M x,y C x,y x,y x,y ...: cubic Béziers), eight per piece."""
    numbers = [float(n) for n in _NUMBER.findall(d)]
    points = list(zip(numbers[0::2], numbers[1::2]))
    out = points[:1]
    for i in range(1, len(points) - 2, 3):
        (ax, ay), (bx, by), (cx, cy), (ex, ey) = points[i - 1 : i + 3]
        for k in range(1, 9):
            t = k / 8
            u = 1 - t
            out.append(
                (
                    u * u * u * ax + 3 * u * u * t * bx + 3 * u * t * t * cx + t * t * t * ex,
                    u * u * u * ay + 3 * u * u * t * by + 3 * u * t * t * cy + t * t * t * ey,
                )
            )
    return out


def _points(length: str) -> float:
    """A length of dot's SVG ('123pt') in points."""
    m = _NUMBER.match(length)
    return float(m[0]) if m else 1.0


# ---- the playground's layouts: numbers not known in advance ----

_ROOM = 5  # characters of room for every number in a text at first: 1.235; -0.1235 makes a wider layout
_NUMERAL = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?|nan|inf")  # a number in a label's text
_LABEL = re.compile(r"\blabel=<")
_PIECE = re.compile(r"<[^<>]*>|[^<>]+")  # a tag, or the text up to the next tag


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


class _Drawn(typing.Protocol):
    """What `Layouts.picture` reads of a picture: its DOT source (a `autograd.draw.Graph`)."""

    @property
    def source(self) -> str: ...


def _room(text: str) -> int:
    """Characters of room a text gets in a layout: its length, and more where its numbers are short.

    >>> _room("-2 × 1 = -2")
    21
    """
    return len(text) + sum(max(0, _ROOM - len(m[0])) for m in _NUMERAL.finditer(text))


def _unescape(text: str) -> str:
    """A label's text as graphviz shows it: the reverse of `autograd.draw.notation.escape`."""
    return html.unescape(text.replace("\\\\", "\\"))


def _statements(source: str) -> tuple[list[str], list[list[_Run]]]:
    """The id of every line of a DOT source that has a label with text ('b3' for a node, 'e5' for an edge; a
    node without an id of its own by its name, see `_with_node_ids`; '' for a line without an id, such as a cluster's
    or the graph's title) and the runs of its label."""
    keys: list[str] = []
    runs: list[list[_Run]] = []
    start = 0
    for line in source.splitlines(keepends=True):
        found = _runs(line, start)
        if found:
            m = _ID.search(line) or _NODE.match(line)
            keys.append(m[1] if m else "")
            runs.append(found)
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


def _with_node_ids(source: str) -> str:
    """The source with every node that has no id of its own given its name as its id (as the stepper does)."""
    first, _, rest = source.partition("\n")
    return f'{first}\n\tnode [id="\\N"]\n{rest}'


def _skeleton(source: str, runs: list[list[_Run]]) -> str:
    """The source without the texts of its labels: what the layout depends on besides their widths."""
    cuts = sorted((r.start, r.end) for rs in runs for r in rs)
    parts, last = [], 0
    for a, b in cuts:
        parts.append(source[last:a])
        last = b
    parts.append(source[last:])
    return hashlib.sha256("\0".join(parts).encode("utf-8")).hexdigest()


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


def _settled(source: str, timeout: float) -> Sheet:
    """The sheet of a source laid out with the labels that read as another edge's attached to their own edge, as
    `draw`'s pictures have them (one more run of dot when there are any)."""
    sheet = Sheet(_dot(source, timeout))
    strays = set(sheet.strays())
    if strays:
        source = "".join(attached(line, strays) for line in source.splitlines(keepends=True))
        sheet = Sheet(_dot(source, timeout))
    return sheet


def _svg(sheet: Sheet) -> str:
    """A sheet's SVG from the <svg> element on, for a page to put inline."""
    text = sheet.tostring()
    return text[text.index("<svg") :]


def _full(source: str, timeout: float) -> str:
    """The picture drawn in full, as `draw` draws it."""
    return _svg(_settled(source, timeout))


class Layouts:
    """Laid-out pictures, one per structure (the last `size` structures), shared by threads.

    >>> from autograd import Value, draw
    >>> a = Value(3.0, label="a"); f = a * a; f.label = "f"; f.backward()
    >>> layouts = Layouts()
    >>> first = layouts.picture(draw(f, view="backward"))
    >>> a = Value(4.0, label="a"); f = a * a; f.label = "f"; f.backward()   # a slider moved: other numbers
    >>> again = layouts.picture(draw(f, view="backward"))
    >>> again.layout == first.layout, "∂f/∂a = 8" in again.texts
    (True, True)
    """

    def __init__(self, size: int = 32, timeout: float = 10.0) -> None:
        self.size, self.timeout = size, timeout
        self._cache: OrderedDict[str, _Layout | None] = OrderedDict()  # None: the check failed, draw in full
        self._lock = threading.Lock()
        # layouts are named afresh by every Layouts, so that a page never takes another server's for its own
        token = secrets.token_hex(4)
        self._names = (f"{token}-{k}" for k in itertools.count(1))

    def picture(self, graph: _Drawn) -> Picture:
        """The picture of `graph` (from `draw`): the texts for a layout already made when they fit it,
        else a new layout (dot runs once) and its texts."""
        source = _with_node_ids(graph.source)
        keys, runs = _statements(source)
        skeleton = _skeleton(source, runs)
        with self._lock:
            known = skeleton in self._cache
            layout = self._cache.get(skeleton)
            if known:
                self._cache.move_to_end(skeleton)
        if known and layout is None:
            return Picture(None, _full(source, self.timeout), None)
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
            return Picture(None, _full(source, self.timeout), None)
        return Picture(layout.name, layout.svg, [runs[s][k].text for s, k in layout.where])

    def _lay_out(
        self, source: str, keys: list[str], runs: list[list[_Run]], before: list[list[int]] | None
    ) -> _Layout | None:
        """A layout with room for longer numbers (each run padded with zeros), at least as much as the
        layout `before` it had (so that a slider's numbers soon fit), checked against its SVG; None when
        the SVG's texts are not the runs of the source, node by node and edge by edge."""
        if len(set(keys)) != len(keys):  # a line without an id (a title), or two with one id: no check can pass
            return None
        room = [[_room(r.text) for r in rs] for rs in runs]
        if before is not None:
            room = [[max(n, m) for n, m in zip(ns, ms)] for ns, ms in zip(room, before)]
        parts, last = [], 0
        for r, n in sorted(((r, n) for rs, ns in zip(runs, room) for r, n in zip(rs, ns)), key=lambda p: p[0].start):
            parts += [source[last : r.end], "0" * (n - len(r.text))]
            last = r.end
        sheet = _settled("".join(parts) + source[last:], self.timeout)
        at: dict[str, tuple[int, int]] = {}  # the id the sheet gives each text: (statement, run)
        for s, key in enumerate(keys):
            if not key or key not in sheet:
                return None
            ids = sheet.texts(key)
            padded = [r.text + "0" * (n - len(r.text)) for r, n in zip(runs[s], room[s])]
            if [sheet.get(t, "#text") for t in ids] != padded:
                return None
            at.update((t, (s, k)) for k, t in enumerate(ids))
        order = sheet.text_ids()
        if len(order) != len(at) or not all(t in at for t in order):  # a text of no node's or edge's
            return None
        return _Layout(next(self._names), _svg(sheet), [at[t] for t in order], room)
