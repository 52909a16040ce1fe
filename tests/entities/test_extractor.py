"""The CRF tagger: its numpy answers equal the torch model's and brute force; an annotated
intents.json trains it beside the classifier; predictions carry entities whose offsets index
the original text (accents, emoji, CJK); the folder loads without torch; a model without
annotations behaves as before."""

from __future__ import annotations

import itertools
import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from textkit.entities.crf import CRFNet, crf_nll, viterbi_torch
from textkit.entities.decode import marginals, viterbi
from textkit.intent import IntentClassifier


def _random_crf(n_tags=4, n_features=30, seed=0):
    torch.manual_seed(seed)
    net = CRFNet(n_features, n_tags)
    with torch.no_grad():
        for p in net.parameters():
            p.normal_(0, 1.5)
    return net


def _paths(net, emissions):
    e = emissions.detach().numpy().astype(np.float64)
    start, trans, end = (
        p.detach().numpy().astype(np.float64) for p in (net.start, net.transition, net.end)
    )
    n, t = e.shape
    scores = {}
    for path in itertools.product(range(t), repeat=n):
        s = start[path[0]] + e[0, path[0]] + end[path[-1]]
        s += sum(trans[path[i - 1], path[i]] + e[i, path[i]] for i in range(1, n))
        scores[path] = s
    return scores, (start, trans, end), e


def test_the_crf_against_brute_force():
    net = _random_crf()
    lengths = torch.tensor([4, 2, 1])
    ids = torch.randint(0, 30, (7 * 3,))
    emissions = net(ids, torch.arange(0, 21, 3))
    tags = torch.randint(0, 4, (7,))
    nll = crf_nll(net, emissions, tags, lengths).detach().numpy()
    decoded = viterbi_torch(net, emissions, lengths)
    at = 0
    for b, n in enumerate(lengths.tolist()):
        scores, (start, trans, end), e = _paths(net, emissions[at : at + n])
        log_z = np.log(np.sum(np.exp(list(scores.values()))))
        gold = tuple(tags[at : at + n].tolist())
        assert nll[b] == pytest.approx(log_z - scores[gold], rel=1e-4)
        best = max(scores, key=scores.get)
        assert decoded[b] == list(best) == viterbi(e, start, trans, end)
        probs = marginals(e, start, trans, end)
        for i in range(n):  # P(tag at i) = sum over paths through it
            for tag in range(4):
                mass = sum(np.exp(s - log_z) for p, s in scores.items() if p[i] == tag)
                assert probs[i, tag] == pytest.approx(mass, abs=1e-6)
        at += n


def _spans(pred):
    return [(e.entity, e.value, pred.text[e.start : e.end]) for e in pred.entities]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("what is the weather in Vienna", [("city", "Vienna", "Vienna")]),
        ("is it cold in Kraków 🙂 today", [("city", "Kraków", "Kraków")]),
        ("東京🙂 weather in Paris please", [("city", "Paris", "Paris")]),
        ("book a table for 7 at 9pm", [("people", "7", "7"), ("time", "9pm", "9pm")]),
    ],
)
def test_predictions_carry_entities_with_offsets_into_the_text(entity_bot, text, expected):
    pred = IntentClassifier.load(entity_bot).predict(text)
    assert _spans(pred) == expected
    for e in pred.entities:
        assert 0 < e.confidence <= 1 and e.extractor == "crf"


def test_the_tagger_trains_in_its_own_folder_through_the_loop(entity_bot):
    folder = entity_bot / "entities"
    assert {"tagger.json", "tagger.safetensors", "metrics.jsonl"} <= {
        p.name for p in folder.iterdir()
    }
    meta = json.loads((folder / "tagger.json").read_text())
    assert meta["tags"][0] == "O" and "B-city" in meta["tags"] and meta["conditioned"] is True
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert rows and "val_f1" in rows[-1]


def test_a_model_with_entities_loads_and_answers_without_torch(entity_bot):
    code = (
        "import sys, json\nsys.modules['torch'] = None\n"
        "from textkit.loading import load_model\n"
        f"m = load_model({str(entity_bot)!r})\n"
        "print(json.dumps(m.predict('weather in Vienna').to_dict()))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    entities = json.loads(out.stdout)["entities"]
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in entities] == [
        ("city", "Vienna", 11, 17)
    ]


def test_in_memory_training_and_save_keep_the_tagger(bot_file, tmp_path):
    clf = IntentClassifier()
    with pytest.warns(UserWarning):
        clf.fit(bot_file, train_config={"progress": False})
    before = _spans(clf.predict("rain in Bergen?"))
    clf.save(tmp_path / "m")
    assert _spans(IntentClassifier.load(tmp_path / "m").predict("rain in Bergen?")) == before
    assert before == [("city", "Bergen", "Bergen")]


def test_a_model_without_annotations_has_no_entities(intent_model):
    clf = IntentClassifier.load(intent_model)
    assert clf.entities_ is None and not (intent_model / "entities").exists()
    pred = clf.predict("when do you open tomorrow?")
    assert pred.entities == [] and pred.to_dict()["entities"] == []


def test_classify_prints_entities_and_the_api_returns_them_in_rasa_shape(
    entity_bot, run, start_server
):
    r = run("classify", entity_bot, "book for 3 at 6pm", "--json")
    got = json.loads(r.stdout)["entities"]
    assert [(e["entity"], e["value"]) for e in got] == [("people", "3"), ("time", "6pm")]
    r = run("classify", entity_bot, "weather in Vienna")
    assert r.stdout.rstrip("\n").split("\t")[-1].startswith("city='Vienna' ")
    server = start_server([entity_bot])
    for path in ("/v1/intent", "/model/parse"):
        body = server.post(path, json={"text": "weather in Vienna"}).json()
        (entity,) = body["entities"]
        assert 0 < entity.pop("confidence_entity") <= 1
        assert entity == {
            "entity": "city",
            "start": 11,
            "end": 17,
            "value": "Vienna",
            "extractor": "crf",
        }


def test_evaluate_scores_entities_per_type_and_lists_the_confused_spans(entity_bot, run, tmp_path):
    test = tmp_path / "test.json"
    test.write_text(json.dumps({"intents": [
        {"tag": "weather", "patterns": ["weather in [Vienna](city)", "rain in [Vienna](time)?"],
         "responses": ["x"]},
        {"tag": "book", "patterns": ["table for [9](people) at [10pm](time)"], "responses": ["y"]},
    ]}))  # fmt: skip
    r = run("evaluate", entity_bot, test, "-o", tmp_path / "ev")
    assert r.exit_code == 0, r.output
    assert "entities (exact spans)" in r.stdout
    report = json.loads((tmp_path / "ev" / "report.json").read_text())["entities"]
    # city: found twice, right once (the second Vienna is labelled time); time: 1 of 2 found
    assert report["per_type"]["city"] == {
        "precision": 0.5,
        "recall": 1.0,
        "f1": pytest.approx(2 / 3),
        "support": 1,
    }
    assert report["per_type"]["time"]["recall"] == 0.5 and report["per_type"]["people"]["f1"] == 1.0
    assert report["micro"]["f1"] == pytest.approx(2 * 3 / (2 * 3 + 1 + 1))
    (row,) = json.loads((tmp_path / "ev" / "errors.json").read_text())
    assert row["gold"] == row["predicted"] == "weather"  # the intent was right, the span not
    assert row["entities_missed"] == [{"entity": "time", "text": "Vienna", "start": 8, "end": 14}]
    assert row["entities_wrong"] == [{"entity": "city", "text": "Vienna", "start": 8, "end": 14}]
