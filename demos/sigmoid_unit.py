"""One sigmoid unit (reference section 2): w = [0.2, 0.3, 0.9], b = 0.5, x = [0.5, 0.6, 0.1] gives y = 0.70."""

import nn

__all__ = ["build", "main"]


def build():
    """The unit as an nn.Neuron with the notes' weights."""
    unit = nn.Neuron(3, activation="sigmoid", seed=0)
    unit.load_state_dict({"w.0": 0.2, "w.1": 0.3, "w.2": 0.9, "b": 0.5})
    return unit


def main(out_dir):
    unit = build()
    x = [0.5, 0.6, 0.1]
    y = unit(x)
    z = y.children[0]  # the sum node under the sigmoid
    y.backward()
    print("y = sigmoid(w . x + b), w = [0.2, 0.3, 0.9], b = 0.5, x = [0.5, 0.6, 0.1]")
    print(f"{'quantity':>8} {'computed':>10} {'expected':>10}")
    print(f"{'z':>8} {z.data:10.6f} {0.87:10.6f}")
    print(f"{'y':>8} {y.data:10.6f} {0.704746:10.6f}   (the notes print 0.70)")
    print("gradients dy/dw_i = y(1 - y) x_i and dy/db = y(1 - y):")
    s = y.data * (1.0 - y.data)
    for i, (w, xi) in enumerate(zip(unit.w, x)):
        print(f"{'dy/dw' + str(i):>8} {w.grad:10.6f} {s * xi:10.6f}")
    print(f"{'dy/db':>8} {unit.b.grad:10.6f} {s:10.6f}")


if __name__ == "__main__":
    from demos._cli import run

    run(main, __file__, __doc__)
