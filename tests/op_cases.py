"""The op tests' cases, derived from the op table (autograd.ops.OPS) and shared by the test files that go
over every op: each op bound to the parameters it is tested with, how a user applies it, and its torch float64
counterpart. The points come from the table too (``Op.sample_points``)."""

import math
import operator

from autograd import dot, logsumexp, ops, sum_values

# Parameters to test each op with (the default, and more where the parameter changes the math).
PARAMS = {
    "**n": [(2.0,), (3.0,), (0.5,), (-1.0,), (2.5,), (0.0,), (1.0,), (-2.0,)],
    "leaky_relu": [(0.01,), (0.2,)],
    "elu": [(1.0,), (0.5,)],
    "clamp": [(-1.0, 1.0), (-0.5, math.inf), (-math.inf, 0.5)],
}

# How a user applies each op that is not called by its name (ops.CALLED_BY_NAME: a method of that name).
OPERATORS = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "%": operator.mod,
    "neg": operator.neg,
    "**": operator.pow,
    "sum": lambda *xs: sum_values(xs),  # also on Duals
    "logsumexp": lambda *xs: logsumexp(xs),
    "dot": lambda *a: dot(a[: len(a) // 2], a[len(a) // 2 : -1], a[-1]),
}

# Every op of the table, bound to each set of parameters it is tested with.
CASES = [op.bind(*params) for op in ops.OPS for params in PARAMS.get(op.name, [op.params])]


def case_id(op):
    return op.title


def user_call(op):
    """The op as a user calls it: operator, method or list function, with the op's parameters."""
    if op.name in OPERATORS:
        return OPERATORS[op.name]
    if op.name == "**n":
        return lambda x: x ** op.params[0]
    return lambda x, *rest: getattr(x, op.name)(*rest, *op.params)


def table_line(op):
    """The one line that gives the op called by name its method (in OpMethods) or its function:
    ``sin = _unary(ops.SIN)``. (An op with parameters, or log with its base, has a ``def`` instead.)"""
    entry = next(name for name, value in vars(ops).items() if value is op)
    return f"{op.name} = {'_unary' if op.arity == 1 else '_binary'}(ops.{entry})"


def arity(op):
    """How many operands the tests give the op (3 for an n-ary op)."""
    return 3 if op.arity < 0 else op.arity


def _torch_sinc(torch, x):
    """sin(x)/x in torch (its torch.sinc is sin(πx)/(πx), whose gradient is 3% off at x = 6e-8): the quotient,
    and its Taylor series 1 - x^2/6 + x^4/120 below |x| = 1e-4 (off by x^6/5040 there), with the quotient's
    operands of each branch kept where it is finite, so that no NaN flows back through the branch not taken."""
    small = x.abs() < 1e-4
    big, tiny = torch.where(small, torch.ones_like(x), x), torch.where(small, x, torch.zeros_like(x))
    return torch.where(small, 1 - tiny * tiny / 6 + tiny**4 / 120, torch.sin(big) / big)


def torch_function(torch, op):
    """The op in torch float64, called as ``f(*operand tensors, *op.params)``: torch's function of the same
    name, or where torch names or shapes it otherwise, the one here."""
    F = torch.nn.functional
    special = {
        "+": operator.add,
        "-": operator.sub,
        "*": operator.mul,
        "/": operator.truediv,
        "%": torch.remainder,
        "neg": operator.neg,
        "**n": lambda x, n: x**n,
        "**": torch.pow,
        "cbrt": lambda x: torch.sign(x) * x.abs() ** (1 / 3),
        "degrees": torch.rad2deg,
        "radians": torch.deg2rad,
        "sinc": lambda x: _torch_sinc(torch, x),
        "softplus": F.softplus,
        "silu": F.silu,
        "gelu": F.gelu,
        "leaky_relu": F.leaky_relu,
        "elu": F.elu,
        "clamp": torch.clamp,
        "sum": lambda *xs: sum(xs[1:], xs[0]),
        "logsumexp": lambda *xs: torch.logsumexp(torch.stack(xs), 0),
        "dot": lambda *a: torch.dot(torch.stack(a[: len(a) // 2]), torch.stack(a[len(a) // 2 : -1])) + a[-1],
    }
    return special.get(op.name) or getattr(torch, op.name)
