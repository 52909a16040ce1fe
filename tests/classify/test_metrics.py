"""The metrics row of a fit: macro-F1 as scikit-learn computes it, and the same figures when
the logits are taken a block of texts at a time (as they are for many labels)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import f1_score

from textkit.classify import model as model_module
from textkit.intent import IntentClassifier


@pytest.mark.parametrize("seed", range(5))
def test_macro_f1_is_scikit_learns_over_the_true_labels(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 30, 400)
    pred = np.where(rng.random(400) < 0.6, y, rng.integers(0, 35, 400))  # some never true
    expected = f1_score(y, pred, labels=np.unique(y), average="macro", zero_division=0)
    assert model_module._macro_f1(pred, y) == pytest.approx(expected, abs=1e-12)


def test_metrics_taken_in_blocks_equal_all_at_once(monkeypatch):
    data = {f"topic{i}": [f"about subject{i} {j}" for j in range(4)] for i in range(12)}
    clf = IntentClassifier()
    clf.fit(data, train_config={"progress": False})
    texts = [t for ts in data.values() for t in ts] + ["something else entirely"] * 5
    y = np.array([clf.labels_.index(lb) for lb, ts in data.items() for _ in ts] + [3] * 5)
    x = clf.featurizer.transform(texts)
    whole = clf._fit_metrics(x, y)
    monkeypatch.setattr(model_module, "METRICS_CELLS", 12 * 7)  # blocks of 7 texts
    assert clf._fit_metrics(x, y) == pytest.approx(whole)
    assert 48 / 53 - 0.01 < whole["train_accuracy"] < 1  # its own texts right, the 5 others not


@pytest.mark.parametrize("head", ["svm", "nb", "centroid"])
def test_a_linear_heads_logits_of_many_texts_at_once_are_each_texts(head):
    """From BATCH_ROWS texts a linear head's logits are one sparse product: the same numbers
    as a text at a time (what predict does for one text)."""
    data = {
        f"topic{i}": [f"about subject{i} item{j} and more" for j in range(6)] for i in range(15)
    }
    clf = IntentClassifier(classifier=head)
    clf.fit(data, train_config={"progress": False})
    texts = [t for ts in data.values() for t in ts] + ["about subject3 and subject4", "nothing"]
    rows = clf.featurizer.transform(texts)
    assert len(texts) >= model_module.BATCH_ROWS
    at_once = clf._logits_rows(rows)
    one_by_one = [clf._logits_one(*clf.featurizer.transform_one(t)) for t in texts]
    assert at_once == pytest.approx(np.array(one_by_one), rel=1e-5, abs=1e-6)
    assert (
        at_once.argmax(1)[:90]
        == [clf.labels_.index(f"topic{i}") for i in range(15) for _ in range(6)]
    ).all()
