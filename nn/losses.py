"""Losses over lists of Values (or numbers): squared error, binary and categorical cross-entropy, hinge."""

import math
from collections.abc import Sequence

from autograd import Constant, Value, log_softmax, sum_values

__all__ = ["mse_loss", "binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy", "hinge_loss"]

REDUCTIONS = ("mean", "sum", "half_sum")


def _pairs(
    pred: Sequence[Value | float], target: Sequence[Value | float], fn: str
) -> tuple[list[Value], list[Value | float]]:
    for what, xs in (("pred", pred), ("target", target)):
        if isinstance(xs, (Value, int, float, str)) or not hasattr(xs, "__len__"):
            raise TypeError(f"{fn}: {what} must be a list of Values or numbers, got {xs!r}")
    if len(pred) != len(target):
        raise ValueError(f"{fn}: pred and target must have the same length, got {len(pred)} and {len(target)}")
    if not pred:
        raise ValueError(f"{fn}: needs at least one prediction, got an empty list")
    return [p if isinstance(p, Value) else Constant(p) for p in pred], list(target)


def _reduce(terms: list[Value], reduction: str, fn: str) -> Value:
    total = sum_values(terms)
    if reduction == "mean":
        return total * (1.0 / len(terms))
    if reduction == "sum":
        return total
    if reduction == "half_sum":
        return total * 0.5
    raise ValueError(f"{fn}: reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _data(t: Value | float) -> float:
    return t.data if isinstance(t, Value) else t


def mse_loss(pred: Sequence[Value | float], target: Sequence[Value | float], reduction: str = "mean") -> Value:
    """Squared error: mean (default), "sum", or "half_sum" = 1/2 sum (p - t)^2, the notes' E.

    >>> mse_loss([Value(3.0), Value(1.0)], [1.0, 1.0]).data
    2.0
    >>> mse_loss([Value(3.0)], [1.0], reduction="half_sum").data
    2.0
    """
    ps, ts = _pairs(pred, target, "mse_loss")
    return _reduce([(p - t) ** 2 for p, t in zip(ps, ts)], reduction, "mse_loss")


def binary_cross_entropy(prob: Sequence[Value | float], target: Sequence[float], reduction: str = "mean") -> Value:
    """-[t log p + (1 - t) log(1 - p)] for probabilities p in [0, 1] and targets t in [0, 1].

    Like PyTorch, each log is clamped at -100, so p = 0 or 1 gives a large finite loss, not an error
    (the clamped log has gradient 0). Prefer ``binary_cross_entropy_with_logits`` on logits.

    >>> round(binary_cross_entropy([Value(0.5)], [1.0]).data, 4)
    0.6931
    """
    ps, ts = _pairs(prob, target, "binary_cross_entropy")
    terms: list[Value] = []
    for p, t in zip(ps, ts):
        if not 0.0 <= p.data <= 1.0:
            raise ValueError(f"binary_cross_entropy: probabilities must be in [0, 1], got {p.data!r}")
        if not 0.0 <= _data(t) <= 1.0:
            raise ValueError(f"binary_cross_entropy: targets must be in [0, 1], got {t!r}")
        term: list[Value] = []
        if _data(t) != 0.0:  # a zero-weighted log(0) would be 0 * inf: skip it, as its weight is 0
            term.append(t * _clamped_log(p))
        if _data(t) != 1.0:
            term.append((1.0 - t) * _clamped_log(1.0 - p))
        terms.append(-sum_values(term))
    return _reduce(terms, reduction, "binary_cross_entropy")


def _clamped_log(p: Value) -> Value:
    return p.log() if p.data > math.exp(-100.0) else Constant(-100.0)


def binary_cross_entropy_with_logits(
    logits: Sequence[Value | float], target: Sequence[float], reduction: str = "mean"
) -> Value:
    """Binary cross-entropy of sigmoid(z), computed stably from the logit z.

    loss = max(z, 0) - z t + log(1 + e^-|z|), written per sign of z so that the gradient is
    sigmoid(z) - t everywhere, including z = 0.

    >>> round(binary_cross_entropy_with_logits([Value(0.0)], [1.0]).data, 4)
    0.6931
    >>> binary_cross_entropy_with_logits([Value(1000.0)], [1.0]).data
    0.0
    """
    zs, ts = _pairs(logits, target, "binary_cross_entropy_with_logits")
    terms: list[Value] = []
    for z, t in zip(zs, ts):
        if not 0.0 <= _data(t) <= 1.0:
            raise ValueError(f"binary_cross_entropy_with_logits: targets must be in [0, 1], got {t!r}")
        if z.data >= 0.0:
            terms.append(z - z * t + (1.0 + (-z).exp()).log())
        else:
            terms.append(-z * t + (1.0 + z.exp()).log())
    return _reduce(terms, reduction, "binary_cross_entropy_with_logits")


def cross_entropy(logits: Sequence[Value | float], target: int) -> Value:
    """-log softmax(logits)[target] for one example, from logits (stable for any finite logits).

    >>> round(cross_entropy([Value(0.0), Value(0.0)], 1).data, 4)
    0.6931
    """
    if isinstance(logits, (Value, int, float, str)) or not hasattr(logits, "__len__"):
        raise TypeError(f"cross_entropy: logits must be a list of Values or numbers, got {logits!r}")
    if type(target) is not int or not 0 <= target < len(logits):
        raise ValueError(
            f"cross_entropy: target must be a class index, an int in [0, {len(logits) - 1}], got {target!r}"
        )
    return -log_softmax(logits)[target]


def hinge_loss(scores: Sequence[Value | float], labels: Sequence[float], reduction: str = "mean") -> Value:
    """micrograd's max-margin loss: relu(1 - y s) per example, labels y in {-1, +1}.

    >>> hinge_loss([Value(0.5), Value(-2.0)], [1, -1]).data
    0.25
    """
    ss, ys = _pairs(scores, labels, "hinge_loss")
    for y in ys:
        if _data(y) not in (-1, 1) or type(y) is bool:
            raise ValueError(f"hinge_loss: labels must be -1 or +1, got {y!r}")
    return _reduce([(1.0 - y * s).relu() for s, y in zip(ss, ys)], reduction, "hinge_loss")
