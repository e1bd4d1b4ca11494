"""Pictures of a Value's graph, split by concern:

- `autograd.draw.notation`: the words and numbers (∂L/∂x on nodes, ∂parent/∂child on edges), with the
  names of `autograd.names`;
- `autograd.draw.groups`: scopes as clusters (open) or blocks (collapsed);
- `autograd.draw.views`: `draw`, the forward and backward views, and `nodes_between`;
- `autograd.draw.steps`: `draw_steps`, the backward pass step by step;
- `autograd.draw.player` and its template ``player.html``: the HTML stepper page;
- `autograd.draw.live`: pictures that a page updates without a new layout (the playground, `autograd.serve`).
"""

from .groups import GraphTooLargeError
from .steps import StepFiles, draw_steps
from .views import BackwardNotRunError, DotNotFoundError, Graph, draw, nodes_between

__all__ = [
    "draw",
    "draw_steps",
    "nodes_between",
    "Graph",
    "StepFiles",
    "DotNotFoundError",
    "BackwardNotRunError",
    "GraphTooLargeError",
]
