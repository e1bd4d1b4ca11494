"""Mini-batches: split a dataset into batches, shuffled reproducibly."""

import random
from collections.abc import Iterable, Iterator
from typing import TypeVar

from .init import make_rng

__all__ = ["batches"]

T = TypeVar("T")


def batches(
    data: Iterable[T],
    batch_size: int,
    shuffle: bool = True,
    drop_last: bool = False,
    seed: int | None = None,
    rng: random.Random | None = None,
) -> Iterator[list[T]]:
    """Yield lists of ``batch_size`` items of ``data`` (the last one shorter unless ``drop_last``).

    With ``shuffle`` the order is a permutation drawn from ``rng`` (or a Random seeded with ``seed``);
    ``data`` itself is never changed. Averaging the loss over a batch averages the gradient.

    >>> list(batches([1, 2, 3, 4, 5], 2, shuffle=False))
    [[1, 2], [3, 4], [5]]
    >>> sorted(sum(batches(range(5), 2, seed=0), []))
    [0, 1, 2, 3, 4]
    """
    if type(batch_size) is not int or batch_size < 1:
        raise ValueError(f"batches: batch_size must be a positive int, got {batch_size!r}")
    try:
        items = list(data)
    except TypeError:
        raise TypeError(f"batches: data must be a sequence, got {data!r}") from None
    if shuffle:
        make_rng(seed, rng).shuffle(items)
    elif seed is not None or rng is not None:
        raise ValueError("batches: seed/rng only apply with shuffle=True")
    stop = len(items) - len(items) % batch_size if drop_last else len(items)
    for i in range(0, stop, batch_size):
        yield items[i : i + batch_size]
