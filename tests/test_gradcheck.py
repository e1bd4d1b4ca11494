"""gradcheck and gradgradcheck: they pass correct gradients, catch wrong ones (the checker is itself
checked), refuse kinks, report a readable table, and pass on random graphs. (The random-graph strategy:
tests/test_testing.py; the pytest plugin: tests/test_pytest_plugin.py.)"""

import math
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings

from autograd import GradcheckError, Value, gradcheck, gradgradcheck, no_grad
from autograd.testing import expressions

# ---- correct gradients pass ----


def test_passes_on_the_textbook_graph():
    assert gradcheck(lambda a, b, c: c * (a + 2 * b), [3.0, 1.0, -2.0]) is True


def test_passes_on_the_two_tanh_units_of_the_notes():
    # reference-values.md section 6: L = 1/2 (y - tanh(w2 tanh(w1 x)))^2
    def loss(w1, w2):
        return 0.5 * (0.25 - (w2 * (w1 * 1.5).tanh()).tanh()) ** 2

    assert gradcheck(loss, [0.4, -0.8])
    assert gradgradcheck(loss, [0.4, -0.8])


def test_passes_inside_no_grad():
    with no_grad():
        assert gradcheck(lambda x: x.exp() * x, [0.7])


def test_relu_away_from_the_kink_passes():
    # the XOR network of reference-values.md section 4 at a point where no pre-activation is 0
    def xor(x1, x2):
        h1 = (x1 + x2).relu()
        h2 = (x1 + x2 - 1).relu()
        return h1 - 2 * h2

    assert gradcheck(xor, [0.3, 0.9])


# ---- wrong gradients are caught (the checker is itself checked) ----


def test_catches_a_hidden_path():
    # x * Value(x.data) is x^2 whose second factor is a constant: analytic x, true derivative 2x
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda x: x * Value(x.data), [3.0])
    (row,) = e.value.failures
    assert row["analytic"] == 3.0
    assert row["numeric"] == pytest.approx(6.0, rel=1e-6)


def test_catches_a_wrong_second_derivative():
    # first derivatives are right at every point, but the hidden constant freezes them: d2/dx2 is 0 not 2y
    f = lambda x, y: x * Value(x.data) * y  # noqa: E731
    with pytest.raises(GradcheckError):
        gradcheck(f, [3.0, 2.0])
    with pytest.raises(GradcheckError) as e:
        gradgradcheck(f, [3.0, 2.0])
    assert {r["index"] for r in e.value.failures} == {"0,0", "1,0"}
    lines = str(e.value).splitlines()
    assert lines[0] == (
        "gradgradcheck failed for 2 of 4 input pairs (i, j) (eps=1e-06, atol=1e-05, rtol=0.001; "
        "pass if difference <= atol + rtol * |numeric|):"
    )
    assert lines[1].split()[:4] == ["input", "name", "value", "analytic"]
    # d2f/dx2: analytic 0 (the frozen factor hides it); numeric: the analytic df/dx = x.data * y moves by y = 2
    assert lines[2].split()[:5] == ["0,0", "x,x", "3.0,3.0", "0", "2"]


def test_closed_over_values_keep_their_grad():
    w = Value(2.0)
    assert gradcheck(lambda x: x * w, [1.0])
    assert gradgradcheck(lambda x: x * x * w, [1.0])
    assert w.grad == 0.0


def test_second_derivatives_use_the_derivative_rules():
    # x**3: analytic second derivative 6x from backward(create_graph=True), numeric from the gradient
    assert gradgradcheck(lambda x: x**3, [1.7])


def test_failure_message_is_a_table_naming_input_value_and_numbers():
    def f(x, y):
        return x * Value(x.data) + y.tanh()

    with pytest.raises(GradcheckError) as e:
        gradcheck(f, [3.0, 0.5])
    msg = str(e.value)
    lines = msg.splitlines()
    assert lines[0].startswith("gradcheck failed for 1 of 2 inputs (eps=1e-06, atol=1e-05, rtol=0.001")
    assert lines[1].split() == [
        "input",
        "name",
        "value",
        "analytic",
        "df/dx",
        "numeric",
        "df/dx",
        "difference",
        "tolerance",
    ]
    assert len(lines) == 3  # one line per failing input: y passes
    cells = lines[2].split()
    assert cells[:4] == ["0", "x", "3", "3"]
    assert float(cells[4]) == pytest.approx(6.0, rel=1e-6)  # numeric
    assert float(cells[5]) == pytest.approx(3.0, rel=1e-6)  # difference
    assert float(cells[6]) == pytest.approx(1e-5 + 1e-3 * 6, rel=1e-6)  # atol + rtol |numeric|


def test_names_come_from_values_then_parameter_names_then_the_graphs_naming():
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda *xs: xs[0] * Value(xs[0].data), [Value(2.0, label="w")])
    assert e.value.failures[0]["label"] == "w"
    with pytest.raises(GradcheckError) as e:
        gradcheck(lambda *xs: xs[0] * Value(xs[0].data), [2.0])
    assert "\n  0      a     2" in str(e.value)  # the name draw and explain give the unlabelled input


def test_tolerances_are_used():
    f = lambda x: x * Value(x.data)  # noqa: E731  analytic 1, numeric 2 at x = 1
    with pytest.raises(GradcheckError):
        gradcheck(f, [1.0], atol=0.9)
    assert gradcheck(f, [1.0], atol=1.01)
    assert gradcheck(f, [1.0], rtol=0.51)


def test_refuses_a_non_finite_value():
    with pytest.raises(
        ValueError,
        match=r"^gradcheck: f returned nan at inputs \[1.0\]; "
        r"a non-finite value cannot be checked$",
    ):
        gradcheck(lambda x: x * Value(math.nan) + x, [1.0])


def test_nan_analytic_derivative_is_a_failure():
    # relu'(0)-style conventions aside, a NaN analytic derivative never passes
    f = lambda x: x + Value(0.0) * (x * 0.0) ** 0.5  # noqa: E731  local inf times 0 upstream: 0*inf
    with pytest.raises(GradcheckError) as e:
        gradcheck(f, [1.0])
    assert math.isnan(e.value.failures[0]["analytic"])


# ---- kinks are refused, not reported as false failures ----


@pytest.mark.parametrize("f, op", [(lambda x: x.relu(), "relu"), (lambda x: abs(x), "abs")])
def test_refuses_an_input_exactly_on_a_kink(f, op):
    with pytest.raises(ValueError) as e:
        gradcheck(f, [0.0])
    assert str(e.value).startswith(
        f"gradcheck: at inputs [0.0] the graph has L = {op}(x) exactly on a kink (x = 0.0), "
        "where the derivative is a convention (the derivative at 0 is taken as 0"
    )
    assert str(e.value).endswith(f"choose inputs that keep the operands of {op} away from it")


def test_refuses_an_intermediate_exactly_on_a_kink():
    # the XOR network of reference-values.md section 4 at x = [1, 0]: h2 = relu(1 + 0 - 1)
    # named as every view names the graph: e = relu(d) with d = x1 + x2 - 1, the second relu's input
    with pytest.raises(ValueError, match=r"e = relu\(d\) exactly on a kink \(d = c - 1 = 0\.0\)"):
        gradcheck(lambda x1, x2: (x1 + x2).relu() - 2 * (x1 + x2 - 1).relu(), [1.0, 0.0])
    with pytest.raises(ValueError, match=r"^gradgradcheck: at inputs \[1.0, 0.0\]"):
        gradgradcheck(lambda x1, x2: (x1 + x2 - 1).relu(), [1.0, 0.0])


def test_refuses_when_eps_crosses_a_kink():
    with pytest.raises(ValueError) as e:
        gradcheck(lambda x: abs(x), [1e-9])
    assert str(e.value) == (
        "gradcheck: moving input 0 (x) = 1e-09 by eps = 1e-06 moves the operands of an op across a kink (relu "
        "or abs at 0, a tie of maximum...), where the derivative jumps; finite differences are meaningless there: "
        "move the input away from the kink or use a smaller eps"
    )
    assert gradcheck(lambda x: abs(x), [1e-9], eps=1e-10, atol=1e-3)


def test_refuses_when_f_is_undefined_at_a_moved_input():
    with pytest.raises(ValueError) as e:
        gradcheck(lambda x: x.log(), [1e-7])
    assert str(e.value) == (
        "gradcheck: f fails at input 0 (x) moved by -1e-06 to -9e-07, so finite differences "
        "cannot be taken there: log: input must be positive, got -9e-07 (label 'x')"
    )


# ---- bad arguments ----


def test_bad_arguments_are_named():
    with pytest.raises(TypeError, match=r"^gradcheck: f must be callable, got 3$"):
        gradcheck(3, [1.0])
    with pytest.raises(
        TypeError,
        match=r"^gradcheck: inputs must be a list of numbers, one per argument of f, "
        r"got 1.0$",
    ):
        gradcheck(lambda x: x, 1.0)
    with pytest.raises(ValueError, match=r"^gradcheck: inputs must not be empty"):
        gradcheck(lambda: Value(1.0), [])
    with pytest.raises(
        TypeError,
        match=r"^gradcheck: inputs\[1\] must be a finite real number \(or a Value\), "
        r"got 'a'$",
    ):
        gradcheck(lambda x, y: x, [1.0, "a"])
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a finite real number \(or a Value\), got inf$"):
        gradcheck(lambda x: x, [math.inf])
    with pytest.raises(TypeError, match=r"inputs\[0\] must be a finite real number \(or a Value\), got True$"):
        gradcheck(lambda x: x, [True])
    with pytest.raises(ValueError, match=r"^gradcheck: eps must be a finite number > 0, got 0$"):
        gradcheck(lambda x: x, [1.0], eps=0)
    with pytest.raises(ValueError, match=r"^gradgradcheck: atol must be a finite number >= 0, got -1$"):
        gradgradcheck(lambda x: x, [1.0], atol=-1)
    with pytest.raises(ValueError, match=r"^gradcheck: rtol must be a finite number >= 0, got nan$"):
        gradcheck(lambda x: x, [1.0], rtol=math.nan)
    with pytest.raises(
        TypeError,
        match=r"^gradcheck: f must return a Value \(a scalar built from its arguments\), "
        r"got 2.0 of type float$",
    ):
        gradcheck(lambda x: x.data * 2, [1.0])


def test_gradcheck_error_is_an_assertion_error():
    assert issubclass(GradcheckError, AssertionError)


# ---- the random-graph strategy ----


@settings(max_examples=200, deadline=None)
@given(expressions(3, max_ops=8))
def test_engine_passes_gradcheck_on_random_graphs(expr):
    assert gradcheck(expr, expr.inputs)


@settings(max_examples=100, deadline=None)
@given(expressions(2, max_ops=6))
def test_engine_passes_gradgradcheck_on_random_graphs(expr):
    assert gradgradcheck(expr, expr.inputs)


# ---- the docstring examples of this modules run as written ----


@pytest.mark.parametrize(
    "name", ["autograd.gradcheck", "autograd.transforms", "autograd.forward", "autograd.anomaly", "autograd.testing"]
)
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0 and result.failed == 0


USER_CHECKS = """
from autograd import gradcheck, gradgradcheck

def test_on_a_kink():
    gradcheck(lambda x: x.relu(), [0.0])

def test_across_a_kink():
    gradgradcheck(lambda x: x.abs() * x, [1e-9])

def test_bad_input():
    gradcheck(lambda x: x.tanh(), ["a"])

def test_undefined_next_to_the_input():
    gradcheck(lambda x: x.log(), [1e-7])

def test_a_wrong_derivative():
    gradcheck(lambda x: x.tanh() * 2, [0.5], eps=0.1, atol=0, rtol=0)

def test_the_fixture_on_a_kink(gradcheck):
    gradcheck(lambda x: x.relu(), [0.0])
"""


def test_under_pytest_a_refusal_or_failure_shows_the_users_line_and_the_message_only(tmp_path):
    # main printed about 20 lines of gradcheck.py (the helper that raised) before the message
    (tmp_path / "test_user.py").write_text(USER_CHECKS)
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_user.py")],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    out = run.stdout
    assert "6 failed" in out, out + run.stderr
    reports = re.split(r"\n_{5,} test_\w+ _{5,}\n", out.split("= FAILURES =")[1].split("short test summary")[0])[1:]
    assert len(reports) == 6
    for report in reports:
        code = [line for line in report.splitlines() if line.startswith(("    ", ">   "))]
        assert [line for line in code if "check(" in line and line.startswith(">")], report  # the user's line
        assert all(line.strip().startswith(("def test_", "gradcheck(", "gradgradcheck(", ">")) for line in code), report
        assert "autograd" not in report.replace("autograd.gradcheck.GradcheckError", "").replace(
            "from autograd import", ""
        ), report  # no library file, no library source
        assert re.search(r"^E +(ValueError|TypeError|Failed|autograd\.gradcheck\.GradcheckError): \w+", report, re.M)
