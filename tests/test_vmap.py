"""autograd.vmap: a per-point function replayed over a batch equals eager mode's sum of per-point graphs.

Every op of the table is checked in tests/test_ops.py (value and gradient against eager); here: the MLP
as micrograd and nn write it (values, gradients, the matrix products it becomes), shared arguments given
both ways, composition with eager ops, shape changes, the edges of the domain, and numpy missing.
"""

import math
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases import user_call
from random_programs import build
from random_programs import programs as random_programs

np = pytest.importorskip("numpy")

import nn  # noqa: E402
from autograd import BatchingError, Value, draw, no_grad, ops, sum_values, vmap  # noqa: E402
from autograd.engine import op_of  # noqa: E402

vmap_module = sys.modules["autograd.vmap"]


class SameGraphMLP:
    """micrograd's MLP op for op (``sum((wi*xi ...), b)``, relu between layers), weights from an nn.MLP."""

    def __init__(self, value, model):
        self.layers = [
            [([value(w.data) for w in n.w], value(n.b.data)) for n in layer.neurons] for layer in model.layers
        ]

    def parameters(self):
        return [p for layer in self.layers for ws, b in layer for p in [*ws, b]]

    def __call__(self, x):
        for i, layer in enumerate(self.layers):
            x = [sum((wi * xi for wi, xi in zip(ws, x)), b) for ws, b in layer]
            x = [v.relu() for v in x] if i < len(self.layers) - 1 else x
        return x[0]


def points(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=n), rng.normal(size=n), np.where(rng.random(n) < 0.5, -1.0, 1.0)


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-300)


def grad_error(ps, qs):
    """The largest difference of two gradient vectors, relative to the largest gradient (an exact 0 of
    eager mode, a dead ReLU, may come out as 1e-17 from a matrix product)."""
    return max(abs(p.grad - q.grad) for p, q in zip(ps, qs)) / max(abs(q.grad) for q in qs)


def test_the_micrograd_step_equals_eager_and_is_three_matrix_products():
    x0, x1, y = points(50)
    base = nn.MLP(2, [16, 16, 1], activation="relu", seed=1)
    a, b = SameGraphMLP(Value, base), SameGraphMLP(Value, base)
    f = vmap(lambda p, q, t: (1 + -t * a([p, q])).relu())
    total = f(x0, x1, y)
    total.backward()
    losses = [(1 + -t * b([Value(p), Value(q)])).relu() for p, q, t in zip(x0, x1, y)]
    eager = sum_values(losses)
    eager.backward()
    assert rel(total.data, eager.data) < 1e-12
    assert grad_error(a.parameters(), b.parameters()) < 1e-12
    assert np.allclose(f.outputs, [v.data for v in losses], rtol=1e-12, atol=0)
    # each layer's 16 (or 1) sums of products became one matrix product; relu runs on a layer at once
    assert [s for s in f.plan() if s.startswith("@")] == ["@ 16x2", "@ 16x16", "@ 1x16"]
    assert f.plan().count("relu x16") == 2


@pytest.mark.parametrize("fused", [True, False])
def test_nn_mlp_through_vmap_equals_eager_with_mean(fused):
    x0, x1, y = points(40, seed=2)
    m1 = nn.MLP(2, [8, 8, 1], activation="tanh", seed=3, fused=fused)
    m2 = nn.MLP(2, [8, 8, 1], activation="tanh", seed=3, fused=fused)
    total = vmap(lambda p, q, t: (1.0 - t * m1([p, q])[0]).relu(), reduce="mean")(x0, x1, y)
    eager = nn.hinge_loss([m2([p, q])[0] for p, q in zip(x0, x1)], list(y))
    total.backward()
    eager.backward()
    assert rel(total.data, eager.data) < 1e-12
    assert grad_error(m1.parameters(), m2.parameters()) < 1e-12


def test_shared_arguments_as_values_and_as_numbers_and_closures():
    w, c = Value(0.5), Value(-1.5)
    xs = [0.1, 0.7, -2.0]
    f = vmap(lambda x, w, k: (w * x + c) * k, in_axes=(0, None, None))
    total = f(xs, w, 3.0)
    total.backward()
    assert total.data == pytest.approx(3 * sum(0.5 * x - 1.5 for x in xs))
    assert w.grad == pytest.approx(3 * sum(xs)) and c.grad == pytest.approx(9.0)
    # a new shared Value in the same place: replayed with its data, its gradient filled
    v = Value(2.0)
    assert f(xs, v, 3.0).data == pytest.approx(3 * sum(2 * x - 1.5 for x in xs))
    # a different shared number is a different constant: traced again, never the old one
    assert f(xs, v, 1.0).data == pytest.approx(sum(2 * x - 1.5 for x in xs))


def test_the_result_composes_with_eager_ops_and_optimizers():
    w, v = nn.Parameter(1.0), nn.Parameter(1.0)
    x, y = np.array([1.0, 2.0, 3.0]), np.array([2.0, 4.0, 6.5])
    loss = vmap(lambda x, y: (w * x - y) ** 2, reduce="mean")(x, y).sqrt() * 2.0 + w * w  # eager ops after it
    eager = sum_values([(v * a - b) ** 2 for a, b in zip(x, y)]) * (1 / 3)
    eager = eager.sqrt() * 2.0 + v * v
    loss.backward()
    eager.backward()
    assert rel(loss.data, eager.data) < 1e-12 and rel(w.grad, v.grad) < 1e-12
    opt = nn.SGD([w], lr=0.1)
    f = vmap(lambda x, y: (w * x - y) ** 2, reduce="mean")
    for _ in range(50):
        opt.zero_grad()
        f(x, y).backward()
        opt.step()
    assert w.data == pytest.approx(sum(x * y) / sum(x * x), rel=1e-9)  # least squares


def test_a_node_of_its_own_that_draws_as_one(tmp_path):
    w = Value(1.0, label="w")

    def point_loss(x):
        return (w * x).tanh()

    total = vmap(point_loss)(np.linspace(0, 1, 60))
    assert total.children == (w,) and total.op == "vmap"
    assert op_of(total).formula() == "Σₙ point_loss(xₙ) over 60 points"
    source = draw(total * 2).source
    assert "Σₙ point_loss(xₙ) over 60 points" in source


def test_a_graph_that_changes_between_points_is_refused():
    f = vmap(lambda x: x.relu() if x.data > 0 else x * 2.0)
    with pytest.raises(BatchingError, match=r"point 2 differs.*Python `if` on \.data"):
        f([1.0, 2.0, -1.0])


def test_more_arguments_trace_again():
    w = Value(2.0)
    f = vmap(lambda *xs: w * sum_values(xs))
    assert f([1.0, 2.0]).data == 6.0
    assert f([1.0, 2.0], [3.0, 4.0]).data == 20.0
    assert len(f._programs) == 2


def test_errors_name_what_is_wrong():
    with pytest.raises(ValueError, match="reduce must be 'sum' or 'mean', got 'max'"):
        vmap(lambda x: x, reduce="max")
    f = vmap(lambda x, y: x * y)
    with pytest.raises(ValueError, match="differ in length: 2 and 3"):
        f([1.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(TypeError, match=r"batched argument 0 must be a sequence or 1-d array of numbers"):
        f([Value(1.0)], [2.0])
    with pytest.raises(ValueError, match="the batch is empty"):
        f([], [])
    with pytest.raises(TypeError, match=r"must return a Value, got 3\.0"):
        vmap(lambda x: 3.0)([1.0])
    with pytest.raises(ValueError, match="an axis must be 0"):
        vmap(lambda x: x, in_axes=1)


def test_create_graph_through_vmap_is_refused():
    w = Value(1.0)
    total = vmap(lambda x: w * w * x)([1.0, 2.0])
    with pytest.raises(NotImplementedError, match=r"create_graph=True. through vmap is not supported"):
        total.backward(create_graph=True)


def test_the_edge_of_a_domain_gives_eager_modes_error_and_values():
    w = Value(1.0)
    with pytest.raises(ValueError, match=r"log: input must be positive, got 0\.0"):
        vmap(lambda x: (w * x).log())([1.0, 0.0])
    # sqrt at 0: the value is 0 and the slope infinite; through w * 0 the gradient is inf * 0, NaN, as eager says
    total = vmap(lambda x: (w * x).sqrt())([0.0, 4.0])
    total.backward()
    v = Value(1.0)
    eager = sum_values([(v * x).sqrt() for x in (0.0, 4.0)])
    eager.backward()
    assert total.data == eager.data == 2.0 and math.isnan(w.grad) and math.isnan(v.grad)


def test_under_no_grad_the_result_is_a_leaf():
    w = Value(3.0)
    with no_grad():
        total = vmap(lambda x: w * x)([1.0, 2.0])
    assert total.data == 9.0 and total.is_leaf


def test_an_op_without_a_batched_form_runs_eagerly_with_a_warning():
    branchy = ops.Op("branchy", 1, lambda x: x if x > 0.0 else 0.0, lambda m, y, x: (1.0,), "branchy({0})")
    with pytest.raises(NotImplementedError, match="the op 'branchy' has no batched form"):
        vmap_module.batched_value(branchy)
    w = Value(1.0)
    from autograd import apply

    f = vmap(lambda x: apply(branchy, w * x))
    with pytest.warns(vmap_module.BatchingWarning, match="runs eagerly"):
        total = f([1.0, -2.0, 3.0])
    total.backward()
    assert total.data == 4.0 and w.grad == 2.0  # the rule says 1 everywhere: 1 - 2 + 3


def test_every_op_of_the_table_has_a_batched_form():
    for op in ops.OPS:
        vmap_module.batched_value(op)  # raises NotImplementedError naming the op


def test_without_numpy_import_autograd_works_and_vmap_says_what_to_install():
    code = (
        "import sys; sys.modules['numpy'] = None\n"
        "import autograd\n"
        "f = autograd.vmap(lambda x: x)\n"
        "try:\n"
        "    f([1.0])\n"
        "except ImportError as e:\n"
        "    print(e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install numpy" in out


def test_vmap_names_pip_install_numpy_when_the_import_fails(monkeypatch):
    import builtins

    real = builtins.__import__

    def no_numpy(name, *args, **kwargs):
        if name == "numpy" or name.startswith("numpy."):
            raise ImportError("No module named 'numpy'")
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_numpy)
    with pytest.raises(ImportError, match=r"autograd.vmap needs numpy.*pip install numpy"):
        vmap(lambda x: x)([1.0])


@pytest.mark.parametrize("steps", [6])
def test_the_moons_demo_trains_the_same_through_vmap_and_eagerly(steps):
    from demos import moons

    points, labels = moons.make_moons()
    runs = []
    for eager in (False, True):
        model = nn.MLP(2, [16, 16, 1], activation="relu", seed=1337)
        runs.append((moons.train(model, points, labels, steps=steps, eager=eager), model.parameters()))
    (losses, accuracies), params = runs[0]
    (eager_losses, eager_accuracies), eager_params = runs[1]
    assert accuracies == eager_accuracies
    assert max(rel(a, b) for a, b in zip(losses, eager_losses)) < 1e-12
    assert max(abs(p.data - q.data) for p, q in zip(params, eager_params)) < 1e-12


def test_a_shared_term_of_the_per_point_loss_is_computed_once_per_call():
    """micrograd's L2 term written inside the per-point loss: the mean over the points of hinge + L2 is the
    mean hinge + L2, and vmap computes the term once per call (a plan of its own), not per point."""
    base = nn.MLP(2, [16, 16, 1], activation="relu", seed=1)
    a, b = SameGraphMLP(Value, base), SameGraphMLP(Value, base)
    ps, qs = a.parameters(), b.parameters()
    f = vmap(lambda p, q, t: (1 + -t * a([p, q])).relu() + 1e-4 * sum(w * w for w in ps), reduce="mean")
    for n in (7, 60):
        x0, x1, y = points(n, seed=n)
        total = f(x0, x1, y)
        losses = [(1 + -t * b([Value(p), Value(q)])).relu() for p, q, t in zip(x0, x1, y)]
        eager = sum(losses) * (1.0 / n) + 1e-4 * sum(w * w for w in qs)
        for p in ps + qs:
            p.grad = 0.0
        total.backward()
        eager.backward()
        assert rel(total.data, eager.data) < 1e-12 and grad_error(ps, qs) < 1e-12
    # 337 squares at once, their sum as one product with a row of ones, and the factor: three steps, for any N
    assert [s for s in f.plan() if s.startswith("shared")] == ["shared * x337", "shared @ 1x337", "shared * x1"]


def test_relus_value_and_derivative_share_one_mask():
    """The generated program compares each relu's operand with 0 once (its value and its 0/1 derivative read
    the same mask), and applies the derivative as g * ~mask, with no where() in the backward pass."""
    base = nn.MLP(2, [16, 16, 1], activation="relu", seed=1)
    a = SameGraphMLP(Value, base)
    f = vmap(lambda p, q, t: (1 + -t * a([p, q])).relu())
    f(*points(10))
    forward, backward = f.source().split("if not backward")
    assert f.plan().count("relu x16") == 2 and f.plan().count("relu x1") == 1
    assert forward.count("less_equal(") == 3 and backward.count("less_equal(") == 0
    assert backward.count("invert(") == 3 and "where" not in backward


def test_check_true_traces_every_call_again():
    def branchy(x):
        return x * 2.0 if x.data > 0 else x * 3.0  # the constant depends on the data

    positive, mixed = [1.0, 2.0, 3.0], [1.0, -2.0, 3.0]
    unchecked = vmap(branchy)
    unchecked(positive)
    assert unchecked(mixed).data == 4.0  # the documented limit: the traced graph, 2x for every point
    checked = vmap(branchy, check=True)
    assert checked(positive).data == 12.0
    with pytest.raises(BatchingError, match="point 1 differs from the one traced"):
        checked(mixed)
    # a closed-over Value replaced by another one since the trace: replayed with the old one unless checked
    holder = [Value(2.0)]
    stale, fresh = vmap(lambda x: holder[0] * x), vmap(lambda x: holder[0] * x, check=True)
    stale([1.0, 2.0])
    fresh([1.0, 2.0])
    holder[0] = Value(3.0)
    assert stale([1.0, 2.0]).data == 6.0
    with pytest.raises(BatchingError, match="reads a Value that was replaced"):
        fresh([1.0, 2.0])
    with pytest.raises(TypeError, match="check must be True or False, got 1"):
        vmap(branchy, check=1)


def test_buffers_are_kept_between_calls_and_remade_for_a_new_batch_size():
    w = [Value(0.5), Value(-1.5)]
    f = vmap(lambda x, y: (w[0] * x + w[1] * y).relu() * x)
    results = {}
    for n in (50, 30, 50, 30):
        x, y, _ = points(n, seed=n)
        total = f(x, y)
        expected = sum(max(0.5 * p - 1.5 * q, 0.0) * p for p, q in zip(x, y))
        assert total.data == pytest.approx(expected, rel=1e-12)
        outputs = results.setdefault(n, f.outputs)
        assert np.array_equal(outputs, f.outputs)  # an earlier call's outputs are its own, not a buffer's
        results[n] = f.outputs


def test_threads_calling_one_vmapped_function_get_their_own_results():
    import threading

    w = Value(0.7)
    f = vmap(lambda x: (w * x).tanh() ** 2)
    f(np.linspace(-1, 1, 200))
    errors = []

    def work(seed):
        for k in range(20):
            x = np.random.default_rng(seed * 100 + k).normal(size=200 + seed)
            total = f(x)
            expected = sum(math.tanh(0.7 * p) ** 2 for p in x)
            if abs(total.data - expected) > 1e-9 * abs(expected):
                errors.append((seed, k, total.data, expected))

    threads = [threading.Thread(target=work, args=(s,)) for s in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors


def run(program, leaves):
    """A random program (every op of the table) over leaves, as a user writes each op."""
    return build(program, leaves, lambda op, *a: user_call(op)(*a), lambda v: v.sigmoid())


programs = random_programs(max_size=25)


@settings(max_examples=150, deadline=None)
@given(programs, st.lists(st.floats(-2.0, 2.0), min_size=2, max_size=2), st.integers(1, 40))
def test_random_programs_over_shared_and_batched_values_equal_eager(program, shared, n):
    """Random graphs over two shared Values and two batched arguments (sums of products become matrix products,
    shared nodes a plan of their own, gathers and repeated rows): the sum and the shared gradients equal eager
    mode's sum of the per-point graphs (the order of additions differs: within 1e-9 of the largest term)."""
    x, y, _ = points(n, seed=len(program))
    s, t = [Value(v) for v in shared], [Value(v) for v in shared]
    f = vmap(lambda p, q: run(program, [s[0], p, s[1], q]))
    total = f(x, y)
    total.backward()
    outs = [run(program, [t[0], Value(p), t[1], Value(q)]) for p, q in zip(x, y)]
    eager = sum_values(outs)
    eager.backward()
    scale = max([abs(o.data) for o in outs] + [1.0])
    assert abs(total.data - eager.data) <= 1e-9 * scale * n, (total.data, eager.data)
    for a, b in zip(s, t):
        assert abs(a.grad - b.grad) <= 1e-9 * max(abs(b.grad), 1.0), (a.grad, b.grad, f.plan())
