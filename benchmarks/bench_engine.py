"""Engine benchmark: one training step of micrograd's demo in chaingrad, micrograd and (if installed) PyTorch.

The workload is micrograd's own demo: a 2-16-16-1 ReLU MLP, the max-margin loss averaged over a batch of
points plus L2 regularisation, one forward + backward + SGD step. Lines:

- micrograd:                micrograd.nn.MLP and the demo's loss code, as micrograd users run it;
- chaingrad nn:             nn.MLP (its neurons sum with one n-ary node), nn.hinge_loss, nn.SGD;
- chaingrad, same graph:    the very graph micrograd builds (binary-op chains), op for op: the cost of the ops;
- PyTorch 0-d float64:      the same graph from 0-d tensors (only if torch is installed).

Every engine starts from the same weights. Runs alternate between engines in this one process. A run
times one step, up to the loss it returns; freeing the step's graph is left out of the timing for every
engine: `gc.collect()` before each run clears the previous run's garbage. (micrograd's graph is made of
reference cycles, which only that collection frees; chaingrad's would be freed by reference counting the
moment the loss is dropped, so timing the release would charge chaingrad alone.) Ratios are medians.

    python benchmarks/bench_engine.py [--batch 100] [--repeats 15]
"""

import argparse
import gc
import math
import random
import statistics
import sys
import time
import tracemalloc

import nn
from autograd import Value, sum_values


def make_points(n, seed=0):
    """Two interleaved half-moons (labels -1 / +1), generated here so no data set is needed."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x, y, label = math.cos(t), math.sin(t), 1
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), -1
        xs.append([x + rng.gauss(0, 0.1), y + rng.gauss(0, 0.1)])
        ys.append(label)
    return xs, ys


def copy_weights(src, dst):
    for p, q in zip(src, dst, strict=True):
        q.data = p.data


class SameGraphMLP:
    """micrograd's MLP, op for op (Neuron: sum((wi*xi for ...), b)), over any Value class."""

    def __init__(self, value_cls, model):
        self.layers = [
            [([value_cls(w.data) for w in n.w], value_cls(n.b.data)) for n in layer.neurons] for layer in model.layers
        ]

    def parameters(self):
        return [p for layer in self.layers for ws, b in layer for p in [*ws, b]]

    def __call__(self, x):
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            x = [
                (lambda act: act.relu() if i < last else act)(sum((wi * xi for wi, xi in zip(ws, x)), b))
                for ws, b in layer
            ]
        return x[0]


def micrograd_style_step(model, xs, ys, make, lr=0.01, alpha=1e-4):
    """micrograd's demo loss, backward and SGD update, for micrograd and the same-graph lines."""
    scores = [model([make(a), make(b)]) for a, b in xs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    total = sum(losses) * (1.0 / len(losses)) + alpha * sum(p * p for p in model.parameters())
    for p in model.parameters():
        p.grad = 0.0
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total


def nn_step(model, opt, xs, ys, alpha=1e-4):
    """The same step as a chaingrad user writes it."""
    scores = [model(x)[0] for x in xs]
    total = nn.hinge_loss(scores, ys) + alpha * sum_values([p * p for p in opt.params])
    opt.zero_grad()
    total.backward()
    opt.step()
    return total


def count_nodes(root):
    seen, stack = {id(root)}, [root]
    while stack:
        v = stack.pop()
        for c in v.children if isinstance(v, Value) else v._prev:
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


def time_steps(steps, repeats, gc_enabled):
    """Median seconds per step for each engine, runs alternating between engines."""
    times = {name: [] for name in steps}
    was = gc.isenabled()
    try:
        for _ in range(repeats):
            for name, run in steps.items():
                gc.collect()
                gc.enable() if gc_enabled else gc.disable()
                t0 = time.perf_counter()
                result = run()
                times[name].append(time.perf_counter() - t0)
                del result  # the graph is freed outside the timing, for every engine (see the module docstring)
                gc.enable() if was else gc.disable()
    finally:
        gc.enable() if was else gc.disable()
    return {name: statistics.median(ts) for name, ts in times.items()}


def memory(run):
    """Bytes held by one step's graph (after backward, while it is alive) and its node count."""
    gc.collect()
    tracemalloc.start()
    loss = run()
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size, count_nodes(loss)


def release_time(run, repeats):
    """Median seconds to free one step's graph: drop the loss, then one gc.collect() (which micrograd's cycles need)."""
    times = []
    for _ in range(repeats):
        gc.collect()
        result = run()
        t0 = time.perf_counter()
        del result
        gc.collect()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def torch_step_factory(model, xs, ys):
    import torch

    def make(v):
        return torch.tensor(float(v), dtype=torch.float64)

    layers = [
        [([make(w.data).requires_grad_() for w in n.w], make(n.b.data).requires_grad_()) for n in layer.neurons]
        for layer in model.layers
    ]
    params = [p for layer in layers for ws, b in layer for p in [*ws, b]]

    def forward(x):
        for i, layer in enumerate(layers):
            x = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            x = [a.relu() for a in x] if i < len(layers) - 1 else x
        return x[0]

    def step(lr=0.01, alpha=1e-4):
        scores = [forward([make(a), make(b)]) for a, b in xs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        total = sum(losses) * (1.0 / len(losses)) + alpha * sum(p * p for p in params)
        for p in params:
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in params:
                p -= lr * p.grad
        return total

    return step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    if args.batch < 1 or args.repeats < 1:
        parser.error(f"--batch and --repeats must be positive, got {args.batch!r} and {args.repeats!r}")
    try:
        from micrograd.engine import Value as MValue
        from micrograd.nn import MLP as MicroMLP
    except ImportError:
        sys.exit("micrograd is not installed: pip install -e '.[bench]'")

    xs, ys = make_points(args.batch)
    ours = nn.MLP(2, [16, 16, 1], activation="relu", seed=1)
    opt = nn.SGD(ours.parameters(), lr=0.01)
    theirs = MicroMLP(2, [16, 16, 1])
    copy_weights(ours.parameters(), theirs.parameters())
    same = SameGraphMLP(Value, ours)
    steps = {
        "micrograd": lambda: micrograd_style_step(theirs, xs, ys, MValue),
        "chaingrad nn": lambda: nn_step(ours, opt, xs, ys),
        "chaingrad, same graph": lambda: micrograd_style_step(same, xs, ys, Value),
    }
    loss_m, loss_c = steps["micrograd"]().data, steps["chaingrad nn"]().data  # floats: no graph stays alive
    assert abs(loss_m - loss_c) < 1e-9, (loss_m, loss_c)  # same weights, same step
    print(
        f"workload: micrograd's demo step, 2-16-16-1 ReLU MLP, batch {args.batch}, "
        f"median of {args.repeats} alternating runs, Python {sys.version.split()[0]}"
    )
    for gc_enabled in (True, False):
        times = time_steps(steps, args.repeats, gc_enabled)
        base = times["micrograd"]
        print(f"\ncyclic GC {'on (default settings)' if gc_enabled else 'off for every engine'}:")
        for name, t in times.items():
            print(f"  {name:24s} {t * 1e3:8.1f} ms/step  {base / t:6.2f}x micrograd's speed")

    print("\nfreeing one step's graph (not in the times above): drop the loss, then gc.collect():")
    for name, run in steps.items():
        print(f"  {name:24s} {release_time(run, max(3, args.repeats // 3)) * 1e3:8.1f} ms")

    print("\nmemory held by one step's graph (tracemalloc, after backward):")
    m_size, m_nodes = memory(steps["micrograd"])
    for name in ("micrograd", "chaingrad, same graph", "chaingrad nn"):
        size, nodes = memory(steps[name])
        print(
            f"  {name:24s} {size / nodes:6.1f} bytes/node x {nodes:6d} nodes = {size / 1e6:5.1f} MB"
            f"  ({size / nodes / (m_size / m_nodes):.3f} of micrograd's per node, "
            f"{size / m_size:.3f} of its total)"
        )

    try:
        import torch  # noqa: F401  (imported last: its objects would slow every engine's GC)
    except ImportError:
        print("\ntorch is not installed: no 0-d float64 tensor line")
        return
    torch_step = torch_step_factory(ours, xs, ys)
    both = {"micrograd": steps["micrograd"], "chaingrad nn": steps["chaingrad nn"], "PyTorch 0-d float64": torch_step}
    times = time_steps(both, max(3, args.repeats // 3), True)
    print("\nwith torch imported (GC on):")
    for name, t in times.items():
        print(f"  {name:24s} {t * 1e3:8.1f} ms/step  {times['micrograd'] / t:6.2f}x micrograd's speed")


if __name__ == "__main__":
    main()
