"""Leave-one-out scores of the svm head from its one fit, in closed form.

The svm (scikit-learn's LinearSVC: squared hinge, L2, the bias a regularised feature of value 1)
solves one problem per class.  Inside the margin (the active texts, y * s < 1) the squared
hinge is a square loss, so on its active set each problem is a weighted ridge regression.
Removing a text outside the active set changes nothing (the solution stays optimal); removing
one inside it, the active set held fixed, moves its score as ridge regression's leave-one-out
does: ``s_-i = y_i - (y_i - s_i) / g_i``, ``g`` the diagonal of ``(I + D^1/2 K D^1/2)^-1``, ``K``
the active texts' Gram matrix (+1 for the bias) and ``D`` twice each text's C.  That the active
set stays fixed is the one approximation (the span estimate of the L2-SVM: Chapelle, Vapnik,
Bousquet & Mukherjee 2002; for LS-SVMs, Cawley & Talbot 2004).

So the svm calibrates on every text's out-of-sample score from the fit it keeps, instead of
training a second model on a split (``benchmarks/loo.py`` compares it with 10-fold
cross-fitting).  The work is a Cholesky factorisation per class of its active set: bounded by
``MAX_ACTIVE``, ``MAX_GRAM`` and ``MAX_FACTOR``; over them, None (the caller holds out a split instead)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

# Bounds on the work, over the classes' active sets S (benchmarks/loo.py: BANKING77's sum of
# |S|^2 is 2e7 and of |S|^3 1e10, about 2 s in all; a set of 151 labels and 15,100 texts is
# 1.3e8 and 1.5e11, 13 s, more than training a split model: that one holds out a split)
MAX_ACTIVE = 4000  # texts in one class's S: its Gram matrix is MAX_ACTIVE^2 doubles (128 MB)
MAX_GRAM = 5e7  # the sum of |S|^2: the Gram matrices' entries, each a sparse dot product
MAX_FACTOR = 1e11  # the sum of |S|^3: the Cholesky factorisations
MAX_CELLS = 20_000_000  # texts x labels: every text's logits are kept (160 MB)


def svm_loo_logits(
    x, y: np.ndarray, coef: np.ndarray, intercept: np.ndarray, c: float, sample_weight, workers: int
) -> np.ndarray | None:
    """Each text's logits from the svm trained without it (``x``: the texts' features, a scipy
    CSR matrix; ``coef``, ``intercept``: the svm's arrays, one row per label; ``y``: label
    indices), or None when the work would exceed the bounds.  Two labels are one problem
    (scikit-learn keeps one row, stored as -s/2 and s/2).  A text whose label has no other
    text gets -1e9 for it: without it the label would not exist (nothing to measure)."""
    labels = len(coef)
    if len(y) * labels > MAX_CELLS:
        return None
    x = x.tocsr().astype(np.float64)
    if labels == 2:
        coef, intercept = coef[1:] - coef[:1], intercept[1:] - intercept[:1]
    scores = np.asarray(x @ coef.T.astype(np.float64)) + intercept.astype(np.float64)
    signs = [np.where(y == (1 if labels == 2 else k), 1.0, -1.0) for k in range(len(coef))]
    active = [np.flatnonzero(t * scores[:, k] < 1) for k, t in enumerate(signs)]
    sizes = np.array([len(a) for a in active], dtype=np.float64)
    if (
        sizes.max(initial=0) > MAX_ACTIVE
        or (sizes**2).sum() > MAX_GRAM
        or (sizes**3).sum() > MAX_FACTOR
    ):
        return None
    weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight, np.float64)

    def one(k: int) -> np.ndarray:
        rows = active[k]
        s, t = scores[rows, k], signs[k][rows]
        return t - (t - s) / _inverse_diagonal(x[rows], 2 * c * weight[rows])

    with ThreadPoolExecutor(workers) as pool:  # scipy's sparse product and LAPACK free the GIL
        for k, moved in enumerate(pool.map(one, range(len(coef)))):
            scores[active[k], k] = moved
    if labels == 2:
        scores = np.hstack([-scores / 2, scores / 2])
    alone = np.flatnonzero(np.bincount(y, minlength=labels)[y] < 2)
    scores[alone, y[alone]] = -1e9
    return scores


def _inverse_diagonal(rows, d: np.ndarray) -> np.ndarray:
    """The diagonal of ``(I + D^1/2 (rows rows^T + 1) D^1/2)^-1``, ``D = diag(d)``."""
    from scipy.linalg import lapack

    if len(d) == 0:
        return np.ones(0)
    gram = (rows @ rows.T).toarray()
    gram += 1.0
    root = np.sqrt(d)
    gram *= root[:, None]
    gram *= root[None, :]
    gram[np.diag_indices_from(gram)] += 1.0
    factor, info = lapack.dpotrf(gram, lower=1, overwrite_a=1)
    if info == 0:
        inverse, info = lapack.dpotri(factor, lower=1, overwrite_c=1)
    if info != 0:  # not positive definite: impossible for I + a Gram matrix, short of NaN
        raise ValueError("leave-one-out: the active set's matrix is not positive definite")
    return np.diag(inverse).copy()
