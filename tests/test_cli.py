"""python -m autograd: the whitelist parser, the printed gradients, the files, and clean failures (status 2)."""

import ast
import io
import os
import re
import shutil
import subprocess
import sys
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograd import Value
from autograd.cli import FUNCTIONS, MAX_LENGTH, ExpressionError, _parse_long, evaluate, main, parse

needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def rows(out):
    """{name: (value, gradient)} from the printed table."""
    table = {}
    for line in out.splitlines()[2:]:
        parts = line.split()
        if len(parts) == 3:
            table[parts[0]] = (float(parts[1]), float(parts[2]))
    return table


def test_textbook_example_prints_values_and_gradients(capsys):
    code, out, err = run(capsys, "c*(a+2*b)", "a=3", "b=1", "c=-2")
    assert code == 0 and err == ""
    assert out.splitlines()[0] == "f = c*(a+2*b) = -10"
    # reference-values.md section 1
    assert rows(out) == {"a": (3.0, -2.0), "b": (1.0, -4.0), "c": (-2.0, 5.0)}


@needs_dot
@pytest.mark.parametrize(
    "suffix, magic", [(".svg", b"<?xml"), (".png", b"\x89PNG"), (".pdf", b"%PDF"), (".dot", b"digraph")]
)
def test_writes_the_format_its_suffix_names(capsys, tmp_path, suffix, magic):
    path = tmp_path / f"L{suffix}"
    code, out, err = run(capsys, "c*(a+2*b)", "a=3", "b=1", "c=-2", "-o", str(path), "--view", "backward")
    assert code == 0, err
    assert path.read_bytes().startswith(magic)
    assert f"wrote {path} (backward view)" in out


def test_dot_output_has_the_backward_numbers(capsys, tmp_path):
    path = tmp_path / "L.dot"
    assert run(capsys, "c*(a+2*b)", "a=3", "b=1", "c=-2", "-o", str(path), "--view", "backward")[0] == 0
    source = path.read_text(encoding="utf-8")
    for text in ("∂f/∂a = -2", "∂f/∂b = -4", "∂f/∂c = 5", "1 × 5 = 5"):
        assert text in source


@needs_dot
def test_steps_writes_frames_and_page(capsys, tmp_path):
    code, _out, err = run(capsys, "a*b", "a=2", "b=5", "--steps", str(tmp_path / "s"), "--steps-format", "svg")
    assert code == 0, err
    assert sorted(p.name for p in (tmp_path / "s").iterdir()) == [
        "step_00.svg",
        "step_01.svg",
        "step_02.svg",
        "steps.html",
    ]


@pytest.mark.parametrize(
    "argv, fragment",
    [
        (["c*(a+2*b)", "a=3", "b=1"], "name 'c' has no value; give it one on the command line as c=NUMBER"),
        (["a*2", "a=abc"], "bad number 'abc' for a"),
        (["a*2", "a=1e999"], "must be finite"),
        (["a*2", "a=nan"], "must be finite"),
        (["a*2", "a"], "expected NAME=NUMBER after the expression, got 'a'"),
        (["a*2", "3x=1"], "'3x' is not a valid name"),
        (["a*2", "a=1", "a=2"], "a is given twice"),
        (["a*2", "a=1", "b=2"], "b is given a value but the expression does not use it"),
        (["exp", "exp=1"], "'exp' is a function name"),
        (["__import__('os').system('true')"], "not allowed"),
        (["a.real", "a=1"], "'a.real' is not allowed"),
        (["sine(a)", "a=1"], "calling 'sine' is not allowed; the functions are neg, sin, cos"),
        (["exp(a, a)", "a=1"], "exp() takes 1 argument(s), got 'exp(a, a)'"),
        (["exp(x=a)", "a=1"], "exp() takes 1 argument(s)"),
        (["atan2(a)", "a=1"], "atan2() takes 2 argument(s)"),
        (["leaky_relu(a, a)", "a=1"], "the parameters slope of leaky_relu() must be constants"),
        (["clamp(a, 0, 1, 2)", "a=1"], "clamp() takes 1 argument(s) and up to 2 constant(s) lo, hi"),
        (["a @ a", "a=1"], "operator '@' is not allowed"),
        (["a // 2", "a=1"], "operator '//' is not allowed"),
        (["+a", "a=1"], "unary '+' is not allowed"),
        (["'text'"], "'text' is not a number"),
        (["True"], "True is not a number"),
        (["1j"], "1j is not a number"),
        (["[a]", "a=1"], "is not allowed"),
        (["lambda: 1"], "is not allowed"),
        (["a if a else a", "a=1"], "is not allowed"),
        (["a +", "a=1"], "syntax error in the expression"),
        (["(a", "a=1"], "syntax error in the expression at column 1"),
        (["   "], "the expression is empty"),
        (["1e999"], "out of float range"),
        (["exp"], "'exp' is a function: call it, e.g. exp(x)"),
        (["log(a)", "a=-1"], "log: input must be positive, got -1.0 (label 'a')"),
        (["a/b", "a=1", "b=0"], "division by zero"),
        (["a**b", "a=-1", "b=0.5"], "the base must be positive"),
        (["clamp(a, 1, 0)", "a=5"], "clamp(lo=1, hi=0): lo must be <= hi, got 5.0 (label 'a')"),
        (["a", "a=1", "-o", "x.jpg"], "the file name must end in .svg, .png, .pdf or .dot"),
        (["a", "a=1", "--view", "up"], "invalid choice: 'up'"),
        (["a", "a=1", "--max-nodes", "-1"], "--max-nodes must be 0 (no limit) or positive, got -1"),
        (["a", "a=1", "--bogus"], "unrecognized arguments: --bogus"),
        (["-a*b", "a=1", "b=2"], "goes after '--'"),
        ([], "the following arguments are required: expression"),
        (["(" * 300 + "a" + ")" * 300, "a=1"], "nests parentheses too deeply"),
        (["--", "-" * 20000 + "a", "a=1"], "nested too deeply"),
    ],
)
def test_bad_input_exits_2_with_one_clear_line(capsys, argv, fragment):
    code, _out, err = run(capsys, *argv)
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("python -m autograd: error: ")
    assert fragment in err
    assert "Traceback" not in err


def test_unwritable_output_fails_cleanly(capsys, tmp_path):
    code, _out, err = run(capsys, "a", "a=1", "-o", str(tmp_path / "missing" / "x.dot"))
    assert code == 2 and err.count("\n") == 1 and "cannot write" in err and "No such file" in err


def test_too_large_graph_says_how_to_draw_it(capsys, tmp_path):
    code, out, err = run(capsys, "+".join(["a"] * 300), "a=1", "-o", str(tmp_path / "x.dot"))
    assert code == 2 and "pass --max-nodes 300 (or 0 for no limit)" in err  # a and 299 '+' nodes
    assert rows(out) == {"a": (1.0, 300.0)}  # the numbers are printed before drawing fails
    code, _, err = run(capsys, "+".join(["a"] * 300), "a=1", "-o", str(tmp_path / "x.dot"), "--max-nodes", "0")
    assert code == 0, err


def test_missing_dot_is_one_line_with_install_hints(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    code, _out, err = run(capsys, "a*2", "a=1", "-o", str(tmp_path / "x.svg"))
    assert code == 2 and err.count("\n") == 1 and "sudo apt-get install graphviz" in err and "brew" in err
    assert run(capsys, "a*2", "a=1", "-o", str(tmp_path / "x.dot"))[0] == 0  # .dot needs no dot


def test_help_exits_0_and_lists_every_function(capsys):
    code, out, _err = run(capsys, "--help")
    assert code == 0
    listed = {word.strip(".,") for word in out.split()}  # argparse wraps the list
    assert set(FUNCTIONS) <= listed, sorted(set(FUNCTIONS) - listed)


def test_real_process_exit_status_and_no_traceback(tmp_path):
    ok = subprocess.run(
        [sys.executable, "-m", "autograd", "c*(a+2*b)", "a=3", "b=1", "c=-2"], capture_output=True, text=True
    )
    assert ok.returncode == 0 and "f = c*(a+2*b) = -10" in ok.stdout
    bad = subprocess.run([sys.executable, "-m", "autograd", "open('x')"], capture_output=True, text=True)
    assert bad.returncode == 2 and bad.stdout == "" and bad.stderr.count("\n") == 1
    assert "Traceback" not in bad.stderr


def test_a_100000_term_expression_works_from_stdin(capsys, monkeypatch):
    # 100,000 terms is more than one argument may hold on Linux (128 KiB), so '-' reads stdin; 400,000
    # characters is past the default limit, so --max-length raises it
    terms = 100_000
    monkeypatch.setattr(sys, "stdin", io.StringIO("-".join(["x*y"] * terms)))
    code, out, err = run(capsys, "-", "x=3", "y=2", "--max-length", "400000")
    assert code == 0, err
    # f = xy - xy - ... = (2 - terms) x y: df/dx = (2 - terms) y, df/dy = (2 - terms) x
    assert rows(out) == {"x": (3.0, (2 - terms) * 2), "y": (2.0, (2 - terms) * 3)}
    assert out.splitlines()[0].endswith(f"= {(2 - terms) * 6}")


class CountingStdin(io.StringIO):
    """stdin that remembers how many characters were asked for."""

    asked = 0

    def read(self, size=-1):
        self.asked += (1 << 62) if size is None or size < 0 else size
        return super().read(size)


@pytest.mark.parametrize("size", [100_001, 10_000_000])
def test_an_expression_over_the_length_limit_is_refused_before_it_is_read_in_full(capsys, monkeypatch, size):
    """A 10 MB expression on stdin took 75 s and 3.7 GB; past 100,000 characters it is refused after reading
    100,001 of them, with one line naming the option that accepts it."""
    stdin = CountingStdin("a+" * (size // 2) + "a" * (size % 2))
    monkeypatch.setattr(sys, "stdin", stdin)
    start = time.perf_counter()
    code, out, err = run(capsys, "-", "a=1")
    assert time.perf_counter() - start < 5  # a generous budget: it takes milliseconds
    assert one_clean_line(code, err) and out == ""
    assert "longer than the limit of 100,000 characters; pass --max-length N" in err
    assert stdin.asked == MAX_LENGTH + 1 == 100_001


def test_an_argument_over_the_length_limit_is_refused_and_the_limit_can_be_raised(capsys, monkeypatch):
    code, out, err = run(capsys, "a+a+a", "a=1", "--max-length", "4")
    assert one_clean_line(code, err) and out == ""
    assert "has 5 characters, more than the limit of 4; pass --max-length 5" in err
    assert run(capsys, "a+a+a", "a=1", "--max-length", "5")[0] == 0
    assert run(capsys, "a+a+a", "a=1", "--max-length", "0")[0] == 0  # no limit
    code, _, err = run(capsys, "a+a+a", "a=1", "--max-length", "-1")
    assert one_clean_line(code, err) and "--max-length must be 0 (no limit) or positive, got -1" in err
    monkeypatch.setattr(sys, "stdin", io.StringIO("a+a+a"))
    code, _, err = run(capsys, "-", "a=1", "--max-length", "4")
    assert one_clean_line(code, err) and "on stdin is longer than the limit of 4 characters" in err


# ---- the parser and evaluator ----


@pytest.mark.parametrize(
    "text, x, y, expected",
    [
        ("x-y-1", 5.0, 2.0, 2.0),  # left to right: (5 - 2) - 1
        ("x/y/2", 8.0, 2.0, 2.0),
        ("x-y*2+x/y", 6.0, 2.0, 5.0),
        ("2*-x", 3.0, 1.0, -6.0),
        ("x--y", 3.0, 1.0, 4.0),
        ("-x**2", 3.0, 1.0, -9.0),  # unary minus binds less tightly than **
        ("x**-1*y", 4.0, 2.0, 0.5),
        ("x**y**2", 2.0, 3.0, 512.0),  # ** is right associative: 2^(3^2)
        ("-x*y+x", 2.0, 3.0, -4.0),
        ("tanh(0*x)+relu(-y)+abs(-y)+exp(0*x)+log(x)-log(x)+sigmoid(0*y)", 1.0, 2.0, 3.5),
    ],
)
def test_parser_and_the_long_chain_parser_agree_with_hand_math(text, x, y, expected):
    for tree in (parse(text), _parse_long(text)):
        values = {"x": Value(x, label="x"), "y": Value(y, label="y")}
        assert evaluate(tree, values).data == pytest.approx(expected)


def test_constant_exponents_are_numbers_and_value_exponents_are_values():
    x, y = Value(4.0, label="x"), Value(2.0, label="y")
    assert evaluate(parse("x**2"), {"x": x}).op == "**2"
    assert evaluate(parse("x**(1/2)"), {"x": x}).op == "**0.5"
    assert evaluate(parse("x**-1"), {"x": x}).op == "**-1"
    assert evaluate(parse("x**y"), {"x": x, "y": y}).op == "**"


@settings(max_examples=40, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["+", "-", "*", "/", "%", "**", " + ", " *  ", " % "]),
            st.sampled_from(["x", "y", "2", "-x", "( x+y )", "y**2", "exp(x)", " 0.5"]),
        ),
        min_size=1,
        max_size=12,
    )
)
def test_long_chain_parser_builds_the_same_tree_as_ast(parts):
    text = parts[0][1] + "".join(op + term for op, term in parts[1:])
    assert ast.dump(_parse_long(text)) == ast.dump(parse(text))


def test_precedence_is_the_same_at_any_length(capsys):
    """x * y % z is (x * y) % z: after a 4,000-term prefix too (it was x * (y % z) there)."""
    prefix = "".join(f"0*w{i} + " for i in range(4000))
    names = [f"w{i}=1" for i in range(4000)]
    assert main(["x * y % z", "x=2", "y=3", "z=4"]) == 0
    assert capsys.readouterr().out.startswith("f = x * y % z = 2\n")
    values = {"x": Value(2.0), "y": Value(3.0), "z": Value(4.0), **{f"w{i}": Value(1.0) for i in range(4000)}}
    assert evaluate(parse(prefix + "x * y % z"), values).data == 2.0
    assert main([prefix + "x * y % z", "x=2", "y=3", "z=4", *names]) == 0
    assert " = 2\n" in capsys.readouterr().out


@pytest.mark.parametrize(
    "text, expected", [("clamp(x)", "5"), ("clamp(x, 0)", "5"), ("clamp(x, 0, 1)", "1"), ("clamp(x, None)", None)]
)
def test_clamp_takes_the_apis_bounds(capsys, text, expected):
    """A missing bound is no bound, as in Value.clamp (the CLI used the table's test bounds, -1 and 1)."""
    code = main([text, "x=5"])
    out, err = capsys.readouterr()
    if expected is None:
        assert code == 2 and "not a number" in err
    else:
        assert code == 0 and out.startswith(f"f = {text} = {expected}\n")


def test_overflow_prints_an_infinity_as_the_api_gives(capsys):
    assert main(["exp(a)", "a=1000"]) == 0
    assert capsys.readouterr().out.startswith("f = exp(a) = inf\n")


def test_parse_never_runs_code():
    with pytest.raises(ExpressionError):
        parse("__import__('os').system('echo hacked')")
    with pytest.raises(TypeError, match="must be a str, got 3"):
        parse(3)


# ---- hardening: any depth, empty names, every argument checked before a file is written ----


def one_clean_line(code, err):
    return (
        code == 2
        and err.count("\n") == 1
        and err.startswith("python -m autograd: error: ")
        and "Traceback" not in err
        and "internal error" not in err
    )


@pytest.mark.parametrize("depth", [330, 1000, 2000])
@pytest.mark.parametrize(
    "template",
    [
        "x[{}a]",
        "exp(a, {}a)",
        "1 < {}a",
        "a if {}a else a",
        "[{}a]",
        "sine({}a)",
        "exp({}a, x=1)",
        "{}a.b",
        "lambda: {}a",
        "{{{}a}}",
        "not {}a",
    ],
)
def test_deep_nesting_inside_a_rejected_construct_is_one_line(capsys, depth, template):
    code, _out, err = run(capsys, "--", template.format("-" * depth), "a=1")
    assert one_clean_line(code, err), err
    assert len(err) < 400


def test_a_deep_call_name_is_one_line(capsys):
    code, _out, err = run(capsys, "a." * 300 + "b(a)", "a=1")
    assert one_clean_line(code, err), err


@pytest.mark.parametrize("option", ["-o", "--output", "--steps"])
@pytest.mark.parametrize("value", ["", "  "])
def test_an_empty_file_name_is_refused(capsys, option, value):
    code, out, err = run(capsys, "a*2", "a=1", option, value)
    assert one_clean_line(code, err) and "needs a name" in err and out == ""


@needs_dot
def test_steps_limit_is_checked_before_the_output_file_is_written(capsys, tmp_path):
    dot, steps = tmp_path / "x.dot", tmp_path / "steps"
    code, _out, err = run(capsys, "+".join(["a"] * 150), "a=1", "-o", str(dot), "--steps", str(steps))
    assert one_clean_line(code, err) and "more than the limit of 100 for drawing (--steps)" in err
    assert not dot.exists() and not steps.exists()


def test_steps_that_is_a_file_is_checked_before_the_output_file_is_written(capsys, tmp_path):
    dot, steps = tmp_path / "x.dot", tmp_path / "steps"
    steps.write_text("a file")
    code, _out, err = run(capsys, "a*2", "a=1", "-o", str(dot), "--steps", str(steps))
    assert one_clean_line(code, err) and "is a file" in err and not dot.exists()


@pytest.mark.parametrize(
    "steps, message",
    [
        ("file.txt/x", r"--steps: cannot write .*file.txt/x'?: Not a directory"),
        ("fifo", r"--steps: '.*fifo' is a FIFO, not a folder"),
        ("out.svg", r"-o '.*out.svg' would be overwritten by the files of --steps"),
        ("pages", r"--steps: refusing to replace '.*pages/steps.html': it is a FIFO"),
    ],
)
def test_an_unusable_steps_folder_is_found_before_anything_is_written_or_computed(capsys, tmp_path, steps, message):
    """-o out.svg was written before --steps /dev/null/x failed; now every path is checked first (in a
    temporary folder: a regular file stands in for /dev/null)."""
    (tmp_path / "file.txt").write_text("mine")
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "pages").mkdir()
    os.mkfifo(tmp_path / "pages" / "steps.html")
    before = sorted(p.name for p in tmp_path.iterdir())
    code, out, err = run(capsys, "a*2", "a=1", "-o", str(tmp_path / "out.svg"), "--steps", str(tmp_path / steps))
    assert one_clean_line(code, err) and re.search(message, err), err
    assert out == ""  # refused before the expression was even evaluated
    assert sorted(p.name for p in tmp_path.iterdir()) == before and (tmp_path / "file.txt").read_text() == "mine"


@pytest.mark.parametrize(
    "output, message",
    [
        ("missing/x.svg", r"-o: cannot write .*missing/x.svg'?: No such file or directory"),
        ("file.txt/x.svg", r"-o: cannot write .*file.txt/x.svg'?: Not a directory"),
        ("folder.svg", r"-o: refusing to replace '.*folder.svg': it is a folder"),
        ("fifo.svg", r"-o: refusing to replace '.*fifo.svg': it is a FIFO"),
    ],
)
def test_an_unusable_output_is_found_before_anything_is_written_or_computed(capsys, tmp_path, output, message):
    (tmp_path / "file.txt").write_text("mine")
    (tmp_path / "folder.svg").mkdir()
    os.mkfifo(tmp_path / "fifo.svg")
    steps = tmp_path / "steps"
    code, out, err = run(capsys, "a*2", "a=1", "-o", str(tmp_path / output), "--steps", str(steps))
    assert one_clean_line(code, err) and re.search(message, err), err
    assert out == "" and not steps.exists()


def test_missing_dot_for_steps_is_checked_before_the_dot_file_is_written(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    dot = tmp_path / "x.dot"
    code, _out, err = run(capsys, "a*2", "a=1", "-o", str(dot), "--steps", str(tmp_path / "s"))
    assert one_clean_line(code, err) and "graphviz" in err and not dot.exists()


def test_error_line_is_one_line_for_every_kind_of_error():
    from autograd.cli import error_line

    assert error_line(ExpressionError("the expression\nis empty")) == "the expression is empty"
    assert error_line(PermissionError(13, "Permission denied", "out/L.svg")) == (
        "cannot write 'out/L.svg': Permission denied"
    )
    assert error_line(RecursionError()) == "the expression is nested too deeply"
    assert error_line(MemoryError()) == "the expression is too large for the memory available"
    assert error_line(KeyError("x")) == "internal error (KeyError: 'x'); please report it with the command line"
