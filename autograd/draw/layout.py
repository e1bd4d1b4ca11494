"""One layout, many frames: dot's SVG of a graph, read once, and changed in place from frame to frame.

The stepper draws every frame of a view with the same layout; what differs between two frames is colours,
line widths and a few texts (a gradient, a count). So `dot` lays a view out once, and a frame is that SVG with
some attributes set: the page's script does it in the browser, `draw_steps` in Python for the frame files.

It also finds the edge labels that dot placed nearer another edge's line than their own (a long edge that
bends away from its label): `autograd.draw.views` attaches those to their edge.

The internal API, for the other modules of ``autograd.draw``: `Sheet` (the parsed SVG: boxes of nodes and
edges in the picture's pixels, the parts a frame changes, each given an id, and ``get``/``set`` to change
them; ``strays()``, the edges whose label reads as another edge's).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

__all__ = ["Sheet", "Box"]

Box = tuple[float, float, float, float]  # (x0, y0, x1, y1) in the picture's pixels, y down

_SVG = "http://www.w3.org/2000/svg"
_XLINK = "http://www.w3.org/1999/xlink"
_SHAPES = {f"{{{_SVG}}}{t}" for t in ("path", "polygon", "polyline", "ellipse")}
_TEXT = f"{{{_SVG}}}text"
_NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e-?\d+)?")
ET.register_namespace("", _SVG)
ET.register_namespace("xlink", _XLINK)


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
