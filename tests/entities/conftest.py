"""A small annotated chatbot (three intents, cities, party sizes and times), trained once."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from _support.entity_bot import BOT


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
