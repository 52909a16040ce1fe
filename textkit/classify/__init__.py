"""The text-classification core shared by the intent and author classifiers: labelled data,
sparse n-gram features, the network and its training task, calibration and the reject rule,
evaluation, and the ``TextClassifier`` estimator built from them."""

from __future__ import annotations

from textkit.lazy import lazy_exports

_EXPORTS = {
    "CLASSIFIERS": ".config",
    "ClassifierConfig": ".config",
    "FeatureConfig": ".config",
    "Prediction": ".model",
    "TextClassifier": ".model",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
