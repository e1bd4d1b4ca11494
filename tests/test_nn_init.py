"""nn.init: each initializer draws with the variance it promises; modules pick one by activation or take one given."""

import math
import random
import statistics

import pytest

import nn
from nn import init


@pytest.mark.parametrize(
    "fn, variance",
    [
        (init.xavier_normal, 2 / (4 + 6)),
        (init.he_normal, 2 / 4),
        (init.he_uniform, 2 / 4),
        (init.uniform, 1 / 3),
        (init.normal, 1.0),
    ],
)
def test_init_variances(fn, variance):
    rng = random.Random(1)
    draws = [fn(4, 6, rng) for _ in range(4000)]
    assert statistics.fmean(draws) == pytest.approx(0.0, abs=0.06)
    assert statistics.pvariance(draws) == pytest.approx(variance, rel=0.08)


def test_init_choice_in_modules():
    n = nn.Neuron(50, activation="relu", seed=0)  # he_uniform: bound sqrt(6/50)
    assert max(abs(w.data) for w in n.w) <= math.sqrt(6 / 50)
    n = nn.Neuron(3, init=lambda fan_in, fan_out, rng: 0.125, seed=0)
    assert [w.data for w in n.w] == [0.125] * 3 and n.b.data == 0.0
    seen = []
    nn.Layer(3, 7, init=lambda fi, fo, rng: seen.append((fi, fo)) or 0.0, seed=0)
    assert set(seen) == {(3, 7)}
