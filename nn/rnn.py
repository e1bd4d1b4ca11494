"""Recurrent networks: an Elman cell, the network unrolled over a sequence, `detach` and `sample`.

    h_t = tanh(W_xh x_t + W_hh h_(t-1) + b_h)        y_t = W_hy h_t + b_y

The same Parameter objects are used at every time step, so one ``loss.backward()`` adds up the
contribution of every step into each weight's ``.grad``: backpropagation through time needs no
code of its own. ``detach`` turns a hidden state into plain numbers, which cuts the graph there
(truncated BPTT).
"""

import random
from collections.abc import Sequence

from autograd import Value, no_grad, scope, softmax, sum_values

from .init import Init, get_init, make_rng
from .layers import ACTIVATIONS, activate, check_activation
from .module import Module, Parameter

__all__ = ["RNNCell", "RNN", "detach", "sample"]

_ACTIVATIONS = {name: ACTIVATIONS[name] for name in ("tanh", "relu")}  # those that keep h bounded or simple


def _matrix(rows: int, cols: int, init: Init, rng: random.Random) -> list[list[Parameter]]:
    """A rows x cols list of Parameters drawn by ``init(fan_in=cols, fan_out=rows, rng)``."""
    return [[Parameter(init(cols, rows, rng)) for _ in range(cols)] for _ in range(rows)]


def _zeros(n: int) -> list[Parameter]:
    return [Parameter(0.0) for _ in range(n)]


def _terms(x: Sequence[Value | float]) -> list[tuple[int, Value | float]]:
    """(j, x_j) for the entries of x that can matter: plain-number zeros add nothing to a value or a gradient."""
    return [(j, xj) for j, xj in enumerate(x) if isinstance(xj, Value) or xj != 0.0]


def _affine(W: Sequence[Sequence[Value]], b: Sequence[Value], x: Sequence[Value | float]) -> list[Value]:
    """[b_i + sum_j W_ij x_j], each unit one n-ary sum node."""
    terms = _terms(x)
    return [sum_values([bi] + [row[j] * xj for j, xj in terms]) for row, bi in zip(W, b)]


def _check_vector(x: Sequence[Value | float], n: int, what: str) -> Sequence[Value | float]:
    """x as a list of n numbers or Values, or TypeError/ValueError saying what was expected."""
    if not isinstance(x, (list, tuple)):
        raise TypeError(f"{what} must be a list of {n} numbers or Values, got {x!r} of type {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{what} must have length {n}, got length {len(x)}: {x!r}")
    for v in x:
        if not isinstance(v, (Value, int, float)) or isinstance(v, bool):
            raise TypeError(f"{what} must hold numbers or Values, got {v!r} of type {type(v).__name__}")
    return x


def _check_size(n: object, what: str) -> None:
    if type(n) is not int or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")


class RNNCell(Module):
    """One step of an Elman RNN: ``h = cell(x, h_prev)`` with h = act(W_xh x + W_hh h_prev + b_h).

    ``activation`` is "tanh" (the default) or "relu". ``init`` names an initialiser of ``nn.init``
    (Xavier uniform by default; biases start at 0); ``seed`` or ``rng`` makes the weights reproducible.
    ``h_prev=None`` means the zero state.
    Inputs and states are lists of numbers or Values; the result is a list of Values.

    >>> cell = RNNCell(2, 3, seed=0)
    >>> h = cell([1.0, 0.0])
    >>> h = cell([0.0, 1.0], h)
    >>> len(h), len(cell.parameters())
    (3, 18)
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        activation: str = "tanh",
        init: str | Init = "xavier_uniform",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_size(n_in, "RNNCell: n_in")
        _check_size(n_hidden, "RNNCell: n_hidden")
        check_activation(activation, "RNNCell: activation", _ACTIVATIONS)
        draw, rng = get_init(init), make_rng(seed, rng)
        self.n_in, self.n_hidden, self.activation = n_in, n_hidden, activation
        self.W_xh = _matrix(n_hidden, n_in, draw, rng)
        self.W_hh = _matrix(n_hidden, n_hidden, draw, rng)
        self.b_h = _zeros(n_hidden)

    def __call__(self, x: Sequence[Value | float], h_prev: Sequence[Value | float] | None = None) -> list[Value]:
        x_terms = _terms(_check_vector(x, self.n_in, "RNNCell: input x"))
        h_terms: list[tuple[int, Value | float]] = []
        if h_prev is not None:
            h_terms = _terms(_check_vector(h_prev, self.n_hidden, "RNNCell: hidden state h_prev"))
        # one sum node per unit: b_i + sum_j W_xh[i][j] x_j + sum_j W_hh[i][j] h_prev_j
        pre = [
            sum_values([b] + [wx[j] * xj for j, xj in x_terms] + [wh[j] * hj for j, hj in h_terms])
            for wx, wh, b in zip(self.W_xh, self.W_hh, self.b_h)
        ]
        return [activate(self.activation, p) for p in pre]


class RNN(Module):
    """An Elman network unrolled over a sequence: ``outputs, hiddens = rnn(xs, h0=None)``.

    ``xs`` is a list of input vectors (each a list of ``n_in`` numbers or Values). For every step t
    it returns the output logits y_t = W_hy h_t + b_y and the hidden state h_t, both lists of Values,
    so ``outputs[t][k]`` is logit k at step t and ``hiddens[-1]`` is the last state (h0 is not included).
    ``h0=None`` means the zero state. Weights are shared across steps, so ``backward()`` does BPTT.

    >>> rnn = RNN(4, 3, 4, seed=0)
    >>> outputs, hiddens = rnn([[1, 0, 0, 0], [0, 1, 0, 0]])
    >>> len(outputs), len(outputs[0]), len(hiddens[0])
    (2, 4, 3)
    """

    def __init__(
        self,
        n_in: int,
        n_hidden: int,
        n_out: int,
        activation: str = "tanh",
        init: str | Init = "xavier_uniform",
        seed: int | None = None,
        rng: random.Random | None = None,
    ) -> None:
        _check_size(n_out, "RNN: n_out")
        rng = make_rng(seed, rng)
        self.n_out = n_out
        self.cell = RNNCell(n_in, n_hidden, activation, init, rng=rng)
        self.W_hy = _matrix(n_out, n_hidden, get_init(init), rng)
        self.b_y = _zeros(n_out)

    def __call__(
        self, xs: Sequence[Sequence[Value | float]], h0: Sequence[Value | float] | None = None
    ) -> tuple[list[list[Value]], list[list[Value]]]:
        if not isinstance(xs, (list, tuple)):
            raise TypeError(f"RNN: xs must be a list of input vectors, got {xs!r} of type {type(xs).__name__}")
        h = h0
        outputs: list[list[Value]] = []
        hiddens: list[list[Value]] = []
        for t, x in enumerate(xs):
            with scope(f"step[{t}]"):  # names the step's nodes, so that draw() can group the unrolled graph by time
                h_t = self.cell(x, h)
                hiddens.append(h_t)
                outputs.append(_affine(self.W_hy, self.b_y, h_t))
                h = h_t
        return outputs, hiddens


def detach(values: Sequence[Value | float]) -> list[float]:
    """The numbers inside a list of Values, as plain floats: a hidden state to carry on without its graph.

    Feeding ``detach(hiddens[-1])`` as the next chunk's ``h0`` is truncated BPTT: gradients stop there,
    and the graph of each chunk stays the size of one chunk however long the sequence is.

    >>> detach([Value(0.5), Value(-1.0), 2])
    [0.5, -1.0, 2.0]
    """
    if not isinstance(values, (list, tuple)):
        raise TypeError(f"detach: expects a list of Values or numbers, got {values!r} of type {type(values).__name__}")
    out: list[float] = []
    for v in values:
        if isinstance(v, Value):
            out.append(v.data)
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out.append(float(v))
        else:
            raise TypeError(f"detach: expects Values or numbers, got {v!r} of type {type(v).__name__}")
    return out


def sample(
    rnn: RNN,
    first: int,
    length: int,
    temperature: float = 1.0,
    seed: int | None = None,
    rng: random.Random | None = None,
    h0: Sequence[Value | float] | None = None,
) -> list[int]:
    """Generate ``length`` token indices after token ``first`` by feeding each draw back in as a one-hot input.

    For a token-level model (``n_in == n_out``). Each next token is drawn from softmax(y_t / temperature):
    low temperatures pick the likeliest tokens, high ones spread out. Same seed (or the same state of
    ``rng``, a random.Random), same tokens. ``h0`` is the starting hidden state. No graph is built.

    >>> rnn = RNN(4, 8, 4, seed=1)
    >>> sample(rnn, 0, 5, seed=3) == sample(rnn, 0, 5, seed=3)
    True
    """
    n = rnn.cell.n_in
    if rnn.n_out != n:
        raise ValueError(
            f"sample: needs a model with n_in == n_out (tokens in, tokens out), got n_in={n}, n_out={rnn.n_out}"
        )
    if type(first) is not int or not 0 <= first < n:
        raise ValueError(f"sample: first must be a token index in [0, {n}), got {first!r}")
    if type(length) is not int or length < 0:
        raise ValueError(f"sample: length must be a non-negative int, got {length!r}")
    if not isinstance(temperature, (int, float)) or isinstance(temperature, bool) or not temperature > 0:
        raise ValueError(f"sample: temperature must be a number > 0, got {temperature!r}")
    rng = make_rng(seed, rng)
    tokens: list[int] = []
    token, h = first, h0
    with no_grad():
        for _ in range(length):
            x = [0.0] * n
            x[token] = 1.0
            h_t = rnn.cell(x, h)
            logits = _affine(rnn.W_hy, rnn.b_y, h_t)
            h = h_t
            probs = [p.data for p in softmax([y * (1.0 / temperature) for y in logits])]
            token = rng.choices(range(n), weights=probs)[0]
            tokens.append(token)
    return tokens
