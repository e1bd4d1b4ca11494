"""Functions over lists of Values: sums, log-sum-exp, softmax and log-softmax, all numerically stable."""
import math

from .engine import Value, _node, _operand

__all__ = ["sum_values", "logsumexp", "log_softmax", "softmax"]


def _values(xs, fn):
    xs = [x if isinstance(x, Value) else _operand(x, fn) for x in xs]
    if not xs:
        raise ValueError(f"{fn}: needs at least one value, got an empty sequence")
    return xs


def sum_values(xs):
    """x1 + x2 + ... + xn as one n-ary node (each local derivative is 1), not a chain of n - 1 nodes.

    The value equals the left-to-right chain to the last bit. An empty list gives a constant 0.

    >>> sum_values([Value(1.0), Value(2.0), 3]).data
    6.0
    """
    xs = list(xs)
    if not xs:
        return Value(0.0)
    xs = _values(xs, "sum_values")
    data = sum([x.data for x in xs])
    return _node(data, "sum", tuple(xs), (1.0,) * len(xs))


def logsumexp(xs):
    """log(sum(exp(x_i))), computed as m + log(sum(exp(x_i - m))) with m = max(x_i), so it never overflows.

    d/dx_i = exp(x_i - logsumexp(x)) = softmax(x)_i.

    >>> round(logsumexp([Value(1000.0), Value(1000.0)]).data, 6)
    1000.693147
    """
    xs = _values(xs, "logsumexp")
    m = max(x.data for x in xs)
    if math.isinf(m):  # all -inf, or some +inf: the sum is m itself
        return _node(m, "logsumexp", tuple(xs), tuple(1.0 if x.data == m else 0.0 for x in xs))
    out = m + math.log(math.fsum([math.exp(x.data - m) for x in xs]))
    return _node(out, "logsumexp", tuple(xs), tuple(math.exp(x.data - out) for x in xs))


def log_softmax(xs):
    """[x_i - logsumexp(x)]: stable for any finite inputs.

    >>> [round(v.data, 4) for v in log_softmax([Value(0.0), Value(0.0)])]
    [-0.6931, -0.6931]
    """
    xs = _values(xs, "log_softmax")
    neg_lse = -logsumexp(xs)
    return [x + neg_lse for x in xs]


def softmax(xs):
    """[exp(x_i - logsumexp(x))]: each output in [0, 1], summing to 1, for any finite inputs.

    >>> [round(v.data, 3) for v in softmax([Value(0.0), Value(1000.0)])]
    [0.0, 1.0]
    """
    return [v.exp() for v in log_softmax(xs)]
