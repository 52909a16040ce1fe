"""The classifier network's forward pass in numpy, for answering.

Training uses torch (the shared loop, CUDA when present); answering a query uses numpy only, so
a chatbot that loads a classifier pays neither torch's 1.5 s import nor its per-call overhead.
A test checks this equals ``BagMLP`` in eval mode."""

from __future__ import annotations

import math

import numpy as np


def numpy_forward(
    arrays: dict[str, np.ndarray], ids: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Logits of one text (eval mode) from the saved arrays of a BagMLP."""
    hidden = arrays["norm.weight"].shape[0]
    h = weights @ arrays["bag.weight"][ids] if len(ids) else np.zeros(hidden, np.float32)
    return hidden_to_logits(arrays, h)


def hidden_to_logits(arrays: dict[str, np.ndarray], h: np.ndarray) -> np.ndarray:
    """LayerNorm, GELU and the output layer over the last axis of bag sums ``h`` (one text, or
    a batch of variants of it)."""
    mu, var = h.mean(-1, keepdims=True), h.var(-1, keepdims=True)
    h = (h - mu) / np.sqrt(var + 1e-5) * arrays["norm.weight"] + arrays["norm.bias"]
    h = 0.5 * h * (1 + _erf(h / math.sqrt(2)))  # exact GELU, as torch's default
    return h @ arrays["out.weight"].T + arrays["out.bias"]


def _erf(x: np.ndarray) -> np.ndarray:
    """erf to 1.5e-7 (Abramowitz and Stegun 7.1.26), vectorised: math.erf per element is 30x
    slower and scipy's import alone costs more than answering a query."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1 / (1 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1 - poly * np.exp(-a * a))
