"""``Chatbot``: an intent classifier plus its intents' responses, with per-user context.

The classic intents.json convention: an intent may carry ``context_set`` (after answering it,
the user is in that context) and ``context_filter`` (it is only answered while the user is in
that context).  Context is set only by the intent actually answered.  Per-user state is bounded:
at most ``max_users`` users, each forgotten after ``context_ttl`` seconds without a message.

>>> bot = Chatbot(IntentClassifier.load("models/bot"), seed=0)
>>> bot.reply("hi there", user_id="alice").text
"""

from __future__ import annotations

import random
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from textkit.errors import TextkitError
from textkit.intent.model import IntentClassifier
from textkit.text.readers import FALLBACK_TAGS, Intent

DEFAULT_FALLBACK = "Sorry, I didn't understand that. Could you say it another way?"


@dataclass
class Reply:
    text: str
    intent: str | None  # None: the fallback answered
    confidence: float
    fallback: bool
    context: str | None  # the user's context after this reply
    reason: str | None = None  # why the fallback answered

    def to_dict(self) -> dict:
        return {
            "reply": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 6),
            "fallback": self.fallback,
            "context": self.context,
            "reason": self.reason,
        }


class Chatbot:
    """Answers messages with the responses of the intent they express, or a fallback."""

    def __init__(
        self,
        classifier: IntentClassifier,
        intents: list[Intent] | None = None,
        fallback: list[str] | None = None,
        seed: int | None = None,
        max_users: int = 10_000,
        context_ttl: float = 3600.0,
    ) -> None:
        intents = intents if intents is not None else classifier.intents
        if not intents:
            raise TextkitError(
                "this model has no responses to chat with: it was trained from labelled texts, "
                "not an intents.json (it can still classify; train it on an intents.json to "
                "chat, or in Python give Chatbot its intents)"
            )
        self.classifier = classifier
        self.intents = {it.tag: it for it in intents}
        fallback_intent = next((self.intents[t] for t in FALLBACK_TAGS if t in self.intents), None)
        self.fallback = (
            fallback
            or (fallback_intent.responses if fallback_intent else None)
            or [DEFAULT_FALLBACK]
        )
        self.rng = random.Random(seed)
        self.max_users, self.context_ttl = max_users, context_ttl
        self._contexts: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ per-user context
    def context(self, user_id: str) -> str | None:
        with self._lock:
            entry = self._contexts.get(user_id)
            if entry is None or time.monotonic() - entry[1] > self.context_ttl:
                self._contexts.pop(user_id, None)
                return None
            return entry[0]

    def _set_context(self, user_id: str, value: str | None) -> None:
        with self._lock:
            self._contexts.pop(user_id, None)
            if value:
                self._contexts[user_id] = (value, time.monotonic())
            now = time.monotonic()
            while self._contexts and (
                len(self._contexts) > self.max_users
                or now - next(iter(self._contexts.values()))[1] > self.context_ttl
            ):
                self._contexts.popitem(last=False)  # the least recently active user goes first

    # ------------------------------------------------------------------ replying
    def reply(self, text: str, user_id: str = "default") -> Reply:
        """The response to ``text`` from ``user_id``: the best intent allowed in the user's
        context and above the classifier's threshold, or the fallback."""
        context = self.context(user_id)
        pred = self.classifier.predict(text, k=len(self.classifier.labels_))
        if pred.reason in ("empty", "no known words"):
            return self._fallback(user_id, context, pred.reason)
        allowed = [
            (tag, conf)
            for tag, conf in pred.ranking
            if tag in self.intents and self._allowed(self.intents[tag], context)
        ]
        if not allowed:
            return self._fallback(user_id, context, "no intent allowed in this context")
        tag, conf = allowed[0]
        # the classifier's threshold and margin apply to the best intent the context allows
        # (its own answer, e.g. for one of its training texts, stands)
        probs = [c for _, c in allowed] + [0.0]
        reason = (
            None
            if pred.label == tag
            else self.classifier.reject_rule().reason(
                probs, self.classifier.is_out_of_scope_label(tag)
            )
        )
        intent = self.intents[tag]
        if reason or tag in FALLBACK_TAGS:
            return self._fallback(user_id, context, reason or "the fallback intent", conf)
        if not intent.responses:  # recognised, but the intents.json gives it nothing to say
            return Reply(f"(intent '{tag}' recognised; it has no responses)", tag, conf, False, context,
                         "no responses")  # fmt: skip
        if intent.context_set is not None:
            self._set_context(user_id, intent.context_set)
            context = intent.context_set or None
        elif context is not None:
            self._set_context(user_id, context)  # the user is active: keep their context fresh
        return Reply(self.rng.choice(intent.responses), tag, conf, False, context)

    @staticmethod
    def _allowed(intent: Intent, context: str | None) -> bool:
        return not intent.context_filter or intent.context_filter == context

    def _fallback(
        self, user_id: str, context: str | None, reason: str | None, confidence: float = 0.0
    ) -> Reply:
        return Reply(self.rng.choice(self.fallback), None, confidence, True, context, reason)
