"""One consistency test generated from the op table, in the style of PyTorch's OpInfo.

For every op of `autograd.ops.OPS`, at its sample points (``Op.sample_points``, inside its domain) and at
its kinks: the value against the entry's independent ``reference``; the gradient against central finite
differences; the second derivative (backward(create_graph=True)) against finite differences of the first;
forward mode against reverse mode; compile's replay bit-equal to eager; vmap's batched replay against
eager; the CLI; the hypothesis strategies; the policy at extreme floats; and, with torch installed, value,
gradient and second derivative against torch float64. Adding an op to the table adds it to every test here,
and a test fails, naming the op, until its entry has a reference and the op a way in (its method and
function: tests/test_methods.py and tests/test_functions.py).
"""

import math

import pytest
from hypothesis import find, settings
from numeric import central_differences
from op_cases import CASES, OPERATORS, PARAMS, arity, case_id, torch_function, user_call

import autograd
from autograd import Value, cli, compile, jvp, no_grad, ops, sum_values, testing, vmap
from autograd.compile import clear_cache
from autograd.engine import op_of


def eager(op, xs):
    """(value, gradient) of the op at xs, through the user's call."""
    leaves = [Value(x) for x in xs]
    out = user_call(op)(*leaves)
    assert op_of(out).title == op.title  # the user's call made exactly this op, one node
    out.backward()
    return out.data, [v.grad for v in leaves]


def close(a, b, rel, abs_):
    return abs(a - b) <= abs_ + rel * abs(b)


def same(a, b):
    """Bit-equal floats (NaN equals NaN)."""
    return (a == b and math.copysign(1, a) == math.copysign(1, b)) or (a != a and b != b)


# ---- every op, every mode ----


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_value_against_reference(op):
    for xs in op.sample_points():
        value, _ = eager(op, xs)
        assert close(value, op.reference(*xs, *op.params), 1e-12, 1e-12), (xs, value)


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_gradient_against_finite_differences(op):
    for xs in op.sample_points():
        _, grads = eager(op, xs)
        numeric = central_differences(lambda p: op.reference(*p, *op.params), xs)
        for g, n in zip(grads, numeric):
            assert close(g, n, 1e-5, 1e-6), (xs, grads, numeric)


def hessian_row(op, xs, i):
    """d/dx_j of d(op)/dx_i for every j, through backward(create_graph=True) and a second backward."""
    leaves = [Value(x) for x in xs]
    user_call(op)(*leaves).backward(create_graph=True)
    first = leaves[i].grad
    if not isinstance(first, Value):  # a constant first derivative (+, relu): its derivatives are 0
        return [0.0] * len(xs)
    for v in leaves:
        v.grad = 0.0
    first.backward()
    return [v.grad for v in leaves]


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_second_derivative_against_finite_differences_of_the_first(op):
    for xs in op.sample_points():
        for i in range(len(xs)):
            second = hessian_row(op, xs, i)
            numeric = central_differences(lambda p, i=i: eager(op, p)[1][i], xs, h=1e-5)
            for s, n in zip(second, numeric):
                assert close(s, n, 1e-4, 1e-5), (xs, i, second, numeric)


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_forward_mode_equals_reverse_mode(op):
    points = op.sample_points() + [list(p) for p in op.kink_points if len(p) == arity(op)]
    for xs in points:
        value, grads = eager(op, xs)
        for i in range(len(xs)):
            tangents = [1.0 if k == i else 0.0 for k in range(len(xs))]
            v, t = jvp(lambda *ds: user_call(op)(*ds), xs, tangents)
            assert same(v, value) and same(t, grads[i]), (xs, i, (v, t), (value, grads))


# source_after for each tier of compile: replays from the tape only, or from generated source from the second call on
TIERS = {"tape": 10**9, "source": 0}


def compiled_in(tier, fn):
    """fn compiled to replay in one tier (the cache of shapes cleared first, so that no earlier program decides)."""
    clear_cache()
    return compile(fn, source_after=TIERS[tier])


@pytest.mark.parametrize("tier", TIERS)
@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_compiled_replay_is_bit_equal_to_eager(op, tier):
    points = op.sample_points() + [list(p) for p in op.kink_points if len(p) == arity(op)]
    fast = compiled_in(tier, lambda *xs: user_call(op)(*xs))
    fast(*[Value(x) for x in points[0]])  # traced here; the calls below replay
    for xs in points:
        leaves = [Value(x) for x in xs]
        r = fast(*leaves)
        r.backward()
        value, grads = eager(op, xs)
        assert same(r.data, value) and all(same(v.grad, g) for v, g in zip(leaves, grads)), (xs, tier)
    assert fast.tier(len(points[0])) == tier


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_vmap_equals_eager(op):
    """Over a batch of the sample points (and kinks), through a shared Value per operand (a_i + q_i, q_i
    batched): vmap's sum and its gradients against eager mode's sum of the per-point graphs."""
    np = pytest.importorskip("numpy")
    points = op.sample_points() + [list(p) for p in op.kink_points if len(p) == arity(op)]
    columns = [np.array(c) for c in zip(*points)]
    shared, copies = [Value(0.0) for _ in columns], [Value(0.0) for _ in columns]
    total = vmap(lambda *qs: user_call(op)(*[a + q for a, q in zip(shared, qs)]))(*columns)
    total.backward()
    eager = sum_values([user_call(op)(*[a + q for a, q in zip(copies, xs)]) for xs in points])
    eager.backward()
    assert close(total.data, eager.data, 1e-12, 1e-12), (total.data, eager.data)
    for a, b in zip(shared, copies):  # NaN where eager mode says NaN (hypot at its kink)
        assert close(a.grad, b.grad, 1e-12, 1e-12) or same(a.grad, b.grad), (op.title, a.grad, b.grad)


# The CLI takes finite numbers as parameters (a missing bound of clamp is an infinite one).
@pytest.mark.parametrize("op", [o for o in CASES if all(map(math.isfinite, o.params))], ids=case_id)
def test_the_cli_evaluates_and_draws_it(op, tmp_path, capsys):
    names = ["a", "b", "c"][: arity(op)]
    if op.name in cli.FUNCTIONS:
        params = [cli_number(p) for p in op.params]
        text = f"{op.name}({', '.join(names + params)})"
    else:  # an operator, as Python writes it (the op table's display is the pictures' notation: a·b, x^2)
        text = PYTHON[op.name].format(*names, n=cli_number(op.params[0]) if op.params else "")
    xs = op.sample_points()[1]
    code = cli.main([text, *[f"{n}={x!r}" for n, x in zip(names, xs)], "-o", str(tmp_path / "g.dot")])
    out = capsys.readouterr().out
    assert code == 0, (text, out)
    _, grads = eager(op, xs)
    for name, g in zip(names, grads):
        assert f"{g:>18.10g}" in out, (name, text, out)
    assert op.name in (tmp_path / "g.dot").read_text() or op.arity != 1 or op.prec < 5


PYTHON = {"+": "{0} + {1}", "-": "{0} - {1}", "*": "{0} * {1}", "/": "{0} / {1}", "%": "{0} % {1}"}
PYTHON.update({"neg": "-{0}", "**n": "{0} ** {n}", "**": "{0} ** {1}"})


def cli_number(p):
    return "None" if p is None else repr(p)


@pytest.mark.parametrize("op", ops.OPS, ids=lambda op: op.name)
def test_the_strategies_draw_it(op):
    titles = [t for t, o in testing.OPS.items() if o.name == op.name]
    assert titles, f"testing.OPS has no {op.name!r}"
    expr = find(
        testing.expressions(3, ops=titles, max_ops=2),
        lambda e: any(name in titles for name, _ in e.steps),
        settings=settings(max_examples=500, database=None),
    )
    assert gradcheck_ok(expr)


def gradcheck_ok(expr):
    return autograd.gradcheck(expr, expr.inputs)


# ---- the table and the ways in agree ----


@pytest.mark.parametrize("op", ops.OPS, ids=lambda op: op.name)
def test_every_entry_has_a_reference_and_a_way_in(op):
    assert callable(op.reference), f"the entry of {op.name!r} in autograd/ops.py lacks reference=..."
    if op in ops.CALLED_BY_NAME:  # its method and its function: tests/test_methods.py, tests/test_functions.py
        assert hasattr(Value, op.name) and hasattr(autograd, op.name), op.name
    else:
        assert op.name in OPERATORS or op.name == "**n", (
            f"{op.name!r} is neither called by name nor an operator: add how a user applies it to OPERATORS here"
        )
    assert op.name in cli.FUNCTIONS or not op.name.isidentifier(), op.name


# nan ** 0 is 1 in IEEE arithmetic, Python and PyTorch
@pytest.mark.parametrize("op", [o for o in CASES if o.title != "**0"], ids=case_id)
def test_nan_propagates_through_every_op(op):
    xs = [math.nan, *op.sample_points()[1][1:]]
    with no_grad():
        assert math.isnan(user_call(op)(*[Value(x) for x in xs]).data)


@pytest.mark.parametrize("op", [o for o in ops.OPS if o.kink is not None], ids=lambda o: o.name)
def test_kinks_are_documented_and_located(op):
    assert op.kink_note and op.kink_points
    op = op.bind(*PARAMS.get(op.name, [op.params])[0])  # the kink points are for the first parameters tested
    for point in op.kink_points:
        assert op.kink(*point, *op.params) is None
        assert op.kink(*[x + 0.25 for x in point[:1]], *point[1:], *op.params) is not None


# ---- fixes the table keeps closed ----


@pytest.mark.parametrize("n, order, expected", [(2, 2, 2.0), (3, 3, 6.0), (3, 2, 0.0), (4, 4, 24.0)])
@pytest.mark.parametrize("exponent", ["number", "value"])
def test_higher_derivatives_of_powers_at_zero(n, order, expected, exponent):
    def f(x):
        return x**n if exponent == "number" else x ** Value(float(n))

    g = f
    for _ in range(order):
        g = autograd.grad(g)
    assert g(0.0) == expected
    # the same through backward(create_graph=True), order - 1 times, then a plain backward
    x = Value(0.0)
    y = f(x)
    for _ in range(order - 1):
        x.grad = 0.0
        y.backward(create_graph=True)
        y = x.grad
    x.grad = 0.0
    y.backward()
    assert x.grad == expected


def test_the_first_exercise_of_the_course():
    """f(a, b, c) = -a**3 + sin(3*b) - 1.0/c + b**2.5 - a**0.5, which the engine could not write before."""
    a, b, c = Value(1.5, "a"), Value(0.7, "b"), Value(2.0, "c")
    f = -(a**3) + (3 * b).sin() - 1.0 / c + b**2.5 - a**0.5
    f.backward()
    assert f.data == pytest.approx(-(1.5**3) + math.sin(2.1) - 0.5 + 0.7**2.5 - 1.5**0.5, rel=1e-15)
    assert a.grad == pytest.approx(-3 * 1.5**2 - 0.5 / math.sqrt(1.5), rel=1e-14)
    assert b.grad == pytest.approx(3 * math.cos(2.1) + 2.5 * 0.7**1.5, rel=1e-14)
    assert c.grad == pytest.approx(1 / 4, rel=1e-15)
    assert autograd.gradcheck(lambda a, b, c: -(a**3) + (3 * b).sin() - 1.0 / c + b**2.5 - a**0.5, [1.5, 0.7, 2.0])


def test_subtraction_and_division_are_one_node_each_with_constants_as_written():
    h3 = Value(1.0, "h3")
    y = h3 - 0.5
    assert y.op == "-" and y.local_grads == (1.0, -1.0) and y.children[1].data == 0.5
    z = h3 / Value(4.0, "w")
    assert z.op == "/" and z.local_grads == (0.25, -1.0 / 16)
    assert autograd.draw(y).source.count("->") == 2
    assert "h3 - 0.5" in autograd.draw(y).source


def test_sinc_at_0_is_its_limit_in_every_mode():
    """sin(x)/x is 0/0 at 0: the table takes the limit, 1, and the derivatives of sinc there (its Taylor series
    1 - x²/6 + x⁴/120: 0, -1/3, 0, 1/5), by every path, and a point just off 0 agrees with them."""
    f = autograd.sinc
    assert f(0.0).data == 1.0 and f(1e-300).data == 1.0
    derivatives = [f]
    for _ in range(4):
        derivatives.append(autograd.grad(derivatives[-1]))
    assert [d(0.0) for d in derivatives[1:]] == pytest.approx([0.0, -1.0 / 3.0, 0.0, 0.2], rel=1e-15, abs=0.0)
    for x in (1e-8, 0.05, -0.099, 0.1, 0.3):  # the series near 0, the formula beyond 0.1: one smooth function
        assert derivatives[1](x) == pytest.approx(
            central_differences(lambda p: math.sin(p[0]) / p[0], [x])[0], abs=1e-9
        )
        series = sum(
            (-1) ** k * 2 * k * (2 * k - 1) * x ** (2 * k - 2) / math.factorial(2 * k + 1) for k in range(1, 9)
        )
        assert derivatives[2](x) == pytest.approx(series, rel=1e-12)
    x = Value(0.0)
    f(x).backward(create_graph=True)
    first = x.grad
    x.grad = 0.0
    first.backward()
    assert (first.data, x.grad) == (0.0, -1.0 / 3.0)
    assert jvp(lambda d: d.sinc(), [0.0], [1.0]) == (1.0, 0.0)
    fast = compile(lambda v: v.sinc())
    fast(Value(0.7))
    r = fast(x := Value(0.0))
    r.backward()
    assert (r.data, x.grad) == (1.0, 0.0)


def test_logaddexp_is_stable_and_accurate():
    assert autograd.logaddexp(1000.0, 1000.0).data == 1000.0 + math.log(2.0)
    assert autograd.logaddexp(-1000.0, -1000.0).data == -1000.0 + math.log(2.0)
    assert autograd.logaddexp(0.0, -40.0).data == pytest.approx(math.exp(-40.0), rel=1e-15)  # log(1 + tiny)
    a, b = Value(1000.0), Value(999.0)
    a.logaddexp(b).backward()
    assert (a.grad, b.grad) == (
        pytest.approx(1 / (1 + math.exp(-1.0)), rel=1e-15),
        pytest.approx(1 / (1 + math.e), rel=1e-15),
    )
    assert autograd.logaddexp(-math.inf, -math.inf).data == -math.inf
    assert autograd.logaddexp(math.inf, -math.inf).data == math.inf
    assert math.isnan(autograd.logaddexp(math.nan, math.inf).data)
    # the same number as logsumexp of the two, to the last bits where neither loses precision
    assert autograd.logaddexp(0.3, -1.2).data == pytest.approx(autograd.logsumexp([0.3, -1.2]).data, rel=1e-15)


# ---- a Value as a number ----


def test_a_value_works_as_a_number_where_that_is_safe():
    v, w = Value(2.5), Value(-1.0)
    assert float(v) == 2.5 and int(v) == 2 and round(v) == 2 and round(v, 1) == 2.5
    assert f"{v:.3f}" == "2.500" and format(w, "+.1f") == "-1.0" and f"{v}" == repr(v)
    assert bool(v) and not bool(Value(0.0))
    assert math.sin(v) == math.sin(2.5)  # a float, no graph
    assert (v < 3) and (v <= 2.5) and (v > w) and (w >= -1) and not (v < w)
    assert max([w, v]) is v and min([w, v]) is w and sorted([v, w]) == [w, v]
    assert v != Value(2.5) and v == v  # identity: a Value is a graph node, kept in dicts and sets
    assert len({v, Value(2.5)}) == 2


# ---- against torch in double precision ----


def torch_module():
    return pytest.importorskip("torch")


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_value_gradient_and_second_derivative_against_torch(op):
    torch = torch_module()
    fn = torch_function(torch, op)
    points = op.sample_points() + [list(p) for p in op.kink_points if len(p) == arity(op)]
    for xs in points:
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        out = fn(*ts, *op.params)
        firsts = torch.autograd.grad(out, ts, create_graph=True, allow_unused=True)
        value, grads = eager(op, xs)
        assert close(value, out.item(), 1e-13, 1e-13), (xs, value, out.item())
        for g, t in zip(grads, firsts):
            assert same(g, t.item()) or close(g, t.item(), 1e-12, 1e-12), (xs, grads, firsts)
        if xs in [list(p) for p in op.kink_points]:
            continue  # at a kink the second derivative is a convention of its own
        for i, t in enumerate(firsts):
            if not t.requires_grad:
                continue
            seconds = torch.autograd.grad(t, ts, allow_unused=True, retain_graph=True)
            mine = hessian_row(op, xs, i)
            for m, s in zip(mine, seconds):
                s = 0.0 if s is None else s.item()
                assert close(m, s, 1e-11, 1e-12), (xs, i, mine, seconds)


# ---- one overflow policy, at the extremes of the floats ----

EXTREMES = [1e308, -1e308, 5e-324, math.inf, -math.inf, math.nan]


def extreme_points(op):
    """Each operand in turn set to each extreme float, the others at a sample point."""
    base = op.sample_points()[1]
    return [[x if k == i else b for k, b in enumerate(base)] for i in range(len(base)) for x in EXTREMES]


def in_domain(op, xs):
    return op.domain is None or op.domain(*xs, *op.params) is None


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_the_policy_at_extreme_floats(op):
    """Outside the domain a ValueError naming the op; inside it a value, a gradient and a second derivative,
    never an error: out of float range is ±inf, undefined is NaN (IEEE 754). Forward mode and compiled
    replay (both tiers) agree with eager there too."""
    fasts = [compiled_in(tier, lambda *xs: user_call(op)(*xs)) for tier in TIERS]
    for fast in fasts:
        fast(*[Value(x) for x in op.sample_points()[0]])
    for xs in extreme_points(op):
        if not in_domain(op, xs):
            with pytest.raises(ValueError, match=rf"^{re_title(op)}: .*, got "):
                eager(op, xs)
            continue
        value, grads = eager(op, xs)
        for i in range(len(xs)):
            hessian_row(op, xs, i)  # no error
            tangents = [1.0 if k == i else 0.0 for k in range(len(xs))]
            v, t = jvp(lambda *ds: user_call(op)(*ds), xs, tangents)
            assert same(v, value) and same(t, grads[i]), (xs, i, (v, t), (value, grads))
        for fast in fasts:
            leaves = [Value(x) for x in xs]
            r = fast(*leaves)
            r.backward()
            assert same(r.data, value) and all(same(v.grad, g) for v, g in zip(leaves, grads)), xs


def re_title(op):
    import re

    return re.escape(op.title)


def agree(mine, theirs):
    return same(mine, theirs) or close(mine, theirs, 1e-12, 1e-300)


def exact_second_derivative(name, x):
    """d²f/dx² at x, from its closed form in arbitrary-precision arithmetic (mpmath comes with torch), for the
    ops where torch's own formula gives inf/inf = NaN at ±1e308 while the exact value underflows."""
    mpmath = pytest.importorskip("mpmath")
    t = mpmath.mpf(x)
    phi = mpmath.exp(-(t**2) / 2) / mpmath.sqrt(2 * mpmath.pi)
    exact = {
        "asinh": lambda: -t / (t**2 + 1) ** mpmath.mpf(1.5),
        "erf": lambda: -4 * t / mpmath.sqrt(mpmath.pi) * mpmath.exp(-(t**2)),
        "erfc": lambda: 4 * t / mpmath.sqrt(mpmath.pi) * mpmath.exp(-(t**2)),
        "gelu": lambda: phi * (2 - t**2),
    }[name]()
    return float(exact)


def exact_sinc_derivative(x, order):
    """The first or second derivative of sin(x)/x at x, in enough digits that the cancellation near 0 leaves the
    exact value (at 5e-324: 1000 digits)."""
    mpmath = pytest.importorskip("mpmath")
    with mpmath.workdps(1000):
        t = mpmath.mpf(x)
        s, c = mpmath.sin(t), mpmath.cos(t)
        exact = (t * c - s) / t**2 if order == 1 else (2 * s - 2 * t * c - t**2 * s) / t**3
        return float(exact)


def known_difference(op, xs, what, mine, theirs):
    """Where chaingrad and torch differ at the extremes on purpose (README, "What chaingrad promises"),
    each checked against its own expectation; False for every other disagreement."""
    if op.name == "sign" and what == "value":
        return math.isnan(xs[0]) and math.isnan(mine)  # NaN propagates through every op; torch.sign(nan) is 0
    if op.name == "logsumexp" and math.inf in xs:
        # an operand +inf: the gradient is the limit of softmax, 1 for the +inf operands, and its derivatives
        # are 0, where torch computes inf - inf = NaN
        return mine == (0.0 if what == "second" else 1.0 if xs[theirs[1]] == math.inf else 0.0)
    if what == "second" and op.name in ("asinh", "erf", "erfc", "gelu") and math.isnan(theirs):
        return mine == exact_second_derivative(op.name, xs[0])
    if op.name == "logaddexp" and what == "second" and any(abs(x) >= 1e308 for x in xs):
        # an operand ±1e308 or ±inf: torch's second derivative divides inf by inf (NaN); the exact value,
        # ∓e^(a-y) e^(b-y), underflows to 0
        return mine == 0.0 and math.isnan(theirs)
    if (
        op.name == "sinc"
        and xs[0] == 5e-324
        and what in ("gradient", "second")
        and math.isnan(theirs[0] if what == "gradient" else theirs)
    ):
        # torch's sin(x)/x computes cos(x)/x - sin(x)/x² = inf - inf at the smallest subnormal; chaingrad's rule
        # takes the Taylor series near 0 and gives the exact value (-x/3 rounds to 0; the second, -1/3)
        return mine == exact_sinc_derivative(xs[0], 1 if what == "gradient" else 2)
    if what == "second" and op.name == "**" and xs[0] == 5e-324:
        # a local derivative that overflows (1/a at the smallest subnormal) times an upstream 0 is NaN: the engine
        # multiplies numbers from the forward pass, where torch divides at backward time (0 / a = 0)
        return math.isnan(mine)
    return False


@pytest.mark.parametrize("op", CASES, ids=case_id)
def test_the_policy_at_extreme_floats_against_torch(op):
    torch = torch_module()
    fn = torch_function(torch, op)
    wrong = []
    for xs in extreme_points(op):
        if not in_domain(op, xs):
            continue  # where we refuse, torch says NaN or inf: a domain error is the policy here
        ts = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
        out = fn(*ts, *op.params)
        firsts = torch.autograd.grad(out, ts, create_graph=True, allow_unused=True)
        value, grads = eager(op, xs)
        if not agree(value, out.item()) and not known_difference(op, xs, "value", value, out.item()):
            wrong.append((xs, "value", value, out.item()))
        for i, (g, t) in enumerate(zip(grads, firsts)):
            theirs = 0.0 if t is None else t.item()
            if not agree(g, theirs) and not known_difference(op, xs, "gradient", g, (theirs, i)):
                wrong.append((xs, f"d/dx{i}", g, theirs))
        for i, t in enumerate(firsts):
            if t is None or not t.requires_grad:
                continue
            seconds = torch.autograd.grad(t, ts, allow_unused=True, retain_graph=True)
            for j, (m, s) in enumerate(zip(hessian_row(op, xs, i), seconds)):
                theirs = 0.0 if s is None else s.item()
                if not agree(m, theirs) and not known_difference(op, xs, "second", m, theirs):
                    wrong.append((xs, f"d2/dx{i}dx{j}", m, theirs))
    assert not wrong, "\n".join(f"at {xs}: {what} is {m!r}, torch {t!r}" for xs, what, m, t in wrong)
