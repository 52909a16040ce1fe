"""Intent classification for chatbots: ``IntentClassifier`` (intents.json, CSV or JSON records
in; an intent or "no intent" out) and the ``Chatbot`` that answers with the intents' responses."""

from __future__ import annotations

from textkit.lazy import lazy_exports

_EXPORTS = {"IntentClassifier": ".model", "Chatbot": ".chatbot", "Reply": ".chatbot"}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
