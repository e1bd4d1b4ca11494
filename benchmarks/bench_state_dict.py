"""State-dict file benchmark: ``Module.load`` of a saved model against a plain ``json.load`` of the same file.

The model is one list of N parameters (default 10**6). ``load`` reads the file, checks the format, every
name and every value, then sets the parameters; the ratio says what all that costs over parsing the JSON
alone. Each line prints the median of a few runs and the ratio.

    python benchmarks/bench_state_dict.py [--n 1000000] [--repeats 3]
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [os.path.dirname(HERE)]

import nn  # noqa: E402


class Wide(nn.Module):
    def __init__(self, n, seed=0):
        rng = random.Random(seed)
        self.w = [nn.Parameter(rng.uniform(-1.0, 1.0)) for _ in range(n)]


def median_time(f, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        f()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10**6, help="number of parameters (default 10**6)")
    parser.add_argument("--repeats", type=int, default=3, help="runs of each, the median is printed (default 3)")
    args = parser.parse_args()
    model = Wide(args.n)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "wide.json")
        save = median_time(lambda: model.save(path), args.repeats)
        size = os.path.getsize(path)

        def plain():
            with open(path, encoding="utf-8") as f:
                json.load(f)

        parse = median_time(plain, args.repeats)
        target = Wide(args.n, seed=1)
        load = median_time(lambda: target.load(path), args.repeats)
        assert target.state_dict() == model.state_dict()
    print(f"{args.n} parameters, {size / 1e6:.1f} MB of JSON")
    print(f"json.load         {parse:7.2f} s")
    print(f"Module.load       {load:7.2f} s   {load / parse:5.2f}x json.load")
    print(f"Module.save       {save:7.2f} s   {save / parse:5.2f}x json.load")


if __name__ == "__main__":
    main()
