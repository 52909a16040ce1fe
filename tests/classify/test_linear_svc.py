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
