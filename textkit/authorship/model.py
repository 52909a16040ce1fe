"""``AuthorClassifier``: who wrote this short text, and how sure are we.

The shared TextClassifier with authorship defaults: a tweet-aware Pipeline that keeps style as
signal (case, punctuation, emoji, elongation capped at three letters, URLs as ``<url>``, HTML
entities decoded, @mentions kept: whom an author talks to is evidence), character 1-5-grams
and word 1-2-grams.  Two things intent classification doesn't need:

- ``predict_many(texts, combine=True)``: several texts of one unknown author, their evidence
  summed (log-probabilities), one answer; reliable where one tweet is not.  Tweets of one
  author are not independent evidence, so the plain sum is over-confident: it is scaled by
  ``n ** -combine_alpha_``, alpha fitted on groups of validation texts of one author
  (``fit_combination``).
- ``explain(text)``: the n-grams that pushed the decision most, per author: how much each one's
  presence raises that author's log-probability (exact, by removing it).

>>> clf = AuthorClassifier()
>>> clf.fit(Source("tweets.csv", text_column="text", label_column="author"), "models/authors")
>>> clf.predict("new ggplot2 release is on CRAN!").label
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

import numpy as np

from textkit.authorship.config import AUTHOR_FEATURES, AUTHOR_PIPELINE
from textkit.classify.calibration import softmax
from textkit.classify.config import FeatureConfig
from textkit.classify.features import CHAR, WORD
from textkit.classify.model import Prediction, TextClassifier
from textkit.errors import TextkitError
from textkit.text.pipeline import Pipeline


class AuthorClassifier(TextClassifier):
    """Text -> author, or "don't know" when the top two are too close or the top confidence is
    too low (see ``TextClassifier``)."""

    KIND = "author"
    LABEL_NAME = "author"
    DEFAULT_PIPELINE: ClassVar[Pipeline] = AUTHOR_PIPELINE
    DEFAULT_FEATURES: ClassVar[FeatureConfig] = AUTHOR_FEATURES
    REJECT_UNKNOWN = False  # unseen words still carry style (characters, punctuation, emoji)
    FEW_EXAMPLES = 20  # an author's style needs more than a handful of texts
    NO_ANSWER = "(don't know)"

    def predict_many(
        self,
        texts: Iterable[str],
        threshold: float | None = None,
        margin: float | None = None,
        k: int = 5,
        combine: bool = False,
    ):
        """One Prediction per text; with ``combine=True`` one Prediction for all of them (texts
        by the same unknown author: log-probabilities summed)."""
        texts = list(texts)
        if not combine:
            return super().predict_many(texts, threshold, margin, k)
        self._require_trained()
        if not texts:
            raise TextkitError("combine needs at least one text")
        rule = self.reject_rule(threshold, margin)
        used = [t for t in texts if self.featurizer.known_words(t)[1] > 0]
        joined = "\n".join(texts)
        if not used:
            return Prediction(joined, None, 0.0, [], "empty")
        log_probs = np.zeros(len(self.labels_))
        for text in used:
            ids, w = self.featurizer.transform_one(text)
            log_probs += np.log(
                np.clip(softmax(self._logits_one(ids, w), self.temperature_), 1e-12, None)
            )
        probs = softmax(log_probs * len(used) ** -self.combine_alpha_)
        order = np.argsort(-probs, kind="stable")
        ranking = [(self.labels_[i], float(probs[i])) for i in order[:k]]
        top = self.labels_[order[0]]
        reason = rule.reason(probs[order], self.is_out_of_scope_label(top))
        return Prediction(joined, None if reason else top, float(probs[order[0]]), ranking, reason)

    combine_alpha_: float = 0.0  # 0: the plain sum (models saved before it was fitted)

    def _calibrated(self, probs: np.ndarray, y: np.ndarray, groups: list | None) -> None:
        self.combine_alpha_ = fit_combination(np.log(np.clip(probs, 1e-12, None)), y, groups)
        self.info["validation"]["combine_alpha"] = self.combine_alpha_

    def _config_dict(self) -> dict:
        return {**super()._config_dict(), "combine_alpha": self.combine_alpha_}

    @classmethod
    def _from_config(cls, config: dict):
        model = super()._from_config(config)
        alpha = config.get("combine_alpha", 0.0)
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
            raise ValueError("'combine_alpha' must be a number from 0 to 1")
        model.combine_alpha_ = float(alpha)
        return model

    def explain(
        self, text: str, k: int = 5, authors: int = 2
    ) -> dict[str, list[tuple[str, float]]]:
        """For the ``authors`` most likely authors, the ``k`` features of ``text`` that pushed
        the decision towards that author most: how much the feature's presence raises the
        author's logit above the average author's (found by removing it, in the model's own
        terms); shown as ``word 'rstats'`` or ``chars 'ggp'``."""
        self._require_trained()
        ids, w = self.featurizer.transform_one(text)
        if len(ids) == 0:
            return {}
        full = self._logits_one(ids, w)
        gain = full[None, :] - self._logits_without_each(ids, w)  # (features, authors)
        gain -= gain.mean(axis=1, keepdims=True)  # towards this author rather than any
        out: dict[str, list[tuple[str, float]]] = {}
        for label in np.argsort(-full)[:authors]:
            best = np.argsort(-gain[:, label])[:k]
            out[self.labels_[label]] = [
                (_readable(self.featurizer.vocab[ids[j]]), float(gain[j, label]))
                for j in best
                if gain[j, label] > 0
            ]
        return out

    def _logits_without_each(self, ids: np.ndarray, w: np.ndarray) -> np.ndarray:
        """Row j: the logits of the text with feature j removed (others unchanged)."""
        a = self.arrays
        if self.config.classifier == "mlp":
            from textkit.classify.inference import hidden_to_logits

            rows = a["bag.weight"][ids]
            h = w @ rows
            return hidden_to_logits(a, h[None, :] - w[:, None] * rows)
        logits = self._logits_one(ids, w)
        return logits[None, :] - w[:, None] * self._linear()[0][:, ids].T


def _readable(feature: str) -> str:
    if feature.startswith(WORD):
        return f"word {feature[len(WORD) :]!r}"
    return f"chars {feature[len(CHAR) :]!r}"


COMBINE_SIZES = (2, 3, 5, 10)  # the group sizes the combination is fitted on
ALPHAS = np.linspace(0.0, 1.0, 21)  # 0: the plain sum; 1: the mean (one text's confidence)


def _combination_pools(y: np.ndarray, documents: list | None) -> list[tuple[int, np.ndarray]]:
    """(label, rows) to draw combined groups from: each label's texts, or each document's."""
    if documents is None:
        return [(label, np.flatnonzero(y == label)) for label in np.unique(y)]
    pools: dict[tuple, list[int]] = {}
    for row, (label, document) in enumerate(zip(y.tolist(), documents, strict=True)):
        pools.setdefault((label, document), []).append(row)
    return [(label, np.array(rows)) for (label, _), rows in pools.items()]


def fit_combination(
    log_probs: np.ndarray, y: np.ndarray, documents: list | None = None, seed: int = 0
) -> float:
    """The alpha whose scaled sum ``n ** -alpha * sum(log p)`` over groups of ``n`` validation
    texts of one author gives the lowest log-loss (groups of each size in COMBINE_SIZES, drawn
    without repeats within a size); 0 (the plain sum) when no group can be formed.  With
    ``documents`` (each text's), a group is ``n`` consecutive texts of one document, as texts
    to be combined usually are (a passage, a day's tweets): far less independent evidence
    than texts drawn from anywhere."""
    rng = np.random.default_rng(seed)
    sums, sizes, labels = [], [], []
    pools = _combination_pools(y, documents)
    for label, rows in pools:
        for n in COMBINE_SIZES:
            order = rows if documents is not None else rng.permutation(rows)
            for start in range(0, len(order) - n + 1, n):
                sums.append(log_probs[order[start : start + n]].sum(0))
                sizes.append(n)
                labels.append(label)
    if not sums:
        return 0.0
    sums, sizes, labels = np.array(sums), np.array(sizes, dtype=float), np.array(labels)
    losses = []
    for alpha in ALPHAS:
        z = sums * sizes[:, None] ** -alpha
        z -= z.max(1, keepdims=True)
        log_norm = np.log(np.exp(z).sum(1))
        losses.append(float(np.mean(log_norm - z[np.arange(len(labels)), labels])))
    return float(ALPHAS[int(np.argmin(losses))])
