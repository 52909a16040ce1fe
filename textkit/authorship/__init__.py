"""Short-text authorship: ``AuthorClassifier`` (who wrote this tweet, how sure, and why)."""

from __future__ import annotations

from textkit.lazy import lazy_exports

_EXPORTS = {"AuthorClassifier": ".model"}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
