"""``Chatbot``: an intent classifier plus its intents' responses, with per-user context.

The classic intents.json convention: an intent may carry ``context_set`` (after answering it,
the user is in that context) and ``context_filter`` (it is only answered while the user is in
that context).  Context is set only by the intent actually answered.  Entities become the
user's slots, which fill ``{name}`` placeholders in responses; an intent's ``required_slots``
(slot -> question) are asked for before it answers (small form filling).  Per-user state is
bounded: at most ``max_users`` users (each with at most ``MAX_SLOTS`` slots), each forgotten
after ``context_ttl`` seconds without a message.

>>> bot = Chatbot(IntentClassifier.load("models/bot"), seed=0)
>>> bot.reply("hi there", user_id="alice").text
"""

from __future__ import annotations

import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from textkit.errors import TextkitError
from textkit.intent.model import IntentClassifier
from textkit.intent.store import (
    MAX_INBOX_CHARS,
    MAX_USERS,
    TTL_S,
    MemoryStore,
    UserState,
    open_store,
)
from textkit.text.readers import FALLBACK_TAGS, Intent

DEFAULT_FALLBACK = "Sorry, I didn't understand that. Could you say it another way?"


_PLACEHOLDER = re.compile(r"\{(\w+)\}")


@dataclass
class Reply:
    text: str
    intent: str | None  # None: the fallback answered
    confidence: float
    fallback: bool
    context: str | None  # the user's context after this reply
    reason: str | None = None  # why the fallback answered
    entities: list = field(default_factory=list)  # the message's entities
    slots: dict = field(default_factory=dict)  # the user's slots after this reply
    asking: str | None = None  # the slot this reply asks for (a required slot was missing)

    def to_dict(self) -> dict:
        return {
            "reply": self.text,
            "intent": self.intent,
            "confidence": round(self.confidence, 6),
            "fallback": self.fallback,
            "context": self.context,
            "reason": self.reason,
            "entities": [e.to_dict() for e in self.entities],
            "slots": dict(self.slots),
            "asking": self.asking,
        }


class Chatbot:
    """Answers messages with the responses of the intent they express, or a fallback.

    Slots: every entity of a message is remembered for its user (``slots(user_id)``) and
    fills ``{name}`` placeholders in responses.  An intent with ``required_slots`` asks for
    each one missing (its question) before answering; the answer is read as that slot's
    entity, or taken whole, unless it is clearly another intent (then the question is
    dropped and that intent answered)."""

    def __init__(
        self,
        classifier: IntentClassifier,
        intents: list[Intent] | None = None,
        fallback: list[str] | None = None,
        seed: int | None = None,
        max_users: int = MAX_USERS,
        context_ttl: float = TTL_S,
        store=None,
        inbox: bool = True,
        transcript=None,
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
        if isinstance(store, str):
            store = open_store(store, context_ttl, max_users)
        self.store = store if store is not None else MemoryStore(context_ttl, max_users)
        self.inbox = inbox  # keep what the bot couldn't answer, for its owner (textkit inbox)
        if isinstance(transcript, (str, Path)):
            from textkit.intent.transcript import Transcript

            transcript = Transcript(transcript)
        self.transcript = transcript  # a conversation log (textkit.intent.transcript), or None
        folder = getattr(classifier, "folder", None)
        self.name = folder.path.name if folder is not None else "bot"

    # ------------------------------------------------------------------ per-user state
    def context(self, user_id: str) -> str | None:
        return self.store.load(user_id).context

    def slots(self, user_id: str) -> dict[str, str]:
        """The slots remembered for ``user_id`` (a copy)."""
        return dict(self.store.load(user_id).slots)

    def turns(self, user_id: str) -> list[dict]:
        """The user's last turns (text, intent, reply, time), oldest first."""
        return self.store.turns(user_id)

    # ------------------------------------------------------------------ replying
    def reply(self, text: str, user_id: str = "default") -> Reply:
        """The response to ``text`` from ``user_id`` (see ``_reply``), kept in the user's
        last turns."""
        user = self.store.load(user_id)
        pred = self.classifier.predict(text, k=len(self.classifier.labels_))
        reply = self._reply(text, user_id, user, pred)
        user.add_turn(text, reply.intent, reply.text)
        self.store.save(user_id, user)
        if self.inbox and reply.fallback and reply.reason != "empty":
            self.store.record(self._inbox_entry(text, reply, pred))
        if self.transcript is not None:
            self.transcript.write(self.name, user_id, text, reply)
        return reply

    def _inbox_entry(self, text: str, reply: Reply, pred) -> dict:
        """What the owner needs to label an unanswered message: never the user id."""
        return {
            "text": text[:MAX_INBOX_CHARS],
            "at": round(time.time(), 3),
            "reason": reply.reason,
            "ranking": [[label, round(c, 4)] for label, c in pred.ranking[:3]],
            "version": self.classifier.info.get("saved_at"),
        }

    def _reply(self, text: str, user_id: str, user: UserState, pred) -> Reply:
        """The response to ``text`` (the classifier's ``pred``) from ``user_id``: the best
        intent allowed in the user's context and above the classifier's threshold, or the
        fallback; a question first when that intent needs a slot the user hasn't given."""
        if user.pending in self.intents and not (pred.label and pred.label != user.pending):
            return self._fill(user_id, user, text, pred)
        user.pending = user.asked = None
        entities = pred.entities
        for e in entities:
            user.remember(e.entity, e.value)
        context = user.context
        if pred.reason in ("empty", "no known words"):
            return self._fallback(user_id, user, pred.reason, entities=entities)
        allowed = [
            (tag, conf)
            for tag, conf in pred.ranking
            if tag in self.intents and self._allowed(self.intents[tag], context)
        ]
        if not allowed:
            return self._fallback(
                user_id, user, "no intent allowed in this context", entities=entities
            )
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
            return self._fallback(user_id, user, reason or "the fallback intent", conf, entities)
        return self._answer(user_id, user, intent, conf, entities)

    def _fill(self, user_id: str, user: UserState, text: str, pred) -> Reply:
        """An answer to the question for ``user.asked``: the entities of the message read as
        the pending intent's; the asked slot, if still missing, is the whole message."""
        intent = self.intents[user.pending]
        extractor = self.classifier.entities_
        entities = extractor.extract(text, intent.tag) if extractor is not None else []
        for e in entities:
            user.remember(e.entity, e.value)
        if user.asked and user.asked not in {e.entity for e in entities} and text.strip():
            user.remember(user.asked, text.strip())
        return self._answer(user_id, user, intent, pred.confidence, entities)

    def _answer(
        self, user_id: str, user: UserState, intent: Intent, conf: float, entities
    ) -> Reply:
        missing = [s for s in intent.required_slots or {} if s not in user.slots]
        if missing:
            user.pending, user.asked = intent.tag, missing[0]
            question = intent.required_slots[missing[0]]
            return Reply(question, intent.tag, conf, False, user.context, None, entities,
                         dict(user.slots), missing[0])  # fmt: skip
        user.pending = user.asked = None
        if not intent.responses:  # recognised, but the intents.json gives it nothing to say
            return Reply(f"(intent '{intent.tag}' recognised; it has no responses)", intent.tag,
                         conf, False, user.context, "no responses", entities, dict(user.slots))  # fmt: skip
        if intent.context_set is not None:
            user.context = intent.context_set or None
        text = self._filled(self.rng.choice(intent.responses), user.slots)
        return Reply(text, intent.tag, conf, False, user.context, None, entities, dict(user.slots))

    @staticmethod
    def _filled(response: str, slots: dict[str, str]) -> str:
        """``{name}`` placeholders replaced by the slots' values (others left as written;
        plain substitution: no format-string attribute access)."""
        return _PLACEHOLDER.sub(lambda m: slots.get(m.group(1), m.group(0)), response)

    @staticmethod
    def _allowed(intent: Intent, context: str | None) -> bool:
        return not intent.context_filter or intent.context_filter == context

    def _fallback(
        self,
        user_id: str,
        user: UserState,
        reason: str | None,
        confidence: float = 0.0,
        entities=(),
    ) -> Reply:
        return Reply(self.rng.choice(self.fallback), None, confidence, True, user.context,
                     reason, list(entities), dict(user.slots))  # fmt: skip
