"""Saving and loading a module's parameters: the state-dict file (JSON) and its checks, as PyTorch keeps them in
``torch/serialization.py``. `nn.Module.save` and `nn.Module.load` are the API."""

import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

from autograd.files import read_regular, write_atomic

__all__ = ["StateDictError", "save_state", "read_state", "checked_values"]

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


def save_state(path: str | os.PathLike[str], state: Mapping[str, float], module: str) -> None:
    """Write ``state`` (a module's ``state_dict()``; ``module``: its class name) to ``path`` as JSON, atomically
    (`autograd.files.write_atomic`). Non-finite values raise StateDictError: JSON has no inf or NaN.

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
    >>> save_state(path, {"b": 0.5}, "M"); read_state(path)[0]
    {'b': 0.5}
    """
    path = os.fspath(path)
    bad = [n for n, v in state.items() if not math.isfinite(v)]
    if bad:
        raise StateDictError(
            f"save: parameters must be finite to be saved as JSON (to {path!r}), "
            f"got {_few([f'{n}={state[n]!r}' for n in bad])}"
        )
    text = json.dumps({"format": _FORMAT, "version": _VERSION, "module": module, "parameters": state}, indent=1)
    write_atomic(path, text.encode("utf-8"), "save")


def read_state(path: str | os.PathLike[str]) -> tuple[dict[str, Any], str]:
    """The parameters ``{name: value}`` that ``save_state`` wrote to ``path``, unchecked against any module,
    and how messages name the file (``"load: 'path'"``). Every problem with the file's content raises
    StateDictError naming the file and what is wrong; a file that cannot be read raises OSError, and so does
    anything at ``path`` that is not a regular file (a folder, a FIFO, a device: refused without waiting on it)."""
    path = os.fspath(path)
    raw = read_regular(path, "load")  # a FIFO or a device is refused at once, never waited on
    where = f"load: {path!r}"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        raise StateDictError(f"{where} is not UTF-8 text: {e.reason} at byte {e.start}") from None
    try:
        doc = json.loads(text, object_pairs_hook=_unique_object)
    except json.JSONDecodeError as e:
        raise StateDictError(f"{where} is not valid JSON ({e})") from None
    except _DuplicateName as e:
        raise StateDictError(f"{where} names {e.args[0]!r} twice in one JSON object") from None
    except RecursionError:
        raise StateDictError(f"{where} is nested too deeply to be a state dict") from None
    except ValueError as e:  # an integer too long to convert (Python's limit on digits)
        raise StateDictError(f"{where} has a number JSON cannot read: {_short(str(e))}") from None
    if not isinstance(doc, dict) or doc.get("format") != _FORMAT:
        raise StateDictError(
            f'{where} is not a chaingrad state dict (expected a JSON object with "format": {_FORMAT!r})'
        )
    version = doc.get("version")
    if type(version) is not int or version != _VERSION:
        raise StateDictError(f"{where} has version {_short(version)}; this chaingrad reads version {_VERSION!r}")
    state = doc.get("parameters")
    if not isinstance(state, dict):
        raise StateDictError(
            f'{where} has no "parameters" object {{name: number}}, got {_short(state)} of type {type(state).__name__}'
        )
    return state, where


def checked_values(module: str, state: Mapping[str, Any], names: Sequence[str], who: str) -> list[float]:
    """The values of ``state`` as floats in the order of ``names``, or StateDictError (wrong names, a value that
    is not finite) or TypeError (not a number). ``module`` (the class name) and ``who`` are for the messages.
    Linear time."""
    if len(state) != len(names) or not all(map(state.__contains__, names)):
        known = set(names)
        missing = [n for n in names if n not in state]
        unexpected = [n for n in state if n not in known]
        raise StateDictError(
            f"{who}: the state has {len(state)} entries, {module} has "
            f"{len(names)} parameters; missing names: {_few(missing)}; unexpected names: {_few(unexpected)}"
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
