"""Weight initialisers. Each is ``init(fan_in, fan_out, rng) -> float``, one weight per call.

``rng`` is a ``random.Random``, so a seed reproduces every weight. Modules take ``init=`` as one of
the names in ``INITS`` or any function with that signature.
"""

import math
import random
from collections.abc import Callable

__all__ = [
    "uniform",
    "xavier_uniform",
    "xavier_normal",
    "he_uniform",
    "he_normal",
    "normal",
    "INITS",
    "get_init",
    "make_rng",
]


Init = Callable[[int, int, random.Random], float]
"""An initialiser: ``init(fan_in, fan_out, rng) -> float``."""


def uniform(fan_in: int, fan_out: int, rng: random.Random, bound: float = 1.0) -> float:
    """U(-bound, bound), micrograd's choice (bound 1); ignores the fans.

    >>> -1.0 <= uniform(3, 2, random.Random(0)) <= 1.0
    True
    """
    return rng.uniform(-bound, bound)


def normal(fan_in: int, fan_out: int, rng: random.Random, std: float = 1.0) -> float:
    """N(0, std**2), PyTorch's choice for embeddings; ignores the fans.

    >>> isinstance(normal(3, 2, random.Random(0)), float)
    True
    """
    return rng.gauss(0.0, std)


def xavier_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Xavier/Glorot: U(-a, a) with a = sqrt(6 / (fan_in + fan_out)). Keeps tanh/sigmoid signals' variance.

    >>> abs(xavier_uniform(3, 3, random.Random(0))) <= 1.0
    True
    """
    a = math.sqrt(6.0 / (_fan(fan_in, "fan_in") + _fan(fan_out, "fan_out")))
    return rng.uniform(-a, a)


def xavier_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """Xavier/Glorot normal: N(0, 2 / (fan_in + fan_out)).

    >>> isinstance(xavier_normal(3, 3, random.Random(0)), float)
    True
    """
    return rng.gauss(0.0, math.sqrt(2.0 / (_fan(fan_in, "fan_in") + _fan(fan_out, "fan_out"))))


def he_uniform(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """He/Kaiming uniform for ReLU: U(-a, a) with a = sqrt(6 / fan_in); ignores fan_out.

    >>> abs(he_uniform(6, 1, random.Random(0))) <= 1.0
    True
    """
    a = math.sqrt(6.0 / _fan(fan_in, "fan_in"))
    return rng.uniform(-a, a)


def he_normal(fan_in: int, fan_out: int, rng: random.Random) -> float:
    """He/Kaiming normal for ReLU: N(0, 2 / fan_in); ignores fan_out.

    >>> isinstance(he_normal(6, 1, random.Random(0)), float)
    True
    """
    return rng.gauss(0.0, math.sqrt(2.0 / _fan(fan_in, "fan_in")))


INITS: dict[str, Init] = {
    "uniform": uniform,
    "normal": normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "he_uniform": he_uniform,
    "he_normal": he_normal,
}


def get_init(init: str | Init) -> Init:
    """The initialiser named ``init`` (a key of INITS), or ``init`` itself if it is callable.

    >>> get_init("he_normal") is he_normal
    True
    """
    if callable(init):
        return init
    if isinstance(init, str) and init in INITS:
        return INITS[init]
    raise ValueError(f"init must be one of {sorted(INITS)} or a function (fan_in, fan_out, rng) -> float, got {init!r}")


def make_rng(seed: int | None = None, rng: random.Random | None = None) -> random.Random:
    """The random.Random a module draws from: ``rng`` itself, a new one seeded with ``seed``,
    or, with neither, a new one seeded from the OS (different every run, like PyTorch without a seed).

    >>> make_rng(seed=1).random() == make_rng(seed=1).random()
    True
    """
    if rng is not None:
        if seed is not None:
            raise ValueError(f"give seed or rng, not both (got seed={seed!r} and rng={rng!r})")
        if not isinstance(rng, random.Random):
            raise TypeError(f"rng must be a random.Random, got {rng!r} of type {type(rng).__name__}")
        return rng
    if seed is not None and (type(seed) is not int):
        raise TypeError(f"seed must be an int or None, got {seed!r} of type {type(seed).__name__}")
    return random.Random(seed)


def _fan(n: int, what: str) -> int:
    if type(n) is not int or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return n
