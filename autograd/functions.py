"""The op table's ops as functions: ``autograd.sin(x)`` for a Value, a Dual or a plain number.

A number becomes a constant Value, so ``sin(0.5)`` is a Value too (with no gradient to anything).
Each function is the method of the same name: ``sin(x)`` is ``x.sin()``.

    >>> from autograd import Value, sin, maximum
    >>> sin(Value(0.0)).data, maximum(1, Value(2.0)).data
    (0.0, 2.0)
"""

from . import ops
from .engine import Value
from .methods import OpMethods

__all__ = [
    "sin",
    "cos",
    "tan",
    "asin",
    "acos",
    "atan",
    "sinh",
    "cosh",
    "tanh",
    "asinh",
    "acosh",
    "atanh",
    "exp",
    "exp2",
    "expm1",
    "log2",
    "log10",
    "log1p",
    "sqrt",
    "cbrt",
    "square",
    "reciprocal",
    "erf",
    "erfc",
    "sign",
    "abs",
    "degrees",
    "radians",
    "relu",
    "sigmoid",
    "softplus",
    "silu",
    "gelu",
    "log",
    "leaky_relu",
    "elu",
    "clamp",
    "atan2",
    "hypot",
    "maximum",
    "minimum",
]


def _scalar(x):
    return x if isinstance(x, OpMethods) else Value(x)


def _unary(op):
    def function(x):
        x = _scalar(x)
        return x._apply(op, x)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = (
        f"{op.doc[:1].upper() + op.doc[1:]} of a Value or a number: the op {op.name!r}, ``x.{op.name}()``."
    )
    return function


def _binary(op):
    def function(x, y):
        x = _scalar(x)
        return x._apply(op, x, y)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = f"{op.doc[:1].upper() + op.doc[1:]}: the op {op.name!r}, ``x.{op.name}(y)``."
    return function


sin = _unary(ops.SIN)
cos = _unary(ops.COS)
tan = _unary(ops.TAN)
asin = _unary(ops.ASIN)
acos = _unary(ops.ACOS)
atan = _unary(ops.ATAN)
sinh = _unary(ops.SINH)
cosh = _unary(ops.COSH)
tanh = _unary(ops.TANH)
asinh = _unary(ops.ASINH)
acosh = _unary(ops.ACOSH)
atanh = _unary(ops.ATANH)
exp = _unary(ops.EXP)
exp2 = _unary(ops.EXP2)
expm1 = _unary(ops.EXPM1)
log2 = _unary(ops.LOG2)
log10 = _unary(ops.LOG10)
log1p = _unary(ops.LOG1P)
sqrt = _unary(ops.SQRT)
cbrt = _unary(ops.CBRT)
square = _unary(ops.SQUARE)
reciprocal = _unary(ops.RECIPROCAL)
erf = _unary(ops.ERF)
erfc = _unary(ops.ERFC)
sign = _unary(ops.SIGN)
abs = _unary(ops.ABS)
degrees = _unary(ops.DEGREES)
radians = _unary(ops.RADIANS)
relu = _unary(ops.RELU)
sigmoid = _unary(ops.SIGMOID)
softplus = _unary(ops.SOFTPLUS)
silu = _unary(ops.SILU)
gelu = _unary(ops.GELU)
atan2 = _binary(ops.ATAN2)
hypot = _binary(ops.HYPOT)
maximum = _binary(ops.MAXIMUM)
minimum = _binary(ops.MINIMUM)


def log(x, base=None):
    """Natural logarithm of a Value or a number, or with ``base`` the logarithm to that base.

    >>> log(Value(8.0), 2).data
    3.0
    """
    return _scalar(x).log(base)


def leaky_relu(x, slope=0.01):
    """x for x > 0, else slope * x.

    >>> leaky_relu(-1.0, 0.5).data
    -0.5
    """
    return _scalar(x).leaky_relu(slope)


def elu(x, alpha=1.0):
    """x for x > 0, else alpha * (e**x - 1).

    >>> elu(2.0).data
    2.0
    """
    return _scalar(x).elu(alpha)


def clamp(x, lo=None, hi=None):
    """x limited to [lo, hi] (either may be None).

    >>> clamp(Value(-5.0), -1, 1).data
    -1.0
    """
    return _scalar(x).clamp(lo, hi)
