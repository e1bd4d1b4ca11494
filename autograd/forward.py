"""Forward mode with dual numbers: each number carries its derivative along, as in the notes'
``(y, dy) = (x*x, 2*x*dx)``. No graph is built; one pass gives one directional derivative.

Every op comes from the op table: a Dual's value is the op's value, its tangent the op's local
derivatives (the same rule reverse mode uses) times the operands' tangents.
"""

from collections.abc import Callable, Iterable

from . import ops
from .methods import OpMethods, real

__all__ = ["Dual", "jvp", "dual_sum", "dual_logsumexp"]


def _apply(op: ops.Op, *operands: "Dual | float") -> "Dual":
    """A table op on Duals or numbers (a number is a constant: tangent 0)."""
    if len(operands) != op.arity:  # an n-ary op (arity -1) is checked here too
        ops.check_count(op, operands)
    xs = [
        x if isinstance(x, Dual) else Dual(real(x, f"the operand of {op.name!r} (a Dual or a real number)"))
        for x in operands
    ]
    y, locals_ = ops.evaluate(op, [x.value for x in xs], lambda i: repr(xs[i]))
    tangent: float = 0.0
    for d, x in zip(locals_, xs):
        if x.tangent:  # a constant's tangent is 0: its infinite slope (sqrt at 0) must not give NaN
            tangent += d * x.tangent
    return Dual(y, tangent)


class Dual(OpMethods):
    """A value and its tangent (the derivative along one direction): ``Dual(x, dx)``.

    Has every op of the table as a method or operator, like `Value`.

    >>> x = Dual(3.0, 1.0)
    >>> y = x * x
    >>> y.value, y.tangent
    (9.0, 6.0)
    >>> Dual(0.0, 1.0).sin()
    Dual(value=0.0, tangent=1.0)
    """

    __slots__ = ("tangent", "value")
    _apply = staticmethod(_apply)

    def __init__(self, value: float, tangent: float = 0.0) -> None:
        self.value = real(value, "Dual value")
        self.tangent = real(tangent, "Dual tangent")

    def __repr__(self) -> str:
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"


def dual_sum(xs: Iterable[Dual | float]) -> Dual:
    """x1 + ... + xn for Duals (forward mode's ``sum_values``).

    >>> dual_sum([Dual(1.0, 1.0), Dual(2.0, 3.0)])
    Dual(value=3.0, tangent=4.0)
    """
    items = list(xs)
    return _apply(ops.SUM, *items) if items else Dual(0.0)


def dual_logsumexp(xs: Iterable[Dual | float]) -> Dual:
    """log(sum(e^x_i)) for Duals, stable; d = sum(softmax_i dx_i) (forward mode's ``logsumexp``).

    >>> dual_logsumexp([Dual(0.0, 1.0), Dual(0.0, 3.0)]).tangent
    2.0
    """
    items = list(xs)
    if not items:
        raise ValueError("logsumexp: needs at least one value, got an empty sequence")
    return _apply(ops.LOGSUMEXP, *items)


def jvp(f: Callable[..., Dual], primals: Iterable[float], tangents: Iterable[float]) -> tuple[float, float]:
    """f's value at ``primals`` and its derivative along ``tangents``, in one forward pass.

    ``f`` is called with one ``Dual`` per primal and returns a Dual. Returns two floats:
    ``(f(primals), sum_i df/dx_i * tangents[i])``.

    >>> jvp(lambda x, y: x * y, [3.0, 4.0], [1.0, 0.0])
    (12.0, 4.0)
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {f!r}")
    primals, tangents = list(primals), list(tangents)
    if len(primals) != len(tangents):
        raise ValueError(
            f"jvp: primals and tangents must have the same length, got {len(primals)} "
            f"primals {primals!r} and {len(tangents)} tangents {tangents!r}"
        )
    duals = [
        Dual(real(p, f"jvp: primals[{i}]"), real(t, f"jvp: tangents[{i}]"))
        for i, (p, t) in enumerate(zip(primals, tangents))
    ]
    out = f(*duals)
    if not isinstance(out, Dual):
        raise TypeError(
            f"jvp: f must return a Dual (a scalar built from its arguments), got {out!r} of type {type(out).__name__}"
        )
    return out.value, out.tangent
