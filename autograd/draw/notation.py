"""The words and numbers of the pictures: one notation for images, stepper and captions.

A node's gradient is ∂L/∂x (``grad =`` where the root's grad is not 1); every edge shows the local
derivative ∂parent/∂child, in symbols from the op table where it has them, and its value: ∂L/∂e = c = -2.
Every node has a short name to write these with: its label, else a short
formula (``a + 2 * b``), else a generated name (``v3``, shown in italics in the node); an unlabelled
root is called ``L``.

The internal API, for the other modules of ``autograd.draw``:

- ``escape(text)``: text for an HTML-like graphviz label; ``visible(text)``: control characters and lone
  surrogates as visible escapes (for text that is not a label, such as the stepper page's title);
- ``cut(text)``: a label, title or name as the images show it (at most 80 characters, with an ellipsis);
  ``tooltip(v, kind)`` and ``tip(text)``: tooltips that hold the full text (up to 2,000 characters);
- ``check_labels(order, what)``: a TypeError naming the first node whose label is not a str;
- ``number(x, precision)``: a float as short text;
- ``names(order, precision, root)``: {node: (name, precedence)}, {op node: (formula, precedence)};
- ``local_text(parent, child, local, name, precision, j)``: the text of an edge's local derivative, in
  symbols from the op table (``Op.symbolic``) and as a number, for operand j of parent (the one place
  edge text is made);
- ``grad_text(v, root, name, precision, grad, seed_is_one)``: the text of a node's gradient;
- ``partial(v, name)``: ``∂name`` (parenthesised where needed), for other texts about gradients;
- ``node_rows(v, name, formula, precision)``, ``table(rows)``: a node's HTML-like label;
- ``kind(v, root)`` and ``STYLE``: how a node is drawn.
"""

from __future__ import annotations

import html
import itertools
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

from ..engine import op_of
from ..explain import local_forms, with_value

if TYPE_CHECKING:
    from ..engine import Value
    from ..ops import Op
    from .groups import Item

Name = tuple[str, int]  # a node's text and its precedence (1 '+', 2 '*', 3 negative number, 4 '**', 5 atom)
Row = tuple[str, str]  # a row of an HTML-like label: (html text, extra TD attributes)

__all__ = [
    "escape",
    "visible",
    "cut",
    "tooltip",
    "tip",
    "check_labels",
    "number",
    "names",
    "local_text",
    "grad_text",
    "partial",
    "node_rows",
    "table",
    "kind",
    "STYLE",
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

_INLINE = 20  # longest formula used as a name (inside a parent's formula, in ∂ texts); longer ones get v1, v2, ...
_MAX_FORM = 40  # longest symbolic local derivative written on an edge; a longer one shows its number only

# dot refuses an HTML-like label or a quoted string of 16,384 characters or more: a label is cut to
# _MAX_LABEL characters in the image (with an ellipsis) and shown in full, up to _MAX_TOOLTIP, as the tooltip.
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


def cut(text: str, n: int = _MAX_LABEL) -> str:
    """text, or its first n - 1 characters and an ellipsis.

    >>> cut("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= n else text[: n - 1] + "…"


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


def check_labels(order: Iterable[Value], what: str) -> None:
    """A TypeError unless every node's label is a str (a label can be set to anything after the node is made).

    >>> from autograd import Value
    >>> x = Value(1.0, label="x"); x.label = 3
    >>> check_labels([x], "draw")
    Traceback (most recent call last):
    ...
    TypeError: draw: the label of node Value(data=1.0, grad=0.0, label=3) must be a str, got 3 of type int; ...
    """
    for v in order:
        if type(v.label) is not str:
            raise TypeError(
                f"{what}: the label of node {v!r} must be a str, got {v.label!r} of type "
                f"{type(v.label).__name__}; set node.label to a str"
            )


def number(x: float, precision: int) -> str:
    """A float as short text: 2.0 -> '2', 0.70474 -> '0.7047' (precision significant digits).

    >>> number(2.0, 4), number(0.704746, 4)
    ('2', '0.7047')
    """
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{precision}g}"


def kind(v: Value, root: Value | None) -> str:
    """'output', 'op', 'parameter', 'input' (a labelled leaf) or 'constant' (an unlabelled leaf)."""
    if v is root:
        return "output"
    if not v.is_leaf:
        return "op"
    if v.is_parameter:
        return "parameter"
    return "input" if v.label else "constant"


def names(
    order: Sequence[Value],
    precision: int,
    root: Value | None = None,
    given: Mapping[Value, str] | None = None,
    shown: Collection[Item] | None = None,
) -> tuple[dict[Value, Name], dict[Value, Name]]:
    """For every node of `order` (children before parents), (name, precedence) naming it inside a parent's
    formula and in ∂ texts, and for every op node its own formula (text, precedence).

    Labelled nodes are named by their label, others by ``given[node]`` if given, unlabelled leaves by
    their value, an unlabelled root 'L', other unlabelled op results by their formula (e.g. 'a + 2 * b')
    when short, else v1, v2, ... (numbered over ``shown``, the nodes drawn, when given: a node folded into
    a block is never written, unless it leaves the block, and then it is ``given`` a name).
    Precedence: 1 '+', 2 '*', 3 negative number, 4 '**', 5 atom; a child is parenthesised when it binds
    less tightly than its parent needs.

    >>> from autograd import Value
    >>> a = Value(3.0, label="a"); y = (a + 2).tanh()
    >>> s = y.children[0]
    >>> name, formula = names([a, s.children[1], s, y], 4, root=y)
    >>> name[y], formula[y], name[s]
    (('L', 5), ('tanh(a + 2)', 5), ('a + 2', 1))
    """
    name: dict[Value, Name] = {}
    formula: dict[Value, Name] = {}
    given = given or {}
    taken = {v.label for v in order if v.label} | set(given.values())
    fresh = (f"v{k}" for k in itertools.count(1) if f"v{k}" not in taken)
    for v in order:
        if not v.is_leaf:
            f = _formula(v, name)
            formula[v] = f
        if v.label:
            name[v] = (cut(v.label), 5)
        elif v in given:
            name[v] = (given[v], 5)
        elif v is root:
            name[v] = ("L" if "L" not in taken else next(fresh), 5)
        elif v.is_leaf:
            name[v] = (number(v.data, precision), 3 if v.data < 0 else 5)
        else:  # a summary ('sum of 17 terms') names no node in particular
            exact = not (_op(v).arity < 0 and len(v.children) > 4)
            if exact and len(f[0]) <= _INLINE:
                name[v] = f
            else:
                name[v] = (next(fresh) if shown is None or v in shown else "·", 5)
    return name, formula


def _op(v: Value) -> Op:
    """The op that made the op node v."""
    op = op_of(v)
    assert op is not None, f"{v!r} is a leaf"
    return op


def _formula(v: Value, name: Mapping[Value, Name]) -> Name:
    """The op's display from the op table, with its operands' names (parenthesised where they bind less
    tightly than the op needs); a long n-ary op is summarised."""
    op, kids = _op(v), v.children
    if op.formula_text is not None:
        return op.formula_text, op.prec
    if op.arity < 0 and len(kids) > 4:
        return (f"sum of {len(kids)} terms", 5) if op.prec < 5 else (f"{op.name}({len(kids)} terms)", 5)
    needs = op.needs if op.arity >= 0 else op.needs * len(kids)
    texts = []
    for child, need in zip(kids, needs):
        text, prec = name[child]
        texts.append(f"({text})" if prec < need else text)
    return op.formula(*texts), op.prec


def partial(v: Value, name: Mapping[Value, Name]) -> str:
    """'∂' and v's name, parenthesised unless it is an atom: '∂e', '∂(a + 2 * b)'.

    >>> from autograd import Value
    >>> e = Value(1.0, label="e"); partial(e, {e: ("e", 5)}), partial(e, {e: ("a + d", 1)})
    ('∂e', '∂(a + d)')
    """
    text, prec = name[v]
    return f"∂{text}" if prec >= 5 else f"∂({text})"


def local_text(
    parent: Value, child: Value, local: float, name: Mapping[Value, Name], precision: int, j: int | None = None
) -> str:
    """The text on the edge child -> parent, operand j of parent: the local derivative ∂parent/∂child, its
    symbolic form from the op table (``Op.symbolic``, see `autograd.explain.local_forms`) where it has one
    and it is short, and its value: '∂L/∂e = c = -2'. Without j, the value only.

    >>> from autograd import Value
    >>> a, c = Value(2.0, label="a"), Value(-2.0, label="c"); y = a ** 0.5; L = c * a
    >>> local_text(y, a, 0.353553, {a: ("a", 5), y: ("a**0.5", 4)}, 4, 0)
    '∂(a**0.5)/∂a = 0.5·a^(0.5−1) = 0.3536'
    >>> local_text(L, a, -2.0, {a: ("a", 5), c: ("c", 5), L: ("L", 5)}, 4, 1)
    '∂L/∂a = c = -2'
    >>> local_text(y, a, 0.353553, {a: ("a", 5), y: ("a**0.5", 4)}, 4)
    '∂(a**0.5)/∂a = 0.3536'
    """
    value = number(local, precision)
    if j is not None:

        def named(v: Value) -> Name:  # a node no picture names ('·', folded into a block) shows its value instead
            return name[v] if name[v][0] != "·" else (number(v.data, precision), 3 if v.data < 0 else 5)

        form = local_forms(parent, named)[j]
        if form is not None and len(form) <= _MAX_FORM:
            value = with_value(form, value)
    return f"{partial(parent, name)}/{partial(child, name)} = {value}"


def grad_text(
    v: Value, root: Value, name: Mapping[Value, Name], precision: int, grad: str, seed_is_one: bool = True
) -> str:
    """The text of v's gradient: '∂L/∂v = grad', or 'grad = grad' when the root's seed is not 1
    (after backward(grad=2), or two backward calls, .grad is not a derivative of the root).

    >>> from autograd import Value
    >>> a, L = Value(1.0, label="a"), Value(2.0, label="L"); nm = {a: ("a", 5), L: ("L", 5)}
    >>> grad_text(a, L, nm, 4, "3"), grad_text(a, L, nm, 4, "3", seed_is_one=False)
    ('∂L/∂a = 3', 'grad = 3')
    """
    if seed_is_one:
        return f"{partial(root, name)}/{partial(v, name)} = {grad}"
    return f"grad = {grad}"


# The names the views used before the internal API had public names (issue 17 edits the edge text here).
_local_text, _grad_text, _esc, _fmt, _visible, _cut = local_text, grad_text, escape, number, visible, cut


def table(rows: Iterable[Row]) -> str:
    """An HTML-like label: one row per (html text, extra TD attributes)."""
    cells = "".join(f"<TR><TD{attrs}>{text}</TD></TR>" for text, attrs in rows)
    return f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{cells}</TABLE>>'


def node_rows(v: Value, name: Mapping[Value, Name], formula: Mapping[Value, Name], precision: int) -> list[Row]:
    """The title row(s) every view shows: 'a = 3' for a leaf, 'e = a + d' then '= 5' for an op
    (a generated name in italics: 'v3 = tanh(v2)')."""
    value = number(v.data, precision)
    # the space after a bold or italic name is a no-break space: a browser drops a space that starts a run of
    # SVG text, and would glue the name to its '=' ('b= 1')
    if v.is_leaf:
        if not v.label:
            return [(value, "")]
        return [(f"<B>{escape(cut(v.label))}</B>&#160;= {value}", "")]
    text = escape(formula[v][0])
    if v.label:
        title = f"<B>{escape(cut(v.label))}</B>&#160;= {text}"
    elif name[v] != formula[v]:
        title = f"<I>{escape(name[v][0])}</I>&#160;= {text}"
    else:
        title = text
    return [(title, ""), (f"= {value}", "")]
