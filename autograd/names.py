"""One naming of a graph, and one notation: what every view calls a node, and how it writes an op.

`naming(root)` names every node below root once. `draw` (both views), `draw_steps` and its page,
`explain`, the command line, `compile`'s source, and anomaly and gradcheck messages all read it, so a
name means the same node everywhere. The rules, first match wins:

1. a node with a label is called by its label (cut to 80 characters): the user's word wins;
2. a parameter of an ``nn`` module is called by its path, ``layers.0.neurons.3.w.1`` (``Value.path``, known
   from the moment the module is built);
3. a constant (a number written in an expression, `autograd.Constant`) is written as that number (``2``,
   ``0.5``, ``-1``; its shortest repr up to 8 characters, else 4 significant digits) and is never named;
4. the root, if nothing above named it, is ``L``;
5. an op result whose value leaves the scope it was made in (used outside it, or by the root) is called by
   the scope's path, ``layers[0]``, numbered where several leave one scope: ``layers[0]#3``;
6. every other node gets an automatic name, in naming order: the single letters a label, a path or an op's
   summary (``Σ wᵢxᵢ + b``) does not already use (no l, o or v), then ``v1, v2, ...``.

Naming order is the order Python evaluates the graph in: a node's operands, left to right, before the node
(a post-order walk from the root). So in ``L = c * (a + 2 * b)`` with a, b, c labelled, ``2 * b`` is ``d``
and ``a + d`` is ``e``, as the textbook names them, whatever a view asks. A name is never given twice: a
label that an earlier node (in naming order) already shows gets primes (``h``, ``h′``, ``h″``, then ``h′4``,
``h′5``...), and no automatic name equals a label, a path or another name.

The notation, one for formulas and for symbolic derivatives: a product is written with ``·`` (``c·e``),
except that a number before a single letter or a parenthesis is juxtaposed (``2b``, ``2(h - 0.5)``); a power
with ``^`` (``x^2``, ``x^(-1)``, ``a^b``); minus and division as ``-`` and ``/``; every other op as a call
(``tanh(z)``, ``sqrt(x)``, ``log(x)``). An operand is parenthesised where it binds less tightly than the op
needs. A sum of more than 4 terms is summarised (``sum of 17 terms``), as is a neuron's ``Σ wᵢxᵢ + b``.

The internal API, for the views: `naming` and the `Naming` it returns; ``local_forms(v, term)`` (the symbolic
local derivatives); ``write(op, terms)``, ``fill(template, texts)``, ``product``, ``power`` (the notation);
``number(x, precision)`` (a value as short text), ``constant_text(x)``, ``cut(text)``, ``with_value(form, value)``.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING

from .engine import Value, node_op, op_of

if TYPE_CHECKING:
    from .ops import Op

__all__ = [
    "Naming",
    "naming",
    "local_forms",
    "number",
    "constant_text",
    "cut",
    "with_value",
    "write",
    "fill",
    "product",
    "power",
    "MAX_NAME",
]

Term = tuple[str, int]  # a text and how tightly it binds: 1 '+ -', 2 '· /', 3 a unary minus, 4 '^', 5 an atom

MAX_NAME = 80  # longest name shown; a longer label is cut, with an ellipsis
_SUMMARY = 4  # an n-ary op with more operands than this is summarised ('sum of 17 terms')
_LETTERS = "abcdefghijkmnpqrstuwxyz"  # automatic names: no l (like 1), o (like 0), v (v1, v2, ... follow)
_PRIMES = ("", "′", "″", "‴")
_FIELDS = string.Formatter()
_NUMBER = re.compile(r"-?\d+(\.\d+)?")  # 2, 0.5, -1: a number that reads as a coefficient ('2b')


def number(x: float, precision: int = 4) -> str:
    """A value as short text: 2.0 -> '2', 0.70474 -> '0.7047' (precision significant digits).

    >>> number(2.0), number(0.704746), number(-1e-9, 3)
    ('2', '0.7047', '-1e-09')
    """
    if x == x and abs(x) < 1e15 and x.is_integer():
        return str(int(x))
    return f"{x:.{precision}g}"


def constant_text(x: float) -> str:
    """A constant as written: 2, 0.5, 0.05, -1 (not 0.05000 nor 0.050000000000000003); a long one to 4 digits.

    >>> constant_text(2.0), constant_text(0.05), constant_text(1 / 3)
    ('2', '0.05', '0.3333')
    """
    if x == x and abs(x) < 1e15 and x.is_integer():
        return str(int(x))
    text = repr(x)
    return text if len(text) <= 8 else f"{x:.4g}"


def cut(text: str, n: int = MAX_NAME) -> str:
    """text, or its first n - 1 characters and an ellipsis.

    >>> cut("abcdef", 4)
    'abc…'
    """
    return text if len(text) <= n else text[: n - 1] + "…"


def with_value(form: str | None, value: str) -> str:
    """A symbolic form followed by its value: 'c = -2'; just the value where the form is that number.

    >>> with_value("c", "-2"), with_value("-1", "-1"), with_value("1 if z > 0 else 0", "1")
    ('c = -2', '-1', '(1 if z > 0 else 0) = 1')
    """
    if form is None or form == value:
        return value
    if " if " in form:
        form = f"({form})"
    return f"{form} = {value}"


def product(a: Term, b: Term) -> Term:
    """a times b: 'c·e'; a number before a single letter (or its power) or a parenthesis, and a single letter
    before a parenthesis, juxtaposed: '2b', '3x^2', '2(a + d)', 'c(a + 2b)'.

    >>> product(("2", 5), ("b", 5)), product(("c", 5), ("e", 5)), product(("c", 5), ("a + 2b", 1))
    (('2b', 2), ('c·e', 2), ('c(a + 2b)', 2))
    """
    left = a[0] if a[1] >= 2 else f"({a[0]})"
    right = b[0] if b[1] >= 4 else f"({b[0]})"  # 'b·(-2)', 'a·(b·c)': as Python groups it
    if (right.startswith("(") and (_NUMBER.fullmatch(left) or _single_letter(left))) or (
        _NUMBER.fullmatch(left) and _single_letter(right.split("^")[0])
    ):
        return left + right, 2
    return f"{left}·{right}", 2


def power(base: Term, exponent: Term) -> Term:
    """base to the power exponent: 'x^2', '(a + b)^2', 'x^(-1)', 'a^b'.

    >>> power(("x", 5), ("2", 5)), power(("a + b", 1), ("2", 5)), power(("x", 5), ("-1", 3))
    (('x^2', 4), ('(a + b)^2', 4), ('x^(-1)', 4))
    """
    b = base[0] if base[1] >= 5 else f"({base[0]})"
    e = exponent[0] if exponent[1] >= 5 else f"({exponent[0]})"
    return f"{b}^{e}", 4


def write(op: Op, terms: Sequence[Term]) -> Term:
    """The op over its operands' texts, in the one notation: (text, how tightly it binds).

    >>> from autograd import ops
    >>> write(ops.MUL, [("2", 5), ("b", 5)]), write(ops.SUB, [("h", 5), ("0.5", 5)])
    (('2b', 2), ('h - 0.5', 1))
    """
    if op.formula_text is not None:
        return op.formula_text, op.prec
    if op.arity < 0 and len(terms) > _SUMMARY:
        return (f"sum of {len(terms)} terms" if op.prec < 5 else f"{op.name}({len(terms)} terms)"), 5
    if op.name == "*":
        return product(terms[0], terms[1])
    if op.name == "**n":
        return power(terms[0], _param(op.params[0]))
    if op.name == "**":
        return power(terms[0], terms[1])
    needs = op.needs if op.arity >= 0 else op.needs * len(terms)
    texts = [f"({t})" if p < need else t for (t, p), need in zip(terms, needs)]
    return op.formula(*texts), op.prec


def _param(x: float | None) -> Term:
    """An op's number parameter (an exponent, a slope) as a term."""
    if x is None:
        return "None", 5
    return constant_text(x), 3 if x < 0 else 5


class Naming:
    """The names of every node below a root (made by `naming`): ``naming[v]`` is v's name (a constant's
    number); ``term(v)``, ``formula(v)``, ``partial(v)``, ``local_forms(v)`` write with them; ``kind(v)``
    says which rule named v; ``order`` lists the nodes in naming order (operands first, root last)."""

    def __init__(self, root: Value, order: list[Value], text: dict[Value, str], how: dict[Value, str]) -> None:
        self.root, self.order = root, order
        self._text, self._how = text, how
        self._formula: dict[Value, Term] = {}

    def __getitem__(self, v: Value) -> str:
        return self._text[v]

    def get(self, v: Value, default: str) -> str:
        """v's name, or ``default`` for a node not below the root."""
        return self._text.get(v, default)

    def __contains__(self, v: object) -> bool:
        return v in self._text

    def __iter__(self) -> Iterator[Value]:
        return iter(self.order)

    def __len__(self) -> int:
        return len(self.order)

    def kind(self, v: Value) -> str:
        """Which rule named v: 'label', 'path', 'constant', 'root', 'scope' or 'auto'."""
        return self._how[v]

    def term(self, v: Value) -> Term:
        """v's name as an operand of a formula: an atom, but a negative constant binds like a unary minus."""
        if self._how[v] == "constant" and self._text[v].startswith("-"):
            return self._text[v], 3
        return self._text[v], 5

    def formula(self, v: Value) -> str:
        """The op node v written over its operands' names: '2b', 'a + d', 'tanh(z)', '(h - 0.5)^2'."""
        return self._written(v)[0]

    def _written(self, v: Value) -> Term:
        f = self._formula.get(v)
        if f is None:
            f = self._formula[v] = write(node_op(v), [self.term(k) for k in v.children])
        return f

    def partial(self, v: Value) -> str:
        """'∂' and v's name, in parentheses where the name is more than one token: '∂e', '∂(my sum)'."""
        text = self._text[v]
        return f"∂({text})" if re.search(r"[\s+\-*/·^−]", text) else f"∂{text}"

    def describe(self, v: Value) -> str:
        """v as a message names it: 'x = 2.0', 'd = a·b = 6.0' (name, formula, value), a constant as written;
        a node not below the root (an operand under no_grad()) by its label or path and value, or its value.

        >>> from autograd import Value
        >>> x = Value(2.0, label="x"); y = x * 3; n = naming(y + 1)
        >>> n.describe(x), n.describe(y), n.describe(y.children[1]), n.describe(Value(0.5))
        ('x = 2.0', 'a = x·3 = 6.0', '3', '0.5')
        """
        if v not in self._text:
            given = cut(v.label or v.path)
            return f"{given} = {v.data!r}" if given else repr(v.data)
        if self._how[v] == "constant":
            return self._text[v]
        if v.is_leaf:
            return f"{self._text[v]} = {v.data!r}"
        return f"{self._text[v]} = {self.formula(v)} = {v.data!r}"

    def find(self, text: str) -> list[Value]:
        """The nodes called ``text`` (a name, or a label that primes or cutting changed)."""
        return [v for v in self.order if self._text[v] == text or (v.label == text and self._how[v] == "label")]

    def local_forms(self, v: Value, term: Callable[[Value], Term] | None = None) -> tuple[str | None, ...]:
        """How each local derivative of the op node v reads, one per operand (see `local_forms`), with this
        naming's names (``term``, if given, writes the operands instead: a picture shows a node it does not
        draw by its value).

        >>> from autograd import Value
        >>> a, b = Value(3.0, label="a"), Value(1.0, label="b"); h = (a * b).tanh(); h.label = "h"
        >>> n = naming(h); n.local_forms(h), n.local_forms(h.children[0])
        (('1 - h^2',), ('b', 'a'))
        """
        return local_forms(v, term or self.term)


def local_forms(v: Value, term: Callable[[Value], Term]) -> tuple[str | None, ...]:
    """How each local derivative of the op node v reads, one text per operand: the op's ``symbolic`` forms
    with ``term(node)`` (text, precedence) filled in for v's operands and v itself (``{y}``); None for each
    operand of an op without forms, so that a view falls back to the number.

    >>> from autograd import Value
    >>> x = Value(2.0, label="x"); y = x ** 3
    >>> local_forms(y, lambda n: ("x", 5) if n is x else ("y", 5))
    ('3x^2',)
    """
    op, kids = node_op(v), v.children
    if op.symbolic is None:
        return (None,) * len(kids)
    if op.name == "**n":  # n·x^(n-1), worked out: 2x, 3x^2, 0.5x^(-0.5)
        return (_power_rule(term(kids[0]), op.params[0]),)
    texts: dict[str, Term] = {"y": term(v)}
    texts.update((p, _param(x)) for p, x in zip(op.param_names, op.params))
    if callable(op.symbolic):  # a form per position (dot: each operand's partner)
        texts.update((str(i), term(k)) for i, k in enumerate(kids))
        return tuple(fill(op.symbolic(i, len(kids)), texts) for i in range(len(kids)))
    if op.arity < 0:
        return tuple(fill(op.symbolic[0], dict(texts, x=term(k))) for k in kids)
    texts.update((str(i), term(k)) for i, k in enumerate(kids))
    return tuple(fill(template, texts) for template in op.symbolic)


def _power_rule(x: Term, n: float | None) -> str:
    """d(x^n)/dx = n·x^(n-1), with the numbers worked out: 2x, 3x^2, 0.5x^(-0.5), 1, 0."""
    if n is None or n == 0.0 or n == 1.0:
        return "0" if n == 0.0 else "1"
    m = n - 1.0
    factor = x if m == 1.0 else power(x, _param(m))
    return product(_param(n), factor)[0]


def fill(template: str, texts: Mapping[str, Term]) -> str:
    """A symbolic form's template with each field's text, in parentheses where it binds less tightly than an
    atom, unless the field stands alone or between '(' and ')' (as in 'cos({0})'). A template writes its
    products as they read with single-letter names ('2{0}', '{y}(1 - {y})'); where a field's text is not a
    single letter, '·' goes between ('2·h1', 'h1·(1 - h1)'), as `product` writes it.

    >>> fill("2{0}", {"0": ("x", 5)}), fill("2{0}", {"0": ("h1", 5)}), fill("{y}(1 - {y})", {"y": ("s", 5)})
    ('2x', '2·h1', 's(1 - s)')
    >>> fill("{y}(1 - {y})", {"y": ("h1", 5)}), fill("1 - {y}^2", {"y": ("a + b", 1)})
    ('h1·(1 - h1)', '1 - (a + b)^2')
    """
    parts = list(_FIELDS.parse(template))
    out: list[str] = []
    for k, (before, field, _, _) in enumerate(parts):
        if k and before.startswith("(") and not _single_letter(out[-1]):
            out.append("·")  # the previous field times a parenthesis
        out.append(before)
        if field is None:
            continue
        text, prec = texts[field]
        after = parts[k + 1][0] if k + 1 < len(parts) else None  # None: the field ends the template
        tight = (before.endswith(("(", ", ")) or (k == 0 and before == "")) and (
            after is None or after.startswith((")", ","))
        )
        filled = text if tight or prec >= 5 else f"({text})"
        if re.search(r"(?:^|[(\s/])\d+(?:\.\d+)?$", before) and not (_single_letter(filled) or filled[0] == "("):
            out.append("·")  # a number the template writes before the field, times the field
        out.append(filled)
    return "".join(out)


def _single_letter(text: str) -> bool:
    return len(text) == 1 and text.isalpha()


def naming(root: Value) -> Naming:
    """The one naming of the graph below root: see the module docstring for the rules.

    >>> from autograd import Value
    >>> a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    >>> L = c * (a + 2 * b)
    >>> n = naming(L)
    >>> [(n[v], n.formula(v)) for v in n if not v.is_leaf]
    [('d', '2b'), ('e', 'a + d'), ('L', 'c·e')]
    """
    order = _evaluation_order(root)
    text: dict[Value, str] = {}
    how: dict[Value, str] = {}
    shown: set[str] = set()  # every name given so far
    summaries: set[str] = set()  # letters an op's fixed summary shows ('Σ wᵢxᵢ + b': w, x, b)
    outputs = _scope_outputs(order, root)
    for v in order:
        op = op_of(v)
        if op is not None and op.formula_text is not None:
            summaries.update(_symbols(op.formula_text))
    # labels and paths first: an automatic name must avoid every one of them, also those of later nodes
    for v in order:
        given = cut(v.label) if v.label else cut(v.path) if v.path else ""
        if given:
            name = given
            k = 1
            while name in shown:
                name = given + (_PRIMES[k] if k < len(_PRIMES) else f"′{k}")
                k += 1
            text[v], how[v] = name, "label" if v.label else "path"
            shown.add(name)
        elif v.is_constant:
            text[v], how[v] = constant_text(v.data), "constant"
    used = {name[0].lower() for name in shown if len(name) == 1 or not name[1].isalpha()}
    letters = iter([c for c in _LETTERS if c not in used and c not in summaries])
    numbered = (f"v{k}" for k in range(1, len(order) + 2))

    def fresh() -> str:
        for name in letters:
            if name not in shown:
                return name
        return next(name for name in numbered if name not in shown)

    counts: dict[str, int] = {}
    for path in outputs.values():
        counts[path] = counts.get(path, 0) + 1
    seen: dict[str, int] = {}
    for v in order:
        if v in text:
            continue
        if v is root and "L" not in shown:
            name, kind = "L", "root"
        elif v in outputs:
            base = outputs[v]
            seen[base] = seen.get(base, 0) + 1
            name, kind = base if counts[base] == 1 else f"{base}#{seen[base]}", "scope"
            if name in shown:
                name, kind = fresh(), "auto"
        else:
            name, kind = fresh(), "auto"
        text[v], how[v] = name, kind
        shown.add(name)
    return Naming(root, order, text, how)


def _symbols(summary: str) -> set[str]:
    """The letters a summary uses as symbols: 'Σ wᵢxᵢ + b' uses w, x, b and the subscript i; words such as
    'point_loss' are no symbols.

    >>> sorted(_symbols("Σ wᵢxᵢ + b")), sorted(_symbols("Σₙ point_loss(xₙ) over 60 points"))
    (['b', 'i', 'w', 'x'], ['n', 'x'])
    """
    letters = {run.lower() for run in re.findall(r"[A-Za-z]+", summary) if len(run) == 1}
    subscripts = {unicodedata.normalize("NFKC", c).lower() for c in summary if not c.isascii() and c.isalpha()}
    return letters | {c for c in subscripts if len(c) == 1 and c.isascii()}


def _evaluation_order(root: Value) -> list[Value]:
    """Every node below root once, each after its operands, operands left to right. No recursion."""
    out: list[Value] = []
    done: set[Value] = set()
    stack: list[tuple[Value, bool]] = [(root, False)]
    while stack:
        v, expanded = stack.pop()
        if expanded:
            if v not in done:
                done.add(v)
                out.append(v)
            continue
        if v in done:
            continue
        stack.append((v, True))
        stack.extend((k, False) for k in reversed(v.children) if k not in done)
    return out


def _scope_outputs(order: Sequence[Value], root: Value) -> dict[Value, str]:
    """{op node: its scope's dotted path} for every unlabelled op result made in a scope and used outside it
    (or by the root), in naming order."""
    out: dict[Value, str] = {}
    for p in order:
        for k in p.children:
            scope = k.scope
            leaves = p is root or p.scope[: len(scope)] != scope
            if scope and leaves and not k.is_leaf and not k.label and k not in out:
                out[k] = ".".join(scope)
    return {v: out[v] for v in order if v in out}
