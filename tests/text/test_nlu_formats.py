"""Other NLU tools' training data: Rasa's YAML and Markdown, the NLU Evaluation corpora's JSON,
found by their shape, annotations read as plain text; `textkit convert` between formats."""

from __future__ import annotations

import json

import pytest

from textkit.classify.data import labelled_texts
from textkit.errors import TextkitError
from textkit.text.readers import Source, detect_format, read_documents

RASA_YAML = """version: "3.1"
nlu:
- intent: greet
  examples: |
    - hey
    - hello there
- intent: book_table
  examples: |
    - book a table for [4](people) at [7pm](time)
    - I need a table in [Boston]{"entity": "city", "value": "BOS"}
- synonym: BOS
  examples: |
    - boston
- regex: zipcode
  examples: |
    - [0-9]{5}
"""
RASA_MD = """## intent:greet
- hey
- hello there

## intent:goodbye
- see you [tomorrow](time)

## synonym:BOS
- boston
"""


def test_rasa_yaml_examples_with_annotations_as_plain_text(tmp_path):
    path = tmp_path / "nlu.yml"
    path.write_text(RASA_YAML)
    assert detect_format(path) == "rasa-yaml"
    docs = [(d.text, d.label) for d in read_documents(path)]
    assert docs == [("hey", "greet"), ("hello there", "greet"),
                    ("book a table for 4 at 7pm", "book_table"), ("I need a table in Boston", "book_table")]  # fmt: skip


def test_rasa_markdown_is_found_by_its_headings(tmp_path):
    path = tmp_path / "nlu.md"
    path.write_text(RASA_MD)
    assert detect_format(path) == "rasa-md"
    assert [(d.text, d.label) for d in read_documents(path)] == [
        ("hey", "greet"), ("hello there", "greet"), ("see you tomorrow", "goodbye")]  # fmt: skip
    notes = tmp_path / "notes.md"
    notes.write_text("# My notes\n\nSome prose.\n")
    assert detect_format(notes) == "lines"  # a plain Markdown file stays text


def test_the_nlu_evaluation_corpora_and_their_splits(tmp_path):
    path = tmp_path / "corpus.json"
    path.write_text(json.dumps({"name": "x", "sentences": [
        {"text": "when is the next train", "intent": "DepartureTime", "training": True},
        {"text": "how do I get to the station", "intent": "FindConnection", "training": False},
    ]}))  # fmt: skip
    assert len(labelled_texts(path)) == 2
    train = labelled_texts(Source(path, json_key="train"))
    assert train.texts == ["when is the next train"] and train.labels == ["DepartureTime"]
    with pytest.raises(TextkitError, match="--json-key train or test"):
        labelled_texts(Source(path, json_key="dev"))


@pytest.mark.parametrize(
    ("content", "message"),
    [("nlu:\n- intent: a\n  examples: [\n", "line 3: not valid YAML"),
     ("version: '3.1'\n", "top-level 'nlu:' list"),
     ("nlu:\n- intent: a\n- intent: ''\n  examples: '- x'\n", "2 problem(s)")],
)  # fmt: skip
def test_broken_rasa_files_are_one_clear_error(tmp_path, content, message):
    path = tmp_path / "nlu.yml"
    path.write_text(content)
    with pytest.raises(TextkitError, match=message.replace("(", r"\(").replace(")", r"\)")):
        list(read_documents(path))


def test_convert_round_trips_and_trains(run, repo, tmp_path):
    r = run("convert", repo / "corpora" / "intents.json", "-o", tmp_path / "bot.yml")
    assert r.exit_code == 0, r.output
    r = run("convert", tmp_path / "bot.yml", "-o", tmp_path / "again.json")
    assert r.exit_code == 0, r.output
    original = labelled_texts(repo / "corpora" / "intents.json")
    again = labelled_texts(tmp_path / "again.json")
    pairs = sorted(zip(again.texts, again.labels, strict=True))
    assert pairs == sorted(zip(original.texts, original.labels, strict=True))
    r = run("train-intent", tmp_path / "bot.yml", "--models-dir", tmp_path / "m")
    assert r.exit_code == 0, r.output
    assert run("convert", tmp_path / "bot.yml", "-o", tmp_path / "x.txt").exit_code == 2
    assert run("convert", tmp_path / "bot.yml", "-o", tmp_path / "bot.yml").exit_code in (1, 2)
