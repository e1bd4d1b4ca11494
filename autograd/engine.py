"""The scalar reverse-mode engine: `Value`, `backward()`, `no_grad()` and `enable_grad()`.

Every op is an entry of the op table (`autograd.ops`). Applying one computes, in the forward pass,
its value and the local derivative of that value with respect to each operand. `backward()` only
walks the graph from the output to the inputs and does ``child.grad += local * out.grad``.

The internal API, for the other modules of the package (nothing else in them reads an underscore
name of this one):

- ``apply(op, *operands)``: a table op applied to Values or numbers, a new node;
- ``fused_dot(ws, xs, b, xd=None)``: the op 'dot' on Values, inlined for nn's neurons (tests prove it equals apply);
- ``op_of(v)``: the op entry (with its parameters) that made ``v``, or None for a leaf;
- ``topological_order(root, leaves=())``: every node below root once, parents before children;
- ``gradients(root, seed, create_graph)``: {node: d(root)/d(node)} without touching ``.grad``;
- ``local_values(v)``: v's local derivatives as Values (the op's rule run on Values);
- ``describe(v)``: how error messages name a node (its value and label);
- ``real(x, what)``: a number as a float, or a TypeError naming ``what``;
- ``mode()``, ``GRAD``, ``ANOMALY`` and ``mode_switch(on, off)``: the per-thread mode flags;
- (and in the other direction, anomaly mode's two hooks ``anomaly.check_node`` and ``anomaly.check_gradients``);
- ``BACKWARD_LOCK``: held while a backward pass adds into ``.grad`` (also by compiled replays).
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import math
import numbers
import operator
import threading
from collections.abc import Callable, Collection, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, SupportsFloat, TypeVar, cast

from . import ops
from .display import value_html
from .methods import OpMethods

__all__ = ["Value", "no_grad", "enable_grad", "is_grad_enabled", "scope", "Scope"]

# The engine's only global state: a small mode, one ContextVar so that each thread (and each
# asyncio task) has its own, and so that creating a node costs a single .get(). The mode is an int
# of flags, or inside a `scope` the pair (flags, scope): the common case stays one comparison.
GRAD = 1  # ops record the graph (off inside no_grad())
ANOMALY = 2  # ops check their results for NaN and infinities (inside anomaly.detect_anomaly())
IEEE = 4  # an operand outside an op's domain gives the IEEE 754 value, not an error (inside derivative rules)
# The flags, or (flags, scope) inside a scope.
_Mode = int | tuple[int, "Scope"]
_mode: contextvars.ContextVar[_Mode] = contextvars.ContextVar("chaingrad_mode", default=GRAD)
_F = TypeVar("_F", bound=Callable[..., Any])
# A number an op accepts as an operand: a constant.
Number = float | int

# ``child.grad += local * g`` reads and then writes: two threads running backward() on graphs that share
# nodes (one model, many requests) would lose each other's additions. One lock per backward call keeps
# every contribution; under the GIL the passes run one at a time anyway, so it costs one acquire a call.
BACKWARD_LOCK = threading.RLock()  # reentrant: a compiled result may fall back to an eager backward


def mode() -> int:
    """The mode flags of this thread or task (GRAD, ANOMALY)."""
    m = _mode.get()
    return m if isinstance(m, int) else m[0]


def _set_flags(on: int, off: int) -> contextvars.Token[_Mode]:
    m = _mode.get()
    if isinstance(m, int):
        return _mode.set((m | on) & ~off)
    return _mode.set(((m[0] | on) & ~off, m[1]))


@contextmanager
def mode_switch(on: int = 0, off: int = 0) -> Iterator[None]:
    """Set the mode bits ``on`` and clear ``off`` inside the block; restored on exit, also on error."""
    token = _set_flags(on, off)
    try:
        yield
    finally:
        _mode.reset(token)


class Scope:
    """A named block of the graph (see `scope`): its name and the scope it sits in."""

    __slots__ = ("name", "parent", "path")

    def __init__(self, name: str, parent: Scope | None) -> None:
        self.name, self.parent = name, parent
        self.path: tuple[str, ...] = (parent.path if parent is not None else ()) + (name,)

    def __repr__(self) -> str:
        return f"Scope({'/'.join(self.path)!r})"


class scope:  # lowercase, as the function it replaced and as no_grad
    """Tag every node made inside the block with the scope ``name``; nested scopes give a path.

    Renderers group a scope's nodes (``draw``); ``nn`` modules name their calls this way.
    Per thread and per asyncio task; restored on exit, also on error.

    >>> with scope("step 3"):
    ...     with scope("cell"):
    ...         y = Value(2.0) * 3
    >>> y.scope
    ('step 3', 'cell')
    """

    # A class, not a @contextmanager generator: nn enters one per layer call, and this costs under half as much.
    __slots__ = ("_name", "_token")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"scope: name must be a non-empty str, got {name!r}")
        self._name = name

    def __enter__(self) -> None:
        m = _mode.get()
        flags, parent = (m, None) if isinstance(m, int) else m
        self._token = _mode.set((flags, Scope(self._name, parent)))

    def __exit__(self, *exc: object) -> None:
        _mode.reset(self._token)


class _GradMode:
    """``no_grad()`` and ``enable_grad()``: a context manager, and a decorator (also of generators and
    coroutines, whose bodies run later: the mode is set around each step of their execution)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._tokens: list[contextvars.Token[_Mode]] = []

    def __enter__(self) -> None:
        on, off = (GRAD, 0) if self.enabled else (0, GRAD)
        self._tokens.append(_set_flags(on, off))

    def __exit__(self, *exc: object) -> None:
        _mode.reset(self._tokens.pop())

    def __call__(self, fn: _F) -> _F:
        if not callable(fn):
            raise TypeError(f"{self!r} decorates a function, got {fn!r} of type {type(fn).__name__}")
        enabled = self.enabled

        def make() -> _GradMode:  # a fresh manager per use: one may be active in many calls at once
            return _GradMode(enabled)

        if inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"{self!r} cannot decorate the async generator {fn.__qualname__!r}: use "
                f"'with {self!r}:' inside its body"
            )
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Any:
                # The mode is set around each resumption of the body, never across a yield (as PyTorch does).
                gen = fn(*args, **kwargs)
                resume, arg = gen.send, None
                while True:
                    try:
                        with make():
                            item = resume(arg)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        arg, resume = (yield item), gen.send
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as e:  # thrown in by the caller: throw it into the body
                        arg, resume = e, gen.throw

            return cast(_F, generator)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def coroutine(*args: Any, **kwargs: Any) -> Any:
                with make():  # a task's context is its own, so the setting stays inside this coroutine
                    return await fn(*args, **kwargs)

            return cast(_F, coroutine)

        @functools.wraps(fn)
        def function(*args: Any, **kwargs: Any) -> Any:
            with make():
                return fn(*args, **kwargs)

        return cast(_F, function)

    def __repr__(self) -> str:
        return "enable_grad()" if self.enabled else "no_grad()"


class no_grad(_GradMode):
    """Build no graph inside this block: results are plain leaves, as in ``torch.no_grad()``.

    Restores the previous setting on exit, also on error; per thread and per asyncio task.
    Works as a decorator too, also on generator functions and ``async def``.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.children
    ()
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    """Record the graph inside this block even within ``no_grad()``, as ``torch.enable_grad()``.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     with enable_grad():
    ...         y = x * x
    >>> len(y.children)
    2
    """

    def __init__(self) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    """True unless called inside ``no_grad()``.

    >>> is_grad_enabled()
    True
    """
    return bool(mode() & GRAD)


def real(x: object, what: str) -> float:
    """`x` as a float, or TypeError quoting it. bool is refused: True + x is almost always a bug."""
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        return float(x)
    raise TypeError(f"{what} must be a real number (int or float), got {x!r} of type {type(x).__name__}")


def _operand(x: object, op: str) -> Value:
    """An operand as a Value (numbers become constant leaves)."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:
        return Value(x)
    return Value(real(x, f"the operand of {op!r} (a Value or a real number)"))


def describe(v: Value) -> str:
    """How an error message names an operand: its value and, if it has one, its label."""
    return f"{v.data!r} (label {v.label!r})" if v.label else repr(v.data)


_new = object.__new__
_get_grad = operator.attrgetter("grad")
_mode_get = _mode.get
_ADD, _MUL = ops.ADD, ops.MUL


def _node(data: float, op: ops.Op, a: Any, da: Any, b: Value | None = None, db: Any = None) -> Value:
    """A new op result: child ``a`` with local derivative ``da``, and ``b``, ``db`` for a binary op.

    An n-ary op passes a tuple of children as ``a`` and a tuple of derivatives as ``da``.
    Under no_grad() the result is a plain leaf.
    """
    out: Value = _new(Value)
    out.data = data
    out.grad = 0.0
    out._label = ""
    m = _mode.get()
    if m == GRAD:  # the common case, tested first (separate stores: faster than one tuple unpack)
        out._op = op
        out._a = a
        out._da = da
        out._b = b
        out._db = db
        out._scope = None
        return out
    if isinstance(m, int):
        out._scope = None
    else:
        m, out._scope = m
        if m == GRAD:  # recording inside a scope (nn modules name their calls): the second most common case
            out._op = op
            out._a = a
            out._da = da
            out._b = b
            out._db = db
            return out
    if m & GRAD:
        out._op = op
        out._a, out._da, out._b, out._db = a, da, b, db
    else:
        out._op = out._a = out._da = out._b = out._db = None
    if m & ANOMALY:
        from .anomaly import check_node  # imported only in anomaly mode, never on the hot path

        check_node(out, data, *_edges(a, da, b, db), op.title)
    return out


def apply(op: ops.Op, *operands: Value | Number) -> Value:
    """The table op ``op`` applied to Values or numbers (numbers become constant leaves): a new node.

    >>> apply(ops.HYPOT, Value(3.0), 4).data
    5.0
    """
    xs = [x if isinstance(x, Value) else _operand(x, op.name) for x in operands]
    if op.arity >= 0 and len(xs) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} operands, got {len(xs)}: {operands!r}")
    if not xs:
        raise ValueError(f"{op.name}: needs at least one operand, got none")
    try:
        y, d = ops.evaluate(op, [x.data for x in xs], lambda i: describe(xs[i]))
    except ValueError:
        if not mode() & IEEE:
            raise
        y, d = ops.evaluate(op, [x.data for x in xs], ieee=True)
    if len(xs) == 1 and op.arity == 1:
        return _node(y, op, xs[0], d[0])
    if op.arity == 2:
        return _node(y, op, xs[0], d[0], xs[1], d[1])
    return _node(y, op, tuple(xs), tuple(d))


def fused_dot(ws: Sequence[Value], xs: Sequence[Value], b: Value, xd: Sequence[float] | None = None) -> Value:
    """The op DOT on Values: w1 x1 + ... + wn xn + b, hand-inlined (tests/test_ops.py proves it equals the
    table's entry). Raises AttributeError if an operand is not a Value (the caller then takes `apply`).
    ``xd``, if given, is ``[x.data for x in xs]``: a layer reads its inputs once for all its neurons."""
    wd = [w.data for w in ws]
    if xd is None:
        xd = [x.data for x in xs]
    return _node(sum(map(operator.mul, wd, xd), b.data), ops.DOT, (*ws, *xs, b), (*xd, *wd, 1.0))


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
    _apply = staticmethod(apply)

    def __init__(self, data: SupportsFloat, label: str = "") -> None:
        if type(data) is not float:
            data = real(data, "Value data")
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {label!r} of type {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self._label = label
        self._op = self._a = self._da = self._b = self._db = None
        m = _mode.get()
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
    def is_leaf(self) -> bool:
        """True for inputs, parameters and constants: nodes no op produced."""
        return self._a is None

    def __repr__(self) -> str:
        label = f", label={self.label!r}" if self.label else ""
        return f"{type(self).__name__}(data={self.data!r}, grad={self.grad!r}{label})"

    def _repr_html_(self) -> str:
        """Jupyter's rich display: a card with the label, data, grad and op (autograd.display.value_html)."""
        return value_html(self)

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

    # ---- the hottest operators, inlined; tests/test_ops.py proves they equal the table's entries ----
    def __add__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _operand(other, "+")
        if _mode_get() != GRAD:
            return _node(self.data + other.data, ops.ADD, self, 1.0, other, 1.0)
        out: Value = _new(Value)  # _node's common case, written out: the hottest op
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
        return _node(self.data - other.data, ops.SUB, self, 1.0, other, -1.0)

    def __rsub__(self, other: Value | Number) -> Value:  # n - x
        return _operand(other, "-").__sub__(self)

    def __mul__(self, other: Value | Number) -> Value:
        other = other if isinstance(other, Value) else _operand(other, "*")
        x, y = self.data, other.data
        if _mode_get() != GRAD:
            return _node(x * y, ops.MUL, self, y, other, x)
        out: Value = _new(Value)  # _node's common case, written out: the hottest op
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
        return _node(-self.data, ops.NEG, self, -1.0)

    def tanh(self) -> Value:
        """Hyperbolic tangent; d/dx = 1 - tanh(x)**2. Stable for any input (tanh(1000) = 1).

        >>> Value(0.0).tanh().data
        0.0
        """
        t = math.tanh(self.data)
        return _node(t, ops.TANH, self, 1.0 - t * t)

    def relu(self) -> Value:
        """max(0, x); d/dx = 1 for x > 0, else 0. At exactly 0 the derivative is 0, as in PyTorch and
        micrograd; NaN stays NaN (with derivative 1, as in PyTorch).

        >>> Value(-3.0).relu().data
        0.0
        """
        x = self.data
        if x <= 0.0:
            return _node(0.0, ops.RELU, self, 0.0)
        return _node(x, ops.RELU, self, 1.0)  # NaN stays NaN and passes the gradient on, as in PyTorch

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
            from .anomaly import check_gradients

            check_gradients(order)
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


def _number(x: object) -> float | None:
    """x as a float (a Value's data), or None if it is not a real number (bool is not one here)."""
    if isinstance(x, Value):
        return x.data
    if type(x) is float:
        return x
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    return None


def gradients(root: Value, seed: float, create_graph: bool) -> dict[Value, Any]:
    """d(root)/d(node) for every node below root, as a dict {node: gradient}; no ``.grad`` is touched.

    The same accumulation as ``backward()``. With create_graph the gradients are Values built from
    the ops' derivative rules (so they have graphs of their own), else floats from the forward pass.
    """
    if not create_graph:
        return _float_gradients(root, seed)
    grads = {root: Value(seed)}
    for v in topological_order(root):  # under no_grad() the rules build no graph: constant gradients
        if v._a is not None:
            g = grads[v]
            for child, local in zip(v.children, local_values(v)):
                d = g if (type(local) is float and local == 1.0) else local * g
                grads[child] = grads[child] + d if child in grads else d
    return grads


def _float_gradients(root: Value, seed: float) -> dict[Value, Any]:
    grads = {root: seed}
    for v in topological_order(root):
        if v._a is not None:
            g = grads[v]
            for child, local in zip(*_edges(v._a, v._da, v._b, v._db)):
                d = local * g
                grads[child] = grads[child] + d if child in grads else d
    return grads


def local_values(v: Value) -> tuple[Any, ...]:
    """v's local derivatives as Values that depend on v's children: the op's rule run on Values.

    The rule runs in IEEE mode, as PyTorch computes derivatives: where it divides by zero at an infinite
    slope (sqrt at 0) the result is an infinity with derivatives of its own, not an error, so that
    second derivatives there are ±inf (or NaN) as in PyTorch, not 0.
    """
    op = v._op
    assert op is not None, "local_values of a leaf"
    with mode_switch(on=IEEE):
        return tuple(op.grads(_VALUES, v, *v.children, *op.params))


# The functions rules call on Values, ``m.sin(x)``: each op of ops.NAMED applied to Values, ops.where and ops.floordiv.
_VALUES = ops.Namespace(
    {
        **{name: functools.partial(apply, op) for name, op in ops.NAMED.items()},
        "where": ops.where,
        "floordiv": ops.floordiv,
    }
)


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
