"""nn.data: batches, in order or shuffled with a seed, the last one short or dropped."""

import pytest

import nn


def test_batches():
    data = list(range(10))
    assert list(nn.batches(data, 4, shuffle=False)) == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
    assert list(nn.batches(data, 4, shuffle=False, drop_last=True)) == [[0, 1, 2, 3], [4, 5, 6, 7]]
    a = list(nn.batches(data, 3, seed=7))
    assert a == list(nn.batches(data, 3, seed=7)) and sorted(x for batch in a for x in batch) == data
    assert a != [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    assert data == list(range(10))  # not shuffled in place
    with pytest.raises(ValueError, match="got 0"):
        list(nn.batches(data, 0))
