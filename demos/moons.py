"""micrograd's classic demo: a 2-16-16-1 ReLU MLP separates two interleaved half-moons.

Max-margin (hinge) loss plus L2 regularisation, full-batch SGD with a decaying learning rate, as in
micrograd's demo notebook. The per-point loss goes through `autograd.vmap` (one graph, replayed over the
100 points at once); ``--eager`` builds the graph of every point every step instead (the same numbers, to
about 1e-15). Writes out/moons_boundary.png and out/moons_loss.png.

    python -m demos.moons [--eager] [--out DIR]
"""

import math
import pathlib
import random

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

import nn
from autograd import no_grad, sum_values, vmap
from demos._cli import progress

__all__ = ["make_moons", "loss_and_accuracy", "train", "main"]


def make_moons(n=100, noise=0.1, seed=1):
    """n points on two interleaved half circles (as scikit-learn's make_moons), labels -1 and +1.

    The upper moon is (cos t, sin t), the lower (1 - cos t, 0.5 - sin t), t in [0, pi];
    each coordinate gets N(0, noise^2) noise.
    """
    rng = random.Random(seed)
    n_up = n // 2
    points, labels = [], []
    for i in range(n):
        upper = i < n_up
        m = n_up if upper else n - n_up
        t = math.pi * (i if upper else i - n_up) / (m - 1)
        x, y = (math.cos(t), math.sin(t)) if upper else (1.0 - math.cos(t), 0.5 - math.sin(t))
        points.append((x + rng.gauss(0.0, noise), y + rng.gauss(0.0, noise)))
        labels.append(-1 if upper else 1)
    return points, labels


def loss_and_accuracy(model, points, labels, alpha=1e-4):
    """micrograd's loss: mean hinge loss + alpha * sum of squared parameters; and the accuracy."""
    scores = [model(list(p))[0] for p in points]
    data_loss = nn.hinge_loss(scores, labels)
    reg_loss = alpha * sum_values([p * p for p in model.parameters()])
    accuracy = sum((s.data > 0) == (y > 0) for s, y in zip(scores, labels)) / len(labels)
    return data_loss + reg_loss, accuracy


def batched_loss_and_accuracy(model, alpha=1e-4):
    """loss_and_accuracy with the mean hinge loss through vmap: a function of (points, labels)."""
    hinge = vmap(lambda x1, x2, y: (1.0 - y * model([x1, x2])[0]).relu(), reduce="mean")

    def loss_and_accuracy(points, labels):
        data_loss = hinge([p[0] for p in points], [p[1] for p in points], labels)
        reg_loss = alpha * sum_values([p * p for p in model.parameters()])
        # relu(1 - y s) < 1 exactly when y s > 0: the point is on its side of the boundary
        accuracy = float((hinge.outputs < 1.0).mean())
        return data_loss + reg_loss, accuracy

    return loss_and_accuracy


def train(model, points, labels, steps=100, eager=False):
    """Full-batch SGD, lr decaying from 1.0 to 0.1 as in micrograd. Returns (losses, accuracies)."""
    opt = nn.SGD(model.parameters(), lr=1.0)
    losses, accuracies = [], []
    batched = None if eager else batched_loss_and_accuracy(model)
    bar = progress(range(steps), desc="moons", unit="step")
    for k in bar:
        loss, acc = loss_and_accuracy(model, points, labels) if eager else batched(points, labels)
        opt.zero_grad()
        loss.backward()
        opt.lr = 1.0 - 0.9 * k / steps
        opt.step()
        losses.append(loss.data)
        accuracies.append(acc)
        bar.set_postfix(loss=f"{loss.data:.4f}", acc=f"{acc:.0%}")
    return losses, accuracies


def main(out_dir, eager=False):
    out_dir = pathlib.Path(out_dir)
    points, labels = make_moons()
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=1337)
    print(model, f"with {len(model.parameters())} parameters, {'eager' if eager else 'batched with vmap'}")
    losses, accuracies = train(model, points, labels, eager=eager)
    print(f"step   0: loss {losses[0]:.4f}, accuracy {accuracies[0]:.0%}")
    print(f"step {len(losses) - 1:3d}: loss {losses[-1]:.4f}, accuracy {accuracies[-1]:.0%}")

    # Decision boundary: the model's score on a grid, evaluated without building graphs.
    xs = [-1.5 + 0.05 * i for i in range(81)]
    ys = [-1.0 + 0.05 * j for j in range(51)]
    with no_grad():
        score = [[model([x, y])[0].data for x in xs] for y in ys]
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.contourf(xs, ys, score, levels=[-1e9, 0.0, 1e9], colors=["#c6dbef", "#fdd0a2"])
    ax.contour(xs, ys, score, levels=[0.0], colors="k", linewidths=1)
    ax.plot([], [], color="k", lw=1, label="decision boundary (score 0)")  # contour lines have no legend entry
    for cls, color in ((-1, "#2171b5"), (1, "#d94801")):
        pts = [p for p, y in zip(points, labels) if y == cls]
        ax.scatter([p[0] for p in pts], [p[1] for p in pts], c=color, edgecolors="k", s=30, label=f"y = {cls:+d}")
    ax.set_title(f"2-16-16-1 MLP on two moons: accuracy {accuracies[-1]:.0%}")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=3, fontsize=9)  # below: covers nothing
    fig.tight_layout()
    fig.savefig(out_dir / "moons_boundary.png", dpi=110)
    plt.close(fig)

    # loss and accuracy have different units: one y-axis each, and one legend naming both lines
    fig, ax = plt.subplots(figsize=(6.5, 3.8))
    (loss_line,) = ax.plot(losses, color="C0", label="loss (left axis)")
    ax.set_xlabel("SGD step")
    ax.set_ylabel("hinge loss + L2 penalty", color="C0")
    ax.set_ylim(bottom=0)
    acc_ax = ax.twinx()
    (acc_line,) = acc_ax.plot([100 * a for a in accuracies], color="C1", label="accuracy (right axis)")
    acc_ax.set_ylabel("training accuracy (%)", color="C1")
    acc_ax.set_ylim(0, 105)
    ax.set_title("moons: hinge loss + L2, and training accuracy")
    ax.legend(handles=[loss_line, acc_line], loc="center right")
    fig.tight_layout()
    fig.savefig(out_dir / "moons_loss.png", dpi=110)
    plt.close(fig)
    print(f"wrote {out_dir / 'moons_boundary.png'} and {out_dir / 'moons_loss.png'}")


if __name__ == "__main__":
    from demos._cli import run

    def options(parser):
        parser.add_argument(
            "--eager", action="store_true", help="build every point's graph every step instead of vmap's batched replay"
        )

    run(main, __file__, __doc__, options)
