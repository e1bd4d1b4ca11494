"""Compiled replay: trace a fixed-shape function once, then replay its forward and backward fast.

``fast = compile(fn)``: the first call ``fast(*leaves)`` runs ``fn`` eagerly and writes the graph it built down
as a *tape*: one instruction per node (an op of the table and the positions of its operands). Later calls
with as many leaves replay the tape on the leaves' current ``.data`` and build no Value at all. The work comes
in tiers, as a JIT's does:

1. **the tape**, made at the trace (a couple of µs a node): its replay evaluates each op with the table's own
   functions (`ops.evaluate`, as eager mode does) and adds the gradients in the engine's order;
2. **generated Python source**, once a program has been replayed ``source_after`` times: one line per node
   forward, one line per edge backward, every number a plain local variable, every op's value and derivative
   written out from the table (by running its rule on symbols), so nothing is called back in the table.
   Generating and compiling the source costs some 20 µs a node, which a program replayed often pays back;
3. **a cache keyed by the graph's structure** (the ops and how they connect, not the numbers): a second trace
   of the same shape, by another `compile` of the same function or of another model of the same architecture,
   finds the tape and the source made for the first.

Results equal eager mode bit for bit in every tier: the same float expressions, the gradients added in the
engine's order.

The limit: the replay repeats the *traced* graph. A function whose graph depends on the data (a Python ``if``
on ``.data``, a loop whose length depends on a value) must not be compiled, or only with ``check=True``, which
traces every call again and raises `GraphChanged` when the graph differs.
"""

import builtins
import math
import threading
from collections import OrderedDict
from collections.abc import Callable, Generator, Sequence
from typing import Any, TypeVar, cast

from . import ops
from .engine import BACKWARD_LOCK, Value, op_of, topological_order
from .grad_mode import GRAD, mode
from .methods import real
from .names import naming
from .symbols import Symbol, Untraceable

__all__ = ["compile", "Compiled", "CompiledResult", "GraphChanged", "clear_cache"]

# Replays of a program before its Python source is generated. Measured per op node (the MLP's per-point loss, a
# chain, the RNN): a replay of the tape costs 1.1-2.4 µs more than one of the source, and generating the source
# 50-160 µs, so the source pays for itself after some 30-70 replays.
SOURCE_AFTER = 50


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


def compile(fn: Callable[..., Value], check: bool = False, source_after: int = SOURCE_AFTER) -> "Compiled":
    """Trace ``fn(*leaves) -> Value`` on the first call, replay it on later calls.

    ``source_after``: the replays of the tape after which Python source is generated for the graph (0: at the
    second call; a large number: never).

    >>> from autograd import Value
    >>> f = compile(lambda a, b: (a * b + b).tanh())
    >>> a, b = Value(0.5), Value(-1.0)
    >>> r = f(a, b)          # traces
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
    if type(source_after) is not int or source_after < 0:
        raise TypeError(f"compile: source_after must be an int >= 0 (replays of the tape), got {source_after!r}")
    return Compiled(fn, check, source_after)


class Compiled:
    """A compiled function (made by `compile`). Call it with Values; one program per number of leaves.

    >>> f = compile(lambda x: x * x)
    >>> f(Value(3.0)).data
    9.0
    >>> f.tier(1)
    'tape'
    >>> print(f.source(1).splitlines()[0])
    def replay(L, K):
    >>> f.tier(1)
    'source'
    """

    def __init__(self, fn: Callable[..., Value], check: bool = False, source_after: int = SOURCE_AFTER) -> None:
        self.fn = fn
        self.check = check
        self.source_after = source_after
        # number of leaves -> (the program of the traced graph, the leaves fn reached besides its arguments)
        self._programs: dict[int, tuple[_Program, tuple[Value, ...]]] = {}
        # number of leaves -> the first traced graph's output and its arguments, for `source`'s comments (the
        # program is shared by every graph of its shape; the names are this function's)
        self._traced: dict[int, tuple[Value, dict[Value, int]]] = {}

    def __call__(self, *leaves: Value) -> "CompiledResult":
        """Replay on the leaves' current data; trace first if this number of leaves is new.

        Returns a `CompiledResult`. Under ``no_grad()`` and ``detect_anomaly()`` ``fn`` runs eagerly,
        and so does a call whose data reach the edge of an op's domain (the engine's error, or value).
        """
        entry = self._programs.get(len(leaves))
        traced: Value | None = None
        if entry is None or self.check or mode() != GRAD:
            if mode() != GRAD:
                # Under no_grad() or detect_anomaly() the function runs eagerly, exactly as uncompiled
                # (no graph, or every op checked for NaN and infinities).
                out = _value(self.fn(*leaves), self.fn)
                return CompiledResult(out.data, out.backward)
            first = entry is None
            entry, traced = self._trace(leaves, entry)
            if first and traced is not None:
                # the first call: the graph just built is the result (its backward is eager mode's own)
                return CompiledResult(traced.data, traced.backward)
        program, captured = entry
        if program.function is None and program.replays >= self.source_after:
            program.generate(leaves, captured)
        replay = program.replay(leaves, captured)
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
        if self.check and traced is not None and not _same(data, traced.data):
            raise GraphChanged(
                f"compiled {_name(self.fn)} (check=True): same graph, but the replay gives "
                f"{data!r} where the function gives {traced.data!r}"
            )
        return CompiledResult(data, replay.send)

    def _trace(
        self, leaves: tuple[Value, ...], entry: "tuple[_Program, tuple[Value, ...]] | None"
    ) -> "tuple[tuple[_Program, tuple[Value, ...]], Value | None]":
        """Run fn eagerly; return (the program of its graph and the leaves it reached, the output, or None if
        the output's own backward would differ from the replay's). With an entry (check=True), compare the new
        graph with its program and raise GraphChanged if they differ."""
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
        key, captured = _structure(topological_order(out, leaves=index), index)
        # The graph just built is the first call's result when its backward is the replay's: every argument a
        # leaf (the replay stops at an argument that has a graph of its own) and none passed twice.
        result = out if self.check or (len(set(leaves)) == len(leaves) and all(v.is_leaf for v in leaves)) else None
        if entry is None:
            entry = self._programs[len(leaves)] = (_cached(key), captured)
            self._traced[len(leaves)] = (out, index)
            return entry, result
        difference = _compare(entry, key, captured)
        if difference:
            raise GraphChanged(
                f"compiled {_name(self.fn)} (check=True): the graph differs from the traced one: "
                f"{difference}. The graph depends on the data (a Python `if` on .data?), so it "
                f"cannot be replayed: call the function uncompiled"
            )
        return entry, out

    def tier(self, n_leaves: int) -> str:
        """How the program for ``n_leaves`` leaves replays now: 'tape', or 'source' (generated Python)."""
        return "tape" if self._entry(n_leaves)[0].function is None else "source"

    def source(self, n_leaves: int) -> str:
        """The generated Python source of the program for ``n_leaves`` leaves (traced already); generated now
        if it was not yet, and replayed from then on. Each node's line ends with a comment naming it as the
        pictures and `explain` name the first traced graph (`autograd.names`): ``# e = a + d``."""
        program, captured = self._entry(n_leaves)
        if program.function is None:
            program.generate(None, captured)
        out, index = self._traced[n_leaves]
        called = naming(out)
        comments = [
            called[v] if v.is_leaf else f"{called[v]} = {called.formula(v)}"
            for v in reversed(topological_order(out, leaves=index))
        ]
        return _generate(_entries(program.key), comments)[0]

    def _entry(self, n_leaves: int) -> "tuple[_Program, tuple[Value, ...]]":
        if n_leaves not in self._programs:
            raise KeyError(
                f"compiled {_name(self.fn)}: no program for {n_leaves!r} leaves yet; traced: {sorted(self._programs)}"
            )
        return self._programs[n_leaves]

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


# ---- the trace: a graph's structure, and the tape that replays it ----

# One node of a traced graph, in forward order (operands first): ("input", argument index), ("leaf", index among
# the captured leaves: parameters a closure reaches, constants made inside fn), or (the op, the positions of its
# operands). The last node is the output.
_Entry = tuple[str, int] | tuple[ops.Op, tuple[int, ...]]
# A structure as the cache keys it: the entries in one flat tuple, "input" i, "leaf" j, or op n c1 ... cn (one
# object for the collector to walk, not two a node).
_Key = tuple[object, ...]

# A replay, ``replay(L, K)`` (L the arguments, K the captured leaves): yields the output's data, then runs a
# backward pass per gradient sent to it.
_Replay = Callable[[Sequence[Value], Sequence[Value]], Generator[float, float, None]]


def _structure(order: list[Value], index: dict[Value, int]) -> tuple[_Key, tuple[Value, ...]]:
    """The structure of a graph given root first, and the leaves it reached besides the arguments in ``index``."""
    position: dict[Value, int] = {}
    at = position.__getitem__
    key: list[object] = []
    add, extend = key.append, key.extend
    captured: list[Value] = []
    for p, v in enumerate(reversed(order)):
        position[v] = p
        if v in index:
            extend(("input", index[v]))
            continue
        op = op_of(v)
        if op is None:
            extend(("leaf", len(captured)))
            captured.append(v)
        else:
            children = v.children
            add(op)
            add(len(children))
            extend(map(at, children))
    return tuple(key), tuple(captured)


def _entries(key: _Key) -> list[_Entry]:
    """The nodes of a structure, one entry each (see `_Entry`)."""
    entries: list[_Entry] = []
    k = 0
    while k < len(key):
        kind = key[k]
        if isinstance(kind, ops.Op):
            n = cast(int, key[k + 1])
            entries.append((kind, cast(tuple[int, ...], key[k + 2 : k + 2 + n])))
            k += 2 + n
        else:
            entries.append((cast(str, kind), cast(int, key[k + 1])))
            k += 2
    return entries


# structure -> its program, shared by every compiled function; the least recently traced shapes are dropped
# beyond _CACHE_NODES nodes in all (a program lives on in the compiled functions that hold it)
_CACHE: "OrderedDict[_Key, _Program]" = OrderedDict()
_CACHE_NODES = 10**6
_CACHE_LOCK = threading.Lock()


def _cached(key: _Key) -> "_Program":
    """The program of a structure: the one made for an earlier trace of the same shape, or a new one."""
    with _CACHE_LOCK:
        program = _CACHE.get(key)
        if program is not None:
            _CACHE.move_to_end(key)
            return program
        program = _CACHE[key] = _Program(key)
        total = sum(p.size for p in _CACHE.values())
        while total > _CACHE_NODES and len(_CACHE) > 1:
            total -= _CACHE.popitem(last=False)[1].size
        return program


def clear_cache() -> None:
    """Forget every traced shape: the next trace of any graph makes a new tape (benchmarks time a first trace so).

    >>> clear_cache()
    """
    with _CACHE_LOCK:
        _CACHE.clear()


class _Program:
    """The replay of one graph structure: its tape, and once it has been replayed often, its generated source."""

    def __init__(self, key: _Key) -> None:
        self.key = key
        # the tape, in columns (few objects for the collector): where each leaf's number comes from, and per op
        # node its position, op and operands' positions; read from the key in one pass (see `_entries`)
        self.loads: list[tuple[int, bool, int]] = []  # (position, an argument (else a captured leaf), its index)
        self.positions: list[int] = []
        self.ops: list[ops.Op] = []
        self.children: list[tuple[int, ...]] = []
        load, position, op, children = self.loads.append, self.positions.append, self.ops.append, self.children.append
        flat: tuple[Any, ...] = key
        k, p, end = 0, 0, len(flat)
        while k < end:
            kind = flat[k]
            if type(kind) is str:  # "input" i or "leaf" j
                load((p, kind == "input", flat[k + 1]))
                k += 2
            else:  # an op, its operand count, its operands' positions
                n = flat[k + 1]
                position(p)
                op(kind)
                children(flat[k + 2 : k + 2 + n])
                k += 2 + n
            p += 1
        self.size = p
        self.replays = 0
        self.function: _Replay | None = None
        self.source: str | None = None
        self._lock = threading.Lock()

    def replay(self, L: Sequence[Value], K: Sequence[Value]) -> Generator[float, float, None]:
        """A replay on the leaves' current data: the generated source's, or the tape's."""
        if self.function is not None:
            return self.function(L, K)
        self.replays += 1
        return self.tape(L, K)

    def tape(self, L: Sequence[Value], K: Sequence[Value]) -> Generator[float, float, None]:
        """The tape's replay: every op evaluated with the table's functions as eager mode evaluates it (where the
        data leave an op's domain, `_Fallback`: the call is redone eagerly, for the engine's error), the
        gradients added in the engine's order."""
        values = [0.0] * self.size
        for p, argument, i in self.loads:
            values[p] = (L if argument else K)[i].data
        local: list[tuple[float, ...]] = []
        derivatives = ops.derivatives
        for p, op, children in zip(self.positions, self.ops, self.children):
            xs = [values[c] for c in children]
            if op.domain is not None and op.domain(*xs, *op.params) is not None:
                raise _Fallback
            values[p] = y = op.value(*xs, *op.params)
            local.append(derivatives(op, y, xs))
        leaves = [((L if argument else K)[i], p) for p, argument, i in self.loads]
        backward = list(zip(self.positions[::-1], self.children[::-1], local[::-1]))
        root = self.size - 1
        while True:
            g = yield values[root]
            # a leaf's contributions are summed from -0.0 (x + -0.0 is x, exactly) and added to its .grad once,
            # which is what the engine's accumulation into .grad comes to; other nodes start from 0.0, as new
            grads = [0.0] * self.size
            for _, p in leaves:
                grads[p] = -0.0
            grads[root] = g
            for p, children, ds in backward:
                gp = grads[p]
                for c, d in zip(children, ds):
                    grads[c] += d * gp
            for leaf, p in leaves:
                leaf.grad += grads[p]

    def generate(self, L: Sequence[Value] | None, K: Sequence[Value]) -> None:
        """Generate, compile and check the Python source; replays use it from now on."""
        with self._lock:
            if self.function is not None:
                return
            source, names = _generate(_entries(self.key))
            namespace = dict(names, _Fallback=_Fallback, inf=math.inf, nan=math.nan)
            exec(builtins.compile(source, f"<compiled {self.size} nodes>", "exec"), namespace)
            function = cast(_Replay, namespace["replay"])
            if L is not None:
                # Internal invariant: the source reproduces the tape (the same expressions, the same bits).
                try:
                    expected, data = next(self.tape(L, K)), next(function(L, K))
                except (ArithmeticError, ValueError, _Fallback):
                    pass  # at an edge of an op's domain the replay defers to eager mode; nothing to compare
                else:
                    assert _same(data, expected), "the generated source differs from the tape"
            self.source, self.function = source, function


def _compare(entry: "tuple[_Program, tuple[Value, ...]]", key: _Key, captured: tuple[Value, ...]) -> str:
    """'' if a new trace replays the same computation as the program, else the first difference, in words."""
    program, old_captured = entry
    old, new = _entries(program.key), _entries(key)
    if len(old) != len(new):
        return f"it had {len(old)} nodes, now {len(new)}"
    for i, (a, b) in enumerate(zip(old, new)):
        if a != b and _describe(a) != _describe(b):  # (an op bound anew to the same parameters is the same op)
            return f"node {i} was {_describe(a)}, now {_describe(b)}"
        if a[0] == "leaf":  # the same leaf object (a parameter), or a constant rebuilt with the same value
            u, v = old_captured[a[1]], captured[cast(int, b[1])]
            if u is not v and not _same(u.data, v.data):
                return f"node {i} is a constant that was {u.data!r}, now {v.data!r}"
    return ""


def _describe(entry: _Entry) -> str:
    kind, arg = entry
    if kind == "input":
        return f"argument {arg}"
    if kind == "leaf":
        return "a leaf"
    return f"op {cast(ops.Op, kind).title!r} of nodes {list(cast(tuple[int, ...], arg))}"


def _same(a: float, b: float) -> bool:
    """Bit-equal floats (NaN equals NaN; 0.0 and -0.0 differ)."""
    return (a == b and math.copysign(1.0, a) == math.copysign(1.0, b)) or (a != a and b != b)


# ---- code generation: lines per node forward, one line per edge backward ----


class _Sym(Symbol):
    """A float known only by name in the generated code: arithmetic on it writes the expression.

    Every operation is parenthesised, so the generated expression evaluates exactly as the rule did.
    """

    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def _binary(self, kind: str, other: object, reverse: bool) -> "_Sym":
        if isinstance(other, _Sym):
            right = other.code
        elif type(other) is float:
            right = _literal(other)
        else:  # an int (sum()'s start) or anything else: the rule is not plain float arithmetic
            raise Untraceable
        return _Sym(f"({right} {kind} {self.code})" if reverse else f"({self.code} {kind} {right})")

    def _unary(self, kind: str) -> "_Sym":
        return _Sym(f"(-{self.code})" if kind == "neg" else f"abs({self.code})")


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
    raise Untraceable


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
    except (Untraceable, TypeError):
        return None


def _looks_at_data(domain: Callable[..., object], args: Sequence[object]) -> bool:
    """Whether an op's domain check depends on the operands' data (else it passed at the trace, for good)."""
    try:
        domain(*args)
    except (Untraceable, TypeError):
        return True
    return False


def _local_names(structure: list[_Entry]) -> list[str]:
    """The name of each node in generated source: ``x{i}`` argument i, ``k{j}`` captured leaf j, ``v{p}`` the op
    node at position p. (The one place that names nodes in generated code.)"""
    names = []
    for p, (kind, arg) in enumerate(structure):
        names.append(f"x{arg}" if kind == "input" else f"k{arg}" if kind == "leaf" else f"v{p}")
    return names


def _generate(structure: list[_Entry], comments: Sequence[str] | None = None) -> tuple[str, dict[str, object]]:
    """Python source of ``replay(L, K)``, and the names it uses: a generator that computes every value
    and local derivative, yields the output's data, then runs the backward pass each time a gradient is
    sent to it. L are the argument Values, K the captured leaves. Anything that raises (a domain
    error) raises before the first yield, so the call can be redone eagerly. With ``comments`` (one per
    node), each node's line ends with its comment: how the pictures and `explain` name it, ``# e = a + d``."""

    def note(p: int) -> str:
        return f"  # {_comment(comments[p])}" if comments is not None else ""

    names: dict[str, object] = {"abs": builtins.abs, **vars(ops.FLOATS)}
    functions: dict[int, str] = {}  # id(function) -> its name in the generated code
    rules: dict[ops.Op, Callable[..., Sequence[float]]] = {}  # op -> its rule on floats (one function per bound op)

    def call(fn: object) -> str:
        if id(fn) not in functions:
            functions[id(fn)] = f"f{len(functions)}"
            names[functions[id(fn)]] = fn
        return functions[id(fn)]

    name = _local_names(structure)
    lines = ["def replay(L, K):"]
    lines += [f"    {name[p]} = K[{arg}].data{note(p)}" for p, (kind, arg) in enumerate(structure) if kind == "leaf"]
    local: dict[int, list[str]] = {}  # node -> the expression of each local derivative ('' means exactly 1.0)
    for p, (kind, arg) in enumerate(structure):  # operands before the nodes that use them
        if kind == "input":
            lines.append(f"    {name[p]} = L[{arg}].data{note(p)}")
        elif isinstance(kind, ops.Op):
            op, out = kind, name[p]
            c = [name[child] for child in cast(tuple[int, ...], arg)]
            params = [_literal(q) for q in op.params]
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
            lines.append(f"    {out} = {value.code}{note(p)}")
            grads: Sequence[_Sym | float] | None = _trace(
                op.grads, [_SYM_MATH, _Sym(out)] + [_Sym(x) for x in c] + list(op.params)
            )
            if grads is None:  # the rule branches on the data: call it, as eager mode does
                if op not in rules:
                    rules[op] = _float_grads(op)
                lines.append(f"    {out}d = {call(rules[op])}({', '.join([out, *c])})")
                grads = [_Sym(f"{out}d[{k}]") for k in range(len(c))]
            local[p] = []
            for k, d in enumerate(grads):
                if isinstance(d, _Sym) and d.code not in c:
                    lines.append(f"    {out}d{k} = {d.code}")
                    d = _Sym(f"{out}d{k}")
                local[p].append("" if type(d) is float and d == 1.0 else d.code if isinstance(d, _Sym) else _literal(d))
    lines.append("    while True:")
    lines.append(f"        g = yield {name[-1]}")
    lines.extend("        " + line for line in _backward_lines(structure, name, local))
    return "\n".join(lines) + "\n", names


def _comment(text: str) -> str:
    """text as a comment of generated code: one line of printable characters, at most 60 of them."""
    text = text if len(text) <= 60 else text[:59] + "…"
    return "".join(c if c.isprintable() else ascii(c)[1:-1] for c in text)


def _float_grads(op: ops.Op) -> Callable[..., Sequence[float]]:
    """The op's rule on floats, as eager mode runs it (ops.evaluate), for one bound op."""

    def grads(y: float, *xs: float) -> Sequence[float]:
        return ops.derivatives(op, y, xs)

    return grads


def _backward_lines(structure: list[_Entry], name: list[str], local: dict[int, list[str]]) -> list[str]:
    """``child.grad += local * g`` for every edge, nodes in the engine's order (the output first).

    An intermediate node's gradient is a local variable: set by its first edge, added to by the others
    (the engine starts from 0.0 and adds in the same order). A leaf's contributions are summed the same
    way and then added to its ``.grad`` once, as the engine adds the previous grads back at the end.
    """

    def is_leaf(p: int) -> bool:
        return not isinstance(structure[p][0], ops.Op)

    def grad_of(p: int) -> str:  # the expression of a leaf's .grad: an argument L[i] or a captured leaf K[j]
        kind, arg = structure[p]
        return f"L[{arg}].grad" if kind == "input" else f"K[{arg}].grad"

    lines: list[str] = []
    root = len(structure) - 1
    grad = {root: "g"}
    alias: set[int] = set()  # gradient names that belong to a parent ("+" passes its gradient through unchanged)
    edges: dict[int, int] = {}  # leaf -> number of edges into it
    for kind, arg in structure:
        if isinstance(kind, ops.Op):
            for child in cast(tuple[int, ...], arg):
                if is_leaf(child):
                    edges[child] = edges.get(child, 0) + 1
    leaf_grads = [root] if is_leaf(root) else []
    for p in range(root, -1, -1):
        kind, arg = structure[p]
        if not isinstance(kind, ops.Op):
            continue
        g = grad[p]
        for child, expr in zip(cast(tuple[int, ...], arg), local[p]):
            term = f"{expr} * {g}" if expr else g
            own = f"g{name[child]}"
            if child in edges and edges[child] == 1:
                lines.append(f"{grad_of(child)} += {term}")  # the leaf's only edge
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
        lines.append(f"{grad_of(leaf)} += {grad[leaf]}")
    return lines
