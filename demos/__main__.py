"""Run every demo: ``python -m demos`` (or ``make demo``), or some: ``python -m demos xor moons``.
Files go into out/, or into ``--out DIR``."""

import argparse
import importlib
import sys
import time

import nn
from demos._cli import add_out_option, make_out, tidy_out

# Each demo module has main(out_dir). Listed explicitly, in the order a reader meets them.
DEMOS = [
    "computation_graph",
    "sigmoid_unit",
    "worked_mlp",
    "xor",
    "moons",
    "hello_rnn",
    "char_rnn",
    "vanishing_gradients",
    "neural_lm",
]


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m demos",
        description="Run chaingrad's demos (all of them by default); files go into out/ or --out DIR.",
        epilog="A demo's own options: python -m demos.<name> --help (e.g. python -m demos.char_rnn --eager).",
    )
    parser.add_argument("names", nargs="*", metavar="name", help=f"demos to run, from: {', '.join(DEMOS)}")
    add_out_option(parser, "the demos write")
    args = parser.parse_args(argv)
    names = [n.removeprefix("demos.") for n in args.names] or DEMOS
    unknown = [n for n in names if n not in DEMOS]
    if unknown:
        parser.error(f"unknown demo {unknown[0]!r}; the demos are: {', '.join(DEMOS)}")
    out = args.out
    made = make_out(out)
    for name in names:
        print(f"\n=== {name} ===")
        t0 = time.perf_counter()
        try:
            importlib.import_module(f"demos.{name}").main(out)
        except nn.NonFiniteGradientError as e:  # training diverged: say where, not a traceback
            print(f"python -m demos: {name} stopped: {e}", file=sys.stderr)
            tidy_out(out, made)
            sys.exit(1)
        print(f"--- {name} done in {time.perf_counter() - t0:.1f}s")
    if tidy_out(out, made):
        print(f"\nAll files are in {out.resolve()}")


if __name__ == "__main__":
    main()
