"""Derivations as the lecture notes write them: `explain(root, wrt)` and the symbolic local derivatives.

The notes teach backpropagation on L = c(a + 2b), with d = 2b, e = a + d, L = ce, by writing the local
derivative of every node on the way (``L = ce:  ∂L/∂e = c``) and then the chain rule, one product per
path: ``∂L/∂b = ∂L/∂e · ∂e/∂d · ∂d/∂b = (-2)(1)(2) = -4``. `explain` writes that derivation for any
graph; the symbolic forms come from the op table (``Op.symbolic``).

The internal API, for the renderers:

- ``local_forms(v, name)``: how each local derivative of the op node ``v`` reads, one text per operand,
  with ``name(node) -> (text, precedence)`` naming the nodes (precedence as in ``Op.prec``, 5 an atom);
  None for each operand of an op without ``symbolic``, so that a renderer falls back to the number;
- ``with_value(form, value)``: ``"c = -2"``, or just ``"2"`` where the form is the number itself (or None).
"""

import math
import re
import string
import typing
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

from . import ops
from .engine import Value, node_op, topological_order

__all__ = ["explain", "Derivation", "Local", "local_forms", "with_value"]

_FIELDS = string.Formatter()
_MAX_NAME = 24  # longest expression used as the name of an unlabelled node; longer ones show their value
_MAX_HEADER = 60  # longest expansion of the root shown in the first line


_Name = tuple[str, int]  # a node's text and how tightly it binds (precedence as in Op.prec, 5 an atom)


def _fmt(x: float, precision: int) -> str:
    """A float as short text: 2.0 -> '2', 0.70474 -> '0.7047' (precision significant digits)."""
    if math.isfinite(x) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.{precision}g}"


def _number(x: float, precision: int) -> _Name:
    """A number as a name: (text, precedence); a negative one binds like a unary minus."""
    return _fmt(x, precision), 3 if x < 0 else 5


def _constant(x: float, precision: int) -> _Name:
    """A constant as written: 0.05, not 0.05000 nor 0.050000000000000003; a long one as _fmt has it."""
    text = _fmt(x, precision) if x.is_integer() or len(repr(x)) > 8 else repr(x)
    return text, 3 if x < 0 else 5


# ---- symbolic local derivatives ----


def local_forms(v: Value, name: Callable[[Value], _Name]) -> tuple[str | None, ...]:
    """How the local derivatives of the op node `v` read, one text per operand: the op's ``symbolic``
    templates with the names of v's operands, of v itself and v's parameters filled in.

    >>> a, b = Value(3.0, label="a"), Value(1.0, label="b")
    >>> local_forms(a * b, lambda n: (n.label or "a * b", 5 if n.label else 2))
    ('b', 'a')
    >>> h = (a + b).tanh(); h.label = "h"
    >>> local_forms(h, lambda n: (n.label or "a + b", 5 if n.label else 1))
    ('1 − h²',)
    """
    op, kids = node_op(v), v.children
    if op.symbolic is None:  # an op without its forms yet (tests/test_explain.py fails): numbers only
        return (None,) * len(kids)
    texts: dict[str, _Name] = {"y": name(v)}
    texts.update(
        (p, (_param(x), 3 if isinstance(x, float) and x < 0 else 5)) for p, x in zip(op.param_names, op.params)
    )
    if callable(op.symbolic):  # a form per position (dot: each operand's partner)
        texts.update((str(i), name(k)) for i, k in enumerate(kids))
        return tuple(_fill(op.symbolic(i, len(kids)), texts) for i in range(len(kids)))
    if op.arity < 0:
        return tuple(_fill(op.symbolic[0], dict(texts, x=name(k))) for k in kids)
    texts.update((str(i), name(k)) for i, k in enumerate(kids))
    return tuple(_fill(template, texts) for template in op.symbolic)


def _param(x: object) -> str:
    if isinstance(x, float):
        return _fmt(x, 6)
    return str(x)


def _fill(template: str, texts: Mapping[str, _Name]) -> str:
    """The template with each field's text, in parentheses where it binds less tightly than an atom,
    unless the field stands alone or between '(' and ')' (as in 'cos({0})')."""
    parts = list(_FIELDS.parse(template))
    out: list[str] = []
    for k, (before, field, _, _) in enumerate(parts):
        out.append(before)
        if field is None:
            continue
        text, prec = texts[field]
        after = parts[k + 1][0] if k + 1 < len(parts) else None  # None: the field ends the template
        tight = (before.endswith(("(", ", ")) or (k == 0 and before == "")) and (
            after is None or after.startswith((")", ","))
        )
        out.append(text if tight or prec >= 5 else f"({text})")
    return "".join(out)


def with_value(form: str | None, value: str) -> str:
    """A symbolic form followed by its value: 'c = -2'; just the value where the form is that number.

    >>> with_value("c", "-2"), with_value("−1", "-1"), with_value("1 if z > 0 else 0", "1")
    ('c = -2', '-1', '(1 if z > 0 else 0) = 1')
    """
    if form is None or form.replace("−", "-") == value:  # forms write minus as −, numbers as -
        return value
    if " if " in form:
        form = f"({form})"
    return f"{form} = {value}"


# ---- names, as the notes write them ----


def _product(a: str, b: str) -> str:
    """a times b the way the notes write it: 'ce', '2b', 'c(a + 2b)'; with '·' where juxtaposition would
    be ambiguous ('w1·x1', '2·3')."""
    left = (len(a) == 1 and a.isalpha()) or _is_number(a) or (a.startswith("(") and a.endswith(")"))
    right = (len(b) == 1 and b.isalpha()) or b.startswith("(")
    return a + b if left and right else f"{a}·{b}"


def _is_number(text: str) -> bool:
    return re.fullmatch(r"\d+(\.\d+)?", text) is not None  # 2, 0.5; not 1e-09, whose e would read as a name


def _expression(v: Value, name: Mapping[Value, _Name | None], precision: int) -> tuple[str | None, int]:
    """v's op written over its operands' names: (text, precedence). Products and powers as the notes write
    them ('2b', 'x^2'), every other op with its display from the op table."""
    op, kids = node_op(v), v.children
    if op.formula_text is not None:
        return op.formula_text, op.prec
    if op.arity < 0 and len(kids) > 4:
        return (f"sum of {len(kids)} terms" if op.prec < 5 else f"{op.name}({len(kids)} terms)"), 5
    needs = op.needs if op.arity >= 0 else op.needs * len(kids)
    named = [n for k in kids if (n := name[k]) is not None]
    if len(named) < len(kids):  # an operand without a short name
        return None, 5
    texts = [f"({t})" if p < need else t for (t, p), need in zip(named, needs)]
    if op.name == "*":
        return _product(*texts), 2
    if op.name in ("**n", "**"):
        exponent = _number(op.params[0], precision) if op.name == "**n" else named[1]  # '**n': the exponent n
        return f"{texts[0]}^{exponent[0] if exponent[1] >= 5 else '(' + exponent[0] + ')'}", 4
    return op.formula(*texts), op.prec


def _names(order: Sequence[Value], given: Mapping[Value, str], precision: int) -> dict[Value, _Name]:
    """{node: (text, precedence)}: given names first, then labels, a constant's value, a short expression,
    or else the value."""
    name: dict[Value, _Name] = {}
    for v in order:  # children first
        if v in given:
            name[v] = (given[v], 5)
        elif v.label:
            name[v] = (v.label, 5)
        elif v.is_leaf:
            name[v] = _constant(v.data, precision)
        else:
            text, prec = _expression(v, name, precision)
            name[v] = (text, prec) if text is not None and len(text) <= _MAX_NAME else _number(v.data, precision)
    return name


def _expansion(order: Sequence[Value], precision: int) -> str | None:
    """The root written out over the leaves ('c(a + 2b)'), or None when that is longer than _MAX_HEADER."""
    full: dict[Value, _Name | None] = {}
    for v in order:
        if v.is_leaf:
            full[v] = (v.label, 5) if v.label else _constant(v.data, precision)
        else:
            text, prec = _expression(v, full, precision)
            full[v] = (text, prec) if text is not None and len(text) <= _MAX_HEADER else None
    top = full[order[-1]]
    return top[0] if top else None


def _fresh_names(nodes: Collection[Value], order: Sequence[Value], root: Value) -> dict[Value, str]:
    """Names for the unlabelled nodes on the way, as the notes name them (d = 2b, e = a + d): single letters
    no label below root starts with, the root preferring 'L'. Repeated labels get primes (h, h′)."""
    used = {v.label[0].lower() for v in order if v.label}
    free = [c for c in "abcdefghijklmnopqrstuvwxyz" if c not in used]
    given: dict[Value, str] = {}
    seen: dict[str, set[Value]] = {}
    k = 0
    if not root.label and "l" not in used:
        given[root] = "L"
    for v in _post_order(root, nodes):  # the letters run in the order a left-to-right evaluation computes
        if v in given:
            continue
        if v.label:
            primes = seen.setdefault(v.label, set())
            text = v.label + "′" * len(primes)
            primes.add(v)
            if text != v.label:
                given[v] = text
            continue
        given[v] = free[k] if k < len(free) else f"u{k - len(free) + 1}"
        k += 1
    return given


def _post_order(root: Value, nodes: Collection[Value]) -> list[Value]:
    """The nodes of `nodes` below root, each after its operands, operands left to right. No recursion."""
    out: list[Value] = []
    seen: set[Value] = set()
    stack = [(root, False)]
    while stack:
        v, done = stack.pop()
        if done:
            out.append(v)
        elif v not in seen and v in nodes:
            seen.add(v)
            stack.append((v, True))
            stack.extend((k, False) for k in reversed(v.children))
    return out


# ---- the derivation ----


class Local(typing.NamedTuple):
    """One factor of the chain rule: ``symbol`` (∂e/∂d, or ∂L/∂e for a gradient already known), how it
    reads (``form``, 'c'; the symbol itself for a known gradient) and its ``value``."""

    parent: Value
    child: Value
    symbol: str
    form: str
    value: float


class Derivation:
    """The derivation `explain` returns. ``result`` is ∂root/∂wrt; the steps are:

    - ``locals``: for each node on the way (root first), ``(node, heading, [Local, ...])``, its local
      derivatives towards ``wrt`` ('L = ce:', [∂L/∂e = c]);
    - ``path_count``: how many paths lead from root to wrt (a node used twice by one op counts once);
    - ``paths``: each path as a tuple of Locals, when there are at most ``max_paths``, else None;
    - ``recursion``: else, for each node on the way after root, ``(node, [(∂root/∂p, ∂p/∂node) as Locals,
      one pair per parent p], ∂root/∂node)``: the backprop recursion, what ``backward()`` computes.

    ``str()`` is the plain text; in Jupyter it shows as Markdown with LaTeX.
    """

    def __init__(
        self,
        root: Value,
        wrt: Value,
        result: float,
        path_count: int,
        locals: list[tuple[Value, str, list[Local]]],
        paths: list[tuple[Local, ...]] | None,
        recursion: list[tuple[Value, list[tuple[Local, ...]], float]] | None,
        lines: list[tuple[str, str]],
    ) -> None:
        self.root, self.wrt, self.result, self.path_count = root, wrt, result, path_count
        self.locals, self.paths, self.recursion = locals, paths, recursion
        self._lines = lines  # (kind, text): 'text' is prose, 'math' a formula

    @property
    def lines(self) -> list[str]:
        """The plain-text lines of the derivation; a long sum is broken before its '+' and '='."""
        return [line for kind, text in self._lines for line in (_wrap(text) if kind == "math" else [text])]

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return f"<Derivation {self._lines[-1][1]}>"

    def _repr_markdown_(self) -> str:
        out = []
        for kind, text in self._lines:
            if kind == "math":
                text = re.sub(r"([:,])\s{2,}", "\\1\u2003", text.strip())  # the column gap: a \\quad
                out.append(f"$${_latex(text)}$$")
            else:
                out.append(text.replace("*", r"\*").replace("_", r"\_"))
        return "\n\n".join(out)


def explain(root: Value, wrt: Value | str, max_paths: int = 8, precision: int = 4) -> Derivation:
    """The derivation of ∂root/∂wrt as the lecture notes write it: the local derivative of every node
    on the way (symbolic = number), then the chain rule as a sum over paths of products, and the
    result, which is what ``backward()`` leaves in ``wrt.grad``. Where more than `max_paths` paths lead
    to wrt (a node used many times, an RNN), it writes the backprop recursion instead,
    ∂root/∂v = Σ over parents p of ∂root/∂p · ∂p/∂v, once per node.

    `wrt` is a node below root, or the label of one. Nodes without a label are named as the notes
    name them (d = 2b, e = a + d). Returns a `Derivation`.

    >>> a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    >>> d = 2 * b; d.label = "d"; e = a + d; e.label = "e"; L = c * e; L.label = "L"
    >>> print(explain(L, b))
    ∂L/∂b, where L = c(a + 2b) and a = 3, b = 1, c = -2
    L = ce:     ∂L/∂e = c = -2
    e = a + d:  ∂e/∂d = 1
    d = 2b:     ∂d/∂b = 2
    ∂L/∂b = ∂L/∂e · ∂e/∂d · ∂d/∂b = (-2)(1)(2) = -4
    """
    if not isinstance(root, Value):
        raise TypeError(f"explain: root must be a Value, got {root!r} of type {type(root).__name__}")
    if type(max_paths) is not int or max_paths < 1:
        raise ValueError(f"explain: max_paths must be a positive int, got {max_paths!r}")
    if type(precision) is not int or not 1 <= precision <= 17:
        raise ValueError(f"explain: precision must be an int from 1 to 17, got {precision!r}")
    order = topological_order(root)  # root first
    wrt = _find(wrt, order)

    def fmt(x: float) -> str:
        return _fmt(x, precision)

    # the nodes on the way: below root and above wrt (wrt included)
    reach = {wrt} if wrt in order else set()
    for v in reversed(order):
        if any(k in reach for k in v.children):
            reach.add(v)
    given = _fresh_names(reach | {root}, order, root)
    inputs_first = order[::-1]
    name = _names(inputs_first, given, precision)
    symbol = {v: _symbol(name[v][0]) for v in reach | {root}}
    R = symbol[root]
    W = symbol[wrt] if wrt in symbol else _symbol(wrt.label or fmt(wrt.data))  # wrt not below root
    lhs = f"∂{R}/∂{W}"

    # the local derivatives on the way, one per (parent, child) pair: a node used twice by one op
    # (x * x) has one local derivative, the sum over its uses (x + x)
    local: dict[tuple[Value, Value], Local] = {}
    locals: list[tuple[Value, str, list[Local]]] = []
    for v in order:
        if v not in reach or v is wrt:
            continue
        forms = local_forms(v, name.__getitem__)
        pairs: dict[Value, tuple[str, float]] = {}
        for k, form, value in zip(v.children, forms, v.local_grads):
            if k in reach:
                f, x = pairs.get(k, ("", 0.0))
                pairs[k] = (_plus(f, form or fmt(value)), x + value)
        items = [Local(v, k, f"∂{symbol[v]}/∂{symbol[k]}", f, x) for k, (f, x) in pairs.items()]
        local.update(((v, it.child), it) for it in items)
        expression = _expression(v, name, precision)[0]
        locals.append((v, f"{name[v][0]} = {expression}:", items))

    header = lhs
    expansion = _expansion(inputs_first, precision)
    if expansion and expansion != R:
        leaves = sorted({v.label: v for v in order if v.is_leaf and v.label}.items())
        values = ", ".join(f"{n} = {fmt(v.data)}" for n, v in leaves)
        header += f", where {R} = {expansion}" + (f" and {values}" if 0 < len(leaves) <= 8 else "")
    lines = [("text", header)]
    width = max((len(h) for _, h, _ in locals), default=0) + 2
    lines += [
        ("math", f"{h:<{width}}" + ",  ".join(f"{it.symbol} = {with_value(it.form, fmt(it.value))}" for it in items))
        for _, h, items in locals
    ]

    # paths from each node on the way down to wrt, and their factors in all
    counts: dict[Value, int] = {}
    factors: dict[Value, int] = {}
    for v in inputs_first:
        if v in reach:
            below = [k for k in dict.fromkeys(v.children) if k in reach]
            counts[v] = 1 if v is wrt else sum(counts[k] for k in below)
            factors[v] = sum(factors[k] + counts[k] for k in below)
    count = counts.get(root, 0)
    paths = recursion = None
    if wrt is root:
        result = 1.0
        lines.append(("math", f"{lhs} = 1"))
    elif count == 0:
        result = 0.0
        lines.append(("text", f"No path leads from {R} to {W}: {R} does not depend on {W}, so {lhs} = 0."))
    elif count <= max_paths and factors[root] <= 5 * max_paths:
        paths = list(_paths(root, wrt, reach, local))
        result = sum(math.prod(f.value for f in path) for path in paths)
        if count > 1:
            lines.append(("text", f"{count} paths lead from {R} to {W}: the chain rule adds one product per path."))
        lines.append(("math", _equation(lhs, paths, result, fmt)))
    else:
        lines.append(
            (
                "text",
                f"{count} path{'s' * (count > 1)} ({factors[root]} factors in all) lead from {R} to "
                f"{W}: more than max_paths={max_paths} paths or 5 factors per path on average, too many "
                f"to write out one by one. So, the backprop recursion instead: for every node v from "
                f"{R} down to {W}, ∂{R}/∂v = Σ over parents p of v of ∂{R}/∂p · ∂p/∂v. That is what "
                f"backward() computes, once per node instead of once per path.",
            )
        )
        recursion = _recursion(root, wrt, locals, R, symbol)
        lines += [("math", _equation(f"∂{R}/∂{symbol[v]}", ts, g, fmt)) for v, ts, g in recursion]
        result = recursion[-1][2]
    return Derivation(root, wrt, result, count, locals, paths, recursion, lines)


def _recursion(
    root: Value, wrt: Value, locals: list[tuple[Value, str, list[Local]]], R: str, symbol: Mapping[Value, str]
) -> list[tuple[Value, list[tuple[Local, ...]], float]]:
    """[(node, terms, ∂root/∂node)] for every node on the way after root, parents first, wrt last: each term
    the pair (∂root/∂p, ∂p/∂node) for a parent p, or just ∂root/∂node's local form where p is root."""
    grad: dict[Value, float] = {root: 1.0}
    terms: dict[Value, list[tuple[Local, ...]]] = {}
    for v, _, items in locals:  # parents before children: grad[v] is complete when v comes up
        known = Local(root, v, f"∂{R}/∂{symbol[v]}", f"∂{R}/∂{symbol[v]}", grad[v])
        for it in items:
            grad[it.child] = grad.get(it.child, 0.0) + grad[v] * it.value
            terms.setdefault(it.child, []).append((known, it) if v is not root else (it,))
    return [(v, terms[v], grad[v]) for v in [v for v, _, _ in locals[1:]] + [wrt]]


def _find(wrt: object, order: Sequence[Value]) -> Value:
    if isinstance(wrt, Value):
        return wrt
    if isinstance(wrt, str):
        found = [v for v in order if v.label == wrt]
        if len(found) == 1:
            return found[0]
        labels = sorted({v.label for v in order if v.label})
        what = "no node" if not found else f"{len(found)} nodes"
        raise ValueError(
            f"explain: wrt={wrt!r}: {what} below root has that label; the labels are {', '.join(labels) or '(none)'}"
        )
    raise TypeError(
        f"explain: wrt must be a Value or the label of one (a str), got {wrt!r} of type {type(wrt).__name__}"
    )


def _symbol(text: str) -> str:
    """A name as it goes after ∂: in parentheses where it is more than one token."""
    return f"({text})" if re.search(r"[\s+\-*/·−]", text) else text


def _plus(a: str, b: str) -> str:
    """Two symbolic forms added: 'x + x'; a form that starts with a minus is subtracted."""
    if not a:
        return b
    return f"{a} − {b[1:]}" if b.startswith("−") else f"{a} + {b}"


def _paths(
    v: Value, wrt: Value, reach: Collection[Value], local: Mapping[tuple[Value, Value], Local]
) -> Iterator[tuple[Local, ...]]:
    """Every path from v down to wrt as a tuple of Locals, in the order of the operands."""
    if v is wrt:
        yield ()
        return
    for k in dict.fromkeys(v.children):
        if k in reach:
            for rest in _paths(k, wrt, reach, local):
                yield (local[v, k], *rest)


def _equation(lhs: str, terms: Sequence[tuple[Local, ...]], result: float, fmt: Callable[[float], str]) -> str:
    """'∂L/∂b = ∂L/∂e · ∂e/∂d · ∂d/∂b = (-2)(1)(2) = -4': the symbols, the numbers, the result.
    A factor whose symbol is the left side itself (a direct edge from the root) shows its form."""
    single = len(terms) == 1 and len(terms[0]) == 1
    symbols, numbers = [], []
    for factors in terms:
        texts = []
        for f in factors:
            text = f.symbol
            if f.symbol == lhs:
                text = f.form if single or (" " not in f.form) else f"({f.form})"
                text = f"({text})" if " if " in text and not text.startswith("(") else text
            texts.append(text)
        symbols.append(" · ".join(texts))
        numbers.append("".join(f"({fmt(f.value)})" for f in factors))
    parts = [lhs]
    for text in (" + ".join(symbols), fmt(result) if single else " + ".join(numbers), fmt(result)):
        if text.replace("−", "-") == parts[-1].replace("−", "-"):
            parts[-1] = text  # the same: keep the later, a number ('-1', not the form's '−1')
        else:
            parts.append(text)
    return " = ".join(parts)


_WIDTH = 100  # a chain-rule line longer than this goes on several lines


def _wrap(text: str) -> list[str]:
    """'∂L/∂x = A + B = (1)(2) + (3) = 5', when long, as one term per line, aligned under the first '='."""
    if len(text) <= _WIDTH or " = " not in text:
        return [text]
    lhs, rest = text.split(" = ", 1)
    lines, indent = [], " " * (len(lhs) + 1)
    for i, side in enumerate(_split(rest, " = ")):
        for j, term in enumerate(_split(side, " + ")):
            mark = "+" if j else "="
            lines.append(f"{lhs} = {term}" if i == j == 0 else f"{indent}{mark} {term}")
    return lines


def _split(text: str, sep: str) -> list[str]:
    """text split at `sep` outside parentheses."""
    parts, depth, start, i = [], 0, 0, 0
    while i < len(text):
        if text[i] == "(":
            depth += 1
        elif text[i] == ")":
            depth -= 1
        elif depth == 0 and text.startswith(sep, i):
            parts.append(text[start:i])
            start = i = i + len(sep)
            continue
        i += 1
    return [*parts, text[start:]]


# ---- LaTeX, for Jupyter ----

_TOKEN = re.compile(r"∂(?P<p>[^/\s,]+)/∂(?P<c>[^\s,]+)|(?P<word>[A-Za-z_][A-Za-z0-9_]*)|(?P<ch>.)", re.S)
_LATEX = {
    "−": "-",
    "·": r" \cdot ",
    "²": "^2",
    "≤": r" \le ",
    "σ": r"\sigma ",
    "Φ": r"\Phi ",
    "φ": r"\phi ",
    "π": r"\pi ",
    "⌊": r"\lfloor ",
    "⌋": r"\rfloor ",
    "½": r"\tfrac{1}{2}",
    "∞": r"\infty ",
    "Σ": r"\sum ",
    "√": r"\sqrt",
    "′": "'",
    "\u2003": r"\quad ",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "#": r"\#",
    "%": r"\%",
    "&": r"\&",
    "\\": r"\backslash ",
    "~": r"\sim ",
}
_WORDS = {op.name for op in ops.OPS if op.name.isidentifier()} | {"ln"}


def _latex(text: str) -> str:
    """A line of the derivation in LaTeX: ∂L/∂e as a fraction, √( ) and ^( ) as groups, labels upright."""
    out = []
    for m in _TOKEN.finditer(text):
        if m["p"]:
            out.append(rf"\frac{{\partial {_latex(m['p'])}}}{{\partial {_latex(m['c'])}}}")
        elif m["word"]:
            w = m["word"]
            if w in ("if", "else", "where", "and"):
                out.append(rf"\text{{ {w} }}")
            elif w in _WORDS:
                out.append(r"\operatorname{" + w.replace("_", r"\_") + "}")
            else:
                # letters alone read as a product ('ce'); a label with digits or _ is a name ('w1')
                out.append(w if w.isalpha() else r"\mathrm{" + w.replace("_", r"\_") + "}")
        else:
            out.append(_LATEX.get(m["ch"], m["ch"]))
    s = "".join(out)
    for opener, keep in ((r"\sqrt(", r"\sqrt{"), ("^(", "^{")):
        while opener in s:  # the matching ')' becomes '}'
            i = s.index(opener)
            depth, start = 0, i + len(opener) - 1
            for j in range(start, len(s)):
                depth += {"(": 1, ")": -1}.get(s[j], 0)
                if depth == 0:
                    break
            s = s[:i] + keep + s[i + len(opener) : j] + "}" + s[j + 1 :]
    return s
