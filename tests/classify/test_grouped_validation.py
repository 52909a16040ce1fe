"""--group-column: validation that holds out whole documents, as new text will come from new
documents (a speech, a conversation), instead of sentences whose neighbours trained."""

import json
import warnings

import numpy as np
import pytest

from textkit.classify.data import fold_of, grouped_split, labelled_texts
from textkit.errors import TextkitError, TextkitWarning
from textkit.intent import IntentClassifier
from textkit.text.readers import Source


def test_the_split_holds_out_whole_documents_and_keeps_every_label():
    rng = np.random.default_rng(1)
    labels, groups = [], []
    for doc in range(40):
        label = f"a{doc % 4}" if doc < 39 else "lonely"  # "lonely" is in one document only
        n = int(rng.integers(3, 30))
        labels += [label] * n
        groups += [f"d{doc}"] * n
    train, val = grouped_split(labels, groups, 0.2, seed=0)
    assert len(train) + len(val) == len(labels) and not set(train) & set(val)
    train_docs, val_docs = {groups[i] for i in train}, {groups[i] for i in val}
    assert val_docs and not train_docs & val_docs  # no document on both sides
    assert {labels[i] for i in train} == set(labels)  # every label still trains
    assert "d39" in train_docs  # a label's only document is never held out
    for label in {"a0", "a1", "a2", "a3"}:  # about the fraction of each label, whole documents
        held = sum(labels[i] == label for i in val) / labels.count(label)
        assert 0.1 <= held <= 0.5
    assert grouped_split(labels, groups, 0.0)[1].size == 0


def test_cross_fitting_folds_keep_a_document_together():
    groups = [f"d{i // 5}" for i in range(60)]
    y = np.array([i // 5 % 3 for i in range(60)])
    fold = fold_of(y, 5, seed=0, groups=groups)
    for doc in set(groups):
        assert len({fold[i] for i, g in enumerate(groups) if g == doc}) == 1
    assert set(fold) == set(range(5))
    assert len(set(fold_of(y, 5, seed=0)[:5])) > 1  # without groups, a document is dealt out


def test_groups_are_read_from_csv_jsonl_and_json_records(tmp_path):
    (tmp_path / "d.csv").write_text("text,label,doc\nhi there,a,1\nbye now,b,2\n")
    (tmp_path / "d.jsonl").write_text(
        '{"text": "hi there", "label": "a", "doc": 1}\n{"text": "bye now", "label": "b", "doc": "2"}\n'
    )
    (tmp_path / "d.json").write_text(json.dumps([{"text": "hi", "label": "a", "doc": 7}]))
    for name, want in (("d.csv", ["1", "2"]), ("d.jsonl", ["1", "2"]), ("d.json", ["7"])):
        data = labelled_texts(Source(tmp_path / name, label_column="label", group_column="doc"))
        assert data.groups == want
    assert labelled_texts(Source(tmp_path / "d.csv", label_column="label")).groups is None
    with pytest.raises(TextkitError, match="no column 'page'"):
        labelled_texts(Source(tmp_path / "d.csv", label_column="label", group_column="page"))
    (tmp_path / "bad.jsonl").write_text('{"text": "hi", "label": "a"}\n')
    with pytest.raises(TextkitError, match=r"line 1: no 'doc' field \(--group-column\)"):
        labelled_texts(Source(tmp_path / "bad.jsonl", label_column="label", group_column="doc"))
    (tmp_path / "intents.json").write_text(
        json.dumps({"intents": [{"tag": "a", "patterns": ["hi"], "responses": ["x"]}]})
    )
    with pytest.raises(TextkitError, match="--group-column reads CSV, TSV or JSON records"):
        labelled_texts(Source(tmp_path / "intents.json", group_column="doc"))


def _documents(tmp_path):
    """Two labels, 12 documents each; every sentence carries its document's own made-up word,
    and the labels' own words are shared by both at random: a sentence split lets the model
    learn the document words (validation near 100%), a document split can't."""
    rng = np.random.default_rng(0)
    rows = ["text,label,doc"]
    for doc in range(24):
        label = "north" if doc % 2 else "south"
        cue = "river hills" if label == "north" else "coast sands"
        for s in range(8):
            filler = " ".join(rng.choice(["the", "a", "town", "road", "old", "new"], 4))
            shared = cue if rng.random() < 0.55 else ("river hills", "coast sands")[s % 2]
            rows.append(
                f"{filler} {shared} zq{doc}x{' zq' + str(doc) + 'y' if s % 2 else ''},{label},{doc}"
            )
    (tmp_path / "docs.csv").write_text("\n".join(rows) + "\n")
    return tmp_path / "docs.csv"


def test_validation_by_document_measures_what_new_documents_get(tmp_path):
    path = _documents(tmp_path)
    held_out = {}
    for group in (None, "doc"):
        clf = IntentClassifier()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TextkitWarning)
            clf.fit(
                Source(path, label_column="label", group_column=group),
                train_config={"progress": False},
            )
        held_out[group] = clf.info["validation"]
    assert held_out["doc"]["method"] == "5-fold cross-fitting (whole documents)"
    assert held_out[None]["accuracy"] > 0.95  # the document words give it away
    assert held_out["doc"]["accuracy"] < held_out[None]["accuracy"] - 0.15


def test_cross_validation_deals_whole_documents_to_folds(tmp_path):
    from textkit.classify.evaluation import cross_validate

    path = _documents(tmp_path)
    scores = {}
    for group in (None, "doc"):
        data = labelled_texts(Source(path, label_column="label", group_column=group))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", TextkitWarning)
            scores[group] = cross_validate(IntentClassifier, data, k=3)["accuracy_mean"]
    assert scores["doc"] < scores[None] - 0.15
    few = labelled_texts(Source(path, label_column="label", group_column="label"))
    with pytest.raises(TextkitError, match="needs at least 3 documents"):
        cross_validate(IntentClassifier, few, k=3)


def test_train_command_takes_the_group_column(workdir, run):
    path = _documents(workdir)
    r = run("train-intent", path, "--group-column", "doc", "--name", "g", "--no-progress")
    assert r.exit_code == 0, r.output
    config = json.loads((workdir / "models" / "g" / "config.json").read_text())
    assert "whole documents" in config["validation"]["method"]
    r = run("train-intent", path, "--group-column", "page", "--name", "h")
    assert r.exit_code == 1 and "no column 'page'" in r.stderr
    r = run("evaluate", "g", path, "--group-column", "doc")  # without --cross-validate
    assert r.exit_code == 2 and "add --cross-validate" in r.stderr
