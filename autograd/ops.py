"""The op table: every op chaingrad knows, each one an `Op` entry.

An entry holds the op's name and arity, its forward value on floats, its local derivatives, its
domain, its kinks and how it displays. The local derivatives are one rule, ``grads(m, y, *xs)``:
``y`` is the op's result, ``xs`` its operands and ``m`` a namespace of the table's unary functions.
Called with floats and ``m = FLOATS`` it gives the numbers eager ``backward()`` uses; the engine
calls the same rule with Values (and ``m`` made of Value ops) for ``backward(create_graph=True)``;
forward mode multiplies it by tangents; ``compile`` writes it out as Python source. So every mode
reads the same derivative, and higher derivatives come from differentiating the rule itself (the
trick of HIPS autograd).

    >>> SIN.value(0.0), SIN.grads(FLOATS, 0.0, 0.0)
    (0.0, (1.0,))

Rules compare operands with ``<`` and ``>`` only, never ``==``: on Values ``==`` is identity.
This module imports nothing but `math` and `operator`.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Sequence
from typing import Any

# A number parameter of an op, and a symbolic form.
Param = float
Symbolic = tuple[str, ...] | Callable[[int, int], str]

__all__ = [
    "Op",
    "OPS",
    "CALLED_BY_NAME",
    "NAMED",
    "FLOATS",
    "where",
    "floordiv",
    "check_count",
    "evaluate",
    "derivatives",
    "Namespace",
    "markdown_table",
]

_INV_SQRT_2 = 1.0 / math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)
_LN2 = math.log(2.0)
_LN10 = math.log(10.0)


class Op:
    """One op of the table. Fields:

    - ``name``: how the op is called (``Value.op``, the CLI, the README table);
    - ``arity``: number of Value operands (``-1``: any number, e.g. ``sum``);
    - ``value(*xs, *params)``: the result on floats;
    - ``grads(m, y, *xs, *params)``: the local derivatives d(y)/d(x_i), one rule for floats and Values;
    - ``display``: a formula such as ``"{0} - {1}"`` or ``"sin({0})"`` (``{p}`` for a parameter ``p``), in the
      one notation of `autograd.names` (``"{0}·{1}"``, ``"{0}^{n}"``);
      ``prec`` is how tightly it binds (1 ``+ -``, 2 ``* /``, 3 unary minus, 4 ``**``, 5 a call or
      atom) and ``needs[i]`` how tightly operand i must bind to go without parentheses;
    - ``domain(*xs, *params)``: the reason the operands are outside the domain, or None (a ValueError);
    - ``pole(*xs, *params)``: the local derivatives where the rule's float arithmetic raises (a division
      by zero at an infinite slope, sqrt at 0; a power out of float range): their IEEE 754 values, ±inf
      (or NaN), as PyTorch computes them; None where the rule never raises;
    - ``limit(*xs, *params)``: the op's IEEE 754 value at a point outside its domain where it has one
      (1/0 = inf, 0 ** -1 = inf). Only derivative rules run on Values (``backward(create_graph=True)``)
      use it: there, as in PyTorch, a pole gives an infinity instead of an error; NaN where there is none;
    - ``kink(*xs, *params)``: on which side of the op's kinks the operands lie (a value that changes
      only across a kink, where the derivative jumps), and None exactly on one, where the derivative is
      a convention, not a limit (ReLU at 0); ``kink_note`` says which convention; ``kink_points`` are
      such operands, for the tests;
    - ``params``: names and default values of the op's number parameters (``slope`` of leaky_relu),
      fixed per node with `bind`;
    - ``samples``: an interval per operand inside the domain, for the generated tests (the points they take
      from it: `sample_points`);
    - ``reference(*xs, *params)``: the value by an independent formula (not the table's own function where one
      exists), which the generated tests check ``value`` against, as OpInfo's reference functions;
    - ``batched(m, *xs, *params)``: the value written with ``m``'s functions, for an op whose float value
      branches on the data (``m.where`` instead of ``if``): what `autograd.vmap` runs on arrays, and what
      `compile` writes out; None where ``value`` itself works on arrays (arithmetic, or the numpy function
      of the same ``math_name``);
    - ``symbolic``: how each local derivative reads, as the lecture notes write it: one format string
      per operand (one for all operands of an n-ary op, ``{x}`` being the operand) over the operands
      ``{0}``, ``{1}``, the result ``{y}`` and the parameters, e.g. ``("{1}", "{0}")`` for a * b and
      ``("1 - {y}^2",)`` for tanh, in the notation of `autograd.names` (products ``·``, powers ``^``, minus
      ``-``, functions as calls), which fills in the names.
    """

    __slots__ = (
        "_title",
        "arity",
        "batched",
        "display",
        "doc",
        "domain",
        "formula_text",
        "grads",
        "kink",
        "kink_note",
        "kink_points",
        "limit",
        "math_name",
        "name",
        "needs",
        "param_names",
        "params",
        "pole",
        "prec",
        "reference",
        "samples",
        "symbolic",
        "value",
    )

    def __init__(
        self,
        name: str,
        arity: int,
        value: Callable[..., float],
        grads: Callable[..., tuple[Any, ...]],
        display: str,
        *,
        prec: int = 5,
        needs: tuple[int, ...] | None = None,
        domain: Callable[..., str | None] | None = None,
        pole: Callable[..., tuple[float, ...]] | None = None,
        limit: Callable[..., float] | None = None,
        kink: Callable[..., object] | None = None,
        kink_note: str = "",
        kink_points: tuple[tuple[float, ...], ...] = (),
        params: tuple[tuple[str, Param], ...] = (),
        samples: tuple[tuple[float, float], ...] | None = None,
        math_name: str | None = None,
        doc: str = "",
        title: str | None = None,
        symbolic: Symbolic | None = None,
        formula_text: str | None = None,
        reference: Callable[..., float] | None = None,
        batched: Callable[..., Any] | None = None,
    ) -> None:
        self.name, self.arity, self.value, self.grads = name, arity, value, grads
        self.display, self.prec = display, prec
        self.needs = needs if needs is not None else (0,) * max(arity, 1)
        self.domain, self.pole, self.limit = domain, pole, limit
        self.kink, self.kink_note, self.kink_points = kink, kink_note, kink_points
        self.param_names: tuple[str, ...] = tuple(p for p, _ in params)
        self.params: tuple[Param, ...] = tuple(d for _, d in params)
        self.samples = samples if samples is not None else ((-2.0, 2.0),) * max(arity, 1)
        self.math_name = math_name  # the function of the same meaning in `math`, if there is one
        self.doc = doc
        self._title = title
        self.symbolic = symbolic
        self.formula_text = formula_text  # an n-ary op's formula when it does not list its operands
        self.reference = reference
        self.batched = batched

    def register(self) -> Op:
        """Enter this op into the table, `OPS` (in the order of the entries: the README's), and return it.

        Every entry below ends with it: the entry is all there is to an op's place in the table.
        """
        _REGISTERED.append(self)
        return self

    def sample_points(self) -> list[list[float]]:
        """The points inside the op's domain where the generated tests (and the methods' examples) evaluate it:
        three per op, spread over its ``samples`` intervals and never at their middles, where kinks are
        (3 operands for an n-ary op).

        >>> LOG.sample_points()
        [[0.477], [1.869], [2.623]]
        """
        ranges = self.samples * 3 if self.arity < 0 else self.samples
        return [
            [lo + (hi - lo) * ((t + 0.29 * k) % 1.0) for k, (lo, hi) in enumerate(ranges)] for t in (0.13, 0.61, 0.87)
        ]

    @property
    def title(self) -> str:
        """The name with the parameters: 'sin', '**2', 'leaky_relu(slope=0.2)' (``Value.op``).

        >>> POW_N.bind(0.5).title, LEAKY_RELU.title
        ('**0.5', 'leaky_relu(slope=0.01)')
        """
        named = {p: _num(v) for p, v in zip(self.param_names, self.params)}
        if self._title is not None:
            return self._title.format(**named)
        if not named:
            return self.name
        return f"{self.name}({', '.join(f'{p}={v}' for p, v in named.items())})"

    def bind(self, *params: Param) -> Op:
        """This op with its parameters set (an Op of its own, shared by every node that uses the same ones).

        >>> LEAKY_RELU.bind(0.2).params
        (0.2,)
        """
        if len(params) != len(self.param_names):
            raise TypeError(f"{self.name}: takes {len(self.param_names)} parameters {self.param_names}, got {params!r}")
        if params == self.params and all(type(p) is type(q) for p, q in zip(params, self.params)):
            return self
        return _bind(self, params)

    def formula(self, *operands: str) -> str:
        """The display with operand texts filled in (no parentheses added: see the renderer).

        >>> SUB.formula("a", "b"), POW_N.bind(2.0).formula("x")
        ('a - b', 'x^2')
        """
        if self.formula_text is not None:
            return self.formula_text
        if self.arity < 0:  # n-ary: the display is the separator; a call-like op wraps it in its name
            text = self.display.join(operands)
            return text if self.prec < 5 else f"{self.name}({text})"
        named = {p: _num(v) for p, v in zip(self.param_names, self.params)}
        return self.display.format(*operands, **named)

    def __repr__(self) -> str:
        params = "".join(f", {p}={v!r}" for p, v in zip(self.param_names, self.params))
        return f"<op {self.name}{params}>"


# The entries, in order, as each one registers (see `Op.register`); `OPS` at the end is this list, frozen.
_REGISTERED: list[Op] = []

# (op, params) -> the bound op; bounded, so that many distinct exponents cannot grow it forever
_BOUND: dict[tuple[Op, tuple[Param, ...]], Op] = {}


def _bind(op: Op, params: tuple[Param, ...]) -> Op:
    key = (op, params)
    bound = _BOUND.get(key)
    if bound is None or bound.params != params:
        bound = Op.__new__(Op)
        for field in Op.__slots__:
            setattr(bound, field, getattr(op, field))
        bound.params = params
        if len(_BOUND) >= 4096:
            _BOUND.clear()
        _BOUND[key] = bound
    return bound


def _num(x: Param) -> str:
    """A parameter as short text: 2.0 -> '2', 0.5 -> '0.5'."""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return repr(x)


def where(c: Any, a: Any, b: Any) -> Any:
    """``a if c else b``: how a rule branches on the data, so that the same rule runs on floats and Values
    (a plain conditional), on arrays (``numpy.where``) and on `compile`'s symbols (``(a if c else b)``).
    Both branches are evaluated: each must be safe to compute where it is not taken.

    >>> where(2.0 > 0.0, 1.0, 0.0)
    1.0
    """
    return a if c else b


def floordiv(a: Any, b: Any) -> float:
    """``a // b``, Python's floor division (as its ``%``), as a float constant also for Values: the local
    derivative of ``a % b`` with respect to b is ``-(a // b)``, piecewise constant.

    >>> floordiv(7.0, 2.0), floordiv(0.5, -math.inf)
    (3.0, -1.0)
    """
    return float(a) // float(b)


class Namespace:
    """The functions a rule calls as ``m.sin(x)``: one attribute per op of `NAMED`, and ``m.where``, ``m.floordiv``."""

    def __init__(self, functions: dict[str, Callable[..., Any]]) -> None:
        self.__dict__.update(functions)


def check_count(op: Op, operands: Sequence[object]) -> None:
    """A TypeError unless ``operands`` are as many as ``op`` takes (an n-ary op: a ValueError for none).

    >>> check_count(HYPOT, (3.0,))
    Traceback (most recent call last):
    ...
    TypeError: hypot: takes 2 operands, got 1: (3.0,)
    """
    if op.arity >= 0 and len(operands) != op.arity:
        raise TypeError(f"{op.name}: takes {op.arity} operands, got {len(operands)}: {operands!r}")
    if not operands:
        raise ValueError(f"{op.name}: needs at least one operand, got none")


def evaluate(
    op: Op, xs: Sequence[float], describe: Callable[[int], str] | None = None, ieee: bool = False
) -> tuple[float, tuple[Any, ...]]:
    """``(value, local derivatives)`` of ``op`` at the floats ``xs``.

    One policy for every op: operands outside the op's domain raise ValueError naming the op and the
    operands (``describe(i)`` names operand i; the engine adds its label). Everything else follows
    IEEE 754, as PyTorch does: a value or a derivative out of float range is ±inf (never an error: a
    finite value whose slope overflows has the slope ±inf), an undefined one is NaN (``sin(inf)``), and
    NaN propagates. With ``ieee=True`` (derivative rules run on Values, see ``Op.limit``) a point outside
    the domain gives the op's IEEE value instead of an error.

    >>> evaluate(MUL, (3.0, 4.0))
    (12.0, (4.0, 3.0))
    >>> evaluate(EXP, (710.0,)), evaluate(DIV, (1.0, 1e-170))
    ((inf, (inf,)), (1e+170, (1e+170, -inf)))
    >>> evaluate(LOG, (0.0,))
    Traceback (most recent call last):
    ...
    ValueError: log: input must be positive, got 0.0
    """
    params = op.params
    if op.domain is not None:
        reason = op.domain(*xs, *params)
        if reason is not None:
            if not ieee:
                raise ValueError(f"{op.title}: {reason}, got {_operands(op, xs, describe)}")
            y = op.limit(*xs, *params) if op.limit is not None else math.nan
            try:
                return y, derivatives(op, y, xs)
            except (ArithmeticError, ValueError):
                return y, (math.nan,) * len(xs)
    try:
        y = op.value(*xs, *params)
        return y, derivatives(op, y, xs)
    except (ArithmeticError, ValueError) as e:  # a gap in the policy: still name the op and the operands
        raise type(e)(f"{op.title}: {e}, for {_operands(op, xs, describe)}") from None


def derivatives(op: Op, y: float, xs: Sequence[float]) -> tuple[Any, ...]:
    """The local derivatives of ``op`` at the floats ``xs`` (``y`` its value there): the rule, or where the
    rule's float arithmetic raises (a division by zero, a power out of range), the op's ``pole``.

    >>> derivatives(SQRT, 0.0, (0.0,)), derivatives(POW_N.bind(-1.0), 1e300, (1e-300,))
    ((inf,), (-inf,))
    """
    try:
        return op.grads(FLOATS, y, *xs, *op.params)
    except (ZeroDivisionError, OverflowError):
        if op.pole is None:
            raise
        return op.pole(*xs, *op.params)


def _operands(op: Op, xs: Sequence[float], describe: Callable[[int], str] | None) -> str:
    if describe is None:
        return _operands(op, xs, lambda i: repr(xs[i]))
    if len(xs) == 1:
        return describe(0)
    return ", ".join(describe(i) for i in range(len(xs) - 1)) + " and " + describe(len(xs) - 1)


# ---- the float helpers the entries use (stable where the naive formula overflows) ----


def _sigmoid(x: float) -> float:
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # e**x / (1 + e**x): the exp cannot overflow for x < 0
    return e / (1.0 + e)


def _softplus(x: float) -> float:
    # log(1 + e**x) = max(x, 0) + log1p(e**-|x|): no overflow at +-1000
    return (x if x > 0.0 else 0.0) + math.log1p(math.exp(-abs(x)))


def _relu(x: float) -> float:
    return x if not x <= 0.0 else 0.0  # NaN stays NaN


def _sign(x: float) -> float:
    return 1.0 if x > 0.0 else -1.0 if x < 0.0 else x * 0.0  # sign(0) = 0, sign(NaN) = NaN


def _maximum(a: float, b: float) -> float:
    return a if a > b else b if b > a else a if a == b else a + b  # a tie gives a; NaN if either is NaN


def _minimum(a: float, b: float) -> float:
    return a if a < b else b if b < a else a if a == b else a + b


def _clamp(x: float, lo: float, hi: float) -> float:
    return lo if x < lo else hi if x > hi else x  # NaN stays NaN


def _clamp_m(m: Any, x: Any, lo: float, hi: float) -> Any:
    return m.where(x < lo, lo, m.where(x > hi, hi, x))  # _clamp with m.where (NaN stays NaN)


def _sigmoid_m(m: Any, x: Any) -> Any:
    e = m.exp(-abs(x))  # e**-x for x >= 0, e**x below: the branches of _sigmoid, and no overflow in either
    return m.where(x >= 0.0, 1.0 / (1.0 + e), e / (1.0 + e))


def _power(x: float, n: float) -> float:
    """x ** n as IEEE 754 (and PyTorch) computes it, where Python raises or gives a complex number."""
    try:
        y = x**n
    except OverflowError:  # out of float range: an infinity, negative for a negative base to an odd power
        return -math.inf if x < 0.0 and n % 2.0 == 1.0 else math.inf
    except ZeroDivisionError:  # 0 to a negative power: an infinity, negative for -0.0 to an odd power
        return -math.inf if math.copysign(1.0, x) < 0.0 and n % 2.0 == 1.0 else math.inf
    return y if type(y) is not complex else math.nan  # a negative base to a non-integer power


def _pow_grad_a(m: Any, a: Any, b: Any) -> Any:
    """d(a^b)/da = b a^(b-1), and 0 at a = 0, b = 0 (a^0 = 1 for every a >= 0): there b 0^(b-1) is 0 * inf =
    NaN, and every higher derivative of a ** Value(1.0) at 0 passes through this point."""
    d = b * a ** (b - 1.0)
    return m.where(a <= 0.0, m.where(b >= 0.0, m.where(b <= 0.0, 0.0, d), d), d)


def _quotient(a: float, b: float) -> float:
    """a / b as IEEE 754 (and PyTorch) divides: by zero, ±inf, or NaN for 0/0 (where Python raises)."""
    if b == 0.0:
        return math.nan if a == 0.0 or a != a else math.copysign(math.inf, a) * math.copysign(1.0, b)
    return a / b


def _ieee(f: Callable[[float], float], odd: bool = False) -> Callable[[float], float]:
    """The `math` function f as IEEE 754 (and PyTorch) computes it: a result out of float range is +inf
    (for an odd f, of x's sign) where `math` raises OverflowError, and an undefined one NaN (sin(inf))."""

    def ieee(x: float) -> float:
        try:
            return f(x)
        except OverflowError:
            return math.copysign(math.inf, x) if odd else math.inf
        except ValueError:
            return math.nan

    ieee.__name__ = ieee.__qualname__ = f.__name__
    return ieee


def _side(a: float, b: float) -> bool | None:
    """Which side of b a lies on: None exactly on it (a kink's position)."""
    return None if a == b else a > b


def _origin(a: float, b: float) -> object:
    """Near (0, 0), the quadrant: where atan2 and hypot have their kink. None exactly on it."""
    if a == 0.0 and b == 0.0:
        return None
    return True if abs(a) + abs(b) > 1e-3 else (a > 0.0, b > 0.0)


def _atan2_side(a: float, b: float) -> object:
    """atan2(a, b) jumps across the ray a = 0, b < 0: near it, the side of it; None on it."""
    if a == 0.0 and b <= 0.0:
        return None
    if b < 0.0 and abs(a) < 0.05 * -b + 1e-3:
        return a > 0.0
    return _origin(a, b)


# math.exp2 and math.cbrt are new in Python 3.11; on 3.10 the same values by the definition
_EXP2: Callable[[float], float] = getattr(math, "exp2", lambda x: 2.0**x)
_CBRT: Callable[[float], float] = getattr(math, "cbrt", lambda x: math.copysign(abs(x) ** (1.0 / 3.0), x))


def _not_positive(x: float) -> str | None:
    return "input must be positive" if x <= 0.0 else None


# ---- the table ----
# A reversed op (2 - x) and a true composite (log with a base) are one-liners on Value over these.

ADD = Op(
    "+",
    2,
    operator.add,
    lambda m, y, a, b: (1.0, 1.0),
    "{0} + {1}",
    prec=1,
    needs=(1, 1),
    doc="a + b",
    symbolic=("1", "1"),
    reference=operator.add,
).register()
SUB = Op(
    "-",
    2,
    operator.sub,
    lambda m, y, a, b: (1.0, -1.0),
    "{0} - {1}",
    prec=1,
    needs=(1, 2),
    doc="a - b",
    symbolic=("1", "-1"),
    reference=operator.sub,
).register()
MUL = Op(
    "*",
    2,
    operator.mul,
    lambda m, y, a, b: (b, a),
    "{0}·{1}",
    prec=2,
    needs=(2, 2),
    doc="a * b",
    symbolic=("{1}", "{0}"),
    reference=operator.mul,
).register()
DIV = Op(
    "/",
    2,
    operator.truediv,
    # d(a/b)/db = -a/b² written -(a/b)/b: b*b would leave float range where the derivative does not
    lambda m, y, a, b: (1.0 / b, -y / b),
    "{0}/{1}",
    prec=2,
    needs=(2, 3),
    domain=lambda a, b: "division by zero" if b == 0.0 else None,
    limit=_quotient,
    pole=lambda a, b: (_quotient(1.0, b), -_quotient(_quotient(a, b), b)),
    samples=((-2.0, 2.0), (0.5, 2.0)),
    doc="a / b",
    symbolic=("1/{1}", "-{0}/{1}^2"),
    reference=operator.truediv,
).register()
MOD = Op(
    "%",
    2,
    operator.mod,
    # a % b = a - q b with q = a // b (Python's floor division, as %), an integer constant between the jumps
    lambda m, y, a, b: (1.0, -m.floordiv(a, b)),
    "{0} % {1}",
    prec=2,
    needs=(2, 3),
    domain=lambda a, b: "modulo by zero" if b == 0.0 else None,
    kink=lambda a, b: None if a % b == 0.0 else a // b,
    kink_note="at a jump (a/b an integer) the derivative is taken from the right",
    kink_points=((2.0, 1.0),),
    samples=((0.1, 0.9), (1.0, 2.0)),
    doc="a % b, with Python's sign rules",
    symbolic=("1", "-floor({0}/{1})"),
    reference=lambda a, b: a - b * math.floor(a / b),
).register()
NEG = Op(
    "neg",
    1,
    operator.neg,
    lambda m, y, x: (-1.0,),
    "-{0}",
    prec=3,
    needs=(4,),
    doc="-x",
    symbolic=("-1",),
    reference=operator.neg,
).register()
POW_N = Op(
    "**n",
    1,
    _power,
    # d(x^n)/dx = n x^(n-1); the n = 0 case keeps x^-1 out of the higher derivatives at x = 0
    lambda m, y, x, n: (n * x ** (n - 1.0),) if n != 0.0 else (0.0,),
    "{0}^{n}",
    prec=4,
    needs=(5,),
    domain=lambda x, n: (
        "0 to a negative power is undefined (a division by zero)"
        if x == 0.0 and n < 0.0
        else "a negative base to a non-integer power is not real"
        if x < 0.0 and not float(n).is_integer()
        else None
    ),
    pole=lambda x, n: (n * _power(x, n - 1.0),),
    limit=lambda x, n: _power(x, n) if x == 0.0 else math.nan,
    params=(("n", 2.0),),
    samples=((0.2, 2.0),),
    title="**{n}",
    doc="x ** n for a number n",
    symbolic=("{n}·{0}^({n}-1)",),  # written out by autograd.names: 2x, 3x^2
    reference=lambda x, n: math.pow(x, n),
).register()
POW = Op(
    "**",
    2,
    _power,
    # d(a^b)/da = b a^(b-1) (see _pow_grad_a), d(a^b)/db = a^b log(a); at a = 0 the second is taken as 0 (PyTorch)
    lambda m, y, a, b: (_pow_grad_a(m, a, b), y * m.log(m.where(a > 0.0, a, 1.0))),
    "{0}^{1}",
    prec=4,
    needs=(5, 4),
    domain=lambda a, b: (
        "with a Value exponent the base must be positive (or 0 with an exponent >= 0); "
        "for a constant exponent use a number, e.g. x ** 2"
        if a < 0.0 or (a == 0.0 and b < 0.0)
        else None
    ),
    pole=lambda a, b: (0.0 if b == 0.0 else b * _power(a, b - 1.0), _power(a, b) * math.log(a) if a > 0.0 else 0.0),
    limit=lambda a, b: _power(a, b) if a == 0.0 else math.nan,
    samples=((0.2, 2.0), (-2.0, 2.0)),
    doc="a ** b with b a Value",
    symbolic=("{1}·{0}^({1}-1)", "{y}·log({0})"),
    reference=math.pow,
).register()

SIN = Op(
    "sin",
    1,
    _ieee(math.sin),
    lambda m, y, x: (m.cos(x),),
    "sin({0})",
    math_name="sin",
    doc="sine",
    symbolic=("cos({0})",),
    reference=math.sin,
).register()
COS = Op(
    "cos",
    1,
    _ieee(math.cos),
    lambda m, y, x: (-m.sin(x),),
    "cos({0})",
    math_name="cos",
    doc="cosine",
    symbolic=("-sin({0})",),
    reference=math.cos,
).register()
TAN = Op(
    "tan",
    1,
    _ieee(math.tan),
    lambda m, y, x: (1.0 + y * y,),
    "tan({0})",
    math_name="tan",
    samples=((-1.2, 1.2),),
    doc="tangent",
    symbolic=("1 + {y}^2",),
    reference=lambda x: math.sin(x) / math.cos(x),
).register()


def _sinc_m(m: Any, x: Any) -> Any:
    """sin(x)/x with m's functions (floats, arrays, compile's symbols): 1 at 0, its limit; NaN at ±inf, as
    sin(inf)/inf. Each branch is safe where it is not taken: the divisor is 1 at 0."""
    zero = abs(x) <= 0.0
    return m.where(zero, 1.0, m.sin(x) / m.where(zero, 1.0, x))


def _sinc_grads(m: Any, y: Any, x: Any) -> tuple[Any]:
    # d/dx sin(x)/x = (cos x - sinc x)/x, which cancels near 0 (and is 0/0 at 0). There, |x| < 0.1, its Taylor
    # series -x/3 + x³/30 - x⁵/840 + x⁷/45360 - x⁹/3991680 (the next term is under 1e-16 of it): 0 at 0, and a
    # polynomial on Values too, whose own derivatives are sinc's (sinc''(0) = -1/3), with no division by 0.
    # Each branch is safe where it is not taken: the series sees 0 far from 0, the quotient divides by 1 near it.
    near = abs(x) < 0.1
    t = m.where(near, x, 0.0)
    s = t * t
    series = t * (-1.0 / 3.0 + s * (1.0 / 30.0 + s * (-1.0 / 840.0 + s * (1.0 / 45360.0 - s / 3991680.0))))
    return (m.where(near, series, (m.cos(x) - y) / m.where(near, 1.0, x)),)


SINC = Op(
    "sinc",
    1,
    lambda x: _sinc_m(FLOATS, x),  # the same expression on floats as on arrays and in compile's code
    _sinc_grads,
    "sinc({0})",
    batched=_sinc_m,
    doc="sin(x) / x, and 1 at 0 (its limit); the unnormalized sinc, not numpy's sin(πx)/(πx)",
    symbolic=("(cos({0}) - {y})/{0}",),
    reference=lambda x: 2.0 * math.sin(x / 2.0) * math.cos(x / 2.0) / x if x else 1.0,
).register()
ASIN = Op(
    "asin",
    1,
    math.asin,
    lambda m, y, x: (1.0 / m.sqrt(1.0 - x * x),),
    "asin({0})",
    math_name="asin",
    domain=lambda x: "input must be in [-1, 1]" if x < -1.0 or x > 1.0 else None,
    pole=lambda x: (math.inf,),
    samples=((-0.9, 0.9),),
    doc="inverse sine",
    symbolic=("1/sqrt(1 - {0}^2)",),
    reference=math.asin,
).register()
ACOS = Op(
    "acos",
    1,
    math.acos,
    lambda m, y, x: (-1.0 / m.sqrt(1.0 - x * x),),
    "acos({0})",
    math_name="acos",
    domain=lambda x: "input must be in [-1, 1]" if x < -1.0 or x > 1.0 else None,
    pole=lambda x: (-math.inf,),
    samples=((-0.9, 0.9),),
    doc="inverse cosine",
    symbolic=("-1/sqrt(1 - {0}^2)",),
    reference=math.acos,
).register()
ATAN = Op(
    "atan",
    1,
    math.atan,
    lambda m, y, x: (1.0 / (1.0 + x * x),),
    "atan({0})",
    math_name="atan",
    doc="inverse tangent",
    symbolic=("1/(1 + {0}^2)",),
    reference=math.atan,
).register()
SINH = Op(
    "sinh",
    1,
    _ieee(math.sinh, odd=True),
    lambda m, y, x: (m.cosh(x),),
    "sinh({0})",
    math_name="sinh",
    doc="hyperbolic sine",
    symbolic=("cosh({0})",),
    reference=lambda x: (math.exp(x) - math.exp(-x)) / 2,
).register()
COSH = Op(
    "cosh",
    1,
    _ieee(math.cosh),
    lambda m, y, x: (m.sinh(x),),
    "cosh({0})",
    math_name="cosh",
    doc="hyperbolic cosine",
    symbolic=("sinh({0})",),
    reference=lambda x: (math.exp(x) + math.exp(-x)) / 2,
).register()
TANH = Op(
    "tanh",
    1,
    math.tanh,
    lambda m, y, x: (1.0 - y * y,),
    "tanh({0})",
    math_name="tanh",
    doc="hyperbolic tangent, stable for any input (tanh(1000) = 1)",
    symbolic=("1 - {y}^2",),
    reference=lambda x: (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1),
).register()
ASINH = Op(
    "asinh",
    1,
    math.asinh,
    lambda m, y, x: (1.0 / m.sqrt(x * x + 1.0),),
    "asinh({0})",
    math_name="asinh",
    doc="inverse hyperbolic sine",
    symbolic=("1/sqrt({0}^2 + 1)",),
    reference=lambda x: math.log(x + math.sqrt(x * x + 1)),
).register()
ACOSH = Op(
    "acosh",
    1,
    math.acosh,
    lambda m, y, x: (1.0 / m.sqrt(x * x - 1.0),),
    "acosh({0})",
    math_name="acosh",
    domain=lambda x: "input must be >= 1" if x < 1.0 else None,
    pole=lambda x: (math.inf,),
    samples=((1.1, 3.0),),
    doc="inverse hyperbolic cosine",
    symbolic=("1/sqrt({0}^2 - 1)",),
    reference=lambda x: math.log(x + math.sqrt(x * x - 1)),
).register()
ATANH = Op(
    "atanh",
    1,
    math.atanh,
    lambda m, y, x: (1.0 / (1.0 - x * x),),
    "atanh({0})",
    math_name="atanh",
    domain=lambda x: "input must be in (-1, 1)" if not -1.0 < x < 1.0 and x == x else None,
    samples=((-0.9, 0.9),),
    doc="inverse hyperbolic tangent",
    symbolic=("1/(1 - {0}^2)",),
    reference=lambda x: 0.5 * math.log((1 + x) / (1 - x)),
).register()

EXP = Op(
    "exp",
    1,
    _ieee(math.exp),
    lambda m, y, x: (y,),
    "exp({0})",
    math_name="exp",
    doc="e**x (inf above about 709.78)",
    symbolic=("{y}",),
    reference=math.exp,
).register()
EXP2 = Op(
    "exp2",
    1,
    _ieee(_EXP2),
    lambda m, y, x: (y * _LN2,),
    "exp2({0})",
    math_name="exp2",
    doc="2**x",
    symbolic=("{y}·log(2)",),
    reference=lambda x: 2.0**x,
).register()
EXPM1 = Op(
    "expm1",
    1,
    _ieee(math.expm1),
    lambda m, y, x: (m.exp(x),),
    "expm1({0})",
    math_name="expm1",
    doc="e**x - 1, accurate near 0",
    symbolic=("exp({0})",),
    reference=lambda x: math.exp(x) - 1,
).register()
LOG = Op(
    "log",
    1,
    math.log,
    lambda m, y, x: (1.0 / x,),
    "log({0})",
    math_name="log",
    domain=_not_positive,
    samples=((0.1, 3.0),),
    doc="natural logarithm",
    symbolic=("1/{0}",),
    reference=math.log,
).register()
LOG2 = Op(
    "log2",
    1,
    math.log2,
    lambda m, y, x: (1.0 / (x * _LN2),),
    "log2({0})",
    math_name="log2",
    domain=_not_positive,
    samples=((0.1, 3.0),),
    doc="base-2 logarithm",
    symbolic=("1/({0}·log(2))",),
    reference=lambda x: math.log(x) / math.log(2),
).register()
LOG10 = Op(
    "log10",
    1,
    math.log10,
    lambda m, y, x: (1.0 / (x * _LN10),),
    "log10({0})",
    math_name="log10",
    domain=_not_positive,
    samples=((0.1, 3.0),),
    doc="base-10 logarithm",
    symbolic=("1/({0}·log(10))",),
    reference=lambda x: math.log(x) / math.log(10),
).register()
LOG1P = Op(
    "log1p",
    1,
    math.log1p,
    lambda m, y, x: (1.0 / (1.0 + x),),
    "log1p({0})",
    math_name="log1p",
    domain=lambda x: "input must be > -1" if x <= -1.0 else None,
    samples=((-0.9, 3.0),),
    doc="log(1 + x), accurate near 0",
    symbolic=("1/(1 + {0})",),
    reference=lambda x: math.log(1 + x),
).register()
SQRT = Op(
    "sqrt",
    1,
    math.sqrt,
    lambda m, y, x: (0.5 / y,),
    "sqrt({0})",
    math_name="sqrt",
    domain=lambda x: "input must be >= 0" if x < 0.0 else None,
    pole=lambda x: (math.inf,),
    samples=((0.1, 3.0),),
    doc="square root",
    symbolic=("1/(2{y})",),
    reference=lambda x: x**0.5,
).register()
CBRT = Op(
    "cbrt",
    1,
    _CBRT,
    # 1/(3y²) written (1/3)/y/y: at x = ±inf its derivatives are 0, where 3·y·y would give inf · 0 = NaN
    lambda m, y, x: ((1.0 / 3.0) / y / y,),
    "cbrt({0})",
    math_name="cbrt",
    pole=lambda x: (math.inf,),
    samples=((0.2, 3.0),),
    doc="cube root",
    symbolic=("1/(3{y}^2)",),
    reference=lambda x: math.copysign(abs(x) ** (1 / 3), x),
).register()
SQUARE = Op(
    "square",
    1,
    lambda x: x * x,
    lambda m, y, x: (2.0 * x,),
    "square({0})",
    doc="x * x",
    symbolic=("2{0}",),
    reference=lambda x: x**2,
).register()
RECIPROCAL = Op(
    "reciprocal",
    1,
    lambda x: 1.0 / x,
    lambda m, y, x: (-(y * y),),
    "1/{0}",
    prec=2,
    needs=(3,),
    domain=lambda x: "division by zero" if x == 0.0 else None,
    limit=lambda x: _quotient(1.0, x),
    samples=((0.5, 2.0),),
    doc="1 / x",
    symbolic=("-{y}^2",),
    reference=lambda x: 1 / x,
).register()

ERF = Op(
    "erf",
    1,
    math.erf,
    lambda m, y, x: (_TWO_OVER_SQRT_PI * m.exp(-(x * x)),),
    "erf({0})",
    math_name="erf",
    doc="error function",
    symbolic=("(2/sqrt(π))·exp(-{0}^2)",),
    reference=math.erf,
).register()
ERFC = Op(
    "erfc",
    1,
    math.erfc,
    lambda m, y, x: (-_TWO_OVER_SQRT_PI * m.exp(-(x * x)),),
    "erfc({0})",
    math_name="erfc",
    doc="1 - erf(x), accurate for large x",
    symbolic=("-(2/sqrt(π))·exp(-{0}^2)",),
    reference=lambda x: 1 - math.erf(x),
).register()
SIGN = Op(
    "sign",
    1,
    _sign,
    lambda m, y, x: (0.0,),
    "sign({0})",
    batched=lambda m, x: m.where(x > 0.0, 1.0, m.where(x < 0.0, -1.0, x * 0.0)),
    kink=lambda x: _side(x, 0.0),
    kink_note="a jump at 0; the derivative is 0 everywhere, as in PyTorch",
    kink_points=((0.0,),),
    doc="-1, 0 or 1",
    symbolic=("0",),
    reference=lambda x: (x > 0) - (x < 0),
).register()
ABS = Op(
    "abs",
    1,
    abs,
    lambda m, y, x: (m.where(x > 0.0, 1.0, m.where(x < 0.0, -1.0, 0.0)),),
    "abs({0})",
    kink=lambda x: _side(x, 0.0),
    kink_note="the derivative at 0 is taken as 0 (PyTorch's sign(0))",
    kink_points=((0.0,),),
    math_name="fabs",
    doc="|x|",
    symbolic=("sign({0})",),
    reference=math.fabs,
).register()
DEGREES = Op(
    "degrees",
    1,
    math.degrees,
    lambda m, y, x: (180.0 / math.pi,),
    "degrees({0})",
    math_name="degrees",
    doc="radians to degrees",
    symbolic=("180/π",),
    reference=lambda x: x * 180 / math.pi,
).register()
RADIANS = Op(
    "radians",
    1,
    math.radians,
    lambda m, y, x: (math.pi / 180.0,),
    "radians({0})",
    math_name="radians",
    doc="degrees to radians",
    symbolic=("π/180",),
    reference=lambda x: x * math.pi / 180,
).register()

RELU = Op(
    "relu",
    1,
    _relu,
    lambda m, y, x: (m.where(x <= 0.0, 0.0, 1.0),),  # NaN passes the gradient on, as in PyTorch
    "relu({0})",
    batched=lambda m, x: m.where(x <= 0.0, 0.0, x),
    kink=lambda x: _side(x, 0.0),
    kink_note="the derivative at 0 is taken as 0, as in PyTorch and micrograd",
    kink_points=((0.0,),),
    doc="max(0, x); NaN stays NaN",
    symbolic=("1 if {0} > 0 else 0",),
    reference=lambda x: max(0.0, x),
).register()
SIGMOID = Op(
    "sigmoid",
    1,
    _sigmoid,
    lambda m, y, x: (y * (1.0 - y),),
    "sigmoid({0})",
    batched=_sigmoid_m,
    doc="1 / (1 + e**-x), stable for any input (sigmoid(-1000) = 0)",
    symbolic=("{y}(1 - {y})",),
    reference=lambda x: 1 / (1 + math.exp(-x)),
).register()
SOFTPLUS = Op(
    "softplus",
    1,
    _softplus,
    lambda m, y, x: (m.sigmoid(x),),
    "softplus({0})",
    batched=lambda m, x: m.where(x > 0.0, x, 0.0) + m.log1p(m.exp(-abs(x))),
    doc="log(1 + e**x), stable at +-1000",
    symbolic=("sigmoid({0})",),
    reference=lambda x: math.log(1 + math.exp(x)),
).register()
SILU = Op(
    "silu",
    1,
    lambda x: x * _sigmoid(x),
    # d(x s(x))/dx = s + x s (1 - s)
    lambda m, y, x: (m.sigmoid(x) * (1.0 + x * (1.0 - m.sigmoid(x))),),
    "silu({0})",
    batched=lambda m, x: x * _sigmoid_m(m, x),
    doc="x * sigmoid(x)",
    symbolic=("sigmoid({0})·(1 + {0}(1 - sigmoid({0})))",),
    reference=lambda x: x / (1 + math.exp(-x)),
).register()
GELU = Op(
    "gelu",
    1,
    lambda x: 0.5 * x * (1.0 + math.erf(x * _INV_SQRT_2)),
    # x Phi(x): d/dx = Phi(x) + x phi(x)
    lambda m, y, x: (0.5 * (1.0 + m.erf(x * _INV_SQRT_2)) + x * _INV_SQRT_2PI * m.exp(-0.5 * (x * x)),),
    "gelu({0})",
    batched=lambda m, x: 0.5 * x * (1.0 + m.erf(x * _INV_SQRT_2)),
    doc="x * Phi(x), the exact (erf) form",
    symbolic=("Φ({0}) + {0}·φ({0})",),
    reference=lambda x: x * 0.5 * (1 + math.erf(x / math.sqrt(2))),
).register()
LEAKY_RELU = Op(
    "leaky_relu",
    1,
    lambda x, slope: x if x > 0.0 else slope * x,
    lambda m, y, x, slope: (m.where(x > 0.0, 1.0, slope),),
    "leaky_relu({0}, {slope})",
    batched=lambda m, x, slope: m.where(x > 0.0, x, slope * x),
    kink=lambda x, slope: _side(x, 0.0),
    kink_note="the derivative at 0 is taken as the slope (PyTorch)",
    kink_points=((0.0,),),
    params=(("slope", 0.01),),
    doc="x for x > 0, else slope * x",
    symbolic=("1 if {0} > 0 else {slope}",),
    reference=lambda x, slope: x if x > 0 else slope * x,
).register()
ELU = Op(
    "elu",
    1,
    lambda x, alpha: x if x > 0.0 else alpha * math.expm1(x),
    # alpha (e^x - 1) has the derivative alpha e^x = y + alpha
    lambda m, y, x, alpha: (m.where(x <= 0.0, y + alpha, 1.0),),  # NaN passes the gradient on, as in PyTorch
    "elu({0}, {alpha})",
    # expm1 of min(x, 0): the branch not taken must not overflow
    batched=lambda m, x, alpha: m.where(x > 0.0, x, alpha * m.expm1(m.where(x > 0.0, 0.0, x))),
    kink=lambda x, alpha: _side(x, 0.0),
    kink_note="at 0 the derivative is taken from the left (alpha)",
    kink_points=((0.0,),),
    params=(("alpha", 1.0),),
    doc="x for x > 0, else alpha * (e**x - 1)",
    symbolic=("1 if {0} > 0 else {y} + {alpha}",),
    reference=lambda x, alpha: x if x > 0 else alpha * (math.exp(x) - 1),
).register()


def _atan2_grads(m: Any, y: Any, a: Any, b: Any) -> tuple[Any, Any]:
    # atan2(a, b) is the angle of the point (b, a): d/da = b / r², d/db = -a / r², written (b/r)/r with
    # r = hypot(a, b), since a*a + b*b would leave float range where the derivatives do not
    r = m.hypot(a, b)
    origin = r <= 0.0  # where the derivative is taken as 0 (PyTorch): on Values too, not 0/0 = NaN
    r = m.where(origin, 1.0, r)
    return m.where(origin, 0.0, b / r / r), m.where(origin, 0.0, -a / r / r)


ATAN2 = Op(
    "atan2",
    2,
    math.atan2,
    _atan2_grads,
    "atan2({0}, {1})",
    math_name="atan2",
    pole=lambda a, b: (0.0, 0.0),
    kink=_atan2_side,
    kink_points=((0.0, 0.0), (0.0, -1.0)),
    kink_note="undefined at (0, 0), taken as 0 there, as in PyTorch; atan2(a, b) jumps by 2π where a "
    "crosses 0 with b < 0, and the derivative there is that of the branch taken",
    samples=((0.2, 2.0), (-2.0, 2.0)),
    doc="the angle of the point (x, y), for atan2(y, x)",
    symbolic=("{1}/({0}^2 + {1}^2)", "-{0}/({0}^2 + {1}^2)"),
    reference=math.atan2,
).register()
HYPOT = Op(
    "hypot",
    2,
    math.hypot,
    lambda m, y, a, b: (a / y, b / y),
    "hypot({0}, {1})",
    math_name="hypot",
    pole=lambda a, b: (math.nan, math.nan),
    kink=_origin,
    kink_points=((0.0, 0.0),),
    kink_note="undefined at (0, 0): NaN, as in PyTorch",
    doc="sqrt(x**2 + y**2) without overflow",
    symbolic=("{0}/{y}", "{1}/{y}"),
    reference=lambda a, b: math.sqrt(a * a + b * b),
).register()
MAXIMUM = Op(
    "maximum",
    2,
    _maximum,
    # at a tie the gradient is split; a NaN operand (neither larger, no tie) passes it to both, as in PyTorch
    lambda m, y, a, b: (
        m.where(a > b, 1.0, m.where(b > a, 0.0, m.where(a <= b, 0.5, 1.0))),
        m.where(a > b, 0.0, m.where(b > a, 1.0, m.where(a <= b, 0.5, 1.0))),
    ),
    "maximum({0}, {1})",
    batched=lambda m, a, b: m.where(a > b, a, m.where(b > a, b, m.where(a <= b, a, a + b))),
    kink=_side,
    kink_note="at a tie the gradient is split evenly (PyTorch, JAX)",
    kink_points=((1.0, 1.0),),
    doc="the larger of a and b; NaN if either is",
    symbolic=("1 if {0} > {1} else 0 if {0} < {1} else 0.5", "1 if {1} > {0} else 0 if {1} < {0} else 0.5"),
    reference=max,
).register()
MINIMUM = Op(
    "minimum",
    2,
    _minimum,
    lambda m, y, a, b: (
        m.where(a < b, 1.0, m.where(b < a, 0.0, m.where(a <= b, 0.5, 1.0))),
        m.where(a < b, 0.0, m.where(b < a, 1.0, m.where(a <= b, 0.5, 1.0))),
    ),
    "minimum({0}, {1})",
    batched=lambda m, a, b: m.where(a < b, a, m.where(b < a, b, m.where(a <= b, a, a + b))),
    kink=_side,
    kink_note="at a tie the gradient is split evenly (PyTorch, JAX)",
    kink_points=((1.0, 1.0),),
    doc="the smaller of a and b; NaN if either is",
    symbolic=("1 if {0} < {1} else 0 if {0} > {1} else 0.5", "1 if {1} < {0} else 0 if {1} > {0} else 0.5"),
    reference=min,
).register()
CLAMP = Op(
    "clamp",
    1,
    _clamp,
    # 1 inside [lo, hi], bounds included; NaN is outside, as in PyTorch
    lambda m, y, x, lo, hi: (m.where(lo <= x, m.where(x <= hi, 1.0, 0.0), 0.0),),
    "clamp({0}, {lo}, {hi})",
    batched=_clamp_m,
    domain=lambda x, lo, hi: "lo must be <= hi" if lo > hi else None,
    kink=lambda x, lo, hi: None if x in (lo, hi) else (x > lo, x > hi),
    kink_note="at lo and hi the derivative is 1 (the bounds are inside, as in PyTorch)",
    kink_points=((-1.0,), (1.0,)),  # with the bounds -1 and 1 the tests use
    params=(("lo", -math.inf), ("hi", math.inf)),  # no bound: an infinite one
    samples=((-0.9, 0.9),),
    doc="x limited to [lo, hi] (-inf and inf: no bound)",
    symbolic=("1 if {lo} <= {0} <= {hi} else 0",),
    reference=lambda x, lo, hi: min(max(x, lo), hi),
).register()

SUM = Op(
    "sum",
    -1,
    lambda *xs: sum(xs),
    lambda m, y, *xs: (1.0,) * len(xs),
    " + ",
    prec=1,
    needs=(1,),
    doc="x1 + ... + xn as one node",
    symbolic=("1",),
    reference=lambda *xs: math.fsum(xs),
).register()


def _logsumexp(*xs: float) -> float:
    mx = max(xs)
    if math.isinf(mx) or mx != mx:  # all -inf, some +inf, or NaN: the sum is mx itself, unless a NaN hides
        return mx if all(x == x for x in xs) else math.nan  # behind the max (which depends on the order)
    return mx + math.log(math.fsum([math.exp(x - mx) for x in xs]))


def _logsumexp_grads(m: Any, y: Any, *xs: Any) -> tuple[Any, ...]:
    # d/dx_i = e^(x_i - y) = softmax(x)_i; if y is +inf (some are) those carry it, if -inf (all are) all do;
    # a NaN y makes every derivative NaN
    return tuple(
        m.where(y >= math.inf, m.where(x < y, 0.0, 1.0), m.where(y <= -math.inf, 1.0, m.exp(x - y))) for x in xs
    )


def _logsumexp_m(m: Any, *xs: Any) -> Any:
    """_logsumexp with m's functions (for arrays): the largest operand first, NaN and infinities as there."""
    mx = xs[0]
    for x in xs[1:]:
        mx = m.where(x > mx, x, mx)
    finite = abs(mx) < math.inf
    safe = m.where(finite, mx, 0.0)
    nan = sum(m.where(x <= x, 0.0, math.nan) for x in xs)  # NaN if any operand is: the max may hide it
    return m.where(finite, safe + m.log(sum(m.exp(x - safe) for x in xs)), mx) + nan


LOGSUMEXP = Op(
    "logsumexp",
    -1,
    _logsumexp,
    _logsumexp_grads,
    ", ",
    batched=_logsumexp_m,
    prec=5,
    needs=(0,),
    doc="log(e**x1 + ... + e**xn), stable",
    symbolic=("exp({x} - {y})",),
    reference=lambda *xs: math.log(math.fsum(math.exp(x) for x in xs)),
).register()


def _logaddexp_m(m: Any, a: Any, b: Any) -> Any:
    """max(a, b) + log(1 + e**-|a - b|) with m's functions: no overflow, and accurate where e**-|a - b| is tiny.
    a - b is NaN for two equal infinities (then the max is the sum) and for a NaN operand (then NaN is)."""
    d = abs(a - b)
    nan = m.where(a <= a, m.where(b <= b, 0.0, math.nan), math.nan)
    return m.where(a > b, a, b) + m.where(d <= math.inf, m.log1p(m.exp(-d)), nan)


LOGADDEXP = Op(
    "logaddexp",
    2,
    lambda a, b: _logaddexp_m(FLOATS, a, b),  # the same expression on floats as on arrays and in compile's code
    _logsumexp_grads,  # d/da = e**(a - y), d/db = e**(b - y): logsumexp's rule for two operands
    "logaddexp({0}, {1})",
    batched=_logaddexp_m,
    doc="log(e**a + e**b), stable (numpy's and PyTorch's logaddexp)",
    symbolic=("exp({0} - {y})", "exp({1} - {y})"),
    reference=lambda a, b: math.log(math.exp(a) + math.exp(b)),
).register()


def _dot(*args: float) -> float:
    n = len(args) // 2
    return sum(map(operator.mul, args[:n], args[n : 2 * n]), args[-1])  # b + w0 x0 + w1 x1 + ..., left to right


def _dot_grads(m: Any, y: Any, *args: Any) -> tuple[Any, ...]:
    n = len(args) // 2
    return (*args[n : 2 * n], *args[:n], 1.0)  # d/dw_i = x_i, d/dx_i = w_i, d/db = 1


DOT = Op(
    "dot",
    -1,
    _dot,
    _dot_grads,
    " + ",
    prec=1,
    needs=(1,),
    formula_text="Σ wᵢxᵢ + b",
    domain=lambda *a: None if len(a) % 2 else "takes n weights, n inputs and a bias (an odd count)",
    # operands w_1..w_n, x_1..x_n, b: the local derivative of each is its partner (or 1 for b)
    symbolic=lambda k, count: "1" if k == count - 1 else f"{{{(k + count // 2) % (count - 1)}}}",
    samples=((-2.0, 2.0),),
    doc="a neuron's weighted sum w . x + b as one node, dot(ws, xs, b)",
    reference=lambda *a: math.fsum(w * x for w, x in zip(a[: len(a) // 2], a[len(a) // 2 : -1])) + a[-1],
).register()


# Every op, in the order of its entry above (the README's table).
OPS = tuple(_REGISTERED)

# The ops a user calls by their name: each is a method of Value and Dual (``x.sin()``: one line in methods.py)
# and a function (``autograd.sin(x)``: one line in functions.py). The others are operators (+ - * / % ** and
# -x, the op neg) or take a list (sum, logsumexp, dot: autograd.reductions).
CALLED_BY_NAME = tuple(op for op in OPS if op.name.isidentifier() and op.arity > 0 and op is not NEG)

# The ops of one or two operands without parameters, by name: what a rule may call as ``m.<name>(x)``
# (``m.hypot(a, b)``).
NAMED = {op.name: op for op in OPS if op.arity in (1, 2) and not op.params and op.name.isidentifier()}
# The functions rules call on floats: each op's own value function, where and floordiv.
FLOATS: Namespace = Namespace({**{name: op.value for name, op in NAMED.items()}, "where": where, "floordiv": floordiv})


def markdown_table() -> str:
    """The op table as the README shows it (tests/test_readme.py checks that the README has it): each op,
    how it is written, its local derivatives (as the lecture notes write them), its domain and its kinks.

    >>> markdown_table().splitlines()[2].startswith("| `+` | `a + b` | 1, 1 |")
    True
    """
    rows = ["| op | written | local derivatives | domain | kinks (the convention) |", "|---|---|---|---|---|"]
    for op in OPS:
        names = ["x"] if op.arity == 1 else ["a", "b"] if op.arity == 2 else ["w1", "x1", "b"]
        fields = {p: p for p in op.param_names}
        if op.formula_text is not None:
            written = op.formula_text
        elif op.arity < 0:
            written = op.formula("x1", "x2", "...")
        else:
            written = op.display.format(*names, **fields)
        forms = [op.symbolic(k, 3) for k in range(3)] if callable(op.symbolic) else list(op.symbolic or ())
        derivative = ", ".join(f.format(*names, y="y", x="xᵢ", **fields) for f in forms)
        rows.append(f"| `{op.name}` | `{written}` | {derivative} | {_domain_text(op)} | {op.kink_note or '-'} |")
    return "\n".join(rows) + "\n"


def _domain_text(op: Op) -> str:
    """The reasons the op's domain check gives over a grid of operands (and parameters): '-' if none."""
    if op.domain is None:
        return "all reals"
    grid = (-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0)
    count = 3 if op.arity < 0 else op.arity
    params = [op.params] + [tuple(v for _ in op.params) for v in (0.5, -1.0)] if op.params else [()]
    reasons = []
    for p in params:
        points = (
            [(x,) for x in grid]
            if count == 1
            else [(a, b) for a in grid for b in grid]
            if count == 2
            else [(a, b, c) for a in grid for b in grid for c in grid]
        )
        for xs in points:
            reason = op.domain(*xs, *p)
            if reason is not None and reason not in reasons:
                reasons.append(reason)
    return "; ".join(reasons) if reasons else "all reals"
