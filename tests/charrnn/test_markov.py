import math
from collections import Counter

import numpy as np
import pytest

from textkit.charrnn import CharMarkov, CharRNN
from textkit.charrnn.data import Vocab
from textkit.errors import TextkitError
from textkit.loading import load_model


def witten_bell(train: str, vocab: list[str], order: int, history: str, c: str) -> float:
    """Textbook interpolated Witten-Bell, written plainly, to check the vectorised version."""
    p = (train.count(c) + 1) / (len(train) + len(vocab))
    for n in range(1, order + 1):
        if len(history) < n:
            break
        h = history[-n:]
        follows = Counter(train[i + n] for i in range(len(train) - n) if train[i : i + n] == h)
        total, types = sum(follows.values()), len(follows)
        if total:
            p = (follows[c] + types * p) / (total + types)
    return p


def kneser_ney(train: str, vocab: list[str], order: int, history: str, c: str) -> float:
    """Textbook interpolated Kneser-Ney: raw counts at the top order, continuation counts
    (distinct left extensions) below it, discount n1 / (n1 + 2 n2) per order."""

    def counts(n: int) -> Counter:
        grams = [train[i : i + n + 1] for i in range(len(train) - n)]
        if n == order:
            return Counter(grams)
        return Counter(g[1:] for g in set(train[i : i + n + 2] for i in range(len(train) - n - 1)))

    unigram = Counter(g[1] for g in {train[i : i + 2] for i in range(len(train) - 1)})
    p = (unigram[c] + 1) / (sum(unigram.values()) + len(vocab))
    for n in range(1, order + 1):
        if len(history) < n:
            break
        table = counts(n)
        values = list(table.values())
        d = values.count(1) / (values.count(1) + 2 * values.count(2))
        h = history[-n:]
        follows = {g[-1]: k for g, k in table.items() if g[:-1] == h}
        total = sum(follows.values())
        if total:
            p = max(follows.get(c, 0) - d, 0) / total + d * len(follows) / total * p
    return p


@pytest.mark.parametrize(
    ("smoothing", "formula"), [("witten-bell", witten_bell), ("kneser-ney", kneser_ney)]
)
def test_probabilities_match_the_textbook_formula(sonnets, smoothing, formula):
    train = sonnets[:3000]
    m = CharMarkov(order=3, smoothing=smoothing)
    m.vocab_ = Vocab.from_text(sonnets[:4000])
    m._count(m.vocab_.encode(train))
    text = sonnets[3000:3200]
    ids = m.vocab_.encode(text)
    got = -m.loss_on_ids(ids) * (len(ids) - 1)
    want = sum(
        math.log(formula(train, m.vocab_.chars, 3, text[max(0, i - 3) : i], text[i]))
        for i in range(1, len(text))
    )
    assert got == pytest.approx(want, rel=1e-9)


def test_higher_order_beats_lower_and_distributions_sum_to_one(tmp_path, sonnets):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    losses = {
        k: CharMarkov(order=k).fit(corpus, tmp_path / f"m{k}").best_val_loss for k in (1, 2, 3, 5)
    }
    assert losses[5] < losses[3] < losses[2] < losses[1] < math.log(len(set(sonnets)))
    # Kneser-Ney beats Witten-Bell at the same order on this small corpus
    assert (
        losses[5]
        < CharMarkov(order=5, smoothing="witten-bell").fit(corpus, tmp_path / "wb").best_val_loss
    )
    m = CharMarkov.load(tmp_path / "m5")
    _, logits = m._stepper(None).start(m.vocab_.encode("Shall I compare").tolist(), 2)
    assert np.allclose(logits.exp().sum(1).numpy(), 1.0, atol=1e-5)


def test_markov_samples_round_trip_and_share_the_sampling_options(tmp_path, sonnets):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    m = CharMarkov(order=4)
    m.fit(corpus, tmp_path / "m")
    a = m.generate(200, seed=1, top_k=5, seed_text="Thy ")[0].text
    loaded = load_model(tmp_path / "m")
    assert isinstance(loaded, CharMarkov)
    assert loaded.generate(200, seed=1, top_k=5, seed_text="Thy ")[0].text == a
    assert a.startswith("Thy ") and len(a) == 204
    pre = loaded.generate(100, seed=1, preseed="auto", stop_at="\n")[0]
    assert "\n" not in pre.text
    with pytest.raises(TextkitError, match="holds a model of kind 'charmarkov'"):
        CharRNN.load(tmp_path / "m")


def test_order_too_high_for_the_vocabulary(tmp_path, sonnets):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    with pytest.raises(TextkitError, match="too high"):
        CharMarkov(order=12).fit(corpus, tmp_path / "m")
