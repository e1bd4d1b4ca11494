"""The textbook's computation graph L = c(a + 2b) with a = 3, b = 1, c = -2: the derivations of dL/da,
dL/db and dL/dc as the notes write them, the graph drawn forward and backward, its backward pass step by
step, the graph of a simple 2-layer network (2 inputs, 2 hidden, 1 output), a small RNN unrolled, and the
README's example of the naming rules (drawn and explained side by side)."""

from autograd import Value, draw, draw_steps, explain, nodes_between, scope, sum_values
from nn import Module, Parameter, RNNCell

__all__ = ["build", "build_two_layer", "build_rnn", "build_naming", "Unit", "main"]


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


def _named(v, label):
    v.label = label
    return v


def build_two_layer():
    """The textbook's 'sample computation graph for a simple 2-layer neural net' with numbers of our own:
    z[1] = W[1] x + b[1], a[1] = ReLU(z[1]), z[2] = w[2] . a[1] + b[2], a[2] = sigmoid(z[2]),
    L = -log a[2] (cross-entropy loss for the gold label y = 1).
    Returns L and the clusters {title: nodes} for one box per layer."""
    x = [Value(1.0, label="x1"), Value(2.0, label="x2")]
    W1 = [
        [Parameter(0.5, label="w[1]11"), Parameter(-0.3, label="w[1]12")],
        [Parameter(0.8, label="w[1]21"), Parameter(0.2, label="w[1]22")],
    ]
    b1 = [Parameter(0.4, label="b[1]1"), Parameter(-0.1, label="b[1]2")]
    w2 = [Parameter(1.2, label="w[2]1"), Parameter(-0.7, label="w[2]2")]
    b2 = Parameter(0.3, label="b[2]")
    z1 = [_named(sum_values([W1[j][0] * x[0], W1[j][1] * x[1], b1[j]]), f"z[1]{j + 1}") for j in range(2)]
    a1 = [_named(z.relu(), f"a[1]{j + 1}") for j, z in enumerate(z1)]
    z2 = _named(sum_values([w2[0] * a1[0], w2[1] * a1[1], b2]), "z[2]")
    a2 = _named(z2.sigmoid(), "a[2]")
    L = _named(-a2.log(), "L")
    clusters = {
        "hidden layer: a[1] = ReLU(W[1] x + b[1])": x + nodes_between(a1, x),
        "output layer: a[2] = sigmoid(w[2] . a[1] + b[2])": nodes_between(a2, a1),
        "loss: L = -log a[2]  (y = 1)": nodes_between(L, [a2]),
    }
    return L, clusters


def build_rnn(steps=3):
    """A 1-unit tanh RNN unrolled over `steps` inputs, loss (h_T - 0.5)^2, each time step made inside a scope
    (step[0], step[1], ...). The weights are shared by every step, so they stay outside the steps and collect
    a gradient from each step (backpropagation through time). Time is counted from 0, as nn.RNN counts its
    steps and lists (step[t], xs[t], hiddens[t]): step[t] reads x_t and makes h_t."""
    cell = RNNCell(1, 1, seed=0)
    cell.W_xh[0][0].label, cell.W_hh[0][0].label, cell.b_h[0].label = "W_xh", "W_hh", "b_h"
    xs = [Value(x, label=f"x{t}") for t, x in enumerate([1.0, -0.5, 0.8][:steps])]
    h = None
    for t, x in enumerate(xs):
        with scope(f"step[{t}]"):
            h = cell([x], h)
        h[0].label = f"h{t}"
    return _named((h[0] - 0.5) ** 2, "loss")


class Unit(Module):
    """One tanh unit, tanh(w x + b): a module, so its parameters are named by their paths, w and b."""

    def __init__(self):
        self.w = Parameter(0.5)
        self.b = Parameter(0.5)

    def __call__(self, x):
        return (self.w * x + self.b).tanh()


def build_naming():
    """The README's example of the naming rules: L = (tanh(w x + b) - 0.5)**2 with x = 2, where x is
    labelled, w and b are a module's parameters, 0.5 and 2 are constants and nothing else has a name."""
    unit = Unit()
    x = Value(2.0, label="x")
    return (unit(x) - 0.5) ** 2, unit


def main(out_dir):
    L, nodes = build()
    L.backward()
    print("L = c(a + 2b), a = 3, b = 1, c = -2")
    print(f"{'node':>4} {'value':>7} {'dL/dnode':>9}")
    for name, v in nodes.items():
        print(f"{name:>4} {v.data:7g} {v.grad:9g}")
    for name in "abc":  # the chain rule as the notes write it
        print()
        print(explain(L, nodes[name]))

    written = []
    title = "L(a, b, c) = c(a + 2b) with a = 3, b = 1, c = -2"
    for view in ("forward", "backward"):
        g = draw(L, view=view, title=f"{view} pass: {title}")
        (out_dir / f"L_{view}.svg").write_bytes(g.pipe(format="svg"))
        g.attr(dpi="150")  # a sharper PNG for slides; the SVG scales anyway
        (out_dir / f"L_{view}.png").write_bytes(g.pipe(format="png"))
        written += [out_dir / f"L_{view}.svg", out_dir / f"L_{view}.png"]
    steps = draw_steps(L, out_dir / "L_steps", format="png")  # PNG frames, for slides
    written += [steps.frames[0].parent / "step_*.png", steps.html]

    net, clusters = build_two_layer()
    net.backward()
    print(f"\n2-layer net: L = {net.data:.4f}")
    for view in ("forward", "backward"):
        g = draw(net, view=view, clusters=clusters, title=f"{view} pass: a simple 2-layer neural net")
        # the backward view's edges carry symbolic forms ('∂(w[2]1 * a[1]1)/∂a[1]1 = w[2]1 = 1.2'): 17 ranks
        # of them make it a little wider than 4000 px, so it is scaled to fit (41 in at 96 dpi: 3936 px)
        g.attr(size="41,41")
        path = out_dir / f"two_layer_{view}.png"
        path.write_bytes(g.pipe(format="png"))
        written.append(path)
    steps = draw_steps(net, out_dir / "two_layer_steps", format="svg", clusters=clusters)
    written.append(steps.html)

    loss = build_rnn()
    loss.backward()
    # one block per time step (the whole scalar graph is too wide to read), then the middle step opened
    for name, kwargs in (
        ("rnn_unrolled_backward.png", dict(collapse=1)),
        ("rnn_unrolled_step1_backward.png", dict(collapse=1, expand=["step[1]"])),
    ):
        g = draw(loss, view="backward", title="backward pass through time: a 1-unit RNN, 3 steps", **kwargs)
        path = out_dir / name
        path.write_bytes(g.pipe(format="png"))
        written.append(path)
    loss, unit = build_naming()
    loss.backward()
    print(f"\nthe naming rules, one example (the README's):\n{explain(loss, unit.w)}")
    g = draw(loss, view="backward", title="one name per node")  # docs/naming.png in the README
    path = out_dir / "naming_backward.png"
    path.write_bytes(g.pipe(format="png"))
    written.append(path)
    print("\nwrote:")
    for path in written:
        print(f"  {path}")


if __name__ == "__main__":
    from demos._cli import run

    run(main, __file__, __doc__)
