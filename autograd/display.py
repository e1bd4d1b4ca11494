"""Rich display in Jupyter: small HTML cards for a `Value` (``Value._repr_html_`` calls `value_html`) and
for an ``nn`` module (``nn.Module._repr_html_`` uses `card_html`). Plain ``repr`` is not changed.

This module imports nothing of chaingrad's: the engine imports it, and `value_html` reads a Value through its
public attributes (``data``, ``grad``, ``label``, ``op``, ``children``, ``is_leaf``, ``is_parameter``).
"""

import html
import math
from collections.abc import Iterable
from typing import Any

__all__ = ["value_html", "card_html"]

# the colours of autograd.draw's pictures, so that a card looks like its node
_COLOURS = {
    "input": ("#cfe2ff", "#1f5fbf"),
    "parameter": ("#ffe0b2", "#c25e00"),
    "constant": ("#eeeeee", "#9e9e9e"),
    "op": ("#ffffff", "#444444"),
    "module": ("#f5f5f5", "#666666"),
}


def card_html(title: object, kind: str, rows: Iterable[tuple[object, object]]) -> str:
    """A compact HTML card: `title` in bold, `kind` after it, then one ``(name, value)`` row each.
    Every text is escaped; `kind` picks the colours (input, parameter, constant, op or module).

    >>> print(card_html("a<b", "input", [("data", "3")]))  # doctest: +ELLIPSIS
    <div ...><b>a&lt;b</b> <span ...>input</span>...<td ...>data</td><td ...>3</td>...</div>
    """
    if kind not in _COLOURS:
        raise ValueError(f"card_html: kind must be one of {', '.join(map(repr, _COLOURS))}, got {kind!r}")
    fill, border = _COLOURS[kind]
    cells = "".join(
        f'<tr><td style="padding:0 .8em 0 0;color:#555;text-align:left">{html.escape(str(name))}</td>'
        f'<td style="padding:0;text-align:left;font-family:monospace">{html.escape(str(value))}</td></tr>'
        for name, value in rows
    )
    return (
        f'<div style="display:inline-block;border:1px solid {border};border-radius:6px;background:{fill};'
        f'padding:.3em .7em;font-family:system-ui,sans-serif;font-size:13px;line-height:1.4;color:#222">'
        f'<b>{html.escape(str(title))}</b> <span style="color:#555">{html.escape(str(kind))}</span>'
        f'<table style="border-collapse:collapse;margin:.2em 0 0">{cells}</table></div>'
    )


def _number(x: object) -> str:
    if isinstance(x, float) and math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}" if isinstance(x, float) else repr(x)


# What value_html reads of a Value.
_VALUE_FIELDS = ("data", "grad", "label", "op", "children", "is_leaf", "is_parameter", "is_constant", "path")


def value_html(v: Any) -> str:
    """The HTML card of a Value: its label, data, grad and op (for a result: the op and its operand count).

    >>> from autograd import Value
    >>> a = Value(3.0, label="<a>"); L = a * 2; L.backward()
    >>> "&lt;a&gt;" in value_html(a), "<a>" in value_html(a)
    (True, False)
    >>> "* of 2 operands" in value_html(L)
    True
    """
    if not all(hasattr(v, field) for field in _VALUE_FIELDS):
        raise TypeError(f"value_html: needs a Value, got {v!r} of type {type(v).__name__}")
    if v.is_leaf:
        kind = "parameter" if v.is_parameter else "constant" if v.is_constant else "input"
        op = "none (a leaf)"
    else:
        kind = "op"
        n = len(v.children)
        op = f"{v.op} of {n} operand{'s' if n != 1 else ''}"
    grad = v.grad
    # a float, or after backward(create_graph=True) a Value of its own
    grad_text = (
        _number(grad) if isinstance(grad, (int, float)) else f"{_number(grad.data)} (a Value with its own graph)"
    )
    title = v.label or v.path or "Value"  # a card shows one node, not a graph: no automatic name
    return card_html(title, kind, [("data", _number(v.data)), ("grad", grad_text), ("op", op)])
