"""``python -m chaingrad``: the command line of ``python -m autograd``;
``python -m chaingrad serve``: the playground (see autograd.serve)."""

import sys

from autograd.serve import command

sys.exit(command())
