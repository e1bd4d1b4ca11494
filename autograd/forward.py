"""Forward mode with dual numbers: each number carries its derivative along, as in the notes'
``(y, dy) = (x*x, 2*x*dx)``. No graph is built; one pass gives one directional derivative.

The derivative math is written out again here, independently of the engine, so that tests
comparing forward mode with reverse mode check one implementation against the other.
"""
import math
import numbers

__all__ = ["Dual", "jvp", "dual_sum", "dual_logsumexp"]


def _real(x, what):
    if isinstance(x, numbers.Real) and not isinstance(x, bool):
        return float(x)
    raise TypeError(f"{what} must be a real number (int or float), got {x!r} of type {type(x).__name__}")


def _dual(x, op):
    """The other operand of a binary op as a Dual (a number is a constant: tangent 0)."""
    if isinstance(x, Dual):
        return x
    return Dual(_real(x, f"the operand of {op!r} (a Dual or a real number)"))


class Dual:
    """A value and its tangent (the derivative along one direction): ``Dual(x, dx)``.

    >>> x = Dual(3.0, 1.0)
    >>> y = x * x
    >>> y.value, y.tangent
    (9.0, 6.0)
    """

    __slots__ = ("value", "tangent")

    def __init__(self, value, tangent=0.0):
        self.value = _real(value, "Dual value")
        self.tangent = _real(tangent, "Dual tangent")

    def __repr__(self):
        return f"Dual(value={self.value!r}, tangent={self.tangent!r})"

    def __add__(self, other):
        other = _dual(other, "+")
        return Dual(self.value + other.value, self.tangent + other.tangent)

    def __mul__(self, other):
        other = _dual(other, "*")
        return Dual(self.value * other.value, self.tangent * other.value + self.value * other.tangent)

    def __pow__(self, other):
        if isinstance(other, Dual):
            return self._pow_dual(other)
        n = _real(other, "the exponent of '**' (a Dual or a real number)")
        x = self.value
        if x == 0.0 and n < 0:
            raise ValueError(f"**: 0 to a negative power is undefined: base {self!r}, exponent {n!r}")
        if x < 0.0 and not n.is_integer():
            raise ValueError(f"**: a negative base to a non-integer power is not real: base {self!r}, exponent {n!r}")
        try:
            # d(x^n) = n x^(n-1) dx; at x = 0 that is 0 for n >= 1 and +inf for 0 < n < 1 (as the engine)
            if n == 0.0:
                d = 0.0
            elif x == 0.0 and n < 1.0:
                d = math.inf
            else:
                d = n * x ** (n - 1.0)
            return Dual(x ** n, d * self.tangent if self.tangent else 0.0)
        except OverflowError:
            raise OverflowError(f"**: result out of float range: base {self!r}, exponent {n!r}") from None

    def _pow_dual(self, other):
        # d(a^b) = b a^(b-1) da + a^b log(a) db, for a > 0 (a = 0 with b >= 0: the db term is 0)
        a, b = self.value, other.value
        if a < 0.0 or (a == 0.0 and b < 0.0):
            raise ValueError(f"**: with a Dual exponent the base must be positive (or 0 with a non-negative "
                             f"exponent), got base {self!r}, exponent {other!r}")
        out = a ** b
        if a == 0.0:
            da = 0.0 if b == 0.0 else (math.inf if b < 1.0 else b * a ** (b - 1.0))
            return Dual(out, da * self.tangent if self.tangent else 0.0)
        return Dual(out, b * a ** (b - 1.0) * self.tangent + out * math.log(a) * other.tangent)

    def exp(self):
        """e^x, d = e^x dx.

        >>> Dual(0.0, 2.0).exp()
        Dual(value=1.0, tangent=2.0)
        """
        try:
            e = math.exp(self.value)
        except OverflowError:
            raise OverflowError(f"exp: result out of float range for input {self!r} "
                                "(exp overflows above about 709.78)") from None
        return Dual(e, e * self.tangent)

    def log(self):
        """log x, d = dx / x.

        >>> Dual(1.0, 2.0).log()
        Dual(value=0.0, tangent=2.0)
        """
        if self.value <= 0.0:
            raise ValueError(f"log: input must be positive, got {self!r}")
        return Dual(math.log(self.value), self.tangent / self.value)

    def tanh(self):
        """tanh x, d = (1 - tanh^2 x) dx.

        >>> Dual(0.0, 1.0).tanh()
        Dual(value=0.0, tangent=1.0)
        """
        t = math.tanh(self.value)
        return Dual(t, (1.0 - t * t) * self.tangent)

    def sigmoid(self):
        """s = 1 / (1 + e^-x), d = s (1 - s) dx.

        >>> Dual(0.0, 1.0).sigmoid()
        Dual(value=0.5, tangent=0.25)
        """
        x = self.value
        s = 1.0 / (1.0 + math.exp(-x)) if x >= 0.0 else math.exp(x) / (1.0 + math.exp(x))
        return Dual(s, s * (1.0 - s) * self.tangent)

    def relu(self):
        """max(0, x), d = dx for x > 0, else 0 (0 at the kink, as the engine).

        >>> Dual(-1.0, 1.0).relu()
        Dual(value=0.0, tangent=0.0)
        """
        return Dual(self.value, self.tangent) if self.value > 0.0 else Dual(0.0, 0.0)

    def abs(self):
        """|x|, d = sign(x) dx (0 at the kink, as the engine).

        >>> Dual(-2.0, 1.0).abs()
        Dual(value=2.0, tangent=-1.0)
        """
        x = self.value
        sign = 1.0 if x > 0.0 else -1.0 if x < 0.0 else 0.0
        return Dual(abs(x), sign * self.tangent)

    __abs__ = abs

    def __neg__(self):
        return Dual(-self.value, -self.tangent)

    def __radd__(self, other):
        return _dual(other, "+") + self

    def __sub__(self, other):
        return self + -_dual(other, "-")

    def __rsub__(self, other):
        return _dual(other, "-") + -self

    def __rmul__(self, other):
        return _dual(other, "*") * self

    def __truediv__(self, other):
        return self * _dual(other, "/") ** -1.0

    def __rtruediv__(self, other):
        return _dual(other, "/") * self ** -1.0

    def __rpow__(self, other):
        return _dual(other, "**") ** self


def dual_sum(xs):
    """x1 + ... + xn for Duals (forward mode's ``sum_values``).

    >>> dual_sum([Dual(1.0, 1.0), Dual(2.0, 3.0)])
    Dual(value=3.0, tangent=4.0)
    """
    xs = [_dual(x, "sum") for x in xs]
    return Dual(sum([x.value for x in xs]), sum([x.tangent for x in xs]))


def dual_logsumexp(xs):
    """log(sum(e^x_i)) for Duals, stable; d = sum(softmax_i dx_i) (forward mode's ``logsumexp``).

    >>> dual_logsumexp([Dual(0.0, 1.0), Dual(0.0, 3.0)]).tangent
    2.0
    """
    xs = [_dual(x, "logsumexp") for x in xs]
    if not xs:
        raise ValueError("logsumexp: needs at least one value, got an empty sequence")
    m = max(x.value for x in xs)
    out = m + math.log(math.fsum(math.exp(x.value - m) for x in xs))
    return Dual(out, math.fsum(math.exp(x.value - out) * x.tangent for x in xs))


def jvp(f, primals, tangents):
    """f's value at ``primals`` and its derivative along ``tangents``, in one forward pass.

    ``f`` is called with one ``Dual`` per primal and returns a Dual. Returns two floats:
    ``(f(primals), sum_i df/dx_i * tangents[i])``.

    >>> jvp(lambda x, y: x * y, [3.0, 4.0], [1.0, 0.0])
    (12.0, 4.0)
    """
    if not callable(f):
        raise TypeError(f"jvp: f must be callable, got {f!r}")
    primals, tangents = list(primals), list(tangents)
    if len(primals) != len(tangents):
        raise ValueError(f"jvp: primals and tangents must have the same length, got {len(primals)} "
                         f"primals {primals!r} and {len(tangents)} tangents {tangents!r}")
    duals = [Dual(_real(p, f"jvp: primals[{i}]"), _real(t, f"jvp: tangents[{i}]"))
             for i, (p, t) in enumerate(zip(primals, tangents))]
    out = f(*duals)
    if not isinstance(out, Dual):
        raise TypeError(f"jvp: f must return a Dual (a scalar built from its arguments), "
                        f"got {out!r} of type {type(out).__name__}")
    return out.value, out.tangent
