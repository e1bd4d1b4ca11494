"""nn.RNN / RNNCell: BPTT against finite differences on every weight, a hand-written BPTT and torch float64;
truncated BPTT with detach keeps the graph bounded; sampling; the hello model converges; bad input."""

import math
import random

import pytest

from autograd import Value, log_softmax, no_grad, sum_values
from nn.rnn import RNN, RNNCell, detach, sample


def one_hot(i, n):
    return [1.0 if j == i else 0.0 for j in range(n)]


def seq_loss(rnn, xs, targets, h0=None):
    """Summed cross-entropy of the per-step logits: -sum_t log softmax(y_t)[target_t]."""
    outputs, _ = rnn(xs, h0)
    return sum_values([-log_softmax(y)[k] for y, k in zip(outputs, targets)])


def op_count(root):
    """The number of op nodes (non-leaves) in the graph below root."""
    seen, stack, ops = set(), [root], 0
    while stack:
        v = stack.pop()
        if id(v) not in seen:
            seen.add(id(v))
            stack.extend(v.children)
            ops += not v.is_leaf
    return ops


def small_problem(activation="tanh", seed=0):
    rng = random.Random(seed)
    rnn = RNN(3, 4, 3, activation=activation, seed=seed)
    # biases away from 0 so that no ReLU pre-activation sits on its kink
    for p in rnn.cell.b_h + rnn.b_y:
        p.data = rng.uniform(-0.5, 0.5)
    xs = [[rng.uniform(-1, 1) for _ in range(3)] for _ in range(5)]
    targets = [rng.randrange(3) for _ in range(5)]
    return rnn, xs, targets


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_bptt_matches_finite_differences_on_every_weight(activation):
    rnn, xs, targets = small_problem(activation)
    h0 = [0.3, -0.2, 0.1, 0.4]
    params = rnn.parameters()
    assert len(params) == 3 * 4 + 4 * 4 + 4 + 3 * 4 + 3
    rnn.zero_grad()
    seq_loss(rnn, xs, targets, h0).backward()
    eps = 1e-6
    for p in params:
        x0 = p.data
        with no_grad():
            p.data = x0 + eps
            up = seq_loss(rnn, xs, targets, h0).data
            p.data = x0 - eps
            down = seq_loss(rnn, xs, targets, h0).data
        p.data = x0
        assert p.grad == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-7), p.label


def test_bptt_equals_the_sum_of_per_step_contributions():
    """A hand-written backward pass (min-char-rnn style, plain floats) that adds each step's term explicitly."""
    rnn, xs, targets = small_problem("tanh", seed=3)
    H, V = 4, 3
    Wxh = [[p.data for p in row] for row in rnn.cell.W_xh]
    Whh = [[p.data for p in row] for row in rnn.cell.W_hh]
    Why = [[p.data for p in row] for row in rnn.W_hy]
    bh, by = [p.data for p in rnn.cell.b_h], [p.data for p in rnn.b_y]
    hs, ps = {-1: [0.0] * H}, {}
    for t, x in enumerate(xs):
        hs[t] = [
            math.tanh(sum(Wxh[i][j] * x[j] for j in range(3)) + sum(Whh[i][j] * hs[t - 1][j] for j in range(H)) + bh[i])
            for i in range(H)
        ]
        y = [sum(Why[k][i] * hs[t][i] for i in range(H)) + by[k] for k in range(V)]
        z = sum(math.exp(v) for v in y)
        ps[t] = [math.exp(v) / z for v in y]
    dWhh = [[0.0] * H for _ in range(H)]
    dhnext = [0.0] * H
    for t in reversed(range(len(xs))):
        dy = [ps[t][k] - (k == targets[t]) for k in range(V)]
        dh = [sum(Why[k][i] * dy[k] for k in range(V)) + dhnext[i] for i in range(H)]
        draw = [(1 - hs[t][i] ** 2) * dh[i] for i in range(H)]
        for i in range(H):
            for j in range(H):
                dWhh[i][j] += draw[i] * hs[t - 1][j]  # this step's contribution, summed over t
        dhnext = [sum(Whh[i][j] * draw[i] for i in range(H)) for j in range(H)]
    rnn.zero_grad()
    seq_loss(rnn, xs, targets).backward()
    for i in range(H):
        for j in range(H):
            assert rnn.cell.W_hh[i][j].grad == pytest.approx(dWhh[i][j], rel=1e-9, abs=1e-12)


def test_bptt_matches_torch_float64():
    torch = pytest.importorskip("torch")
    rnn, xs, targets = small_problem("tanh", seed=5)

    def t(rows):
        return torch.tensor([[p.data for p in row] for row in rows], dtype=torch.float64, requires_grad=True)

    Wxh, Whh, Why = t(rnn.cell.W_xh), t(rnn.cell.W_hh), t(rnn.W_hy)
    bh = torch.tensor([p.data for p in rnn.cell.b_h], dtype=torch.float64, requires_grad=True)
    by = torch.tensor([p.data for p in rnn.b_y], dtype=torch.float64, requires_grad=True)
    h = torch.zeros(4, dtype=torch.float64)
    loss = 0
    for x, k in zip(xs, targets):
        h = torch.tanh(Wxh @ torch.tensor(x, dtype=torch.float64) + Whh @ h + bh)
        loss = loss - torch.log_softmax(Why @ h + by, dim=0)[k]
    loss.backward()
    rnn.zero_grad()
    ours = seq_loss(rnn, xs, targets)
    ours.backward()
    assert ours.data == pytest.approx(loss.item(), rel=1e-12)
    for ours_rows, theirs in [(rnn.cell.W_xh, Wxh), (rnn.cell.W_hh, Whh), (rnn.W_hy, Why)]:
        for i, row in enumerate(ours_rows):
            for j, p in enumerate(row):
                assert p.grad == pytest.approx(theirs.grad[i, j].item(), rel=1e-9, abs=1e-12)
    for ours_b, theirs in [(rnn.cell.b_h, bh), (rnn.b_y, by)]:
        for i, p in enumerate(ours_b):
            assert p.grad == pytest.approx(theirs.grad[i].item(), rel=1e-9, abs=1e-12)


def test_rnn_is_the_cell_unrolled_and_returns_lists_of_lists():
    rnn = RNN(2, 3, 2, seed=1)
    xs = [[1.0, 0.0], [0.5, -1.0], [0.0, 2.0]]
    outputs, hiddens = rnn(xs)
    assert len(outputs) == len(hiddens) == 3
    assert all(len(y) == 2 and len(h) == 3 for y, h in zip(outputs, hiddens))
    assert all(isinstance(v, Value) for row in outputs + hiddens for v in row)
    h = None
    for x, h_rnn in zip(xs, hiddens):
        h = rnn.cell(x, h)
        assert [v.data for v in h] == [v.data for v in h_rnn]
    # one step by hand: h_1 = tanh(W_xh x_1 + b_h) from the zero state
    W, b = rnn.cell.W_xh, rnn.cell.b_h
    for i in range(3):
        assert hiddens[0][i].data == pytest.approx(math.tanh(W[i][0].data * 1.0 + b[i].data), abs=1e-15)
    # a one-step, one-output model still returns lists of lists
    outputs, hiddens = RNN(1, 1, 1, seed=0)([[0.5]])
    assert isinstance(outputs[0], list) and isinstance(hiddens[0], list)
    assert RNN(1, 1, 1, seed=0)([]) == ([], [])


def test_same_seed_same_weights_and_relu_cell():
    a, b = RNN(3, 5, 2, seed=7), RNN(3, 5, 2, seed=7)
    assert a.state_dict() == b.state_dict()
    assert a.state_dict() != RNN(3, 5, 2, seed=8).state_dict()
    cell = RNNCell(2, 3, activation="relu", seed=0)
    assert all(v.data >= 0.0 for v in cell([1.0, -1.0], [0.5, -0.5, 0.2]))


def test_truncated_bptt_with_detach_keeps_the_graph_bounded():
    rnn = RNN(4, 6, 4, seed=2)
    rng = random.Random(0)
    tokens = [rng.randrange(4) for _ in range(121)]
    chunk = 10
    sizes, full_sizes = [], []
    h, h_full = None, None
    for start in range(0, 120, chunk):
        xs = [one_hot(k, 4) for k in tokens[start : start + chunk]]
        targets = tokens[start + 1 : start + chunk + 1]
        loss = seq_loss(rnn, xs, targets, h)
        sizes.append(op_count(loss))
        _, hiddens = rnn(xs, h)
        h = detach(hiddens[-1])
        assert all(type(v) is float for v in h)
        # the same chunks without detach: the state's graph reaches back to the start
        _, hs_full = rnn(xs, h_full)
        h_full = hs_full[-1]
        full_sizes.append(op_count(h_full[0]))
    # every chunk after the first (which starts from h0=None) has exactly the same number of ops
    assert len(set(sizes[1:])) == 1 and sizes[0] < sizes[1]
    assert full_sizes[-1] > 10 * full_sizes[0] and full_sizes[-1] > 3 * sizes[-1]
    # gradients really stop at the cut: a chunk's loss does not depend on the weights through earlier chunks
    rnn.zero_grad()
    seq_loss(rnn, [one_hot(0, 4)], [1], h).backward()
    grads = [p.grad for p in rnn.parameters()]
    rnn.zero_grad()
    seq_loss(rnn, [one_hot(0, 4)], [1], [Value(v) for v in h]).backward()
    assert grads == [p.grad for p in rnn.parameters()]


def test_detach_returns_plain_floats_and_rejects_other_things():
    a = Value(1.5) * 2
    assert detach([a, 3]) == [3.0, 3.0]
    with pytest.raises(TypeError, match="detach"):
        detach(a)
    with pytest.raises(TypeError, match="'x'"):
        detach([a, "x"])


def test_sampling_is_deterministic_under_a_seed_and_follows_the_temperature():
    rnn = RNN(5, 8, 5, seed=4)
    rng = random.Random(3)
    for p in rnn.b_y:
        p.data = rng.uniform(-1, 1)
    assert sample(rnn, 2, 30, temperature=1.5, seed=11) == sample(rnn, 2, 30, temperature=1.5, seed=11)
    assert sample(rnn, 2, 30, temperature=1.5, seed=11) != sample(rnn, 2, 30, temperature=1.5, seed=12)
    assert sample(rnn, 2, 0, seed=1) == []
    # the first draw follows softmax(y_1 / T), computed here by hand
    outputs, _ = rnn([one_hot(2, 5)])
    T = 0.7
    z = [math.exp(y.data / T) for y in outputs[0]]
    probs = [v / sum(z) for v in z]
    rng = random.Random(0)
    n = 3000
    counts = [0] * 5
    for _ in range(n):
        counts[sample(rnn, 2, 1, temperature=T, rng=rng)[0]] += 1
    for c, p in zip(counts, probs):
        assert c / n == pytest.approx(p, abs=4 * math.sqrt(p * (1 - p) / n) + 1e-3)
    # a very low temperature is greedy: always the largest logit
    greedy = max(range(5), key=lambda k: outputs[0][k].data)
    assert {sample(rnn, 2, 1, temperature=1e-3, seed=s)[0] for s in range(20)} == {greedy}


def test_bad_input_is_rejected_with_a_clear_message():
    rnn = RNN(2, 3, 2, seed=0)
    with pytest.raises(TypeError, match=r"list of input vectors.*1\.0"):
        rnn(1.0)
    with pytest.raises(TypeError, match=r"input x must be a list of 2"):
        rnn([1.0, 0.0])  # one vector instead of a list of vectors
    with pytest.raises(ValueError, match=r"length 2, got length 3"):
        rnn([[1.0, 0.0, 0.0]])
    with pytest.raises(ValueError, match=r"h_prev must have length 3"):
        rnn([[1.0, 0.0]], h0=[0.0])
    with pytest.raises(TypeError, match=r"'a'"):
        rnn([[1.0, "a"]])
    with pytest.raises(ValueError, match=r"activation must be one of .*'sigmoid'"):
        RNN(2, 3, 2, activation="sigmoid")
    with pytest.raises(ValueError, match=r"n_hidden must be a positive int, got 0"):
        RNNCell(2, 0)
    with pytest.raises(ValueError, match=r"n_in == n_out"):
        sample(RNN(2, 3, 4, seed=0), 0, 3)
    with pytest.raises(ValueError, match=r"temperature must be a number > 0, got 0"):
        sample(rnn, 0, 3, temperature=0)
    with pytest.raises(ValueError, match=r"first must be a token index in \[0, 2\), got 5"):
        sample(rnn, 5, 3)


def test_hello_model_converges_from_a_fixed_seed():
    from demos import hello_rnn

    xs, targets = hello_rnn.training_pair()
    assert targets == [1, 2, 2, 3]  # e, l, l, o in the vocabulary h, e, l, o
    untrained = RNN(4, 3, 4, seed=0)
    assert hello_rnn.predictions(untrained, xs) != "ello"
    rnn, losses = hello_rnn.train(seed=0)
    assert len(losses) < 1000  # stopped because it converged, not because it ran out of steps
    assert hello_rnn.predictions(rnn, xs) == "ello"
    assert losses[-1] < 0.05 < 5.0 < losses[0]
    # the two l's differ only through the hidden state: after the first l comes l, after the second o
    probs = hello_rnn.step_probabilities(rnn)
    assert [c for c, _ in probs] == list("hell")
    assert probs[2][1][2] > 0.9 and probs[3][1][3] > 0.9
    for _, p in probs:
        assert sum(p) == pytest.approx(1.0)


def test_char_rnn_compiled_training_equals_eager_training():
    from demos import char_rnn

    text = char_rnn.load_text()
    assert not text.startswith("#") and text.startswith('"well, prince, so genoa and lucca')
    vocab = char_rnn.Vocab(text)
    assert vocab.decode(vocab.encode(text[:50])) == text[:50]
    # 8 steps of 8 characters over 40 characters: carries the hidden state from chunk to chunk and
    # wraps around to the start (and the zero state) after 4 chunks; bit for bit the same numbers
    kwargs = dict(steps=8, n_hidden=5, seq_len=8, seed=3)
    rnn_e, vocab_e, eager, _ = char_rnn.train(text[:40], compiled=False, **kwargs)
    rnn_c, _, compiled, _ = char_rnn.train(text[:40], compiled=True, **kwargs)
    assert eager == compiled
    assert rnn_e.state_dict() == rnn_c.state_dict()
    assert eager[0] == pytest.approx(math.log(len(vocab_e)), rel=0.2)  # about uniform at the start


def test_last_state_equals_the_detached_graph_state():
    from demos import char_rnn

    rnn = RNN(6, 4, 6, seed=9)
    inputs = [0, 3, 5, 5, 1]
    h0 = [0.2, -0.1, 0.0, 0.4]
    _, hiddens = rnn([one_hot(i, 6) for i in inputs], h0)
    assert char_rnn.last_state(rnn, inputs, h0) == detach(hiddens[-1])


@pytest.mark.parametrize("name", ["nn.rnn", "demos.char_rnn", "demos.neural_lm"])
def test_docstring_examples(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0


def test_vanishing_gradients_demo_measures_dL_dh_t():
    """Distance 0: dL/dh_T = W_hy^T (p - e_k); distance 1: W_hh^T diag(1 - h_T^2) dL/dh_T (by hand)."""
    from demos import vanishing_gradients as vg

    norms = vg.gradient_norms("tanh", seed=2, seq_len=6)
    assert len(norms) == 6
    # rebuild the same model and data, then do the two steps of the chain rule in plain floats
    rng = random.Random(1000 + 2)
    rnn = RNN(vg.N_IN, vg.N_HIDDEN, vg.N_OUT, activation="tanh", seed=2)
    xs = [[rng.uniform(-1, 1) for _ in range(vg.N_IN)] for _ in range(6)]
    k = rng.randrange(vg.N_OUT)
    outputs, hiddens = rnn(xs)
    y = [v.data for v in outputs[-1]]
    p = [math.exp(v) / sum(math.exp(u) for u in y) for v in y]
    d_y = [pi - (i == k) for i, pi in enumerate(p)]
    H = vg.N_HIDDEN
    d_hT = [sum(rnn.W_hy[i][j].data * d_y[i] for i in range(vg.N_OUT)) for j in range(H)]
    hT = [v.data for v in hiddens[-1]]
    d_a = [(1 - hT[i] ** 2) * d_hT[i] for i in range(H)]
    d_hprev = [sum(rnn.cell.W_hh[i][j].data * d_a[i] for i in range(H)) for j in range(H)]
    assert norms[0] == pytest.approx(math.sqrt(sum(g * g for g in d_hT)), rel=1e-12)
    assert norms[1] == pytest.approx(math.sqrt(sum(g * g for g in d_hprev)), rel=1e-12)
