"""``--classifier auto``: every head that fits the budget is scored on held-out training texts
(out of fold for small sets, a held-out split for large ones), the most accurate is trained,
the comparison is kept, and a budget too small to compare anything says so."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from textkit.classify import auto
from textkit.errors import TextkitError
from textkit.intent import IntentClassifier


def _synthetic(n_per_label: int, seed: int = 0) -> dict[str, list[str]]:
    """Two labels told apart by their words: any head learns them."""
    rng = random.Random(seed)
    vocab = {"a": [f"alpha{i}" for i in range(40)], "b": [f"beta{i}" for i in range(40)]}
    shared = [f"common{i}" for i in range(40)]
    return {
        label: [" ".join(rng.sample(words, 3) + rng.sample(shared, 3)) for _ in range(n_per_label)]
        for label, words in vocab.items()
    }


def test_a_small_set_compares_heads_out_of_fold_and_trains_the_best(
    repo, run, tmp_path, monkeypatch
):
    monkeypatch.setitem(auto.RELATIVE_COST, "mlp", 1e9)  # the mlp: skipped (seconds of training)
    r = run("train-intent", repo / "corpora" / "intents.json", "--classifier", "auto",
            "--name", "bot", "--models-dir", tmp_path)  # fmt: skip
    assert r.exit_code == 0, r.output
    config = json.loads((tmp_path / "bot" / "config.json").read_text())
    report = config["auto"]
    assert report["method"] == "out of fold" and report["skipped"] == ["mlp"]
    assert set(report["accuracy"]) == {"svm", "centroid", "nb", "linear"}
    assert set(report["p_value_vs_default"]) == {"centroid", "nb", "linear"}
    assert config["model"]["classifier"] == report["chosen"]  # a concrete head is saved
    assert f"-> {report['chosen']}" in r.stderr and "over the 120s budget: mlp" in r.stderr
    model = IntentClassifier.load(tmp_path / "bot")
    assert model.predict("what time do you open on sunday").label == "opening_hours"


def test_a_large_set_is_scored_on_a_held_out_split(monkeypatch):
    monkeypatch.setitem(auto.RELATIVE_COST, "mlp", 1e9)
    model = IntentClassifier(classifier="auto")
    model.fit(_synthetic(600), train_config={"progress": False})
    report = model.info["auto"]
    assert report["method"] == "120 held-out texts"  # 10% of each label
    assert report["accuracy"]["svm"] == 1.0 and report["chosen"] == "svm"  # ties: the default
    assert model.config.classifier == "svm"


def test_a_budget_too_small_to_compare_anything_says_so_and_trains_the_default(monkeypatch):
    for head in ("centroid", "nb", "linear", "mlp"):
        monkeypatch.setitem(auto.RELATIVE_COST, head, 1e9)
    model = IntentClassifier(classifier="auto", auto_budget=1)
    with pytest.warns(UserWarning, match="compared no heads: svm alone took"):
        model.fit(_synthetic(30), train_config={"progress": False})
    assert model.config.classifier == "svm" and model.predict("alpha1 alpha2").label == "a"


def test_a_saved_model_must_name_a_trained_head(tmp_path):
    model = IntentClassifier()
    model.fit(_synthetic(30), tmp_path / "m", {"progress": False})
    path = tmp_path / "m" / "config.json"
    config = json.loads(path.read_text())
    config["model"]["classifier"] = "auto"
    path.write_text(json.dumps(config))
    with pytest.raises(TextkitError, match="classifier"):
        IntentClassifier.load(tmp_path / "m")


def test_another_head_replaces_the_default_only_when_clearly_better():
    rng = np.random.default_rng(0)
    default = rng.random(400) < 0.80
    close = default.copy()
    close[np.flatnonzero(~default)[:6]] = True  # 6 more right, 4 fewer: within noise
    close[np.flatnonzero(default)[:4]] = False
    clear = default.copy()
    clear[np.flatnonzero(~default)[:40]] = True  # 40 more right, none fewer
    worse = default & (rng.random(400) < 0.9)
    assert auto.pick({"svm": default, "nb": close, "mlp": worse})[0] == "svm"
    chosen, p = auto.pick({"svm": default, "nb": close, "linear": clear})
    assert chosen == "linear" and p["linear"] < 1e-9 and p["nb"] > 0.03
