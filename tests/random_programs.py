"""Random programs for property tests over every op of the table (``op_cases.CASES``, from autograd.ops.OPS),
shared by test_engine (against torch float64) and test_compile (replay equals eager).

A program is a list of steps ``(op title, operand indices)``. A step applies the op to earlier nodes (indices
taken modulo the number of nodes so far), each operand first mapped into the op's sample interval by
``lo + (hi - lo) * sigmoid(x)``, so that every op stays inside its domain whatever the leaves are.
"""

from hypothesis import strategies as st
from op_cases import CASES, arity

STEPS = {op.title: op for op in CASES}


def programs(max_size):
    """A hypothesis strategy: programs of 1 to max_size steps, each over any op of the table."""
    index = st.integers(0, 50)
    step = st.tuples(st.sampled_from(sorted(STEPS)), st.tuples(index, index, index))
    return st.lists(step, min_size=1, max_size=max_size)


def build(program, leaves, apply, sigmoid):
    """Run a program over leaves: ``apply(op, *operands)`` applies an op of the table, ``sigmoid`` maps an
    operand into (0, 1) (ours, or another engine's with the same names)."""
    nodes = list(leaves)
    for title, indices in program:
        op = STEPS[title]
        ranges = op.samples * arity(op) if op.arity < 0 else op.samples
        operands = [lo + (hi - lo) * sigmoid(nodes[i % len(nodes)]) for i, (lo, hi) in zip(indices, ranges)]
        nodes.append(apply(op, *operands))
    return nodes[-1] + nodes[len(nodes) // 2]
