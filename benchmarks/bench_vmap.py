"""Batching pays: micrograd's demo step written with scalar ops, through `autograd.vmap`, against the float
floor, hand-written numpy matrices and PyTorch float64, in one process, runs alternating, collector on.

The workload is micrograd's demo step (bench_floor.py's): a 2-16-16-1 ReLU MLP, the max-margin loss averaged
over N points plus L2 regularisation, forward + backward + SGD. Lines (ratios of median step times):

- vmap, scalar ops:  the per-point loss exactly as micrograd's demo writes it (``sum((wi*xi ...), b)``,
                     ``(1 + -y*s).relu()``), mapped over the points with ``vmap(..., reduce="mean")``; the L2
                     term and the update in scalar ops, as micrograd writes them;
- float floor:       the step by hand on Python floats (bench_floor.py's), at N = 60;
- numpy by hand:     the same step written with numpy matrices (three ``@`` forward, their transposes back);
- PyTorch float64:   the same step on batched float64 tensors (only if torch is installed), at N = 10^3;
- vmap, nn.MLP:      ``nn.MLP(2, [16, 16, 1])`` (one ``dot`` node per neuron) through vmap, at N = 10^5.

BLAS runs on one thread for numpy and torch (the machine is shared): set before numpy is imported. Then the
gradients against eager mode's sum of per-point losses.

    python benchmarks/bench_vmap.py [--repeats 11] [--quick]
"""

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before numpy is imported: one BLAS thread

import argparse  # noqa: E402
import sys  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]

import numpy as np  # noqa: E402
from bench_engine import SameGraphMLP, make_points  # noqa: E402
from bench_floor import FloatMLP, alternate  # noqa: E402

import nn  # noqa: E402
from autograd import Value, sum_values, vmap  # noqa: E402

ALPHA, LR = 1e-4, 0.01


def columns(n):
    xs, ys = make_points(n)
    return xs, ys, np.array([p[0] for p in xs]), np.array([p[1] for p in xs]), np.array(ys, dtype=float)


class VmapStep:
    """micrograd's demo step in scalar ops through vmap: the per-point loss is the hinge plus the L2 term, both
    written as micrograd writes them, averaged over the points (the mean of hinge + L2 is the mean hinge + L2).
    The L2 term reads only the parameters: vmap computes it once per call, not per point."""

    def __init__(self, model):
        self.model = model
        self.params = params = model.parameters()
        self.loss = vmap(
            lambda a, b, y: (1 + -y * model([a, b])).relu() + ALPHA * sum(p * p for p in params), reduce="mean"
        )

    def total(self, x0, x1, y):
        return self.loss(x0, x1, y)

    def __call__(self, x0, x1, y):
        total = self.total(x0, x1, y)
        for p in self.params:
            p.grad = 0.0
        total.backward()
        for p in self.params:
            p.data -= LR * p.grad
        return total


class EagerL2VmapStep(VmapStep):
    """The same step with the L2 term outside vmap, in eager scalar ops, exactly where micrograd's demo adds it."""

    def __init__(self, model):
        self.model = model
        self.params = model.parameters()
        self.loss = vmap(lambda a, b, y: (1 + -y * model([a, b])).relu(), reduce="mean")

    def total(self, x0, x1, y):
        return self.loss(x0, x1, y) + ALPHA * sum(p * p for p in self.params)


class NNVmapStep:
    """The same step with nn.MLP (one dot node per neuron), nn.SGD and sum_values, the loss through vmap."""

    def __init__(self, model):
        self.opt = nn.SGD(model.parameters(), lr=LR)
        params = self.opt.params
        self.loss = vmap(
            lambda a, b, y: (1.0 - y * model([a, b])[0]).relu() + ALPHA * sum_values([p * p for p in params]),
            reduce="mean",
        )

    def __call__(self, x0, x1, y):
        total = self.loss(x0, x1, y)
        self.opt.zero_grad()
        total.backward()
        self.opt.step()
        return total


class NumpyStep:
    """The step by hand with numpy matrices: one matrix product per layer forward, two back."""

    def __init__(self, model):
        self.layers = [
            (np.array([[w.data for w in n.w] for n in layer.neurons]), np.array([n.b.data for n in layer.neurons]))
            for layer in model.layers
        ]

    def __call__(self, x, y):
        n = len(y)
        acts, pre = [x], []
        for i, (w, b) in enumerate(self.layers):
            z = acts[-1] @ w.T + b
            pre.append(z)
            acts.append(np.maximum(z, 0.0) if i < len(self.layers) - 1 else z)
        margin = 1.0 - y * acts[-1][:, 0]
        loss = np.maximum(margin, 0.0).mean() + ALPHA * sum((w * w).sum() + (b * b).sum() for w, b in self.layers)
        g = ((margin > 0.0) * (-y / n))[:, None]
        new = []
        for i in range(len(self.layers) - 1, -1, -1):
            w, b = self.layers[i]
            if i < len(self.layers) - 1:
                g = g * (pre[i] > 0.0)
            gw, gb = g.T @ acts[i], g.sum(axis=0)
            g = g @ w
            new.append((w - LR * (gw + 2 * ALPHA * w), b - LR * (gb + 2 * ALPHA * b)))
        self.layers = new[::-1]
        return loss


class TorchStep:
    def __init__(self, model, torch):
        self.torch = torch
        self.params = []
        for layer in model.layers:
            w = torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64, requires_grad=True)
            b = torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64, requires_grad=True)
            self.params.append((w, b))

    def __call__(self, x, y):
        torch = self.torch
        h = x
        for i, (w, b) in enumerate(self.params):
            h = h @ w.T + b
            if i < len(self.params) - 1:
                h = h.relu()
        loss = (1 - y * h[:, 0]).relu().mean() + ALPHA * sum((w * w).sum() + (b * b).sum() for w, b in self.params)
        for w, b in self.params:
            w.grad = b.grad = None
        loss.backward()
        with torch.no_grad():
            for w, b in self.params:
                w -= LR * w.grad
                b -= LR * b.grad
        return loss


def model():
    return nn.MLP(2, [16, 16, 1], activation="relu", seed=1)


def agreement(n=60):
    """The largest difference of a parameter's gradient, vmap against eager's sum of per-point losses, relative to
    the largest gradient."""
    xs, ys, x0, x1, y = columns(n)
    a, b = SameGraphMLP(Value, model()), SameGraphMLP(Value, model())
    VmapStep(a).loss(x0, x1, y).backward()
    losses = [(1 + -t * b([Value(p), Value(q)])).relu() for (p, q), t in zip(xs, ys)]
    (sum(losses) * (1.0 / len(losses)) + ALPHA * sum(p * p for p in b.parameters())).backward()
    ps, qs = a.parameters(), b.parameters()
    return max(abs(p.grad - q.grad) for p, q in zip(ps, qs)) / max(abs(q.grad) for q in qs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=11)
    parser.add_argument("--quick", action="store_true", help="N = 10^4 instead of 10^5 (a smoke run)")
    args = parser.parse_args(argv)
    big = 10**4 if args.quick else 10**5
    try:
        from threadpoolctl import threadpool_info

        blas = ", ".join(
            f"{i['internal_api']} {i.get('architecture', '')} {i['num_threads']} thread" for i in threadpool_info()
        )
    except ImportError:
        blas = "OPENBLAS_NUM_THREADS=1"
    print(
        f"micrograd's demo step (2-16-16-1 ReLU MLP, hinge + L2, SGD), median of {args.repeats} alternating rounds, "
        f"collector on, numpy {np.__version__} ({blas}), Python {sys.version.split()[0]}"
    )

    xs, ys, x0, x1, y = columns(60)
    base = model()
    floor, small = FloatMLP(base), VmapStep(SameGraphMLP(Value, base))
    t = alternate({"floor": lambda: floor.step(xs, ys), "vmap": lambda: small(x0, x1, y)}, args.repeats)
    print(f"  N = 60:     vmap, scalar ops is {t['floor'] / t['vmap']:6.2f}x faster than the float floor (target >= 3)")

    _, _, b0, b1, by = columns(big)
    bx = np.stack([b0, b1], axis=1)
    hand, scalar, layers = NumpyStep(base), VmapStep(SameGraphMLP(Value, base)), NNVmapStep(model())
    t = alternate(
        {"numpy": lambda: hand(bx, by), "vmap": lambda: scalar(b0, b1, by), "nn": lambda: layers(b0, b1, by)},
        args.repeats,
    )
    print(f"  N = {big:.0e}: vmap, scalar ops takes {t['vmap'] / t['numpy']:5.2f}x hand numpy's time (target <= 1.5)")
    print(f"  N = {big:.0e}: vmap, nn.MLP     takes {t['nn'] / t['numpy']:5.2f}x hand numpy's time (target <= 1.3)")

    try:
        import torch
    except ImportError:
        print("  N = 1000:   PyTorch is not installed: no torch line")
    else:
        torch.set_num_threads(1)
        _, _, m0, m1, my = columns(1000)
        tx, ty = torch.tensor(np.stack([m0, m1], axis=1)), torch.tensor(my)
        batched, mid = TorchStep(base, torch), VmapStep(SameGraphMLP(Value, base))
        outside = EagerL2VmapStep(SameGraphMLP(Value, base))
        t = alternate(
            {
                "torch": lambda: batched(tx, ty),
                "vmap": lambda: mid(m0, m1, my),
                "eager L2": lambda: outside(m0, m1, my),
            },
            args.repeats,
        )
        print(
            f"  N = 1000:   vmap, scalar ops is {t['torch'] / t['vmap']:6.2f}x faster than PyTorch float64 (target > 1)"
        )
        print(
            f"  N = 1000:   (the L2 term outside vmap, eager: {t['torch'] / t['eager L2']:5.2f}x faster than PyTorch)"
        )
    print(f"gradients, vmap against the eager step over 60 points: {agreement():.1e} apart (relative; target 1e-12)")


if __name__ == "__main__":
    main()
