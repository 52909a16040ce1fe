"""Weighing many texts at once gives each text the row that weighing it alone gives."""

from __future__ import annotations

import numpy as np
import pytest

from textkit.authorship import AuthorClassifier
from textkit.classify.config import FeatureConfig
from textkit.classify.features import Featurizer
from textkit.intent import IntentClassifier

TEXTS = [
    "Hello there, how are you?", "", "zzzz qqqq", "book a table for 4 at 7pm",
    "Café au lait, s'il vous plaît 😀", "hello hello hello hello", "@someone #tag http://x.y",
    "what time do you open on sunday", "   ", "a",
]  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "weighting", "sublinear"),
    [(IntentClassifier, "tfidf", True), (IntentClassifier, "counts", False),
     (IntentClassifier, "binary", True), (AuthorClassifier, "tfidf", True)],
)  # fmt: skip
def test_many_at_once_equals_one_at_a_time(kind, weighting, sublinear):
    from dataclasses import replace

    config = replace(kind.DEFAULT_FEATURES, weighting=weighting, sublinear_tf=sublinear)
    featurizer = Featurizer(kind.DEFAULT_PIPELINE, config)
    fitted = featurizer.fit_transform(TEXTS[:6] + TEXTS[7:8])
    batch = featurizer.transform(TEXTS)
    for i, text in enumerate(TEXTS):
        ids, w = featurizer.transform_one(text)
        lo, hi = batch.indptr[i], batch.indptr[i + 1]
        assert np.array_equal(batch.indices[lo:hi], ids)
        assert np.allclose(batch.data[lo:hi], w, atol=1e-6)
    assert np.array_equal(fitted.indptr, featurizer.transform(TEXTS[:6] + TEXTS[7:8]).indptr)
    assert batch.data.dtype == np.float32 and batch.indices.dtype == np.int64
    assert isinstance(config, FeatureConfig)
