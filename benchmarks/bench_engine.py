"""Engine benchmark: one training step of micrograd's demo, in chaingrad, micrograd and (if installed) PyTorch.

The workload is micrograd's own demo: a 2-16-16-1 ReLU MLP, the max-margin loss summed over a batch of
points plus L2 regularisation, one forward + backward + SGD step. Runs alternate between engines in this
one process; each line prints the median time and the ratio against micrograd.

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

from autograd import Value, sum_values


def make_points(n, seed=0):
    """Two interleaved half-moons, generated here so no data set is needed."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x, y = math.cos(t), math.sin(t)
            label = 1
        else:
            x, y = 1 - math.cos(t), 0.5 - math.sin(t)
            label = -1
        xs.append([x + rng.gauss(0, 0.1), y + rng.gauss(0, 0.1)])
        ys.append(label)
    return xs, ys


def init_weights(sizes, seed=1):
    """One list of (weights, bias) per neuron per layer, uniform in [-1, 1] as micrograd does."""
    rng = random.Random(seed)
    layers = []
    for nin, nout in zip(sizes, sizes[1:]):
        layers.append([([rng.uniform(-1, 1) for _ in range(nin)], 0.0) for _ in range(nout)])
    return layers


class ScalarMLP:
    """The demo's MLP for any engine with micrograd's Value API. `nary` uses chaingrad's sum_values."""

    def __init__(self, value_cls, weights, nary=False):
        self.nary = nary
        self.layers = [[([value_cls(w) for w in ws], value_cls(b)) for ws, b in layer] for layer in weights]

    def parameters(self):
        return [p for layer in self.layers for ws, b in layer for p in ws + [b]]

    def __call__(self, x):
        last = len(self.layers) - 1
        for i, layer in enumerate(self.layers):
            out = []
            for ws, b in layer:
                if self.nary:
                    act = sum_values([wi * xi for wi, xi in zip(ws, x)] + [b])
                else:  # micrograd's Neuron: sum((wi*xi for ...), b)
                    act = sum((wi * xi for wi, xi in zip(ws, x)), b)
                out.append(act.relu() if i < last else act)
            x = out
        return x[0]


def step(model, xs, ys, value_cls, lr=0.01, alpha=1e-4):
    """micrograd's demo loss, backward and SGD update; returns the loss node."""
    inputs = [[value_cls(a), value_cls(b)] for a, b in xs]
    scores = [model(x) for x in inputs]
    losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
    data_loss = sum(losses) * (1.0 / len(losses))
    reg_loss = alpha * sum(p * p for p in model.parameters())
    total = data_loss + reg_loss
    for p in model.parameters():
        p.grad = 0.0
    total.backward()
    for p in model.parameters():
        p.data -= lr * p.grad
    return total


def count_nodes(root):
    seen, stack = {id(root)}, [root]
    while stack:
        v = stack.pop()
        for c in getattr(v, "_children", None) or getattr(v, "_prev", ()):
            if id(c) not in seen:
                seen.add(id(c))
                stack.append(c)
    return len(seen)


def time_steps(engines, xs, ys, repeats, gc_enabled):
    """Median seconds per step for each engine, runs alternating between engines."""
    times = {name: [] for name in engines}
    was = gc.isenabled()
    try:
        for _ in range(repeats):
            for name, (model, cls) in engines.items():
                gc.collect()
                gc.enable() if gc_enabled else gc.disable()
                t0 = time.perf_counter()
                loss = step(model, xs, ys, cls)
                times[name].append(time.perf_counter() - t0)
                gc.enable() if was else gc.disable()
                del loss
    finally:
        gc.enable() if was else gc.disable()
    return {name: statistics.median(ts) for name, ts in times.items()}


def bytes_per_node(model, cls, xs, ys):
    """Memory held by one step's graph (after backward, while the graph is alive), per node."""
    gc.collect()
    tracemalloc.start()
    loss = step(model, xs, ys, cls)
    size, _ = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return size / count_nodes(loss), count_nodes(loss)


def torch_engine(weights):
    import torch

    class T:
        def __init__(self, x):
            self.t = torch.tensor(float(x), dtype=torch.float64, requires_grad=True)

    params = [[([torch.tensor(w, dtype=torch.float64, requires_grad=True) for w in ws],
                torch.tensor(b, dtype=torch.float64, requires_grad=True)) for ws, b in layer] for layer in weights]

    class TorchMLP:
        def parameters(self):
            return [p for layer in params for ws, b in layer for p in ws + [b]]

        def __call__(self, x):
            for i, layer in enumerate(params):
                out = []
                for ws, b in layer:
                    act = sum((wi * xi for wi, xi in zip(ws, x)), b)
                    out.append(act.relu() if i < len(params) - 1 else act)
                x = out
            return x[0]

    def make(v):
        return torch.tensor(float(v), dtype=torch.float64)

    class TorchStep:
        pass

    def torch_step(model, xs, ys, _cls, lr=0.01, alpha=1e-4):
        inputs = [[make(a), make(b)] for a, b in xs]
        scores = [model(x) for x in inputs]
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores)]
        total = sum(losses) * (1.0 / len(losses)) + alpha * sum(p * p for p in model.parameters())
        for p in model.parameters():
            p.grad = None
        total.backward()
        with torch.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        return total

    return TorchMLP(), torch_step


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    try:
        from micrograd.engine import Value as MValue
    except ImportError:
        sys.exit("micrograd is not installed: pip install -e '.[bench]'")

    xs, ys = make_points(args.batch)
    weights = init_weights([2, 16, 16, 1])
    engines = {
        "micrograd": (ScalarMLP(MValue, weights), MValue),
        "chaingrad (same graph)": (ScalarMLP(Value, weights), Value),
        "chaingrad (sum_values)": (ScalarMLP(Value, weights, nary=True), Value),
    }
    print(f"workload: micrograd demo step, 2-16-16-1 ReLU MLP, batch {args.batch}, "
          f"median of {args.repeats} alternating runs, Python {sys.version.split()[0]}")
    for gc_enabled in (True, False):
        times = time_steps(engines, xs, ys, args.repeats, gc_enabled)
        base = times["micrograd"]
        print(f"\ncyclic GC {'on (default settings)' if gc_enabled else 'off for every engine'}:")
        for name, t in times.items():
            print(f"  {name:26s} {t * 1e3:9.1f} ms/step   {base / t:6.2f}x micrograd's speed")

    print("\nmemory held by one step's graph (tracemalloc, same graph in both engines):")
    m_bytes, m_nodes = bytes_per_node(*engines["micrograd"], xs, ys)
    c_bytes, c_nodes = bytes_per_node(*engines["chaingrad (same graph)"], xs, ys)
    n_bytes, n_nodes = bytes_per_node(*engines["chaingrad (sum_values)"], xs, ys)
    print(f"  micrograd               {m_bytes:7.1f} bytes/node over {m_nodes} nodes")
    print(f"  chaingrad (same graph)  {c_bytes:7.1f} bytes/node over {c_nodes} nodes  "
          f"({c_bytes / m_bytes:.3f} of micrograd's)")
    print(f"  chaingrad (sum_values)  {n_bytes:7.1f} bytes/node over {n_nodes} nodes  "
          f"(whole graph {n_bytes * n_nodes / (m_bytes * m_nodes):.3f} of micrograd's)")

    try:
        import torch  # noqa: F401
    except ImportError:
        print("\ntorch is not installed: skipping the 0-d float64 tensor comparison")
        return
    model, torch_step = torch_engine(weights)
    ts, ms = [], []
    mmodel = ScalarMLP(MValue, weights)
    for _ in range(max(3, args.repeats // 3)):
        t0 = time.perf_counter(); torch_step(model, xs, ys, None); ts.append(time.perf_counter() - t0)
        t0 = time.perf_counter(); step(mmodel, xs, ys, MValue); ms.append(time.perf_counter() - t0)
    t, m = statistics.median(ts), statistics.median(ms)
    print(f"\nPyTorch 0-d float64 tensors, same step: {t * 1e3:.1f} ms/step, {m / t:.2f}x micrograd's speed, "
          f"{times['chaingrad (same graph)'] and base / t:.2f}x (GC off) ")


if __name__ == "__main__":
    main()
