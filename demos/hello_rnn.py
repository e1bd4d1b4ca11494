"""The notes' character RNN: vocabulary h, e, l, o; learn "hello" (h->e, e->l, l->l, l->o) by BPTT.

The two l's need memory: after the first l comes l, after the second comes o, so only the hidden
state can tell them apart. Prints the per-step probabilities and renders the unrolled graph.
"""

import pathlib

import autograd
import nn
from autograd import sum_values

__all__ = ["VOCAB", "WORD", "training_pair", "train", "step_probabilities", "unrolled_graph", "render_unrolled", "main"]

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


def unrolled_graph(rnn, word=WORD, collapse=1):
    """The backward view of the loss over a short sequence, time running left to right: nn.RNN names each
    time step's nodes (scope step[t]), and each step's loss term is made in the same scope, so with
    collapse=1 every step is one block (x_t in, h_t on to the next step, its loss term out) and the
    parameters, shared by every step, one block more. collapse=None draws every scalar."""
    xs, targets = training_pair(word)
    inputs = []
    for t, x in enumerate(xs):
        with autograd.scope(f"x[{t}]"):  # the one-hot input of step t: one block, one edge into the step
            inputs.append([autograd.Value(v, label=f"x{t}[{c}]") for v, c in zip(x, VOCAB)])
    xs = inputs
    outputs, hiddens = rnn(xs)
    losses = []
    for t, (y, k) in enumerate(zip(outputs, targets)):
        with autograd.scope(f"step[{t}]"):  # the same scope as the RNN's step t: the loss term joins its block
            losses.append(nn.cross_entropy(y, k))
        losses[-1].label = f"L{t}"
        for i, v in enumerate(hiddens[t]):
            v.label = f"h{t}[{i}]"
    loss = sum_values(losses)
    loss.label = "L"
    loss.backward()
    title = (
        f"{word!r}: the RNN unrolled over {len(xs)} time steps, backward; "
        f"each step[t] takes x_t and h_(t-1), passes h_t on and gives its loss term L_t"
    )
    return autograd.draw(loss, view="backward", collapse=collapse, max_nodes=None, title=title)


def render_unrolled(rnn, out_dir, word=WORD, collapse=1):
    """`unrolled_graph` drawn into out_dir/hello_rnn_unrolled.png; returns the file's path."""
    graph = unrolled_graph(rnn, word, collapse)
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
    print(
        f"unrolled graph of {WORD!r}, backward, one block per time step: {path}\n"
        f"(render_unrolled(rnn, out_dir, collapse=None) draws every scalar)"
    )


if __name__ == "__main__":
    from demos._cli import run

    run(main, __file__, __doc__)
