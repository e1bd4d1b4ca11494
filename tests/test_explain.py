"""explain(root, wrt) and the op table's symbolic local derivatives: the notes' derivation of L = c(a + 2b)
line for line, agreement with backward() on random graphs, every op's symbolic form checked as math."""

import html
import math
import re
import shutil

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases import CASES, case_id

import autograd
from autograd import Value, draw_steps, ops
from autograd.cli import main
from autograd.explain import Derivation, explain
from autograd.names import local_forms, with_value
from autograd.testing import expressions
from demos.computation_graph import build


def textbook():
    """L = c(a + 2b) labelled as in the textbook (d = 2b, e = a + d): the demo's own graph."""
    return build()


# ---- the notes' derivation, symbol for symbol ----
# The lecture notes (seed 004) write, for L = c(a + 2b) with d = 2b, e = a + d, L = ce:
#   L = ce : dL/de = c, dL/dc = e;   e = a + d : de/da = 1, de/dd = 1;   d = 2b : dd/db = 2
#   dL/da = dL/de de/da;   dL/db = dL/de de/dd dd/db;   dL/dc = e
# with the numbers of reference-values.md section 1 (a = 3, b = 1, c = -2: dL/de = c = -2, dL/dc = e = 5,
# dL/da = -2, dL/db = -4, dL/dc = 5). explain lists the local derivatives on the way to the input only.
# Products read as design.md writes them (one notation): 2b and c(a + 2b) juxtaposed, c·e with a dot.
NOTES = {
    "a": [
        "∂L/∂a, where L = c(a + 2b) and a = 3, b = 1, c = -2",
        "L = c·e:    ∂L/∂e = c = -2",
        "e = a + d:  ∂e/∂a = 1",
        "∂L/∂a = ∂L/∂e · ∂e/∂a = (-2)(1) = -2",
    ],
    "b": [
        "∂L/∂b, where L = c(a + 2b) and a = 3, b = 1, c = -2",
        "L = c·e:    ∂L/∂e = c = -2",
        "e = a + d:  ∂e/∂d = 1",
        "d = 2b:     ∂d/∂b = 2",
        "∂L/∂b = ∂L/∂e · ∂e/∂d · ∂d/∂b = (-2)(1)(2) = -4",
    ],
    "c": ["∂L/∂c, where L = c(a + 2b) and a = 3, b = 1, c = -2", "L = c·e:  ∂L/∂c = e = 5", "∂L/∂c = e = 5"],
}


@pytest.mark.parametrize("name", "abc")
def test_the_notes_derivation_of_every_input(name):
    L, nodes = textbook()
    d = explain(L, nodes[name])
    assert str(d).splitlines() == NOTES[name]
    assert d.result == {"a": -2.0, "b": -4.0, "c": 5.0}[name]  # reference-values.md section 1


def test_the_derivation_is_structured():
    L, n = textbook()
    d = explain(L, n["b"])
    assert isinstance(d, Derivation) and d.path_count == 1 and d.recursion is None
    (path,) = d.paths
    assert [(f.symbol, f.form, f.value) for f in path] == [
        ("∂L/∂e", "c", -2.0),
        ("∂e/∂d", "1", 1.0),
        ("∂d/∂b", "2", 2.0),
    ]
    assert [(v.label, heading) for v, heading, _ in d.locals] == [
        ("L", "L = c·e:"),
        ("e", "e = a + d:"),
        ("d", "d = 2b:"),
    ]


def test_unlabelled_nodes_are_named_as_the_notes_name_them():
    # the CLI's graph: only the inputs and the output have labels; d = 2b and e = a + d as in the notes
    a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    f = c * (a + 2 * b)
    assert str(explain(f, b)).splitlines()[1:] == [
        "L = c·e:    ∂L/∂e = c = -2",
        "e = a + d:  ∂e/∂d = 1",
        "d = 2b:     ∂d/∂b = 2",
        "∂L/∂b = ∂L/∂e · ∂e/∂d · ∂d/∂b = (-2)(1)(2) = -4",
    ]


def test_wrt_by_label():
    L, n = textbook()
    assert explain(L, "b").wrt is n["b"]


def test_a_reused_node_sums_over_paths():
    x = Value(0.5, label="x")
    y = x * x
    y.label = "y"
    d = explain(y, x)
    # one op using x twice has one local derivative, the sum over the uses: d(x x)/dx = x + x
    assert str(d).splitlines()[1:] == ["y = x·x:  ∂y/∂x = x + x = 1", "∂y/∂x = x + x = 1"]
    z = y.sin() + y * x
    z.label = "z"
    d = explain(z, x)
    z.backward()
    assert d.path_count == 3 and len(d.paths) == 3
    assert "3 paths lead from z to x: the chain rule adds one product per path." in d.lines
    assert math.isclose(d.result, x.grad, rel_tol=1e-12)


def test_many_paths_give_the_backprop_recursion():
    # a tanh RNN over 12 steps: 12 paths from h12 to the shared weight w
    w, h = Value(0.7, label="w"), Value(0.1, label="h0")
    for t in range(12):
        h = (w * h + 0.5).tanh()
        h.label = f"h{t + 1}"
    d = explain(h, w)
    h.backward()
    assert d.path_count == 12 and d.paths is None
    assert "backprop recursion" in str(d) and "once per node instead of once per path" in str(d)
    assert [v.label for v, _, _ in d.recursion][-1] == "w"
    w_line = [line for line in d.lines if line.startswith("∂h12/∂w = ")]
    assert len(w_line) == 1 and len(d.recursion[-1][1]) == 12  # the sum over w's 12 parents
    # the long sum goes on one line per term, aligned: more than max_paths = 8 terms, so the first 7 and a
    # count of the 5 others, in symbols and in numbers, then the result
    tail = d.lines[d.lines.index(w_line[0]) :]
    assert len(tail) == 2 * 8 + 1 and all(line.startswith(" " * len("∂h12/∂w ")) for line in tail[1:])
    assert tail[7] == "        + … 5 more terms" and tail[15] == "        + … 5 more"
    assert math.isclose(d.result, w.grad, rel_tol=1e-12)
    # each node's line sums over its parents; each total is the one backward() computed
    for v, terms, total in d.recursion:
        assert math.isclose(total, v.grad, rel_tol=1e-12, abs_tol=1e-300)
        parents = [p for p, _, items in d.locals if any(it.child is v for it in items)]
        assert len(terms) == len(parents)


def test_no_path_and_the_root_itself():
    L, _n = textbook()
    stranger = Value(1.0, label="z")
    assert explain(L, stranger).result == 0.0
    assert str(explain(L, stranger)).endswith("No path leads from L to z: L does not depend on z, so ∂L/∂z = 0.")
    assert explain(L, L).result == 1.0 and str(explain(L, L)).endswith("∂L/∂L = 1")


@settings(max_examples=150, deadline=None)
@given(expressions([0.7, -1.3, 0.4], max_ops=8), st.sampled_from([1, 3, 8]))
def test_explain_agrees_with_backward(expr, max_paths):
    leaves = [Value(x, label=f"x{i}") for i, x in enumerate(expr.inputs)]
    out = expr(*leaves)
    for x in leaves:
        d = explain(out, x, max_paths=max_paths)
        out.zero_grad()
        out.backward()
        assert math.isclose(d.result, x.grad, rel_tol=1e-9, abs_tol=1e-12), (expr, str(d))
        assert d.lines[-1].endswith(f"= {_short(d.result)}") or "No path" in d.lines[-1]


def _short(x):
    return str(int(x)) if x.is_integer() else f"{x:.4g}"


def test_errors_name_the_argument_and_quote_the_value():
    L, n = textbook()
    with pytest.raises(TypeError, match=r"explain: root must be a Value, got 3"):
        explain(3, n["a"])
    with pytest.raises(TypeError, match=r"explain: wrt must be a Value or the name of one \(a str\), got 2.5"):
        explain(L, 2.5)
    with pytest.raises(ValueError, match=r"wrt='q': no node below root has that name; the names are L, a, b"):
        explain(L, "q")
    with pytest.raises(ValueError, match=r"max_paths must be a positive int, got 0"):
        explain(L, "a", max_paths=0)
    with pytest.raises(ValueError, match=r"precision must be an int from 1 to 17, got 'x'"):
        explain(L, "a", precision="x")


def test_markdown_for_jupyter_writes_latex():
    L, n = textbook()
    md = explain(L, n["b"])._repr_markdown_()
    assert r"$$\frac{\partial L}{\partial b} = \frac{\partial L}{\partial e} \cdot" in md.replace("  ", " ")
    assert r"$$d = 2b:\quad \frac{\partial d}{\partial b} = 2$$" in md
    z = Value(0.3, label="z")
    h = z.asin()
    h.label = "h"
    assert r"\frac{\partial h}{\partial z} = 1/\sqrt{1 - z^2} = 1.048" in explain(h, z)._repr_markdown_()
    assert r"$$L = c \cdot e:\quad" in md


def test_exported_from_the_package():
    assert autograd.explain is explain and "explain" in autograd.__all__


# ---- the symbolic forms of the op table ----


def test_every_op_has_a_symbolic_form_per_operand():
    for op in ops.OPS:
        if callable(op.symbolic):  # a form per position of an n-ary op (dot: w1..wn, x1..xn, b)
            for count in (3, 5, 7):
                forms = [op.symbolic(k, count) for k in range(count)]
                fields = {f for form in forms for f in re.findall(r"\{(\w+)\}", form)}
                assert fields <= {"y", *map(str, range(count))}, (op, forms)
            continue
        assert isinstance(op.symbolic, tuple) and all(isinstance(f, str) and f for f in op.symbolic), op
        assert len(op.symbolic) == (1 if op.arity < 0 else op.arity), op
        fields = {f for form in op.symbolic for f in re.findall(r"\{(\w+)\}", form)}
        allowed = {"y", *op.param_names} | ({"x"} if op.arity < 0 else {str(i) for i in range(op.arity)})
        assert fields <= allowed, (op, fields - allowed)


def test_the_examples_of_the_issue():
    z = Value(0.5, label="z")
    cases = [
        ((z * 2.0).tanh(), "h", "1 - h^2"),
        (z.exp(), "y", "y"),
        (z.sigmoid(), "s", "s(1 - s)"),
        (z.log(), "y", "1/z"),
        (z**3, "y", "3z^2"),
        (z**2, "y", "2z"),
        (z**0.5, "y", "0.5z^(-0.5)"),
        (z.square(), "y", "2z"),
        (z.sqrt(), "y", "1/(2y)"),
    ]
    for v, label, form in cases:
        v.label = label
        assert local_forms(v, _names) == (form,)
    L, n = textbook()
    assert local_forms(L, _names) == ("e", "c") and local_forms(n["d"], _names) == ("b", "2")
    assert with_value("c", "-2") == "c = -2"


def _names(v):
    if v.label:
        return v.label, 5
    return ("z * 2", 2) if not v.is_leaf else (f"{v.data:g}", 5)


def test_forms_bracket_operands_that_bind_less_tightly():
    a, b = Value(0.5, label="a"), Value(2.0, label="b")
    s = a + b
    y = s**3
    assert local_forms(y, lambda v: (v.label, 5) if v.label else ("a + b", 1) if v is s else ("y", 5)) == (
        "3(a + b)^2",
    )
    assert local_forms(s.cos(), lambda v: ("a + b", 1) if v is s else ("y", 5)) == ("-sin(a + b)",)
    # a form that is just the other operand needs no parentheses: d((a + b) c)/dc = a + b
    c = Value(3.0, label="c")
    assert local_forms(s * c, lambda v: (v.label, 5) if v.label else ("a + b", 1)) == ("c", "a + b")
    assert local_forms(c / s, lambda v: (v.label, 5) if v.label else ("a + b", 1)) == ("1/(a + b)", "-c/(a + b)^2")


# Each symbolic form, read as Python, must give the number the op's rule gives: the forms are math, not prose.
_FUNCTIONS = dict(
    sqrt=math.sqrt,
    exp=math.exp,
    log=math.log,
    sin=math.sin,
    cos=math.cos,
    sinh=math.sinh,
    cosh=math.cosh,
    floor=math.floor,
    pi=math.pi,
    inf=math.inf,  # an absent bound of clamp
    sign=lambda x: (x > 0) - (x < 0),
    sig=lambda x: 1 / (1 + math.exp(-x)),
    Phi=lambda x: 0.5 * (1 + math.erf(x / math.sqrt(2))),
    phi=lambda x: math.exp(-x * x / 2) / math.sqrt(2 * math.pi),
)


def _python(form):
    for a, b in [
        ("−", "-"),
        ("·", "*"),
        ("²", "**2"),
        ("^", "**"),
        ("√π", "sqrt(pi)"),
        ("√(", "sqrt("),
        ("π", "pi"),
        ("⌊", "floor("),
        ("⌋", ")"),
        ("≤", "<="),
        ("½", "0.5"),
        ("sigmoid(", "sig("),
        ("Φ(", "Phi("),
        ("φ(", "phi("),
        ("ln 2", "log(2)"),
        ("ln 10", "log(10)"),
        ("ln(", "log("),
    ]:
        form = form.replace(a, b)
    form = re.sub(r"(?<![\w.])(\d+(?:\.\d+)?)(?=[xy(])", r"\1*", form)  # 2x, 3y^2, 2(a + b): products
    return re.sub(r"\b(x0|x1|x2|y)\(|\)\(", lambda m: m.group(0)[:-1] + "*(", form)  # s(1 - s): a product


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_the_symbolic_form_reads_as_the_rule(op):
    for xs in op.sample_points():
        leaves = [Value(x) for x in xs]
        v = autograd.apply(op, *leaves)
        names = {id(k): (f"x{i}", 5) for i, k in enumerate(leaves)}
        names[id(v)] = ("y", 5)
        forms = local_forms(v, lambda n, names=names: names[id(n)])
        values = dict(_FUNCTIONS, y=v.data, **{f"x{i}": x for i, x in enumerate(xs)})
        for form, expected in zip(forms, v.local_grads):
            if not math.isfinite(expected):
                continue  # a pole (hypot at the origin): the form divides by zero there, as the rule does
            got = eval(_python(form), {"__builtins__": {}}, values)
            assert math.isclose(got, expected, rel_tol=1e-5, abs_tol=1e-12), (op, form, xs, got, expected)


# ---- the command line ----


def test_cli_explain_prints_the_derivation(capsys):
    assert main(["c*(a+2*b)", "a=3", "b=1", "c=-2", "--explain", "b"]) == 0
    out = capsys.readouterr().out.splitlines()
    # the CLI names its output f and the unnamed steps d = 2b, e = a + d, as the notes do
    assert out[-5:] == [
        "∂f/∂b, where f = c(a + 2b) and a = 3, b = 1, c = -2",
        "f = c·e:    ∂f/∂e = c = -2",
        "e = a + d:  ∂e/∂d = 1",
        "d = 2b:     ∂d/∂b = 2",
        "∂f/∂b = ∂f/∂e · ∂e/∂d · ∂d/∂b = (-2)(1)(2) = -4",
    ]


def test_cli_explain_of_an_unknown_name_fails_in_one_line(capsys):
    assert main(["c*(a+2*b)", "a=3", "b=1", "c=-2", "--explain", "q"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err == ("python -m autograd: error: --explain: 'q' is not an input; the inputs are a, b, c\n")


def test_a_constant_form_is_not_repeated_as_its_value():
    x = Value(2.0, label="x")
    y = 1 - x
    y.label = "y"
    assert str(explain(y, x)).splitlines()[1:] == ["y = 1 - x:  ∂y/∂x = -1", "∂y/∂x = -1"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="graphviz's dot is not installed")
def test_the_stepper_frames_show_the_symbolic_edges(tmp_path):
    L, _ = textbook()
    files = draw_steps(L, tmp_path, format="svg")
    text = html.unescape(files.frames[-1].read_text(encoding="utf-8"))
    # reference-values.md section 1: dL/de = c = -2, dL/dc = e = 5
    assert "∂L/∂e = c = -2" in text and "∂L/∂c = e = 5" in text and "∂d/∂b = 2" in text


def test_an_op_without_symbolic_forms_still_draws_and_explains_with_numbers(monkeypatch):
    # a new op that has no forms yet fails test_every_op_has_a_symbolic_form_per_operand, but does not
    # break the pictures: its edges show the number alone
    monkeypatch.setattr(ops.SIN, "symbolic", None)
    x = Value(0.5, label="x")
    y = x.sin()
    y.label = "y"
    y.backward()
    assert str(explain(y, x)).splitlines()[1:] == ["y = sin(x):  ∂y/∂x = 0.8776", "∂y/∂x = 0.8776"]  # cos(0.5)
    assert "∂y/∂x = 0.8776" in autograd.draw(y, view="backward").source


def test_a_heading_longer_than_the_alignment_is_still_followed_by_two_spaces():
    x, b = Value(2.0, label="x" * 50), Value(3.0, label="b")
    f = x * b + b
    f.label = "f"
    f.backward()
    lines = str(explain(f, x)).splitlines()
    assert lines[1] == "f = a + b:" + " " * 22 + "∂f/∂a = 1"  # aligned to 30 characters
    assert lines[2] == f"a = {'x' * 50}·b:  ∂a/∂{'x' * 50} = b = 3"  # longer: not padded, two spaces
