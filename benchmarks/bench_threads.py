"""Backward calls per second from 1, 2, 4 and 8 threads sharing one model (nn.MLP(2, [8, 1])).

Each call builds one point's loss and runs backward(); every thread adds into the same parameters'
.grad (one lock per backward call keeps every contribution). Under the GIL the threads take turns,
so the figure to read is the ratio to one thread: how much the lock and the switching cost.

    python benchmarks/bench_threads.py [--calls 2000]
"""

import argparse
import math
import sys
import threading
import time

import nn


def run(model, threads, calls):
    per_thread = calls // threads

    def work(k):
        for n in range(per_thread):
            i = k * per_thread + n
            ((model([math.sin(i), math.cos(i)])[0] - 1.0) ** 2).backward()

    workers = [threading.Thread(target=work, args=(k,)) for k in range(threads)]
    start = time.perf_counter()
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    return per_thread * threads / (time.perf_counter() - start)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=2000, help="backward calls per measurement")
    parser.add_argument("--repeats", type=int, default=5, help="alternating rounds; the median is printed")
    args = parser.parse_args(argv)
    model = nn.MLP(2, [8, 1], seed=0)
    counts = (1, 2, 4, 8)
    rates = {n: [] for n in counts}
    for _ in range(args.repeats):
        for n in counts:
            rates[n].append(run(model, n, args.calls))
    median = {n: sorted(r)[len(r) // 2] for n, r in rates.items()}
    print(
        f"backward calls per second, one shared nn.MLP(2, [8, 1]), Python {sys.version.split()[0]}, "
        f"GIL {'on' if getattr(sys, '_is_gil_enabled', lambda: True)() else 'off'}"
    )
    for n in counts:
        print(f"  {n} thread(s): {median[n]:8.0f} calls/s   {median[n] / median[1]:.2f}x one thread")


if __name__ == "__main__":
    main()
