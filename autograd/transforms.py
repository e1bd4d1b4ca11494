"""Function transforms in the style of JAX: ``grad(f)`` and ``value_and_grad(f)``.

``f`` takes Values and returns a Value. The transformed function, called with numbers, returns
floats; called with Values, it returns Values with graphs of their own, so transforms nest:
``grad(grad(f))`` is the second derivative.
"""

import contextvars
import numbers
from collections.abc import Callable
from typing import Any

from .engine import Value, enable_grad, gradients

__all__ = ["grad", "value_and_grad"]

# How many transforms are running in this thread or task. Inside one, a transform returns Values
# even when called with numbers, because its result may depend on the outer transform's inputs
# through a closure: grad(lambda y: grad(lambda x: x * y)(1.0))(3.0) is 1.
_depth: contextvars.ContextVar[int] = contextvars.ContextVar("chaingrad_transform_depth", default=0)


def _check_argnums(argnums: int | tuple[int, ...], fn: str) -> tuple[int, ...]:
    positions = (argnums,) if type(argnums) is int else argnums
    if (
        type(positions) is tuple
        and positions
        and all(type(i) is int and i >= 0 for i in positions)
        and len(set(positions)) == len(positions)
    ):
        return positions
    raise TypeError(f"{fn}: argnums must be an int >= 0 or a non-empty tuple of distinct ints >= 0, got {argnums!r}")


def value_and_grad(f: Callable[..., Value], argnums: int | tuple[int, ...] = 0) -> Callable[..., tuple[Any, Any]]:
    """``f``'s value and its gradient with respect to the arguments ``argnums``, as a pair.

    With an int argnums the gradient is one number, with a tuple it is a tuple. Called with
    numbers the results are floats; called with Values, or inside another transform, they are
    Values (``create_graph``-style), which can be differentiated again. The graph is recorded even
    inside ``no_grad()``.

    >>> value_and_grad(lambda x, y: x * y, argnums=(0, 1))(3.0, 4.0)
    (12.0, (4.0, 3.0))
    """
    return _transform(f, argnums, "value_and_grad")


def _transform(f: Callable[..., Value], argnums: int | tuple[int, ...], fn: str) -> Callable[..., tuple[Any, Any]]:
    if not callable(f):
        raise TypeError(f"{fn}: f must be callable, got {f!r}")
    positions = _check_argnums(argnums, fn)

    def value_and_grad_f(*call_args: Any) -> tuple[Any, Any]:
        args = list(call_args)
        if max(positions) >= len(args):
            raise IndexError(
                f"{fn}: argnums {argnums!r} asks for argument {max(positions)}, "
                f"but the function was called with {len(args)} argument(s)"
            )
        nested = _depth.get() > 0 or any(isinstance(a, Value) for a in args)
        depth_token = _depth.set(_depth.get() + 1)
        try:
            with enable_grad():  # a transform records its graph, even under no_grad()
                wrt: list[Value] = []
                for i in positions:
                    x = args[i]
                    if isinstance(x, Value):
                        # A new node per argument, so that f(x, x) gives each position its own partial
                        # derivative, while the gradient still depends on x's own graph.
                        x = x + 0.0
                    elif isinstance(x, numbers.Real) and not isinstance(x, bool):
                        x = Value(float(x))  # as Value itself converts a Real
                    else:
                        raise TypeError(
                            f"{fn}: argument {i} must be a Value or a real number (it is "
                            f"differentiated, see argnums), got {x!r} of type {type(x).__name__}"
                        )
                    args[i] = x
                    wrt.append(x)
                out = f(*args)
                if not isinstance(out, Value):
                    raise TypeError(
                        f"{fn}: f must return a Value (a scalar built from its arguments), "
                        f"got {out!r} of type {type(out).__name__}"
                    )
                grads = gradients(out, 1.0, create_graph=nested)
        finally:
            _depth.reset(depth_token)
        zero = Value(0.0) if nested else 0.0  # for an argument that f did not use
        gs = tuple(grads.get(x, zero) for x in wrt)
        g = gs if type(argnums) is tuple else gs[0]
        return (out, g) if nested else (out.data, g)

    return value_and_grad_f


def grad(f: Callable[..., Value], argnums: int | tuple[int, ...] = 0) -> Callable[..., Any]:
    """The gradient of ``f`` with respect to its arguments ``argnums``, as a function.

    >>> import math
    >>> d2 = grad(grad(lambda x: x.tanh()))(0.5)
    >>> round(d2, 12) == round(-2 * math.tanh(0.5) * (1 - math.tanh(0.5) ** 2), 12)
    True
    """
    value_and_grad_f = _transform(f, argnums, "grad")

    def grad_f(*args: Any) -> Any:
        return value_and_grad_f(*args)[1]

    return grad_f
