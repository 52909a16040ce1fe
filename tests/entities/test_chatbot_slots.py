"""Chatbot slots: entities fill {placeholders} and are remembered per user; required slots are
asked for, one question at a time, and a clear change of topic drops the question."""

from __future__ import annotations

import json
import warnings

import pytest

from textkit.errors import TextkitError
from textkit.intent import IntentClassifier
from textkit.intent.chatbot import Chatbot
from textkit.intent.store import MAX_SLOT_CHARS, MAX_SLOTS, UserState


@pytest.fixture(scope="module")
def form_bot(bot_file, tmp_path_factory):
    """The annotated bot whose "book" intent requires people and time."""
    data = json.loads(bot_file.read_text(encoding="utf-8"))
    data["intents"][2]["required_slots"] = {
        "people": "For how many people?",
        "time": "At what time?",
    }
    path = tmp_path_factory.mktemp("form") / "intents.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    clf = IntentClassifier()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(path, tmp_path_factory.mktemp("form-model") / "m", {"progress": False})
    return clf


def test_placeholders_are_filled_from_the_message_and_remembered(entity_bot):
    bot = Chatbot(IntentClassifier.load(entity_bot), seed=0)
    first = bot.reply("weather in Vienna", "ann")
    assert first.text == "Here is the weather for Vienna." and first.slots == {"city": "Vienna"}
    assert [(e.entity, e.value) for e in first.entities] == [("city", "Vienna")]
    assert bot.reply("what's the weather", "ann").text == "Here is the weather for Vienna."
    assert bot.slots("bob") == {}  # per user
    assert bot.reply("what's the weather", "bob").text == "Here is the weather for {city}."


def test_required_slots_are_asked_for_then_answered(form_bot):
    bot = Chatbot(form_bot, seed=0)
    r = bot.reply("I want to book a table", "ann")
    assert (r.text, r.asking) == ("For how many people?", "people")
    r = bot.reply("4", "ann")  # an answer without a recognised entity: taken whole
    assert (r.text, r.asking, r.slots) == ("At what time?", "time", {"people": "4"})
    r = bot.reply("at 8pm", "ann")
    assert r.text == "A table for 4 at 8pm." and r.asking is None
    r = bot.reply("book a table for 2 at 7pm", "carl")  # everything at once: no question
    assert r.text == "A table for 2 at 7pm." and r.asking is None


def test_a_clear_change_of_topic_drops_the_question(form_bot):
    bot = Chatbot(form_bot, seed=0)
    assert bot.reply("I want to book a table", "ann").asking == "people"
    r = bot.reply("weather in Paris", "ann")
    assert r.intent == "weather" and r.text == "Here is the weather for Paris."
    assert bot.reply("hello", "ann").text == "Hi!"  # no question pending any more


def test_slots_are_bounded_and_placeholders_are_plain_substitution(entity_bot):
    bot = Chatbot(IntentClassifier.load(entity_bot), seed=0)
    user = UserState()
    for i in range(MAX_SLOTS + 10):
        user.remember(f"s{i}", "x" * (MAX_SLOT_CHARS + 5))
    assert len(user.slots) == MAX_SLOTS and "s0" not in user.slots
    assert {len(v) for v in user.slots.values()} == {MAX_SLOT_CHARS}
    assert (
        bot._filled("{city.__class__} {0} {city}", {"city": "Oslo"}) == "{city.__class__} {0} Oslo"
    )


def test_required_slots_must_map_names_to_questions(tmp_path):
    f = tmp_path / "intents.json"
    f.write_text(json.dumps({"intents": [
        {"tag": "a", "patterns": ["x"], "responses": ["y"], "required_slots": ["people"]},
        {"tag": "b", "patterns": ["z"], "responses": ["y"], "required_slots": {"my slot": "?"}},
    ]}))  # fmt: skip
    with pytest.raises(TextkitError, match=r"2 problem\(s\).*required_slots"):
        IntentClassifier().fit(f)


def test_chat_shows_entities_and_slots_with_v(entity_bot, run):
    r = run("chat", entity_bot, "-v", input="weather in Vienna\nquit\n")
    assert r.exit_code == 0, r.output
    assert "Here is the weather for Vienna." in r.stdout
    assert "entities city='Vienna', slots {'city': 'Vienna'}" in r.stderr
