"""A small annotated chatbot (three intents, cities, party sizes and times), trained once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

BOT = {
    "intents": [
        {"tag": "weather", "responses": ["Here is the weather for {city}."], "patterns": [
            "weather in [Paris](city)", "is it cold in [Oslo](city)",
            "forecast for [Rome](city) tomorrow", "will it rain in [Berlin](city)",
            "how hot is it in [Madrid](city)", "weather [London](city)",
            "what's the weather like in [New York](city)", "temperature in [Tokyo](city) please",
            "any snow in [Zürich](city) today", "is it sunny in [Lisbon](city)",
            "weather for [São Paulo](city)", "rain in [Dublin](city)?"]},
        {"tag": "greet", "responses": ["Hi!"], "patterns": [
            "hello", "hi there", "good morning", "hey", "hello again", "good evening"]},
        {"tag": "book", "responses": ["A table for {people} at {time}."], "patterns": [
            "book a table for [4](people)", "a table for [two]{\"entity\": \"people\", \"value\": \"2\"} at [7pm](time)",
            "reserve for [6](people) at [8pm](time)", "table for [3](people) please",
            "book [5](people) people at [noon](time)", "can I get a table for [2](people) at [9pm](time)",
            "reserve a table at [6pm](time)", "book for [8](people) tonight at [7:30pm](time)",
            "we are [4](people), at [1pm](time)", "a table at [8pm](time) for [2](people)"]},
    ]
}  # fmt: skip


@pytest.fixture(scope="session")
def bot_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("entities") / "intents.json"
    path.write_text(json.dumps(BOT, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def entity_bot(bot_file) -> Path:
    """The annotated bot, trained (default settings) and saved."""
    import warnings

    from textkit.intent import IntentClassifier

    out = bot_file.parent / "bot"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        IntentClassifier().fit(bot_file, out, {"progress": False})
    return out
