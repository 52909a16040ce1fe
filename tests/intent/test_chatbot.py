"""The Chatbot over the shipped example intents.json: answers, context flows, fallbacks,
per-user state that stays bounded."""

import pytest

from textkit.intent import Chatbot, IntentClassifier


@pytest.fixture(scope="module")
def classifier(intent_model):
    return IntentClassifier.load(intent_model)


def test_the_shipped_example_answers_sensibly(classifier):
    bot = Chatbot(classifier, seed=0)
    cases = {
        "hello there": "greeting",
        "when do you open on sunday?": "opening_hours",
        "can I pay with apple pay": "payment",
        "where is my order": "order_status",
        "thanks a lot": "thanks",
        "can you recommend a good book": "recommendation",
    }
    for text, intent in cases.items():
        reply = bot.reply(text, "u")
        assert reply.intent == intent and not reply.fallback, (text, reply)
        assert reply.text in bot.intents[intent].responses
    gibberish = bot.reply("asdkjh qwe", "u")
    assert gibberish.fallback and gibberish.intent is None and gibberish.confidence == 0.0
    assert gibberish.text in bot.intents["fallback"].responses
    weather = bot.reply("what's the weather like tomorrow?", "u")
    assert weather.fallback and weather.reason == "out-of-scope label"


def test_context_flows_per_user_and_is_set_only_by_the_answered_intent(classifier):
    bot = Chatbot(classifier, seed=0)
    assert bot.reply("the cover is torn", "alice").fallback  # not in a returns conversation
    start = bot.reply("I want to return a book", "alice")
    assert start.intent == "returns_start" and bot.context("alice") == "returns"
    assert bot.context("bob") is None
    assert bot.reply("the cover is torn", "bob").fallback  # bob's context is his own
    reason = bot.reply("the cover is torn", "alice")
    assert reason.intent == "returns_reason" and not reason.fallback
    assert bot.context("alice") is None  # its context_set "" ends the flow
    assert bot.reply("the cover is torn", "alice").fallback


def test_responses_are_seeded(classifier):
    a = [Chatbot(classifier, seed=7).reply("hi", "u").text for _ in range(3)]
    b = [Chatbot(classifier, seed=7).reply("hi", "u").text for _ in range(3)]
    assert a == b


def test_per_user_state_is_bounded_in_size_and_age(classifier, monkeypatch):
    bot = Chatbot(classifier, seed=0, max_users=3, context_ttl=60)
    for user in "abcde":
        bot.reply("I want to return a book", user)
    assert len(bot.store) == 3 and bot.context("a") is None and bot.context("e") == "returns"
    import time

    now = time.time()  # wall-clock: a store shared by processes compares their times
    monkeypatch.setattr(time, "time", lambda: now + 61)
    assert bot.context("e") is None


def test_a_classifier_without_responses_needs_intents(snips):
    clf = IntentClassifier()
    clf.fit(snips[0][::20])
    from textkit.errors import TextkitError

    with pytest.raises(TextkitError, match="no responses"):
        Chatbot(clf)
