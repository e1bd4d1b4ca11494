"""The methods and operators that `Value` and `Dual` share: one visible line per op of the table.

A class that mixes in `OpMethods` provides one static method, ``_apply(op, *operands)``, which applies
a table op to its operands (Values or numbers for `Value`, Duals or numbers for `Dual`). `Value`
overrides the hottest operators (``+ - * /``) with hand-inlined versions; a test proves they equal the
table's entries.
"""

import math
import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar, cast

from . import ops

__all__ = ["OpMethods", "real"]

# The type of ``self`` in the mixin's methods: each returns the subclass's own type (a Value for a
# Value, a Dual for a Dual), as ``typing.Self`` would say (3.11+, and typing_extensions is no dependency).
T = TypeVar("T", bound="OpMethods")


def _unary(op: ops.Op) -> Callable[[T], T]:
    # method returns what the subclass's _apply returns: the subclass's type (the factory's promise).
    def method(self: "OpMethods") -> Any:
        return self._apply(op, self)

    method.__name__ = method.__qualname__ = op.name
    x = round(op.sample_points()[0][0], 2)  # a point inside the op's domain
    method.__doc__ = (
        f"{op.doc[:1].upper() + op.doc[1:]}: the op {op.name!r} of `autograd.ops`, "
        f"as {op.formula('x')!r}.\n\n"
        f"        >>> from autograd import Value\n"
        f"        >>> y = Value({x!r}).{op.name}(); y.op\n        {op.name!r}\n        "
    )
    return method


def _binary(op: ops.Op) -> Callable[[T, T | float], T]:
    def method(self: "OpMethods", other: "OpMethods | float") -> Any:
        return self._apply(op, self, other)

    method.__name__ = method.__qualname__ = op.name
    method.__doc__ = (
        f"{op.doc[:1].upper() + op.doc[1:]}: the op {op.name!r} of `autograd.ops`, as {op.formula('self', 'other')!r}."
    )
    return method


class OpMethods:
    """The table's ops as methods and operators (mixed into `Value` and `Dual`).

    >>> from autograd import Value
    >>> (Value(2.0) ** 3).data, Value(7.0) % 3, Value(0.0).cos().data
    (8.0, Value(data=1.0, grad=0.0), 1.0)
    """

    __slots__ = ()

    if TYPE_CHECKING:
        # Each subclass provides it as a static method: ``_apply(op, *operands)`` applies a table op to
        # its operands (instances of the subclass, or numbers) and returns an instance of the subclass.
        # The methods below cast its result to their own type, which that contract makes true.
        _apply: ClassVar[Callable[..., Any]]

    # ---- operators (Value overrides + - * / with inlined versions) ----
    def __add__(self: T, other: T | float) -> T:
        return cast(T, self._apply(ops.ADD, self, other))

    def __radd__(self: T, other: float) -> T:  # n + x, with n kept as the first operand
        return cast(T, self._apply(ops.ADD, other, self))

    def __sub__(self: T, other: T | float) -> T:
        return cast(T, self._apply(ops.SUB, self, other))

    def __rsub__(self: T, other: float) -> T:  # n - x
        return cast(T, self._apply(ops.SUB, other, self))

    def __mul__(self: T, other: T | float) -> T:
        return cast(T, self._apply(ops.MUL, self, other))

    def __rmul__(self: T, other: float) -> T:
        return cast(T, self._apply(ops.MUL, other, self))

    def __truediv__(self: T, other: T | float) -> T:
        return cast(T, self._apply(ops.DIV, self, other))

    def __rtruediv__(self: T, other: float) -> T:  # n / x
        return cast(T, self._apply(ops.DIV, other, self))

    def __mod__(self: T, other: T | float) -> T:
        return cast(T, self._apply(ops.MOD, self, other))

    def __rmod__(self: T, other: float) -> T:
        return cast(T, self._apply(ops.MOD, other, self))

    def __neg__(self: T) -> T:
        return cast(T, self._apply(ops.NEG, self))

    def __pos__(self: T) -> T:
        return self

    def __abs__(self: T) -> T:
        return cast(T, self._apply(ops.ABS, self))

    def __pow__(self: T, other: T | float) -> T:
        """``x ** n`` with a number n is the op '**n' (the exponent is a parameter, not a node);
        ``x ** y`` with a Value y is the op '**', differentiable in both."""
        if isinstance(other, OpMethods):
            return cast(T, self._apply(ops.POW, self, other))
        return cast(T, self._apply(ops.POW_N.bind(real(other, "the exponent of '**'")), self))

    def __rpow__(self: T, other: float) -> T:  # n ** x: a constant base, a Value exponent
        return cast(T, self._apply(ops.POW, other, self))

    # ---- the table's unary ops (functions.py lists them again, on purpose: one visible line each) ----
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

    # ---- ops with a parameter, and binary ops by name ----
    def log(self: T, base: float | None = None) -> T:
        """Natural logarithm, or with ``base`` the logarithm to that base: log(x) / log(base).

        >>> from autograd import Value
        >>> Value(8.0).log(2).data
        3.0
        """
        if base is None:
            return cast(T, self._apply(ops.LOG, self))
        b = real(base, "log(base=...)")
        if not (b > 0.0 and b != 1.0):
            raise ValueError(f"log: base must be positive and not 1, got {base!r}")
        return cast(T, self._apply(ops.LOG, self)) / ops.LOG.value(b)  # log_b(x) = ln(x) / ln(b)

    def leaky_relu(self: T, slope: float = 0.01) -> T:
        """x for x > 0, else slope * x (the derivative at 0 is the slope, as in PyTorch).

        >>> from autograd import Value
        >>> Value(-2.0).leaky_relu(0.1).data
        -0.2
        """
        return cast(T, self._apply(ops.LEAKY_RELU.bind(real(slope, "leaky_relu(slope=...)")), self))

    def elu(self: T, alpha: float = 1.0) -> T:
        """x for x > 0, else alpha * (e**x - 1).

        >>> from autograd import Value
        >>> Value(0.0).elu().data
        0.0
        """
        return cast(T, self._apply(ops.ELU.bind(real(alpha, "elu(alpha=...)")), self))

    def clamp(self: T, lo: float | None = None, hi: float | None = None) -> T:
        """x limited to [lo, hi]; either bound may be None. Derivative 1 inside and at the bounds, 0 outside.

        >>> from autograd import Value
        >>> Value(3.0).clamp(0, 1).data
        1.0
        """
        lo = -math.inf if lo is None else real(lo, "clamp(lo=...)")  # no bound: an infinite one
        hi = math.inf if hi is None else real(hi, "clamp(hi=...)")  # lo > hi is refused by the op's domain
        return cast(T, self._apply(ops.CLAMP.bind(lo, hi), self))

    atan2 = _binary(ops.ATAN2)
    hypot = _binary(ops.HYPOT)
    logaddexp = _binary(ops.LOGADDEXP)
    maximum = _binary(ops.MAXIMUM)
    minimum = _binary(ops.MINIMUM)


def real(x: object, what: str) -> float:
    """`x` as a float, or TypeError quoting it and naming ``what``. bool is refused: True + x is almost always
    a bug. (The operands and number parameters of `Value` and `Dual` go through here.)

    >>> real(3, "n"), real(True, "n")
    Traceback (most recent call last):
    ...
    TypeError: n must be a real number (int or float), got True of type bool
    """
    if type(x) is float:
        return x
    if type(x) is int or (isinstance(x, numbers.Real) and not isinstance(x, bool)):
        return float(x)
    raise TypeError(f"{what} must be a real number (int or float), got {x!r} of type {type(x).__name__}")
