"""intents.json files as people write them (the shapes found in public chatbot repositories):
recovered with one warning per kind of problem, or refused with every problem at once."""

from __future__ import annotations

import json
import warnings

import pytest

from textkit.errors import TextkitError, TextkitWarning
from textkit.intent import Chatbot, IntentClassifier
from textkit.text.readers import load_intents

MESSY = {
    "intents": [
        {"tag": "greeting", "patterns": ["hi", "hello", ""], "responses": "Hello!"},
        {"tag": "hours", "patterns": ["when do you open", "what are your opening hours"],
         "responses": ["9 to 5", ""], "context_set": ""},
        {"tag": "greeting", "patterns": ["hey there", " "], "responses": ["Hi!"]},
        {"tag": "order", "patterns": [], "responses": ["Which book?"]},
        {"tag": "goodbye", "patterns": ["bye", "see you later"], "responses": ["Bye!"], "function": "end"},
        {"tag": "weather", "patterns": ["is it raining", "what's the weather like"], "responses": []},
    ]
}  # fmt: skip


def _write(tmp_path, data) -> str:
    path = tmp_path / "intents.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_what_tutorials_accept_is_recovered_with_one_warning_per_kind(tmp_path):
    path = _write(tmp_path, MESSY)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        intents = {it.tag: it for it in load_intents(path)}
    messages = [str(w.message) for w in said if issubclass(w.category, TextkitWarning)]
    assert len(messages) == 4
    assert any(
        "2 blank patterns skipped: intents[0].patterns[2], intents[2].patterns[1]" in m
        for m in messages
    )
    assert any("1 empty responses skipped: intents[1].responses[1]" in m for m in messages)
    assert any("'greeting' (intents[0] and intents[2])" in m for m in messages)
    assert any("without patterns" in m and "'order'" in m for m in messages)
    assert intents["greeting"].patterns == ["hi", "hello", "hey there"]
    assert intents["greeting"].responses == ["Hello!", "Hi!"]  # a string is a one-item list
    assert intents["hours"].context_set == ""  # "" ends a conversation flow (the chatbot's rule)
    assert intents["order"].responses == ["Which book?"] and not intents["order"].patterns


def test_a_messy_file_trains_and_answers(tmp_path):
    path = _write(tmp_path, MESSY)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextkitWarning)
        clf = IntentClassifier()
        clf.fit(path)
    bot = Chatbot(clf, seed=0)
    assert bot.reply("hey there").text in ("Hello!", "Hi!")
    recognised = bot.reply("is it raining")  # recognised, but it has nothing to say
    assert recognised.intent == "weather" and "'weather' recognised" in recognised.text
    assert not recognised.fallback


def test_every_problem_is_reported_at_once(tmp_path):
    path = _write(tmp_path, {"intents": [{"patterns": ["x"]}, {"tag": "a", "patterns": [1, "y"]}, 5,
                                         {"tag": "b", "patterns": ["z"], "context_filter": {"a": 1}}]})  # fmt: skip
    with pytest.raises(TextkitError) as err:
        load_intents(path)
    message = str(err.value)
    assert "4 problem(s)" in message and "\n" not in message
    for where in ("intents[0] (intent #1) has no 'tag'", "intents[1].patterns[0]", "intents[2] is not an object",
                  "intents[3].context_filter"):  # fmt: skip
        assert where in message


def test_check_reports_without_training(run, tmp_path):
    path = _write(tmp_path, MESSY)
    r = run("check", path)
    assert r.exit_code == 0 and "ok: trains as it is" in r.output and "merged" in r.output
    assert not (tmp_path / "models").exists()
    bad = tmp_path / "bad.json"
    bad.write_text('{"intents": [{"tag": "a", "patterns": [1]}, {"patterns": []}]}')
    r = run("check", bad)
    assert r.exit_code == 1 and "2 problem(s)" in r.output and "Traceback" not in r.output


def test_chat_leaves_on_quit(run, tmp_path, repo):
    assert run("train-intent", repo / "corpora" / "intents.json", "--name", "bot",
               "--models-dir", tmp_path).exit_code == 0  # fmt: skip
    r = run("chat", "bot", "--models-dir", tmp_path, input="hello\nquit\nthis is never read\n")
    assert r.exit_code == 0 and len([ln for ln in r.stdout.splitlines() if ln.strip()]) == 1


# the shape of Kaggle's "Chatbots: Intent Recognition Dataset" (Intent.json): other key names
KAGGLE_SHAPED = [
    {"intent": "Greeting", "text": ["Hi", "Hello there"], "responses": ["Hello!"],
     "extension": {"function": "", "entities": False, "responses": []},
     "context": {"in": "", "out": "GreetingUserRequest", "clear": False}, "entities": []},
    {"intent": "GoodBye", "text": ["Bye", "See you later"], "responses": ["Goodbye!"],
     "extension": {"function": "", "entities": False, "responses": []},
     "context": {"in": "", "out": "", "clear": True}, "entities": []},
]  # fmt: skip


@pytest.mark.parametrize("wrapped", [True, False])
def test_other_key_names_and_a_bare_list_of_intents_are_read(tmp_path, wrapped):
    from textkit.classify.data import labelled_texts

    path = _write(tmp_path, {"intents": KAGGLE_SHAPED} if wrapped else KAGGLE_SHAPED)
    with warnings.catch_warnings(record=True) as said:
        warnings.simplefilter("always")
        intents = {it.tag: it for it in load_intents(path)}
        data = labelled_texts(path)
    messages = [str(w.message) for w in said if issubclass(w.category, TextkitWarning)]
    assert any("'intent' as 'tag', 'text' as 'patterns'" in m for m in messages)
    assert intents["Greeting"].patterns == ["Hi", "Hello there"]
    assert intents["GoodBye"].responses == ["Goodbye!"]
    assert list(zip(data.texts, data.labels, strict=True)) == [
        ("Hi", "Greeting"), ("Hello there", "Greeting"), ("Bye", "GoodBye"), ("See you later", "GoodBye")
    ]  # fmt: skip


def test_the_usual_names_win_and_json_records_stay_records(tmp_path):
    from textkit.classify.data import labelled_texts

    both = [{"tag": "a", "name": "not the tag", "patterns": ["x y"], "text": ["ignored"]}]
    assert [(it.tag, it.patterns) for it in load_intents(_write(tmp_path, both))] == [
        ("a", ["x y"])
    ]
    records = tmp_path / "records.json"
    records.write_text(json.dumps([{"text": "hi there", "intent": "greet"}] * 2), encoding="utf-8")
    data = labelled_texts(records)
    assert data.texts == ["hi there"] * 2 and data.labels == ["greet"] * 2
