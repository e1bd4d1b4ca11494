"""The textbook's computation graph L = c(a + 2b) with a = 3, b = 1, c = -2: values and gradients."""
from autograd import Value

__all__ = ["build", "main"]


def build():
    """The graph, labelled as in the textbook: d = 2b, e = a + d, L = c e."""
    a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    d = 2 * b
    d.label = "d"
    e = a + d
    e.label = "e"
    L = c * e
    L.label = "L"
    return L, {"a": a, "b": b, "c": c, "d": d, "e": e, "L": L}


def main(out_dir):
    L, nodes = build()
    L.backward()
    print("L = c(a + 2b), a = 3, b = 1, c = -2")
    print(f"{'node':>4} {'value':>7} {'dL/dnode':>9}")
    for name, v in nodes.items():
        print(f"{name:>4} {v.data:7g} {v.grad:9g}")
