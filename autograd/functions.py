"""The op table's ops as functions: ``autograd.sin(x)`` for a Value, a Dual or a plain number.

A number becomes a constant Value, so ``sin(0.5)`` is a Value too (with no gradient to anything).
Each function is the method of the same name: ``sin(x)`` is ``x.sin()``.

    >>> from autograd import Value, sin, maximum
    >>> sin(Value(0.0)).data, maximum(1, Value(2.0)).data
    (0.0, 2.0)
"""

from typing import Any, Protocol, TypeVar, overload

from . import ops
from .engine import Constant, Value
from .methods import OpMethods

__all__ = [
    "sin",
    "cos",
    "tan",
    "sinc",
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
    "logaddexp",
    "maximum",
    "minimum",
]


T = TypeVar("T", bound=OpMethods)


class _Unary(Protocol):
    """A function of the table: a Value (or a Dual) gives its own type, a number a constant Value."""

    @overload
    def __call__(self, x: T) -> T: ...
    @overload
    def __call__(self, x: float) -> Value: ...


class _Binary(Protocol):
    """A function of two operands: the first operand's type decides (a number makes a Value)."""

    @overload
    def __call__(self, x: T, y: T | float) -> T: ...
    @overload
    def __call__(self, x: float, y: Value | float) -> Value: ...


def _scalar(x: OpMethods | float) -> OpMethods:
    return x if isinstance(x, OpMethods) else Constant(x)


def _unary(op: ops.Op) -> _Unary:
    # function returns what x's _apply returns: x's type, or a Value for a number (as _Unary says).
    def function(x: OpMethods | float) -> Any:
        x = _scalar(x)
        return x._apply(op, x)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = (
        f"{op.doc[:1].upper() + op.doc[1:]} of a Value or a number: the op {op.name!r}, ``x.{op.name}()``."
    )
    return function


def _binary(op: ops.Op) -> _Binary:
    def function(x: OpMethods | float, y: OpMethods | float) -> Any:
        x = _scalar(x)
        return x._apply(op, x, y)

    function.__name__ = function.__qualname__ = op.name
    function.__doc__ = f"{op.doc[:1].upper() + op.doc[1:]}: the op {op.name!r}, ``x.{op.name}(y)``."
    return function


# One visible line per op, as in methods.py (kept twice on purpose: editors and type checkers see each name).
sin = _unary(ops.SIN)
cos = _unary(ops.COS)
tan = _unary(ops.TAN)
sinc = _unary(ops.SINC)
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
logaddexp = _binary(ops.LOGADDEXP)
maximum = _binary(ops.MAXIMUM)
minimum = _binary(ops.MINIMUM)


@overload
def log(x: T, base: float | None = None) -> T: ...
@overload
def log(x: float, base: float | None = None) -> Value: ...
def log(x: OpMethods | float, base: float | None = None) -> OpMethods:
    """Natural logarithm of a Value or a number, or with ``base`` the logarithm to that base.

    >>> log(Value(8.0), 2).data
    3.0
    """
    return _scalar(x).log(base)


@overload
def leaky_relu(x: T, slope: float = 0.01) -> T: ...
@overload
def leaky_relu(x: float, slope: float = 0.01) -> Value: ...
def leaky_relu(x: OpMethods | float, slope: float = 0.01) -> OpMethods:
    """x for x > 0, else slope * x.

    >>> leaky_relu(-1.0, 0.5).data
    -0.5
    """
    return _scalar(x).leaky_relu(slope)


@overload
def elu(x: T, alpha: float = 1.0) -> T: ...
@overload
def elu(x: float, alpha: float = 1.0) -> Value: ...
def elu(x: OpMethods | float, alpha: float = 1.0) -> OpMethods:
    """x for x > 0, else alpha * (e**x - 1).

    >>> elu(2.0).data
    2.0
    """
    return _scalar(x).elu(alpha)


@overload
def clamp(x: T, lo: float | None = None, hi: float | None = None) -> T: ...
@overload
def clamp(x: float, lo: float | None = None, hi: float | None = None) -> Value: ...
def clamp(x: OpMethods | float, lo: float | None = None, hi: float | None = None) -> OpMethods:
    """x limited to [lo, hi] (either may be None).

    >>> clamp(Value(-5.0), -1, 1).data
    -1.0
    """
    return _scalar(x).clamp(lo, hi)
