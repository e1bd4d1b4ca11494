"""nn.xor: the textbook XOR network (reference-values.md section 4), the perceptron that learns AND and OR but
not XOR, and the trained XOR network."""

import itertools

import pytest

from nn.xor import AND, OR, XOR, Perceptron, textbook_xor, train_perceptron, train_xor


def test_section_4_textbook_xor_network():
    net = textbook_xor()
    expected = {(0, 0): ([0, 0], 0), (0, 1): ([1, 0], 1), (1, 0): ([1, 0], 1), (1, 1): ([2, 1], 0)}
    for x, (h, y) in expected.items():
        assert [v.data for v in net.features(list(x))] == h
        assert [v.data for v in net(list(x))] == [y]


def test_perceptron_learns_and_or_but_not_xor():
    for table in (AND, OR):
        run = train_perceptron(table)
        assert run.converged and run.errors[-1] == 0
        assert [run.perceptron(x) for x, _ in table] == [t for _, t in table]
    run = train_perceptron(XOR, epochs=1000)
    assert not run.converged and run.epochs == 1000 and min(run.errors) >= 1


def test_no_perceptron_on_a_grid_computes_xor():
    grid = [i / 4 for i in range(-12, 13)]
    for w1, w2, b in itertools.product(grid, grid, grid):
        p = Perceptron([w1, w2], b)
        assert [p(x) for x, _ in XOR] != [t for _, t in XOR]


def test_trained_xor_classifies_and_is_deterministic():
    runs = [train_xor(seed, hidden=4) for seed in range(20)]
    assert sum(r.success for r in runs) >= 15
    for r in runs:
        correct = [(r.net(list(x))[0].data > 0) == (t == 1) for x, t in XOR]
        assert r.success == all(correct)
        if r.success:
            assert r.steps_to_100 is not None and r.losses[-1] < r.losses[0]
    again = train_xor(3, hidden=4)
    assert again.net.state_dict() == runs[3].net.state_dict() and again.losses == runs[3].losses
    # steps_to_100 is the first step count at which all four are right
    k = runs[3].steps_to_100
    assert train_xor(3, hidden=4, steps=k).success
    if k > 0:
        assert not train_xor(3, hidden=4, steps=k - 1).success


def test_train_xor_refuses_a_negative_step_count():
    with pytest.raises(ValueError, match="steps must be >= 0, got -1"):
        train_xor(0, steps=-1)
