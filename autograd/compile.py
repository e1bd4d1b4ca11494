"""Compiled replay: trace a fixed-shape function once, then replay its forward and backward fast.

``fast = compile(fn)``: the first call ``fast(*leaves)`` runs ``fn`` eagerly and turns the graph it
built into one generated Python function: one line per node forward, one line per edge backward,
every number a plain local variable. Later calls with as many leaves run that function on the
leaves' current ``.data`` and build no Value at all. Results equal eager mode bit for bit: each line is
written from the op table, by running the op's value and derivative rule on symbols (so the line is
the very float expression eager mode evaluates, or a call of the same function where a rule branches
on the data), and the backward adds gradients in the engine's order.

The limit: the replay repeats the *traced* graph. A function whose graph depends on the data (a
Python ``if`` on ``.data``, a loop whose length depends on a value) must not be compiled, or only
with ``check=True``, which traces every call again and raises `GraphChanged` when the graph differs.
"""

import builtins
import math
from collections.abc import Callable, Generator, Sequence
from typing import Literal, NoReturn, TypeVar, cast

from . import ops
from .engine import BACKWARD_LOCK, Value, node_op, topological_order
from .grad_mode import GRAD, mode
from .methods import real

__all__ = ["compile", "Compiled", "CompiledResult", "GraphChanged"]


class GraphChanged(RuntimeError):
    """``check=True`` found that ``fn`` built a different graph than the one traced.

    >>> f = compile(lambda x: x * x if x.data > 0 else x.tanh(), check=True)
    >>> f(Value(1.0)).data
    1.0
    >>> f(Value(-1.0))
    Traceback (most recent call last):
    ...
    autograd.compile.GraphChanged: compiled <lambda> (check=True): the graph differs from the traced one: ...
    """


class _Fallback(Exception):
    """Raised by generated code where the engine would check the data: the call is redone eagerly."""


def compile(fn: Callable[..., Value], check: bool = False) -> "Compiled":
    """Trace ``fn(*leaves) -> Value`` on the first call, replay it on later calls.

    >>> from autograd import Value
    >>> f = compile(lambda a, b: (a * b + b).tanh())
    >>> a, b = Value(0.5), Value(-1.0)
    >>> r = f(a, b)          # traces, then replays
    >>> a.data = 2.0
    >>> r = f(a, b)          # replays on the new data: no Value is built
    >>> r.backward()
    >>> r.data == math.tanh(-3.0), a.grad == -(1.0 - math.tanh(-3.0) ** 2)
    (True, True)
    """
    if not callable(fn):
        raise TypeError(f"compile: fn must be callable, got {fn!r} of type {type(fn).__name__}")
    if type(check) is not bool:
        raise TypeError(f"compile: check must be True or False, got {check!r}")
    return Compiled(fn, check)


class Compiled:
    """A compiled function (made by `compile`). Call it with Values; one program per number of leaves.

    >>> f = compile(lambda x: x * x)
    >>> f(Value(3.0)).data
    9.0
    >>> print(f.source(1).splitlines()[0])
    def replay(L, K):
    """

    def __init__(self, fn: Callable[..., Value], check: bool = False) -> None:
        self.fn = fn
        self.check = check
        self._programs: dict[int, _Program] = {}  # number of leaves -> _Program

    def __call__(self, *leaves: Value) -> "CompiledResult":
        """Replay on the leaves' current data; trace first if this number of leaves is new.

        Returns a `CompiledResult`. Under ``no_grad()`` and ``detect_anomaly()`` ``fn`` runs eagerly,
        and so does a call whose data reach the edge of an op's domain (the engine's error, or value).
        """
        program = self._programs.get(len(leaves))
        traced: float | None = None
        if program is None or self.check or mode() != GRAD:
            if mode() != GRAD:
                # Under no_grad() or detect_anomaly() the function runs eagerly, exactly as uncompiled
                # (no graph, or every op checked for NaN and infinities).
                out = _value(self.fn(*leaves), self.fn)
                return CompiledResult(out.data, out.backward)
            program, traced = self._trace(leaves, program)
        replay = program.function(leaves, program.captured)
        try:
            data = next(replay)
        except (ArithmeticError, ValueError, _Fallback):
            # A domain or range error (log of 0, 0 ** -1, exp overflow, ...): redo the call
            # eagerly, so the engine raises its own error naming the op and the value.
            out = _value(self.fn(*leaves), self.fn)
            return CompiledResult(out.data, out.backward)
        except AttributeError:
            _check_leaves(leaves, self.fn)
            raise
        if self.check and traced is not None and not _same(data, traced):  # traced: set when checking
            raise GraphChanged(
                f"compiled {_name(self.fn)} (check=True): same graph, but the replay gives "
                f"{data!r} where the function gives {traced!r}"
            )
        return CompiledResult(data, replay.send)

    def _trace(self, leaves: tuple[Value, ...], program: "_Program | None") -> "tuple[_Program, float]":
        """Run fn eagerly; return (the program for its graph, the output's data). With an existing
        program (check=True), compare the new graph with it and raise GraphChanged if it differs."""
        _check_leaves(leaves, self.fn)
        # The same Value passed twice: trace with a copy in the later places, so that the
        # program keeps one input per argument and later calls may pass different Values.
        seen: set[Value] = set()
        traced: list[Value] = []
        for v in leaves:
            if v in seen:
                v = Value(v.data, v.label)
            seen.add(v)
            traced.append(v)
        out = _value(self.fn(*traced), self.fn)
        index = {v: i for i, v in enumerate(traced)}
        order = topological_order(out, leaves=index)
        if program is None:
            program = self._programs[len(leaves)] = _Program(out, order, index, traced)
            return program, out.data
        difference = _compare(program.shape, _shape(order, index))
        if difference:
            raise GraphChanged(
                f"compiled {_name(self.fn)} (check=True): the graph differs from the traced one: "
                f"{difference}. The graph depends on the data (a Python `if` on .data?), so it "
                f"cannot be replayed: call the function uncompiled"
            )
        return program, out.data

    def source(self, n_leaves: int) -> str:
        """The generated Python source of the program for ``n_leaves`` leaves (traced already)."""
        if n_leaves not in self._programs:
            raise KeyError(
                f"compiled {_name(self.fn)}: no program for {n_leaves!r} leaves yet; traced: {sorted(self._programs)}"
            )
        return self._programs[n_leaves].source

    def __repr__(self) -> str:
        return f"compile({_name(self.fn)}, check={self.check})"


class CompiledResult:
    """What a compiled call returns: the output's ``.data`` and a ``.backward()`` that adds into the
    leaves' ``.grad`` exactly as eager mode would (the arguments and any other leaf the function
    reached, e.g. parameters it closes over). Intermediate nodes are never built, so they have no
    ``.grad``: only leaves receive gradients.

    >>> x = Value(3.0)
    >>> r = compile(lambda x: x * x)(x)
    >>> r.backward(); x.grad
    6.0
    """

    __slots__ = ("_backward", "data")

    def __init__(self, data: float, backward: Callable[[float], object]) -> None:
        self.data = data
        self._backward = backward

    def backward(self, grad: float = 1.0, create_graph: bool = False) -> None:
        """Add d(output)/d(leaf) * grad into every leaf's ``.grad``. May be called again (adds again).

        ``create_graph=True`` needs the graph, which a replay does not build: call the function uncompiled.
        """
        if create_graph is not False:
            raise NotImplementedError(
                f"a compiled result's backward(create_graph=...) must be False, got "
                f"{create_graph!r}: a replay builds no graph; call the function uncompiled"
            )
        grad = real(grad, "backward(grad=...)")
        with BACKWARD_LOCK:  # the leaves' .grad may be shared with other threads' graphs
            self._backward(grad)

    def __repr__(self) -> str:
        return f"CompiledResult(data={self.data!r})"


def _check_leaves(leaves: Sequence[object], fn: object) -> None:
    for i, v in enumerate(leaves):
        if not isinstance(v, Value):
            raise TypeError(f"compiled {_name(fn)}: argument {i} must be a Value, got {v!r} of type {type(v).__name__}")


def _value(out: object, fn: object) -> Value:
    if not isinstance(out, Value):
        raise TypeError(
            f"compiled {_name(fn)}: the function must return a Value, got {out!r} of type {type(out).__name__}"
        )
    return out


def _name(fn: object) -> str:
    qualname: str | None = getattr(fn, "__qualname__", None)
    return qualname or repr(fn)


# ---- the trace ----

# One node of a traced graph, inputs first: ("input", argument index), ("leaf", the leaf Value), or
# (the op's title, the positions of its children).
_Entry = tuple[Literal["input"], int] | tuple[Literal["leaf"], Value] | tuple[str, tuple[int, ...]]


# The generated ``replay(L, K)``: yields the output's data, then runs a backward pass per gradient sent.
_Replay = Callable[[Sequence[Value], tuple[Value, ...]], Generator[float, float, None]]


class _Program:
    """The generated replay function of one traced graph, and what `check=True` compares."""

    def __init__(self, out: Value, order: list[Value], index: dict[Value, int], leaves: list[Value]) -> None:
        # Leaves that are not arguments (parameters a closure reaches, constants made inside fn):
        # the program keeps the Value objects and reads their .data on every call.
        self.captured = tuple(v for v in reversed(order) if v not in index and v.is_leaf)
        self.shape = _shape(order, index)
        self.source, self.names = _generate(order, index, self.captured)
        namespace = dict(self.names, _Fallback=_Fallback, inf=math.inf, nan=math.nan)
        exec(builtins.compile(self.source, f"<compiled {len(order)} nodes>", "exec"), namespace)
        self.function = cast(_Replay, namespace["replay"])
        # Internal invariant: the program reproduces the traced value (same expressions, same bits).
        replay = self.function(leaves, self.captured)
        try:
            data = next(replay)
        except (ArithmeticError, ValueError, _Fallback):
            pass  # at an edge of an op's domain the replay defers to eager mode; nothing to compare
        else:
            assert _same(data, out.data), "compiled forward differs from the traced graph"
            replay.close()


def _shape(order: list[Value], index: dict[Value, int]) -> list[_Entry]:
    """Per node, inputs first: (op, child positions), or ('input', i) / ('leaf', value) for leaves."""
    forward = order[::-1]
    position = {v: i for i, v in enumerate(forward)}
    shape: list[_Entry] = []
    for v in forward:
        if v in index:
            shape.append(("input", index[v]))
        elif v.is_leaf:
            shape.append(("leaf", v))
        else:
            shape.append((node_op(v).title, tuple(position[c] for c in v.children)))
    return shape


def _compare(old: list[_Entry], new: list[_Entry]) -> str:
    """'' if two shapes replay the same computation, else the first difference, in words."""
    if len(old) != len(new):
        return f"it had {len(old)} nodes, now {len(new)}"
    for i, (a, b) in enumerate(zip(old, new)):
        if isinstance(a[1], Value) and isinstance(b[1], Value):  # two ("leaf", v): only they hold a Value
            # the same leaf object (a parameter), or a constant rebuilt with the same value
            if a[1] is not b[1] and not _same(a[1].data, b[1].data):
                return f"node {i} is a constant that was {a[1].data!r}, now {b[1].data!r}"
        elif a != b:
            return f"node {i} was {_describe(a)}, now {_describe(b)}"
    return ""


def _describe(entry: _Entry) -> str:
    kind, arg = entry
    if kind == "input":
        return f"argument {arg}"
    if kind == "leaf":
        return f"the leaf {arg!r}"
    return f"op {kind!r} of nodes {list(cast(tuple[int, ...], arg))}"


def _same(a: float, b: float) -> bool:
    """Bit-equal floats (NaN equals NaN; 0.0 and -0.0 differ)."""
    return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)


# ---- code generation: lines per node forward, one line per edge backward ----


class _Untraceable(Exception):
    """A rule looked at the data (a comparison, an int): it cannot be written as one expression."""


class _Sym:
    """A float known only by name in the generated code: arithmetic on it writes the expression.

    Every operation is parenthesised, so the generated expression evaluates exactly as the rule did.
    """

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def _bin(self, other: object, symbol: str, reverse: bool = False) -> "_Sym":
        if isinstance(other, _Sym):
            right = other.code
        elif type(other) is float:
            right = _literal(other)
        else:  # an int (sum()'s start) or anything else: the rule is not plain float arithmetic
            raise _Untraceable
        return _Sym(f"({right} {symbol} {self.code})" if reverse else f"({self.code} {symbol} {right})")

    def __add__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "+")

    def __radd__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "+", True)

    def __sub__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "-")

    def __rsub__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "-", True)

    def __mul__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "*")

    def __rmul__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "*", True)

    def __truediv__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "/")

    def __rtruediv__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "/", True)

    def __mod__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "%")

    def __rmod__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "%", True)

    def __pow__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "**")

    def __rpow__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "**", True)

    def __neg__(self) -> "_Sym":
        return _Sym(f"(-{self.code})")

    def __abs__(self) -> "_Sym":
        return _Sym(f"abs({self.code})")

    # A comparison is a condition for ``m.where`` (written ``(a if c else b)``); a Python ``if`` on it
    # (``bool``) is a branch on the data, which cannot be one expression.
    def __lt__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "<")

    def __le__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, "<=")

    def __gt__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, ">")

    def __ge__(self, o: "_Sym | float") -> "_Sym":
        return self._bin(o, ">=")

    def _refuse(self, *args: object) -> NoReturn:
        raise _Untraceable

    __bool__ = __eq__ = __ne__ = __float__ = __index__ = __round__ = _refuse
    # Unhashable, as any class whose == does not compare values; typeshed declares object.__hash__ as a
    # method, so mypy refuses None here although Python documents it (typeshed's list does the same).
    __hash__ = None  # type: ignore[assignment]


def _literal(x: float | None) -> str:
    """A float (or None) as Python source that evaluates to exactly that float (inf and nan included)."""
    if x is None:
        return "None"
    if math.isfinite(x):
        return repr(x)
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    return f"float('{sign}{'inf' if math.isinf(x) else 'nan'}')"


def _code(x: "_Sym | float | bool") -> str:
    if isinstance(x, _Sym):
        return x.code
    if type(x) is float:
        return _literal(x)
    if type(x) is bool:  # a condition a rule decided without the data (on a parameter)
        return repr(x)
    raise _Untraceable


def _where(c: "_Sym | bool", a: "_Sym | float", b: "_Sym | float") -> _Sym:
    return _Sym(f"({_code(a)} if {_code(c)} else {_code(b)})")


def _sym_call(name: str) -> Callable[..., _Sym]:
    """m.<name>(...) in a rule traced on symbols: a call of the table's own float function of that name."""

    def call(*xs: "_Sym | float") -> _Sym:
        return _Sym(f"{name}({', '.join(map(_code, xs))})")

    return call


# The names rules call as m.<name>(x): in generated code, each one calls the table's own float function;
# m.where is Python's conditional expression, m.floordiv Python's //.
_SYM_MATH = ops.Namespace(
    {
        **{name: _sym_call(name) for name in ops.NAMED},
        "where": _where,
        "floordiv": lambda a, b: _Sym(f"({_code(a)} // {_code(b)})"),
    }
)


R = TypeVar("R")


def _trace(fn: Callable[..., R], args: Sequence[object]) -> R | None:
    """fn(*args) with symbols among args: the expression(s) it writes, or None if it looks at the data."""
    try:
        return fn(*args)
    except (_Untraceable, TypeError):
        return None


def _looks_at_data(domain: Callable[..., object], args: Sequence[object]) -> bool:
    """Whether an op's domain check depends on the operands' data (else it passed at the trace, for good)."""
    try:
        domain(*args)
    except (_Untraceable, TypeError):
        return True
    return False


def _generate(
    order: list[Value], index: dict[Value, int], captured: tuple[Value, ...]
) -> tuple[str, dict[str, object]]:
    """Python source of ``replay(L, K)``, and the names it uses: a generator that computes every value
    and local derivative, yields the output's data, then runs the backward pass each time a gradient is
    sent to it. L are the argument Values, K the captured leaves. Anything that raises (a domain
    error) raises before the first yield, so the call can be redone eagerly."""
    names: dict[str, object] = {"abs": builtins.abs, **vars(ops.FLOATS)}
    functions: dict[int, str] = {}  # id(function) -> its name in the generated code
    rules: dict[ops.Op, Callable[..., Sequence[float]]] = {}  # op -> its rule on floats (one function per bound op)

    def call(fn: object) -> str:
        if id(fn) not in functions:
            functions[id(fn)] = f"f{len(functions)}"
            names[functions[id(fn)]] = fn
        return functions[id(fn)]

    name: dict[Value, str] = {}
    lines = ["def replay(L, K):"]
    for i, v in enumerate(captured):
        name[v] = f"k{i}"
        lines.append(f"    k{i} = K[{i}].data")
    local: dict[Value, list[str]] = {}  # node -> the expression of each local derivative ('' means exactly 1.0)
    for n, v in enumerate(reversed(order)):  # children before parents
        if v in index:
            name[v] = f"x{index[v]}"
            lines.append(f"    x{index[v]} = L[{index[v]}].data")
        elif not v.is_leaf:
            op, out = node_op(v), f"v{n}"
            name[v] = out
            c = [name[child] for child in v.children]
            params = [_literal(p) for p in op.params]
            # a domain that does not look at the data (dot's operand count) is checked once, here
            if op.domain is not None and _looks_at_data(op.domain, [_Sym(x) for x in c] + list(op.params)):
                lines.append(f"    if {call(op.domain)}({', '.join(c + params)}) is not None: raise _Fallback")
            value: object = _trace(op.value, [_Sym(x) for x in c] + list(op.params))
            if not isinstance(value, _Sym) and op.batched is not None and op.arity >= 0:
                # the value branches on the data: its form with m.where, the same float expression
                # (not for an n-ary op: logsumexp's value sums with math.fsum, which arrays cannot)
                value = _trace(op.batched, [_SYM_MATH] + [_Sym(x) for x in c] + list(op.params))
            if not isinstance(value, _Sym):  # no such form: call the table's function
                value = _Sym(f"{call(op.value)}({', '.join(c + params)})")
            lines.append(f"    {out} = {value.code}")
            grads: Sequence[_Sym | float] | None = _trace(
                op.grads, [_SYM_MATH, _Sym(out)] + [_Sym(x) for x in c] + list(op.params)
            )
            if grads is None:  # the rule branches on the data: call it, as eager mode does
                if op not in rules:
                    rules[op] = _float_grads(op)
                lines.append(f"    {out}d = {call(rules[op])}({', '.join([out, *c])})")
                grads = [_Sym(f"{out}d[{k}]") for k in range(len(c))]
            local[v] = []
            for k, d in enumerate(grads):
                if isinstance(d, _Sym) and d.code not in c:
                    lines.append(f"    {out}d{k} = {d.code}")
                    d = _Sym(f"{out}d{k}")
                local[v].append("" if type(d) is float and d == 1.0 else d.code if isinstance(d, _Sym) else _literal(d))
    lines.append("    while True:")
    lines.append(f"        g = yield {name[order[0]]}")
    lines.extend("        " + line for line in _backward_lines(order, index, captured, name, local))
    return "\n".join(lines) + "\n", names


def _float_grads(op: ops.Op) -> Callable[..., Sequence[float]]:
    """The op's rule on floats, as eager mode runs it (ops.evaluate), for one bound op."""

    def grads(y: float, *xs: float) -> Sequence[float]:
        return ops.derivatives(op, y, xs)

    return grads


def _backward_lines(
    order: list[Value],
    index: dict[Value, int],
    captured: tuple[Value, ...],
    name: dict[Value, str],
    local: dict[Value, list[str]],
) -> list[str]:
    """``child.grad += local * g`` for every edge, nodes in the engine's order (root first).

    An intermediate node's gradient is a local variable: set by its first edge, added to by the others
    (the engine starts from 0.0 and adds in the same order). A leaf's contributions are summed the same
    way and then added to its ``.grad`` once, as the engine adds the previous grads back at the end.
    """
    lines: list[str] = []
    root = order[0]
    grad = {root: "g"}
    alias: set[Value] = set()  # gradient names that belong to a parent ("+" passes its gradient through unchanged)
    edges: dict[Value, int] = {}  # leaf -> number of edges into it
    for v in order:
        if not v.is_leaf and v not in index:
            for child in v.children:
                if child.is_leaf or child in index:
                    edges[child] = edges.get(child, 0) + 1
    leaf_grads = [root] if root.is_leaf or root in index else []
    for v in order:
        if v.is_leaf or v in index:
            continue
        g = grad[v]
        for child, expr in zip(v.children, local[v]):
            term = f"{expr} * {g}" if expr else g
            own = f"g{name[child]}"
            if child in edges and edges[child] == 1:
                lines.append(f"{_grad_of(child, index, name)} += {term}")  # the leaf's only edge
            elif child not in grad:
                if not expr and child not in edges:
                    grad[child] = g  # the first and maybe only contribution is g itself: no line
                    alias.add(child)
                    continue
                grad[child] = own
                lines.append(f"{own} = {term}")
                if child in edges:
                    leaf_grads.append(child)
            elif child in alias:
                alias.discard(child)
                lines.append(f"{own} = {grad[child]} + {term}")
                grad[child] = own
            else:
                lines.append(f"{own} += {term}")
    for leaf in leaf_grads:
        lines.append(f"{_grad_of(leaf, index, name)} += {grad[leaf]}")
    return lines


def _grad_of(leaf: Value, index: dict[Value, int], name: dict[Value, str]) -> str:
    """The expression of a leaf's .grad: an argument L[i] or a captured leaf K[i]."""
    return f"L[{index[leaf]}].grad" if leaf in index else f"K[{name[leaf][1:]}].grad"
