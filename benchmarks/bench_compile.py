"""Compiled replay benchmark: the engine benchmark's training step, eager against `autograd.compile`.

The workload is benchmarks/bench_engine.py's: micrograd's demo step (2-16-16-1 ReLU MLP, max-margin
loss averaged over a batch of points, L2 regularisation, one forward + backward + SGD step). The
compiled step traces the per-point loss once and replays it per point, adding ``backward(1/batch)``
into the parameters' grads; the regularisation term is compiled too (after `SOURCE_AFTER` replays of its
tape a program runs generated source: the timed steps do). Runs alternate between the variants in
this one process; each line prints the median time and ratios, with Python's cyclic GC on (its
default) and then off for every variant. Then the training time of the character-RNN demo
(demos/char_rnn.py's train()), eager and compiled.

    python benchmarks/bench_compile.py [--batch 100] [--repeats 15]
"""

import argparse
import gc
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.dirname(HERE)]  # bench_engine, and the demos package of this checkout
from bench_engine import SameGraphMLP, copy_weights, make_points, micrograd_style_step, nn_step  # noqa: E402

import nn  # noqa: E402
from autograd import Value, compile, sum_values  # noqa: E402

ALPHA, LR = 1e-4, 0.01


class CompiledStep:
    """bench_engine's ``nn_step`` (hinge loss averaged over the batch + L2, backward, SGD), with the
    per-point loss and the L2 term compiled. The model's parameters are reached through the closure."""

    def __init__(self, model, opt):
        self.opt = opt
        # y varies between points, so it is an argument: a Python number used inside the function
        # would be a constant frozen at the trace.
        self.loss = compile(lambda x0, x1, y: (1.0 - y * model([x0, x1])[0]).relu())
        self.reg = compile(lambda: ALPHA * sum_values([p * p for p in opt.params]))

    def __call__(self, xs, ys):
        self.opt.zero_grad()
        scale = 1.0 / len(xs)
        data = 0.0
        for (a, b), y in zip(xs, ys):
            r = self.loss(Value(a), Value(b), Value(y))
            data += r.data
            r.backward(scale)
        r = self.reg()
        r.backward()
        self.opt.step()
        return data * scale + r.data


class CompiledWholeStep:
    """The same step with the whole batch's loss (hinge over every point + L2) compiled as one graph: the points
    are constants of the graph, the parameters reached through the closure."""

    def __init__(self, model, opt, xs, ys):
        self.opt = opt
        params = opt.params
        self.loss = compile(
            lambda: nn.hinge_loss([model(x)[0] for x in xs], ys) + ALPHA * sum_values([p * p for p in params])
        )

    def __call__(self):
        r = self.loss()
        self.opt.zero_grad()
        r.backward()
        self.opt.step()
        return r.data


def make_model():
    return nn.MLP(2, [16, 16, 1], activation="relu", seed=1)


def agreement(xs, ys):
    """Relative difference of the loss, and the largest of the parameters, after one eager and one compiled step."""
    eager, comp = make_model(), make_model()
    opt_e, opt_c = nn.SGD(eager.parameters(), lr=LR), nn.SGD(comp.parameters(), lr=LR)
    loss_e = nn_step(eager, opt_e, xs, ys, alpha=ALPHA).data
    loss_c = CompiledStep(comp, opt_c)(xs, ys)
    worst = max(abs(p.data - q.data) / max(abs(p.data), 1e-300) for p, q in zip(opt_e.params, opt_c.params))
    return abs(loss_e - loss_c) / abs(loss_e), worst


def median_times(runs, repeats):
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            gc.collect()
            t0 = time.perf_counter()
            result = run()
            times[name].append(time.perf_counter() - t0)
            del result  # a graph is freed outside the timing, as in bench_engine.py
    return {name: statistics.median(ts) for name, ts in times.items()}


def mlp_benchmark(batch, repeats):
    from micrograd.engine import Value as MValue
    from micrograd.nn import MLP as MicroMLP

    xs, ys = make_points(batch)
    eager = make_model()
    opt_e = nn.SGD(eager.parameters(), lr=LR)
    micro = MicroMLP(2, [16, 16, 1])
    copy_weights(eager.parameters(), micro.parameters())
    same = SameGraphMLP(Value, eager)
    comp = make_model()
    compiled = CompiledStep(comp, nn.SGD(comp.parameters(), lr=LR))
    t0 = time.perf_counter()
    compiled(xs, ys)  # the first call traces and generates the code
    first = time.perf_counter() - t0
    runs = {
        "micrograd": lambda: micrograd_style_step(micro, xs, ys, MValue),
        "chaingrad eager, same graph": lambda: micrograd_style_step(same, xs, ys, Value),
        "chaingrad eager nn": lambda: nn_step(eager, opt_e, xs, ys, alpha=ALPHA),
        "chaingrad compiled nn": lambda: compiled(xs, ys),
    }
    print(
        f"MLP workload (bench_engine.py's): micrograd's demo step, 2-16-16-1 ReLU MLP, batch {batch}, "
        f"median of {repeats} alternating runs, Python {sys.version.split()[0]}"
    )
    was = gc.isenabled()
    try:
        for gc_on in (True, False):
            gc.enable() if gc_on else gc.disable()
            times = median_times(runs, repeats)
            t_comp = times["chaingrad compiled nn"]
            print(f"cyclic GC {'on (default settings)' if gc_on else 'off for every variant'}:")
            for name, t in times.items():
                print(f"  {name:30s} {t * 1e3:8.2f} ms/step   compiled is {t / t_comp:6.1f}x faster")
    finally:
        gc.enable() if was else gc.disable()
    print(f"first compiled step (trace to a tape): {first * 1e3:.1f} ms")
    rel_loss, rel_param = agreement(xs, ys)
    print(
        f"eager vs compiled after one step: loss differs by {rel_loss:.1e} (relative), parameters by "
        f"at most {rel_param:.1e} (per-point backward adds the gradients in a different order)"
    )


def rnn_benchmark(steps=60):
    """demos/char_rnn.py's training loop, eager against compiled, on the demo's own text and sizes."""
    from demos import char_rnn

    text = char_rnn.load_text()
    _, _, losses_e, eager = char_rnn.train(text, steps=steps, compiled=False)
    _, _, losses_c, compiled = char_rnn.train(text, steps=steps, compiled=True)
    print(f"\nchar-RNN demo training (demos/char_rnn.py train(), {steps} steps, GC on, tracing included):")
    print(f"  eager     {eager:7.2f} s  ({eager / steps * 1e3:6.1f} ms/step)")
    print(
        f"  compiled  {compiled:7.2f} s  ({compiled / steps * 1e3:6.1f} ms/step)  {eager / compiled:.1f}x faster; "
        f"same losses to the last bit: {losses_e == losses_c}"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    mlp_benchmark(args.batch, args.repeats)
    rnn_benchmark()


if __name__ == "__main__":
    main()
