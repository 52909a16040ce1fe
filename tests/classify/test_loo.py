"""The svm's closed-form leave-one-out logits against refitting without each text, their
bounds, and which calibration a fit uses."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse
from sklearn.svm import LinearSVC

from textkit.classify import loo
from textkit.classify.data import LabelledTexts

C = 0.5


def _data(classes: int, n: int = 90):
    rng = np.random.default_rng(classes)
    y = rng.integers(0, classes, n)
    x = sparse.random(n, 60, density=0.08, random_state=classes, format="csr")
    signal = sparse.csr_matrix((np.full(n, 0.8), (np.arange(n), y * 5)), shape=x.shape)
    return (x + signal).tocsr(), y, rng.random(n) + 0.5


def _svm(x, y, weight):
    """LinearSVC solved tightly, its arrays as the model stores them (two rows for two labels)."""
    svc = LinearSVC(C=C, tol=1e-10, max_iter=200_000).fit(x, y, sample_weight=weight)
    coef, intercept = svc.coef_, svc.intercept_
    if len(coef) == 1:
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.r_[-intercept / 2, intercept / 2]
    return coef, intercept


@pytest.mark.parametrize("classes", [2, 4])
def test_leave_one_out_logits_match_refitting_without_each_text(classes):
    x, y, weight = _data(classes)
    coef, intercept = _svm(x, y, weight)
    fitted = x @ coef.T + intercept
    ours = loo.svm_loo_logits(x, y, coef, intercept, C, weight, workers=2)
    truth = np.empty_like(fitted)
    for i in range(len(y)):
        keep = np.arange(len(y)) != i
        c, b = _svm(x[keep], y[keep], weight[keep])
        truth[i] = x[i] @ c.T + b
    moved = np.abs(fitted - truth) > 1e-3  # texts whose removal changes their scores
    assert moved.mean() > 0.2  # (else the test would show nothing)
    # exact where removing the text keeps the active set; close elsewhere
    assert np.median(np.abs(ours - truth)[moved]) < 1e-3
    assert np.abs(ours - truth).mean() < np.abs(fitted - truth).mean() / 10
    assert (ours.argmax(1) == truth.argmax(1)).mean() >= 0.97


def test_a_text_alone_in_its_label_is_not_measurable():
    x, y, weight = _data(3)
    y[0] = 3  # the only text of label 3
    coef, intercept = _svm(x, y, weight)
    out = loo.svm_loo_logits(x, y, coef, intercept, C, weight, workers=1)
    assert out[0, 3] == -1e9 and (out[1:, :3] > -1e8).all()


def test_over_its_bounds_it_declines(monkeypatch):
    x, y, weight = _data(3)
    coef, intercept = _svm(x, y, weight)
    assert loo.svm_loo_logits(x, y, coef, intercept, C, weight, workers=1) is not None
    for bound in ("MAX_ACTIVE", "MAX_GRAM", "MAX_FACTOR", "MAX_CELLS"):
        with monkeypatch.context() as m:
            m.setattr(loo, bound, 10)
            assert loo.svm_loo_logits(x, y, coef, intercept, C, weight, workers=1) is None


@pytest.mark.parametrize(
    ("head", "bounded", "grouped", "method"),
    [
        ("svm", False, False, "leave-one-out (closed form, every text)"),
        ("svm", True, False, "held-out split"),
        ("svm", False, True, "held-out split (whole documents)"),
        ("nb", False, False, "held-out split"),
    ],
)
def test_a_large_set_calibrates_on_leave_one_out_where_it_can(
    head, bounded, grouped, method, monkeypatch
):
    """The svm on a set too large to cross-fit: leave-one-out logits of every text, unless
    their work is over the bounds or texts come in documents; other heads hold out a split."""
    from textkit.intent import IntentClassifier

    rng = np.random.default_rng(0)
    words = {lb: [f"{lb}{i}" for i in range(12)] for lb in ("alpha", "beta", "gamma")}
    texts, labels = [], []
    for lb, pool in words.items():
        for _ in range(40):
            texts.append(
                " ".join(rng.choice(pool, 4)) + " " + " ".join(rng.choice(["the", "a"], 2))
            )
            labels.append(lb)
    groups = [f"doc{i // 4}" for i in range(len(texts))] if grouped else None
    if bounded:
        monkeypatch.setattr(loo, "MAX_GRAM", 0)
    model = IntentClassifier(classifier=head, val_fraction=0.25)  # a split of 30 texts
    model.CROSS_FIT_BELOW = 0  # as if large
    model.fit(LabelledTexts(texts, labels, "made up", groups=groups))
    v = model.info["validation"]
    assert v["method"] == method
    assert (v["texts"] == 120) == method.startswith("leave")  # every text, or a split's 30-36
    assert v["accuracy"] > 0.9
