"""Annotated training data: Rasa's inline syntax (in Rasa files, intents.json patterns and CSV
texts), SNIPS's segments and the NLU Evaluation corpora's token spans all become the same
character spans of the plain text; every malformed annotation is listed with its place."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textkit.classify.data import labelled_texts
from textkit.entities import AnnotationError, Entity, annotate, parse_annotated
from textkit.errors import TextkitError


def _spans(text, entities):
    return [(e.entity, e.value, text[e.start : e.end]) for e in entities]


@pytest.mark.parametrize(
    ("annotated", "plain", "expected"),
    [
        ("book a table for [4](people) in [Boston](city)", "book a table for 4 in Boston",
         [("people", "4", "4"), ("city", "Boston", "Boston")]),
        ('fly to [NYC]{"entity": "city", "value": "New York"}', "fly to NYC",
         [("city", "New York", "NYC")]),
        ("fly to [the big apple](city:New York)", "fly to the big apple",
         [("city", "New York", "the big apple")]),
        ("  [Zürich](city) café ☕ [東京](city) ", "Zürich café ☕ 東京",
         [("city", "Zürich", "Zürich"), ("city", "東京", "東京")]),
        ("[🎉 party](event) then [🎉 party](event)", "🎉 party then 🎉 party",
         [("event", "🎉 party", "🎉 party"), ("event", "🎉 party", "🎉 party")]),
        ("see [1] and [sic], a (note)", "see [1] and [sic], a (note)", []),
    ],
)  # fmt: skip
def test_inline_annotations_become_spans_of_the_plain_text(annotated, plain, expected):
    text, entities = parse_annotated(annotated)
    assert text == plain
    assert _spans(text, entities) == expected
    if len(entities) == 2:  # repeated values keep their own offsets
        assert entities[0].start != entities[1].start


@pytest.mark.parametrize(
    ("annotated", "problem"),
    [
        ("[Boston](city", "column 8: an unclosed or nested annotation"),
        ("[[New York](city) trip](x)", "an unclosed or nested annotation"),
        ("[](city)", "column 1: an annotation with no text"),
        ("[ Boston](city)", "starts or ends with a space"),
        ("in [Bo](my city)", "column 4: 'my city' is not an entity name"),
        ('[Bo]{"value": "x"}', 'needs an "entity" name'),
        ("[Bo]{city}", "is not valid JSON"),
        ('[Bo]{"entity": "city", "value": [1]}', "must be text"),
    ],
)
def test_every_malformed_annotation_is_named_with_its_column(annotated, problem):
    with pytest.raises(AnnotationError, match=problem.replace("(", r"\(").replace(")", r"\)")):
        parse_annotated(annotated)


def test_all_problems_of_a_text_are_listed():
    with pytest.raises(AnnotationError) as exc:
        parse_annotated("[](a) and [x](bad name) and [y](z")
    assert len(exc.value.problems) == 3


names = st.from_regex(r"[a-z_][a-z0-9_]{0,8}", fullmatch=True)
words = st.text(
    st.characters(blacklist_characters="[](){}\n", blacklist_categories=("Cs", "Cc")), min_size=1
).filter(lambda w: w == w.strip())
filler = st.text(
    st.characters(blacklist_characters="[](){}\n", blacklist_categories=("Cs", "Cc")), max_size=8
)


@given(st.lists(st.tuples(filler, words, names, st.booleans()), max_size=4), filler)
def test_annotate_and_parse_are_inverses(parts, tail):
    """Any plain text with any non-overlapping spans, written inline and read back."""
    text, entities = "", []
    for before, word, name, synonym in parts:
        text += before
        entities.append(
            Entity(name, word.upper() if synonym else word, len(text), len(text) + len(word))
        )
        text += word
    text += tail
    lead = len(text) - len(text.lstrip())
    plain, back = parse_annotated(annotate(text, entities))
    assert plain == text.strip()
    assert [(e.entity, e.value, e.start + lead, e.end + lead) for e in back] == [
        (e.entity, e.value, e.start, e.end) for e in entities
    ]


def test_rasa_yaml_and_markdown_examples_carry_their_entities(tmp_path):
    yml = tmp_path / "nlu.yml"
    yml.write_text(
        'version: "3.1"\nnlu:\n- intent: book\n  examples: |\n'
        "    - table for [4](people) in [Boston](city)\n"
        '    - at [7pm]{"entity": "time", "value": "19:00"}\n'
        "- intent: greet\n  examples: |\n    - hi there\n"
    )
    data = labelled_texts(yml)
    assert data.texts[:2] == ["table for 4 in Boston", "at 7pm"]
    assert _spans(data.texts[1], data.entities[1]) == [("time", "19:00", "7pm")]
    assert data.entities[2] == () and data.annotated
    md = tmp_path / "nlu.md"
    md.write_text("## intent:book\n- table for [4](people)\n- [x](bad name) and [y](z\n")
    with pytest.raises(TextkitError, match=r"2 problem\(s\): line 3, column 1.*line 3, column 21"):
        labelled_texts(md)


def test_intents_json_patterns_and_csv_texts_with_inline_annotations(tmp_path):
    f = tmp_path / "intents.json"
    f.write_text(json.dumps({"intents": [
        {"tag": "weather", "patterns": ["weather in [Paris](city)", "is it cold"],
         "responses": ["Sunny in {city}"]},
        {"tag": "greet", "patterns": ["hello"], "responses": ["hi"]},
    ]}))  # fmt: skip
    data = labelled_texts(f, annotations=True)
    assert data.texts[0] == "weather in Paris" and data.annotated
    assert _spans(data.texts[0], data.entities[0]) == [("city", "Paris", "Paris")]
    csv = tmp_path / "rows.csv"
    csv.write_text(
        'text,intent\n"weather in [Oslo](city)",weather\n"[bad](a b",weather\n"x [y](a b)",w\n'
    )
    with pytest.raises(
        TextkitError, match=r"2 annotation problem\(s\): line 3, column 5.*line 4, column 3"
    ):
        labelled_texts(csv, annotations=True)
    plain = labelled_texts(csv)  # authors' tweets: brackets are just text
    assert plain.texts[0] == "weather in [Oslo](city)" and plain.entities is None


def test_snips_segments_and_their_offsets(tmp_path):
    f = tmp_path / "snips.json"
    f.write_text(json.dumps({"train": [{"intent": "Book", "data": [
        {"text": " book for "}, {"text": "4 ", "entity": "party_size"},
        {"text": "in "}, {"text": "São Paulo", "entity": "city"}]}]}))  # fmt: skip
    from textkit.text.readers import Source

    data = labelled_texts(Source(f, json_key="train", label_column="intent"))
    assert data.texts == ["book for 4 in São Paulo"]
    assert _spans(data.texts[0], data.entities[0]) == [
        ("party_size", "4", "4"),
        ("city", "São Paulo", "São Paulo"),
    ]


def test_nlu_evaluation_token_spans(tmp_path):
    f = tmp_path / "corpus.json"
    sentences = [
        {"text": "next u-bahn from garching?", "intent": "Dep", "training": True,
         "entities": [{"entity": "Vehicle", "start": 1, "stop": 3, "text": "u-bahn"},
                      {"entity": "Start", "start": 5, "stop": 5, "text": "garching"}]},
        {"text": "upgrade Ubuntu 9.10", "intent": "Up", "training": True,  # off by one
         "entities": [{"entity": "Version", "start": 2, "stop": 4, "text": "Ubuntu 9.10"}]},
    ]  # fmt: skip
    f.write_text(json.dumps({"sentences": sentences}))
    with pytest.warns(UserWarning, match="1 entity span"):
        data = labelled_texts(f)
    assert _spans(data.texts[0], data.entities[0]) == [
        ("Vehicle", "u-bahn", "u-bahn"),
        ("Start", "garching", "garching"),
    ]
    assert _spans(data.texts[1], data.entities[1]) == [("Version", "Ubuntu 9.10", "Ubuntu 9.10")]
    sentences[1]["entities"][0]["text"] = "Windows"
    f.write_text(json.dumps({"sentences": sentences}))
    with pytest.raises(TextkitError, match="'Windows', which is not in the text"):
        labelled_texts(f)


def test_real_annotated_corpora(shared_file):
    from textkit.text.readers import Source

    snips = labelled_texts(
        Source(shared_file("intent/snips_slots.json"), json_key="train", label_column="intent")
    )
    assert len(snips) == 13784 and snips.annotated
    for text, entities in zip(snips.texts[:2000], snips.entities[:2000], strict=True):
        for e in entities:
            assert text[e.start : e.end] == e.value and e.value == e.value.strip()
    chatbot = labelled_texts(shared_file("intent/nlu_evaluation/ChatbotCorpus.json"))
    assert sum(map(len, chatbot.entities)) == 500
