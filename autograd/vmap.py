"""Batched replay: `vmap` traces a per-point function once and replays it over arrays of points.

A loss over N points is N copies of one scalar graph. ``vmap(point_loss)(xs, ys)`` runs ``point_loss``
eagerly on the first point, reads the graph it built, and replays that graph over numpy arrays of all N
points: every op of the table has a batched form (its value with ``m.where`` where the float value
branches, or the numpy function of the same name; its derivative rule, which already runs on arrays), and
a node that is a sum of (shared Value x batched value) products is a row of a matrix product: the rows that
share their batched operands (a layer's neurons) become one ``@``. Nodes that read only shared Values (an L2
term over the parameters) are computed once per call, in a plan of their own. Both plans are written out as one
numpy function (`Vmapped.source`): an op's value and derivative traced on symbols share their subexpressions
(relu's mask), and every (rows, N) array lives in a buffer of a pool kept between calls.

To the engine the result is one more n-ary op: its children are the shared Values the function reached (a
model's parameters, shared arguments), its local derivatives the batch's summed gradients, computed in the
forward pass. So ``backward()`` fills the parameters' ``.grad`` and optimizers work unchanged.

numpy is imported on the first call (``pip install numpy``); ``import autograd`` does not need it.
"""

from __future__ import annotations

import math
import re
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from . import ops
from .engine import Value, apply, op_of, topological_order
from .grad_mode import GRAD, enable_grad, mode, scope
from .symbols import Symbol, Untraceable

__all__ = ["vmap", "Vmapped", "BatchingError", "BatchingWarning", "batched_value"]


class BatchingError(ValueError):
    """The function cannot be replayed over the batch: its graph differs between points.

    >>> import math
    >>> f = vmap(lambda x: x * x if x.data > 0 else x.sin())
    >>> f([1.0, -1.0])
    Traceback (most recent call last):
    ...
    autograd.vmap.BatchingError: vmap(<lambda>): the graph at point 1 differs from the one traced ...
    """


class BatchingWarning(UserWarning):
    """An op has no batched form, or the batch reached the edge of an op's domain: the call ran eagerly."""


def _numpy() -> Any:
    try:
        import numpy
    except ImportError:
        raise ImportError(
            "autograd.vmap needs numpy, which is not installed: pip install numpy (or pip install 'chaingrad[batch]')"
        ) from None
    return numpy


# numpy's names for the functions of `math` that it spells differently
_NUMPY_NAMES = {
    "asin": "arcsin",
    "acos": "arccos",
    "atan": "arctan",
    "asinh": "arcsinh",
    "acosh": "arccosh",
    "atanh": "arctanh",
    "atan2": "arctan2",
}

_arrays: ops.Namespace | None = None  # m for arrays: each named op's batched value, numpy.where and floor_divide
_values: dict[ops.Op, Callable[..., Any]] = {}  # op (bound) -> its value on arrays


def _namespace() -> ops.Namespace:
    global _arrays
    if _arrays is None:
        np = _numpy()
        functions: dict[str, Callable[..., Any]] = {"where": np.where, "floordiv": np.floor_divide}
        _arrays = ops.Namespace(functions)
        # the ops without a batched form first: the batched forms call them (sigmoid's calls m.exp)
        for name, op in sorted(ops.NAMED.items(), key=lambda item: item[1].batched is not None):
            setattr(_arrays, name, batched_value(op))
    return _arrays


def batched_value(op: ops.Op) -> Callable[..., Any]:
    """The value of ``op`` on numpy arrays, from its entry in the table: its ``batched`` form (written with
    ``m.where``), else the numpy function of its ``math_name``, else its value function (arithmetic).
    Raises NotImplementedError naming the op if none of them works on arrays.

    >>> import numpy as np
    >>> batched_value(ops.RELU)(np.array([-1.0, 2.0]))
    array([0., 2.])
    """
    known = _values.get(op)
    if known is not None:
        return known
    np = _numpy()
    function: Callable[..., Any]
    if op.batched is not None:
        batched = op.batched

        def function(*xs: Any) -> Any:
            return batched(_namespace(), *xs)

    elif op.math_name is not None:
        function = getattr(np, _NUMPY_NAMES.get(op.math_name, op.math_name), None) or np.vectorize(
            op.value,
            otypes=[float],  # erf, erfc: numpy has none; math's, element by element
        )
    else:
        function = op.value
    count = 3 if op.arity < 0 else op.arity
    probe = [np.linspace(lo, hi, 4).reshape(2, 2) for lo, hi in (op.samples * count)[:count]]
    try:
        with np.errstate(all="ignore"):
            shape = np.shape(function(*probe, *op.params))
    except (TypeError, ValueError) as e:
        raise NotImplementedError(
            f"vmap: the op {op.title!r} has no batched form ({type(e).__name__}: {e}); give its entry in "
            f"autograd/ops.py a `batched` value written with m.where"
        ) from None
    if shape != (2, 2):
        raise NotImplementedError(f"vmap: the op {op.title!r} gives shape {shape} on (2, 2) arrays")
    _values[op] = function
    return function


def vmap(
    fn: Callable[..., Value], in_axes: int | Sequence[int | None] | None = 0, reduce: str = "sum", check: bool = False
) -> Vmapped:
    """``fn`` over a batch of points, summed (or averaged): one Value whose gradient flows to the shared Values.

    ``fn`` takes scalars (Values or numbers) and returns a Value. An argument with axis 0 is a sequence or
    a 1-d numpy array of N numbers, one per point; one with axis None is shared by all points (a Value,
    whose gradient is filled, or a number). Values that ``fn`` closes over (a model's parameters) are
    shared too. The names follow JAX.

    The graph is traced on the first call (at the first point, and checked at the middle and the last one);
    later calls replay it. ``check=True`` traces ``fn`` again at those three points on every call and raises
    `BatchingError` if the graph differs (a branch on the data, a closed-over Value replaced by another).

    >>> from autograd import Value
    >>> w = Value(2.0)
    >>> loss = vmap(lambda x, y: (w * x - y) ** 2)
    >>> total = loss([1.0, 2.0, 3.0], [2.0, 4.0, 5.0])
    >>> total.data, loss.outputs.tolist()
    (1.0, [0.0, 0.0, 1.0])
    >>> total.backward(); w.grad  # d/dw of the sum: 2 (w x - y) x, summed over the points
    6.0
    """
    if not callable(fn):
        raise TypeError(f"vmap: fn must be callable, got {fn!r} of type {type(fn).__name__}")
    if reduce not in ("sum", "mean"):
        raise ValueError(f"vmap: reduce must be 'sum' or 'mean', got {reduce!r}")
    if not (in_axes is None or type(in_axes) is int or isinstance(in_axes, (tuple, list))):
        raise TypeError(f"vmap: in_axes must be 0, None or a sequence of them (one per argument), got {in_axes!r}")
    axes = tuple(in_axes) if isinstance(in_axes, (tuple, list)) else in_axes
    for a in axes if isinstance(axes, tuple) else (axes,):
        if a is not None and (type(a) is not int or a != 0):
            raise ValueError(f"vmap: an axis must be 0 (batched) or None (shared), got {a!r} in in_axes={in_axes!r}")
    if type(check) is not bool:
        raise TypeError(f"vmap: check must be True or False, got {check!r}")
    return Vmapped(fn, axes, reduce, check)


class Vmapped:
    """A function mapped over a batch (made by `vmap`). Call it with the arguments of ``fn``, batched ones
    as arrays; ``outputs`` holds the per-point values of the last call, as a numpy array."""

    def __init__(
        self, fn: Callable[..., Value], in_axes: int | tuple[int | None, ...] | None, reduce: str, check: bool = False
    ) -> None:
        self.fn = fn
        self.in_axes = in_axes
        self.reduce = reduce
        self.check = check
        self.outputs: Any = None
        self._programs: dict[tuple[Any, ...], _Program] = {}

    def __call__(self, *args: Any) -> Value:
        """The sum (or mean) of ``fn`` over the points, as one Value; traced on the first call of each shape."""
        np = _numpy()
        axes = self.in_axes if isinstance(self.in_axes, tuple) else (self.in_axes,) * len(args)
        if len(axes) != len(args):
            raise TypeError(f"vmap({self.name}): in_axes={self.in_axes!r} names {len(axes)} arguments, got {len(args)}")
        if all(a is None for a in axes):
            raise ValueError(f"vmap({self.name}): no argument is batched (in_axes={self.in_axes!r})")
        batch: list[Any] = []
        for i, (x, a) in enumerate(zip(args, axes)):
            if a is None:
                if not isinstance(x, Value) and (not isinstance(x, (int, float)) or isinstance(x, bool)):
                    raise TypeError(f"vmap({self.name}): shared argument {i} must be a Value or a number, got {x!r}")
                continue
            arr = np.asarray(x)
            if arr.dtype.kind not in "fiu" or arr.ndim != 1:
                raise TypeError(
                    f"vmap({self.name}): batched argument {i} must be a sequence or 1-d array of numbers, got "
                    f"{_short(x)} (dtype {arr.dtype}, {arr.ndim} dimensions); pass Values as shared (in_axes None)"
                )
            batch.append(arr.astype(float, copy=False))
        n = len(batch[0])
        for b in batch:
            if len(b) != n:
                raise ValueError(f"vmap({self.name}): the batched arguments differ in length: {n} and {len(b)}")
        if n == 0:
            raise ValueError(f"vmap({self.name}): the batch is empty")
        key = (axes, tuple(x if a is None and not isinstance(x, Value) else a is None for x, a in zip(args, axes)))
        program = self._programs.get(key)
        if program is None:
            try:
                program = self._programs[key] = self._trace(args, axes, batch)
            except NotImplementedError as e:  # an op without a batched form
                warnings.warn(f"{e}; vmap({self.name}) runs eagerly, point by point", BatchingWarning, stacklevel=2)
                program = self._programs[key] = _EAGER
        elif self.check and program is not _EAGER:
            self._compare(args, axes, batch, program, [0])
        if program is _EAGER:
            return self.eager(args, axes, batch)
        return program.call(self, args, np.stack(batch))

    def plan(self) -> list[str]:
        """The steps of the batched programs traced so far, one line each: ``@ 16x2`` (a matrix product of
        16 rows over 2 batched operands), ``relu x16`` (an op on 16 rows at once).

        >>> from autograd import Value
        >>> w = [Value(1.0), Value(2.0)]
        >>> f = vmap(lambda a, b: (w[0] * a + w[1] * b).relu())
        >>> _ = f([1.0, 2.0], [3.0, 4.0]); f.plan()
        ['@ 1x2', 'relu x1']
        """
        lines = []
        for program in self._programs.values():
            if program is not _EAGER:
                lines += [f"shared {step.describe()}" for step in program.shared_steps]
                lines += [step.describe() for step in program.steps]
        return lines

    def source(self) -> str:
        """The generated numpy programs of the graphs traced so far, to read (one function per graph).

        >>> from autograd import Value
        >>> w = Value(2.0)
        >>> f = vmap(lambda x: (w * x).relu())
        >>> _ = f([1.0, -1.0]); print(f.source().splitlines()[0])
        def program(S, X, B, backward, scale):
        """
        return "\n".join(p.source for p in self._programs.values() if p is not _EAGER)

    @property
    def name(self) -> str:
        return getattr(self.fn, "__name__", None) or repr(self.fn)

    def _point(self, args: Sequence[Any], axes: Sequence[int | None], batch: list[Any], k: int) -> list[Any]:
        it = iter(batch)
        return [x if a is None else Value(float(next(it)[k])) for x, a in zip(args, axes)]

    def _trace(self, args: Sequence[Any], axes: Sequence[int | None], batch: list[Any]) -> _Program:
        """Run fn eagerly on the first point and build the batched program of its graph; check that the
        graph is the same at the middle and the last point."""
        token = f"vmap·{id(self):x}"
        with scope(token), enable_grad():  # the graph is read even when the call is under no_grad()
            point = self._point(args, axes, batch, 0)
            out = self.fn(*point)
        if not isinstance(out, Value):
            raise TypeError(f"vmap({self.name}): fn must return a Value, got {out!r} of type {type(out).__name__}")
        inputs = [v for v, a in zip(point, axes) if a is not None]
        program = _Program(out, inputs, args, token)
        self._compare(args, axes, batch, program, [])
        return program

    def _compare(
        self, args: Sequence[Any], axes: Sequence[int | None], batch: list[Any], program: _Program, also: list[int]
    ) -> None:
        """Trace fn at the middle and the last point (and at the points ``also``); raise BatchingError if a
        graph differs from the program's."""
        token = f"vmap·{id(self):x}"
        n = len(batch[0])
        for k in sorted({n // 2, n - 1, *also}):
            with scope(token), enable_grad():
                point = self._point(args, axes, batch, k)
                inputs = [v for v, a in zip(point, axes) if a is not None]
                shape = _shape(_Graph(self.fn(*point), inputs, token), args)
            if shape != program.shape:
                raise BatchingError(
                    f"vmap({self.name}): the graph at point {k} differs from the one traced (it has {len(shape)} "
                    f"nodes, the traced one {len(program.shape)}, or other ops or shared Values): fn branches on the "
                    f"data (a Python `if` on .data?), or reads a Value that was replaced since. vmap replays one graph "
                    f"for every point: write a branch with an op (relu, maximum, clamp, ...), or sum fn over the "
                    f"points eagerly"
                )

    def eager(self, args: Sequence[Any], axes: Sequence[int | None], batch: list[Any]) -> Value:
        """fn on every point, summed (or averaged) with the engine: the fallback, exact by construction."""
        np = _numpy()
        outs = [self.fn(*self._point(args, axes, batch, k)) for k in range(len(batch[0]))]
        self.outputs = np.array([o.data for o in outs])
        total = apply(ops.SUM, *outs)
        return total if self.reduce == "sum" else total * (1.0 / len(outs))

    def __repr__(self) -> str:
        check = ", check=True" if self.check else ""
        return f"vmap({self.name}, in_axes={self.in_axes!r}, reduce={self.reduce!r}{check})"


def _short(x: object) -> str:
    text = repr(x)
    return text if len(text) < 60 else text[:57] + "..."


# ---- the trace: one per-point graph, its nodes sorted into batched, shared and constant ----


class _Graph:
    """The nodes of a traced per-point graph, inputs and shared Values first (forward order)."""

    def __init__(self, out: Value, inputs: list[Value], token: str) -> None:
        self.out, self.inputs = out, inputs
        # the shared Values: nodes made outside fn (not in its scope); the trace stops at them
        external: list[Value] = []
        seen: set[Value] = set()
        stack = [out]
        while stack:
            v = stack.pop()
            if v in seen:
                continue
            seen.add(v)
            if token not in v.scope:
                external.append(v)
            else:
                stack.extend(v.children)
        self.order = topological_order(out, leaves=set(external))[::-1]  # children first
        position = {v: i for i, v in enumerate(self.order)}
        self.external = sorted(external, key=position.__getitem__)
        self.is_external = set(external)
        index = {v: i for i, v in enumerate(inputs)}
        self.input_index = index
        batched: set[Value] = set(v for v in inputs if v in seen)
        for v in self.order:
            if v not in self.is_external and not v.is_leaf and any(c in batched for c in v.children):
                batched.add(v)
        self.batched = batched


def _shape(g: _Graph, args: Sequence[Any]) -> list[tuple[Any, ...]]:
    """What a second trace must repeat: per node, its kind and op and its children's positions; a shared Value
    is the argument in its place, or the very Value fn reached (a parameter)."""
    arguments = {id(x): i for i, x in enumerate(args) if isinstance(x, Value)}
    position = {v: i for i, v in enumerate(g.order)}
    shape: list[tuple[Any, ...]] = []
    for v in g.order:
        op = op_of(v)
        if v in g.input_index:
            shape.append(("input", g.input_index[v]))
        elif v in g.is_external:
            shape.append(("argument", arguments[id(v)]) if id(v) in arguments else ("shared", id(v)))
        elif op is None:
            shape.append(("constant", v.data))
        else:
            shape.append((op.title, tuple(position[c] for c in v.children)))
    return shape


# ---- the plans: which nodes are computed together, in blocks of rows ----

_LINEAR = ("+", "sum", "dot")


class _Gather:
    """Rows of the blocks of a plan (2-d arrays, one row per node, one column per point), in a given order:
    the whole of one block, a slice of it, rows of it, or pieces of several."""

    def __init__(self, rows: list[tuple[int, int]], sizes: list[int], np: Any) -> None:
        self.count = len(rows)
        blocks = sorted({b for b, _ in rows})
        self.pieces: list[tuple[int, Any, Any, bool]] = []  # (block, its rows, positions here, repeated rows)
        for b in blocks:
            mine = [(p, r) for p, (bb, r) in enumerate(rows) if bb == b]
            positions = [p for p, _ in mine]
            rs = [r for _, r in mine]
            repeated = len(set(rs)) < len(rs)
            index: Any = np.array(rs, dtype=np.intp)
            if not repeated and rs == list(range(rs[0], rs[0] + len(rs))):
                index = slice(rs[0], rs[0] + len(rs))
            self.pieces.append((b, index, np.array(positions, dtype=np.intp), repeated))
        b, index, _, _ = self.pieces[0]
        self.whole = len(blocks) == 1 and isinstance(index, slice) and index == slice(0, sizes[b])
        self.single = len(blocks) == 1
        self.inputs = blocks == [0]  # only the batched arguments: numbers, which need no gradient


class _Elementwise:
    """One op of the table on many nodes at once: each operand a gather of rows, or a slot per row."""

    def __init__(self, op: ops.Op, operands: list[_Gather | Any]) -> None:
        self.op, self.operands = op, operands
        self.rows = operands[0].count if isinstance(operands[0], _Gather) else len(operands[0])
        # an op that can leave its domain (or float range) is checked for NaN and infinities
        self.check = op.domain is not None or op.pole is not None or op.math_name is not None
        batched_value(op)  # NotImplementedError for an op without a batched form

    def describe(self) -> str:
        return f"{self.op.title} x{self.rows}"


class _MatMul:
    """Rows that are sums of (shared x batched) products over the same batched operands: W @ U + bias."""

    def __init__(self, weights: Any, operand: _Gather, bias: Any) -> None:
        self.weights, self.operand, self.bias = weights, operand, bias  # slot indices (R, K) and (R, nb)

    def describe(self) -> str:
        return f"@ {self.weights.shape[0]}x{self.weights.shape[1]}"


class _Plan:
    """The steps that compute a set of nodes, in blocks of rows: the batched nodes over the N points (block 0
    holds the batched arguments), or the shared nodes ``fn`` computes (a regulariser over the parameters),
    once per call, in one column. An operand outside the set is a slot of the shared vector."""

    def __init__(
        self,
        g: _Graph,
        computed: set[Value],
        inputs: list[Value],
        slot: dict[Value, int],
        one: int,
        roots: list[Value],
        uses: dict[Value, int],
        np: Any,
    ) -> None:
        first = set(inputs)

        def inside(v: Value) -> bool:
            return v in computed or v in first

        def pairs(v: Value) -> bool:
            """A dot node whose every (weight, input) pair has one operand inside the set and one outside."""
            children = v.children
            n = len(children) // 2
            return all(inside(w) != inside(x) for w, x in zip(children[:n], children[n : 2 * n]))

        def parts(v: Value) -> list[tuple[Any, ...]]:
            """v's direct parts as a sum: ('t', slot, node) a product term, ('b', slot) a bias, ('x', node) a
            sum inside it (used only there) to expand in place."""
            op, children = _op(v), v.children
            out: list[tuple[Any, ...]] = []
            if op.name == "dot":
                n = len(children) // 2
                pairs_ = zip(children[:n], children[n : 2 * n])
                out += [("t", slot[w], x) if inside(x) else ("t", slot[x], w) for w, x in pairs_]
                children = children[2 * n :]
            for c in children:
                cop = op_of(c)
                if not inside(c):
                    out.append(("b", slot[c]))
                elif cop is not None and cop.name == "*" and inside(c.children[0]) != inside(c.children[1]):
                    a, b = c.children
                    out.append(("t", slot[b], a) if inside(a) else ("t", slot[a], b))
                elif cop is not None and cop.name in _LINEAR and uses[c] == 1 and (cop.name != "dot" or pairs(c)):
                    out.append(("x", c))
                else:
                    out.append(("t", one, c))
            return out

        def linear(v: Value) -> tuple[list[tuple[int, Value]], list[int]] | None:
            """v as a sum of (shared slot x computed node) terms plus shared bias slots, or None. Iterative: a
            chain of 10,000 additions is one sum."""
            if _op(v).name == "dot" and not pairs(v):
                return None
            terms: list[tuple[int, Value]] = []
            biases: list[int] = []
            work = parts(v)[::-1]
            while work:
                item = work.pop()
                if item[0] == "x":
                    work += parts(item[1])[::-1]
                elif item[0] == "t":
                    terms.append((item[1], item[2]))
                else:
                    biases.append(item[1])
            return terms, biases

        # Which nodes are computed, and which of them are rows of a matrix product (root first).
        forms: dict[Value, tuple[list[tuple[int, Value]], list[int]]] = {}
        needed = set(roots)
        for v in reversed(g.order):
            if v not in needed or v not in computed:
                continue
            form = linear(v) if _op(v).name in _LINEAR else None
            if form is not None and (len(form[0]) >= 2 or any(s != one for s, _ in form[0])):
                forms[v] = form
                needed.update(u for _, u in form[0])
            else:
                needed.update(c for c in v.children if inside(c))
        # The order of rows within a block: the order a matrix product downstream takes them in (a layer's
        # outputs in the next layer's order), handed down to the nodes they are computed from, so that
        # every operand is a whole block or a slice of one, not a gather.
        rank: dict[Value, int] = {}
        for v in reversed(g.order):  # consumers first
            if v in forms:
                for k, (_, u) in enumerate(forms[v][0]):
                    rank.setdefault(u, k)
            elif v in needed and v in computed and v in rank:
                for c in v.children:
                    if inside(c):
                        rank.setdefault(c, rank[v])
        # Group the computed nodes into blocks: by depth, then by the same op on the same kinds of operands
        # (or the same operands of a matrix product).
        level: dict[Value, int] = {v: 0 for v in inputs}
        groups: dict[tuple[Any, ...], list[Value]] = {}
        for v in g.order:
            if v not in needed or v not in computed:
                continue
            if v in forms:
                terms, biases = forms[v]
                level[v] = 1 + max(level[u] for _, u in terms)
                key: tuple[Any, ...] = (level[v], "@", tuple(id(u) for _, u in terms), len(biases))
            else:
                op = _op(v)
                level[v] = 1 + max((level[c] for c in v.children if inside(c)), default=0)
                key = (level[v], op.name, op.params, tuple(inside(c) for c in v.children))
            groups.setdefault(key, []).append(v)
        self.row: dict[Value, tuple[int, int]] = {v: (0, i) for i, v in enumerate(inputs)}
        self.sizes = [len(inputs)]
        self.steps: list[_Elementwise | _MatMul] = []
        self.members: list[list[Value]] = [list(inputs)]  # the nodes of each block, in row order
        for key in sorted(groups, key=lambda k: k[0]):  # stable: first appearance within a level
            members = sorted(groups[key], key=lambda v: rank.get(v, -1))  # stable: unranked in order of appearance
            if members[0] in forms:
                terms0 = forms[members[0]][0]
                gather = _Gather([self.row[u] for _, u in terms0], self.sizes, np)
                weights = np.array([[s for s, _ in forms[v][0]] for v in members], dtype=np.intp)
                bias = np.array([forms[v][1] for v in members], dtype=np.intp).reshape(len(members), -1)
                self.steps.append(_MatMul(weights, gather, bias))
            else:
                operands: list[_Gather | Any] = []
                for k, c in enumerate(members[0].children):
                    if inside(c):
                        operands.append(_Gather([self.row[v.children[k]] for v in members], self.sizes, np))
                    else:
                        operands.append(np.array([slot[v.children[k]] for v in members], dtype=np.intp))
                self.steps.append(_Elementwise(_op(members[0]), operands))
            for r, v in enumerate(members):
                self.row[v] = (len(self.sizes), r)
            self.sizes.append(len(members))
            self.members.append(members)
        self.reads: set[int] = set()  # the slots the steps read
        for step in self.steps:
            if isinstance(step, _MatMul):
                self.reads.update(step.weights.ravel().tolist(), step.bias.ravel().tolist())
            else:
                for x in step.operands:
                    if not isinstance(x, _Gather):
                        self.reads.update(x.tolist())


# ---- the generated program: forward and backward of both plans as numpy code ----


class _E(Symbol):
    """An array (or number) of the generated program: a name, or an operation on others, written out as one
    line when it is first used. Made by `_Code.node`, which gives equal expressions one object: a mask that an
    op's value and its derivative both compute is computed once, in the forward pass, and kept for the backward.
    """

    __slots__ = ("args", "code", "kind", "name")

    def __init__(self, code: _Code, kind: str, args: tuple[Any, ...], name: str | None = None) -> None:
        self.code, self.kind, self.args, self.name = code, kind, args, name

    def _binary(self, kind: str, other: Any, reverse: bool) -> _E:
        if not isinstance(other, (_E, float, int)):
            raise Untraceable
        return self.code.node(kind, other, self) if reverse else self.code.node(kind, self, other)

    def _unary(self, kind: str) -> _E:
        return self.code.node(kind, self)


_BINARY = ("+", "-", "*", "/", "%", "**", "<", "<=", ">", ">=")
_COMPARISONS = ("<", "<=", ">", ">=")


_UFUNCS = {
    "+": "add",
    "-": "subtract",
    "*": "multiply",
    "/": "true_divide",
    "%": "remainder",
    "**": "power",
    "<": "less",
    "<=": "less_equal",
    ">": "greater",
    ">=": "greater_equal",
    "neg": "negative",
    "abs": "absolute",
    "not": "invert",
}
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
_Shape = tuple[int, str]  # an array of (rows, N): its rows, and 'f' (float64) or 'b' (bool)


class _Line:
    """One line of the generated program: what it defines (``target``, or None for a statement), how (``kind``:
    'raw' text, 'plain' an allocation numpy makes, 'expr' an operation, 'matmul', 'copy', 'zeros', 'take',
    'empty', 'alias', 'view' of another array), its parts, and the shape of the (rows, N) array it defines."""

    __slots__ = ("kind", "parts", "shape", "target")

    def __init__(self, target: str | None, kind: str, shape: _Shape | None, parts: tuple[Any, ...]) -> None:
        self.target, self.kind, self.shape, self.parts = target, kind, shape, parts

    def reads(self) -> str:
        """The text in which this line reads other locals."""
        if self.kind == "expr":
            return " ".join(self.parts[1])
        if self.kind in ("zeros", "empty"):
            return ""
        return " ".join(p for p in self.parts if isinstance(p, str))


class _Code:
    """The generated program being written: its lines, the names it uses (numpy's functions, index arrays),
    and its expressions. `source` writes it out, with every (rows, N) array it makes in a buffer of a pool
    the program is given: an array that is no longer read lends its buffer to the next one of its shape
    (often in place: relu's value overwrites its operand), so that a call allocates no large array."""

    def __init__(self, np: Any) -> None:
        self.np = np
        self.lines: list[_Line] = []
        arrays = _namespace()
        self.names: dict[str, Any] = {
            "where": np.where,
            "zeros": np.zeros,
            "full": np.full,
            "empty": np.empty,
            "isfinite": np.isfinite,
            "add_at": np.add.at,
            "copyto": np.copyto,
            "take": np.take,
            "matmul": np.matmul,
            "floor_divide": np.floor_divide,
            "inf": math.inf,
            "nan": math.nan,
            "_NonFinite": _NonFinite,
            "M": arrays,  # m for the rules called on arrays
            **{ufunc: getattr(np, ufunc) for ufunc in _UFUNCS.values()},
            **{f"f_{name}": getattr(arrays, name) for name in ops.NAMED},
        }
        self.shapes: dict[str, _Shape | None] = {}  # local -> its shape, for the (rows, N) arrays
        self._nodes: dict[tuple[Any, ...], _E] = {}
        self._leaves: dict[str, _E] = {}
        self._count = 0
        self.m = ops.Namespace(
            {
                **{name: self._call(f"f_{name}") for name in ops.NAMED},
                "where": lambda c, a, b: self.node("where", c, a, b),
                "floordiv": lambda a, b: self.node("call", "floor_divide", a, b),
            }
        )

    def _call(self, function: str) -> Callable[..., _E]:
        return lambda *xs: self.node("call", function, *xs)

    def leaf(self, name: str) -> _E:
        """The local ``name`` as an expression (one object per name: expressions over it are shared)."""
        e = self._leaves.get(name)
        if e is None:
            e = self._leaves[name] = _E(self, "leaf", (), name)
        return e

    def node(self, kind: str, *args: Any) -> _E:
        for a in args:
            if not isinstance(a, (_E, float, int, str)):
                raise Untraceable
        key = (kind, *[("e", id(a)) if isinstance(a, _E) else (type(a).__name__, repr(a)) for a in args])
        e = self._nodes.get(key)
        if e is None:
            e = self._nodes[key] = _E(self, kind, args)
        return e

    def fresh(self, prefix: str) -> str:
        """A new local name."""
        self._count += 1
        return f"{prefix}{self._count}"

    def bind(self, value: Any, prefix: str) -> str:
        """A name for a Python object (an index array, a function) in the program's namespace."""
        name = self.fresh(prefix)
        self.names[name] = value
        return name

    def emit(self, text: str) -> None:
        """A statement, written as given."""
        self.lines.append(_Line(None, "raw", None, (text,)))

    def define(self, target: str, kind: str, shape: _Shape | None, *parts: Any) -> None:
        """A line that defines ``target`` (see `_Line`); the last part of an allocating kind is the text that
        allocates without a buffer (for the shared plan, whose arrays are single columns)."""
        self.shapes[target] = shape
        self.lines.append(_Line(target, kind, shape, parts))

    def text(self, x: Any) -> str:
        """x as an expression of the program: a name (an operation is written out as a line first), or a number."""
        if isinstance(x, _E):
            if x.name is None:
                self._define(self.fresh("t"), x)
            assert x.name is not None
            return x.name
        if type(x) is float and not math.isfinite(x):
            return "nan" if x != x else "inf" if x > 0 else "(-inf)"
        return repr(x)

    def assign(self, name: str, e: Any) -> None:
        """``name = e``: e is written into name (not into a temporary first), and known by it afterwards."""
        if isinstance(e, _E) and e.name is None:
            self._define(name, e)
        else:
            text = self.text(e)
            self.define(name, "alias" if text in self.shapes else "plain", self.shapes.get(text), text)

    def _define(self, name: str, e: _E) -> None:
        args = [a if e.kind == "call" and i == 0 else self.text(a) for i, a in enumerate(e.args)]
        operands = args[1:] if e.kind == "call" else args
        rows = next((s[0] for s in (self.shapes.get(a) for a in operands) if s is not None), None)
        shape = None if rows is None else (rows, "b" if e.kind in _COMPARISONS or e.kind == "not" else "f")
        e.name = name
        self.define(name, "expr", shape, e.kind, args)

    def source(self, header: str, pooled: bool) -> tuple[str, list[_Shape]]:
        """The program's text, and the shapes of the buffers of its pool (none unless ``pooled``)."""
        lines = self.lines
        defined = {line.target for line in lines if line.target is not None}
        reads = [[w for w in _IDENTIFIER.findall(line.reads()) if w in defined] for line in lines]
        last: dict[str, int] = {}
        for k, words in enumerate(reads):
            for w in words:
                last[w] = k
        for line in reversed(lines):  # a view keeps the array it is part of
            if line.kind == "view" and line.target in last and line.parts[0] in defined:
                last[line.parts[0]] = max(last.get(line.parts[0], -1), last[line.target])
        spec: list[_Shape] = []
        buffer: dict[str, int] = {}  # local -> the buffer it is (or a view of)
        holders: dict[int, set[str]] = {}
        whole: set[str] = set()
        free: dict[_Shape, list[int]] = {}

        def new(shape: _Shape) -> int:
            if free.get(shape):
                return free[shape].pop()
            spec.append(shape)
            holders[len(spec) - 1] = set()
            return len(spec) - 1

        def hold(name: str, b: int, is_whole: bool = True) -> None:
            buffer[name] = b
            holders[b].add(name)
            if is_whole:
                whole.add(name)

        out = [header]
        for k, line in enumerate(lines):
            dying = {w for w in reads[k] if last[w] == k}
            if line.target is not None and line.target not in last:
                dying.add(line.target)  # defined and never read (a product added in place right away)
            target, kind, shape, parts = line.target, line.kind, line.shape, line.parts
            if kind == "raw":
                text = parts[0]
            elif kind in ("alias", "view", "plain"):
                text = f"{target} = {parts[-1]}"
                if kind != "plain" and parts[0] in buffer:
                    hold(str(target), buffer[parts[0]], kind == "alias" and parts[0] in whole)
            elif not pooled or shape is None:
                text = f"{target} = {self._allocating(line)}"
            else:
                text = self._pooled(line, dying, buffer, holders, whole, new, hold)
            out.append("    " + text)
            for w in dying:
                b = buffer.pop(w, None)
                if b is not None:
                    holders[b].discard(w)
                    whole.discard(w)
                    if not holders[b]:
                        free.setdefault(spec[b], []).append(b)
        return "\n".join(out) + "\n", spec

    def _allocating(self, line: _Line) -> str:
        """The line's right-hand side, allocating its result (numpy's operators and functions)."""
        if line.kind != "expr":
            return str(line.parts[-1])
        kind, args = line.parts
        if kind in _BINARY:
            return f"({args[0]} {kind} {args[1]})"
        if kind == "neg":
            return f"(-{args[0]})"
        if kind == "abs":
            return f"abs({args[0]})"
        if kind == "not":
            return f"(~{args[0]})"
        if kind == "where":
            return f"where({', '.join(args)})"
        return f"{args[0]}({', '.join(args[1:])})"

    def _pooled(
        self,
        line: _Line,
        dying: set[str],
        buffer: dict[str, int],
        holders: dict[int, set[str]],
        whole: set[str],
        new: Callable[[_Shape], int],
        hold: Callable[[str, int], None],
    ) -> str:
        """The line written into a buffer of the pool: one its operand leaves (in place), or a free one."""
        target, kind, shape, parts = str(line.target), line.kind, line.shape, line.parts
        assert shape is not None

        def lends(w: str) -> bool:  # an operand read here for the last time, whose buffer is its alone
            return w in dying and w in whole and holders[buffer[w]] == {w} and self.shapes.get(w) == shape

        if kind == "expr":
            op, args = parts
            if op == "call":  # numpy's function of an op (np.exp): a ufunc writes into a buffer, others allocate
                function = args[0] if isinstance(self.names.get(args[0]), self.np.ufunc) else None
            else:
                function = _UFUNCS.get(op)
            operands = args[1:] if op == "call" else args
            if op == "where":
                c, a, b = args
                if lends(b):  # where(c, a, b) is b with a copied in where c holds
                    hold(target, buffer[b])
                    return f"copyto({b}, {a}, where={c}); {target} = {b}"
                k = new(shape)
                hold(target, k)
                return f"{target} = B[{k}]; copyto({target}, {b}); copyto({target}, {a}, where={c})"
            if function is None:
                return f"{target} = {self._allocating(line)}"
            lender = next((w for w in operands if lends(w)), None)
            k = buffer[lender] if lender is not None else new(shape)
            hold(target, k)
            return f"{target} = {function}({', '.join(operands)}, out=B[{k}])"
        k = new(shape)
        hold(target, k)
        if kind == "matmul":
            return f"{target} = matmul({parts[0]}, {parts[1]}, out=B[{k}])"
        if kind == "copy":
            return f"{target} = B[{k}]; copyto({target}, {parts[0]})"
        if kind == "zeros":
            return f"{target} = B[{k}]; {target}.fill(0.0)"
        if kind == "take":
            return f"{target} = take({parts[0]}, {parts[1]}, axis=0, out=B[{k}])"
        assert kind == "empty", kind
        return f"{target} = B[{k}]"


def _trace(fn: Callable[..., Any], args: Sequence[Any]) -> Any:
    """fn(*args) on expressions, or None where fn looks at the data."""
    try:
        return fn(*args)
    except (Untraceable, TypeError):
        return None


def _term(code: _Code, d: Any, g: _E) -> _E:
    """d * g, the gradient an edge passes on. A derivative that is a 0/1 mask, ``where(c, 0.0, 1.0)``, is
    applied as ``g * ~c``: one pass instead of two, the same bits (0.0 * g is -0.0 or NaN alike)."""
    if type(d) in (float, int) and d == 1.0:
        return g
    if isinstance(d, _E) and d.kind == "where" and isinstance(d.args[0], _E) and d.args[0].kind in _COMPARISONS:
        c, a, b = d.args
        positive = type(a) is float and type(b) is float and math.copysign(1.0, a) + math.copysign(1.0, b) == 2.0
        if positive and (a, b) in ((0.0, 1.0), (1.0, 0.0)):  # +0.0 and 1.0 (not -0.0)
            return code.node("*", g, code.node("not", c) if a == 0.0 else c)
    return code.node("*", d, g)


class _Writer:
    """Writes one plan's forward and backward passes into a `_Code`. Block k of the plan is the local
    ``{p}{k}`` (``b`` for the batched plan, ``s`` for the shared one), its gradient ``g{p}{k}``. ``wanted``
    says which slots' gradients are asked for (the shared Values and the shared nodes, not constants)."""

    def __init__(self, code: _Code, plan: _Plan, p: str, width: str, wanted: Callable[[int], bool]) -> None:
        self.code, self.plan, self.p, self.width, self.wanted = code, plan, p, width, wanted
        self.operands: list[list[str]] = []  # per step: the names of its operands
        self.has_grad = [False] * len(plan.sizes)  # whether block k's gradient exists yet (backward, statically)
        # whether block k depends on a shared Value, so that gradients must flow into it (not the arguments)
        self.needs = [False] * len(plan.sizes)
        for i, step in enumerate(plan.steps, start=1):
            if isinstance(step, _MatMul):
                slots = [*step.weights.ravel().tolist(), *step.bias.ravel().tolist()]
                self.needs[i] = self._flows(step.operand) or any(map(wanted, slots))
            else:
                self.needs[i] = any(map(self._asks, step.operands))
        if width == "n":  # the batched plan: its blocks are arrays of (rows, N)
            code.shapes["b0"] = (plan.sizes[0], "f")

    def _flows(self, x: _Gather) -> bool:
        return any(self.needs[b] for b, _, _, _ in x.pieces)

    def _asks(self, x: _Gather | Any) -> bool:
        """Whether an operand (rows of blocks, or slots) takes a gradient."""
        return self._flows(x) if isinstance(x, _Gather) else any(map(self.wanted, x.tolist()))

    def _shape(self, rows: int) -> _Shape | None:
        return (rows, "f") if self.width == "n" else None

    def _index(self, index: Any) -> str:
        if isinstance(index, slice):
            return f"{index.start}:{index.stop}"
        return self.code.bind(index, "I")

    def gather(self, x: _Gather) -> str:
        """The rows of x as a name: a whole block's own, else a local holding the slice, the rows or the pieces."""
        code, p = self.code, self.p
        if x.whole:
            return f"{p}{x.pieces[0][0]}"
        name, shape = code.fresh("x"), self._shape(x.count)
        if x.single:
            b, index, _, _ = x.pieces[0]
            if isinstance(index, slice):
                code.define(name, "view", shape, f"{p}{b}", f"{p}{b}[{self._index(index)}]")
            else:
                rows = self._index(index)
                code.define(name, "take", shape, f"{p}{b}", rows, f"{p}{b}[{rows}]")
            return name
        code.define(name, "empty", shape, f"empty(({x.count}, {self.width}))")
        for b, index, positions, _ in x.pieces:
            code.emit(f"{name}[{code.bind(positions, 'P')}] = {p}{b}[{self._index(index)}]")
        return name

    def forward(self) -> None:
        code, p = self.code, self.p
        for i, step in enumerate(self.plan.steps, start=1):
            out = f"{p}{i}"
            if isinstance(step, _MatMul):
                u = self.gather(step.operand)
                code.define(f"w{out}", "plain", None, f"S[{code.bind(step.weights, 'W')}]")
                code.define(out, "matmul", self._shape(len(step.weights)), f"w{out}", u, f"w{out} @ {u}")
                self.operands.append([u])
                nb = step.bias.shape[1]
                if nb == 1:
                    code.emit(f"{out} += S[{code.bind(step.bias, 'BI')}]")
                elif nb > 1:
                    code.emit(f"{out} += S[{code.bind(step.bias, 'BI')}].sum(axis=1, keepdims=True)")
                continue
            names = []
            for x in step.operands:
                if isinstance(x, _Gather):
                    names.append(self.gather(x))
                else:
                    names.append(code.fresh("x"))
                    code.define(names[-1], "plain", None, f"S[{code.bind(x[:, None], 'I')}]")
            self.operands.append(names)
            xs = [code.leaf(name) for name in names]
            op = step.op
            value = None
            if op.batched is not None:
                value = _trace(op.batched, [code.m, *xs, *op.params])
            elif op.math_name is None:
                value = _trace(op.value, [*xs, *op.params])
            if not isinstance(value, (_E, float, int)):  # numpy's function, or a batched form that branches
                value = code.node("call", code.bind(batched_value(op), "v"), *xs, *op.params)
            code.assign(out, value)
            if step.check:
                code.emit(f"if not isfinite({out}).all(): raise _NonFinite({op.title!r})")

    def seed(self, block: int, row: int, scale: str) -> None:
        """The output's gradient: ``scale`` on its row."""
        if self.needs[block]:
            g, rows = f"g{self.p}{block}", self.plan.sizes[block]
            self.code.define(g, "zeros", self._shape(rows), f"zeros(({rows}, {self.width}))")
            self.code.emit(f"{g}[{row}] = {scale}")
            self.has_grad[block] = True

    def seed_from_slots(self, slot: dict[Value, int]) -> None:
        """Every block starts from the gradients that the plan after it left in its nodes' slots."""
        np = _numpy()
        for k in range(1, len(self.plan.sizes)):
            slots = self.code.bind(np.array([slot[v] for v in self.plan.members[k]], dtype=np.intp), "SL")
            self.code.define(f"g{self.p}{k}", "plain", None, f"SG[{slots}][:, None]")
            self.has_grad[k] = True

    def store(self, slot: dict[Value, int]) -> None:
        """Write every block's values into their nodes' slots, where the plan after it reads them."""
        np = _numpy()
        for k in range(1, len(self.plan.sizes)):
            slots = self.code.bind(np.array([slot[v] for v in self.plan.members[k]], dtype=np.intp), "SL")
            self.code.emit(f"S[{slots}] = {self.p}{k}[:, 0]")

    def backward(self) -> None:
        code, p = self.code, self.p
        for i in range(len(self.plan.steps), 0, -1):
            if not self.has_grad[i]:
                continue  # nothing downstream asks for this block's gradient
            step, g = self.plan.steps[i - 1], f"g{p}{i}"
            if isinstance(step, _MatMul):
                u = self.operands[i - 1][0]
                # the weights' gradient first: then u may be read for the last time, and lend its buffer
                if any(map(self.wanted, step.weights.ravel().tolist())):
                    self.slots(step.weights.ravel(), f"({g} @ {u}.T).ravel()")
                for column in step.bias.T:
                    if any(map(self.wanted, column.tolist())):
                        self.slots(column, f"{g}.sum(axis=1)")
                if self._flows(step.operand):
                    product = code.fresh("t")
                    shape = self._shape(step.operand.count)
                    code.define(product, "matmul", shape, f"w{p}{i}.T", g, f"w{p}{i}.T @ {g}")
                    self.add(step.operand, product, True)
                continue
            op, xs = step.op, [code.leaf(name) for name in self.operands[i - 1]]
            grads = _trace(op.grads, [code.m, code.leaf(f"{p}{i}"), *xs, *op.params])
            if grads is None:  # the rule branches on the data: it is called on the arrays
                rule = code.bind(op.grads, "r")
                arguments = ", ".join([f"{p}{i}", *self.operands[i - 1], *map(code.text, op.params)])
                code.define(f"d{p}{i}", "plain", None, f"{rule}(M, {arguments})")
                grads = [code.leaf(f"d{p}{i}[{k}]") for k in range(len(xs))]
            asked = [self._asks(x) for x in step.operands]
            # every product first: adding into a block's gradient may change g's array in place
            texts = [code.text(_term(code, d, code.leaf(g))) if a else "" for d, a in zip(grads, asked)]
            for x, text in zip(step.operands, texts):
                if not text:
                    continue
                if isinstance(x, _Gather):
                    self.add(x, text, texts.count(text) == 1)
                else:
                    self.slots(x, f"{text}.sum(axis=1)")

    def add(self, x: _Gather, term: str, own: bool) -> None:
        """Add ``term`` (rows in x's order) into the gradients of x's rows. ``own``: term is an array made for
        this one use, which may become a block's gradient without a copy."""
        code, p = self.code, self.p
        for b, index, positions, repeated in x.pieces:
            if not self.needs[b]:
                continue
            g, shape = f"g{p}{b}", self._shape(self.plan.sizes[b])
            if x.single:
                part = term
            else:
                part = code.fresh("t")
                rows = code.bind(positions, "P")
                code.define(part, "take", self._shape(len(positions)), term, rows, f"{term}[{rows}]")
            if x.whole:
                if self.has_grad[b]:
                    code.emit(f"{g} += {part}")
                elif own:
                    code.define(g, "alias", shape, part)
                else:
                    code.define(g, "copy", shape, part, f"{part}.copy()")
                self.has_grad[b] = True
                continue
            if not self.has_grad[b]:
                code.define(g, "zeros", shape, f"zeros(({self.plan.sizes[b]}, {self.width}))")
                self.has_grad[b] = True
            if repeated:
                code.emit(f"add_at({g}, {self._index(index)}, {part})")
            else:
                code.emit(f"{g}[{self._index(index)}] += {part}")

    def slots(self, indices: Any, values: str) -> None:
        """SG[indices] += values, with numpy's unbuffered add where an index repeats."""
        np = _numpy()
        name = self.code.bind(indices, "J")
        if len(np.unique(indices)) == len(indices):
            self.code.emit(f"SG[{name}] += {values}")
        else:
            self.code.emit(f"add_at(SG, {name}, {values})")


def _generate(
    batched: _Plan, shared: _Plan, slot: dict[Value, int], output: tuple[int, int] | int, sizes: tuple[int, int, int]
) -> tuple[str, dict[str, Any], list[_Shape]]:
    """The source of ``program(S, X, B, backward, scale)``, the names it uses and the shapes of its buffers. S is
    the shared vector (the shared Values' data, constants, 1.0, room for the shared nodes fn computes), X the
    batched arguments (one row each), B the buffers. It returns the per-point outputs and, with ``backward``, the
    gradient of ``scale`` times their sum with respect to every slot. ``sizes``: the number of shared Values, the
    slot of 1.0, the number of slots."""
    n_external, one, n_slots = sizes
    code = _Code(_numpy())

    def wanted(s: int) -> bool:
        return s < n_external or s > one

    code.emit("n = X.shape[1]")
    code.emit("b0 = X")
    sw = _Writer(code, shared, "s", "1", wanted)
    sw.forward()
    sw.store(slot)
    bw = _Writer(code, batched, "b", "n", wanted)
    bw.forward()
    if isinstance(output, tuple):
        code.define("out", "view", None, f"b{output[0]}", f"b{output[0]}[{output[1]}]")
    else:
        code.define("out", "plain", None, f"full(n, S[{output}])")
    code.emit("if not backward: return out, None")
    code.define("SG", "plain", None, f"zeros({n_slots})")
    if isinstance(output, tuple):
        bw.seed(output[0], output[1], "scale")
    else:
        code.emit(f"SG[{output}] += n * scale")
    bw.backward()
    if shared.steps:
        sw.seed_from_slots(slot)
        sw.backward()
    code.emit("return out, SG")
    source, spec = code.source("def program(S, X, B, backward, scale):", True)
    return source, code.names, spec


class _Program:
    """The batched program of one traced graph: the slots of its shared vector, its two plans (the batched
    nodes, and the shared nodes fn computes), and the generated numpy function that runs both."""

    def __init__(self, out: Value, inputs: list[Value], args: Sequence[Any], token: str) -> None:
        np = _numpy()
        g = _Graph(out, inputs, token)
        self.shape = _shape(g, args)
        # slots: shared Values (read on every call), constants, 1.0, then the shared nodes fn computes
        self.external = g.external
        arg_position = {id(x): i for i, x in enumerate(args) if isinstance(x, Value)}
        # the shared Values of a call: those fn closes over, and in their places the shared arguments it is given
        self.closed: list[Value] = list(g.external)
        self.arguments = [(k, arg_position[id(v)]) for k, v in enumerate(g.external) if id(v) in arg_position]
        slot: dict[Value, int] = {v: i for i, v in enumerate(g.external)}
        constants: list[float] = []
        scalars: list[Value] = []
        for v in g.order:
            if v in slot or v in g.batched or v in g.input_index:
                continue
            if v.is_leaf:
                slot[v] = len(g.external) + len(constants)
                constants.append(v.data)
            else:
                scalars.append(v)
        one = len(g.external) + len(constants)
        constants.append(1.0)
        for i, v in enumerate(scalars):
            slot[v] = one + 1 + i
        n_slots = one + 1 + len(scalars)
        self.template = np.zeros(n_slots)
        self.template[len(g.external) : one + 1] = constants
        uses: dict[Value, int] = {}
        for v in g.order:
            if v not in g.is_external:
                for c in v.children:
                    uses[c] = uses.get(c, 0) + 1
        batched = _Plan(g, g.batched - set(inputs), inputs, slot, one, [out] if out in g.batched else [], uses, np)
        roots = [v for v in scalars if slot[v] in batched.reads or v is out]
        shared = _Plan(g, set(scalars), [], slot, one, roots, uses, np)
        self.steps = batched.steps
        self.shared_steps = shared.steps
        self.output: tuple[int, int] | int = batched.row[out] if out in batched.row else slot[out]
        sizes = (len(g.external), one, n_slots)
        self.source, names, self.buffers = _generate(batched, shared, slot, self.output, sizes)
        exec(compile(self.source, f"<vmap {len(g.order)} nodes>", "exec"), names)
        self.function = names["program"]
        self._pool: tuple[int, list[Any]] | None = None  # (N, the buffers) of the last batch size
        self._lock = threading.Lock()

    def call(self, vm: Vmapped, args: Sequence[Any], x: Any) -> Value:
        shared_values = self.closed.copy()
        for k, i in self.arguments:
            shared_values[k] = args[i]
        if mode() & GRAD == 0 or not shared_values:
            try:
                total, _ = self.run([v.data for v in shared_values], x, vm, False)
            except _NonFinite:
                return _fallback(vm, args, x)
            return Value(total)
        n = x.shape[1]
        name = vm.name
        grads: list[float] = []

        def value(*shared: float) -> float:
            total, g = self.run(list(shared), x, vm, True)
            grads[:] = g
            return total

        def local(m: Any, y: Any, *xs: Any) -> tuple[Any, ...]:
            if m is not ops.FLOATS:
                raise NotImplementedError(
                    f"vmap({name}): backward(create_graph=True) through vmap is not supported: sum {name} "
                    f"over the points eagerly to differentiate twice"
                )
            return tuple(grads)

        over = "Σₙ" if vm.reduce == "sum" else "meanₙ"
        op = ops.Op(
            "vmap",
            -1,
            value,
            local,
            ", ",
            formula_text=f"{over} {name}(xₙ) over {n} points",
            doc=f"{name} over a batch of {n} points, {vm.reduce}med",
        )
        try:
            return apply(op, *shared_values)
        except _NonFinite:
            return _fallback(vm, args, x)

    def run(self, shared_data: Sequence[float], x: Any, vm: Vmapped, backward: bool) -> tuple[float, list[float]]:
        """(the sum or mean over the points, its gradient for each shared Value)."""
        np = _numpy()
        shared = self.template.copy()
        shared[: len(self.external)] = shared_data
        scale = 1.0 if vm.reduce == "sum" else 1.0 / x.shape[1]
        n = x.shape[1]
        # The buffers are reused from call to call (a new batch size replaces them); a call made while another
        # thread runs the same program gets buffers of its own.
        mine = self._lock.acquire(blocking=False)
        try:
            pool = self._pool[1] if mine and self._pool is not None and self._pool[0] == n else None
            if pool is None:
                pool = [np.empty((rows, n), dtype=bool if kind == "b" else float) for rows, kind in self.buffers]
                if mine:
                    self._pool = (n, pool)
            with np.errstate(all="ignore"):
                outputs, grads = self.function(shared, x, pool, backward, scale)
                total = float(outputs.sum() * scale)
            vm.outputs = outputs.copy()
        finally:
            if mine:
                self._lock.release()
        if not math.isfinite(total):
            raise _NonFinite("the result is not finite")
        if not backward:
            return total, []
        grads = grads[: len(self.external)]
        if not np.isfinite(grads).all():
            raise _NonFinite("a gradient is not finite")
        return total, grads.tolist()


_EAGER: Any = object()  # the program of a shape that has an op without a batched form


class _NonFinite(ArithmeticError):
    """The batch met a NaN or an infinity: the call is redone eagerly, where the engine says what it is."""


def _fallback(vm: Vmapped, args: Sequence[Any], x: Any) -> Value:
    axes = vm.in_axes if isinstance(vm.in_axes, tuple) else (vm.in_axes,) * len(args)
    return vm.eager(args, axes, list(x))


def _op(v: Value) -> ops.Op:
    op = op_of(v)
    assert op is not None, f"{v!r} is a leaf"
    return op
