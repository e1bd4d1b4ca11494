"""Random programs for property tests: a list of op steps run over leaf Values, shared by test_engine
(finite differences and torch) and test_compile (replay equals eager).

A step is ``(1, unary_name, i, j)`` or ``(2, binary_name, i, j)``: apply the op to nodes i and j (taken
modulo the number of nodes so far) and append the result. Every op keeps its inputs in its domain.
"""

from hypothesis import strategies as st

from autograd import logsumexp, sum_values

OPS = {
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp_small": lambda a: a.tanh().exp(),
    "log_pos": lambda a: (a * a + 0.5).log(),
    "square": lambda a: a**2,
    "neg": lambda a: -a,
    "abs": lambda a: abs(a),
    "relu": lambda a: a.relu(),
    "abs_shift": lambda a: (a.tanh() + 1.5).abs(),  # away from the kink, for finite differences
    "relu_shift": lambda a: (a.tanh() + 1.5).relu(),
    "inverse": lambda a: 1.0 / (a * a + 0.25),
    "sqrt": lambda a: (a * a + 0.1) ** 0.5,
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div_pos": lambda a, b: a / (b * b + 1.0),
    "pow_pos": lambda a, b: (a * a + 0.5) ** b.tanh(),
    "sum3": lambda a, b: sum_values([a, b, a * b]),
    "lse": lambda a, b: logsumexp([a, b, b]),
}


def programs(unary, binary, max_size):
    """A hypothesis strategy: programs of 1 to max_size steps over the named unary and binary ops."""
    index = st.integers(0, 50)
    step = st.one_of(
        st.tuples(st.just(1), st.sampled_from(unary), index, index),
        st.tuples(st.just(2), st.sampled_from(binary), index, index),
    )
    return st.lists(step, min_size=1, max_size=max_size)


def build(program, leaves, lib=OPS):
    """Run a program over leaves with a library of ops (ours, or another engine's with the same names)."""
    nodes = list(leaves)
    for kind, op, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        nodes.append(lib[op](a) if kind == 1 else lib[op](a, b))
    return lib["add"](nodes[-1], nodes[len(nodes) // 2])
