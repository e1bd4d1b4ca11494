"""Optimizers (SGD with momentum, Adam, Adagrad) and gradient clipping, with PyTorch's update rules.

Every optimizer checks all gradients before it changes anything: a NaN or infinite gradient raises
`NonFiniteGradientError` naming the parameter and no parameter moves (``error_if_nonfinite=False``
turns the check off); a gradient that is not a number at all (None, a str) raises TypeError naming it.
Numbers may be numpy's (``lr=np.float64(0.1)``): they are read as floats. A gradient that is a Value
(after ``backward(create_graph=True)``) is used by its number, ``grad.data``: a step never puts a Value
into ``Parameter.data``.
"""

from __future__ import annotations

import math
import numbers
import operator
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from autograd import Value

if TYPE_CHECKING:
    from .module import Module

__all__ = ["Optimizer", "SGD", "Adam", "Adagrad", "clip_grad_value", "clip_grad_norm", "NonFiniteGradientError"]


class NonFiniteGradientError(FloatingPointError):
    """A gradient (or the update made from it) is NaN or infinite; nothing was changed.

    Raised by the optimizers' ``step()`` and by ``clip_grad_norm``; the message names the parameter.
    """


_ANOMALY_HINT = (
    "wrap the forward and backward pass in `with autograd.detect_anomaly():` to find the op that produced it"
)


def _params(params: Any, who: str) -> tuple[list[Value], _Names]:
    """(params, names): params (an iterable of Values, or a Module) as a list, and a name for each (made when a
    message reads it: a parameter's path walks its modules, and clipping runs every step)."""
    names = None
    if hasattr(params, "named_parameters") and callable(params.named_parameters):
        named = params.named_parameters()
        names, params = [n for n, _ in named], [p for _, p in named]
    elif hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Value):
        raise TypeError(
            f"{who}: params must be a list of Values (or a Module), got a single Value {params!r}; wrap it in a list"
        )
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{who}: params must be a list of Values (or a Module), got {params!r}") from None
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"{who}: every parameter must be a Value, got {p!r} of type {type(p).__name__}")
    return params, _Names(params, names)


class _Names:
    """The name of each parameter, for messages: ``names[i]`` is the i-th one's given name, or its label or
    path, or ``params[i]``, quoted."""

    def __init__(self, params: list[Value], given: list[str] | None) -> None:
        self._params, self._given = params, given

    def __getitem__(self, i: int) -> str:
        if self._given is not None:
            return repr(self._given[i])
        p = self._params[i]
        name = p.label or p.path
        return repr(name) if name else f"params[{i}]"


_get_grad = operator.attrgetter("grad")
_get_data = operator.attrgetter("data")


def _grads(params: Iterable[Value], names: _Names, who: str) -> list[float]:
    """Every gradient as a float: a Value gradient (from backward(create_graph=True)) gives its number, any
    other real number (numpy's too) its float; anything else (None, a str) is a TypeError naming the parameter."""
    return [g if type(g) is float else _number(g, names[i], who) for i, g in enumerate(map(_get_grad, params))]


def _number(g: object, name: str, who: str) -> float:
    if isinstance(g, Value):
        return g.data
    if not _real(g):
        raise TypeError(
            f"{who}: the gradient of parameter {name} must be a real number (int or float), "
            f"got {g!r} of type {type(g).__name__}"
        )
    return float(g)  # type: ignore[arg-type]  # a real number: _real said so


def _first_nonfinite(numbers: Sequence[float]) -> int | None:
    """The index of the first NaN or infinity in numbers, or None."""
    if math.isfinite(sum(numbers)):  # the fast path: a finite sum has only finite terms
        return None
    for i, x in enumerate(numbers):
        if not math.isfinite(x):
            return i
    return None


def _real(x: object) -> bool:
    """True for a real number (numpy's scalars too), False for bool and everything else."""
    return isinstance(x, numbers.Real) and not isinstance(x, bool)


def _positive(x: float, what: str, allow_zero: bool = False) -> float:
    if not _real(x) or not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        raise ValueError(f"{what} must be a {'non-negative' if allow_zero else 'positive'} finite number, got {x!r}")
    return float(x)


def _flag(x: bool, what: str) -> bool:
    if type(x) is not bool:
        raise TypeError(f"{what} must be True or False, got {x!r}")
    return x


class Optimizer:
    """Holds a list of parameters; subclasses define ``_update(grads)``, and ``step()`` applies it.

    ``step()`` reads every gradient as a number, refuses NaN and infinities (unless
    ``error_if_nonfinite=False``), computes every new value and the new optimizer state, checks them,
    and only then changes anything: a failed step changes no parameter and no state.

    >>> p = Value(1.0); opt = SGD([p], lr=0.1); p.grad = 2.0; opt.zero_grad(); p.grad
    0.0
    """

    def __init__(self, params: Iterable[Value] | Module, who: str, error_if_nonfinite: bool = True) -> None:
        self.who = who
        self.params, self.names = _params(params, who)
        if not self.params:
            raise ValueError(f"{who}: got an empty parameter list")
        self.error_if_nonfinite = _flag(error_if_nonfinite, f"{who} error_if_nonfinite")

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0."""
        for p in self.params:
            p.grad = 0.0

    def step(self) -> None:
        """Update every parameter from its grad; raises NonFiniteGradientError (changing nothing) on NaN or inf.

        >>> p = Value(1.0, label="w"); p.grad = float("nan")
        >>> SGD([p], lr=0.1).step()
        Traceback (most recent call last):
        ...
        nn.optim.NonFiniteGradientError: SGD.step: the gradient of parameter 'w' is nan; ...
        >>> p.data
        1.0
        """
        grads = _grads(self.params, self.names, f"{self.who}.step")
        if self.error_if_nonfinite:
            i = _first_nonfinite(grads)
            if i is not None:
                raise NonFiniteGradientError(
                    f"{self.who}.step: the gradient of parameter {self.names[i]} is {grads[i]!r}; no parameter "
                    f"was changed. To find where it comes from, {_ANOMALY_HINT}; to step anyway pass "
                    f"error_if_nonfinite=False to {self.who}(...)"
                )
        data, state = self._update(grads)
        if self.error_if_nonfinite:
            i = _first_nonfinite(data)
            if i is not None:
                raise NonFiniteGradientError(
                    f"{self.who}.step: the update of parameter {self.names[i]} (value {self.params[i].data!r}, "
                    f"gradient {grads[i]!r}) gives {data[i]!r}; no parameter was changed. Lower the learning "
                    f"rate or clip the gradients (nn.clip_grad_norm); to step anyway pass "
                    f"error_if_nonfinite=False to {self.who}(...)"
                )
        for p, x in zip(self.params, data):
            p.data = x
        for name, value in state.items():
            setattr(self, name, value)

    def _update(self, grads: list[float]) -> tuple[list[float], dict[str, Any]]:
        """(new data for every parameter, {attribute: new state}) from the grads; changes nothing."""
        raise NotImplementedError(f"{type(self).__name__} must define _update(grads)")


class SGD(Optimizer):
    """p -= lr * v with v = momentum * v + grad (v = grad without momentum), as ``torch.optim.SGD``.

    >>> p = Value(1.0); p.grad = 2.0
    >>> SGD([p], lr=0.1).step(); p.data
    0.8
    """

    def __init__(
        self, params: Iterable[Value] | Module, lr: float, momentum: float = 0.0, error_if_nonfinite: bool = True
    ) -> None:
        super().__init__(params, "SGD", error_if_nonfinite)
        self.lr = _positive(lr, "SGD lr")
        self.momentum = _positive(momentum, "SGD momentum", allow_zero=True)
        if self.momentum >= 1.0:
            raise ValueError(f"SGD momentum must be in [0, 1), got {momentum!r}")
        self.velocity = [0.0] * len(self.params)

    def _update(self, grads: list[float]) -> tuple[list[float], dict[str, Any]]:
        velocity = [self.momentum * v + g for v, g in zip(self.velocity, grads)] if self.momentum else grads
        lr = self.lr
        return [x - lr * v for x, v in zip(map(_get_data, self.params), velocity)], {"velocity": velocity}


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, as ``torch.optim.Adam``:
    m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr * m_hat / (sqrt(v_hat) + eps).

    ``v_root`` holds sqrt(v), updated with ``math.hypot``, so that gradients whose square overflows
    (above about 1e154) still give the right step.

    >>> p = Value(1.0); p.grad = 5.0
    >>> Adam([p], lr=0.1).step(); round(p.data, 6)   # the first step moves by lr, whatever the grad
    0.9
    """

    def __init__(
        self,
        params: Iterable[Value] | Module,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        error_if_nonfinite: bool = True,
    ) -> None:
        super().__init__(params, "Adam", error_if_nonfinite)
        self.lr = _positive(lr, "Adam lr")
        if (
            not isinstance(betas, (tuple, list))
            or len(betas) != 2
            or not all(_real(b) and 0.0 <= b < 1.0 for b in betas)
        ):
            raise ValueError(f"Adam betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _positive(eps, "Adam eps")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v_root = [0.0] * len(self.params)

    def _update(self, grads: list[float]) -> tuple[list[float], dict[str, Any]]:
        b1, b2 = self.betas
        t = self.t + 1
        c1, c2 = 1.0 - b1**t, 1.0 - b2**t
        r1, r2, root_c2 = math.sqrt(b2), math.sqrt(1.0 - b2), math.sqrt(c2)
        m = [b1 * mi + (1.0 - b1) * g for mi, g in zip(self.m, grads)]
        v_root = [math.hypot(r1 * ri, r2 * g) for ri, g in zip(self.v_root, grads)]
        lr, eps = self.lr, self.eps
        data = [x - lr * (mi / c1) / (ri / root_c2 + eps) for x, mi, ri in zip(map(_get_data, self.params), m, v_root)]
        return data, {"t": t, "m": m, "v_root": v_root}


class Adagrad(Optimizer):
    """Adagrad: s += g^2, p -= lr * g / (sqrt(s) + eps), as ``torch.optim.Adagrad``.

    ``sum_root`` holds sqrt(s), updated with ``math.hypot``, so that huge gradients do not overflow.

    >>> p = Value(1.0); p.grad = 5.0
    >>> Adagrad([p], lr=0.1).step(); round(p.data, 6)
    0.9
    """

    def __init__(
        self, params: Iterable[Value] | Module, lr: float = 1e-2, eps: float = 1e-10, error_if_nonfinite: bool = True
    ) -> None:
        super().__init__(params, "Adagrad", error_if_nonfinite)
        self.lr = _positive(lr, "Adagrad lr")
        self.eps = _positive(eps, "Adagrad eps")
        self.sum_root = [0.0] * len(self.params)

    def _update(self, grads: list[float]) -> tuple[list[float], dict[str, Any]]:
        lr, eps, hypot = self.lr, self.eps, math.hypot
        sum_root = [hypot(s, g) for s, g in zip(self.sum_root, grads)]
        data = [x - lr * g / (s + eps) for x, g, s in zip(map(_get_data, self.params), grads, sum_root)]
        return data, {"sum_root": sum_root}


def clip_grad_value(params: Iterable[Value] | Module, clip: float) -> None:
    """Clamp every grad into [-clip, clip], in place (a Value grad is replaced by its clamped number).

    >>> p = Value(0.0); p.grad = -7.0; clip_grad_value([p], 1.0); p.grad
    -1.0
    """
    params, names = _params(params, "clip_grad_value")
    clip = _positive(clip, "clip_grad_value clip")
    for p, g in zip(params, _grads(params, names, "clip_grad_value")):
        p.grad = min(max(g, -clip), clip)


def clip_grad_norm(params: Iterable[Value] | Module, max_norm: float, error_if_nonfinite: bool = True) -> float:
    """If the grads' total L2 norm exceeds max_norm, scale them all by max_norm / norm, in place.
    Returns the norm before clipping (as ``torch.nn.utils.clip_grad_norm_``, without its 1e-6).

    The norm is computed without overflow (the grads are divided by the largest first), so any finite
    grads are clipped right; a norm beyond float range is returned as inf. A NaN or infinite grad
    raises NonFiniteGradientError naming the parameter, changing nothing; with
    ``error_if_nonfinite=False`` the non-finite norm is returned and the grads are left as they are.
    A Value grad (after ``backward(create_graph=True)``) is used by its number.

    >>> p, q = Value(0.0), Value(0.0); p.grad, q.grad = 3.0, 4.0
    >>> clip_grad_norm([p, q], 1.0), round(p.grad, 6), round(q.grad, 6)
    (5.0, 0.6, 0.8)
    """
    params, names = _params(params, "clip_grad_norm")
    max_norm = _positive(max_norm, "clip_grad_norm max_norm")
    error_if_nonfinite = _flag(error_if_nonfinite, "clip_grad_norm error_if_nonfinite")
    grads = _grads(params, names, "clip_grad_norm")
    i = _first_nonfinite(grads)
    if i is not None:
        if error_if_nonfinite:
            raise NonFiniteGradientError(
                f"clip_grad_norm: the gradient of parameter {names[i]} is {grads[i]!r}, so the norm is not "
                f"finite; no gradient was changed. To find where it comes from, {_ANOMALY_HINT}; "
                f"pass error_if_nonfinite=False to get the norm without an error"
            )
        return math.nan if any(map(math.isnan, grads)) else math.inf
    biggest = max(map(abs, grads), default=0.0)
    if biggest == 0.0:
        return 0.0
    root = math.sqrt(math.fsum((g / biggest) ** 2 for g in grads))  # in [1, sqrt(n)]: no overflow
    norm = biggest * root  # inf if the true norm is beyond float range; the scaling below still works
    if norm > max_norm:
        for p, g in zip(params, grads):
            p.grad = g / biggest / root * max_norm
    return norm
