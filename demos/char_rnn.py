"""A character-level language model on the opening of *War and Peace*, trained like Karpathy's min-char-rnn.

Adagrad, gradients clipped to [-5, 5], the loss summed over chunks of SEQ_LEN characters, and the
hidden state carried from chunk to chunk as plain numbers (truncated BPTT). Prints the loss as it
goes, saves the curve as a PNG and samples text at a few temperatures.

    python -m demos.char_rnn [--eager] [--steps N] [--out DIR]
"""

import argparse
import math
import pathlib
import time

import autograd
import nn
from autograd import Value, log_softmax, sum_values

__all__ = ["load_text", "Vocab", "chunk_loss", "fixed_shape_loss", "train", "main"]

TEXT = pathlib.Path(__file__).parent / "data" / "war_and_peace.txt"
SEQ_LEN = 16
N_HIDDEN = 32
STEPS = 3000
LR = 0.1
CLIP = 5.0


def load_text(path=TEXT):
    """The shipped text, lower-cased, with line breaks as spaces (lines starting with '#' are its header)."""
    lines = pathlib.Path(path).read_text(encoding="utf-8").splitlines()
    return " ".join(line for line in lines if not line.startswith("#")).lower()


class Vocab:
    """The characters of a text, each with an index.

    >>> v = Vocab("abca")
    >>> v.chars, v.encode("cab"), v.decode([2, 0])
    ('abc', [2, 0, 1], 'ca')
    """

    def __init__(self, text):
        self.chars = "".join(sorted(set(text)))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self):
        return len(self.chars)

    def encode(self, text):
        return [self.index[c] for c in text]

    def decode(self, indices):
        return "".join(self.chars[i] for i in indices)

    def one_hot(self, i):
        return [1.0 if j == i else 0.0 for j in range(len(self.chars))]


def chunk_loss(rnn, vocab, inputs, targets, h0):
    """Summed cross-entropy of predicting each target from the inputs so far; also returns the last hidden state.

    Inputs are one-hot plain numbers, so each step touches only one column of W_xh.
    """
    outputs, hiddens = rnn([vocab.one_hot(i) for i in inputs], h0)
    return sum_values([nn.cross_entropy(y, k) for y, k in zip(outputs, targets)]), hiddens[-1]


def fixed_shape_loss(rnn, xs, ts, h0):
    """The same loss with every input a Value: one-hot inputs ``xs``, one-hot targets ``ts``, state ``h0``.

    The graph then has the same shape for every chunk (only the leaves' numbers change), which is
    what ``autograd.compile`` replays: -sum_t sum_k ts[t][k] * log_softmax(y_t)[k].
    """
    outputs, hiddens = rnn(xs, h0)
    loss = -sum_values([t * lp for ts_t, y in zip(ts, outputs) for t, lp in zip(ts_t, log_softmax(y))])
    return loss, hiddens[-1]


def last_state(rnn, inputs, h):
    """The hidden state of a tanh RNN after reading the token indices ``inputs`` from state ``h`` (None: zeros),
    on plain floats: the same numbers as ``detach(rnn(...)[1][-1])`` without building Values."""
    cell = rnn.cell
    h = h or [0.0] * cell.n_hidden
    for i in inputs:
        h = [
            math.tanh(sum([b.data, wx[i].data * 1.0] + [w.data * hj for w, hj in zip(wh, h)]))
            for wx, wh, b in zip(cell.W_xh, cell.W_hh, cell.b_h)
        ]
    return h


def train(text, steps=STEPS, n_hidden=N_HIDDEN, seq_len=SEQ_LEN, lr=LR, seed=0, compiled=False, log_every=0):
    """Train on ``text``; returns (rnn, vocab, per-step losses per character, seconds spent training).

    ``compiled=True`` runs each step through ``autograd.compile`` of the fixed-shape loss.
    """
    vocab = Vocab(text)
    data = vocab.encode(text)
    V = len(vocab)
    rnn = nn.RNN(V, n_hidden, V, seed=seed)
    params = rnn.parameters()
    opt = nn.Adagrad(params, lr=lr)
    if compiled:
        # Leaves whose numbers change every step; the parameters are reached through rnn, so the
        # compiled program reads their current .data and adds into their .grad too.
        xs = [[Value(0.0) for _ in range(V)] for _ in range(seq_len)]
        ts = [[Value(0.0) for _ in range(V)] for _ in range(seq_len)]
        h0 = [Value(0.0) for _ in range(n_hidden)]
        leaves = [v for row in xs + ts for v in row] + h0
        # replayed thousands of times: the Python source at once, not after the tape's first replays
        step_loss = autograd.compile(lambda *_: fixed_shape_loss(rnn, xs, ts, h0)[0], source_after=0)
    losses, h, p = [], None, 0
    t0 = time.perf_counter()
    for step in range(steps):
        if p + seq_len + 1 > len(data):
            p, h = 0, None  # back to the start of the text, from the zero state
        inputs, targets = data[p : p + seq_len], data[p + 1 : p + seq_len + 1]
        opt.zero_grad()
        if compiled:
            for row, i in zip(xs, inputs):
                for j, v in enumerate(row):
                    v.data = 1.0 if j == i else 0.0
            for row, k in zip(ts, targets):
                for j, v in enumerate(row):
                    v.data = 1.0 if j == k else 0.0
            for v, hv in zip(h0, h or [0.0] * n_hidden):
                v.data = hv
            loss = step_loss(*leaves)
            loss.backward()
            h = last_state(rnn, inputs, h)  # the compiled call returns only the loss
        else:
            loss, last = chunk_loss(rnn, vocab, inputs, targets, h)
            loss.backward()
            h = nn.detach(last)  # truncated BPTT: the next chunk starts from numbers, not from this graph
        nn.clip_grad_value(params, CLIP)
        opt.step()
        losses.append(loss.data / seq_len)
        p += seq_len
        if log_every and (step + 1) % log_every == 0:
            recent = losses[-log_every:]
            print(f"step {step + 1:5d}  loss per char {sum(recent) / len(recent):.3f}")
    return rnn, vocab, losses, time.perf_counter() - t0


def unigram_entropy(text):
    """The loss per character of a model that knows only how often each character occurs (nats)."""
    counts = {c: text.count(c) for c in set(text)}
    return -sum(n / len(text) * math.log(n / len(text)) for n in counts.values())


def plot_losses(losses, path, title, baselines=()):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    window = 50
    smooth = [
        sum(losses[max(0, i - window + 1) : i + 1]) / len(losses[max(0, i - window + 1) : i + 1])
        for i in range(len(losses))
    ]
    fig, ax = plt.subplots(figsize=(7, 4))
    ax.plot(losses, color="0.8", lw=0.8, label="per chunk")
    ax.plot(smooth, color="C0", lw=2, label=f"mean of the last {window}")
    for i, (value, name) in enumerate(baselines):
        ax.axhline(value, color=f"C{i + 1}", ls="--", lw=1, label=f"{name}: {value:.2f}")
    ax.set_xlabel("training step (one chunk of characters)")
    ax.set_ylabel("cross-entropy per character (nats)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(out_dir, compiled=True, steps=STEPS):
    text = load_text()
    mode = "compiled" if compiled else "eager"
    print(
        f"{len(text)} characters of War and Peace, {len(set(text))} distinct; "
        f"RNN with {N_HIDDEN} hidden units, chunks of {SEQ_LEN}, {steps} Adagrad steps ({mode})"
    )
    rnn, vocab, losses, seconds = train(text, steps=steps, compiled=compiled, log_every=max(1, steps // 10))
    print(f"trained in {seconds:.1f}s ({1000 * seconds / steps:.1f} ms per step, {mode})")
    baselines = [(math.log(len(vocab)), "uniform guess"), (unigram_entropy(text), "character frequencies only")]
    for value, name in baselines:
        print(f"for comparison, {name}: {value:.3f} nats per character")
    path = pathlib.Path(out_dir) / "char_rnn_loss.png"
    plot_losses(losses, path, f"char-RNN on War and Peace ({N_HIDDEN} hidden, chunks of {SEQ_LEN})", baselines)
    print(f"loss curve: {path}")
    prompt = "the prince"
    h = last_state(rnn, vocab.encode(prompt[:-1]), None)
    for temperature in (0.5, 1.0, 1.5):
        tokens = nn.sample(rnn, vocab.index[prompt[-1]], 150, temperature=temperature, seed=1, h0=h)
        print(f"sample at temperature {temperature}: {prompt + vocab.decode(tokens)!r}")


def _options(parser):
    parser.add_argument(
        "--eager", dest="compiled", action="store_false", help="build the graph every step instead of compiling it"
    )
    parser.add_argument("--steps", type=_positive, default=STEPS, help=f"training steps (default {STEPS})")


def _positive(text):
    n = int(text)
    if n < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {n!r}")
    return n


if __name__ == "__main__":
    from demos._cli import run

    run(main, __file__, __doc__, _options)
