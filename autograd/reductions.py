"""Functions over lists of Values: sums, log-sum-exp, softmax and log-softmax, all numerically stable."""

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, overload

from . import ops
from .engine import Constant, Value, apply, fused_dot
from .methods import OpMethods

if TYPE_CHECKING:
    from .forward import Dual

__all__ = ["sum_values", "dot", "logsumexp", "log_softmax", "softmax"]

# Values in reverse mode, Duals in forward mode: the first Value or Dual decides the result's type. With
# no Value or Dual at all (numbers only, or an empty sum) the result is a Value, even among Duals: hence
# "Dual | Value" for Duals. Overloads on a TypeVar would not do: mypy infers no T from ``[Value(1.0), 3]``.


@overload
def sum_values(xs: Iterable[Value | float]) -> Value: ...
@overload
def sum_values(xs: Iterable["Dual | float"]) -> "Dual | Value": ...
def sum_values(xs: Iterable[OpMethods | float]) -> OpMethods:
    """x1 + x2 + ... + xn as one n-ary node (each local derivative is 1), not a chain of n - 1 nodes.

    The value is Python's ``sum()`` of the floats: on Python 3.12 and later that sum is compensated
    (Neumaier), so it can differ in the last bits from a chain of ``+`` (and is the more accurate);
    up to 3.11 it equals the left-to-right chain exactly. An empty list gives a constant 0.

    >>> sum_values([Value(1.0), Value(2.0), 3]).data
    6.0
    """
    items = list(xs)
    if not items:
        return Constant(0.0)
    return _apply(ops.SUM, items)


@overload
def dot(ws: Collection[Value | float], xs: Collection[Value | float], bias: Value | float = 0.0) -> Value: ...
@overload
def dot(
    ws: Collection["Dual | float"], xs: Collection["Dual | float"], bias: "Dual | float" = 0.0
) -> "Dual | Value": ...
def dot(
    ws: Collection[OpMethods | float], xs: Collection[OpMethods | float], bias: OpMethods | float = 0.0
) -> OpMethods:
    """w1 x1 + ... + wn xn + bias as one node (a neuron's weighted sum), the op 'dot' of the table.

    Its local derivatives are x_i for w_i, w_i for x_i and 1 for the bias; drawn as one node
    ``Σ wᵢxᵢ + b``. Numbers are constants, as everywhere.

    >>> w, x = [Value(2.0), Value(3.0)], [Value(1.0), Value(-1.0)]
    >>> y = dot(w, x, 0.5)
    >>> y.data, y.backward(), w[0].grad, x[1].grad
    (-0.5, None, 1.0, 3.0)
    """
    if len(ws) != len(xs) or not ws:
        ws, xs = list(ws), list(xs)
        if len(ws) != len(xs) or not ws:
            raise ValueError(
                f"dot: ws and xs must be non-empty and of one length, got {len(ws)} weights and {len(xs)} inputs"
            )
    if isinstance(bias, Value):
        try:
            # All Values (a neuron): the inlined path. Any other operand raises AttributeError in it,
            # caught below: the attempt is the type check (a cast or isinstance on every operand
            # would cost the neuron's hot path), so mypy cannot see that ws and xs hold Values here.
            return fused_dot(ws, xs, bias)  # type: ignore[arg-type]
        except AttributeError:
            pass
    return _apply(ops.DOT, [*ws, *xs, bias])


@overload
def logsumexp(xs: Iterable[Value | float]) -> Value: ...
@overload
def logsumexp(xs: Iterable["Dual | float"]) -> "Dual | Value": ...
def logsumexp(xs: Iterable[OpMethods | float]) -> OpMethods:
    """log(sum(exp(x_i))), computed as m + log(sum(exp(x_i - m))) with m = max(x_i), so it never overflows.

    d/dx_i = exp(x_i - logsumexp(x)) = softmax(x)_i.

    >>> round(logsumexp([Value(1000.0), Value(1000.0)]).data, 6)
    1000.693147
    """
    items = list(xs)
    if not items:
        raise ValueError("logsumexp: needs at least one value, got an empty sequence")
    return _apply(ops.LOGSUMEXP, items)


def _apply(op: ops.Op, xs: Sequence[OpMethods | float]) -> OpMethods:
    """The op on Values, or on Duals in forward mode (the type of the first Value or Dual decides)."""
    first = next((x for x in xs if isinstance(x, OpMethods)), None)
    function: Callable[..., OpMethods] = apply if first is None else first._apply
    return function(op, *xs)


def log_softmax(xs: Iterable[Value | float]) -> list[Value]:
    """[x_i - logsumexp(x)]: stable for any finite inputs.

    >>> [round(v.data, 4) for v in log_softmax([Value(0.0), Value(0.0)])]
    [-0.6931, -0.6931]
    """
    values = [x if isinstance(x, Value) else Constant(x) for x in xs]
    if not values:
        raise ValueError("log_softmax: needs at least one value, got an empty sequence")
    lse = logsumexp(values)
    return [x - lse for x in values]


def softmax(xs: Iterable[Value | float]) -> list[Value]:
    """[exp(x_i - logsumexp(x))]: each output in [0, 1], summing to 1, for any finite inputs.

    >>> [round(v.data, 3) for v in softmax([Value(0.0), Value(1000.0)])]
    [0.0, 1.0]
    """
    return [v.exp() for v in log_softmax(xs)]
