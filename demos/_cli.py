"""What every demo does when started on its own (``python -m demos.<name>`` or ``python demos/<name>.py``):
read ``--out DIR`` (default ``out/``) and the demo's own options, make DIR, run the demo's ``main``."""

import argparse
import pathlib
import sys

__all__ = ["run", "add_out_option", "progress", "make_out", "tidy_out"]


def run(main, file, doc, add_options=None, argv=None):
    """Run ``main(out_dir, **options)`` for the demo in ``file``; ``add_options(parser)`` adds its own options.

    >>> import tempfile
    >>> out = tempfile.mkdtemp()
    >>> def main(out_dir):
    ...     print("writing into", out_dir.name); (out_dir / "a.txt").write_text("a")
    >>> run(main, "demos/x.py", "A demo.", argv=["--out", out + "/o"])
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
    made = make_out(out)
    import nn

    try:
        main(out, **options)
    except nn.NonFiniteGradientError as e:  # training diverged: say where, not a traceback
        tidy_out(out, made)
        sys.exit(f"python -m demos.{name} stopped: {e}")
    if tidy_out(out, made):
        print(f"\nfiles are in {out.resolve()}")


def make_out(out):
    """Make the folder ``out`` (and its missing parents) for demos to write into; returns the folders it made,
    innermost first, for `tidy_out`."""
    made = []
    folder = out
    while not folder.exists():
        made.append(folder)
        folder = folder.parent
    out.mkdir(parents=True, exist_ok=True)
    return made


def tidy_out(out, made):
    """Remove the folders `make_out` made that are still empty (a demo that writes no file leaves no folder);
    True if ``out`` is still there, holding something to show.

    >>> import tempfile
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out" / "sub"
    >>> tidy_out(out, make_out(out)), out.parent.exists()
    (False, False)
    """
    for folder in made:
        if any(folder.iterdir()):
            break
        folder.rmdir()
    return out.is_dir() and any(out.iterdir())


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
