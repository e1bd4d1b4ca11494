"""XOR (reference section 4): a perceptron cannot learn it; a hidden layer makes it separable.

Prints the perceptron rule on AND, OR and XOR, the textbook's hand-set ReLU network's h and y for all
four inputs next to the expected values, and a trained MLP's success rate over 20 seeds.
Draws the points in x-space and in the hidden h-space into out/xor.png.
"""

import itertools
import pathlib
import statistics

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from nn.xor import AND, OR, XOR, textbook_xor, train_perceptron, train_xor

__all__ = ["main"]

# reference-values.md section 4: x -> (h, y)
EXPECTED = {(0, 0): ([0, 0], 0), (0, 1): ([1, 0], 1), (1, 0): ([1, 0], 1), (1, 1): ([2, 1], 0)}


def _perceptrons():
    print("Perceptron rule (step output), from zero weights, at most 100 epochs:")
    runs = {}
    for name, table in (("AND", AND), ("OR", OR), ("XOR", XOR)):
        run = train_perceptron(table, epochs=100)
        runs[name] = run
        outputs = [run.perceptron(x) for x, _ in table]
        status = (
            f"converged after {run.epochs} epochs"
            if run.converged
            else f"never converged: mistakes per epoch stay in [{min(run.errors)}, {max(run.errors)}]"
        )
        print(f"  {name:>3}: {status}; outputs {outputs}, targets {[t for _, t in table]}")
    print(
        "  XOR cannot converge: b <= 0, w2 + b > 0, w1 + b > 0 give w1 + w2 + b > -b >= 0, "
        "but (1,1) -> 0 needs w1 + w2 + b <= 0."
    )
    return runs


def _textbook():
    net = textbook_xor()
    print("\nThe textbook's network: h = ReLU([[1,1],[1,1]] x + [0,-1]), y = [1,-2] . h")
    print(f"  {'x':>6} {'h':>12} {'expected h':>12} {'y':>5} {'expected y':>10}")
    for x, _ in XOR:
        h = [v.data for v in net.features(list(x))]
        y = net(list(x))[0].data
        eh, ey = EXPECTED[x]
        print(f"  {list(x)!s:>6} {h!s:>12} {eh!s:>12} {y:5g} {ey:10g}")
    return net


def _trained():
    print("\nA trained XORNet (tanh hidden layer, logit output, cross-entropy, Adam lr 0.1, 300 steps),")
    print("20 seeds each; 'steps' = Adam steps until all four points are first classified right:")
    first_success = None
    for hidden in (2, 3, 4):
        runs = [train_xor(seed, hidden=hidden) for seed in range(20)]
        ok = [r for r in runs if r.success]
        steps = [r.steps_to_100 for r in ok]
        if hidden == 2 and ok:
            first_success = ok[0]
        detail = f"steps median {statistics.median(steps):g}, min {min(steps)}, max {max(steps)}" if steps else ""
        print(f"  {hidden} hidden units: {len(ok)}/20 seeds reach 100% accuracy; {detail}")
    print("  (In failed runs, saturated tanh units map points of opposite class to almost the same h,")
    print("  so no output line can separate them: a local minimum, not a bug. More units avoid it.)")
    return first_success


def _line(ax, w, b, label, color):
    """Draw w . p + b = 0 across the axes' x range."""
    x0, x1 = ax.get_xlim()
    if abs(w[1]) > 1e-12:
        ax.plot([x0, x1], [-(w[0] * x0 + b) / w[1], -(w[0] * x1 + b) / w[1]], "--", color=color, label=label)
    else:
        ax.axvline(-b / w[0], ls="--", color=color, label=label)


def _scatter(ax, points, targets, title, xlabel, ylabel):
    for cls, color, marker in ((0, "#2171b5", "o"), (1, "#d94801", "s")):
        pts = [p for p, t in zip(points, targets) if t == cls]
        ax.scatter(
            [p[0] for p in pts],
            [p[1] for p in pts],
            c=color,
            marker=marker,
            s=90,
            edgecolors="k",
            zorder=3,
            label=f"XOR = {cls}",
        )
    ax.set_title(title)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_aspect("equal", adjustable="box")


def _annotate(ax, xs, hs):
    """Label each point of h-space with its input(s); points that (nearly) coincide share one label."""
    groups = []
    for x, h in zip(xs, hs):
        for g in groups:
            if abs(g[0][0] - h[0]) + abs(g[0][1] - h[1]) < 0.15:
                g[1].append(tuple(x))
                break
        else:
            groups.append((h, [tuple(x)]))
    for h, inputs in groups:
        _label(ax, h, "x = " + ", ".join(map(str, inputs)))


def _label(ax, point, text):
    """Text by a point, on a white box: below it, else above, right or left of it, the first place where it
    stays inside the axes and crosses no line drawn on them (the separating line). Call after the layout is
    done (tight_layout), since the place is chosen in the figure's pixels."""
    renderer = ax.figure.canvas.get_renderer()
    frame = ax.get_window_extent(renderer)
    lines = [line.get_transform().transform(line.get_xydata()) for line in ax.get_lines() if len(line.get_xdata())]
    first = None
    for dx, dy, ha in ((0, -14, "center"), (0, 14, "center"), (9, 0, "left"), (-9, 0, "right")):
        mark = ax.annotate(
            text,
            point,
            textcoords="offset points",
            xytext=(dx, dy),
            ha=ha,
            va="center",
            fontsize=9,
            bbox=dict(boxstyle="round,pad=0.2", fc="white", ec="none", alpha=0.85),
            zorder=4,
        )
        box = mark.get_window_extent(renderer).padded(3)  # the text and its white box
        inside = frame.x0 <= box.x0 and box.x1 <= frame.x1 and frame.y0 <= box.y0 and box.y1 <= frame.y1
        if inside and not any(_crosses(xy, box) for xy in lines):
            if first is not None:
                first.remove()
            return mark
        if first is None:
            first = mark
        else:
            mark.remove()
    return first  # nowhere clear: below the point


def _crosses(xy, box):
    """Whether the polyline through the points xy (pixels) passes through box."""
    for (x0, y0), (x1, y1) in itertools.pairwise(xy):
        for k in range(201):
            t = k / 200
            x, y = x0 + t * (x1 - x0), y0 + t * (y1 - y0)
            if box.x0 <= x <= box.x1 and box.y0 <= y <= box.y1:
                return True
    return False


def main(out_dir):
    out_dir = pathlib.Path(out_dir)
    runs = _perceptrons()
    net = _textbook()
    trained = _trained()

    xs = [list(x) for x, _ in XOR]
    targets = [t for _, t in XOR]
    fig, axes = plt.subplots(1, 3, figsize=(13, 5))
    ax = axes[0]
    _scatter(ax, xs, targets, "x-space: no line separates the classes", "x1", "x2")
    ax.set_xlim(-0.5, 1.5)
    ax.set_ylim(-0.5, 1.5)
    p = runs["XOR"].perceptron
    _line(ax, p.w, p.b, "perceptron's last line", "gray")
    ax = axes[1]
    hs = [[v.data for v in net.features(x)] for x in xs]
    _scatter(ax, hs, targets, "textbook ReLU net: h-space", "h1", "h2")
    ax.set_xlim(-0.5, 2.5)
    ax.set_ylim(-1.0, 2.0)  # spans as long as x's: a square panel, the size of the others
    # y = h1 - 2 h2, thresholded at 0.5
    _line(ax, [1.0, -2.0], -0.5, "y = 0.5", "k")
    textbook_hs = hs

    ax = axes[2]
    if trained is not None:
        tnet = trained.net
        hs = [[v.data for v in tnet.features(x)] for x in xs]
        _scatter(ax, hs, targets, "trained tanh net (2 units): h-space", "h1", "h2")
        ax.set_xlim(-1.5, 1.5)
        ax.set_ylim(-1.5, 1.5)
        out = tnet.out.neurons[0]
        _line(ax, [w.data for w in out.w], out.b.data, "logit = 0", "k")
    for ax in axes:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.2), ncol=3, fontsize=8)
    fig.tight_layout()
    # the points' labels last: each is placed clear of the lines, in the final layout
    for x in xs:
        _label(axes[0], x, str(tuple(x)))
    _annotate(axes[1], xs, textbook_hs)
    if trained is not None:
        _annotate(axes[2], xs, hs)
    path = out_dir / "xor.png"
    fig.savefig(path, dpi=100)
    plt.close(fig)
    print(f"\nwrote {path}")


if __name__ == "__main__":
    from demos._cli import run

    run(main, __file__, __doc__)
