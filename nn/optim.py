"""Optimizers (SGD with momentum, Adam, Adagrad) and gradient clipping, with PyTorch's update rules."""
import math

from autograd import Value

__all__ = ["Optimizer", "SGD", "Adam", "Adagrad", "clip_grad_value", "clip_grad_norm"]


def _params(params, who):
    """params (an iterable of Values, or a Module) as a list, or a clear error."""
    if hasattr(params, "parameters") and callable(params.parameters):
        params = params.parameters()
    if isinstance(params, Value):
        raise TypeError(f"{who}: params must be a list of Values (or a Module), got a single Value {params!r}; "
                        f"wrap it in a list")
    try:
        params = list(params)
    except TypeError:
        raise TypeError(f"{who}: params must be a list of Values (or a Module), got {params!r}") from None
    for p in params:
        if not isinstance(p, Value):
            raise TypeError(f"{who}: every parameter must be a Value, got {p!r} of type {type(p).__name__}")
    return params


def _positive(x, what, allow_zero=False):
    if type(x) not in (int, float) or not math.isfinite(x) or x < 0 or (x == 0 and not allow_zero):
        raise ValueError(f"{what} must be a {'non-negative' if allow_zero else 'positive'} finite number, got {x!r}")
    return float(x)


class Optimizer:
    """Holds a list of parameters; subclasses define ``step()``.

    >>> p = Value(1.0); opt = SGD([p], lr=0.1); p.grad = 2.0; opt.zero_grad(); p.grad
    0.0
    """

    def __init__(self, params, who):
        self.params = _params(params, who)
        if not self.params:
            raise ValueError(f"{who}: got an empty parameter list")

    def zero_grad(self):
        """Set every parameter's grad to 0."""
        for p in self.params:
            p.grad = 0.0


class SGD(Optimizer):
    """p -= lr * v with v = momentum * v + grad (v = grad without momentum), as ``torch.optim.SGD``.

    >>> p = Value(1.0); p.grad = 2.0
    >>> SGD([p], lr=0.1).step(); p.data
    0.8
    """

    def __init__(self, params, lr, momentum=0.0):
        super().__init__(params, "SGD")
        self.lr = _positive(lr, "SGD lr")
        self.momentum = _positive(momentum, "SGD momentum", allow_zero=True)
        if self.momentum >= 1.0:
            raise ValueError(f"SGD momentum must be in [0, 1), got {momentum!r}")
        self.velocity = [0.0] * len(self.params)

    def step(self):
        """Update every parameter from its grad."""
        for i, p in enumerate(self.params):
            v = self.momentum * self.velocity[i] + p.grad if self.momentum else p.grad
            self.velocity[i] = v
            p.data -= self.lr * v


class Adam(Optimizer):
    """Adam (Kingma & Ba 2015) with bias correction, as ``torch.optim.Adam``:
    m = b1 m + (1 - b1) g, v = b2 v + (1 - b2) g^2, p -= lr * m_hat / (sqrt(v_hat) + eps).

    >>> p = Value(1.0); p.grad = 5.0
    >>> Adam([p], lr=0.1).step(); round(p.data, 6)   # the first step moves by lr, whatever the grad
    0.9
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        super().__init__(params, "Adam")
        self.lr = _positive(lr, "Adam lr")
        if (not isinstance(betas, (tuple, list)) or len(betas) != 2
                or not all(type(b) in (int, float) and 0.0 <= b < 1.0 for b in betas)):
            raise ValueError(f"Adam betas must be two numbers in [0, 1), got {betas!r}")
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps = _positive(eps, "Adam eps")
        self.t = 0
        self.m = [0.0] * len(self.params)
        self.v = [0.0] * len(self.params)

    def step(self):
        """Update every parameter from its grad."""
        b1, b2 = self.betas
        self.t += 1
        c1, c2 = 1.0 - b1 ** self.t, 1.0 - b2 ** self.t
        for i, p in enumerate(self.params):
            g = p.grad
            self.m[i] = b1 * self.m[i] + (1.0 - b1) * g
            self.v[i] = b2 * self.v[i] + (1.0 - b2) * g * g
            p.data -= self.lr * (self.m[i] / c1) / (math.sqrt(self.v[i] / c2) + self.eps)


class Adagrad(Optimizer):
    """Adagrad: s += g^2, p -= lr * g / (sqrt(s) + eps), as ``torch.optim.Adagrad``.

    >>> p = Value(1.0); p.grad = 5.0
    >>> Adagrad([p], lr=0.1).step(); round(p.data, 6)
    0.9
    """

    def __init__(self, params, lr=1e-2, eps=1e-10):
        super().__init__(params, "Adagrad")
        self.lr = _positive(lr, "Adagrad lr")
        self.eps = _positive(eps, "Adagrad eps")
        self.sum_sq = [0.0] * len(self.params)

    def step(self):
        """Update every parameter from its grad."""
        for i, p in enumerate(self.params):
            g = p.grad
            self.sum_sq[i] += g * g
            p.data -= self.lr * g / (math.sqrt(self.sum_sq[i]) + self.eps)


def clip_grad_value(params, clip):
    """Clamp every grad into [-clip, clip], in place.

    >>> p = Value(0.0); p.grad = -7.0; clip_grad_value([p], 1.0); p.grad
    -1.0
    """
    params = _params(params, "clip_grad_value")
    clip = _positive(clip, "clip_grad_value clip")
    for p in params:
        p.grad = min(max(p.grad, -clip), clip)


def clip_grad_norm(params, max_norm):
    """If the grads' total L2 norm exceeds max_norm, scale them all by max_norm / norm, in place.
    Returns the norm before clipping (as ``torch.nn.utils.clip_grad_norm_``, without its 1e-6).

    >>> p, q = Value(0.0), Value(0.0); p.grad, q.grad = 3.0, 4.0
    >>> clip_grad_norm([p, q], 1.0), round(p.grad, 6), round(q.grad, 6)
    (5.0, 0.6, 0.8)
    """
    params = _params(params, "clip_grad_norm")
    max_norm = _positive(max_norm, "clip_grad_norm max_norm")
    norm = math.sqrt(math.fsum(p.grad * p.grad for p in params))
    if norm > max_norm:
        scale = max_norm / norm
        for p in params:
            p.grad *= scale
    return norm
