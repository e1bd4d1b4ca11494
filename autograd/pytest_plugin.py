"""pytest plugin (registered through the ``pytest11`` entry point): ``gradcheck`` and ``gradgradcheck`` fixtures.

Each fixture is the function of the same name; on failure the test fails with the table of
failing inputs as its whole message, without a traceback into the checker:

    def test_my_sigmoid(gradcheck):
        gradcheck(lambda x: 1 / (1 + (-x).exp()), [0.3])
"""

from collections.abc import Callable, Sequence

import pytest

from .engine import Value
from .gradcheck import GradcheckError
from .gradcheck import gradcheck as _gradcheck
from .gradcheck import gradgradcheck as _gradgradcheck

__all__ = ["gradcheck", "gradgradcheck"]


_Check = Callable[..., bool]


def _failing_cleanly(check: _Check) -> _Check:
    def run(f: Callable[..., Value], inputs: Sequence[float | Value], **tolerances: float) -> bool:
        __tracebackhide__ = True
        try:
            return check(f, inputs, **tolerances)
        except GradcheckError as e:
            message = str(e)
        except ValueError as e:  # refused: an input on a kink, or f undefined at x +- eps
            # the checker's messages start with its name already: keep it once, at the front
            reason = str(e).removeprefix(f"{check.__name__}: ")
            message = f"{check.__name__}: refused to check: {reason}"
        pytest.fail(message)  # outside the except: no "during handling" chain; this frame hidden, the user's shown

    run.__name__ = check.__name__
    run.__doc__ = check.__doc__
    return run


@pytest.fixture
def gradcheck() -> _Check:
    """``autograd.gradcheck`` whose failure is reported as the table of failing inputs."""
    return _failing_cleanly(_gradcheck)


@pytest.fixture
def gradgradcheck() -> _Check:
    """``autograd.gradgradcheck`` whose failure is reported as the table of failing input pairs."""
    return _failing_cleanly(_gradgradcheck)
