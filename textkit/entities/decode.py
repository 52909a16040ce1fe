"""Answering with a trained CRF in numpy (no torch): the best tag sequence (Viterbi) and
each token's tag probabilities (forward-backward in log space)."""

from __future__ import annotations

import numpy as np


def viterbi(emissions: np.ndarray, start, transition, end) -> list[int]:
    """The best tag sequence of one sentence's (tokens, tags) emission scores."""
    score = start + emissions[0]
    back = []
    for t in range(1, len(emissions)):
        cand = score[:, None] + transition
        back.append(cand.argmax(0))
        score = cand.max(0) + emissions[t]
    tag = int((score + end).argmax())
    path = [tag]
    for arg in reversed(back):
        tag = int(arg[tag])
        path.append(tag)
    return path[::-1]


def marginals(emissions: np.ndarray, start, transition, end) -> np.ndarray:
    """P(tag at token) under the CRF: (tokens, tags).  Forward-backward in scaled probability
    space (a matrix-vector product per token, each step normalised), exact like the log-space
    form and several times faster; the log-space form where scaled values underflow."""
    n = len(emissions)
    step = np.exp(transition - transition.max())
    e = np.exp(emissions - emissions.max(1, keepdims=True))
    alpha, beta = np.empty_like(e), np.empty_like(e)
    a = np.exp(start - start.max()) * e[0]
    alpha[0] = a / a.sum()
    for t in range(1, n):
        a = (alpha[t - 1] @ step) * e[t]
        total = a.sum()
        if not total > 0:
            return _log_marginals(emissions, start, transition, end)
        alpha[t] = a / total
    b = np.exp(end - end.max())
    beta[-1] = b / b.sum()
    for t in range(n - 2, -1, -1):
        b = step @ (e[t + 1] * beta[t + 1])
        total = b.sum()
        if not total > 0:
            return _log_marginals(emissions, start, transition, end)
        beta[t] = b / total
    p = alpha * beta
    return p / p.sum(1, keepdims=True)


def _log_marginals(emissions: np.ndarray, start, transition, end) -> np.ndarray:
    n = len(emissions)
    alpha = np.empty_like(emissions)
    beta = np.zeros_like(emissions)
    alpha[0] = start + emissions[0]
    for t in range(1, n):
        alpha[t] = _lse(alpha[t - 1][:, None] + transition, 0) + emissions[t]
    beta[-1] = end
    for t in range(n - 2, -1, -1):
        beta[t] = _lse(transition + (emissions[t + 1] + beta[t + 1])[None, :], 1)
    log_z = _lse(alpha[-1] + end, 0)
    return np.exp(alpha + beta - log_z)


def _lse(x: np.ndarray, axis: int) -> np.ndarray:
    m = x.max(axis=axis, keepdims=True)
    return (m + np.log(np.exp(x - m).sum(axis=axis, keepdims=True))).squeeze(axis)
