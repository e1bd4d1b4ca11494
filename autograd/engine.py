"""The scalar reverse-mode engine: `Value` and `backward()`.

A `Value` holds a float and remembers how it was computed. Every op is an entry of the op table
(`autograd.ops`): applying one computes, in the forward pass, its value and the local derivative of that
value with respect to each operand (``Value._apply``). ``backward()`` takes the nodes in topological order,
from the output to the inputs, and does ``child.grad += local * node.grad`` on every edge. Whether ops record
the graph (`no_grad`), and scopes, are the grad mode's (`autograd.grad_mode`).

The internal API, for the other modules of the package (nothing else in them reads an underscore
name of this one), and ``fused_dot`` for ``nn``'s layers too:

- ``apply(op, *operands)``: a table op applied to Values or numbers, a new node;
- ``fused_dot(ws, xs, b, xd=None)``: the op 'dot' on Values, a fast path (``autograd.dot`` takes it; an ``nn``
  layer passes its inputs' data ``xd``, read once for all its neurons);
- ``op_of(v)``: the op entry (with its parameters) that made ``v``, or None for a leaf; ``node_op(v)``: the
  same for a node that is not a leaf;
- ``topological_order(root, leaves=())``: every node below root once, parents before children;
- ``gradients(root, seed, create_graph)``: {node: d(root)/d(node)} without touching ``.grad``;
- ``local_values(v)``: v's local derivatives as Values (the op's rule run on Values);
- ``describe(v)``: how error messages name a node (its value and label);
- ``BACKWARD_LOCK``: held while a backward pass adds into ``.grad`` (also by compiled replays);
- ``ANOMALY_CHECKS``, ``AnomalyChecks``: the hook through which anomaly mode (`autograd.anomaly`) checks
  every new node and every backward pass; the engine does not import it.
"""

from __future__ import annotations

import contextvars
import functools
import math
import numbers
import operator
import threading
from collections.abc import Callable, Collection, Sequence
from typing import Any, NamedTuple, SupportsFloat

from . import ops
from .display import value_html
from .grad_mode import ANOMALY, GRAD, IEEE, MODE, mode, mode_switch
from .grad_mode import Scope as Scope  # the grad mode's public names, importable from here as before
from .grad_mode import enable_grad as enable_grad
from .grad_mode import is_grad_enabled as is_grad_enabled
from .grad_mode import no_grad as no_grad
from .grad_mode import scope as scope
from .methods import OpMethods, real

__all__ = ["Value", "Constant"]

# A number an op accepts as an operand: a constant.
Number = float | int

# ``child.grad += local * g`` reads and then writes: two threads running backward() on graphs that share
# nodes (one model, many requests) would lose each other's additions. One lock per backward call keeps
# every contribution; under the GIL the passes run one at a time anyway, so it costs one acquire a call.
BACKWARD_LOCK = threading.RLock()  # reentrant: a compiled result may fall back to an eager backward


class Value(OpMethods):
    """A scalar that remembers how it was computed, so that ``backward()`` can fill in ``.grad``.

    >>> a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    >>> L = c * (a + 2 * b)
    >>> L.backward()
    >>> L.data, a.grad, b.grad, c.grad
    (-10.0, -2.0, -4.0, 5.0)

    A Value works as a number where that is safe, as a 0-d float64 tensor does: ``float(v)``,
    ``int(v)``, ``round(v, n)``, ``format(v, ".3f")``, ``bool(v)`` and ``math.sin(v)`` use ``.data``
    (a float: no graph; use ``v.sin()`` to record the op), and ``< <= > >=`` compare data and return
    bools, so ``max(values)`` and ``sorted(values)`` work and return the Values themselves.
    ``==`` and ``hash`` stay identity, as in micrograd: Values are graph nodes, kept in dicts and sets;
    compare ``a.data == b.data`` for numbers.

    >>> v = Value(2.5)
    >>> float(v), round(v), f"{v:.2f}", v > 1, max([Value(1.0), v]) is v
    (2.5, 2, '2.50', True, True)
    """

    # A node keeps its edges in four fixed slots, not in tuples: child _a with local derivative _da,
    # and _b, _db for a binary op (None for a unary op; all four None for a leaf). An n-ary op
    # keeps a tuple of children in _a and a tuple of derivatives in _da. Why: memory. A binary node
    # is 144 bytes on CPython 3.11 (with its data and grad floats); a children tuple and a locals
    # tuple in two slots instead of four would add 96. `children` and `local_grads` build tuples on demand.
    # _op is the op's entry in the table (shared, no memory of its own), None for a leaf; _scope the
    # `Scope` the node was made in (shared by its nodes), None outside every scope.
    __slots__ = ("_a", "_b", "_da", "_db", "_label", "_op", "_scope", "data", "grad")
    data: float
    grad: Any  # a float; a Value after backward(create_graph=True)
    _label: str
    _op: ops.Op | None
    _a: Value | tuple[Value, ...] | None
    _da: Any  # a float, a Value (create_graph rules keep floats here too) or a tuple of them
    _b: Value | None
    _db: Any
    _scope: Scope | None
    is_parameter = False  # True on nn.Parameter, the Values an nn module trains; renderers show them apart
    is_constant = False  # True on Constant: a number written in an expression

    def __init__(self, data: SupportsFloat, label: str = "") -> None:
        if type(data) is not float:
            data = real(data, "Value data")
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {label!r} of type {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self._label = label
        self._op = self._a = self._da = self._b = self._db = None
        m = _mode_get()
        self._scope = None if isinstance(m, int) else m[1]

    @property
    def label(self) -> str:
        """The node's name in pictures, derivations and messages ('' for none). Only a str is accepted.

        >>> v = Value(1.0); v.label = "w"; v
        Value(data=1.0, grad=0.0, label='w')
        >>> v.label = 3
        Traceback (most recent call last):
        ...
        TypeError: the label of Value(data=1.0, grad=0.0, label='w') must be a str, got 3 of type int
        """
        return self._label

    @label.setter
    def label(self, label: str) -> None:
        # A property over the slot _label: the engine's hot paths write the slot and pay nothing for it.
        if type(label) is not str:
            raise TypeError(f"the label of {self!r} must be a str, got {label!r} of type {type(label).__name__}")
        self._label = label

    # Read-only views of the graph, for renderers and users walking it.
    @property
    def op(self) -> str:
        """The name of the op that made this node ('' for a leaf)."""
        op = self._op
        return "" if op is None else op.title

    @property
    def children(self) -> tuple[Value, ...]:
        """The operands of the op, in order, as a tuple (``a * a`` has two edges to ``a``)."""
        return _edges(self._a, self._da, self._b, self._db)[0]

    @property
    def local_grads(self) -> tuple[Any, ...]:
        """d(self)/d(child) for each child, as computed in the forward pass."""
        return _edges(self._a, self._da, self._b, self._db)[1]

    @property
    def scope(self) -> tuple[str, ...]:
        """The path of `scope` names the node was made in, outermost first (``()`` outside every scope)."""
        s = self._scope
        return () if s is None else s.path

    @property
    def path(self) -> str:
        """Where an nn module holds this Value ('layers.0.neurons.3.w.1', see ``nn.Parameter``), else ''."""
        return ""

    @property
    def is_leaf(self) -> bool:
        """True for inputs, parameters and constants: nodes no op produced."""
        return self._a is None

    # ---- ops ----
    # Every op of the table is a method or an operator of OpMethods (methods.py, one line each), which
    # calls _apply. The hottest ones take the fast paths at the end of this class.

    @staticmethod
    def _apply(op: ops.Op, *operands: Value | Number) -> Value:
        """The table op ``op`` applied to Values or numbers (numbers become constant leaves): a new node,
        with the value and the local derivatives that the op's entry in the table (autograd/ops.py) gives."""
        if len(operands) != op.arity:  # an n-ary op (arity -1) is checked here too: it needs one operand or more
            ops.check_count(op, operands)
        xs = [x if isinstance(x, Value) else _operand(x, op.name) for x in operands]
        try:
            y, d = ops.evaluate(op, [x.data for x in xs], lambda i: describe(xs[i]))
        except ValueError:
            if not mode() & IEEE:
                raise
            y, d = ops.evaluate(op, [x.data for x in xs], ieee=True)
        if len(xs) == 1 and op.arity == 1:
            return _recorded(y, op, xs[0], d[0])
        if op.arity == 2:
            return _recorded(y, op, xs[0], d[0], xs[1], d[1])
        return _recorded(y, op, tuple(xs), tuple(d))

    # ---- backward ----

    def backward(self, grad: SupportsFloat = 1.0, create_graph: bool = False) -> None:
        """Fill in d(self)/d(node) as ``node.grad`` for every node of the graph below self.

        Gradients accumulate, as in PyTorch: every path into a node adds to its grad
        (``x + x`` gives 2), and a second ``backward()`` adds its gradients to those already
        there. Call ``zero_grad()`` first to start afresh. Iterative, so graphs of any depth work.

        With ``create_graph=True`` every ``.grad`` is a Value with its own graph, built by running
        each op's derivative rule on Values, so it can be differentiated again.

        >>> x = Value(3.0)
        >>> y = x * x
        >>> y.backward(); x.grad
        6.0
        >>> y.backward(); x.grad
        12.0
        >>> x.grad = 0.0; y.backward(create_graph=True); dydx = x.grad; dydx.data
        6.0
        >>> x.grad = 0.0; dydx.backward(); x.grad
        2.0
        """
        grad = real(grad, "backward(grad=...)")
        if create_graph is not False:
            if create_graph is not True:
                raise TypeError(f"backward(create_graph=...) must be True or False, got {create_graph!r}")
            grads = gradients(self, grad, create_graph=True)
            with BACKWARD_LOCK:
                for v, g in grads.items():
                    old = v.grad
                    v.grad = g if (type(old) is float and old == 0.0) else old + g
            return
        order = topological_order(self)
        with BACKWARD_LOCK:
            self._backward(order, grad)

    def _backward(self, order: list[Value], grad: float) -> None:
        # Gradients already in the graph (from an earlier backward) must not flow again:
        # run this pass on zeroed grads, then add the earlier ones back.
        previous = list(map(_get_grad, order)) if any(map(_get_grad, order)) else None
        if previous:
            for v in order:
                v.grad = 0.0
        self.grad = grad
        for v in order:
            b = v._b
            if b is not None:  # a binary op, the common case, tested first
                g = v.grad
                v._a.grad += v._da * g  # type: ignore[union-attr]  # a binary node's _a is a Value
                b.grad += v._db * g
                continue
            a = v._a
            if a is None:
                continue
            g = v.grad
            if isinstance(a, tuple):  # an n-ary op
                for child, local in zip(a, v._da):
                    child.grad += local * g
            else:
                a.grad += v._da * g
        if mode() & ANOMALY:
            ANOMALY_CHECKS.get().check_gradients(order)
        if previous:
            for v, old in zip(order, previous):
                v.grad += old

    def zero_grad(self) -> None:
        """Set ``grad`` to 0 on every node of the graph below (and including) self.

        >>> x = Value(3.0); y = x * x; y.backward(); y.zero_grad(); x.grad
        0.0
        """
        order = topological_order(self)
        with BACKWARD_LOCK:
            for v in order:
                v.grad = 0.0

    # ---- a number where that is safe: these read .data and build no graph ----
    def __float__(self) -> float:
        return self.data

    def __int__(self) -> int:
        return int(self.data)

    def __round__(self, ndigits: int | None = None) -> float:
        return round(self.data, ndigits)

    def __format__(self, spec: str) -> str:
        return format(self.data, spec) if spec else repr(self)

    def __bool__(self) -> bool:
        return bool(self.data)

    # The other side is read as a float, so that the result is a bool also against numpy's numbers
    # (np.float64(4) would give an np.bool); anything that is not a real number is left to Python.
    def __lt__(self, other: Value | Number) -> bool:
        x = _number(other)
        return NotImplemented if x is None else self.data < x

    def __le__(self, other: Value | Number) -> bool:
        x = _number(other)
        return NotImplemented if x is None else self.data <= x

    def __gt__(self, other: Value | Number) -> bool:
        x = _number(other)
        return NotImplemented if x is None else self.data > x

    def __ge__(self, other: Value | Number) -> bool:
        x = _number(other)
        return NotImplemented if x is None else self.data >= x

    __eq__ = object.__eq__  # identity: see the class docstring
    __hash__ = object.__hash__

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"{type(self).__name__}(data={self.data!r}, grad={self.grad!r}{label})"

    def _repr_html_(self) -> str:
        """Jupyter's rich display: a card with the label, data, grad and op (autograd.display.value_html)."""
        return value_html(self)

    # ==== fast paths ====================================================================================
    # The hottest ops, written out: each computes its value and local derivatives here, without the table's
    # generic path (_apply, then ops.evaluate), and + and * also make the node themselves in the common case
    # (recording, outside any scope), as _recorded does for the others. After the class: fused_dot, and
    # _recorded, _node's common case. tests/test_engine.py proves that each gives the node the table's path
    # and _node give, bit for bit, in every mode.
    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _operand(other, "+")
        if _mode_get() != GRAD:
            return _node(self.data + other.data, _ADD, self, 1.0, other, 1.0)
        out: Value = _new(Value)  # _recorded, written out: kept on purpose (the hottest op)
        out.data = self.data + other.data
        out.grad = 0.0
        out._label = ""
        out._op = _ADD
        out._a = self
        out._da = 1.0
        out._b = other
        out._db = 1.0
        out._scope = None
        return out

    def __radd__(self, other: Value | Number) -> Value:  # n + x, with n kept as the first child
        return _operand(other, "+").__add__(self)

    def __sub__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _operand(other, "-")
        return _recorded(self.data - other.data, ops.SUB, self, 1.0, other, -1.0)

    def __rsub__(self, other: Value | Number) -> Value:  # n - x
        return _operand(other, "-").__sub__(self)

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _operand(other, "*")
        x, y = self.data, other.data
        if _mode_get() != GRAD:
            return _node(x * y, _MUL, self, y, other, x)
        out: Value = _new(Value)  # _recorded, written out: kept on purpose, as in __add__
        out.data = x * y
        out.grad = 0.0
        out._label = ""
        out._op = _MUL
        out._a = self
        out._da = y
        out._b = other
        out._db = x
        out._scope = None
        return out

    def __rmul__(self, other: Value | Number) -> Value:  # n * x, with n kept as the first child
        return _operand(other, "*").__mul__(self)

    def __neg__(self) -> Value:
        return _recorded(-self.data, ops.NEG, self, -1.0)

    def tanh(self) -> Value:
        """Hyperbolic tangent; d/dx = 1 - tanh(x)**2. Stable for any input (tanh(1000) = 1).

        >>> Value(0.0).tanh().data
        0.0
        """
        t = math.tanh(self.data)
        return _recorded(t, ops.TANH, self, 1.0 - t * t)

    def relu(self) -> Value:
        """max(0, x); d/dx = 1 for x > 0, else 0. At exactly 0 the derivative is 0, as in PyTorch and
        micrograd; NaN stays NaN (with derivative 1, as in PyTorch).

        >>> Value(-3.0).relu().data
        0.0
        """
        x = self.data
        if x <= 0.0:
            return _recorded(0.0, ops.RELU, self, 0.0)
        return _recorded(x, ops.RELU, self, 1.0)  # NaN stays NaN and passes the gradient on, as in PyTorch


def fused_dot(ws: Sequence[Value], xs: Sequence[Value], b: Value, xd: Sequence[float] | None = None) -> Value:
    """The op DOT on Values: w1 x1 + ... + wn xn + b, a fast path (tests/test_engine.py proves it equals the
    table's path). Raises AttributeError if an operand is not a Value (the caller then takes `apply`).
    ``xd``, if given, is ``[x.data for x in xs]``: a layer reads its inputs once for all its neurons."""
    wd = [w.data for w in ws]
    if xd is None:
        xd = [x.data for x in xs]
    return _recorded(sum(map(operator.mul, wd, xd), b.data), ops.DOT, (*ws, *xs, b), (*xd, *wd, 1.0))


def _recorded(data: float, op: ops.Op, a: Any, da: Any, b: Value | None = None, db: Any = None) -> Value:
    """_node's common case, written out: recording, outside any scope (any other mode: _node itself)."""
    if _mode_get() != GRAD:
        return _node(data, op, a, da, b, db)
    out: Value = _new(Value)  # _node's stores, one by one: kept on purpose (faster than its general case)
    out.data = data
    out.grad = 0.0
    out._label = ""
    out._op = op
    out._a = a
    out._da = da
    out._b = b
    out._db = db
    out._scope = None
    return out


# ==== end of the fast paths ==================================================================================


def topological_order(root: Value, leaves: Collection[Value] = ()) -> list[Value]:
    """Every node below root once, each before all of its children (root first). No recursion.

    Depth-first with an explicit stack: a node popped for the first time goes back on the stack
    under a None marker, with its children on top; when the marker comes off, all the children are
    done and the node is finished. In a DAG a node popped again after that is already finished.
    Nodes in ``leaves`` are taken as leaves: their children are not visited.
    """
    post: list[Value] = []
    expanded: set[Value] = set()
    stack: list[Any] = [root]  # nodes, and None markers
    pop, push, extend, finish, expand = stack.pop, stack.append, stack.extend, post.append, expanded.add
    while stack:
        node = pop()
        if node is None:
            finish(pop())
            continue
        if node in expanded:
            continue
        expand(node)
        a = node._a
        if a is None or (leaves and node in leaves):
            finish(node)
            continue
        push(node)
        push(None)
        # An expanded child needs no second visit: skipping it here saves a push and a pop.
        if type(a) is tuple:
            extend([c for c in a if c not in expanded])
        else:
            if a not in expanded:
                push(a)
            b = node._b
            if b is not None and b not in expanded:
                push(b)
    post.reverse()
    return post


def apply(op: ops.Op, *operands: Value | Number) -> Value:
    """The table op ``op`` applied to Values or numbers (numbers become constant leaves): a new node.

    >>> apply(ops.HYPOT, Value(3.0), 4).data
    5.0
    """
    return Value._apply(op, *operands)


def _node(data: float, op: ops.Op, a: Any, da: Any, b: Value | None = None, db: Any = None) -> Value:
    """A new op result: child ``a`` with local derivative ``da``, and ``b``, ``db`` for a binary op.

    An n-ary op passes a tuple of children as ``a`` and a tuple of derivatives as ``da``. Under no_grad()
    the result is a plain leaf; inside a `scope` it is tagged with it; in anomaly mode it is checked.
    """
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out._label = ""
    m = _mode_get()
    flags, out._scope = (m, None) if isinstance(m, int) else m
    if flags & GRAD:  # separate stores: faster than one tuple unpack
        out._op = op
        out._a = a
        out._da = da
        out._b = b
        out._db = db
    else:
        out._op = out._a = out._da = out._b = out._db = None
    if flags & ANOMALY:
        ANOMALY_CHECKS.get().check_node(out, data, *_edges(a, da, b, db), op.title)
    return out


def _edges(a: Any, da: Any, b: Value | None, db: Any) -> tuple[tuple[Value, ...], tuple[Any, ...]]:
    """The (children, local derivatives) tuples of a node stored as ``_a, _da, _b, _db``."""
    if a is None:
        return (), ()
    if type(a) is tuple:
        return a, da
    if b is None:
        return (a,), (da,)
    return (a, b), (da, db)


def op_of(v: Value) -> ops.Op | None:
    """The op entry that made ``v`` (parameters bound), or None for a leaf."""
    return v._op


def node_op(v: Value) -> ops.Op:
    """The op entry that made ``v``, a node that is not a leaf (for a leaf: an internal error)."""
    op = v._op
    assert op is not None, f"{v!r} is a leaf, not an op node"
    return op


def gradients(root: Value, seed: float, create_graph: bool) -> dict[Value, Any]:
    """d(root)/d(node) for every node below root, as a dict {node: gradient}; no ``.grad`` is touched.

    The same accumulation as ``backward()``. With create_graph the gradients are Values built from
    the ops' derivative rules (so they have graphs of their own), else floats from the forward pass.
    """
    grads: dict[Value, Any] = {root: Value(seed) if create_graph else seed}
    for v in topological_order(root):  # under no_grad() the rules build no graph: constant gradients
        if v._a is not None:
            g = grads[v]
            for child, local in zip(v.children, local_values(v) if create_graph else v.local_grads):
                d = g if (type(local) is float and local == 1.0) else local * g  # 1.0 * g is g, also for floats
                grads[child] = grads[child] + d if child in grads else d
    return grads


def local_values(v: Value) -> tuple[Any, ...]:
    """v's local derivatives as Values that depend on v's children: the op's rule run on Values.

    The rule runs in IEEE mode, as PyTorch computes derivatives: where it divides by zero at an infinite
    slope (sqrt at 0) the result is an infinity with derivatives of its own, not an error, so that
    second derivatives there are ±inf (or NaN) as in PyTorch, not 0.
    """
    op = node_op(v)
    with mode_switch(on=IEEE):
        return tuple(op.grads(_VALUES, v, *v.children, *op.params))


# The functions rules call on Values, ``m.sin(x)``: each op of ops.NAMED applied to Values, ops.where and ops.floordiv.
_VALUES = ops.Namespace(
    {
        **{name: functools.partial(Value._apply, op) for name, op in ops.NAMED.items()},
        "where": ops.where,
        "floordiv": ops.floordiv,
    }
)


def _operand(x: object, op: str) -> Value:
    """An operand as a Value (a number becomes a `Constant` leaf)."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:
        return Constant(x)
    return Constant(real(x, f"the operand of {op!r} (a Value or a real number)"))


class Constant(Value):
    """A number written in an expression, as a node: the 2 in ``2 * b``, the 0.5 in ``h - 0.5``.

    The engine makes one for every number operand; ``nn`` makes its data inputs constants. Every view
    writes a constant as its number and never names it or shows a gradient for it (nobody differentiates
    with respect to a number). A Value you make yourself, even unlabelled, is a variable. backward() adds
    into a constant's ``.grad`` as into any leaf's: skipping it would cost every edge a test
    (benchmarks/bench_constants.py), and no view reads it.

    >>> b = Value(1.0, label="b"); d = 2 * b
    >>> [type(c).__name__ for c in d.children]
    ['Constant', 'Value']
    """

    __slots__ = ()
    is_constant = True


def describe(v: Value) -> str:
    """How an error message names an operand: its value and, if it has one, its label."""
    return f"{v.data!r} (label {v.label!r})" if v.label else repr(v.data)


def _number(x: object) -> float | None:
    """x as a float (a Value's data), or None if it is not a real number (bool is not one here)."""
    if isinstance(x, Value):
        return x.data
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    return None


class AnomalyChecks(NamedTuple):
    """Anomaly mode's checks: ``check_node(node, value, children, local derivatives, op title)`` for each new
    node, ``check_gradients(order)`` after each backward pass (``order`` as `topological_order` gives it)."""

    check_node: Callable[[Value, float, Sequence[Value], Sequence[Any], str], None]
    check_gradients: Callable[[Sequence[Value]], None]


# Anomaly mode's hook: while the grad mode has the ANOMALY flag, the engine calls the checks set here.
# autograd.anomaly.detect_anomaly() sets both for its block; the engine knows nothing else of anomaly mode.
ANOMALY_CHECKS: contextvars.ContextVar[AnomalyChecks] = contextvars.ContextVar("chaingrad_anomaly_checks")

_new = object.__new__
_get_grad = operator.attrgetter("grad")
_mode_get = MODE.get
_ADD, _MUL = ops.ADD, ops.MUL
