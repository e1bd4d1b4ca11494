"""The words and numbers of the pictures: one notation for images, stepper and captions.

A node's gradient is ∂L/∂x (``grad =`` where the root's grad is not 1); every edge shows the local
derivative ∂parent/∂child, in symbols from the op table where it has them, and its value: ∂L/∂e = c = -2.
Every node is called by the graph's one naming (`autograd.names`: its label, a parameter's path, d = 2b,
e = a + d ...; a constant by its number), the same name `explain` and the command line use. Constants carry
no gradient: no ∂L/∂2 and no edge text into a number.

The internal API, for the other modules of ``autograd.draw``:

- ``escape(text)``: text for an HTML-like graphviz label; ``visible(text)``: control characters and lone
  surrogates as visible escapes (for text that is not a label, such as the stepper page's title);
- ``cut(text)``: a label, title or name as the images show it (at most 80 characters, with an ellipsis);
  ``tooltip(v, kind)`` and ``tip(text)``: tooltips that hold the full text (up to 2,000 characters);
- ``number(x, precision)``: a float as short text;
- ``local_text(parent, child, local, names, precision, j, drawn)``: the text of an edge's local derivative, in
  symbols from the op table (``Op.symbolic``) and as a number, for operand j of parent (the one place
  edge text is made);
- ``grad_text(v, root, names, precision, grad, seed_is_one)``: the text of a node's gradient;
- ``node_rows(v, names, precision)``, ``table(rows)``: a node's HTML-like label;
- ``kind(v, root)`` and ``STYLE``: how a node is drawn;
- ``local_derivatives(root, node)``: an op node's local derivatives as the backward picture writes them on its
  edges, one per line (for the playground, `autograd.serve`).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from ..names import Naming, Term, cut, naming, number, with_value

if TYPE_CHECKING:
    from ..engine import Value

Row = tuple[str, str]  # a row of an HTML-like label: (html text, extra TD attributes)

__all__ = [
    "escape",
    "visible",
    "cut",
    "tooltip",
    "tip",
    "number",
    "local_text",
    "grad_text",
    "node_rows",
    "table",
    "kind",
    "STYLE",
    "local_derivatives",
]

# node attributes per kind: shape and colour tell the kinds apart, also in greyscale
STYLE: dict[str, dict[str, str]] = {
    "input": dict(shape="ellipse", style="filled", fillcolor="#cfe2ff", color="#1f5fbf"),
    "parameter": dict(shape="box", style="filled", fillcolor="#ffe0b2", color="#c25e00"),
    "constant": dict(
        shape="ellipse",
        style="filled",
        fillcolor="#eeeeee",
        color="#9e9e9e",
        fontsize="10",
        fontcolor="#555555",
        height="0.3",
        margin="0.04,0.02",
    ),
    "op": dict(shape="box", style="rounded,filled", fillcolor="#ffffff", color="#444444"),
    "output": dict(shape="box", style="rounded,filled", fillcolor="#c8f0c8", color="#1b7a1b", peripheries="2"),
    "block": dict(shape="box3d", style="filled", fillcolor="#ede7f6", color="#5e35b1"),
}

_MAX_FORM = 40  # longest symbolic local derivative written on an edge; a longer one shows its number only

# dot refuses an HTML-like label or a quoted string of 16,384 characters or more: a label is cut to
# 80 characters in the image (with an ellipsis, as every view names it: autograd.names) and shown in full, up
# to _MAX_TOOLTIP, as the tooltip.
_MAX_LABEL = 80
_MAX_TOOLTIP = 2000


def escape(text: str) -> str:
    """Text for an HTML-like graphviz label, shown exactly: & < > " escaped, backslashes doubled, newlines as <BR/>, and
    characters XML refuses or that draw nothing as visible escapes (see `visible`).

    >>> escape("a < b\\nc")
    'a &lt; b<BR/>c'
    """
    out = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        # graphviz expands \\N, \\G, \\E ... even in HTML-like labels, and reads \\\\ as one backslash
        text = html.escape(visible(line), quote=False).replace('"', "&quot;").replace("\\", "\\\\")
        # graphviz's HTML-label lexer fails on a text made of "]" alone (a label "]"): written as references there
        out.append(text.replace("]", "&#93;") if text and text.strip("]") == "" else text)
    return "<BR/>".join(out)


def visible(text: str) -> str:
    """Characters XML refuses or that draw nothing (controls, U+FFFE, U+FFFF, lone surrogates) as \\x.. escapes.

    >>> visible("a\\x07b\\ud800")
    'a\\\\x07b\\\\ud800'
    """
    return "".join(
        f"\\x{ord(c):02x}"
        if ord(c) < 32 or 0x7F <= ord(c) < 0xA0
        else f"\\u{ord(c):04x}"
        if c in "\ufffe\uffff" or "\ud800" <= c <= "\udfff"
        else c
        for c in text
    )


def tip(text: str) -> str:
    """A tooltip (a graphviz escString) showing text exactly, up to 2,000 characters."""
    text = cut(text, _MAX_TOOLTIP).replace("\r\n", "\n").replace("\r", "\n")
    # graphviz unescapes the quoted string, then expands \\N etc., so a backslash is written as four
    return "\\n".join(visible(line).replace("\\", "\\\\\\\\") for line in text.split("\n"))


def tooltip(v: Value, kind: str) -> str:
    """The node's tooltip: its kind, and its label when the image shows the label cut short."""
    if len(v.label) <= _MAX_LABEL:
        return kind
    return tip(f"{kind}: {v.label}")


def kind(v: Value, root: Value | None) -> str:
    """'output', 'op', 'parameter', 'constant' (a number written in an expression) or 'input' (any other leaf)."""
    if v is root:
        return "output"
    if not v.is_leaf:
        return "op"
    if v.is_parameter:
        return "parameter"
    return "constant" if v.is_constant else "input"


def local_text(
    parent: Value,
    child: Value,
    local: float,
    names: Naming,
    precision: int,
    j: int | None = None,
    drawn: Callable[[Value], bool] | None = None,
) -> str:
    """The text on the edge child -> parent, operand j of parent: the local derivative ∂parent/∂child, its
    symbolic form from the op table (``Op.symbolic``, see `autograd.names.Naming.local_forms`) where it has
    one and it is short, and its value: '∂L/∂e = c = -2'. Without j, the value only. An operand the picture
    does not draw (``drawn(node)`` false: folded into a block) is written as its value.

    >>> from autograd import Value
    >>> from autograd.names import naming
    >>> a, c = Value(2.0, label="a"), Value(-2.0, label="c"); y = a ** 0.5; L = c * y
    >>> n = naming(L)
    >>> local_text(y, a, 0.353553, n, 4, 0), local_text(L, y, -2.0, n, 4, 1), local_text(L, y, -2.0, n, 4)
    ('∂b/∂a = 0.5a^(-0.5) = 0.3536', '∂L/∂b = c = -2', '∂L/∂b = -2')
    """
    value = number(local, precision)
    if j is not None:

        def term(v: Value) -> Term:  # a node the picture does not draw shows its value instead
            if drawn is None or drawn(v):
                return names.term(v)
            return number(v.data, precision), 3 if v.data < 0 else 5

        form = names.local_forms(parent, term)[j]
        if form is not None and len(form) <= _MAX_FORM:
            value = with_value(form, value)
    return f"{names.partial(parent)}/{names.partial(child)} = {value}"


def grad_text(v: Value, root: Value, names: Naming, precision: int, grad: str, seed_is_one: bool = True) -> str:
    """The text of v's gradient: '∂L/∂v = grad', or 'grad = grad' when the root's seed is not 1
    (after backward(grad=2), or two backward calls, .grad is not a derivative of the root).

    >>> from autograd import Value
    >>> from autograd.names import naming
    >>> a = Value(1.0, label="a"); L = a * 2; n = naming(L)
    >>> grad_text(a, L, n, 4, "3"), grad_text(a, L, n, 4, "3", seed_is_one=False)
    ('∂L/∂a = 3', 'grad = 3')
    """
    if seed_is_one:
        return f"{names.partial(root)}/{names.partial(v)} = {grad}"
    return f"grad = {grad}"


def table(rows: Iterable[Row]) -> str:
    """An HTML-like label: one row per (html text, extra TD attributes)."""
    cells = "".join(f"<TR><TD{attrs}>{text}</TD></TR>" for text, attrs in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def node_rows(v: Value, names: Naming, precision: int) -> list[Row]:
    """The title row(s) every view shows: 'a = 3' for a leaf, 'e = a + d' then '= 5' for an op; a name the
    user gave (a label, a parameter's path) in bold, an automatic one in italics, a constant as its number."""
    value = number(v.data, precision)
    how = names.kind(v)
    if how == "constant":
        return [(value, "")]
    # the space after a bold or italic name is a no-break space: a browser drops a space that starts a run of
    # SVG text, and would glue the name to its '=' ('b= 1')
    name = escape(names[v])
    name = f"<B>{name}</B>" if how in ("label", "path") else f"<I>{name}</I>"
    if v.is_leaf:
        return [(f"{name}&#160;= {value}", "")]
    return [(f"{name}&#160;= {escape(names.formula(v))}", ""), (f"= {value}", "")]


def local_derivatives(root: Value, node: Value, precision: int = 4) -> list[str]:
    """The op node's name, formula and value, then its local derivatives, one per operand that carries a
    gradient (not a constant), as the backward picture of `root` writes them on its edges (`draw`), with
    the graph's one naming (`autograd.names`); [] for a leaf.

    >>> from autograd import Value
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
