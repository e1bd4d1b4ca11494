"""Should backward() skip constants? Its cost, measured: backward() of one graph, the engine's loop as it is
(it adds into a constant's .grad like into any leaf's) against two ways of skipping constants, in one process,
runs alternating, collector on.

- as is:           the engine's loop (``Value._backward``'s, copied here without its check for gradients left
                   by an earlier backward, which every variant would pay alike), constants included;
- type test:       the same loop with ``type(child) is not Constant`` before each addition;
- grad property:   the loop as is, on a graph whose constants are a class whose ``grad`` is a property that
                   ignores writes (no test on the hot path; each constant edge pays a property call instead).

Each run times one backward over a graph built just before it (untimed), so that no variant keeps a
luckier memory layout.

What it showed (2 cores, shared; five runs): the type test costs 6 to 13% on the nn step and gains at most
4% on the polynomial; the property costs 3 to 8% on the nn step and 18 to 48% on the polynomial. So the engine does
not skip: a constant's .grad receives its additions like any leaf's, and the views never show it.

Workloads: the nn demo step's graph (nn.MLP(2, [16, 16, 1]) over a batch, hinge loss, L2 term: its data
inputs and the loss's numbers are constants, about a tenth of the edges) and a polynomial whose every
product has a number (half the edges run into constants).

    python benchmarks/bench_constants.py [--repeats 21]
"""

import argparse
import gc
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

from bench_engine import make_points  # noqa: E402

import nn  # noqa: E402
from autograd import Constant, Value, sum_values  # noqa: E402
from autograd.engine import topological_order  # noqa: E402


class IgnoringConstant(Constant):
    """A constant whose grad is always 0: writes are dropped (the 'grad property' variant)."""

    __slots__ = ()

    @property  # type: ignore[override]
    def grad(self):
        return 0.0

    @grad.setter
    def grad(self, value):
        pass


def type_test_backward(root, order, grad):
    """Value._backward's loop with a type test before every addition (the 'type test' variant)."""
    root.grad = grad
    for v in order:
        b = v._b
        if b is not None:
            g = v.grad
            a = v._a
            if type(a) is not Constant:
                a.grad += v._da * g
            if type(b) is not Constant:
                b.grad += v._db * g
            continue
        a = v._a
        if a is None:
            continue
        g = v.grad
        if isinstance(a, tuple):
            for child, local in zip(a, v._da):
                if type(child) is not Constant:
                    child.grad += local * g
        elif type(a) is not Constant:
            a.grad += v._da * g


def as_is_backward(root, order, grad):
    """Value._backward's loop, as it is (the 'as is' and 'grad property' variants)."""
    root.grad = grad
    for v in order:
        b = v._b
        if b is not None:
            g = v.grad
            v._a.grad += v._da * g
            b.grad += v._db * g
            continue
        a = v._a
        if a is None:
            continue
        g = v.grad
        if isinstance(a, tuple):
            for child, local in zip(a, v._da):
                child.grad += local * g
        else:
            a.grad += v._da * g


def swap_constants(order, cls):
    """Make every constant of the graph an instance of cls (same slots, so __class__ can be assigned)."""
    for v in order:
        if type(v) is Constant:
            v.__class__ = cls


def nn_graph(batch):
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
    xs, ys = make_points(batch)
    scores = [model(x)[0] for x in xs]
    return nn.hinge_loss(scores, ys) + 1e-4 * sum_values([p * p for p in model.parameters()])


def polynomial(n):
    x = Value(0.5, label="x")
    terms, power = [], x
    for k in range(1, n + 1):
        terms.append((k % 7 + 1) * power)
        power = power * 0.99 + x * 0.01
    return sum_values(terms)


def measure(build, repeats):
    """{variant: median seconds per backward} for one workload, runs alternating; each run on a graph built
    just before it (untimed), so that no variant keeps a luckier memory layout than the others."""
    runs = {
        "as is": as_is_backward,
        "type test": type_test_backward,
        "grad property": as_is_backward,
    }
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            root = build()
            order = topological_order(root)
            if name == "grad property":
                swap_constants(order, IgnoringConstant)
            gc.collect()
            t = time.perf_counter()
            run(root, order, 1.0)
            times[name].append(time.perf_counter() - t)
            del root, order
    order = topological_order(build())
    constants = sum(type(v) is Constant for v in order)
    edges = sum(len(v.children) for v in order)
    into = sum(type(c) is Constant for v in order for c in v.children)
    return {name: statistics.median(ts) for name, ts in times.items()}, len(order), constants, into, edges


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args(argv)
    print(f"backward() only, median of {args.repeats} alternating runs, collector on, Python {sys.version.split()[0]}")
    for title, build in (("nn demo step, batch 100", lambda: nn_graph(100)), ("polynomial", lambda: polynomial(20000))):
        medians, nodes, constants, into, edges = measure(build, args.repeats)
        base = medians["as is"]
        print(f"{title}: {nodes} nodes, {constants} constants, {into} of {edges} edges into constants")
        for name, t in medians.items():
            print(f"  {name:15} {t * 1e3:8.2f} ms  {t / base:5.2f}x as is")


if __name__ == "__main__":
    main()
