"""Neuron, Layer, MLP, Dropout and Embedding: modules over lists of Values."""

import numbers
import random
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet

from autograd import Constant, Value, apply, dot, ops, scope, sum_values
from autograd.engine import fused_dot  # documented internal API, for nn's layers (see autograd.engine)

from .init import Init, get_init, make_rng
from .module import Module, Parameter

__all__ = ["ACTIVATIONS", "Neuron", "Layer", "MLP", "Dropout", "Embedding"]

# The activations, by name: each one an op of the op table ("linear" is none at all).
ACTIVATIONS: dict[str, ops.Op | None] = {
    "linear": None,
    "tanh": ops.TANH,
    "relu": ops.RELU,
    "sigmoid": ops.SIGMOID,
    "softplus": ops.SOFTPLUS,
    "silu": ops.SILU,
    "gelu": ops.GELU,
    "elu": ops.ELU,
    "leaky_relu": ops.LEAKY_RELU,
}


def check_activation(name: object, what: str = "activation", allowed: Mapping[str, object] = ACTIVATIONS) -> str:
    """name, if it is one of `allowed` (for nn modules: an activation by name), else a ValueError."""
    if not isinstance(name, str) or name not in allowed:
        raise ValueError(f"{what} must be one of {tuple(allowed)}, got {name!r}")
    return name


def activate(name: str, z: Value) -> Value:
    """The activation ``name`` of `ACTIVATIONS` applied to z (a Value).

    >>> activate("relu", Value(-1.0)).data, activate("linear", Value(-1.0)).data
    (0.0, -1.0)
    >>> activate("relu", 2.0).op  # a number becomes a constant node
    'relu'
    """
    if isinstance(z, Value):
        method = _METHODS[name]
        return z if method is None else method(z)
    op = ACTIVATIONS[name]
    return z if op is None else apply(op, z)


# Each activation as Value's method (relu and tanh are inlined there), looked up once here.
_METHODS: dict[str, Callable[[Value], Value] | None] = {
    name: None if op is None else getattr(Value, op.name) for name, op in ACTIVATIONS.items()
}


def _flag(x: object, what: str) -> bool:
    if type(x) is not bool:
        raise TypeError(f"{what} must be True or False, got {x!r}")
    return x


def _unfused(fused: bool) -> str:
    return "" if fused else ", fused=False"


def _count(n: object, what: str) -> int:
    if type(n) is not int or n < 1:
        raise ValueError(f"{what} must be a positive int, got {n!r}")
    return n


def _inputs(x: Sequence[Value | float], n: int, who: Module) -> Sequence[Value | float]:
    """x as a list of n Values or numbers, or a clear error naming the module ``who``. A dict, a set or a
    str has a length but is no list of inputs (a dict would give its keys)."""
    if _not_a_list(x):
        raise TypeError(f"{who!r} takes a list of {n} inputs (Values or numbers), got {x!r} of type {type(x).__name__}")
    if len(x) != n:
        raise ValueError(f"{who!r} takes {n} inputs, got {len(x)}: {list(x)!r}")
    return x


def _not_a_list(x: object) -> bool:
    return isinstance(x, (Value, int, float, str, bytes, Mapping, AbstractSet)) or not hasattr(x, "__len__")


def _values(x: Sequence[Value | float]) -> list[Value]:
    """The inputs as Values: numbers become constants once here, so one input node feeds every neuron."""
    return [xi if isinstance(xi, Value) else Constant(xi) for xi in x]


class Neuron(Module):
    """act(w . x + b), with w . x + b as one node (``autograd.dot``, drawn ``Σ wᵢxᵢ + b``); with
    ``fused=False`` as the products w_i x_i and one sum node, the expanded form a lesson may want to show
    (the same gradients).

    Weights are drawn by ``init`` (default: "he_uniform" for relu, else "xavier_uniform"; fan_out is
    the size of the layer the neuron sits in); the bias starts at 0.

    >>> n = Neuron(2, activation="linear", seed=0)
    >>> n.w[0].data, n.w[1].data, n.b.data = 2.0, 3.0, 1.0
    >>> n([1.0, 1.0]).data
    6.0
    """

    def __init__(
        self,
        nin: int,
        activation: str = "tanh",
        init: str | Init | None = None,
        seed: int | None = None,
        rng: random.Random | None = None,
        fan_out: int = 1,
        fused: bool = True,
    ) -> None:
        self.nin = _count(nin, "Neuron nin")
        self.fused = _flag(fused, "Neuron fused")
        self.activation = check_activation(activation)
        draw = get_init(init if init is not None else "he_uniform" if activation == "relu" else "xavier_uniform")
        rng = make_rng(seed, rng)
        fan_out = _count(fan_out, "Neuron fan_out")
        self.w = [Parameter(draw(nin, fan_out, rng)) for _ in range(nin)]
        self.b = Parameter(0.0)

    def __call__(self, x: Sequence[Value | float]) -> Value:
        xs = _values(_inputs(x, self.nin, self))
        return self._forward(xs, [v.data for v in xs])

    def _forward(self, xs: list[Value], xd: list[float]) -> Value:
        """act(w . x + b) for inputs already checked and made Values, ``xd`` their data (Layer does both
        once for all its neurons)."""
        if not self.fused:
            z = sum_values([wi * xi for wi, xi in zip(self.w, xs)] + [self.b])
        else:
            try:
                z = fused_dot(self.w, xs, self.b, xd)
            except AttributeError:  # a weight or bias replaced by a number: a constant
                z = dot(self.w, xs, self.b)
        return activate(self.activation, z)

    def __repr__(self) -> str:
        return f"Neuron({self.nin}, activation={self.activation!r}{_unfused(self.fused)})"


class Layer(Module):
    """``nout`` neurons over the same ``nin`` inputs. Always returns a list, even for one output.

    >>> layer = Layer(3, 2, activation="relu", seed=0)
    >>> len(layer([1.0, 2.0, 3.0])), len(layer.parameters())
    (2, 8)
    """

    def __init__(
        self,
        nin: int,
        nout: int,
        activation: str = "tanh",
        init: str | Init | None = None,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        self.nin = _count(nin, "Layer nin")
        self.fused = _flag(fused, "Layer fused")
        self.nout = _count(nout, "Layer nout")
        self.activation = check_activation(activation)
        rng = make_rng(seed, rng)
        self.neurons = [Neuron(nin, activation, init=init, rng=rng, fan_out=nout, fused=fused) for _ in range(nout)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        xs = _values(_inputs(x, self.nin, self))
        xd = [v.data for v in xs]
        return [n._forward(xs, xd) for n in self.neurons]

    def __repr__(self) -> str:
        return f"Layer({self.nin}, {self.nout}, activation={self.activation!r}{_unfused(self.fused)})"


class MLP(Module):
    """Layers of sizes ``sizes`` after ``nin`` inputs; ``activation`` on hidden layers, ``out_activation``
    on the last. Returns the last layer's list, even for one output.

    >>> model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    >>> len(model.parameters()), len(model([0.5, -1.0]))
    (337, 1)
    """

    def __init__(
        self,
        nin: int,
        sizes: Sequence[int],
        activation: str = "tanh",
        out_activation: str = "linear",
        init: str | Init | None = None,
        seed: int | None = None,
        rng: random.Random | None = None,
        fused: bool = True,
    ) -> None:
        self.nin = _count(nin, "MLP nin")
        self.fused = _flag(fused, "MLP fused")
        if isinstance(sizes, (int, str)) or not hasattr(sizes, "__iter__") or not list(sizes):
            raise ValueError(f"MLP sizes must be a non-empty list of positive ints, got {sizes!r}")
        self.sizes = [_count(n, "each MLP size") for n in sizes]
        self.activation = check_activation(activation)
        self.out_activation = check_activation(out_activation, "out_activation")
        rng = make_rng(seed, rng)
        ins = [nin, *self.sizes[:-1]]
        acts = [activation] * (len(self.sizes) - 1) + [out_activation]
        self.layers = [Layer(i, o, a, init=init, rng=rng, fused=fused) for i, o, a in zip(ins, self.sizes, acts)]

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        h: Sequence[Value | float] = x
        out: list[Value] = []  # sizes is never empty: every MLP has a layer
        for i, layer in enumerate(self.layers):
            with scope(f"layers[{i}]"):  # names the layer's nodes, so that draw() can group them
                h = out = layer(h)
        return out

    def __repr__(self) -> str:
        return (
            f"MLP({self.nin}, {self.sizes}, activation={self.activation!r}, "
            f"out_activation={self.out_activation!r}{_unfused(self.fused)})"
        )


class Dropout(Module):
    """In training mode, zero each input with probability p and scale the rest by 1/(1 - p)
    ("inverted" dropout, so nothing changes at evaluation time). In eval mode, the identity.

    >>> d = Dropout(0.5, seed=0)
    >>> out = d([Value(1.0)] * 4)
    >>> sorted({v.data for v in out}) in ([0.0], [2.0], [0.0, 2.0])
    True
    >>> [v.data for v in d.eval()([Value(1.0)] * 2)]
    [1.0, 1.0]
    """

    def __init__(self, p: float = 0.5, seed: int | None = None, rng: random.Random | None = None) -> None:
        if not isinstance(p, numbers.Real) or isinstance(p, bool) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout p must be a probability in [0, 1], got {p!r}")
        self.p: float = float(p)
        self.rng: random.Random = make_rng(seed, rng)

    def __call__(self, x: Sequence[Value | float]) -> list[Value]:
        if _not_a_list(x):
            raise TypeError(f"Dropout takes a list of Values or numbers, got {x!r} of type {type(x).__name__}")
        xs = _values(x)
        if not self.training or self.p == 0.0:
            return xs
        keep = 0.0 if self.p == 1.0 else 1.0 / (1.0 - self.p)
        # The mask is a constant factor per input: the gradient of a dropped input is 0.
        return [v * (0.0 if self.rng.random() < self.p else keep) for v in xs]

    def __repr__(self) -> str:
        return f"Dropout(p={self.p!r})"


class Embedding(Module):
    """A table of ``num`` rows of ``dim`` parameters; ``emb(i)`` is row i (a list of Values).

    Rows start N(0, 1), as in PyTorch; ``init`` takes any initialiser.

    >>> emb = Embedding(4, 3, seed=0)
    >>> len(emb(2)), emb(2)[0] is emb.weight[2][0]
    (3, True)
    """

    def __init__(
        self, num: int, dim: int, init: str | Init = "normal", seed: int | None = None, rng: random.Random | None = None
    ) -> None:
        self.num = _count(num, "Embedding num")
        self.dim = _count(dim, "Embedding dim")
        draw = get_init(init)
        rng = make_rng(seed, rng)
        self.weight = [[Parameter(draw(num, dim, rng)) for _ in range(dim)] for _ in range(num)]

    def __call__(self, index: int) -> list[Value]:
        if type(index) is not int:
            raise TypeError(f"Embedding index must be an int, got {index!r} of type {type(index).__name__}")
        if not 0 <= index < self.num:
            raise IndexError(f"Embedding index must be in [0, {self.num - 1}], got {index!r}")
        return list(self.weight[index])

    def __repr__(self) -> str:
        return f"Embedding({self.num}, {self.dim})"
