"""chaingrad's engine: scalar reverse-mode automatic differentiation you can see and check."""
from .engine import Value, is_grad_enabled, no_grad
from .functions import log_softmax, logsumexp, softmax, sum_values

__all__ = ["Value", "no_grad", "is_grad_enabled", "sum_values", "logsumexp", "log_softmax", "softmax"]
