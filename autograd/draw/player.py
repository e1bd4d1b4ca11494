"""The HTML stepper (player) that ``draw_steps`` writes: one self-contained page that steps through the frames,
with zoom and pan, and in a collapsed view a menu that opens a block. The page is the template ``player.html``
next to this file; only the title and the frames' data are filled in here."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable
from importlib import resources
from typing import TypedDict

__all__ = ["player_page"]

Box = tuple[int, int, int, int, int]  # (x0, y0, x1, y1, view): where a click opens a view
# A view of the page: (name, images, captions, positions, targets) as player_page takes them.
View = tuple[str, Iterable[str], Iterable[str], "Iterable[int] | None", Iterable[Box]]


class _ViewData(TypedDict):
    """A view as the page's script reads it (JSON)."""

    name: str
    frames: list[str]
    captions: list[str]
    positions: list[int]
    targets: list[list[int]]


def player_page(
    images: Iterable[str],
    captions: Iterable[str],
    title: str,
    positions: Iterable[int] | None = None,
    blocks: Iterable[View] = (),
    targets: Iterable[Box] = (),
) -> str:
    """The stepper page for `images` (``data:`` URLs, or any URLs the browser can load), one caption each.

    ``positions``: for each frame, how many steps of the backward pass it has done (default 0, 1, 2, ...).
    ``blocks``: for each block of a collapsed view that the page can open, (title, images, captions,
    positions, targets) of the same pass drawn with that block expanded; switching views keeps the place
    in the pass. ``targets`` (of the first view, and last in each block's tuple): (x0, y0, x1, y1, view) boxes
    in a frame's pixels; a click inside one opens that view (1: the first block of ``blocks``).

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
    data = json.dumps({"views": [_view(*v) for v in views]})
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    values = {"title": html.escape(title), "data": data}
    template = resources.files(__package__).joinpath("player.html").read_text(encoding="utf-8")
    # one pass over the template, so that a title containing '{{data}}' stays text
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m[1]], template)


def _view(
    name: str,
    given_images: Iterable[str],
    given_captions: Iterable[str],
    given_positions: Iterable[int] | None,
    targets: Iterable[Box],
) -> _ViewData:
    images, captions = list(given_images), list(given_captions)
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
    return {
        "name": name,
        "frames": images,
        "captions": captions,
        "positions": positions,
        "targets": [list(t) for t in targets],
    }
