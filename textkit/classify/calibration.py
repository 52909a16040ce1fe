"""Confidences that mean what they say, and the rule that turns a weak answer into "no answer".

- Temperature scaling (Guo et al. 2017): one scalar T fitted on validation logits so that
  softmax(logits / T) minimises the validation negative log-likelihood; accuracy is unchanged,
  a confidence of 0.8 then means about 80% right.  ECE (expected calibration error, 15 bins)
  measures how far that holds.
- The reject rule: out of scope when the input is empty or has no word the model knows, when the
  top confidence is under the threshold, when the top two are within the margin, or when the top
  label is an explicit out-of-scope label.
- The threshold is chosen on validation data: the highest one that costs at most
  ``max_in_scope_loss`` of in-scope accuracy (correct answers it would reject), so it rejects as
  much as it can of what the model is unsure of within that budget.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

MIN_TEMPERATURE, MAX_TEMPERATURE = 0.02, 50.0  # wide enough for SVM margins (small scores)
MAX_THRESHOLD = 0.9  # never demand more: a small, perfectly fitted validation set would
MIN_CALIBRATION_ROWS = 30


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = np.asarray(logits, dtype=np.float64) / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def nll(logits: np.ndarray, y: np.ndarray, temperature: float) -> float:
    p = softmax(logits, temperature)
    return float(-np.log(np.clip(p[np.arange(len(y)), y], 1e-12, None)).mean())


def fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    """The T minimising validation NLL (convex in 1/T: a golden-section search on log T), or 1
    when there is too little validation data, or no error in it, to learn from."""
    if len(y) < MIN_CALIBRATION_ROWS or (logits.argmax(1) == y).all():
        return 1.0
    lo, hi = math.log(MIN_TEMPERATURE), math.log(MAX_TEMPERATURE)
    g = (math.sqrt(5) - 1) / 2
    a, b = hi - g * (hi - lo), lo + g * (hi - lo)
    fa, fb = nll(logits, y, math.exp(a)), nll(logits, y, math.exp(b))
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - g * (hi - lo)
            fa = nll(logits, y, math.exp(a))
        else:
            lo, a, fa = a, b, fb
            b = lo + g * (hi - lo)
            fb = nll(logits, y, math.exp(b))
    return float(math.exp((lo + hi) / 2))


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 15
) -> float:
    """Weighted mean gap between confidence and accuracy over equal-width confidence bins."""
    if len(confidence) == 0:
        return 0.0
    edges = np.linspace(0, 1, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1]), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(confidence[mask].mean() - correct[mask].mean())
    return float(total)


COST_CONFIDENCE = 0.8  # the chosen threshold's cost stays within budget with this probability


def choose_threshold(
    confidence: np.ndarray, correct: np.ndarray, in_scope: np.ndarray, max_in_scope_loss: float
) -> float:
    """The highest threshold whose cost on new texts stays within ``max_in_scope_loss`` of the
    in-scope answers, with probability ``COST_CONFIDENCE``.

    A threshold just below the (k+1)-th lowest confidence of the n correct validation answers
    rejects k of them, but the share of new correct answers it rejects is Beta(k+1, n-k)
    distributed (the order statistics of a continuous distribution): (k+1)/(n+1) on average,
    not k/n, and widely spread when n is small.  So k is the largest whose cost quantile fits
    the budget: a large validation set spends most of it, a chatbot-sized one little, and
    where even k = 0 does not fit, no confidence threshold is used."""
    from scipy.stats import beta

    good = np.sort(confidence[in_scope & correct])
    n_in, n = int(in_scope.sum()), len(good)
    if n == 0:
        return 0.0
    share = n / n_in  # in-scope texts the model gets right: what rejection can cost
    k = np.arange(n)
    cost = beta.ppf(COST_CONFIDENCE, k + 1, n - k) * share
    fits = np.flatnonzero(cost <= max_in_scope_loss)
    if len(fits) == 0:
        return 0.0
    # rejecting the k least confident correct answers: just below the (k+1)-th
    threshold = float(good[fits[-1]]) - 1e-6
    return float(min(max(threshold, 0.0), MAX_THRESHOLD))


@dataclass
class RejectRule:
    threshold: float
    margin: float = 0.0

    def reason(self, probs: np.ndarray, top_label_is_oos: bool) -> str | None:
        """Why an answer with these (sorted, descending) probabilities is no answer, or None."""
        if top_label_is_oos:
            return "out-of-scope label"
        if probs[0] < self.threshold:
            return "low confidence"
        if self.margin and len(probs) > 1 and probs[0] - probs[1] < self.margin:
            return "small margin"
        return None
