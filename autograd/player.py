"""The HTML stepper (player) that ``draw_steps`` writes: one self-contained page that steps through the frames,
with zoom and pan. The page is the template ``player.html`` next to this file; only the title and the
frames' data are filled in here."""
import html
import json
import re
from importlib import resources

__all__ = ["player_page"]


def player_page(images, captions, title):
    """The stepper page for `images` (``data:`` URLs, or any URLs the browser can load), one caption each.

    Text is escaped for where it goes: the title as HTML, the frames and captions as JSON in which
    ``<``, ``>`` and ``&`` are written as ``\\u003c``-style escapes, so no label (``</script>``,
    ``<!--<script>``) can end or change the page's script.

    >>> page = player_page(["data:image/png;base64,AA=="], ["</script>"], "x < y")
    >>> "<title>x &lt; y</title>" in page, "\\\\u003c/script\\\\u003e" in page
    (True, True)
    """
    images, captions = list(images), list(captions)
    if not images:
        raise ValueError(f"player_page: images must hold at least one frame, got {images!r}")
    if len(captions) != len(images):
        raise ValueError(f"player_page: need one caption per image, got {len(captions)} captions "
                         f"for {len(images)} images: {captions!r}")
    for text in [*images, *captions, title]:
        if not isinstance(text, str):
            raise TypeError(f"player_page: images, captions and title must be str, got {text!r}")
    data = json.dumps({"frames": images, "captions": captions})
    data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    values = {"title": html.escape(title), "data": data}
    template = resources.files(__package__).joinpath("player.html").read_text(encoding="utf-8")
    # one pass over the template, so that a title containing '{{data}}' stays text
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m[1]], template)
