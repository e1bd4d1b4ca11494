"""Saving and loading a module's parameters: the state-dict file (JSON) and its checks, as PyTorch keeps them in
``torch/serialization.py``. `nn.Module.save` and `nn.Module.load` are the API."""

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .module import Parameter

__all__ = ["StateDictError"]

_FORMAT = "chaingrad.state_dict"
_VERSION = 1


class StateDictError(ValueError):
    """A state dict or saved file that does not fit the module: wrong names, wrong size, bad values."""


def _few(names: Sequence[str], limit: int = 5) -> str:
    """A short list of names for an error message."""
    if not names:
        return "none"
    shown = ", ".join(_short(n, 60) for n in names[:limit])
    return shown + (f", ... ({len(names) - limit} more)" if len(names) > limit else "")


def _checked(module: str, state: Mapping[str, Any], named: "list[tuple[str, Parameter]]", who: str) -> list[float]:
    """The values of ``state`` as floats in the order of ``named`` (module: the class name, for messages),
    or StateDictError/TypeError. Linear time."""
    names = [n for n, _ in named]
    if len(state) != len(names) or not all(map(state.__contains__, names)):
        known = set(names)
        missing = [n for n in names if n not in state]
        unexpected = [n for n in state if n not in known]
        raise StateDictError(
            f"{who}: the state has {len(state)} entries, {module} has "
            f"{len(named)} parameters; missing names: {_few(missing)}; unexpected names: {_few(unexpected)}"
        )
    values = []
    for n in names:
        v = state[n]
        if type(v) is not float:
            if type(v) is bool or not isinstance(v, (int, float)):
                raise TypeError(
                    f"{who}: {n!r} must be a real number (int or float), got {_short(v)} of type {type(v).__name__}"
                )
            try:
                v = float(v)
            except OverflowError:
                raise StateDictError(
                    f"{who}: {n!r} must be a finite float, got an integer of {v.bit_length()} bits, beyond float range"
                ) from None
        if not math.isfinite(v):
            raise StateDictError(f"{who}: {n!r} must be finite, got {v!r}")
        values.append(v)
    return values


def _short(x: Any, n: int = 80) -> str:
    """repr(x), cut to n characters: a bad value from a file can be huge."""
    try:
        text = repr(x)
    except ValueError:  # an int too long for repr
        return f"an integer of {x.bit_length()} bits"
    return text if len(text) <= n else text[: n - 3] + "..."


class _DuplicateName(Exception):
    pass


def _unique_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict; a name given twice raises (json would keep the last silently)."""
    d = dict(pairs)
    if len(d) != len(pairs):
        seen = set()
        for k, _ in pairs:
            if k in seen:
                raise _DuplicateName(k)
            seen.add(k)
    return d
