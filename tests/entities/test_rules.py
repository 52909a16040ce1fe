"""Regexes, lookup tables and synonyms; the one overlap rule; bounds on what rules can cost;
annotations and rules through `textkit convert` and back; bad annotated data, every problem
listed."""

from __future__ import annotations

import json
import time
import warnings

import pytest

from textkit.entities import Entity
from textkit.entities.rules import MAX_LOOKUP_ENTRIES, Rules, resolve
from textkit.errors import TextkitError
from textkit.intent import IntentClassifier

NLU = """version: "3.1"
nlu:
- intent: weather
  examples: |
    - weather in [Paris](city)
    - is it cold in [NYC]{"entity": "city", "value": "New York"}
    - forecast for [Rome](city)
    - rain in [Oslo](city)?
    - weather [Berlin](city) please
- intent: order
  examples: |
    - order number [1234567890](order_id)
    - where is my order
    - track [9876543210](order_id)
- intent: greet
  examples: |
    - hi
    - hello there
- synonym: New York
  examples: |
    - big apple
    - new york city
- regex: order_id
  examples: |
    - \\d{10}
- lookup: city
  examples: |
    - Vienna
    - Buenos Aires
"""


@pytest.fixture(scope="module")
def rasa_bot(tmp_path_factory):
    path = tmp_path_factory.mktemp("rasa") / "nlu.yml"
    path.write_text(NLU, encoding="utf-8")
    clf = IntentClassifier()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(path, path.parent / "m", {"progress": False})
    return IntentClassifier.load(path.parent / "m")


def _found(pred):
    return [(e.entity, e.value, pred.text[e.start : e.end], e.extractor) for e in pred.entities]


def test_regex_lookup_and_synonyms_from_rasa_yaml(rasa_bot):
    assert _found(rasa_bot.predict("weather in Buenos Aires")) == [
        ("city", "Buenos Aires", "Buenos Aires", "lookup")
    ]
    assert _found(rasa_bot.predict("track order 5555555555 please")) == [
        ("order_id", "5555555555", "5555555555", "regex")
    ]
    # an annotation's value is a synonym; so are the synonym section's texts, any case
    (city,) = _found(rasa_bot.predict("is it cold in nyc"))
    assert city[:3] == ("city", "New York", "nyc")
    assert (
        rasa_bot.entities_.rules.canonical(Entity("city", "New York City", 0, 13)).value
        == "New York"
    )


def test_one_rule_for_overlaps():
    crf = Entity("city", "New", 0, 3, 0.9, "crf")
    lookup = Entity("city", "New York", 0, 8, 1.0, "lookup")
    regex = Entity("code", "York", 4, 8, 1.0, "regex")
    assert resolve([crf, regex, lookup]) == [lookup]  # the longer span wins
    same = Entity("place", "New York", 0, 8, 1.0, "regex")
    assert resolve([lookup, same]) == [same]  # same span: a regex over a lookup
    apart = Entity("time", "7pm", 12, 15, 0.5, "crf")
    assert resolve([apart, lookup]) == [lookup, apart]  # in text order


def test_rules_are_bounded():
    catastrophic = Rules(regexes=[("x", r"(?:a|aa)+$")])
    start = time.monotonic()
    with pytest.raises(TextkitError, match="took too long"):
        catastrophic.extract("a" * 40 + "!")
    assert time.monotonic() - start < 5
    with pytest.raises(TextkitError, match="lookup tables of 1,000,000 entries"):
        Rules(lookups={"city": ["x"] * 1_000_000})
    assert MAX_LOOKUP_ENTRIES < 1_000_000
    with pytest.raises(TextkitError, match="bad entity regex"):
        Rules(regexes=[("x", "(unclosed")])
    with pytest.raises(TextkitError, match="'my city' is not an entity name"):
        Rules(lookups={"my city": ["x"]})


def test_annotations_and_rules_survive_convert(tmp_path, run):
    (tmp_path / "nlu.yml").write_text(NLU, encoding="utf-8")
    assert run("convert", tmp_path / "nlu.yml", "-o", tmp_path / "a.json").exit_code == 0
    patterns = json.loads((tmp_path / "a.json").read_text())["intents"][0]["patterns"]
    assert patterns[1] == 'is it cold in [NYC]{"entity": "city", "value": "New York"}'
    assert run("convert", tmp_path / "a.json", "-o", tmp_path / "b.yml").exit_code == 0
    assert run("convert", tmp_path / "nlu.yml", "-o", tmp_path / "c.yml").exit_code == 0
    intents = lambda text: text.split("- regex:")[0]  # noqa: E731
    assert intents((tmp_path / "b.yml").read_text()) == intents((tmp_path / "c.yml").read_text())
    c = (tmp_path / "c.yml").read_text()
    assert '- regex: "order_id"' in c and '- lookup: "city"' in c and '- synonym: "New York"' in c
    from textkit.classify.data import labelled_texts

    again, first = labelled_texts(tmp_path / "c.yml"), labelled_texts(tmp_path / "nlu.yml")
    assert again.texts == first.texts and again.entities == first.entities
    assert again.extra["rules"] == first.extra["rules"]


def test_bad_annotated_data_lists_every_problem(tmp_path, run):
    f = tmp_path / "corpus.json"
    f.write_text(json.dumps({"sentences": [
        {"text": "from a to b", "intent": "go", "entities": [
            {"entity": "Start", "start": 1, "stop": 3, "text": "a to b"},
            {"entity": "Dest", "start": 3, "stop": 3, "text": "b"}]},
        {"text": "x", "intent": "go", "entities": [{"entity": "E", "start": 4, "stop": 5}]},
    ]}))  # fmt: skip
    r = run("check", f)
    assert r.exit_code == 1 and "2 problem(s)" in r.stderr
    assert "'Start' and 'Dest' overlap" in r.stderr and "outside the text" in r.stderr
    only_rules = tmp_path / "rules.yml"
    only_rules.write_text('version: "3.1"\nnlu:\n- lookup: city\n  examples: |\n    - Paris\n')
    r = run("train-intent", only_rules, "--name", "x")
    assert r.exit_code == 1 and "rules.yml" in r.stderr and len(r.stderr.strip().splitlines()) == 1
