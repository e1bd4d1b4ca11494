"""Vanishing gradients: how much of the loss's gradient reaches the hidden state t steps back.

An RNN reads SEQ_LEN random inputs and is scored only at the last step. After ``backward()``
every hidden Value holds dL/dh_t in ``.grad``; we plot its norm against the distance from the
loss, for tanh and ReLU cells (averaged over a few seeds). Each step back multiplies the gradient
by W_hh^T diag(f'(a_t)), so its norm changes roughly geometrically with the distance: with Xavier
weights both shrink; ReLU with He weights (twice the variance) keeps it near 1, at the risk of
exploding instead, while tanh's derivative, at most 1, still pulls it down.
"""

import math
import pathlib
import random

import nn

__all__ = ["gradient_norms", "main"]

SEQ_LEN = 40
N_IN, N_HIDDEN, N_OUT = 4, 16, 4
SEEDS = range(5)


CASES = {
    "tanh, Xavier": ("tanh", "xavier_uniform"),
    "ReLU, Xavier": ("relu", "xavier_uniform"),
    "ReLU, He": ("relu", "he_uniform"),
    "tanh, He": ("tanh", "he_uniform"),
}


def gradient_norms(activation, seed, seq_len=SEQ_LEN, init="xavier_uniform"):
    """[||dL/dh_t||] for distance 0, 1, ..., seq_len - 1 from the loss (the loss reads only the last step)."""
    rng = random.Random(1000 + seed)
    rnn = nn.RNN(N_IN, N_HIDDEN, N_OUT, activation=activation, init=init, seed=seed)
    xs = [[rng.uniform(-1, 1) for _ in range(N_IN)] for _ in range(seq_len)]
    outputs, hiddens = rnn(xs)
    loss = nn.cross_entropy(outputs[-1], rng.randrange(N_OUT))
    loss.backward()
    return [math.sqrt(sum(v.grad**2 for v in h)) for h in reversed(hiddens)]


def geometric_mean(rows):
    """Per column, the geometric mean over rows (zeros would give 0; the mean of logs of positives otherwise)."""
    out = []
    for col in zip(*rows):
        out.append(0.0 if min(col) == 0.0 else math.exp(sum(math.log(c) for c in col) / len(col)))
    return out


def main(out_dir):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves = {
        name: geometric_mean([gradient_norms(act, s, init=init) for s in SEEDS]) for name, (act, init) in CASES.items()
    }
    print(
        f"||dL/dh_t|| against the distance from the loss ({N_HIDDEN} hidden units, "
        f"geometric mean over {len(SEEDS)} seeds)"
    )
    print("distance " + "".join(f"{name:>14}" for name in curves))
    for d in (0, 1, 2, 5, 10, 20, 30, SEQ_LEN - 1):
        print(f"{d:8d} " + "".join(f"{curves[name][d]:14.3e}" for name in curves))
    for name, norms in curves.items():
        if norms[-1] > 0.0:
            rate = (norms[-1] / norms[0]) ** (1.0 / (SEQ_LEN - 1))
            print(f"{name}: about x{rate:.3f} per step back")

    fig, ax = plt.subplots(figsize=(7, 4))
    for name, norms in curves.items():
        ax.semilogy(range(SEQ_LEN), [n if n > 0.0 else float("nan") for n in norms], marker="o", ms=3, label=name)
    ax.set_xlabel("distance from the loss (time steps back)")
    ax.set_ylabel("||dL/dh_t||  (log scale)")
    ax.set_title("Vanishing gradients in an Elman RNN")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend()
    fig.tight_layout()
    path = pathlib.Path(out_dir) / "vanishing_gradients.png"
    fig.savefig(path, dpi=110)
    plt.close(fig)
    print(f"plot: {path}")


if __name__ == "__main__":
    from demos._cli import run

    run(main, __file__, __doc__)
