"""The scalar reverse-mode engine: `Value`, `backward()` and `no_grad()`.

Every op computes, once and in the forward pass, its value and the local
derivative of that value with respect to each child. `backward()` only walks
the graph from the output to the inputs and does ``child.grad += local * out.grad``.
"""
import contextvars
import math
import numbers
import operator
from contextlib import contextmanager

__all__ = ["Value", "no_grad", "is_grad_enabled"]

# The engine's only global state: a small mode, one ContextVar so that each thread (and each
# asyncio task) has its own, and so that creating a node costs a single .get().
_GRAD = 1     # ops record the graph (off inside no_grad())
_ANOMALY = 2  # ops check their results for NaN and infinities (inside anomaly.detect_anomaly())
_mode = contextvars.ContextVar("chaingrad_mode", default=_GRAD)


@contextmanager
def no_grad():
    """Build no graph inside this block: results are plain leaves, as in ``torch.no_grad()``.

    Restores the previous setting on exit, also on error; per thread and per asyncio task.
    Works as a decorator too.

    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.children
    ()
    """
    token = _mode.set(_mode.get() & ~_GRAD)
    try:
        yield
    finally:
        _mode.reset(token)


def is_grad_enabled():
    """True unless called inside ``no_grad()``.

    >>> is_grad_enabled()
    True
    """
    return bool(_mode.get() & _GRAD)


def _real(x, what):
    """`x` as a float, or TypeError quoting it. bool is refused: True + x is almost always a bug."""
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        return float(x)
    raise TypeError(f"{what} must be a real number (int or float), got {x!r} of type {type(x).__name__}")


def _operand(x, op):
    """The other operand of a binary op as a Value (numbers become constant leaves)."""
    if isinstance(x, Value):
        return x
    if type(x) is float or type(x) is int:
        return Value(x)
    return Value(_real(x, f"the operand of {op!r} (a Value or a real number)"))


def _name(v):
    """How an error message names an operand: its value and, if it has one, its label."""
    return f"{v.data!r} (label {v.label!r})" if v.label else repr(v.data)


_new = object.__new__
_get_grad = operator.attrgetter("grad")


def _node(data, op, a, da, b=None, db=None):
    """A new op result: child ``a`` with local derivative ``da``, and ``b``, ``db`` for a binary op.

    An n-ary op (sum, logsumexp) passes a tuple of children as ``a`` and a tuple of derivatives
    as ``da``. Under no_grad() the result is a plain leaf.
    """
    out = _new(Value)
    out.data = data
    out.grad = 0.0
    out.label = ""
    mode = _mode.get()
    if mode == _GRAD:  # the common case, tested first (separate stores: faster than one tuple unpack)
        out._op = op
        out._a = a
        out._da = da
        out._b = b
        out._db = db
        return out
    if mode & _GRAD:
        out._op = op
        out._a, out._da, out._b, out._db = a, da, b, db
    else:
        out._op = ""
        out._a = out._da = out._b = out._db = None
    if mode & _ANOMALY:
        from .anomaly import _check_node  # imported only in anomaly mode, never on the hot path
        _check_node(out, data, *_edges(a, da, b, db), op)
    return out


def _edges(a, da, b, db):
    """The (children, local derivatives) tuples of a node stored as ``_a, _da, _b, _db``."""
    if a is None:
        return (), ()
    if type(a) is tuple:
        return a, da
    if b is None:
        return (a,), (da,)
    return (a, b), (da, db)


class Value:
    """A scalar that remembers how it was computed, so that ``backward()`` can fill in ``.grad``.

    >>> a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    >>> L = c * (a + 2 * b)
    >>> L.backward()
    >>> L.data, a.grad, b.grad, c.grad
    (-10.0, -2.0, -4.0, 5.0)
    """

    # A node keeps its edges in four fixed slots, not in tuples: child _a with local derivative _da,
    # and _b, _db for a binary op (None for a unary op; all four None for a leaf). An n-ary op
    # keeps a tuple of children in _a and a tuple of derivatives in _da. Why: memory. A binary node
    # is 144 bytes on CPython 3.11 (with its data and grad floats); a children tuple and a locals
    # tuple in two slots instead of four would add 96. `children` and `local_grads` build tuples on demand.
    __slots__ = ("data", "grad", "label", "_op", "_a", "_da", "_b", "_db")
    is_parameter = False  # True on nn.Parameter, the Values an nn module trains; renderers show them apart

    def __init__(self, data, label=""):
        if type(data) is not float:
            data = _real(data, "Value data")
        if type(label) is not str:
            raise TypeError(f"Value label must be a str, got {label!r} of type {type(label).__name__}")
        self.data = data
        self.grad = 0.0
        self.label = label
        self._op = ""
        self._a = self._da = self._b = self._db = None

    # Read-only views of the graph, for renderers and users walking it.
    @property
    def op(self):
        """The name of the op that made this node ('' for a leaf)."""
        return self._op

    @property
    def children(self):
        """The operands of the op, in order, as a tuple (``a * a`` has two edges to ``a``)."""
        return _edges(self._a, self._da, self._b, self._db)[0]

    @property
    def local_grads(self):
        """d(self)/d(child) for each child, as computed in the forward pass."""
        return _edges(self._a, self._da, self._b, self._db)[1]

    @property
    def is_leaf(self):
        """True for inputs, parameters and constants: nodes no op produced."""
        return self._a is None

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"{type(self).__name__}(data={self.data!r}, grad={self.grad!r}{label})"

    # ---- primitives: each computes its value and local derivatives together ----

    def __add__(self, other):
        other = other if isinstance(other, Value) else _operand(other, "+")
        return _node(self.data + other.data, "+", self, 1.0, other, 1.0)

    def __mul__(self, other):
        other = other if isinstance(other, Value) else _operand(other, "*")
        return _node(self.data * other.data, "*", self, other.data, other, self.data)

    def __pow__(self, other):
        if isinstance(other, Value):
            return self._pow_value(other)
        n = _real(other, "the exponent of '**' (a Value or a real number)")
        x = self.data
        if x == 0.0 and n < 0:
            raise ValueError(f"**: 0 to a negative power is undefined: base {_name(self)}, exponent {n!r}"
                             " (x / y is computed as x * y**-1, so this is also a division by zero)")
        if x < 0.0 and not n.is_integer():
            raise ValueError(f"**: a negative base to a non-integer power is not real: "
                             f"base {_name(self)}, exponent {n!r}")
        try:
            out = x ** n
            # d(x^n)/dx = n x^(n-1); at x = 0 that is 0 for n >= 1 and +inf for 0 < n < 1
            if n == 0.0:
                local = 0.0
            elif x == 0.0 and n < 1.0:
                local = math.inf
            else:
                local = n * x ** (n - 1.0)
        except OverflowError:
            raise OverflowError(f"**: result out of float range: base {_name(self)}, exponent {n!r}") from None
        return _node(out, f"**{_num(n)}", self, local)

    def _pow_value(self, other):
        # a^b with both Values: d/da = b a^(b-1), d/db = a^b log(a), real only for a > 0
        # (and a = 0, b >= 0, where the exponent's derivative is taken as 0, as in PyTorch).
        a, b = self.data, other.data
        if a < 0.0 or (a == 0.0 and b < 0.0):
            raise ValueError(f"**: with a Value exponent the base must be positive (or 0 with a non-negative "
                             f"exponent), got base {_name(self)}, exponent {_name(other)}; "
                             f"for a constant exponent use a number, e.g. x ** 2")
        try:
            out, local_a, local_b = _pow_value_floats(a, b)
        except OverflowError:
            raise OverflowError(f"**: result out of float range: base {_name(self)}, "
                                f"exponent {_name(other)}") from None
        return _node(out, "**", self, local_a, other, local_b)

    def exp(self):
        """e**x; d/dx = e**x. Raises OverflowError above about 709.78.

        >>> Value(0.0).exp().data
        1.0
        """
        try:
            e = math.exp(self.data)
        except OverflowError:
            raise OverflowError(f"exp: result out of float range for input {_name(self)} "
                                "(exp overflows above about 709.78)") from None
        return _node(e, "exp", self, e)

    def log(self):
        """Natural log; d/dx = 1/x. Raises ValueError for x <= 0.

        >>> Value(1.0).log().data
        0.0
        """
        x = self.data
        if x <= 0.0:
            raise ValueError(f"log: input must be positive, got {_name(self)}")
        return _node(math.log(x), "log", self, 1.0 / x)

    def tanh(self):
        """Hyperbolic tangent; d/dx = 1 - tanh(x)**2. Stable for any input (tanh(1000) = 1).

        >>> Value(0.0).tanh().data
        0.0
        """
        t = math.tanh(self.data)
        return _node(t, "tanh", self, 1.0 - t * t)

    def sigmoid(self):
        """1 / (1 + e**-x); d/dx = s(1 - s). Never overflows (sigmoid(-1000) = 0.0).

        >>> Value(0.0).sigmoid().data
        0.5
        """
        x = self.data
        if x >= 0.0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # e**x / (1 + e**x): the exp cannot overflow for x < 0
            e = math.exp(x)
            s = e / (1.0 + e)
        return _node(s, "sigmoid", self, s * (1.0 - s))

    def relu(self):
        """max(0, x); d/dx = 1 for x > 0, else 0. At exactly 0 the derivative is 0, as in PyTorch and micrograd.

        >>> Value(-3.0).relu().data
        0.0
        """
        x = self.data
        if x > 0.0:
            return _node(x, "relu", self, 1.0)
        return _node(0.0, "relu", self, 0.0)

    def abs(self):
        """|x|; d/dx = sign(x), and 0 at exactly 0 (as PyTorch's sign).

        >>> Value(-3.0).abs().data
        3.0
        """
        x = self.data
        return _node(abs(x), "abs", self, 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0)

    __abs__ = abs

    # ---- composites: one line each, built from the primitives ----

    def __neg__(self):  # -x = x * -1
        return self * -1.0

    def __radd__(self, other):  # n + x, with n kept as the first child
        return _operand(other, "+") + self

    def __sub__(self, other):  # x - y = x + (-y)
        return self + (-other)

    def __rsub__(self, other):  # n - x = n + (-x)
        return _operand(other, "-") + (-self)

    def __rmul__(self, other):  # n * x, with n kept as the first child
        return _operand(other, "*") * self

    def __truediv__(self, other):  # x / y = x * y**-1
        return self * _operand(other, "/") ** -1.0

    def __rtruediv__(self, other):  # n / x = n * x**-1
        return _operand(other, "/") * self ** -1.0

    def __rpow__(self, other):  # n ** x, with n a constant Value base
        return _operand(other, "**") ** self

    # ---- backward ----

    def backward(self, grad=1.0, create_graph=False):
        """Fill in d(self)/d(node) as ``node.grad`` for every node of the graph below self.

        Gradients accumulate, as in PyTorch: every path into a node adds to its grad
        (``x + x`` gives 2), and a second ``backward()`` adds its gradients to those already
        there. Call ``zero_grad()`` first to start afresh. Iterative, so graphs of any depth work.

        With ``create_graph=True`` every ``.grad`` is a Value with its own graph, built from the
        derivative rules in ``_LOCAL_RULES``, so it can be differentiated again.

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
        grad = _real(grad, "backward(grad=...)")
        if create_graph is not False:
            if create_graph is not True:
                raise TypeError(f"backward(create_graph=...) must be True or False, got {create_graph!r}")
            for v, g in _gradients(self, grad, create_graph=True).items():
                old = v.grad
                v.grad = g if (type(old) is float and old == 0.0) else old + g
            return
        order = _topological_order(self)
        # Gradients already in the graph (from an earlier backward) must not flow again:
        # run this pass on zeroed grads, then add the earlier ones back.
        previous = list(map(_get_grad, order))
        if any(previous):
            for v in order:
                v.grad = 0.0
        self.grad = grad
        for v in order:
            a = v._a
            if a is None:
                continue
            g = v.grad
            if type(a) is tuple:  # an n-ary op
                for child, local in zip(a, v._da):
                    child.grad += local * g
            else:
                a.grad += v._da * g
                b = v._b
                if b is not None:
                    b.grad += v._db * g
        if _mode.get() & _ANOMALY:
            from .anomaly import _check_gradients
            _check_gradients(order)
        if any(previous):
            for v, old in zip(order, previous):
                v.grad += old

    def zero_grad(self):
        """Set ``grad`` to 0 on every node of the graph below (and including) self.

        >>> x = Value(3.0); y = x * x; y.backward(); y.zero_grad(); x.grad
        0.0
        """
        for v in _topological_order(self):
            v.grad = 0.0


def _gradients(root, seed, create_graph):
    """d(root)/d(node) for every node below root, as a dict {node: gradient}; no ``.grad`` is touched.

    The same accumulation as ``backward()``. With create_graph the gradients are Values built
    from ``_LOCAL_RULES`` (so they have graphs of their own), else floats from the forward pass.
    """
    grads = {root: Value(seed) if create_graph else seed}
    for v in _topological_order(root):
        if not v.is_leaf:
            g = grads[v]
            for child, local in zip(v.children, _local_values(v) if create_graph else v.local_grads):
                d = g if (type(local) is float and local == 1.0) else local * g
                grads[child] = grads[child] + d if child in grads else d
    return grads


def _local_values(v):
    """v's local derivatives as Values that depend on v's children (constants stay floats)."""
    rule = _LOCAL_RULES.get(v._op)
    if rule is not None:
        return rule(v, *v.children)
    if v._op.startswith("**") and v._b is None:  # '**2', '**-1', '**0.5': the exponent is in the name
        return _pow_number_rule(v, v._a, float(v._op[2:]))
    raise NotImplementedError(f"backward(create_graph=True): no derivative rule for op {v._op!r}; "
                              f"known ops: {sorted(_LOCAL_RULES)} and '**<number>'")


def _pow_number_rule(out, x, n):
    if n == 0.0 or (x.data == 0.0 and n < 1.0):  # 0, or +inf at x = 0: constants, as in the forward pass
        return out.local_grads
    return (n * x ** (n - 1.0),)


def _pow_value_rule(out, a, b):
    if a.data == 0.0:  # the forward pass's special case, a constant
        return out.local_grads
    return (b * a ** (b - 1.0), out * a.log())


def _logsumexp_rule(out, *xs):
    if math.isinf(out.data):
        return out.local_grads
    return tuple((x - out).exp() for x in xs)


# The derivative rules for backward(create_graph=True): the same math as the float local
# derivatives each op computes above, written with Value ops so that they can be differentiated
# again. Constant derivatives (of +, sum, relu, abs) stay floats: their own derivatives are 0.
# tests/test_higher_order.py checks every rule against the op's floats, so the two cannot drift.
_LOCAL_RULES = {
    "+": lambda out, a, b: out.local_grads,
    "sum": lambda out, *xs: out.local_grads,
    "*": lambda out, a, b: (b, a),
    "**": _pow_value_rule,
    "exp": lambda out, x: (out,),                  # e^x
    "log": lambda out, x: (x ** -1.0,),            # 1/x
    "tanh": lambda out, x: (1.0 - out * out,),     # 1 - tanh^2
    "sigmoid": lambda out, x: (out * (1.0 - out),),  # s(1 - s)
    "relu": lambda out, x: out.local_grads,
    "abs": lambda out, x: out.local_grads,
    "logsumexp": _logsumexp_rule,                  # softmax_i = e^(x_i - lse)
}


def _pow_value_floats(a, b):
    """a**b and its derivatives by a and b, for a > 0, or a = 0 and b >= 0 (shared with compile)."""
    out = a ** b
    if a == 0.0:
        return out, 0.0 if b == 0.0 else (math.inf if b < 1.0 else b * a ** (b - 1.0)), 0.0
    return out, b * a ** (b - 1.0), out * math.log(a)


def _topological_order(root, leaves=()):
    """Every node below root once, each before all of its children (root first). No recursion.

    Depth-first with an explicit stack: a node popped for the first time goes back on the stack
    under a None marker, with its children on top; when the marker comes off, all the children are
    done and the node is finished. In a DAG a node popped again after that is already finished.
    Nodes in ``leaves`` are taken as leaves: their children are not visited.
    """
    post = []
    expanded = set()
    stack = [root]
    pop, push, extend = stack.pop, stack.append, stack.extend
    while stack:
        node = pop()
        if node is None:
            post.append(pop())
            continue
        if node in expanded:
            continue
        expanded.add(node)
        a = node._a
        if a is None or node in leaves:
            post.append(node)
            continue
        push(node)
        push(None)
        if type(a) is tuple:
            extend(a)
        else:
            push(a)
            if node._b is not None:
                push(node._b)
    post.reverse()
    return post


def _num(x):
    """A float as short text: 2.0 -> '2', 0.5 -> '0.5'."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e15 else repr(x)
