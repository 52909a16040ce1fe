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


def test_probabilities_match_the_textbook_formula(sonnets):
    train = sonnets[:3000]
    m = CharMarkov(order=3)
    m.vocab = Vocab.from_text(sonnets[:4000])
    m._count(m.vocab.encode(train))
    text = sonnets[3000:3200]
    ids = m.vocab.encode(text)
    got = math.exp(-m.loss_on_ids(ids) * (len(ids) - 1))
    want = 1.0
    for i in range(1, len(text)):
        want *= witten_bell(train, m.vocab.chars, 3, text[max(0, i - 3) : i], text[i])
    assert got == pytest.approx(want, rel=1e-6)


def test_higher_order_beats_lower_and_distributions_sum_to_one(tmp_path, sonnets):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    losses = {k: CharMarkov(order=k).fit(corpus, tmp_path / f"m{k}") for k in (1, 2, 3)}
    assert losses[3] < losses[2] < losses[1] < math.log(len(set(sonnets)))
    m = CharMarkov.load(tmp_path / "m3")
    _, logits = m._stepper(None).start(m.vocab.encode("Shall I compare").tolist(), 2)
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
    with pytest.raises(TextkitError, match="holds a 'charmarkov' model"):
        CharRNN.load(tmp_path / "m")


def test_order_too_high_for_the_vocabulary(tmp_path, sonnets):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    with pytest.raises(TextkitError, match="too high"):
        CharMarkov(order=12).fit(corpus, tmp_path / "m")
