"""Backward calls per second from 1, 2, 4 and 8 threads sharing one model (nn.MLP(2, [8, 1])), for three ways
of keeping every thread's contribution to the shared .grad:

- one lock per backward call: the engine's (autograd.engine.BACKWARD_LOCK, held while a pass adds into .grad);
- finer: each call sums its gradients privately (autograd.engine.gradients, which touches no .grad) and takes
  the lock only for one short loop that adds them into .grad: the candidate a lock per call was measured
  against (issue 23), not kept;
- no lock: unsafe (threads lose each other's additions), the ceiling any locking scheme could reach.

Each call builds one point's loss and runs backward(); gradients accumulate across calls. Under the GIL the
threads take turns, so the figures to read are the ratios: each scheme against the engine's lock at the same
thread count (alternating runs, in one process), and each thread count against one thread. Rates are per
second of the process's CPU time (time.process_time), so that other programs on the machine do not move
them; the wall-clock rates are printed too. The last lines check that no scheme but the unsafe one loses a
contribution (8 threads, the switch interval shortened so that they interleave as often as they can).

    python benchmarks/bench_threads.py [--calls 2000] [--repeats 7]
"""

import argparse
import contextlib
import gc
import math
import statistics
import sys
import threading
import time

import nn
from autograd import engine

SCHEMES = ("one lock per call", "finer", "no lock (unsafe)")


def finer_backward(root):
    """backward() with the lock held only while the privately summed gradients are added into .grad."""
    grads = engine.gradients(root, 1.0, create_graph=False)
    with engine.BACKWARD_LOCK:
        for v, g in grads.items():
            v.grad += g


@contextlib.contextmanager
def scheme(name):
    """Run the block's backward calls under the scheme `name` (the unsafe one swaps the engine's lock out)."""
    lock = engine.BACKWARD_LOCK
    if name == "no lock (unsafe)":
        engine.BACKWARD_LOCK = contextlib.nullcontext()
    try:
        yield finer_backward if name == "finer" else (lambda loss: loss.backward())
    finally:
        engine.BACKWARD_LOCK = lock


def loss(model, i):
    return (model([math.sin(i), math.cos(i)])[0] - 1.0) ** 2


def run(model, threads, calls, backward):
    """(calls per CPU second, calls per wall-clock second)."""
    per_thread = calls // threads

    def work(k):
        for n in range(per_thread):
            backward(loss(model, k * per_thread + n))

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    gc.collect()
    cpu, wall = time.process_time(), time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    done = per_thread * threads
    return done / (time.process_time() - cpu), done / (time.perf_counter() - wall)


def lost(name, threads=8, calls=2400):
    """The largest relative difference between the gradients from `threads` threads and the serial ones."""
    expected = nn.MLP(2, [8, 1], seed=0)
    for i in range(calls):
        loss(expected, i).backward()
    model = nn.MLP(2, [8, 1], seed=0)
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        with scheme(name) as backward:
            run(model, threads, calls, backward)
    finally:
        sys.setswitchinterval(old)
    return max(abs(p.grad - q.grad) / abs(q.grad) for p, q in zip(model.parameters(), expected.parameters()))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="backward calls per measurement")
    parser.add_argument("--repeats", type=int, default=7, help="alternating rounds; the median is printed")
    args = parser.parse_args(argv)
    model = nn.MLP(2, [8, 1], seed=0)
    counts = (1, 2, 4, 8)
    rates = {(s, n): [] for s in SCHEMES for n in counts}
    for _ in range(args.repeats):
        for n in counts:
            for s in SCHEMES:
                with scheme(s) as backward:
                    rates[s, n].append(run(model, n, args.calls, backward))
    cpu = {k: statistics.median(r[0] for r in v) for k, v in rates.items()}
    wall = {k: statistics.median(r[1] for r in v) for k, v in rates.items()}
    print(
        f"backward calls per CPU second, one shared nn.MLP(2, [8, 1]), Python {sys.version.split()[0]}, "
        f"GIL {'on' if getattr(sys, '_is_gil_enabled', lambda: True)() else 'off'}, median of {args.repeats}"
    )
    base = SCHEMES[0]
    for n in counts:
        cells = [f"{s} {cpu[s, n]:6.0f} ({cpu[s, n] / cpu[base, n]:.2f}x)" for s in SCHEMES]
        print(f"  {n} thread(s): {cpu[base, n] / cpu[base, 1]:.2f}x one thread;  " + ";  ".join(cells))
    print("wall clock (moved by whatever else the machine runs):")
    for n in counts:
        cells = [f"{s} {wall[s, n]:6.0f} ({wall[s, n] / wall[base, n]:.2f}x)" for s in SCHEMES]
        print(f"  {n} thread(s): " + ";  ".join(cells))
    print("contributions kept, 8 threads (largest relative difference from the serial gradients):")
    for s in SCHEMES:
        print(f"  {s}: {lost(s):.1e}")


if __name__ == "__main__":
    main()
