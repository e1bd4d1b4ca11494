"""``python -m autograd "c*(a+2*b)" a=3 b=1 c=-2 -o L.svg --view backward``: see autograd.cli."""

import sys

from .cli import main

sys.exit(main())
