"""chaingrad's engine: scalar reverse-mode automatic differentiation you can see and check."""
# chaingrad/__init__.py checks this marker: PyPI's autograd (HIPS) uses the same import name.
__chaingrad__ = True

from .engine import Value, is_grad_enabled, no_grad
from .functions import log_softmax, logsumexp, softmax, sum_values
from .draw import draw, draw_steps, nodes_between
from .compile import GraphChanged, compile
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .functional import grad, value_and_grad
from .forward import Dual, jvp
from .anomaly import AnomalyError, detect_anomaly

__all__ = ["Value", "no_grad", "is_grad_enabled", "sum_values", "logsumexp", "log_softmax", "softmax",
           "draw", "draw_steps", "nodes_between",
           "compile", "GraphChanged",
           "gradcheck", "gradgradcheck", "GradcheckError", "grad", "value_and_grad", "Dual", "jvp",
           "detect_anomaly", "AnomalyError"]
