"""The HTML stepper (player) that ``draw_steps`` writes: one self-contained page that steps through the frames,
with zoom and pan, and in a collapsed view a menu that opens a block. The page is the template ``player.html``
next to this file; only the title and the frames' data are filled in here.

A view's frames are either pictures (``data:`` URLs, or any URLs the browser can load), or one SVG picture and
what changes from frame to frame (a `Layout`, as ``draw_steps`` gives them): the page then draws each frame
when it is shown.

What the page does: it opens at a zoom where the text of the pictures is readable (at least 90% of its
natural size, or the whole picture when it fits larger), filling the window where the picture is larger than
it, and, for a `Layout`, centred on the step; as you step it follows the step (the part of the picture
each frame names) until you pan or zoom by hand ("follow" turns it back on). The counter shows the steps of
the pass that the frame has done ("steps 12-16 of 38"), as the captions count them."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Sequence
from importlib import resources
from typing import NamedTuple, TypedDict

__all__ = ["player_page", "Layout"]

Box = tuple[int, int, int, int, int]  # (x0, y0, x1, y1, view): where a click opens a view
Track = tuple[str, str, Sequence[tuple[int, str]]]  # (element id, attribute or "#text", [(frame, value), ...])


class Layout(NamedTuple):
    """The frames of a view as one SVG picture and its changes.

    ``svg``: the picture of frame 0, as text. ``tracks``: (element id, attribute, [(frame, value), ...]):
    the value the attribute of that element of ``svg`` takes from each listed frame on (the attribute
    ``#text`` is the element's text); the list starts at frame 0. ``focus``: for each frame, (x0, y0, x1, y1),
    the part of the picture it is about, in the picture's pixels (96 per inch): the page follows it.
    """

    svg: str
    tracks: Sequence[Track]
    focus: Sequence[tuple[float, float, float, float]]


# A view of the page: (name, images or layout, captions, positions, targets) as player_page takes them.
View = tuple[str, "Iterable[str] | Layout", Iterable[str], "Iterable[int] | None", Iterable[Box]]


class _ViewData(TypedDict, total=False):
    """A view as the page's script reads it (JSON): ``frames`` (URLs), or ``svg``, ``tracks`` and ``focus``."""

    name: str
    frames: list[str]
    svg: str
    tracks: list[list[object]]
    focus: list[list[float]]
    captions: list[str]
    positions: list[int]
    targets: list[list[int]]


def player_page(
    images: Iterable[str] | Layout,
    captions: Iterable[str],
    title: str,
    positions: Iterable[int] | None = None,
    blocks: Iterable[View] = (),
    targets: Iterable[Box] = (),
    closed: Iterable[tuple[str, str]] = (),
) -> str:
    """The stepper page for `images` (``data:`` URLs, or any URLs the browser can load; or a `Layout`), one
    caption each.

    ``positions``: for each frame, how many steps of the backward pass it has done (default 0, 1, 2, ...).
    ``blocks``: for each block of a collapsed view that the page can open, (title, images, captions,
    positions, targets) of the same pass drawn with that block expanded; switching views keeps the place
    in the pass. ``targets`` (of the first view, and last in each block's tuple): (x0, y0, x1, y1, view) boxes
    in a frame's pixels; a click inside one opens that view (1: the first block of ``blocks``).
    ``closed``: (title, why) of blocks the page cannot open, listed in its menu as such.

    Text is escaped for where it goes: the title as HTML, the frames and captions as JSON in which
    ``<``, ``>`` and ``&`` are written as ``\\u003c``-style escapes, so no label (``</script>``,
    ``<!--<script>``) can end or change the page's script.

    >>> page = player_page(["data:image/png;base64,AA=="], ["</script>"], "x < y")
    >>> "<title>x &lt; y</title>" in page, "\\\\u003c/script\\\\u003e" in page
    (True, True)
    """
    if not isinstance(title, str):
        raise TypeError(f"player_page: images, captions and title must be str, got {title!r}")
    views: list[View] = [("all blocks collapsed", images, captions, positions, targets)]
    for block in blocks:
        if not isinstance(block, (tuple, list)) or len(block) != 5:
            raise TypeError(
                f"player_page: each block must be (title, images, captions, positions, targets), got {block!r}"
            )
        views.append((f"expand {block[0]}", *block[1:]))
    for *_, boxes in views:
        for box in boxes:
            if len(box) != 5 or not all(type(c) is int for c in box) or not 0 < box[4] < len(views):
                raise ValueError(
                    f"player_page: a target must be 5 ints (x0, y0, x1, y1, view) naming one of "
                    f"the {len(views) - 1} blocks' views, got {box!r}"
                )
    shut = []
    for item in closed:
        if not isinstance(item, (tuple, list)) or len(item) != 2 or not all(isinstance(t, str) for t in item):
            raise TypeError(f"player_page: each closed block must be (title, why), two str, got {item!r}")
        shut.append(list(item))
    data = json.dumps({"views": [_view(*v) for v in views], "closed": shut})
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    values = {"title": html.escape(title), "data": data}
    template = resources.files(__package__).joinpath("player.html").read_text(encoding="utf-8")
    # one pass over the template, so that a title containing '{{data}}' stays text
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m[1]], template)


def _view(
    name: str,
    given_images: Iterable[str] | Layout,
    given_captions: Iterable[str],
    given_positions: Iterable[int] | None,
    targets: Iterable[Box],
) -> _ViewData:
    captions = list(given_captions)
    if isinstance(given_images, Layout):
        layout = given_images
        if not isinstance(layout.svg, str):
            raise TypeError(f"player_page: a layout's svg must be str, got {layout.svg!r}")
        if len(layout.focus) != len(captions):
            raise ValueError(
                f"player_page: need one focus box per caption, got {len(layout.focus)} for {len(captions)} captions"
            )
        images = [""] * len(captions)
    else:
        layout, images = None, list(given_images)
    positions = list(range(len(images))) if given_positions is None else list(given_positions)
    if not images:
        raise ValueError(f"player_page: images must hold at least one frame, got {images!r}")
    if len(captions) != len(images):
        raise ValueError(
            f"player_page: need one caption per image, got {len(captions)} captions "
            f"for {len(images)} images: {captions!r}"
        )
    if len(positions) != len(images) or any(type(p) is not int for p in positions):
        raise ValueError(f"player_page: need one int position per image, got {positions!r}")
    for text in [*images, *captions, name]:
        if not isinstance(text, str):
            raise TypeError(f"player_page: images, captions and title must be str, got {text!r}")
    data: _ViewData = {
        "name": name,
        "captions": captions,
        "positions": positions,
        "targets": [list(t) for t in targets],
    }
    if layout is None:
        data["frames"] = images
    else:
        data["svg"] = layout.svg
        data["tracks"] = [
            [element, attribute, [list(c) for c in changes]] for element, attribute, changes in layout.tracks
        ]
        data["focus"] = [list(box) for box in layout.focus]
    return data
