"""Intent-classifier defaults, torch- and numpy-free so the CLI can show them: the shared
features (word 1-2-grams and character 3-5-grams inside words) over a pipeline that folds
numbers into ``<num>`` ("table for 4" and "table for 6" are one intent).  ``IntentClassifier``
uses these."""

from __future__ import annotations

from textkit.classify.config import FeatureConfig
from textkit.text.pipeline import Pipeline

INTENT_PIPELINE = Pipeline(numbers="replace")
INTENT_FEATURES = FeatureConfig()
