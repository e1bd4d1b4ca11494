"""XOR three ways: a perceptron that cannot learn it, the textbook's hand-set ReLU network, a trained MLP.

A perceptron outputs step(w1 x1 + w2 x2 + b). XOR would need
b <= 0 (for 0,0), w2 + b > 0 (0,1), w1 + b > 0 (1,0) and w1 + w2 + b <= 0 (1,1).
Adding the middle two gives w1 + w2 + 2b > 0, so w1 + w2 + b > -b >= 0: a contradiction.
No line separates XOR's classes, so the perceptron rule never stops making mistakes.
A hidden layer maps the inputs to a space where they are separable.
"""

import random
from collections import namedtuple
from collections.abc import Sequence

from autograd import Value

from .init import make_rng
from .layers import Layer
from .losses import binary_cross_entropy_with_logits
from .module import Module
from .optim import Adam

__all__ = [
    "AND",
    "OR",
    "XOR",
    "Perceptron",
    "PerceptronRun",
    "train_perceptron",
    "XORNet",
    "textbook_xor",
    "XORRun",
    "train_xor",
]

# Truth tables: ((x1, x2), target) in the textbook's order.
AND = (((0, 0), 0), ((0, 1), 0), ((1, 0), 0), ((1, 1), 1))
OR = (((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 1))
XOR = (((0, 0), 0), ((0, 1), 1), ((1, 0), 1), ((1, 1), 0))


class Perceptron:
    """step(w . x + b): 1 if w . x + b > 0 else 0. Plain floats: it is trained by the perceptron rule,
    not by gradients (the step has none).

    >>> Perceptron([1.0, 1.0], -1.5)((1, 1))   # AND
    1
    """

    def __init__(self, w: Sequence[float], b: float = 0.0) -> None:
        self.w = [float(wi) for wi in w]
        self.b = float(b)

    def __call__(self, x: Sequence[float]) -> int:
        if len(x) != len(self.w):
            raise ValueError(f"Perceptron takes {len(self.w)} inputs, got {len(x)}: {x!r}")
        return 1 if sum(wi * xi for wi, xi in zip(self.w, x)) + self.b > 0 else 0

    def __repr__(self) -> str:
        return f"Perceptron(w={self.w!r}, b={self.b!r})"


PerceptronRun = namedtuple("PerceptronRun", "perceptron converged epochs errors")
PerceptronRun.__doc__ = """The result of train_perceptron: the perceptron, whether an epoch had no
mistakes, the number of epochs run, and the number of mistakes in each epoch."""


def train_perceptron(table: Sequence[tuple[Sequence[float], int]], epochs: int = 100, lr: float = 1.0) -> PerceptronRun:
    """The perceptron rule from zero weights: after each mistake, w += lr (t - y) x and b += lr (t - y).

    Stops after the first epoch without a mistake (converged) or after ``epochs`` epochs.
    It converges on any linearly separable table (AND, OR), and never on XOR.

    >>> run = train_perceptron(AND)
    >>> run.converged, [run.perceptron(x) for x, _ in AND]
    (True, [0, 0, 0, 1])
    >>> train_perceptron(XOR).converged
    False
    """
    if type(epochs) is not int or epochs < 1:
        raise ValueError(f"train_perceptron: epochs must be a positive int, got {epochs!r}")
    p = Perceptron([0.0] * len(table[0][0]))
    errors: list[int] = []
    for _ in range(epochs):
        mistakes = 0
        for x, t in table:
            delta = t - p(x)
            if delta:
                mistakes += 1
                p.w = [wi + lr * delta * xi for wi, xi in zip(p.w, x)]
                p.b += lr * delta
        errors.append(mistakes)
        if mistakes == 0:
            return PerceptronRun(p, True, len(errors), errors)
    return PerceptronRun(p, False, len(errors), errors)


class XORNet(Module):
    """2 inputs -> ``hidden`` units -> 1 output. ``features(x)`` is the hidden vector h,
    ``net(x)`` the output as a one-element list.

    >>> net = XORNet(seed=0)
    >>> len(net.features([0, 1])), len(net([0, 1]))
    (2, 1)
    """

    def __init__(
        self,
        hidden: int = 2,
        activation: str = "relu",
        out_activation: str = "linear",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        rng = make_rng(seed, rng)
        self.hidden = Layer(2, hidden, activation, rng=rng)
        self.out = Layer(hidden, 1, out_activation, rng=rng)

    def features(self, x: Sequence[Value | float]) -> list[Value]:
        return self.hidden(x)

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        return self.out(self.hidden(x))

    def __repr__(self) -> str:
        return f"XORNet(hidden={self.hidden.nout}, activation={self.hidden.activation!r})"


def textbook_xor() -> XORNet:
    """The textbook's hand-set network: h = ReLU(W x + b), W = [[1, 1], [1, 1]], b = [0, -1];
    y = U h with U = [1, -2] and no bias.

    >>> net = textbook_xor()
    >>> [net([x1, x2])[0].data for (x1, x2), _ in XOR]
    [0.0, 1.0, 1.0, 0.0]
    """
    net = XORNet(hidden=2, activation="relu", out_activation="linear", seed=0)
    net.load_state_dict(
        {
            "hidden.neurons.0.w.0": 1.0,
            "hidden.neurons.0.w.1": 1.0,
            "hidden.neurons.0.b": 0.0,
            "hidden.neurons.1.w.0": 1.0,
            "hidden.neurons.1.w.1": 1.0,
            "hidden.neurons.1.b": -1.0,
            "out.neurons.0.w.0": 1.0,
            "out.neurons.0.w.1": -2.0,
            "out.neurons.0.b": 0.0,
        }
    )
    return net


XORRun = namedtuple("XORRun", "net success steps_to_100 losses")
XORRun.__doc__ = """The result of train_xor: the trained net, whether it classifies all four points
right at the end, the number of Adam steps after which it first did (None if never), and the loss
before each step."""


def train_xor(seed: int, hidden: int = 2, activation: str = "tanh", steps: int = 300, lr: float = 0.1) -> XORRun:
    """Train an XORNet (logit output, binary cross-entropy, full batch, Adam) from ``seed``.

    The prediction is 1 when the logit is > 0.

    >>> run = train_xor(seed=1)
    >>> run.success, [int(run.net([x1, x2])[0].data > 0) for (x1, x2), _ in XOR]
    (True, [0, 1, 1, 0])
    """
    net = XORNet(hidden, activation, "linear", seed=seed)
    opt = Adam(net.parameters(), lr=lr)
    losses: list[float] = []
    steps_to_100: int | None = None
    for step in range(steps + 1):
        logits = [net(list(x))[0] for x, _ in XOR]
        correct = all((z.data > 0) == (t == 1) for z, (_, t) in zip(logits, XOR))
        if correct and steps_to_100 is None:
            steps_to_100 = step
        if step == steps:
            return XORRun(net, correct, steps_to_100, losses)
        loss = binary_cross_entropy_with_logits(logits, [t for _, t in XOR])
        losses.append(loss.data)
        opt.zero_grad()
        loss.backward()
        opt.step()
    raise ValueError(f"train_xor: steps must be >= 0, got {steps!r}")  # range(steps + 1) was empty
