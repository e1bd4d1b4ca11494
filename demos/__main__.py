"""Run every demo: ``python -m demos`` (or ``make demo``). Files go into out/."""
import importlib
import pathlib
import sys
import time

# Each demo module has main(out_dir). Listed explicitly, in the order a reader meets them.
DEMOS = [
    "demos.computation_graph",
    "demos.sigmoid_unit",
    "demos.worked_mlp",
    "demos.xor",
    "demos.moons",
    "demos.hello_rnn",
    "demos.char_rnn",
    "demos.vanishing_gradients",
    "demos.neural_lm",
]


def main(argv=None):
    out = pathlib.Path("out")
    out.mkdir(exist_ok=True)
    names = argv if argv else DEMOS
    for name in names:
        name = name if name.startswith("demos.") else f"demos.{name}"
        print(f"\n=== {name} ===")
        t0 = time.perf_counter()
        importlib.import_module(name).main(out)
        print(f"--- {name} done in {time.perf_counter() - t0:.1f}s")
    print(f"\nAll files are in {out.resolve()}")


if __name__ == "__main__":
    main(sys.argv[1:])
