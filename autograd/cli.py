"""The command line: evaluate an expression, run backward, print every input's gradient, draw the graph.

    python -m autograd "c*(a+2*b)" a=3 b=1 c=-2 -o L.svg --view backward
    python -m autograd "c*(a+2*b)" a=3 b=1 c=-2 --explain b

The expression is parsed with Python's `ast` and checked against a whitelist (numbers, names,
+ - * / % **, unary minus, parentheses, calls of the op table's functions: sin, exp, relu, atan2, ...);
it is never eval'ed.
Bad input exits with status 2 and one line on stderr. An expression longer than `MAX_LENGTH` characters
(100,000: a few seconds of work) is refused before it is parsed, unless ``--max-length`` raises the limit.
"""

import argparse
import ast
import io
import keyword
import math
import os
import pathlib
import shutil
import sys
import tokenize
import unicodedata
from collections.abc import Callable, Sequence
from typing import Any, NoReturn, TextIO, cast

from . import ops
from .draw import BackwardNotRunError, DotNotFoundError, GraphTooLargeError, draw, draw_steps, nodes_between
from .draw.steps import check_out_dir
from .engine import Constant, Value, apply, no_grad
from .explain import explain
from .files import check_target, write_atomic
from .names import naming

__all__ = ["main", "parse", "evaluate", "ExpressionError", "FUNCTIONS", "MAX_LENGTH"]

# The longest expression accepted by default, in characters: parsing, evaluating and differentiating take
# a few seconds and about 100 MB at this size (time and memory grow linearly: a 10 MB expression took 75 s
# and 3.7 GB). --max-length raises it.
MAX_LENGTH = 100_000

# The internal API, for the other front end (the playground, `autograd.serve`), so that it reads expressions
# and reports errors exactly as this command line does: ``input_names(tree)``, ``assignment(text)``,
# ``output(tree, values)`` and ``error_line(e)``.

# Every op of the table that has a name to call: f(x), f(x, y) for a binary op, f(x1, ..., xn) for an
# n-ary one; an op's number parameters follow its operands as constants: leaky_relu(x, 0.1), clamp(x, 0, 1).
FUNCTIONS = {op.name: op for op in ops.OPS if op.name.isidentifier()}
_ALLOWED = "numbers, names, + - * / % **, unary minus, parentheses and calls of the op table's functions (see --help)"
_FUNCTION_LIST = " ".join(FUNCTIONS)
_BINOPS = {ast.Add: ops.ADD, ast.Sub: ops.SUB, ast.Mult: ops.MUL, ast.Div: ops.DIV, ast.Mod: ops.MOD, ast.Pow: ops.POW}
_FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}


class ExpressionError(ValueError):
    """An expression or an assignment the command line does not accept."""


def parse(text: str) -> ast.expr:
    """The expression `text` as a checked ``ast`` tree (only whitelisted nodes); never evaluated by Python.

    Sums and products of any length work: when Python's parser gives up on a long chain
    (about 3,000 terms or more), the chain is split at its top-level + - and * / % and each part parsed alone.

    >>> type(parse("c*(a+2*b)")).__name__
    'BinOp'
    """
    if not isinstance(text, str):
        raise TypeError(f"parse: the expression must be a str, got {text!r}")
    if not text.strip():
        raise ExpressionError("the expression is empty")
    try:
        tree = _parse_one(text.strip())
    except _TooDeep:
        tree = _parse_long(text.strip())
    _check(tree)
    return tree


class _TooDeep(Exception):
    pass


def _parse_one(text: str, offset: int = 0) -> ast.expr:
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError as e:
        if "too many nested parentheses" in str(e.msg):
            raise ExpressionError(
                "the expression nests parentheses too deeply for Python's parser (at most 200 levels)"
            ) from None
        where = f" at column {e.offset + offset}" if e.offset else ""
        raise ExpressionError(f"syntax error in the expression{where}: {e.msg}") from None
    except ValueError as e:  # e.g. a NUL character
        raise ExpressionError(f"the expression cannot be parsed: {e}") from None
    except (RecursionError, MemoryError):
        raise _TooDeep() from None


def _parse_long(text: str) -> ast.expr:
    """A left-to-right chain a + b - c ... (each term a chain of * / %) too long for ast.parse in one go: split at
    the top-level operators of the two lowest levels of Python's precedence, the same tree ast.parse builds."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
    except (tokenize.TokenError, SyntaxError) as e:
        raise ExpressionError(f"the expression cannot be parsed: {e.args[0]}") from None
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))

    def pos(tok: tokenize.TokenInfo) -> int:
        return starts[tok.start[0] - 1] + tok.start[1]

    terms, current = [], []  # terms: list of (sign, [(op, start, end) factors]) as text spans
    depth, prev, start, op, term_op = 0, None, 0, "*", "+"
    for tok in tokens:
        if tok.type == tokenize.OP and tok.string in "([{":
            depth += 1
        elif tok.type == tokenize.OP and tok.string in ")]}":
            depth -= 1
        elif (
            depth == 0
            and tok.type == tokenize.OP
            and tok.string in ("+", "-", "*", "/", "%")
            and prev is not None
            and (prev.type in (tokenize.NAME, tokenize.NUMBER) or prev.string == ")")
        ):
            current.append((op, start, pos(tok)))
            start, op = pos(tok) + 1, tok.string
            if tok.string in "+-":
                terms.append((term_op, current))
                current, op, term_op = [], "*", tok.string
        if tok.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER, tokenize.COMMENT):
            prev = tok
    current.append((op, start, len(text)))
    terms.append((term_op, current))

    ops = {"+": ast.Add, "-": ast.Sub, "*": ast.Mult, "/": ast.Div, "%": ast.Mod}
    result = None
    for term_op, factors in terms:
        term = None
        for op, a, b in factors:
            chunk = text[a:b].lstrip()
            lead, chunk = b - a - len(chunk), chunk.rstrip()
            try:  # a bare name, the common case, needs no parser
                part = (
                    ast.Name(chunk, ast.Load())
                    if chunk.isascii() and chunk.isidentifier() and not keyword.iskeyword(chunk)
                    else _parse_one(chunk, offset=a + lead)
                )
            except _TooDeep:
                raise ExpressionError(
                    "the expression is nested too deeply for Python's parser "
                    "(long chains of + - * / work outside parentheses only)"
                ) from None
            term = part if term is None else ast.BinOp(term, ops[op](), part)
        assert term is not None  # every term has at least one factor
        result = term if result is None else ast.BinOp(result, ops[term_op](), term)
    assert result is not None  # the text is not empty: parse() refused that
    return result


def _check(tree: ast.AST) -> set[str]:
    """The names the tree uses; ExpressionError at the first node outside the whitelist. Iterative."""
    names: set[str] = set()
    stack: list[Any] = [tree]  # nodes of any kind: each is checked by its type below
    while stack:
        node = stack.pop()
        kind = type(node)
        if kind is ast.BinOp:
            if type(node.op) not in _BINOPS:
                raise ExpressionError(f"operator {_show(node.op)!r} is not allowed; allowed are {_ALLOWED}")
            stack += (node.left, node.right)
        elif kind is ast.UnaryOp:
            if type(node.op) is not ast.USub:
                raise ExpressionError(f"unary {_show(node.op)!r} is not allowed; allowed are {_ALLOWED}")
            stack.append(node.operand)
        elif kind is ast.Name:
            names.add(node.id)
        elif kind is ast.Constant:
            if type(node.value) not in (int, float):
                raise ExpressionError(f"{node.value!r} is not a number; allowed are {_ALLOWED}")
            try:
                x = float(node.value)
            except OverflowError:
                x = math.inf
            if not math.isfinite(x):
                raise ExpressionError(f"the number {_show(node)} is out of float range")
        elif kind is ast.Call:
            f = node.func
            if type(f) is not ast.Name or f.id not in FUNCTIONS:
                raise ExpressionError(f"calling {_show(f)!r} is not allowed; the functions are {', '.join(FUNCTIONS)}")
            op = FUNCTIONS[f.id]
            low = 1 if op.arity < 0 else op.arity
            high = len(node.args) if op.arity < 0 else op.arity + len(op.params)
            if not low <= len(node.args) <= high or node.keywords or any(type(a) is ast.Starred for a in node.args):
                takes = (
                    "one or more arguments"
                    if op.arity < 0
                    else f"{op.arity} argument(s)"
                    + (f" and up to {len(op.params)} constant(s) {', '.join(op.param_names)}" if op.params else "")
                )
                raise ExpressionError(f"{f.id}() takes {takes}, got {_show(node)!r}")
            params = node.args[len(node.args) if op.arity < 0 else op.arity :]
            if not all(_is_constant(a) for a in params):
                raise ExpressionError(
                    f"the parameters {', '.join(op.param_names)} of {f.id}() must be constants, got {_show(node)!r}"
                )
            stack.extend(node.args)
        else:
            raise ExpressionError(f"{_show(node)!r} is not allowed in an expression; allowed are {_ALLOWED}")
    return names


_SYMBOLS = {
    ast.MatMult: "@",
    ast.FloorDiv: "//",
    ast.LShift: "<<",
    ast.RShift: ">>",
    ast.BitOr: "|",
    ast.BitXor: "^",
    ast.BitAnd: "&",
    ast.UAdd: "+",
    ast.Not: "not",
    ast.Invert: "~",
}


def _show(node: ast.AST) -> str:
    """A node as short source text for a message. A deep tree is not unparsed: ast.unparse recurses."""
    if type(node) in _SYMBOLS:
        return _SYMBOLS[type(node)]
    if _deeper_than(node, 50):
        return f"<a {type(node).__name__} expression nested too deeply to show>"
    try:
        return _short(" ".join(ast.unparse(node).split()))
    except ValueError:  # e.g. an integer with more digits than str() allows
        return f"<a {type(node).__name__} expression too large to show>"


def _deeper_than(tree: ast.AST, limit: int) -> bool:
    """True if the tree has more than `limit` levels. Iterative."""
    stack = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))
    return False


def _operands(node: ast.AST) -> list[ast.expr]:
    """The sub-trees evaluated before `node` (a constant exponent is folded into the op instead)."""
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow) and _is_constant(node.right):
            return [node.left]
        return [node.left, node.right]
    if isinstance(node, ast.UnaryOp):
        return [node.operand]
    if isinstance(node, ast.Call):
        op = FUNCTIONS[cast(ast.Name, node.func).id]
        return node.args if op.arity < 0 else node.args[: op.arity]  # the parameters are folded into the op
    return []


def input_names(tree: ast.AST) -> list[str]:
    """The names a tree from `parse` uses, in the order they are first written. Iterative.

    >>> input_names(parse("c*(a+2*b) + a"))
    ['c', 'a', 'b']
    """
    seen: dict[str, None] = {}
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Name):
            seen.setdefault(node.id)
        elif isinstance(node, ast.Call):  # the function's name is not an input
            stack.extend(reversed(node.args))
        else:
            stack.extend(reversed(list(ast.iter_child_nodes(node))))
    return list(seen)


def _is_constant(tree: ast.AST) -> bool:
    return not any(isinstance(n, ast.Name) for n in ast.walk(tree))


def evaluate(tree: ast.AST, values: dict[str, Value]) -> Value:
    """Evaluate a tree from `parse` with `values` {name: Value}: the graph's root, built with the engine.

    Iterative, so any depth works. ``x ** <constant expression>`` uses a number exponent (op '**2').

    >>> a = Value(3.0, label="a")
    >>> evaluate(parse("2*a**2"), {"a": a}).data
    18.0
    """
    done: dict[int, Value] = {}
    stack = [(tree, False)]
    while stack:
        node, ready = stack.pop()
        if not ready:
            stack.append((node, True))
            stack.extend((c, False) for c in reversed(_operands(node)))
            continue
        args = [done.pop(id(c)) for c in _operands(node)]
        done[id(node)] = _apply(node, args, values)
    return done[id(tree)]


def _apply(node: ast.AST, args: list[Value], values: dict[str, Value]) -> Value:
    if isinstance(node, ast.Constant):
        return Constant(cast(float, node.value))  # a number: _check allows no other constant
    if isinstance(node, ast.Name):
        if node.id not in values:
            if node.id in FUNCTIONS:
                raise ExpressionError(f"{node.id!r} is a function: call it, e.g. {node.id}(x)")
            raise ExpressionError(f"name {node.id!r} has no value; give it one on the command line as {node.id}=NUMBER")
        return values[node.id]
    if isinstance(node, ast.UnaryOp):
        if isinstance(node.operand, ast.Constant):  # a negative number is a constant, as written
            return Constant(-float(cast(float, node.operand.value)))
        return apply(ops.NEG, args[0])
    if isinstance(node, ast.Call):
        op = FUNCTIONS[cast(ast.Name, node.func).id]
        params = node.args[len(args) :]
        if params:  # the op's number parameters: constant expressions, evaluated without a graph
            op = op.bind(*[_constant(p) for p in params], *op.params[len(params) :])
        return apply(op, *args)
    node = cast(ast.BinOp, node)  # the one kind left: _check lets no other node through
    if isinstance(node.op, ast.Pow) and len(args) == 1:  # constant exponent: the op '**n', n a parameter
        return apply(ops.POW_N.bind(_constant(node.right)), args[0])
    return apply(_BINOPS[type(node.op)], *args)


def _constant(tree: ast.AST) -> float:
    with no_grad():
        return evaluate(tree, {}).data


def assignment(text: str) -> tuple[str, float]:
    """(name, number) from 'NAME=NUMBER', checked as the command line checks it.

    >>> assignment(" b = -2.5")
    ('b', -2.5)
    """
    name, eq, number = text.partition("=")
    # NFKC, as Python's parser does with the names in the expression
    name, number = unicodedata.normalize("NFKC", name.strip()), number.strip()
    if not eq or not name:
        raise ExpressionError(f"expected NAME=NUMBER after the expression, got {text!r}")
    if not name.isidentifier() or keyword.iskeyword(name):
        raise ExpressionError(f"{name!r} is not a valid name (in {text!r})")
    if name in FUNCTIONS:
        raise ExpressionError(f"{name!r} is a function name and cannot be assigned (in {text!r})")
    try:
        x = float(number)
    except ValueError:
        raise ExpressionError(f"bad number {number!r} for {name} (in {text!r}); write e.g. {name}=-2.5") from None
    if not math.isfinite(x):
        raise ExpressionError(f"the number for {name} must be finite, got {number!r}")
    return name, x


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        if "unrecognized arguments: -" in message:
            message += " (an expression that starts with '-' goes after '--': python -m autograd -- '-a*b' a=1 b=2)"
        raise ExpressionError(f"{message} (see --help)")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="python -m autograd",
        description="Evaluate an expression, run backward, print each input's value and gradient, "
        "and optionally draw the graph. Allowed in the expression: numbers, names, + - * / % **, unary minus, "
        "parentheses and calls of " + _FUNCTION_LIST + ".",
        epilog='example: python -m autograd "c*(a+2*b)" a=3 b=1 c=-2 -o L.svg --view backward; '
        "python -m autograd serve [EXPRESSION NAME=NUMBER ...] starts the playground in a browser "
        "(see python -m autograd serve --help)",
    )
    p.add_argument(
        "expression",
        help='e.g. "c*(a+2*b)" (quote it for the shell); - reads it from stdin '
        "(for expressions longer than the shell allows)",
    )
    p.add_argument("assignments", nargs="*", metavar="NAME=NUMBER", help="a value for every name, e.g. a=3")
    p.add_argument(
        "-o", "--output", metavar="FILE", help="write the graph; format from the suffix: .svg .png .pdf .dot"
    )
    p.add_argument(
        "--view",
        choices=("forward", "backward"),
        default="forward",
        help="forward: values; backward: gradients and local derivatives (default: forward)",
    )
    p.add_argument("--steps", metavar="DIR", help="write the backward pass step by step: frames and steps.html")
    p.add_argument(
        "--steps-format", choices=("png", "svg"), default="svg", help="format of the step frames (default: svg)"
    )
    p.add_argument(
        "--explain",
        metavar="NAME",
        help="print the derivation of the output's gradient with respect "
        "to the input NAME, as the lecture notes write it",
    )
    p.add_argument(
        "--max-nodes",
        type=int,
        metavar="N",
        help="largest graph to draw (default 250, and 100 for --steps; 0 = no limit)",
    )
    p.add_argument(
        "--max-length",
        type=int,
        metavar="N",
        help=f"longest expression accepted, in characters (default {MAX_LENGTH:,}; 0 = no limit)",
    )
    return p


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def run(argv: Sequence[str], out: TextIO | None = None) -> int:
    """Do the work of `main`; raise ExpressionError (or an engine/render error) on bad input."""
    out = sys.stdout if out is None else out
    args = _parser().parse_args(argv)
    values = {}
    for item in args.assignments:
        name, x = assignment(item)
        if name in values:
            raise ExpressionError(f"{name} is given twice")
        values[name] = Value(x, label=name)
    for option, value in (("-o/--output", args.output), ("--steps", args.steps)):
        if value is not None and not value.strip():
            raise ExpressionError(f"{option} needs a name, got {value!r}")
    suffix = fmt = None
    if args.output is not None:
        suffix = pathlib.Path(args.output).suffix.lower()
        if suffix not in _FORMATS:
            raise ExpressionError(
                f"cannot tell the output format from {args.output!r}: the file name must end "
                f"in .svg, .png, .pdf or .dot"
            )
        fmt = _FORMATS[suffix]
    if args.max_nodes is not None and args.max_nodes < 0:
        raise ExpressionError(f"--max-nodes must be 0 (no limit) or positive, got {args.max_nodes}")
    _check_paths(args)
    args.expression = _expression(args)
    tree = parse(args.expression)
    used = _check(tree)
    for name in values:
        if name not in used:
            raise ExpressionError(f"{name} is given a value but the expression does not use it")
    if args.explain is not None and args.explain not in values:
        raise ExpressionError(
            f"--explain: {args.explain!r} is not an input; the inputs are {', '.join(values) or '(none)'}"
        )
    root = output(tree, values)

    expression = _short(" ".join(args.expression.split()))
    head = expression if expression == root.label else f"{root.label} = {expression}"
    print(f"{head} = {root.data:.10g}", file=out)
    _print_nodes(root, list(values.values()), out)

    if args.explain is not None:
        print(f"\n{explain(root, values[args.explain])}", file=out)

    def limit(default: int | None) -> int | None:
        return default if args.max_nodes is None else (args.max_nodes or None)

    _check_outputs(args, fmt, root, limit)
    _write(args, fmt, root, limit, out)
    return 0


def _expression(args: argparse.Namespace) -> str:
    """The expression (read from stdin for '-'), or ExpressionError if it is longer than the limit: read no
    further than the limit, so that a huge input is refused at once."""
    most = MAX_LENGTH if args.max_length is None else args.max_length
    if most < 0:
        raise ExpressionError(f"--max-length must be 0 (no limit) or positive, got {most}")
    if args.expression != "-":
        if most and len(args.expression) > most:
            raise ExpressionError(
                f"the expression has {len(args.expression):,} characters, more than the limit of {most:,}; "
                f"pass --max-length {len(args.expression)} (or 0 for no limit) to accept it"
            )
        return str(args.expression)
    text = sys.stdin.read() if most == 0 else sys.stdin.read(most + 1)
    if most and len(text) > most:
        raise ExpressionError(
            f"the expression on stdin is longer than the limit of {most:,} characters; pass --max-length N "
            f"with a larger N (or 0 for no limit) to accept it"
        )
    return text


def _check_paths(args: argparse.Namespace) -> None:
    """Every output path usable (the file -o names, the folder --steps names), checked before any work."""
    target = check_target(args.output, "-o") if args.output is not None else None
    if args.steps is not None:
        folder = check_out_dir(args.steps, "--steps")
        if target is not None and (
            target == folder or (os.path.dirname(target) == folder and _is_step_file(os.path.basename(target)))
        ):
            raise ExpressionError(
                f"-o {args.output!r} would be overwritten by the files of --steps {args.steps!r}; give -o another name"
            )


def _is_step_file(name: str) -> bool:
    return name == "steps.html" or (name.startswith("step_") and name.rpartition(".")[0][5:].isdigit())


def output(tree: ast.AST, values: dict[str, Value]) -> Value:
    """The output of a tree from `parse`, evaluated with `values` (see `evaluate`), after ``backward()``:
    labelled 'f' unless it is an input, a node of its own for a constant expression.

    >>> a = Value(3.0, label="a"); f = output(parse("2*a"), {"a": a})
    >>> f.label, f.data, a.grad
    ('f', 6.0, 2.0)
    """
    root = evaluate(tree, values)
    if root.is_leaf and not root.label:
        root = root * 1.0  # a constant expression: give the output a node of its own
    if not root.label:
        root.label = "f"
    root.backward()
    return root


_MAX_ROWS = 20  # inner nodes listed under the inputs; a larger graph lists its inputs only


def _print_nodes(root: Value, inputs: list[Value], out: TextIO) -> None:
    """The table of every input, then (for a graph of at most _MAX_ROWS inner nodes) every inner node as
    the pictures and `explain` name it ('d = 2b'): its value and the gradient backward() gave it."""
    names = naming(root)
    inner = [v for v in names if not v.is_leaf]
    rows = [(names[v], v) for v in inputs if v in names]
    if len(inner) <= _MAX_ROWS:
        rows += [(_short(f"{names[v]} = {names.formula(v)}", 40), v) for v in inner]
    width = max(4, *(len(n) for n, _ in rows))
    print(f"{'name':<{width}}  {'value':>14}  {'gradient':>18}", file=out)
    for name, v in rows:
        print(f"{name:<{width}}  {v.data:>14.10g}  {v.grad:>18.10g}", file=out)
    if len(inner) > _MAX_ROWS:
        print(f"({len(inner)} inner nodes: --explain NAME or -o FILE shows them)", file=out)


def _check_outputs(
    args: argparse.Namespace, fmt: str | None, root: Value, limit: Callable[[int | None], int | None]
) -> None:
    """Everything that would stop a file from being written, checked before any file is written."""
    if args.output is None and args.steps is None:
        return
    nodes = len(nodes_between(root))
    for wanted, most, option in ((args.output, limit(250), "-o"), (args.steps, limit(100), "--steps")):
        if wanted is not None and most is not None and nodes > most:
            raise ExpressionError(
                f"the graph has {nodes} nodes, more than the limit of {most} for drawing "
                f"({option}); pass --max-nodes {nodes} (or 0 for no limit) to draw it anyway"
            )
    if (args.steps is not None or fmt != "dot") and shutil.which("dot") is None:
        raise DotNotFoundError()


def _write(
    args: argparse.Namespace, fmt: str | None, root: Value, limit: Callable[[int | None], int | None], out: TextIO
) -> None:
    said = []
    if args.steps is not None:  # first: draw_steps refuses frames past its budget before writing anything
        files = draw_steps(root, args.steps, format=args.steps_format, max_nodes=limit(100))
        said.append(f"wrote {len(files.frames)} frames and {files.html}")
    if args.output is not None:
        g = draw(root, view=args.view, max_nodes=limit(250))
        path = pathlib.Path(args.output)
        write_atomic(path, g.source.encode("utf-8") if fmt == "dot" else g.pipe(format=fmt), "-o")
        said.insert(0, f"wrote {path} ({args.view} view)")
    for line in said:
        print(line, file=out)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m autograd``; returns the exit status (0, or 2 on bad input)."""
    argv = sys.argv[1:] if argv is None else argv
    try:
        return run(argv)
    except SystemExit as e:  # --help
        code = e.code or 0
        return code if isinstance(code, int) else 1  # exit(message) exits with 1, as Python does
    except Exception as e:  # never a traceback on the command line
        print(f"python -m autograd: error: {error_line(e)}", file=sys.stderr)
        return 2


def error_line(e: Exception) -> str:
    """The one line the command line prints for the error `e` (after 'python -m autograd: error: ').

    >>> error_line(ExpressionError("the expression is empty"))
    'the expression is empty'
    """
    if isinstance(
        e,
        (
            ExpressionError,
            ValueError,
            OverflowError,
            TypeError,
            GraphTooLargeError,
            BackwardNotRunError,
            DotNotFoundError,
        ),
    ):
        return _one_line(e)
    if isinstance(e, OSError):
        message = _one_line(e.strerror or e)
        if e.filename and str(e.filename) not in message:  # chaingrad's own file errors name the path already
            message = f"cannot write {e.filename!r}: {message}"
        return message
    if isinstance(e, RecursionError):  # a safety net: the parser and checks are iterative or guarded
        return "the expression is nested too deeply"
    if isinstance(e, MemoryError):
        return "the expression is too large for the memory available"
    # this is a bug to report
    return f"internal error ({type(e).__name__}: {_short(_one_line(e), 200)}); please report it with the command line"


def _one_line(e: object) -> str:
    return " ".join(str(e).split())
