"""Round 3, class 1: what one request can make a served model remember is bounded.  Long
random "words" are processed every time and never cached, the character n-gram cache is
bounded by n-grams (not entries), and the one-typo check does no work on a 10,000-letter token."""

from __future__ import annotations

import random
import string
import time

from textkit.intent import IntentClassifier
from textkit.text.pipeline import CACHED_TOKEN_CHARS


def _words(rng: random.Random, n: int, length: int) -> str:
    return " ".join("".join(rng.choices(string.ascii_lowercase, k=length)) for _ in range(n))


def test_long_random_words_leave_nothing_behind(kind_folders):
    clf = IntentClassifier.load(kind_folders / "intent")
    featurizer, pipeline = clf.featurizer, clf.featurizer.pipeline
    rng = random.Random(0)
    clf.predict("hello there")
    before = (len(pipeline._cache), len(featurizer._char_cache), featurizer._cached_grams)
    start = time.monotonic()
    for _ in range(5):
        clf.predict(_words(rng, 25, 400))  # 25 "words" of 400 letters: 10,000 characters
    assert time.monotonic() - start < 10  # no typo index of every deletion of each word
    after = (len(pipeline._cache), len(featurizer._char_cache), featurizer._cached_grams)
    assert after == before
    assert all(len(k) <= CACHED_TOKEN_CHARS for k in pipeline._cache)


def test_the_ngram_cache_is_bounded_by_ngrams(kind_folders, monkeypatch):
    from textkit.classify import features

    monkeypatch.setattr(features, "CACHED_GRAMS", 5_000)
    clf = IntentClassifier.load(kind_folders / "intent")
    rng = random.Random(1)
    answers = [clf.predict(_words(rng, 200, 8)).ranking for _ in range(10)]
    assert clf.featurizer._cached_grams <= 5_000
    rng = random.Random(1)
    fresh = IntentClassifier.load(kind_folders / "intent")
    assert [fresh.predict(_words(rng, 200, 8)).ranking for _ in range(10)] == answers
