"""Authorship defaults, torch- and numpy-free so the CLI can show them: a tweet-aware Pipeline
that keeps style as signal, and character 1-5-grams (across tokens: spacing and punctuation
between words are style too) plus word 1-2-grams."""

from __future__ import annotations

from textkit.classify.config import FeatureConfig
from textkit.text.pipeline import Pipeline

AUTHOR_PIPELINE = Pipeline(
    tokenizer="tweet", lowercase=False, html=True, urls="replace", punctuation=True,
    numbers="replace", max_repeat=3,
)  # fmt: skip
AUTHOR_FEATURES = FeatureConfig(word_ngrams=(1, 2), char_ngrams=(1, 5), char_span="text")
