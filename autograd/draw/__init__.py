"""Pictures of a Value's graph, split by concern:

- `autograd.draw.notation`: the words and numbers (∂L/∂x on nodes, ∂parent/∂child on edges), with the
  names of `autograd.names`;
- `autograd.draw.groups`: scopes as clusters (open) or blocks (collapsed);
- `autograd.draw.views`: `draw`, the forward and backward views, and `nodes_between`;
- `autograd.draw.steps`: `draw_steps`, the backward pass step by step;
- `autograd.draw.layout`: one layout, many texts: dot's SVG read once and changed in place, frame by frame
  (the stepper) or move by move (the playground, `autograd.serve`);
- `autograd.draw.player` and its template ``player.html``: the HTML stepper page.
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
