"""Compiled replay: trace a fixed-shape function once, then replay its forward and backward fast.

``fast = compile(fn)``: the first call ``fast(*leaves)`` runs ``fn`` eagerly and turns the graph it
built into one generated Python function: one line per node forward, one line per edge backward,
every number a plain local variable. Later calls with as many leaves run that function on the
leaves' current ``.data`` and build no Value at all. Results equal eager mode bit for bit: every op
below uses the engine's own float expression, and the backward adds gradients in the engine's order.

The limit: the replay repeats the *traced* graph. A function whose graph depends on the data (a
Python ``if`` on ``.data``, a loop whose length depends on a value) must not be compiled, or only
with ``check=True``, which traces every call again and raises `GraphChanged` when the graph differs.
"""
import builtins
import math

from .engine import _GRAD, Value, _mode, _pow_value_floats, _real, _topological_order

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


def compile(fn, check=False):
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

    def __init__(self, fn, check=False):
        self.fn = fn
        self.check = check
        self._programs = {}  # number of leaves -> _Program

    def __call__(self, *leaves):
        """Replay on the leaves' current data; trace first if this number of leaves is new.

        Returns a `CompiledResult`. Under ``no_grad()`` and ``detect_anomaly()`` ``fn`` runs eagerly,
        and so does a call whose data reach the edge of an op's domain (the engine's error, or value).
        """
        program = self._programs.get(len(leaves))
        traced = None
        if program is None or self.check or _mode.get() != _GRAD:
            if _mode.get() != _GRAD:
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
        if self.check and not _same(data, traced):
            raise GraphChanged(f"compiled {_name(self.fn)} (check=True): same graph, but the replay gives "
                               f"{data!r} where the function gives {traced!r}")
        return CompiledResult(data, replay.send)

    def _trace(self, leaves, program):
        """Run fn eagerly; return (the program for its graph, the output's data). With an existing
        program (check=True), compare the new graph with it and raise GraphChanged if it differs."""
        _check_leaves(leaves, self.fn)
        # The same Value passed twice: trace with a copy in the later places, so that the
        # program keeps one input per argument and later calls may pass different Values.
        seen = set()
        traced = []
        for v in leaves:
            if v in seen:
                v = Value(v.data, v.label)
            seen.add(v)
            traced.append(v)
        out = _value(self.fn(*traced), self.fn)
        index = {v: i for i, v in enumerate(traced)}
        order = _topological_order(out, leaves=index)
        if program is None:
            program = self._programs[len(leaves)] = _Program(out, order, index, traced)
            return program, out.data
        difference = _compare(program.shape, _shape(order, index))
        if difference:
            raise GraphChanged(f"compiled {_name(self.fn)} (check=True): the graph differs from the traced one: "
                               f"{difference}. The graph depends on the data (a Python `if` on .data?), so it "
                               f"cannot be replayed: call the function uncompiled")
        return program, out.data

    def source(self, n_leaves):
        """The generated Python source of the program for ``n_leaves`` leaves (traced already)."""
        if n_leaves not in self._programs:
            raise KeyError(f"compiled {_name(self.fn)}: no program for {n_leaves!r} leaves yet; "
                           f"traced: {sorted(self._programs)}")
        return self._programs[n_leaves].source

    def __repr__(self):
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

    __slots__ = ("data", "_backward")

    def __init__(self, data, backward):
        self.data = data
        self._backward = backward

    def backward(self, grad=1.0, create_graph=False):
        """Add d(output)/d(leaf) * grad into every leaf's ``.grad``. May be called again (adds again).

        ``create_graph=True`` needs the graph, which a replay does not build: call the function uncompiled.
        """
        if create_graph is not False:
            raise NotImplementedError(f"a compiled result's backward(create_graph=...) must be False, got "
                                      f"{create_graph!r}: a replay builds no graph; call the function uncompiled")
        self._backward(_real(grad, "backward(grad=...)"))

    def __repr__(self):
        return f"CompiledResult(data={self.data!r})"


def _check_leaves(leaves, fn):
    for i, v in enumerate(leaves):
        if not isinstance(v, Value):
            raise TypeError(f"compiled {_name(fn)}: argument {i} must be a Value, "
                            f"got {v!r} of type {type(v).__name__}")


def _value(out, fn):
    if not isinstance(out, Value):
        raise TypeError(f"compiled {_name(fn)}: the function must return a Value, got {out!r} "
                        f"of type {type(out).__name__}")
    return out


def _name(fn):
    return getattr(fn, "__qualname__", None) or repr(fn)


# ---- the trace ----

class _Program:
    """The generated replay function of one traced graph, and what `check=True` compares."""

    def __init__(self, out, order, index, leaves):
        # Leaves that are not arguments (parameters a closure reaches, constants made inside fn):
        # the program keeps the Value objects and reads their .data on every call.
        self.captured = tuple(v for v in reversed(order) if v not in index and v.is_leaf)
        self.shape = _shape(order, index)
        self.source = _generate(order, index, self.captured)
        namespace = {"exp": math.exp, "log": math.log, "tanh": math.tanh, "sum": builtins.sum, "abs": builtins.abs,
                     "_Fallback": _Fallback, "_pow_value": _pow_value, "_logsumexp": _logsumexp}
        exec(builtins.compile(self.source, f"<compiled {len(order)} nodes>", "exec"), namespace)
        self.function = namespace["replay"]
        # Internal invariant: the program reproduces the traced value (same expressions, same bits).
        replay = self.function(leaves, self.captured)
        try:
            data = next(replay)
        except (ArithmeticError, ValueError, _Fallback):
            pass  # at an edge of an op's domain the replay defers to eager mode; nothing to compare
        else:
            assert _same(data, out.data), "compiled forward differs from the traced graph"
            replay.close()


def _shape(order, index):
    """Per node, inputs first: (op, child positions), or ('input', i) / ('leaf', value) for leaves."""
    forward = order[::-1]
    position = {v: i for i, v in enumerate(forward)}
    shape = []
    for v in forward:
        if v in index:
            shape.append(("input", index[v]))
        elif v.is_leaf:
            shape.append(("leaf", v))
        else:
            shape.append((v._op, tuple(position[c] for c in v.children)))
    return shape


def _compare(old, new):
    """'' if two shapes replay the same computation, else the first difference, in words."""
    if len(old) != len(new):
        return f"it had {len(old)} nodes, now {len(new)}"
    for i, (a, b) in enumerate(zip(old, new)):
        if a[0] == "leaf" and b[0] == "leaf":
            # the same leaf object (a parameter), or a constant rebuilt with the same value
            if a[1] is not b[1] and not _same(a[1].data, b[1].data):
                return f"node {i} is a constant that was {a[1].data!r}, now {b[1].data!r}"
        elif a != b:
            return f"node {i} was {_describe(a)}, now {_describe(b)}"
    return ""


def _describe(entry):
    kind, arg = entry
    if kind == "input":
        return f"argument {arg}"
    if kind == "leaf":
        return f"the leaf {arg!r}"
    return f"op {kind!r} of nodes {list(arg)}"


def _same(a, b):
    """Bit-equal floats (NaN equals NaN; 0.0 and -0.0 differ)."""
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b) or (a != a and b != b)


# ---- code generation: one line per node forward, one line per edge backward ----

def _generate(order, index, captured):
    """Python source of ``replay(L, K)``: a generator that yields the output's data, then runs the
    backward pass each time a gradient is sent to it. L are the argument Values, K the captured leaves."""
    name = {}
    lines = ["def replay(L, K):"]
    for i, v in enumerate(captured):
        name[v] = f"k{i}"
        lines.append(f"    k{i} = K[{i}].data")
    forward = list(reversed(order))  # children before parents
    saved = {}  # node -> names of the local derivatives computed in the forward pass
    for n, v in enumerate(forward):
        if v in index:
            name[v] = f"x{index[v]}"
            lines.append(f"    x{index[v]} = L[{index[v]}].data")
        elif not v.is_leaf:
            name[v] = f"v{n}"
            code, saved[v] = _forward_line(v, f"v{n}", [name[c] for c in v.children])
            lines.extend("    " + line for line in code)
    lines.append("    while True:")
    lines.append(f"        g = yield {name[order[0]]}")
    lines.extend("        " + line for line in _backward_lines(order, index, captured, name, saved))
    return "\n".join(lines) + "\n"


def _forward_line(v, out, c):
    """Lines computing node v into ``out`` from its children's names c; and the names of saved locals.

    Each line repeats the engine's expression for that op, so the floats are the same to the last bit.
    """
    op = v._op
    if op == "+":
        return [f"{out} = {c[0]} + {c[1]}"], None
    if op == "*":
        return [f"{out} = {c[0]} * {c[1]}"], None
    if op == "sum":
        return [f"{out} = sum(({', '.join(c)},))"], None
    if op == "exp":
        return [f"{out} = exp({c[0]})"], None
    if op == "log":  # math.log raises ValueError for x <= 0: the call is redone eagerly
        return [f"{out} = log({c[0]})"], None
    if op == "tanh":
        return [f"{out} = tanh({c[0]})"], None
    if op == "sigmoid":
        return [f"if {c[0]} >= 0.0: {out} = 1.0 / (1.0 + exp(-{c[0]}))",
                f"else: {out}e = exp({c[0]}); {out} = {out}e / (1.0 + {out}e)"], None
    if op == "relu":
        return [f"{out} = {c[0]} if {c[0]} > 0.0 else 0.0"], None
    if op == "abs":
        return [f"{out} = abs({c[0]})"], None
    if op == "**":
        return [f"{out}, {out}a, {out}b = _pow_value({c[0]}, {c[1]})"], (f"{out}a", f"{out}b")
    if op == "logsumexp":
        return [f"{out}, {out}d = _logsumexp(({', '.join(c)},))"], (f"{out}d",)
    if op.startswith("**"):
        n = float(op[2:])
        # the engine computes x ** n and n * x ** (n - 1.0); 0 ** negative raises ZeroDivisionError
        # here (redone eagerly). Only non-integer n needs the engine's check on the data.
        check = [] if n.is_integer() else [f"if not {c[0]} > 0.0: raise _Fallback"]
        local = "0.0" if n == 0.0 else f"{n!r} * {c[0]} ** {n - 1.0!r}"
        return check + [f"{out} = {c[0]} ** {n!r}", f"{out}d = {local}"], (f"{out}d",)
    raise NotImplementedError(f"compile: op {op!r} has no compiled form; supported ops: "
                              "'+', '*', '**<n>', '**', 'exp', 'log', 'tanh', 'sigmoid', 'relu', 'abs', "
                              "'sum', 'logsumexp'")


def _local_expressions(v, c, out, saved):
    """d(v)/d(child) for each child as an expression of the forward names ('' means exactly 1.0)."""
    op = v._op
    if op in ("+", "sum"):
        return [""] * len(c)
    if op == "*":
        return [c[1], c[0]]
    if op == "exp":
        return [out]
    if op == "log":
        return [f"(1.0 / {c[0]})"]
    if op == "tanh":
        return [f"(1.0 - {out} * {out})"]
    if op == "sigmoid":
        return [f"({out} * (1.0 - {out}))"]
    if op == "relu":
        return [f"(1.0 if {c[0]} > 0.0 else 0.0)"]
    if op == "abs":
        return [f"(1.0 if {c[0]} > 0.0 else -1.0 if {c[0]} < 0.0 else 0.0)"]
    if op == "**":
        return list(saved)
    if op == "logsumexp":
        return [f"{saved[0]}[{k}]" for k in range(len(c))]
    assert op.startswith("**"), op
    return [saved[0]]


def _backward_lines(order, index, captured, name, saved):
    """``child.grad += local * g`` for every edge, nodes in the engine's order (root first).

    An intermediate node's gradient is a local variable: set by its first edge, added to by the others
    (the engine starts from 0.0 and adds in the same order). A leaf's contributions are summed the same
    way and then added to its ``.grad`` once, as the engine adds the previous grads back at the end.
    """
    lines = []
    root = order[0]
    grad = {root: "g"}
    alias = set()  # gradient names that belong to a parent ("+" passes its gradient through unchanged)
    edges = {}  # leaf -> number of edges into it
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
        c = [name[child] for child in v.children]
        for child, local in zip(v.children, _local_expressions(v, c, name[v], saved.get(v))):
            term = f"{local} * {g}" if local else g
            own = f"g{name[child]}"
            if child in edges and edges[child] == 1:
                lines.append(f"{_grad_of(child, index, name)} += {term}")  # the leaf's only edge
            elif child not in grad:
                if not local and child not in edges:
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


def _grad_of(leaf, index, name):
    """The expression of a leaf's .grad: an argument L[i] or a captured leaf K[i]."""
    return f"L[{index[leaf]}].grad" if leaf in index else f"K[{name[leaf][1:]}].grad"


# ---- the two ops whose engine code is too branchy for one line: the same code, returning plain floats ----

def _pow_value(a, b):
    """a ** b for two Values' data, with both local derivatives, as in Value._pow_value."""
    if a < 0.0 or (a == 0.0 and b < 0.0):
        raise _Fallback
    return _pow_value_floats(a, b)


def _logsumexp(xs):
    """logsumexp of floats and its local derivatives, as in functions.logsumexp."""
    m = max(xs)
    if math.isinf(m):
        return m, tuple(1.0 if x == m else 0.0 for x in xs)
    out = m + math.log(math.fsum([math.exp(x - m) for x in xs]))
    return out, tuple(math.exp(x - out) for x in xs)
