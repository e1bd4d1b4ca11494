"""What every demo does when started on its own (``python -m demos.<name>`` or ``python demos/<name>.py``):
read ``--out DIR`` (default ``out/``) and the demo's own options, make DIR, run the demo's ``main``."""

import argparse
import pathlib
import sys

__all__ = ["run", "add_out_option", "progress"]


def run(main, file, doc, add_options=None, argv=None):
    """Run ``main(out_dir, **options)`` for the demo in ``file``; ``add_options(parser)`` adds its own options.

    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> run(lambda out_dir: print("writing into", out_dir.name), "demos/x.py", "A demo.", argv=["--out", out + "/o"])
    writing into o
    <BLANKLINE>
    files are in ...
    """
    name = pathlib.Path(file).stem
    parser = argparse.ArgumentParser(prog=f"python -m demos.{name}", description=doc.strip().splitlines()[0])
    add_out_option(parser, "the demo writes")
    if add_options is not None:
        add_options(parser)
    options = vars(parser.parse_args(argv))
    out = options.pop("out")
    out.mkdir(parents=True, exist_ok=True)
    import nn

    try:
        main(out, **options)
    except nn.NonFiniteGradientError as e:  # training diverged: say where, not a traceback
        sys.exit(f"python -m demos.{name} stopped: {e}")
    print(f"\nfiles are in {out.resolve()}")


def add_out_option(parser, writer):
    """The option ``--out DIR`` (default ``out/``), for the files that ``writer`` ("the demo writes") writes:
    ``python -m demos`` and each demo on its own take the same one."""
    parser.add_argument(
        "--out",
        type=pathlib.Path,
        default=pathlib.Path("out"),
        metavar="DIR",
        help=f"directory for the files {writer} (default: out/)",
    )


def progress(iterable, **kwargs):
    """A tqdm progress bar on stdout when stdout is a terminal; in a log (a pipe, a file, CI) a silent one,
    so that logs get the demo's own lines and not a bar redrawn many times a second.

    >>> list(progress(range(3), desc="steps"))  # here stdout is not a terminal: no bar
    [0, 1, 2]
    """
    from tqdm import tqdm

    return tqdm(iterable, file=sys.stdout, disable=not sys.stdout.isatty(), **kwargs)
