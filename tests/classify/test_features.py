"""Sparse n-gram features: the same numbers as scikit-learn's TfidfVectorizer, char n-grams
as its char_wb analyzer, and a typo-tolerant notion of a known word."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from textkit.classify.config import FeatureConfig
from textkit.classify.features import CHAR, Featurizer
from textkit.errors import TextkitError
from textkit.text.pipeline import Pipeline


@pytest.fixture(scope="module")
def texts(snips):
    return [t for t, _ in snips[0][:600]]


@pytest.mark.parametrize("weighting", ["tfidf", "counts", "binary"])
def test_weights_equal_scikit_learn_given_the_same_features(texts, weighting):
    f = Featurizer(Pipeline(), FeatureConfig(min_char_count=1, weighting=weighting))
    ours = f.fit_transform(texts).to_scipy().toarray()
    sk = TfidfVectorizer(
        analyzer=f.features,
        use_idf=weighting == "tfidf",
        binary=weighting == "binary",
        sublinear_tf=weighting != "binary",
    )
    theirs = sk.fit_transform(texts).toarray()
    columns = np.array([f.index[name] for name in sk.get_feature_names_out()])
    assert np.abs(ours[:, columns] - theirs).max() < 1e-6
    assert np.allclose(f.transform(texts[:50]).to_scipy().toarray(), ours[:50], atol=1e-6)


def test_character_ngrams_are_scikit_learns_char_wb(texts):
    f = Featurizer(Pipeline(lowercase=True), FeatureConfig(word_ngrams=None, char_ngrams=(2, 5)))
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5)).build_analyzer()
    for text in texts[:100]:
        words = " ".join(Pipeline(lowercase=True).tokens(text))
        assert sorted(g[len(CHAR) :] for g in f.features(text)) == sorted(analyzer(words))


def test_known_words_tolerate_one_typo():
    f = Featurizer(Pipeline(), FeatureConfig()).fit(
        ["my card has not arrived", "transfer money please"]
    )
    assert f.known_words("my crad hasnt arived") == (
        3,
        4,
    )  # swap, insertion, deletion; "hasnt" is new
    assert f.known_words("trasnfer mony") == (2, 2)
    assert f.known_words("asdkjh qwe zzz") == (0, 3)
    assert f.known_words("🙂 !!!") == (0, 0)


def test_select_rows_and_bad_settings(texts):
    f = Featurizer(Pipeline(), FeatureConfig())
    rows = f.fit_transform(texts[:20])
    sub = rows.select(np.array([3, 0, 7]))
    full = rows.to_scipy().toarray()
    assert np.allclose(sub.to_scipy().toarray(), full[[3, 0, 7]])
    with pytest.raises(TextkitError, match="can't both be off"):
        FeatureConfig(word_ngrams=None, char_ngrams=None)
    with pytest.raises(TextkitError, match="single tokens"):
        Featurizer(Pipeline(ngrams=(1, 2)), FeatureConfig())
    with pytest.raises(TextkitError, match="no features"):
        Featurizer(Pipeline(stopwords="english"), FeatureConfig(char_ngrams=None)).fit(
            ["the", "and of"]
        )
