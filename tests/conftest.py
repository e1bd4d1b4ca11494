"""Hypothesis in CI: the same examples on every run (``derandomize``), so that CI is reproducible and a
landing is never decided by the draw; local runs keep exploring new examples. ``.ci/run`` sets CI."""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")
