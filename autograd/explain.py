"""Derivations as the lecture notes write them: `explain(root, wrt)`.

The notes teach backpropagation on L = c(a + 2b), with d = 2b, e = a + d, L = c·e, by writing the local
derivative of every node on the way (``L = c·e:  ∂L/∂e = c``) and then the chain rule, one product per
path: ``∂L/∂b = ∂L/∂e · ∂e/∂d · ∂d/∂b = (-2)(1)(2) = -4``. `explain` writes that derivation for any
graph, with the graph's one naming and notation (`autograd.names`); the symbolic forms come from the op
table (``Op.symbolic``).
"""

import math
import re
import typing
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence

from . import ops
from .engine import Value, node_op, topological_order
from .names import Naming, Term, constant_text, cut, naming, number, with_value, write

__all__ = ["explain", "Derivation", "Local"]

_MAX_HEADER = 60  # longest expansion of the root shown in the first line
_MAX_ALIGN = 30  # bindings are aligned to the longest heading up to this width; a longer one is not padded


def _expansion(names: Naming, precision: int) -> str | None:
    """The root written out over the leaves ('c(a + 2b)'), or None when that is longer than _MAX_HEADER."""
    full: dict[Value, Term | None] = {}
    for v in names.order:
        if v.is_leaf:
            full[v] = names.term(v)
            continue
        kids = [full[k] for k in v.children]
        if any(k is None for k in kids):
            full[v] = None
            continue
        term = write(node_op(v), typing.cast(list[Term], kids))
        full[v] = term if len(term[0]) <= _MAX_HEADER else None
    top = full[names.root]
    return top[0] if top else None


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
      derivatives towards ``wrt`` ('L = c·e:', [∂L/∂e = c]);
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
        self._lines = lines  # (kind, text): 'text' is prose, 'binding' a node's line, 'math' a chain-rule sum

    @property
    def lines(self) -> list[str]:
        """The plain-text lines of the derivation: one per binding; a long sum is broken before its '+' and '='."""
        return [line for kind, text in self._lines for line in (_wrap(text) if kind == "math" else [text])]

    def __str__(self) -> str:
        return "\n".join(self.lines)

    def __repr__(self) -> str:
        return f"<Derivation {self._lines[-1][1]}>"

    def _repr_markdown_(self) -> str:
        out = []
        for kind, text in self._lines:
            if kind != "text":
                text = re.sub(r"([:,])\s{2,}", "\\1\u2003", text.strip())  # the column gap: a \\quad
                out.append(f"$${_latex(text)}$$")
            else:
                out.append(text.replace("*", r"\*").replace("_", r"\_"))
        return "\n\n".join(out)


def explain(root: Value, wrt: Value | str, max_paths: int = 8, precision: int = 4) -> Derivation:
    """The derivation of ∂root/∂wrt as the lecture notes write it: the local derivative of every node
    on the way (symbolic = number), then the chain rule as a sum over paths of products, and the
    result, which is what ``backward()`` leaves in ``wrt.grad``. Where more than `max_paths` paths lead
    to wrt (a node used many times, an RNN, a layer of a model), it writes the backprop recursion instead,
    ∂root/∂v = Σ over parents p of ∂root/∂p · ∂p/∂v, once per node; a sum of more than `max_paths` terms
    shows its first max_paths - 1 terms and how many more there are, then its total.

    `wrt` is a node below root, or its name (a label, a parameter's path). Nodes are named as every view
    names them (`autograd.names`: labels, parameter paths, then d = 2b, e = a + d in the order Python
    computes them). Each binding is one line; the bindings are aligned up to a width of 30 characters.
    Returns a `Derivation`.

    >>> a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    >>> L = c * (a + 2 * b)
    >>> print(explain(L, b))
    ∂L/∂b, where L = c(a + 2b) and a = 3, b = 1, c = -2
    L = c·e:    ∂L/∂e = c = -2
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
    names = naming(root)
    order = topological_order(root)  # root first
    wrt = _find(wrt, names)

    def fmt(x: float) -> str:
        return number(x, precision)

    # the nodes on the way: below root and above wrt (wrt included)
    reach = {wrt} if wrt in names else set()
    for v in reversed(order):
        if any(k in reach for k in v.children):
            reach.add(v)
    symbol = {v: names.partial(v)[1:] for v in reach | {root}}
    R = symbol[root]
    W = symbol[wrt] if wrt in symbol else _symbol(cut(wrt.label or wrt.path) or fmt(wrt.data))  # not below root
    lhs = f"∂{R}/∂{W}"

    # the local derivatives on the way, one per (parent, child) pair: a node used twice by one op
    # (x * x) has one local derivative, the sum over its uses (x + x)
    local: dict[tuple[Value, Value], Local] = {}
    locals: list[tuple[Value, str, list[Local]]] = []
    for v in order:
        if v not in reach or v is wrt:
            continue
        forms = names.local_forms(v)
        pairs: dict[Value, tuple[str, float]] = {}
        for k, form, value in zip(v.children, forms, v.local_grads):
            if k in reach:
                f, x = pairs.get(k, ("", 0.0))
                pairs[k] = (_plus(f, form or fmt(value)), x + value)
        items = [Local(v, k, f"∂{symbol[v]}/∂{symbol[k]}", f, x) for k, (f, x) in pairs.items()]
        local.update(((v, it.child), it) for it in items)
        locals.append((v, f"{names[v]} = {names.formula(v)}:", items))

    header = lhs
    expansion = _expansion(names, precision)
    if expansion and expansion != R:
        leaves = sorted({names[v]: v for v in order if v.is_leaf and not v.is_constant}.items())
        values = ", ".join(f"{n} = {fmt(v.data)}" for n, v in leaves)
        header += f", where {R} = {expansion}" + (f" and {values}" if 0 < len(leaves) <= 8 else "")
    lines = [("text", header)]
    width = min(max((len(h) for _, h, _ in locals), default=0), _MAX_ALIGN)
    # two spaces after the heading also where a long one is not padded ('f = a_very_long…·2:  ∂f/∂…')
    lines += [("binding", f"{h:<{width}}  " + _listed(items, fmt, max_paths)) for _, h, items in locals]

    # paths from each node on the way down to wrt, and their factors in all
    counts: dict[Value, int] = {}
    factors: dict[Value, int] = {}
    for v in reversed(order):
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
        lines.append(("math", _equation(lhs, paths, result, fmt, max_paths)))
    else:
        lines.append(
            (
                "text",
                f"{count} path{'s' * (count > 1)} ({factors[root]} factors in all) "
                f"lead{'s' * (count == 1)} from {R} to {W}: more than max_paths={max_paths} paths or 5 "
                f"factors per path on average, too many to write out one by one. So, the backprop "
                f"recursion instead: for every node v from {R} down to {W}, ∂{R}/∂v = Σ over parents p "
                f"of v of ∂{R}/∂p · ∂p/∂v. That is what backward() computes, once per node instead of "
                f"once per path.",
            )
        )
        recursion = _recursion(root, wrt, locals, R, symbol)
        lines += [("math", _equation(f"∂{R}/∂{symbol[v]}", ts, g, fmt, max_paths)) for v, ts, g in recursion]
        result = recursion[-1][2]
    return Derivation(root, wrt, result, count, locals, paths, recursion, lines)


def _listed(items: Sequence[Local], fmt: Callable[[float], str], most: int) -> str:
    """A binding's local derivatives, 'symbol = form = value' each; more than `most` of them: the first
    most - 1 and a count ('… and 9 more'), so that a neuron's 16 inputs keep the line readable."""
    shown = items if len(items) <= most else items[: most - 1]
    text = ",  ".join(f"{it.symbol} = {with_value(it.form, fmt(it.value))}" for it in shown)
    return text + (f",  … and {len(items) - len(shown)} more" if len(shown) < len(items) else "")


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


def _find(wrt: object, names: Naming) -> Value:
    if isinstance(wrt, Value):
        if wrt.is_constant and not wrt.label:
            raise ValueError(
                f"explain: wrt={wrt!r} is a constant (the number {constant_text(wrt.data)} written in an "
                "expression): no view differentiates with respect to a number; pass a Value you made, a "
                "parameter or an inner node"
            )
        return wrt
    if isinstance(wrt, str):
        found = names.find(wrt)
        if len(found) == 1:
            return found[0]
        named = sorted({names[v] for v in names if not v.is_constant})
        what = "no node" if not found else f"{len(found)} nodes"
        shown = ", ".join(named[:12]) + (f" and {len(named) - 12} more" if len(named) > 12 else "")
        raise ValueError(f"explain: wrt={wrt!r}: {what} below root has that name; the names are {shown or '(none)'}")
    raise TypeError(
        f"explain: wrt must be a Value or the name of one (a str), got {wrt!r} of type {type(wrt).__name__}"
    )


def _symbol(text: str) -> str:
    """A name as it goes after ∂: in parentheses where it is more than one token."""
    return f"({text})" if re.search(r"[\s+\-*/·^]", text) else text


def _plus(a: str, b: str) -> str:
    """Two symbolic forms added: 'x + x'; a form that starts with a minus is subtracted."""
    if not a:
        return b
    return f"{a} - {b[1:]}" if b.startswith("-") else f"{a} + {b}"


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


def _equation(
    lhs: str, terms: Sequence[tuple[Local, ...]], result: float, fmt: Callable[[float], str], most: int
) -> str:
    """'∂L/∂b = ∂L/∂e · ∂e/∂d · ∂d/∂b = (-2)(1)(2) = -4': the symbols, the numbers, the result.
    A factor whose symbol is the left side itself (a direct edge from the root) shows its form. A sum of
    more than `most` terms shows its first most - 1 and counts the others ('… 12 more terms')."""
    single = len(terms) == 1 and len(terms[0]) == 1
    shown = terms if len(terms) <= most else terms[: most - 1]
    symbols, numbers = [], []
    for factors in shown:
        texts = []
        for f in factors:
            text = f.symbol
            if f.symbol == lhs:
                text = f.form if single or (" " not in f.form) else f"({f.form})"
                text = f"({text})" if " if " in text and not text.startswith("(") else text
            texts.append(text)
        symbols.append(" · ".join(texts))
        numbers.append("".join(f"({fmt(f.value)})" for f in factors))
    if len(shown) < len(terms):
        symbols.append(f"… {len(terms) - len(shown)} more terms")
        numbers.append(f"… {len(terms) - len(shown)} more")
    parts = [lhs]
    for text in (" + ".join(symbols), fmt(result) if single else " + ".join(numbers), fmt(result)):
        if text == parts[-1]:
            continue
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
    "…": r"\ldots ",
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
            elif w == "sqrt":
                out.append(r"\sqrt")
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
