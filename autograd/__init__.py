"""chaingrad's engine: scalar reverse-mode automatic differentiation you can see and check."""
# chaingrad/__init__.py checks this marker: PyPI's autograd (HIPS) uses the same import name.
__chaingrad__ = True

from . import ops
from .engine import Scope, Value, apply, enable_grad, is_grad_enabled, no_grad, scope
from .functions import (abs, acos, acosh, asin, asinh, atan, atan2, atanh, cbrt, clamp, cos, cosh, degrees, elu, erf,
                        erfc, exp, exp2, expm1, gelu, hypot, leaky_relu, log, log1p, log2, log10, maximum, minimum,
                        radians, reciprocal, relu, sigmoid, sign, silu, sin, sinh, softplus, sqrt, square, tan, tanh)
from .reductions import log_softmax, logsumexp, softmax, sum_values
from .draw import draw, draw_steps, nodes_between
from .compile import GraphChanged, compile
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .transforms import grad, value_and_grad
from .forward import Dual, jvp
from .anomaly import AnomalyError, detect_anomaly
from .explain import Derivation, explain

__all__ = ["Value", "no_grad", "enable_grad", "is_grad_enabled", "scope", "Scope", "ops", "apply",
           "sin", "cos", "tan", "asin", "acos", "atan", "sinh", "cosh", "tanh", "asinh", "acosh", "atanh",
           "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sqrt", "cbrt", "square", "reciprocal",
           "erf", "erfc", "sign", "abs", "degrees", "radians",
           "relu", "sigmoid", "softplus", "silu", "gelu", "leaky_relu", "elu",
           "atan2", "hypot", "minimum", "maximum", "clamp",
           "sum_values", "logsumexp", "log_softmax", "softmax",
           "draw", "draw_steps", "nodes_between",
           "compile", "GraphChanged",
           "gradcheck", "gradgradcheck", "GradcheckError", "grad", "value_and_grad", "Dual", "jvp",
           "detect_anomaly", "AnomalyError", "explain", "Derivation"]
