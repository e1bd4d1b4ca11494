"""autograd.symbols: the operators of a symbol record operations, and a branch on a symbol's data is refused."""

import math

import pytest

from autograd.symbols import Symbol, Untraceable


class Tree(Symbol):
    """Records each operation as a nested tuple."""

    def __init__(self, tree):
        self.tree = tree

    def _binary(self, kind, other, reverse):
        other = other.tree if isinstance(other, Tree) else other
        return Tree((kind, other, self.tree) if reverse else (kind, self.tree, other))

    def _unary(self, kind):
        return Tree((kind, self.tree))


def test_every_operator_records_its_operation_in_order():
    x, y = Tree("x"), Tree("y")
    assert (x + y).tree == ("+", "x", "y") and (2.0 + x).tree == ("+", 2.0, "x")
    assert (x - 1.0).tree == ("-", "x", 1.0) and (1.0 - x).tree == ("-", 1.0, "x")
    assert (x * y).tree == ("*", "x", "y") and (3.0 * x).tree == ("*", 3.0, "x")
    assert (x / 2.0).tree == ("/", "x", 2.0) and (2.0 / x).tree == ("/", 2.0, "x")
    assert (x % 2.0).tree == ("%", "x", 2.0) and (2.0 % x).tree == ("%", 2.0, "x")
    assert (x**2.0).tree == ("**", "x", 2.0) and (2.0**x).tree == ("**", 2.0, "x")
    assert [c.tree[0] for c in (x < 0.0, x <= 0.0, x > 0.0, x >= 0.0)] == ["<", "<=", ">", ">="]
    assert (-x).tree == ("neg", "x") and abs(x).tree == ("abs", "x")


@pytest.mark.parametrize(
    "look", [bool, float, int, round, math.floor, hash, lambda s: s == 0.0, lambda s: s != 0.0, lambda s: [1][s]]
)
def test_looking_at_the_data_is_refused(look):
    with pytest.raises((Untraceable, TypeError)):
        look(Tree("x"))
