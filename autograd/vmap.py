"""Batched replay: `vmap` traces a per-point function once and replays it over arrays of points.

A loss over N points is N copies of one scalar graph. ``vmap(point_loss)(xs, ys)`` runs ``point_loss``
eagerly on the first point, reads the graph it built, and replays that graph over numpy arrays of all N
points: every op of the table has a batched form (its value with ``m.where`` where the float value
branches, or the numpy function of the same name; its derivative rule, which already runs on arrays), and
a node that is a sum of (shared Value x batched value) products is a row of a matrix product: the rows that
share their batched operands (a layer's neurons) become one ``@``. To the engine the result is one more
n-ary op: its children are the shared Values the function reached (a model's parameters, shared
arguments), its local derivatives the batch's summed gradients, computed in the forward pass. So
``backward()`` fills the parameters' ``.grad`` and optimizers work unchanged.

numpy is imported on the first call (``pip install numpy``); ``import autograd`` does not need it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

from . import ops
from .engine import Value, apply, op_of, topological_order
from .grad_mode import GRAD, enable_grad, mode, scope

__all__ = ["vmap", "Vmapped", "BatchingError", "BatchingWarning", "batched_value"]


class BatchingError(ValueError):
    """The function cannot be replayed over the batch: its graph differs between points.

    >>> import math
    >>> f = vmap(lambda x: x * x if x.data > 0 else x.sin())
    >>> f([1.0, -1.0])
    Traceback (most recent call last):
    ...
    autograd.vmap.BatchingError: vmap(<lambda>): the graph at point 1 differs from the one at point 0 ...
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


def vmap(fn: Callable[..., Value], in_axes: int | Sequence[int | None] | None = 0, reduce: str = "sum") -> Vmapped:
    """``fn`` over a batch of points, summed (or averaged): one Value whose gradient flows to the shared Values.

    ``fn`` takes scalars (Values or numbers) and returns a Value. An argument with axis 0 is a sequence or
    a 1-d numpy array of N numbers, one per point; one with axis None is shared by all points (a Value,
    whose gradient is filled, or a number). Values that ``fn`` closes over (a model's parameters) are
    shared too. The names follow JAX.

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
    return Vmapped(fn, axes, reduce)


class Vmapped:
    """A function mapped over a batch (made by `vmap`). Call it with the arguments of ``fn``, batched ones
    as arrays; ``outputs`` holds the per-point values of the last call, as a numpy array."""

    def __init__(self, fn: Callable[..., Value], in_axes: int | tuple[int | None, ...] | None, reduce: str) -> None:
        self.fn = fn
        self.in_axes = in_axes
        self.reduce = reduce
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
                lines += [step.describe() for step in program.steps]
        return lines

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
        n = len(batch[0])
        for k in sorted({n // 2, n - 1} - {0}):
            with scope(token), enable_grad():
                other = self._point(args, axes, batch, k)
                shape = _shape(_Graph(self.fn(*other), [v for v, a in zip(other, axes) if a is not None], token))
            if shape != program.shape:
                raise BatchingError(
                    f"vmap({self.name}): the graph at point {k} differs from the one at point 0 (it has "
                    f"{len(shape)} nodes, point 0 {len(program.shape)}, or other ops): fn branches on the data "
                    f"(a Python `if` on .data?). vmap replays one graph for every point: write the branch with an "
                    f"op (relu, maximum, clamp, ...), or sum fn over the points eagerly"
                )
        return program

    def eager(self, args: Sequence[Any], axes: Sequence[int | None], batch: list[Any]) -> Value:
        """fn on every point, summed (or averaged) with the engine: the fallback, exact by construction."""
        np = _numpy()
        outs = [self.fn(*self._point(args, axes, batch, k)) for k in range(len(batch[0]))]
        self.outputs = np.array([o.data for o in outs])
        total = apply(ops.SUM, *outs)
        return total if self.reduce == "sum" else total * (1.0 / len(outs))

    def __repr__(self) -> str:
        return f"vmap({self.name}, in_axes={self.in_axes!r}, reduce={self.reduce!r})"


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


def _shape(g: _Graph) -> list[tuple[Any, ...]]:
    """What a second trace must repeat: per node, its kind and op and its children's positions."""
    position = {v: i for i, v in enumerate(g.order)}
    shape: list[tuple[Any, ...]] = []
    for v in g.order:
        op = op_of(v)
        if v in g.input_index:
            shape.append(("input", g.input_index[v]))
        elif v in g.is_external:
            shape.append(("shared", id(v)))
        elif op is None:
            shape.append(("constant", v.data))
        else:
            shape.append((op.title, tuple(position[c] for c in v.children)))
    return shape


# ---- the batched program ----

_LINEAR = ("+", "sum", "dot")


class _Gather:
    """Rows of the blocks (each a 2-d array, one row per node, one column per point), in a given order:
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
            index: Any = np.array(rs)
            if not repeated and rs == list(range(rs[0], rs[0] + len(rs))):
                index = slice(rs[0], rs[0] + len(rs))
            self.pieces.append((b, index, np.array(positions), repeated))
        b, index, _, _ = self.pieces[0]
        self.whole = len(blocks) == 1 and isinstance(index, slice) and index == slice(0, sizes[b])
        self.single = len(blocks) == 1
        self.inputs = blocks == [0]  # only the batched arguments: numbers, which need no gradient

    def get(self, blocks: list[Any], np: Any) -> Any:
        if self.single:
            b, index, _, _ = self.pieces[0]
            return blocks[b] if self.whole else blocks[b][index]
        n = blocks[0].shape[1]
        out = np.empty((self.count, n))
        for b, index, positions, _ in self.pieces:
            out[positions] = blocks[b][index]
        return out

    def add(self, grads: list[Any], sizes: list[int], g: Any, np: Any, fresh: bool = False) -> None:
        """grads[block][rows] += g, piece by piece (np.add.at where a row is repeated). A ``fresh`` g (made
        for this call, referenced nowhere else) becomes the block's gradient without a copy."""
        for b, index, positions, repeated in self.pieces:
            part = g if self.single else g[positions]
            if self.whole and grads[b] is None:
                grads[b] = part if fresh and part.shape == (sizes[b], part.shape[1]) else part.copy()
                continue
            if grads[b] is None:
                grads[b] = np.zeros((sizes[b], g.shape[1]))
            if self.whole:
                grads[b] += part
            elif repeated:
                np.add.at(grads[b], index, part)
            else:
                grads[b][index] += part


class _Elementwise:
    """One op of the table on many nodes at once: each operand a gather of rows, or shared slots."""

    def __init__(self, op: ops.Op, operands: list[_Gather | Any], check: bool) -> None:
        self.op, self.operands, self.check = op, operands, check
        self.value = batched_value(op)

    def describe(self) -> str:
        rows = self.operands[0].count if isinstance(self.operands[0], _Gather) else len(self.operands[0])
        return f"{self.op.title} x{rows}"

    def forward(self, blocks: list[Any], shared: Any, np: Any) -> tuple[Any, Any]:
        xs = [x.get(blocks, np) if isinstance(x, _Gather) else shared[x][:, None] for x in self.operands]
        y = self.value(*xs, *self.op.params)
        return y, xs

    def backward(
        self, g: Any, y: Any, xs: list[Any], grads: list[Any], sizes: list[int], shared_grad: Any, np: Any
    ) -> None:
        locals_ = self.op.grads(_namespace(), y, *xs, *self.op.params)
        for x, d in zip(self.operands, locals_):
            term = g if (type(d) is float and d == 1.0) else d * g
            if isinstance(x, _Gather):
                if x.inputs:
                    continue
                fresh = term is not g and term.shape == g.shape  # a product made here, not g or a broadcast
                x.add(grads, sizes, term if term.shape == g.shape else np.broadcast_to(term, g.shape), np, fresh)
            else:
                shared_grad += np.bincount(x, np.broadcast_to(term, g.shape).sum(axis=1), len(shared_grad))


class _MatMul:
    """Rows that are sums of (shared x batched) products over the same batched operands: W @ U + bias."""

    def __init__(self, weights: Any, operand: _Gather, bias: Any) -> None:
        self.weights, self.operand, self.bias = weights, operand, bias  # slot indices (R, K) and (R, nb)

    def describe(self) -> str:
        return f"@ {self.weights.shape[0]}x{self.weights.shape[1]}"

    def forward(self, blocks: list[Any], shared: Any, np: Any) -> tuple[Any, Any]:
        w = shared[self.weights]
        u = self.operand.get(blocks, np)
        y = w @ u
        if self.bias.shape[1]:
            y += shared[self.bias].sum(axis=1)[:, None]
        return y, (w, u)

    def backward(self, g: Any, y: Any, wu: Any, grads: list[Any], sizes: list[int], shared_grad: Any, np: Any) -> None:
        w, u = wu
        if not self.operand.inputs:
            self.operand.add(grads, sizes, w.T @ g, np, True)
        n = len(shared_grad)
        shared_grad += np.bincount(self.weights.ravel(), (g @ u.T).ravel(), n)
        if self.bias.shape[1]:
            gb = g.sum(axis=1)
            shared_grad += np.bincount(self.bias.ravel(), np.repeat(gb, self.bias.shape[1]), n)


class _Program:
    """The batched program of one traced graph: slots for the shared numbers, blocks for the batched nodes."""

    def __init__(self, out: Value, inputs: list[Value], args: Sequence[Any], token: str) -> None:
        np = _numpy()
        g = _Graph(out, inputs, token)
        self.shape = _shape(g)
        # slots: shared Values (read on every call), constants, 1.0, then the shared nodes fn computes
        self.external = g.external
        arg_position = {id(x): i for i, x in enumerate(args) if isinstance(x, Value)}
        self.sources: list[int | Value] = [arg_position.get(id(v), v) for v in g.external]
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
        self.constants = constants
        self.scalars = [(slot[v], _op(v), [slot[c] for c in v.children]) for v in scalars]
        self.n_slots = one + 1 + len(scalars)

        def batched(v: Value) -> bool:
            return v in g.batched

        uses: dict[Value, int] = {}
        for v in g.order:
            if v in g.batched and v not in g.input_index:
                for c in v.children:
                    uses[c] = uses.get(c, 0) + 1

        def linear(v: Value) -> tuple[list[tuple[int, Value]], list[int]] | None:
            """v as a sum of (shared slot x batched node) terms plus shared bias slots, or None."""
            op = _op(v)
            terms: list[tuple[int, Value]] = []
            biases: list[int] = []
            children = v.children
            if op.name == "dot":
                n = len(children) // 2
                for w, x in zip(children[:n], children[n : 2 * n]):
                    if batched(x) and not batched(w):
                        terms.append((slot[w], x))
                    elif batched(w) and not batched(x):
                        terms.append((slot[x], w))
                    else:
                        return None
                children = children[2 * n :]
            for c in children:
                if not batched(c):
                    biases.append(slot[c])
                    continue
                cop = op_of(c)
                if cop is not None and cop.name == "*":
                    a, b = c.children
                    if batched(a) != batched(b):
                        terms.append((slot[b], a) if batched(a) else (slot[a], b))
                        continue
                if cop is not None and cop.name in _LINEAR and uses[c] == 1:
                    inner = linear(c)
                    if inner is not None:
                        terms += inner[0]
                        biases += inner[1]
                        continue
                terms.append((one, c))
            return terms, biases

        # Which batched nodes are computed, and which of them are rows of a matrix product (root first).
        forms: dict[Value, tuple[list[tuple[int, Value]], list[int]]] = {}
        needed = {out}
        for v in reversed(g.order):
            if v not in needed or v not in g.batched or v in g.input_index:
                continue
            form = linear(v) if _op(v).name in _LINEAR else None
            if form is not None and (len(form[0]) >= 2 or any(s != one for s, _ in form[0])):
                forms[v] = form
                needed.update(u for _, u in form[0])
            else:
                needed.update(c for c in v.children if batched(c))
        # The order of rows within a block: the order a matrix product downstream takes them in (a layer's
        # outputs in the next layer's order), handed down to the nodes they are computed from, so that
        # every operand is a whole block or a slice of one, not a gather.
        rank: dict[Value, int] = {}
        for v in reversed(g.order):  # consumers first
            if v in forms:
                for k, (_, u) in enumerate(forms[v][0]):
                    rank.setdefault(u, k)
            elif v in needed and v in g.batched and v in rank:
                for c in v.children:
                    if batched(c):
                        rank.setdefault(c, rank[v])
        # Group the computed nodes into blocks: by depth, then by the same op on the same kinds of operands
        # (or the same batched operands of a matrix product).
        level: dict[Value, int] = {v: 0 for v in inputs}
        groups: dict[tuple[Any, ...], list[Value]] = {}
        for v in g.order:
            if v not in needed or v not in g.batched or v in g.input_index:
                continue
            if v in forms:
                terms, biases = forms[v]
                level[v] = 1 + max(level[u] for _, u in terms)
                key: tuple[Any, ...] = (level[v], "@", tuple(id(u) for _, u in terms), len(biases))
            else:
                op = _op(v)
                level[v] = 1 + max(level[c] for c in v.children if batched(c))
                key = (level[v], op.name, op.params, tuple(batched(c) for c in v.children))
            groups.setdefault(key, []).append(v)
        row: dict[Value, tuple[int, int]] = {v: (0, i) for i, v in enumerate(inputs)}
        sizes = [len(inputs)]
        self.steps: list[_Elementwise | _MatMul] = []
        for key in sorted(groups, key=lambda k: k[0]):  # stable: first appearance within a level
            members = sorted(groups[key], key=lambda v: rank.get(v, -1))  # stable: unranked in order of appearance
            block = len(sizes)
            if members[0] in forms:
                terms0 = forms[members[0]][0]
                gather = _Gather([row[u] for _, u in terms0], sizes, np)
                weights = np.array([[s for s, _ in forms[v][0]] for v in members], dtype=np.intp)
                bias = np.array([forms[v][1] for v in members], dtype=np.intp).reshape(len(members), -1)
                self.steps.append(_MatMul(weights, gather, bias))
            else:
                op = _op(members[0])
                operands: list[_Gather | Any] = []
                for k, c in enumerate(members[0].children):
                    if batched(c):
                        operands.append(_Gather([row[v.children[k]] for v in members], sizes, np))
                    else:
                        operands.append(np.array([slot[v.children[k]] for v in members], dtype=np.intp))
                check = op.domain is not None or op.pole is not None or op.math_name is not None
                self.steps.append(_Elementwise(op, operands, check))
            for r, v in enumerate(members):
                row[v] = (block, r)
            sizes.append(len(members))
        self.sizes = sizes
        self.output: tuple[int, int] | int = row[out] if out in row else slot[out]

    def call(self, vm: Vmapped, args: Sequence[Any], x: Any) -> Value:
        shared_values = [args[s] if isinstance(s, int) else s for s in self.sources]
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

    def run(self, shared_data: list[float], x: Any, vm: Vmapped, backward: bool) -> tuple[float, list[float]]:
        """(the sum or mean over the points, its gradient for each shared Value)."""
        np = _numpy()
        slots = shared_data + self.constants
        locals_ = []
        for _, op, children in self.scalars:  # the shared nodes fn computes, on floats as eager mode does
            y, d = ops.evaluate(op, [slots[c] for c in children])
            slots.append(y)
            locals_.append(d)
        shared = np.array(slots)
        n = x.shape[1]
        scale = 1.0 if vm.reduce == "sum" else 1.0 / n
        with np.errstate(all="ignore"):
            blocks: list[Any] = [x]
            saved = []
            for step in self.steps:
                y, xs = step.forward(blocks, shared, np)
                if isinstance(step, _Elementwise) and step.check and not np.isfinite(y).all():
                    raise _NonFinite(f"op {step.op.title!r} gave a value that is not finite")
                blocks.append(y)
                saved.append(xs)
            if isinstance(self.output, int):
                outputs = np.full(n, shared[self.output])
            else:
                b, r = self.output
                outputs = blocks[b][r]
            vm.outputs = outputs.copy()
            total = float(outputs.sum() * scale)
            if not math.isfinite(total):
                raise _NonFinite("the result is not finite")
            if not backward:
                return total, []
            shared_grad = np.zeros(len(shared))
            if isinstance(self.output, int):
                shared_grad[self.output] += n * scale
            else:
                grads: list[Any] = [None] * len(blocks)
                grads[b] = np.zeros((self.sizes[b], n))
                grads[b][r] = scale
                for i in range(len(self.steps) - 1, -1, -1):
                    g = grads[i + 1]
                    if g is not None:
                        self.steps[i].backward(g, blocks[i + 1], saved[i], grads, self.sizes, shared_grad, np)
            if not np.isfinite(shared_grad).all():
                raise _NonFinite("a gradient is not finite")
        gs = shared_grad.tolist()
        for (s, _, children), d in zip(reversed(self.scalars), reversed(locals_)):
            if gs[s]:
                for c, dc in zip(children, d):
                    gs[c] += dc * gs[s]
        return total, gs[: len(self.external)]


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
