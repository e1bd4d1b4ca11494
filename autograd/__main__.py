"""``python -m autograd "c*(a+2*b)" a=3 b=1 c=-2 -o L.svg --view backward``: see autograd.cli;
``python -m autograd serve ...``: the playground, see autograd.serve."""

import sys

from .serve import command

sys.exit(command())
