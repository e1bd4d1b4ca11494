"""Compiled replay against eager mode: every op bit for bit, random graphs, the MLP, the RNN,
retracing, check=True, domain errors, and the documented limits."""

import math
import random
import struct
import sys
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from op_cases import CASES, arity, user_call
from random_programs import STEPS, build
from random_programs import programs as random_programs

import nn
from autograd import AnomalyError, GraphChanged, Value, detect_anomaly, logsumexp, no_grad, sum_values
from autograd import compile as ag_compile
from autograd.compile import SOURCE_AFTER, clear_cache

compile_module = sys.modules["autograd.compile"]
# source_after for each tier: replays from the tape only, or from generated source from the second call on
TIERS = {"tape": 10**9, "source": 0}


def compiled_in(tier, fn, **kwargs):
    """fn compiled to replay in one tier. The cache of shapes is cleared first, so that a program made earlier
    for the same shape (in the other tier) does not decide it."""
    clear_cache()
    return ag_compile(fn, source_after=TIERS[tier], **kwargs)


def bits(x):
    """A float's 64 bits (all NaNs alike), so that 0.0 and -0.0 differ and NaN equals NaN."""
    return "nan" if x != x else struct.pack("<d", x)


def run(fn, xs, seed_grads=None):
    """fn (eager or compiled) at xs, after seeding the leaves' grads: (value, leaf grads)."""
    vs = [Value(x) for x in xs]
    if seed_grads:
        for v, g in zip(vs, seed_grads):
            v.grad = g
    out = fn(*vs)
    out.backward()
    return out.data, [v.grad for v in vs]


def assert_bit_identical(fn, points, seed_grads=None):
    """Trace at the first point; at every point the replay equals eager mode to the last bit, in both tiers
    (the tape, and the generated source)."""
    for tier in TIERS:
        fast = compiled_in(tier, fn)
        for xs in points:
            data_e, grads_e = run(fn, xs, seed_grads)
            data_c, grads_c = run(fast, xs, seed_grads)
            assert bits(data_c) == bits(data_e), (tier, xs, data_c, data_e)
            assert list(map(bits, grads_c)) == list(map(bits, grads_e)), (tier, xs, grads_c, grads_e)
        if len(points) > 1:
            assert fast.tier(len(points[0])) == tier


# Ways to write ops that the table's cases (op_cases.CASES, each op as a user calls it) do not show: numbers on
# either side, a node used twice, an op of one operand, an infinite operand.
SPELLINGS = {
    "add_number": (lambda a: 1.5 + a, 1),
    "mul_self": (lambda a: a * a, 1),
    "neg_sub": (lambda a, b: 2.0 - a - b, 2),
    "rpow": (lambda a: 2.0**a, 1),
    "pow_half_of_abs": (lambda a: abs(a) ** 0.5, 1),
    "sum_one": (lambda a: sum_values([a]), 1),
    "sum_repeated": (lambda a, b, c: sum_values([a, b * c, c, a]), 3),
    "logsumexp_inf": (lambda a, b: logsumexp([a * math.inf, b]), 2),
}
EVERY_OP = {op.title: (user_call(op), arity(op)) for op in CASES} | SPELLINGS


@pytest.mark.parametrize("name", sorted(EVERY_OP))
def test_every_op_is_bit_identical_to_eager(name):
    """Every op of the table (and the spellings above): if engine.py or the table changes an op's value or local
    derivative and compile.py does not follow, this test fails."""
    fn, arity = EVERY_OP[name]
    op = STEPS.get(name)
    rng = random.Random(name)
    spans = [(-3.0, 3.0)] * arity if op is None else op.samples * arity if op.arity < 0 else op.samples
    points = [[rng.uniform(lo, hi) for lo, hi in spans] for _ in range(25)]  # inside the domain
    points += [[rng.uniform(-3.0, 3.0) for _ in range(arity)] for _ in range(10)]  # and around it
    points += [[0.0] * arity, [-0.0] * arity, [1.0] * arity, [-1.0] * arity, [0.5, -2.0, 3.0][:arity]]
    points = [xs for xs in points if _eager_ok(fn, xs)]
    assert len(points) > 20  # the test really compares many points
    assert_bit_identical(fn, points)
    # gradients already in the leaves: eager adds this pass's sum to them at the end, and so does the replay
    assert_bit_identical(fn, points, seed_grads=[0.1, -7.3, 1e-17][:arity])


def _eager_ok(fn, xs):
    try:
        fn(*[Value(x) for x in xs])
        return True
    except (ValueError, OverflowError):
        return False


def test_relu_and_abs_derivatives_follow_the_current_data():
    fast = ag_compile(lambda a: a.relu() + abs(a) * 3.0)
    x = Value(2.0)
    fast(x).backward()
    assert x.grad == 4.0
    for data, grad in [(-2.0, -3.0), (0.0, 0.0), (5.0, 4.0)]:
        x = Value(data)
        r = fast(x)
        r.backward()
        assert (r.data, x.grad) == (max(data, 0.0) + 3.0 * abs(data), grad)


# ---- random expression graphs, eager against compiled ----

points = st.lists(st.floats(-2.0, 2.0), min_size=4, max_size=4)


@settings(max_examples=120, deadline=None)
@given(random_programs(max_size=25), st.lists(points, min_size=2, max_size=4), st.integers(1, 4))
def test_random_graphs_equal_eager_to_the_last_bit(program, data, n_leaves):
    """Traced at the first point, replayed at the others: ops with kinks switch sides between points."""

    def fn(*vs):
        return build(program, vs, lambda op, *a: user_call(op)(*a), lambda v: v.sigmoid())

    assert_bit_identical(fn, [xs[:n_leaves] for xs in data])


# ---- models: the MLP and the RNN ----


def test_mlp_parameters_captured_from_the_model_equal_eager():
    model = nn.MLP(2, [16, 16, 1], activation="relu", seed=3)
    params = model.parameters()

    def loss(x0, x1, y):
        return (1.0 - y * model([x0, x1])[0]).relu()

    clear_cache()
    fast = ag_compile(loss, source_after=25)  # the tape for the first 25 replays, then the generated source
    rng = random.Random(0)
    batch = [(rng.uniform(-2, 2), rng.uniform(-2, 2), rng.choice([-1.0, 1.0])) for _ in range(20)]
    tiers = []
    for _ in range(3):
        grads = {}
        for mode in ("eager", "compiled"):
            for p in params:
                p.grad = 0.0
            f = loss if mode == "eager" else fast
            datas = []
            for x0, x1, y in batch:
                r = f(Value(x0), Value(x1), Value(y))
                r.backward()
                datas.append(r.data)
            grads[mode] = (datas, [p.grad for p in params])
        assert list(map(bits, grads["compiled"][0])) == list(map(bits, grads["eager"][0]))
        assert list(map(bits, grads["compiled"][1])) == list(map(bits, grads["eager"][1]))
        assert any(grads["eager"][1])  # the comparison is not between zeros
        for p in params:
            p.data -= 0.05 * p.grad  # the replay must see the updated weights
        tiers.append(fast.tier(3))
    assert tiers == ["tape", "source", "source"]


def test_mlp_parameters_passed_as_arguments_equal_eager():
    model = nn.MLP(3, [4, 2], activation="tanh", out_activation="sigmoid", seed=1)
    params = model.parameters()

    # Eager reference: the same graph built on the model's own Parameters, grads read from them.
    def eager(xs):
        for p in params:
            p.grad = 0.0
        out = model(xs)
        r = out[0] * out[1]
        r.backward()
        return r.data, [p.grad for p in params]

    def on_params(x0, x1, x2, *ps):
        out = _mlp_on(model, ps, [x0, x1, x2])
        return out[0] * out[1]

    fast = ag_compile(on_params)
    for xs in ([0.1, -0.2, 0.3], [1.0, 2.0, -3.0], [-0.5, 0.0, 0.25]):
        data_e, grads_e = eager(xs)
        leaves = [Value(p.data) for p in params]
        r = fast(*map(Value, xs), *leaves)
        r.backward()
        assert bits(r.data) == bits(data_e)
        assert list(map(bits, (v.grad for v in leaves))) == list(map(bits, grads_e))


def _mlp_on(model, ps, x):
    """model's forward pass with its weights replaced, in order, by the Values ps (same graph as model(x))."""
    it = iter(ps)
    for layer in model.layers:
        out = []
        for neuron in layer.neurons:
            w = [next(it) for _ in neuron.w]
            z = sum_values([wi * xi for wi, xi in zip(w, x)] + [next(it)])
            out.append(getattr(z, neuron.activation)() if neuron.activation != "linear" else z)
        x = out
    return x


@pytest.mark.parametrize("tier", TIERS)
def test_rnn_training_steps_equal_eager(tier):
    """BPTT through the notes' 'hello' RNN, with cross-entropy (log-softmax, logsumexp): several
    Adagrad steps eagerly and compiled give the same losses and weights to the last bit."""
    vocab, word = "helo", "hello"
    xs = [[1.0 if c == ch else 0.0 for c in vocab] for ch in word[:-1]]
    targets = [vocab.index(c) for c in word[1:]]

    def train(compiled):
        rnn = nn.RNN(4, 6, 4, seed=2)
        params = rnn.parameters()
        opt = nn.Adagrad(params, lr=0.1)

        def loss(*ps):
            outputs, _ = rnn(xs)
            return sum_values([nn.cross_entropy(y, k) for y, k in zip(outputs, targets)])

        f = compiled_in(tier, loss) if compiled else loss
        losses = []
        for _ in range(5):
            r = f(*params)
            opt.zero_grad()
            r.backward()
            opt.step()
            losses.append(r.data)
        return losses, [p.data for p in params]

    losses_e, params_e = train(False)
    losses_c, params_c = train(True)
    assert losses_e[-1] < losses_e[0]  # it trains
    assert list(map(bits, losses_c)) == list(map(bits, losses_e))
    assert list(map(bits, params_c)) == list(map(bits, params_e))


def test_rnn_hidden_state_passed_in_stops_the_gradient_there():
    """A non-leaf argument is an input of the program: its .grad is filled, its graph is not followed."""
    cell = nn.RNNCell(2, 3, seed=0)
    fast = ag_compile(lambda x0, x1, h0, h1, h2: sum_values(cell([x0, x1], [h0, h1, h2])))
    a = Value(0.3)
    h = [a * 1.0, a * 2.0, a * -1.0]  # not leaves
    r = fast(Value(1.0), Value(0.0), *h)
    r.backward()
    hs = [Value(v.data) for v in h]
    e = sum_values(cell([Value(1.0), Value(0.0)], hs))
    e.backward()
    assert [v.grad for v in h] == [v.grad for v in hs] and any(v.grad for v in hs)
    assert a.grad == 0.0


# ---- retracing, check=True and the limit of replay ----


def test_a_new_number_of_leaves_traces_a_new_program_and_keeps_the_old():
    fast = ag_compile(lambda *xs: sum_values([x * x for x in xs]))
    a, b, c = Value(1.0), Value(2.0), Value(3.0)
    assert fast(a, b).data == 5.0
    r = fast(a, b, c)
    assert r.data == 14.0
    r.backward()
    assert (a.grad, b.grad, c.grad) == (2.0, 4.0, 6.0)
    assert fast(c, a).data == 10.0
    assert fast.source(2) != fast.source(3)
    with pytest.raises(KeyError, match="no program for 4 leaves"):
        fast.source(4)


def test_the_tape_replays_until_the_source_pays_for_itself():
    fast = ag_compile(lambda a, b: (a * b).tanh() + a, source_after=3)
    assert fast.source_after == 3 and ag_compile(lambda a: a).source_after == SOURCE_AFTER
    a, b = Value(0.5), Value(2.0)
    fast(a, b)  # the trace: its result is the graph fn built
    tiers = []
    for k in range(5):
        a.data = 0.1 * k
        r = fast(a, b)
        tiers.append(fast.tier(2))
        assert r.data == math.tanh(0.1 * k * 2.0) + 0.1 * k
    assert tiers == ["tape", "tape", "tape", "source", "source"]
    with pytest.raises(TypeError, match=r"source_after must be an int >= 0 .*, got -1"):
        ag_compile(lambda a: a, source_after=-1)
    with pytest.raises(KeyError, match="no program for 1 leaves yet"):
        fast.tier(1)


def test_a_second_trace_of_the_same_shape_reuses_the_program():
    """Two models of one architecture, compiled apart: the second trace finds the first one's program (and its
    source), and each replays with its own weights."""
    clear_cache()
    models = [nn.MLP(2, [3, 1], activation="relu", seed=seed) for seed in (1, 2)]
    fns = [lambda x0, x1, m=m: m([x0, x1])[0].tanh() for m in models]
    first = ag_compile(fns[0], source_after=0)
    first(Value(0.1), Value(0.2))
    first(Value(0.3), Value(0.4))
    assert first.tier(2) == "source"
    second = ag_compile(fns[1], source_after=0)
    r = second(Value(0.3), Value(0.4))
    assert second.tier(2) == "source" and second._programs[2][0] is first._programs[2][0]
    for fn, fast in zip(fns, (first, second)):
        leaves, copies = [Value(0.7), Value(-0.2)], [Value(0.7), Value(-0.2)]
        r, e = fast(*leaves), fn(*copies)
        r.backward()
        e.backward()
        assert bits(r.data) == bits(e.data) and [v.grad for v in leaves] == [v.grad for v in copies]
    assert first(Value(0.7), Value(-0.2)).data != second(Value(0.7), Value(-0.2)).data  # their own weights
    # another constant is another number read from the leaf, not another shape
    third = ag_compile(lambda x0, x1: (x0 * 3.0 + x1).tanh())
    fourth = ag_compile(lambda x0, x1: (x0 * 5.0 + x1).tanh())
    third(Value(1.0), Value(0.0))
    fourth(Value(1.0), Value(0.0))
    assert third._programs[2][0] is fourth._programs[2][0]
    assert (third(Value(1.0), Value(0.0)).data, fourth(Value(1.0), Value(0.0)).data) == (math.tanh(3.0), math.tanh(5.0))


def test_the_cache_of_shapes_keeps_the_most_recent_within_its_budget(monkeypatch):
    clear_cache()
    monkeypatch.setattr(compile_module, "_CACHE_NODES", 40)
    functions = []
    for length in range(1, 8):  # chains of 2 * length + 1 nodes (x, a constant and a product per link)

        def chain(x, length=length):
            for _ in range(length):
                x = x * 1.5
            return x

        fast = ag_compile(chain)
        fast(Value(1.0))
        functions.append((fast, length))
    sizes = [p.size for p in compile_module._CACHE.values()]
    assert sum(sizes) <= 40 and sizes == [2 * k + 1 for k in range(7 - len(sizes) + 1, 8)]  # the oldest dropped
    for fast, length in functions:  # a compiled function keeps its own program
        assert fast(Value(2.0)).data == 2.0 * 1.5**length


def test_threads_replaying_one_program_while_it_is_generated():
    """Many threads replay one shared program across the switch from the tape to the source: every result is
    eager mode's."""
    clear_cache()
    fast = ag_compile(lambda a, b: (a * b + a).sigmoid(), source_after=20)
    fast(Value(0.1), Value(0.2))
    errors = []

    def work(seed):
        rng = random.Random(seed)
        for _ in range(30):
            x, y = rng.uniform(-2, 2), rng.uniform(-2, 2)
            a, b, c, d = Value(x), Value(y), Value(x), Value(y)
            r, e = fast(a, b), (c * d + c).sigmoid()
            r.backward()
            e.backward()
            if (bits(r.data), bits(a.grad), bits(b.grad)) != (bits(e.data), bits(c.grad), bits(d.grad)):
                errors.append((x, y))

    threads = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and fast.tier(2) == "source"


def shape_depends_on_data(x):
    if x.data > 0:  # a Python `if` on the data: the graph has another shape for x <= 0
        return x * x
    return x.tanh()


def test_without_check_a_data_dependent_graph_replays_the_traced_branch():
    """The documented limit: the replay repeats the traced graph, whatever the data says now."""
    fast = ag_compile(shape_depends_on_data)
    fast(Value(2.0))
    assert fast(Value(-2.0)).data == 4.0  # x * x, not tanh(-2)


def test_check_mode_catches_a_shape_change():
    fast = ag_compile(shape_depends_on_data, check=True)
    x = Value(2.0)
    r = fast(x)
    r.backward()
    assert (r.data, x.grad) == (4.0, 4.0)
    assert fast(Value(3.0)).data == 9.0  # same shape: replayed
    with pytest.raises(GraphChanged, match=r"node 1 was op '\*' of nodes \[0, 0\], now op 'tanh' of nodes \[0\]"):
        fast(Value(-2.0))


def test_check_mode_catches_a_constant_computed_from_the_data():
    fast = ag_compile(lambda x: x * (2.0 if x.data > 0 else 3.0), check=True)
    fast(Value(1.0))
    with pytest.raises(GraphChanged, match=r"constant that was 2\.0, now 3\.0"):
        fast(Value(-1.0))


def test_check_mode_catches_a_different_number_of_nodes():
    fast = ag_compile(lambda x: x.relu() if x.data > 0 else x.relu().relu(), check=True)
    fast(Value(1.0))
    with pytest.raises(GraphChanged, match="it had 2 nodes, now 3"):
        fast(Value(-1.0))


# ---- errors, domain edges and modes ----


@pytest.mark.parametrize(
    "fn, x, error, message",
    [
        (lambda x: x.log(), -1.0, ValueError, "log: input must be positive, got -1.0"),
        (lambda x: x.log(), 0.0, ValueError, "log: input must be positive, got 0.0"),
        (lambda x: x**-1, 0.0, ValueError, r"\*\*-1: 0 to a negative power is undefined"),
        (lambda x: 1.0 / x, 0.0, ValueError, r"/: division by zero"),
        (lambda x: x**0.5, -4.0, ValueError, r"\*\*0.5: a negative base to a non-integer power is not real"),
        (lambda x: x ** Value(0.5), -4.0, ValueError, r"\*\*: with a Value exponent the base must be positive"),
    ],
)
def test_domain_errors_in_a_replay_are_the_engines_own(fn, x, error, message):
    fast = ag_compile(fn)
    fast(Value(2.0))  # traced on good data
    with pytest.raises(error, match=message):
        fast(Value(x))


@pytest.mark.parametrize("fn, x", [(lambda x: x.exp(), 1000.0), (lambda x: x**2, 1e200), (lambda x: x**-1, 1e-200)])
def test_overflow_in_a_replay_is_the_engines_infinity(fn, x):
    fast = ag_compile(fn)
    fast(Value(2.0))  # traced on good data
    leaf, eager_leaf = Value(x), Value(x)
    r, e = fast(leaf), fn(eager_leaf)
    r.backward()
    e.backward()
    assert (r.data, leaf.grad) == (e.data, eager_leaf.grad)
    assert math.isinf(r.data) or math.isinf(leaf.grad)


def test_edge_of_a_domain_replays_as_eager():
    # sqrt at 0: the engine gives the local derivative +inf, where Python's float ** would raise
    fast = ag_compile(lambda x: x**0.5)
    fast(Value(4.0))
    x = Value(0.0)
    r = fast(x)
    r.backward()
    assert (r.data, x.grad) == (0.0, math.inf)
    # after a fallback the next call replays again
    x = Value(9.0)
    r = fast(x)
    r.backward()
    assert (r.data, x.grad) == (3.0, 1.0 / 6.0)


def test_bad_arguments_and_results_are_type_errors():
    with pytest.raises(TypeError, match="fn must be callable, got 3"):
        ag_compile(3)
    with pytest.raises(TypeError, match="check must be True or False, got 'yes'"):
        ag_compile(lambda x: x, check="yes")
    fast = ag_compile(lambda x: x * 2.0)
    with pytest.raises(TypeError, match=r"argument 0 must be a Value, got 2\.0 of type float"):
        fast(2.0)  # at the trace
    fast(Value(1.0))
    with pytest.raises(TypeError, match="argument 0 must be a Value, got '1' of type str"):
        fast("1")  # at a replay
    with pytest.raises(TypeError, match=r"must return a Value, got 2\.0"):
        ag_compile(lambda x: x.data * 2.0)(Value(1.0))
    r = fast(Value(1.0))
    with pytest.raises(TypeError, match="backward"):
        r.backward(True)
    with pytest.raises(NotImplementedError, match="create_graph"):
        r.backward(create_graph=True)


def test_backward_twice_and_with_a_seed_gradient_accumulate_like_eager():
    fast = ag_compile(lambda a, b: a * b + a)
    a, b = Value(3.0), Value(-2.0)
    r = fast(a, b)
    r.backward(2.0)
    r.backward()
    assert (a.grad, b.grad) == (3.0 * (-2.0 + 1.0), 3.0 * 3.0)


def test_output_that_is_an_argument_or_a_constant():
    a, b = Value(3.0), Value(-2.0)
    r = ag_compile(lambda a, b: a)(a, b)
    r.backward()
    assert (r.data, a.grad, b.grad) == (3.0, 1.0, 0.0)
    assert ag_compile(lambda a: Value(7.0))(a).data == 7.0


def test_the_same_value_passed_twice():
    fast = ag_compile(lambda a, b: a * b.tanh())
    x = Value(0.7)
    r = fast(x, x)  # traced with a stand-in for the second x
    r.backward()
    y = Value(0.7)
    e = y * y.tanh()
    e.backward()
    assert r.data == e.data and x.grad == pytest.approx(y.grad, rel=1e-15)
    # the program has two inputs, so different Values replay correctly afterwards
    a, b = Value(2.0), Value(0.5)
    assert fast(a, b).data == 2.0 * math.tanh(0.5)


def test_no_grad_runs_eagerly_and_anomaly_mode_checks():
    fast = ag_compile(lambda x: x * 1e308 * 10.0)
    x = Value(0.0)
    fast(x)
    with no_grad():
        r = fast(x)
        r.backward()
    assert (r.data, x.grad) == (0.0, 0.0)  # no graph: no gradient, as eagerly
    assert fast(Value(1.0)).data == math.inf  # a replay does not look for infinities...
    # ...but in anomaly mode the call runs eagerly, with the checks
    with detect_anomaly(), pytest.raises(AnomalyError, match="produced the value inf"):
        fast(Value(1.0))


@pytest.mark.parametrize("constant", [math.inf, -math.inf, math.nan, 1e308, 5e-324])
def test_non_finite_and_extreme_constants_replay_bit_equal(constant):
    """Generated code writes every float exactly: an exponent of inf, a constant NaN."""
    fns = [lambda x: x**constant, lambda x: x * constant + x, lambda x: (x - constant).relu()]
    for fn in fns:
        fast = ag_compile(fn)
        for data in (0.5, 2.0, 0.25):
            x, y = Value(data), Value(data)
            try:
                e = fn(y)
            except ArithmeticError as error:  # the compiled call raises the engine's own error too
                with pytest.raises(type(error)):
                    fast(x)
                continue
            e.backward()
            r = fast(x)
            r.backward()
            assert bits(r.data) == bits(e.data) and bits(x.grad) == bits(y.grad), (constant, data, fast.source(1))


def test_the_generated_source_names_each_node_as_the_pictures_do():
    a, b, c = Value(3.0, label="a"), Value(1.0, label="b"), Value(-2.0, label="c")
    f = ag_compile(lambda a, b, c: c * (a + 2 * b))
    f(a, b, c)
    source = f.source(3)
    for comment in ("# a", "# b", "# c", "# 2", "# d = 2b", "# e = a + d", "# L = c·e"):
        assert any(line.endswith(comment) for line in source.splitlines()), (comment, source)
    # a label with a newline or a NUL stays one comment line, and the program still compiles
    g = ag_compile(lambda x: x * x)
    assert g(Value(0.5, label="two\nlines\x00")).data == 0.25
    assert "# two\\nlines\\x00" in g.source(1)


def test_two_functions_of_one_shape_share_the_program_and_each_source_names_its_own_nodes():
    """The cache gives both the same program; the comments of each one's source come from its own graph."""
    clear_cache()
    f, g = ag_compile(lambda p, q: (p * q).tanh()), ag_compile(lambda p, q: (p * q).tanh())
    f(Value(0.5, label="w"), Value(2.0, label="x"))
    f(Value(0.5, label="w"), Value(2.0, label="x"))
    g(Value(0.5, label="u"), Value(2.0, label="v"))
    assert g.tier(2) == "tape"
    f_source = f.source(2)  # generates the shared program's source: g replays it too
    assert g.tier(2) == "source"
    g_source = g.source(2)
    assert "# a = w·x" in f_source and "# L = tanh(a)" in f_source, f_source
    assert "# a = u·v" in g_source and "w" not in g_source.replace("while", ""), g_source
    r = g(Value(1.0), Value(3.0))
    assert r.data == math.tanh(3.0)
