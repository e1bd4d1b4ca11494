"""`Parameter` (a Value a module trains) and `Module` (finds its parameters, saves and loads them: the file's
format and checks are `nn.serialization`'s)."""

import os
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, SupportsFloat, TypeVar

from autograd import Value
from autograd.display import card_html

from .serialization import StateDictError, checked_values, read_state, save_state

__all__ = ["Parameter", "Module", "StateDictError"]


class Parameter(Value):
    """A Value that a module owns and an optimizer updates. Renderers draw it apart from inputs.

    Its ``path`` is where the module holds it, from the moment it is assigned into one (an attribute, or an
    item of a list/tuple attribute): every view names it so, unless you give it a label (a label wins).

    >>> p = Parameter(0.5)
    >>> p.is_parameter, p.is_leaf, p.path
    (True, True, '')
    """

    __slots__ = ("_owner",)
    is_parameter = True

    def __init__(self, data: SupportsFloat, label: str = "") -> None:
        super().__init__(data, label)
        self._owner: tuple[Module, str] | None = None  # the first module it was assigned into, and where

    @property
    def path(self) -> str:
        """Its dotted path from the outermost module above it: 'layers.0.neurons.3.w.1' ('' outside modules).

        >>> class M(Module):
        ...     def __init__(self): self.w = [Parameter(1.0)]
        >>> M().w[0].path
        'w.0'
        """
        return _path(self._owner)


_M = TypeVar("_M", bound="Module")


class Module:
    """Base class of every layer and model.

    Parameters are found from the instance's attributes, in the order they were assigned:
    an attribute that is a Parameter, a Module, or a (nested) list/tuple of them.
    Subclasses need not call ``super().__init__()``. Assigning a Parameter or a Module into a module
    gives it its place there (``path``), once: the first module that takes it keeps it.

    >>> class Affine(Module):
    ...     def __init__(self):
    ...         self.w = [Parameter(2.0), Parameter(3.0)]
    ...         self.b = Parameter(1.0)
    ...     def __call__(self, x):
    ...         return self.w[0] * x[0] + self.w[1] * x[1] + self.b
    >>> [name for name, _ in Affine().named_parameters()]
    ['w.0', 'w.1', 'b']
    """

    training = True  # class default; train() / eval() set it on the instances
    _owner: "tuple[Module, str] | None" = None  # the module this one was first assigned into, and where

    def __setattr__(self, name: str, value: Any) -> None:
        object.__setattr__(self, name, value)
        if name != "training" and name != "_owner" and isinstance(value, _KINDS):
            _adopt(self, name, value)

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``[(dotted_name, parameter), ...]`` in definition order; a parameter shared twice is listed once.

        Names are stable: attribute names and list indices, e.g. ``layers.0.neurons.3.w.1``: the
        parameters' ``path`` (a parameter shared with a module outside this one keeps the path it got there).
        Labels are never touched.

        >>> class M(Module):
        ...     def __init__(self): self.w = [Parameter(1.0)]
        >>> [(name, p.label, p.path) for name, p in M().named_parameters()]
        [('w.0', '', 'w.0')]
        """
        for name, node in _walk(self, ""):
            if isinstance(node, (Parameter, Module)) and node._owner is None and node is not self:
                _adopt_one(node, self, name)  # put into a list after the list was assigned: its place now
        return _named_parameters(self)

    def parameters(self) -> list[Parameter]:
        """The parameters as a list, in the order of ``named_parameters()``.

        >>> class M(Module):
        ...     def __init__(self): self.b = Parameter(0.0)
        >>> len(M().parameters())
        1
        """
        return [p for _, p in self.named_parameters()]

    def modules(self) -> list["Module"]:
        """This module and every module below it, depth first, each once.

        >>> class M(Module): pass
        >>> len(M().modules())
        1
        """
        out: list[Module] = []
        seen: set[int] = set()
        for _, m in _walk(self, ""):
            if isinstance(m, Module) and id(m) not in seen:
                seen.add(id(m))
                out.append(m)
        return out

    def zero_grad(self) -> None:
        """Set every parameter's grad to 0.

        >>> class M(Module):
        ...     def __init__(self): self.b = Parameter(0.0)
        >>> m = M(); m.b.grad = 3.0; m.zero_grad(); m.b.grad
        0.0
        """
        for p in self.parameters():
            p.grad = 0.0

    def train(self: _M, mode: bool = True) -> _M:
        """Put this module and all below it in training mode (Dropout active). Returns self.

        >>> class M(Module): pass
        >>> M().train().training
        True
        """
        if type(mode) is not bool:
            raise TypeError(f"train(mode=...) must be True or False, got {mode!r}")
        for m in self.modules():
            m.training = mode
        return self

    def eval(self: _M) -> _M:
        """Put this module and all below it in evaluation mode (Dropout off). Returns self.

        >>> class M(Module): pass
        >>> M().eval().training
        False
        """
        return self.train(False)

    def state_dict(self) -> dict[str, float]:
        """``{dotted_name: float}`` for every parameter, in order. A copy: changing it changes nothing.

        >>> class M(Module):
        ...     def __init__(self): self.b = Parameter(0.5)
        >>> M().state_dict()
        {'b': 0.5}
        """
        return {name: p.data for name, p in self.named_parameters()}

    def load_state_dict(self, state: Mapping[str, float]) -> None:
        """Set every parameter from ``state`` (as made by ``state_dict()``). Grads are left alone.

        All or nothing: raises StateDictError (or TypeError for a non-number) and changes nothing
        unless ``state`` has exactly this module's names, each with a finite real number.

        >>> class M(Module):
        ...     def __init__(self): self.b = Parameter(0.5)
        >>> m = M(); m.load_state_dict({'b': 2.0}); m.b.data
        2.0
        """
        if not isinstance(state, dict):
            raise TypeError(
                f"load_state_dict: state must be a dict of name -> number, got {state!r} of type {type(state).__name__}"
            )
        named = _named_parameters(self)
        values = checked_values(type(self).__name__, state, [n for n, _ in named], "load_state_dict")
        for (_, p), v in zip(named, values):
            p.data = v

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the parameters to ``path`` as JSON. Atomic: a crash never leaves a half-written file.

        The text goes to a temporary file next to the target (named ``<target>.<pid>.<random>.chaingrad-tmp``),
        which is then renamed over the target in one step; on any error it is removed and the error names the
        target. One left behind by a killed process is removed by the next save to the same place. A symbolic
        link is followed: the file it points to is replaced and the link stays. Anything at ``path`` that is
        not a regular file (a folder, a FIFO, a device) is refused with FileExistsError, and nothing is
        written. An existing file keeps its permissions; a new one gets those of any new file (the umask
        applies). See `autograd.files.write_atomic`.

        >>> import os, tempfile
        >>> class M(Module):
        ...     def __init__(self): self.b = Parameter(0.5)
        >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
        >>> M().save(path); os.path.exists(path)
        True
        """
        save_state(path, self.state_dict(), type(self).__name__)

    def load(self, path: str | os.PathLike[str]) -> None:
        """Read parameters written by ``save(path)``; checks everything first, changes nothing on error.

        Every problem with the file's content raises StateDictError naming the file and what is wrong
        (not UTF-8, not JSON, nested too deeply, a duplicate name, wrong format or version, wrong names,
        a value that is not a finite number); a file that cannot be read raises OSError, and so does anything
        at ``path`` that is not a regular file (a folder, a FIFO, a device: refused without waiting on it).

        >>> import os, tempfile
        >>> class M(Module):
        ...     def __init__(self, v): self.b = Parameter(v)
        >>> path = os.path.join(tempfile.mkdtemp(), "m.json")
        >>> M(0.5).save(path); m = M(0.0); m.load(path); m.b.data
        0.5
        """
        state, where = read_state(path)
        named = _named_parameters(self)
        try:
            values = checked_values(type(self).__name__, state, [n for n, _ in named], where)
        except TypeError as e:
            raise StateDictError(str(e)) from None
        for (_, p), v in zip(named, values):
            p.data = v

    def __repr__(self) -> str:
        return f"{type(self).__name__}({len(self.parameters())} parameters)"

    def _repr_html_(self) -> str:
        """Jupyter's rich display: a card with the class name, the parameter count and the layer shape.

        >>> class M(Module):
        ...     def __init__(self): self.b = Parameter(0.0)
        >>> "1 parameter" in M()._repr_html_()
        True
        """
        n = len({id(p) for _, p in _walk(self, "") if isinstance(p, Parameter)})
        rows = [("parameters", f"{n:,} parameter{'s' if n != 1 else ''}")]
        shape = _shape(self)
        if shape:
            rows.append(("shape", shape))
        if type(self).__repr__ is not Module.__repr__:  # the class's own repr (ours counts by naming)
            rows.append(("module", repr(self)))
        rows.append(("mode", "training" if self.training else "eval"))
        return card_html(type(self).__name__, "module", rows)


def _named_parameters(module: "Module") -> list[tuple[str, Parameter]]:
    """[(dotted_name, parameter)] below module, each parameter once."""
    out: list[tuple[str, Parameter]] = []
    seen: set[int] = set()
    for name, p in _walk(module, ""):
        if isinstance(p, Parameter) and id(p) not in seen:
            seen.add(id(p))
            out.append((name, p))
    return out


def _walk(obj: object, prefix: str) -> Iterator[tuple[str, Any]]:
    """(dotted_name, node) for obj and for every Parameter/Module below it, depth first. Iterative.

    A module met twice (shared, or a cycle) is walked only the first time.
    """
    seen = set()
    stack = [(prefix, obj)]
    kinds = (Parameter, Module, list, tuple)
    while stack:
        name, node = stack.pop()
        yield name, node
        if isinstance(node, Module):
            if id(node) in seen:
                continue
            seen.add(id(node))
            items: Iterable[tuple[object, Any]] = [
                (k, v) for k, v in vars(node).items() if k != "training" and k != "_owner"
            ]
        elif isinstance(node, (list, tuple)):
            items = enumerate(node)
        else:
            continue
        dot = name + "." if name else ""
        stack.extend(reversed([(f"{dot}{k}", v) for k, v in items if isinstance(v, kinds)]))


_KINDS = (Parameter, Module, list, tuple)


def _adopt(module: Module, name: str, value: object) -> None:
    """Give every Parameter and Module in ``value`` (assigned to ``module.name``) that has no place yet its
    place: (module, its dotted path below module). Modules below a module are not walked: they have theirs."""
    stack = [(name, value)]
    seen: set[int] = set()
    while stack:
        where, node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, (Parameter, Module)):
            if node is not module:
                _adopt_one(node, module, where)
        elif isinstance(node, (list, tuple)):
            stack.extend(reversed([(f"{where}.{k}", v) for k, v in enumerate(node) if isinstance(v, _KINDS)]))


def _adopt_one(node: "Parameter | Module", module: Module, where: str) -> None:
    if node._owner is None and not _above(node, module):
        node._owner = (module, where)


def _above(node: object, module: Module) -> bool:
    """True if ``node`` is ``module`` or a module it sits in (a cycle would make paths endless)."""
    m: Module | None = module
    while m is not None:
        if m is node:
            return True
        m = m._owner[0] if m._owner is not None else None
    return False


def _path(owner: "tuple[Module, str] | None") -> str:
    """The dotted path that the chain of owners above a parameter or module gives it."""
    parts: list[str] = []
    while owner is not None:
        module, where = owner
        parts.append(where)
        owner = module._owner
    return ".".join(reversed(parts))


def _shape(module: Module) -> str:
    """The sizes a module maps, as text: '2 → 16 → 16 → 1' for an MLP or a chain of layers, '' if unknown."""
    if hasattr(module, "sizes") and hasattr(module, "nin"):  # MLP
        return " → ".join(map(str, [module.nin, *module.sizes]))
    if hasattr(module, "nin"):  # Layer (nin -> nout) or Neuron (nin -> 1)
        return f"{module.nin} → {getattr(module, 'nout', 1)}"
    cell = getattr(module, "cell", module)
    if hasattr(cell, "n_in") and hasattr(cell, "n_hidden"):  # RNN cell, or RNN (a cell plus an output layer)
        out = getattr(module, "n_out", None)
        return f"{cell.n_in} → {cell.n_hidden} (recurrent)" + (f" → {out}" if out is not None else "")
    if hasattr(module, "num") and hasattr(module, "dim"):  # Embedding
        return f"{module.num} rows × {module.dim}"
    sizes: list[int] = []  # a model built from layers: their sizes, when each one feeds the next
    for m in module.modules()[1:]:
        if hasattr(m, "nin") and hasattr(m, "nout"):
            if sizes and sizes[-1] != m.nin:
                return ""
            sizes += [m.nin, m.nout] if not sizes else [m.nout]
    return " → ".join(map(str, sizes))
