"""chaingrad under its own name: ``import chaingrad`` gives the engine's public API plus ``chaingrad.nn``.

>>> import chaingrad
>>> L = chaingrad.Value(-2.0) * (chaingrad.Value(3.0) + 2)
>>> L.data, isinstance(chaingrad.nn.MLP(2, [1], seed=0), chaingrad.nn.Module)
(-10.0, True)
"""

import autograd

# PyPI's "autograd" (HIPS autograd) installs a top-level package of the same name; if it comes first
# on sys.path (or overwrote our __init__.py), say so here instead of failing later on a missing name.
if getattr(autograd, "__chaingrad__", False) is not True:
    raise ImportError(
        f"chaingrad needs its own 'autograd' package, but 'import autograd' found another one at "
        f"{getattr(autograd, '__file__', None)!r} (probably PyPI's autograd, HIPS autograd, which uses the "
        "same import name). Install chaingrad in a virtual environment without it: "
        "'pip uninstall autograd' and then reinstall chaingrad ('pip install --force-reinstall chaingrad', "
        "or 'pip install -e .' in a checkout)",
        name="autograd",
        path=getattr(autograd, "__file__", None),
    )

import nn
from autograd import *  # noqa: F403

__all__ = [*autograd.__all__, "nn"]
