"""The notes' feedforward neural language model: h = f(V [e1; e2; e3]), y = softmax(W h).

Each of the three previous words is looked up in one shared embedding table (``nn.Embedding``);
the three embeddings are concatenated, go through a tanh layer and a softmax over the vocabulary.
Trained on a tiny corpus, it predicts "books" after "students opened their", and because "cat" and
"dog" appear in the same contexts they end up with similar embeddings, so the model completes
"... the dog gets" with "fed" although it has only ever seen "the cat gets fed" (the notes' example).

Training maps the loss of one window over each mini-batch with `autograd.vmap`. A lookup picks a row by the
data, so every window would have another graph; written as the notes write it, e = E^T x with x the word's
one-hot vector, every window has the same graph, and the lookups become matrix products (the same numbers: the
zeros add nothing). ``--eager`` builds every window's graph with the lookups instead.

    python -m demos.neural_lm [--eager] [--out DIR]
"""

import math
import pathlib

import numpy

import autograd
import nn
from autograd import sum_values, vmap

__all__ = [
    "CORPUS",
    "WINDOW",
    "NeuralLM",
    "build_vocab",
    "windows",
    "onehot_loss",
    "train",
    "next_word_probs",
    "cosine",
    "main",
]

CORPUS = """
students opened their books
the students opened their books
the students opened their books and read
children opened their presents
the children opened their presents
the teacher opened the door
i have to make sure that the cat gets fed
the baby gets tired
the teacher gets tired
the cat sat on the mat
the dog sat on the mat
the cat ate its food
the dog ate its food
the cat ran to the door
the dog ran to the door
the cat is sleeping
the dog is sleeping
the baby is crying
the teacher is reading
""".strip().splitlines()

WINDOW = 3
START, END = "<s>", "</s>"


def build_vocab(sentences=CORPUS):
    """The words of the corpus plus the start and end markers, in a fixed order."""
    words = sorted({w for s in sentences for w in s.split()})
    return [START, END, *words]


def windows(sentences, vocab, n=WINDOW):
    """Every (three previous word indices, next word index) pair, with <s> padding at the start."""
    index = {w: i for i, w in enumerate(vocab)}
    pairs = []
    for s in sentences:
        words = [START] * n + s.split() + [END]
        ids = [index[w] for w in words]
        pairs += [(ids[t - n : t], ids[t]) for t in range(n, len(ids))]
    return pairs


def _small_normal(fan_in, fan_out, rng):
    """N(0, 0.1^2): embeddings start small, so what training puts in them dominates."""
    return rng.gauss(0.0, 0.1)


class NeuralLM(nn.Module):
    """y = softmax(W f(V [e(w1); e(w2); e(w3)] + b) + c), returning the logits (softmax is in the loss).

    >>> lm = NeuralLM(10, dim=4, hidden=5, seed=0)
    >>> len(lm([1, 2, 3]))
    10
    """

    def __init__(self, vocab_size, dim=8, hidden=16, seed=None):
        rng = nn.init.make_rng(seed)
        self.embedding = nn.Embedding(vocab_size, dim, init=_small_normal, rng=rng)
        self.hidden = nn.Layer(WINDOW * dim, hidden, activation="tanh", rng=rng)  # V and its bias
        self.out = nn.Layer(hidden, vocab_size, activation="linear", rng=rng)  # W and its bias

    def __call__(self, context):
        e = [v for w in context for v in self.embedding(w)]  # [e1; e2; e3]
        return self.out(self.hidden(e))


def onehot_loss(model, vocab_size):
    """The cross-entropy of one window, a function of 4 x ``vocab_size`` numbers: the one-hot vectors of the
    three context words and of the target. e = E^T x (a dot product of each column of the table with x) is
    the lookup, and -t . log_softmax(y) is -log_softmax(y)[target], to the last bit.

    >>> lm = NeuralLM(5, dim=2, hidden=3, seed=0)
    >>> x = [0.0] * 20
    >>> x[1] = x[5 + 2] = x[10 + 4] = x[15 + 3] = 1.0  # context words 1, 2, 4; target 3
    >>> onehot_loss(lm, 5)(*x).data == nn.cross_entropy(lm([1, 2, 4]), 3).data
    True
    """
    columns = [[row[d] for row in model.embedding.weight] for d in range(model.embedding.dim)]

    def window_loss(*x):
        words = [x[i * vocab_size : (i + 1) * vocab_size] for i in range(WINDOW + 1)]
        e = [autograd.dot(column, word) for word in words[:WINDOW] for column in columns]  # [e1; e2; e3]
        return -autograd.dot(words[WINDOW], autograd.log_softmax(model.out(model.hidden(e))))

    return window_loss


def _onehots(batch, identity):
    """The arguments of onehot_loss for a batch of windows: 4 x vocab_size arrays, one number per window."""
    contexts = numpy.array([context for context, _ in batch])
    words = [contexts[:, i] for i in range(WINDOW)] + [numpy.array([target for _, target in batch])]
    return [row for w in words for row in identity[w].T]


def train(seed=0, epochs=12, batch_size=16, lr=0.03, dim=8, hidden=16, eager=False):
    """Adam on the mean cross-entropy of shuffled mini-batches of windows, through vmap (``eager``: a graph
    per window). Returns (model, vocab, losses), with one loss per epoch (the mean over its batches)."""
    vocab = build_vocab()
    pairs = windows(CORPUS, vocab)
    model = NeuralLM(len(vocab), dim=dim, hidden=hidden, seed=seed)
    opt = nn.Adam(model.parameters(), lr=lr)
    rng = nn.init.make_rng(seed)
    batched = vmap(onehot_loss(model, len(vocab)), reduce="mean")
    identity = numpy.eye(len(vocab))
    losses = []
    for _ in range(epochs):
        total = 0.0
        for batch in nn.batches(pairs, batch_size, rng=rng):
            if eager:
                loss = sum_values([nn.cross_entropy(model(ctx), target) for ctx, target in batch]) * (1.0 / len(batch))
            else:
                loss = batched(*_onehots(batch, identity))
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.data * len(batch)
        losses.append(total / len(pairs))
    return model, vocab, losses


def next_word_probs(model, vocab, context):
    """{word: probability} of the next word after the last three words of ``context`` (a string)."""
    words = ([START] * WINDOW + context.split())[-WINDOW:]
    index = {w: i for i, w in enumerate(vocab)}
    with autograd.no_grad():
        probs = autograd.softmax(model([index[w] for w in words]))
    return {w: p.data for w, p in zip(vocab, probs)}


def cosine(u, v):
    """Cosine similarity of two embeddings (lists of Values or numbers)."""
    u = [x.data if isinstance(x, autograd.Value) else x for x in u]
    v = [x.data if isinstance(x, autograd.Value) else x for x in v]
    return sum(a * b for a, b in zip(u, v)) / math.sqrt(sum(a * a for a in u) * sum(b * b for b in v))


def main(out_dir, eager=False):
    model, vocab, losses = train(eager=eager)
    print(
        f"{len(CORPUS)} sentences, {len(vocab)} words; {len(losses)} epochs of Adam "
        f"({'a graph per window' if eager else 'mini-batches through vmap'}): loss {losses[0]:.3f} -> {losses[-1]:.3f}"
    )
    for context in ("students opened their", "children opened their", "that the cat gets", "that the dog gets"):
        probs = next_word_probs(model, vocab, context)
        top = sorted(probs, key=probs.get, reverse=True)[:3]
        print(f"  {context!r} -> " + ", ".join(f"{w} {probs[w]:.2f}" for w in top))
    print("(the corpus has 'the cat gets fed' but never 'the dog gets ...')")
    emb = {w: model.embedding(i) for i, w in enumerate(vocab)}
    for word in ("cat", "dog", "books"):
        sims = sorted(((cosine(emb[word], emb[w]), w) for w in vocab if w != word), reverse=True)[:3]
        print(f"  nearest to {word!r}: " + ", ".join(f"{w} {s:.2f}" for s, w in sims))
    path = pathlib.Path(out_dir) / "neural_lm_similarity.png"
    plot_similarities(emb, SHOWN, path)
    print(f"cosine similarities of the learned embeddings: {path}")


SHOWN = ["cat", "dog", "baby", "teacher", "students", "children", "books", "presents", "door", "mat", "food"]


def plot_similarities(emb, words, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sims = [[cosine(emb[a], emb[b]) for b in words] for a in words]
    fig, ax = plt.subplots(figsize=(7, 6))
    im = ax.imshow(sims, cmap="RdBu_r", vmin=-1, vmax=1)
    ax.set_xticks(range(len(words)), words, rotation=45, ha="right")
    ax.set_yticks(range(len(words)), words)
    for i, row in enumerate(sims):
        for j, v in enumerate(row):
            text = f"{v:.1f}".replace("-0.0", "0.0")  # a tiny negative cosine is 0 at this precision
            ax.text(j, i, text, ha="center", va="center", fontsize=7, color="white" if abs(v) > 0.6 else "black")
    ax.set_xlabel("word")
    ax.set_ylabel("word")
    ax.set_title("Cosine similarity of learned word embeddings")
    fig.colorbar(im, ax=ax, shrink=0.8, label="cosine similarity")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


if __name__ == "__main__":
    from demos._cli import run

    def options(parser):
        parser.add_argument(
            "--eager", action="store_true", help="build every window's graph (with the lookups) instead of vmap's"
        )

    run(main, __file__, __doc__, options)
