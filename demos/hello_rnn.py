"""The notes' character RNN: vocabulary h, e, l, o; learn "hello" (h->e, e->l, l->l, l->o) by BPTT.

The two l's need memory: after the first l comes l, after the second comes o, so only the hidden
state can tell them apart. Prints the per-step probabilities and renders the unrolled graph.
"""

import pathlib

import autograd
import nn
from autograd import sum_values

__all__ = ["VOCAB", "WORD", "training_pair", "train", "step_probabilities", "main"]

VOCAB = "helo"
WORD = "hello"


def one_hot(ch):
    return [1.0 if c == ch else 0.0 for c in VOCAB]


def training_pair(word=WORD):
    """Inputs h, e, l, l as one-hot vectors and targets e, l, l, o as indices."""
    return [one_hot(c) for c in word[:-1]], [VOCAB.index(c) for c in word[1:]]


def loss_of(rnn, xs, targets):
    """Summed cross-entropy over the time steps (reference-values section 7)."""
    outputs, _ = rnn(xs)
    return sum_values([nn.cross_entropy(y, k) for y, k in zip(outputs, targets)])


def predictions(rnn, xs):
    outputs, _ = rnn(xs)
    return "".join(VOCAB[max(range(len(VOCAB)), key=lambda k: y[k].data)] for y in outputs)


def train(seed=0, n_hidden=3, lr=0.1, max_steps=1000, target_loss=0.05):
    """Adagrad on the one sequence until every step's prediction is right and the loss is below
    ``target_loss`` (or ``max_steps``). Returns (rnn, losses)."""
    rnn = nn.RNN(len(VOCAB), n_hidden, len(VOCAB), seed=seed)
    opt = nn.Adagrad(rnn.parameters(), lr=lr)
    xs, targets = training_pair()
    losses = []
    for _ in range(max_steps):
        loss = loss_of(rnn, xs, targets)
        losses.append(loss.data)
        if loss.data < target_loss and predictions(rnn, xs) == WORD[1:]:
            break
        opt.zero_grad()
        loss.backward()
        opt.step()
    return rnn, losses


def step_probabilities(rnn, word=WORD):
    """For each input character, the model's probability of each next character: [(input, [p_h, p_e, p_l, p_o])]."""
    xs, _ = training_pair(word)
    with autograd.no_grad():
        outputs, _ = rnn(xs)
        return [(c, [p.data for p in autograd.softmax(y)]) for c, y in zip(word, outputs)]


def render_unrolled(rnn, out_dir, word="hel"):
    """The graph of the loss over a short sequence, one cluster per time step."""
    xs, targets = training_pair(word)
    xs = [[autograd.Value(v, label=f"x{t + 1}[{c}]") for v, c in zip(x, VOCAB)] for t, x in enumerate(xs)]
    outputs, hiddens = rnn(xs)
    losses = [nn.cross_entropy(y, k) for y, k in zip(outputs, targets)]
    loss = sum_values(losses)
    loss.label = "L"
    params = rnn.parameters()  # also names every parameter (cell.W_hh.0.1, ...) for the picture
    clusters = {}
    for t, (x, h, y, loss_t) in enumerate(zip(xs, hiddens, outputs, losses)):
        for i, v in enumerate(h):
            v.label = f"h{t + 1}[{i}]"
        for c, v in zip(VOCAB, y):
            v.label = f"y{t + 1}[{c}]"
        loss_t.label = f"L{t + 1}"
        # step t's nodes: everything its loss term and hidden state computed since the previous state;
        # the parameters stay outside every cluster, shared by all the steps
        previous = hiddens[t - 1] if t else []
        clusters[f"time step {t + 1}: input {word[t]!r}, target {word[t + 1]!r}"] = autograd.nodes_between(
            [loss_t, *h], x + params + previous
        )
    title = f"{word!r}: {len(xs)} time steps of the RNN unrolled; the parameters (orange) are shared by every step"
    graph = autograd.draw(loss, clusters=clusters, max_nodes=None, title=title)
    return graph.render(pathlib.Path(out_dir) / "hello_rnn_unrolled", format="png", cleanup=True)


def main(out_dir):
    rnn, losses = train()
    print(f"trained on {WORD!r} in {len(losses)} Adagrad steps: loss {losses[0]:.3f} -> {losses[-1]:.4f}")
    xs, _ = training_pair()
    print(f"predicts {predictions(rnn, xs)!r} from {WORD[:-1]!r}")
    print("input   " + "  ".join(f"p({c})" for c in VOCAB))
    for c, probs in step_probabilities(rnn):
        print(f"  {c}     " + "  ".join(f"{p:.3f}" for p in probs))
    path = render_unrolled(rnn, out_dir)
    print(f"unrolled graph of 'hel' (one cluster per time step): {path}")


if __name__ == "__main__":
    from demos._cli import run

    run(main, __file__, __doc__)
