"""Symbols for tracing the op table's rules: a number known only by name, on which arithmetic and comparisons
record an operation instead of computing one. `compile` writes the rules out as float source with them, and
`vmap` as numpy source. A rule that looks at the data (``bool``, ``==``, ``float()``, an int index) raises
`Untraceable` there: such a rule is called on the numbers instead of written out.

A subclass says how an operation is recorded, in two methods: ``_binary(kind, other, reverse)`` for
``+ - * / % **`` and ``< <= > >=`` (``kind`` is the operator as Python writes it; ``reverse`` for ``other op
self``), and ``_unary(kind)`` for ``'neg'`` and ``'abs'``.

    >>> class Text(Symbol):
    ...     def __init__(self, text): self.text = text
    ...     def _binary(self, kind, other, reverse):
    ...         a, b = (other, self.text) if reverse else (self.text, other)
    ...         return Text(f"({a} {kind} {b})")
    ...     def _unary(self, kind): return Text(f"{kind}({self.text})")
    >>> (2.0 * -Text("x") <= 1.0).text
    '((2.0 * neg(x)) <= 1.0)'
    >>> bool(Text("x") > 0.0)
    Traceback (most recent call last):
    ...
    autograd.symbols.Untraceable: a rule looked at the data of a symbol
"""

from typing import Any, NoReturn

__all__ = ["Symbol", "Untraceable"]


class Untraceable(Exception):
    """A rule looked at the data (a comparison used as a bool, ``==``, a float or int of a symbol): it cannot be
    written as one expression."""


class Symbol:
    """A number known only by name: the operators record operations (see the module's docstring)."""

    __slots__ = ()

    def _binary(self, kind: str, other: Any, reverse: bool) -> Any:
        raise NotImplementedError

    def _unary(self, kind: str) -> Any:
        raise NotImplementedError

    def __add__(self, o: Any) -> Any:
        return self._binary("+", o, False)

    def __radd__(self, o: Any) -> Any:
        return self._binary("+", o, True)

    def __sub__(self, o: Any) -> Any:
        return self._binary("-", o, False)

    def __rsub__(self, o: Any) -> Any:
        return self._binary("-", o, True)

    def __mul__(self, o: Any) -> Any:
        return self._binary("*", o, False)

    def __rmul__(self, o: Any) -> Any:
        return self._binary("*", o, True)

    def __truediv__(self, o: Any) -> Any:
        return self._binary("/", o, False)

    def __rtruediv__(self, o: Any) -> Any:
        return self._binary("/", o, True)

    def __mod__(self, o: Any) -> Any:
        return self._binary("%", o, False)

    def __rmod__(self, o: Any) -> Any:
        return self._binary("%", o, True)

    def __pow__(self, o: Any) -> Any:
        return self._binary("**", o, False)

    def __rpow__(self, o: Any) -> Any:
        return self._binary("**", o, True)

    # A comparison is a condition for ``m.where`` (written ``(a if c else b)``, or numpy's where); a Python ``if``
    # on it (``bool``) is a branch on the data, which cannot be one expression.
    def __lt__(self, o: Any) -> Any:
        return self._binary("<", o, False)

    def __le__(self, o: Any) -> Any:
        return self._binary("<=", o, False)

    def __gt__(self, o: Any) -> Any:
        return self._binary(">", o, False)

    def __ge__(self, o: Any) -> Any:
        return self._binary(">=", o, False)

    def __neg__(self) -> Any:
        return self._unary("neg")

    def __abs__(self) -> Any:
        return self._unary("abs")

    def _refuse(self, *args: object) -> NoReturn:
        raise Untraceable("a rule looked at the data of a symbol")

    __bool__ = __eq__ = __ne__ = __float__ = __index__ = __int__ = __round__ = _refuse
    # Unhashable, as any class whose == does not compare values; typeshed declares object.__hash__ as a
    # method, so mypy refuses None here although Python documents it (typeshed's list does the same).
    __hash__ = None  # type: ignore[assignment]
