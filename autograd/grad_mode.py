"""The grad mode: whether ops record the graph (`no_grad`, `enable_grad`), named `scope`s, and the engine's
other mode flags, as PyTorch's ``torch/autograd/grad_mode.py``.

The internal API, for the engine and the other modules of the package:

- ``MODE``: the ContextVar; its value is an int of flags, or inside a `scope` the pair (flags, scope);
- ``GRAD``, ``ANOMALY`` and ``IEEE``: the flags; ``mode()``: the flags of this thread or task;
- ``mode_switch(on, off)``: set the flags ``on`` and clear ``off`` inside a block.
"""

from __future__ import annotations

import contextvars
import functools
import inspect
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar, cast

__all__ = ["no_grad", "enable_grad", "is_grad_enabled", "scope", "Scope"]


# The engine's only global state: a small mode, one ContextVar so that each thread (and each
# asyncio task) has its own, and so that creating a node costs a single .get(). The mode is an int
# of flags, or inside a `scope` the pair (flags, scope): the common case stays one comparison.
GRAD = 1  # ops record the graph (off inside no_grad())
ANOMALY = 2  # ops check their results for NaN and infinities (inside anomaly.detect_anomaly())
IEEE = 4  # an operand outside an op's domain gives the IEEE 754 value, not an error (inside derivative rules)
# The flags, or (flags, scope) inside a scope.
Mode = int | tuple[int, "Scope"]
MODE: contextvars.ContextVar[Mode] = contextvars.ContextVar("chaingrad_mode", default=GRAD)
_F = TypeVar("_F", bound=Callable[..., Any])


def mode() -> int:
    """The mode flags of this thread or task (GRAD, ANOMALY, IEEE)."""
    m = MODE.get()
    return m if isinstance(m, int) else m[0]


def _set_flags(on: int, off: int) -> contextvars.Token[Mode]:
    m = MODE.get()
    if isinstance(m, int):
        return MODE.set((m | on) & ~off)
    return MODE.set(((m[0] | on) & ~off, m[1]))


@contextmanager
def mode_switch(on: int = 0, off: int = 0) -> Iterator[None]:
    """Set the mode bits ``on`` and clear ``off`` inside the block; restored on exit, also on error."""
    token = _set_flags(on, off)
    try:
        yield
    finally:
        MODE.reset(token)


class Scope:
    """A named block of the graph (see `scope`): its name and the scope it sits in."""

    __slots__ = ("name", "parent", "path")

    def __init__(self, name: str, parent: Scope | None) -> None:
        self.name, self.parent = name, parent
        self.path: tuple[str, ...] = (parent.path if parent is not None else ()) + (name,)

    def __repr__(self) -> str:
        return f"Scope({'/'.join(self.path)!r})"


class scope:  # lowercase, as the function it replaced and as no_grad
    """Tag every node made inside the block with the scope ``name``; nested scopes give a path.

    Renderers group a scope's nodes (``draw``); ``nn`` modules name their calls this way.
    Per thread and per asyncio task; restored on exit, also on error.

    >>> from autograd import Value
    >>> with scope("step 3"):
    ...     with scope("cell"):
    ...         y = Value(2.0) * 3
    >>> y.scope
    ('step 3', 'cell')
    """

    # A class, not a @contextmanager generator: nn enters one per layer call, and this costs under half as much.
    __slots__ = ("_name", "_token")

    def __init__(self, name: str) -> None:
        if not isinstance(name, str) or not name:
            raise TypeError(f"scope: name must be a non-empty str, got {name!r}")
        self._name = name

    def __enter__(self) -> None:
        m = MODE.get()
        flags, parent = (m, None) if isinstance(m, int) else m
        self._token = MODE.set((flags, Scope(self._name, parent)))

    def __exit__(self, *exc: object) -> None:
        MODE.reset(self._token)


class _GradMode:
    """``no_grad()`` and ``enable_grad()``: a context manager, and a decorator (also of generators and
    coroutines, whose bodies run later: the mode is set around each step of their execution)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._tokens: list[contextvars.Token[Mode]] = []

    def __enter__(self) -> None:
        on, off = (GRAD, 0) if self.enabled else (0, GRAD)
        self._tokens.append(_set_flags(on, off))

    def __exit__(self, *exc: object) -> None:
        MODE.reset(self._tokens.pop())

    def __call__(self, fn: _F) -> _F:
        if not callable(fn):
            raise TypeError(f"{self!r} decorates a function, got {fn!r} of type {type(fn).__name__}")
        enabled = self.enabled

        def make() -> _GradMode:  # a fresh manager per use: one may be active in many calls at once
            return _GradMode(enabled)

        if inspect.isasyncgenfunction(fn):
            raise TypeError(
                f"{self!r} cannot decorate the async generator {fn.__qualname__!r}: use "
                f"'with {self!r}:' inside its body"
            )
        if inspect.isgeneratorfunction(fn):

            @functools.wraps(fn)
            def generator(*args: Any, **kwargs: Any) -> Any:
                # The mode is set around each resumption of the body, never across a yield (as PyTorch does).
                gen = fn(*args, **kwargs)
                resume, arg = gen.send, None
                while True:
                    try:
                        with make():
                            item = resume(arg)
                    except StopIteration as stop:
                        return stop.value
                    try:
                        arg, resume = (yield item), gen.send
                    except GeneratorExit:
                        gen.close()
                        raise
                    except BaseException as e:  # thrown in by the caller: throw it into the body
                        arg, resume = e, gen.throw

            return cast(_F, generator)
        if inspect.iscoroutinefunction(fn):

            @functools.wraps(fn)
            async def coroutine(*args: Any, **kwargs: Any) -> Any:
                with make():  # a task's context is its own, so the setting stays inside this coroutine
                    return await fn(*args, **kwargs)

            return cast(_F, coroutine)

        @functools.wraps(fn)
        def function(*args: Any, **kwargs: Any) -> Any:
            with make():
                return fn(*args, **kwargs)

        return cast(_F, function)

    def __repr__(self) -> str:
        return "enable_grad()" if self.enabled else "no_grad()"


class no_grad(_GradMode):
    """Build no graph inside this block: results are plain leaves, as in ``torch.no_grad()``.

    Restores the previous setting on exit, also on error; per thread and per asyncio task.
    Works as a decorator too, also on generator functions and ``async def``.

    >>> from autograd import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     y = x * x
    >>> y.children
    ()
    """

    def __init__(self) -> None:
        super().__init__(False)


class enable_grad(_GradMode):
    """Record the graph inside this block even within ``no_grad()``, as ``torch.enable_grad()``.

    >>> from autograd import Value
    >>> x = Value(2.0)
    >>> with no_grad():
    ...     with enable_grad():
    ...         y = x * x
    >>> len(y.children)
    2
    """

    def __init__(self) -> None:
        super().__init__(True)


def is_grad_enabled() -> bool:
    """True unless called inside ``no_grad()``.

    >>> is_grad_enabled()
    True
    """
    return bool(mode() & GRAD)
