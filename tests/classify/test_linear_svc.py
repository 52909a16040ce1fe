"""The svm head's classes solved in parallel shares give LinearSVC's own one-vs-rest weights."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.svm import LinearSVC

from textkit.classify import model as model_module


@pytest.mark.parametrize("classes", [2, 3, 7, 40])
def test_shared_out_classes_give_linear_svcs_weights(classes):
    rng = np.random.default_rng(0)
    y = rng.integers(0, classes, 3000)
    x = sparse.random(3000, 400, density=0.03, random_state=0, format="csr")
    x = (x + sparse.csr_matrix((np.ones(3000), (np.arange(3000), y * 7)), shape=x.shape)).tocsr()
    weights = rng.random(3000) + 0.5
    whole = LinearSVC(C=1.0, random_state=0).fit(x, y, sample_weight=weights)
    coef, intercept = model_module.linear_svc(x, y, weights, 1.0, 0, 2)  # 2 shares
    assert coef.shape == whole.coef_.shape and intercept.shape == whole.intercept_.shape
    assert np.abs(coef - whole.coef_).max() < 5e-3  # the solver's tolerance
    if classes > 2:
        ours = (x @ coef.T + intercept).argmax(1)
        assert (ours == (x @ whole.coef_.T + whole.intercept_).argmax(1)).mean() > 0.995


@pytest.mark.parametrize(("val_fraction", "per_label"), [(0.25, 40), (0.0, 40), (0.25, 2)])
def test_the_split_model_trains_alongside_on_half_the_cores(val_fraction, per_label, monkeypatch):
    """A set too large to cross-fit: the svm learns from every text, and the model trained on
    a split to calibrate it runs at the same time, each on half the cores; without a split
    (none asked for, or no label with texts to spare), the one fit has them all."""
    from textkit.classify.data import LabelledTexts
    from textkit.intent import IntentClassifier

    calls = []
    solve = model_module.linear_svc

    def recording(x, y, sample_weight, c, seed, cores):
        calls.append((len(y), cores))
        return solve(x, y, sample_weight, c, seed, cores)

    monkeypatch.setattr(model_module, "_cores", lambda: 4)
    monkeypatch.setattr(model_module, "linear_svc", recording)
    words = ("red", "green", "blue") * (1 if per_label == 40 else 20)
    texts = [f"{word}{k} {i % 7} please" for k, word in enumerate(words) for i in range(per_label)]
    labels = [t.split()[0] for t in texts]
    model = IntentClassifier(val_fraction=val_fraction)
    model.CROSS_FIT_BELOW = 0  # as if large
    model.fit(LabelledTexts(texts, labels, "colours"))
    if val_fraction and per_label > 2:
        assert sorted(calls) == [(90, 2), (120, 2)]  # the split's 90 and every text
        assert model.info["validation"]["texts"] == 30
    else:
        assert calls == [(120, 4)]
