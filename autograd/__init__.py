"""chaingrad's engine: scalar reverse-mode automatic differentiation you can see and check."""

# chaingrad/__init__.py checks this marker: PyPI's autograd (HIPS) uses the same import name.
__chaingrad__ = True

from . import functions, ops
from .anomaly import AnomalyError, detect_anomaly
from .compile import GraphChanged, compile
from .draw import draw, draw_steps, nodes_between
from .engine import Constant, Value, apply
from .explain import Derivation, explain
from .forward import Dual, jvp
from .functions import *  # noqa: F403  (each op a user calls by name, as a function: functions.__all__)
from .grad_mode import Scope, enable_grad, is_grad_enabled, no_grad, scope
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .reductions import dot, log_softmax, logsumexp, softmax, sum_values
from .transforms import grad, value_and_grad
from .vmap import BatchingError, vmap

__all__ = [
    "Value",
    "Constant",
    "no_grad",
    "enable_grad",
    "is_grad_enabled",
    "scope",
    "Scope",
    "ops",
    "apply",
]
__all__ += functions.__all__
__all__ += [
    "sum_values",
    "dot",
    "logsumexp",
    "log_softmax",
    "softmax",
    "draw",
    "draw_steps",
    "nodes_between",
    "compile",
    "GraphChanged",
    "vmap",
    "BatchingError",
    "gradcheck",
    "gradgradcheck",
    "GradcheckError",
    "grad",
    "value_and_grad",
    "Dual",
    "jvp",
    "detect_anomaly",
    "AnomalyError",
    "explain",
    "Derivation",
]
