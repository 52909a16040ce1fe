"""``AuthorClassifier``: who wrote this short text, and how sure are we.

The shared TextClassifier with authorship defaults: a tweet-aware Pipeline that keeps style as
signal (case, punctuation, emoji, elongation capped at three letters, URLs as ``<url>``, HTML
entities decoded, @mentions kept: whom an author talks to is evidence), character 1-5-grams
and word 1-2-grams.  Two things intent classification doesn't need:

- ``predict_many(texts, combine=True)``: several texts of one unknown author, their evidence
  summed (log-probabilities), one answer; reliable where one tweet is not.
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
        probs = softmax(log_probs)
        order = np.argsort(-probs, kind="stable")
        ranking = [(self.labels_[i], float(probs[i])) for i in order[:k]]
        top = self.labels_[order[0]]
        reason = rule.reason(probs[order], self.is_out_of_scope_label(top))
        return Prediction(joined, None if reason else top, float(probs[order[0]]), ranking, reason)

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
        table = a["feature_log_prob"] if self.config.classifier == "nb" else a["coef"]
        logits = self._logits_one(ids, w)
        return logits[None, :] - w[:, None] * table[:, ids].T


def _readable(feature: str) -> str:
    if feature.startswith(WORD):
        return f"word {feature[len(WORD) :]!r}"
    return f"chars {feature[len(CHAR) :]!r}"
