"""Anomaly mode: inside ``detect_anomaly()`` the first op that produces a NaN or an infinity raises at once.

The check names the op, its operands (as every view names them, `autograd.names`: labels, parameter
paths, d = a·b, constants as written, each with its value) and the line of *your* code that created the
node. ``backward()`` inside the block also checks every gradient it computes (a constant carries none).
Outside the block the engine does no checking at all (one mode ContextVar, read once per node, decides).
"""

import contextvars
import linecache
import math
import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType

from .engine import ANOMALY_CHECKS, AnomalyChecks, Value
from .grad_mode import ANOMALY, mode_switch
from .names import Naming, naming

__all__ = ["detect_anomaly", "AnomalyError"]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep
_NN_DIR = os.path.join(os.path.dirname(os.path.dirname(_PACKAGE_DIR)), "nn") + os.sep  # the sibling package

# Where each node made inside detect_anomaly() was created, for backward's report:
# {id(node): (node, location)}. The node is kept so that its id cannot be reused by another node while
# the entry exists. Values have no __weakref__ slot (memory), so instead of weak references the
# registry is pruned of nodes nobody else holds (by reference count) whenever it has doubled in size:
# memory stays flat in a long loop, at amortised O(1) per node.
_created: contextvars.ContextVar["_Registry | None"] = contextvars.ContextVar("chaingrad_anomaly_created", default=None)
_MIN_PRUNE = 4096


def _refs_if_unused() -> int:
    """sys.getrefcount of a node held only by a registry entry, measured as _prune measures it."""
    registry: dict[int, tuple[object, str]] = {0: (object(), "")}
    node = registry[0][0]
    return sys.getrefcount(node)


_UNUSED = _refs_if_unused() if hasattr(sys, "getrefcount") else None


class _Registry(dict[int, tuple[Value, str]]):
    """{id(node): (node, location)}, pruned of nodes no one else holds as it grows."""

    def __init__(self) -> None:
        super().__init__()
        self.prune_at = _MIN_PRUNE

    def add(self, node: Value, where: str) -> None:
        self[id(node)] = (node, where)
        if len(self) >= self.prune_at and _UNUSED is not None:
            _prune(self)
            self.prune_at = max(_MIN_PRUNE, 2 * len(self))


def _prune(registry: _Registry) -> None:
    """Drop the entries whose node only the registry holds. Newest first: a node is made after its
    children, so dropping a dead parent frees its reference to a child before the child is looked at."""
    for key in list(reversed(registry)):
        node = registry[key][0]
        if _UNUSED is not None and sys.getrefcount(node) <= _UNUSED:
            del registry[key]


class AnomalyError(FloatingPointError):
    """Raised inside ``detect_anomaly()`` by the first op or gradient that is NaN or infinite."""


@contextmanager
def detect_anomaly() -> Iterator[None]:
    """Raise ``AnomalyError`` at the first op whose value or local derivative is NaN or infinite.

    Slower (each node records where it was created); per thread and per asyncio task. Memory stays
    flat in a long loop: where a node was made is forgotten once nothing else holds the node.

    >>> x = Value(0.0, label="x")
    >>> with detect_anomaly():
    ...     y = (x * x) ** 0.5  # sqrt at 0: its derivative is infinite
    Traceback (most recent call last):
    ...
    autograd.anomaly.AnomalyError: op '**0.5' produced a local derivative inf ...
    """
    outer = _created.get()
    token_created = _created.set(_Registry() if outer is None else outer)
    token_checks = ANOMALY_CHECKS.set(_CHECKS)  # the engine's hook: it calls these under the ANOMALY flag
    try:
        with mode_switch(on=ANOMALY):
            yield
    finally:
        ANOMALY_CHECKS.reset(token_checks)
        _created.reset(token_created)


def _user_location() -> str:
    """'file:line in function: source' of the innermost caller outside the autograd package.

    When that caller is inside the ``nn`` package (a layer's ``__call__``), the first line outside
    both packages is added as "called from ...": the line of the user's model or training loop.
    """
    frame: FrameType | None = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "an unknown place (no caller outside the autograd package)"
    where = _describe(frame)
    caller: FrameType | None = frame
    while caller is not None and caller.f_code.co_filename.startswith(_NN_DIR):
        caller = caller.f_back
    if caller is not frame and caller is not None:
        where += f" (called from {_describe(caller)})"
    return where


def _describe(frame: FrameType) -> str:
    code = frame.f_code
    source = linecache.getline(code.co_filename, frame.f_lineno).strip()
    return f"{code.co_filename}:{frame.f_lineno} in {code.co_name}" + (f": {source}" if source else "")


def _operands(children: Sequence[Value], names: Naming) -> str:
    return ", ".join(map(names.describe, children)) or "none"


def check_node(out: Value, data: float, children: Sequence[Value], local: Sequence[float], op: str) -> None:
    """Called by the engine for every new node in anomaly mode (through its hook, ``engine.ANOMALY_CHECKS``).
    The operands are named as every view of the graph below the new node names them (`autograd.names`),
    worked out only when a check fails."""
    where = _user_location()
    created = _created.get()
    if created is not None:
        created.add(out, where)
    if not math.isfinite(data):
        names = naming(out)
        raise AnomalyError(
            f"op {op!r} produced the value {data!r} from operands {_operands(children, names)}; node created at {where}"
        )
    for child, d in zip(children, local):
        if not math.isfinite(d):
            names = naming(out)
            raise AnomalyError(
                f"op {op!r} produced a local derivative {d!r} with respect to operand "
                f"{names.describe(child)} (operands {_operands(children, names)}, value {data!r}); "
                f"node created at {where}"
            )


def check_gradients(order: Sequence[Value]) -> None:
    """Called by backward() in anomaly mode (through the engine's hook): raise at the first node (root first)
    whose grad is not finite. A constant is not checked: it carries no gradient (backward() adds into its
    .grad, no view reads it)."""
    created: dict[int, tuple[Value, str]] = _created.get() or {}
    for i, v in enumerate(order):
        g = v.grad.data if isinstance(v.grad, Value) else v.grad
        if math.isfinite(g) or v.is_constant:
            continue
        names = naming(order[0])
        node = f"the {v.op!r} node {names.describe(v)}" if v.op else f"the leaf {names.describe(v)}"
        what = f"backward: the gradient of {node} is {g!r}"
        if i == 0:
            raise AnomalyError(f"{what}: the seed grad passed to backward() is not finite")
        # Every parent comes earlier in the order and has a finite gradient: name the edge that broke.
        for p in order[:i]:
            for child, local in zip(p.children, p.local_grads):
                if child is v and not math.isfinite(local * p.grad):
                    where = created.get(id(p), (None, "a place outside detect_anomaly()"))[1]
                    raise AnomalyError(
                        f"{what}: from op {p.op!r} (value {p.data!r}, created at {where}), "
                        f"local derivative {local!r} times its gradient {p.grad!r}"
                    )
        raise AnomalyError(f"{what}: the sum of its finite contributions overflowed")


# What detect_anomaly() installs in the engine's hook for its block.
_CHECKS = AnomalyChecks(check_node, check_gradients)
