"""The notes' feedforward neural LM (demos/neural_lm.py): the windows, the shapes, "students opened their"
-> "books", and cat/dog getting similar embeddings because they share contexts."""

import math

import pytest

from autograd import no_grad
from demos import neural_lm


@pytest.fixture(scope="module")
def trained():
    return neural_lm.train(seed=0)


def test_windows_are_the_three_previous_words():
    vocab = neural_lm.build_vocab(["a b c d"])
    assert vocab == ["<s>", "</s>", "a", "b", "c", "d"]
    pairs = neural_lm.windows(["a b c d"], vocab)
    # <s> <s> <s> -> a, <s> <s> a -> b, <s> a b -> c, a b c -> d, b c d -> </s>
    assert pairs == [([0, 0, 0], 2), ([0, 0, 2], 3), ([0, 2, 3], 4), ([2, 3, 4], 5), ([3, 4, 5], 1)]


def test_the_model_is_h_equals_f_of_V_times_the_concatenated_embeddings():
    lm = neural_lm.NeuralLM(7, dim=2, hidden=3, seed=1)
    context = [4, 0, 6]
    e = [v.data for w in context for v in lm.embedding(w)]
    with no_grad():
        logits = [y.data for y in lm(context)]
    # by hand: h = tanh(V e + b), y = W h + c, with the layers' own weights
    h = [math.tanh(sum(w.data * x for w, x in zip(n.w, e)) + n.b.data) for n in lm.hidden.neurons]
    expected = [sum(w.data * x for w, x in zip(n.w, h)) + n.b.data for n in lm.out.neurons]
    assert logits == pytest.approx(expected, rel=1e-12, abs=1e-12)
    # the same word in two positions uses the same embedding Parameters (one shared table)
    assert lm.embedding(4)[0] is lm.embedding(4)[0]


def test_students_opened_their_predicts_books(trained):
    model, vocab, losses = trained
    assert losses[-1] < losses[0] / 3
    probs = neural_lm.next_word_probs(model, vocab, "students opened their")
    assert max(probs, key=probs.get) == "books"
    assert sum(probs.values()) == pytest.approx(1.0)
    other = neural_lm.next_word_probs(model, vocab, "children opened their")
    assert max(other, key=other.get) == "presents"  # the first word of the window matters


def test_cat_and_dog_get_similar_embeddings(trained):
    model, vocab, _ = trained
    emb = {w: model.embedding(i) for i, w in enumerate(vocab)}
    sim = {w: neural_lm.cosine(emb["cat"], emb[w]) for w in vocab if w != "cat"}
    assert max(sim, key=sim.get) == "dog"
    assert sim["dog"] > 0.7
    # before training the two are unrelated: the similarity is what training put there
    untrained = neural_lm.NeuralLM(len(vocab), seed=0)
    before = neural_lm.cosine(untrained.embedding(vocab.index("cat")), untrained.embedding(vocab.index("dog")))
    assert before < 0.5


def test_dog_gets_fed_although_only_the_cat_was_seen_getting_fed(trained):
    model, vocab, _ = trained
    assert not any("dog gets" in s for s in neural_lm.CORPUS) and any("cat gets fed" in s for s in neural_lm.CORPUS)
    dog = neural_lm.next_word_probs(model, vocab, "that the dog gets")
    baby = neural_lm.next_word_probs(model, vocab, "that the baby gets")
    assert max(dog, key=dog.get) == "fed"
    assert max(baby, key=baby.get) == "tired"  # "gets" alone does not decide it


def test_cosine_by_hand():
    assert neural_lm.cosine([1.0, 0.0], [0.0, 2.0]) == 0.0
    assert neural_lm.cosine([1.0, 1.0], [2.0, 2.0]) == pytest.approx(1.0)
    assert neural_lm.cosine([3.0, 4.0], [4.0, 3.0]) == pytest.approx(24 / 25)


def test_training_through_vmap_equals_a_graph_per_window():
    """The one-hot lookups through vmap and the lookups of the eager graphs: the same losses and weights (the
    batch sums add in another order: within 1e-12)."""
    batched_model, _, batched = neural_lm.train(seed=3, epochs=3)
    eager_model, _, eager = neural_lm.train(seed=3, epochs=3, eager=True)
    assert max(abs(a - b) / b for a, b in zip(batched, eager)) < 1e-12
    ps, qs = batched_model.parameters(), eager_model.parameters()
    assert max(abs(p.data - q.data) for p, q in zip(ps, qs)) < 1e-12
    assert batched[-1] < batched[0]  # it trains
