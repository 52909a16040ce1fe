"""Doc2Vec: document tags, inference that survives a save/load without pickle, the Lee corpus
evaluation, and the embedding commands."""

import csv
import json

import numpy as np
import pytest

from textkit.embeddings import Doc2Vec
from textkit.errors import TextkitError
from textkit.text.readers import Source


def test_a_training_document_finds_itself(d2v_model, lee_corpus):
    m = Doc2Vec.load(d2v_model)
    lines = lee_corpus.read_text(encoding="latin-1").splitlines()
    hits = sum(m.similar_documents(lines[i], topn=3)[0][0] == str(i + 1) for i in range(0, 300, 30))
    assert hits >= 7 and len(m.docs_) == 300


def test_inference_is_the_same_after_loading(d2v_model):
    a = Doc2Vec.load(d2v_model).infer("the prime minister met union leaders")
    b = Doc2Vec.load(d2v_model).infer("the prime minister met union leaders")
    assert np.allclose(a, b)
    files = {p.name for p in d2v_model.iterdir()}
    assert {"tags.json", "vocab.json", "model.safetensors"} <= files


def test_lee_correlation_with_human_ratings(d2v_model):
    report = Doc2Vec.load(d2v_model).evaluate()
    assert 0.2 < report["lee"]["pearson"] < 1 and report["lee"]["documents"] == 50


def test_tags_from_file_names_and_columns(tmp_path):
    folder = tmp_path / "docs"
    folder.mkdir()
    texts = {
        "cats.txt": "cats purr and sleep all day long " * 20,
        "dogs.txt": "dogs bark and run in the park " * 20,
        "fish.txt": "fish swim in the sea and the river " * 20,
    }
    for name, text in texts.items():
        (folder / name).write_text(text)
    m = Doc2Vec(vector_size=10, min_count=1, epochs=40, seed=1, tags="file")
    m.fit(folder, train_config={"progress": False})
    assert sorted(m.docs_.keys) == sorted(texts)
    with open(tmp_path / "d.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["id", "text"])
        w.writerows([(f"doc-{i}", t) for i, t in enumerate(texts.values())])
    m = Doc2Vec(vector_size=10, min_count=1, epochs=40, seed=1, tags="column")
    m.fit(Source(tmp_path / "d.csv", label_column="id"), train_config={"progress": False})
    assert m.docs_.keys == ["doc-0", "doc-1", "doc-2"]
    with pytest.raises(TextkitError, match="--label-column"):
        m.fit(tmp_path / "d.csv", train_config={"progress": False})


def test_the_commands(workdir, lee_corpus, run, w2v_model, d2v_model):
    import shutil

    for src in (w2v_model, d2v_model):
        shutil.copytree(src, workdir / "models" / src.name)
    r = run("similar", "lee", "government", "-n", "3", "--json")
    assert r.exit_code == 0 and len(json.loads(r.stdout)) == 3
    assert run("analogy", "lee", "king", "man").exit_code == 2
    r = run("analogy", "lee", "australia", "australian", "israeli", "-n", "2")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2
    r = run("similar", "lee", "qwertyuiop")
    assert r.exit_code == 1 and "not in the model's vocabulary" in r.stderr
    r = run("similar-docs", "leed", "the prime minister said", "-n", "2")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 2
    lines = lee_corpus.read_text(encoding="latin-1").splitlines()
    for row in r.stdout.splitlines():  # similarity, tag (the line number), the document's start
        _, tag, text = row.split("\t")
        assert " ".join(lines[int(tag) - 1].split()).startswith(text.rstrip("…"))
        assert 20 < len(text) <= 100
    r = run("similar-docs", "leed", "the prime minister said", "-n", "1", "--json")
    assert set(json.loads(r.stdout)[0]) == {"key", "similarity", "text"}
    r = run("similar-docs", "lee", "some text")
    assert r.exit_code == 1 and "not 'doc2vec'" in r.stderr
    r = run("evaluate-embeddings", "leed")
    assert r.exit_code == 0 and "Lee corpus: Pearson" in r.stdout
    r = run("evaluate-embeddings", "lee")
    assert "analogies:" in r.stdout and "wordsim353: Spearman" in r.stdout
    assert run("export-vectors", "lee", "v.txt").exit_code == 0
    r = run("import-vectors", "v.txt", "--name", "mine")
    assert r.exit_code == 0 and (workdir / "models" / "mine" / "config.json").is_file()
    r = run("plot-embeddings", "mine", "--words", "government,police,minister,said,qwertyuiop")
    assert r.exit_code == 0 and "left out 1 word(s) not in the vocabulary: qwertyuiop" in r.stderr
    assert (workdir / "models" / "mine" / "projection.png").read_bytes()[:4] == b"\x89PNG"
    Path = type(workdir)
    Path("c.txt").write_text(lee_corpus.read_text(encoding="latin-1"))
    r = run(
        "train-word2vec",
        "c.txt",
        "--name",
        "w",
        "--vector-size",
        "16",
        "--epochs",
        "2",
        "--seed",
        "3",
        "--stem",
        "porter",
    )
    assert r.exit_code == 0 and "reproducible, 1 worker" in r.stderr, r.output
    assert (
        json.loads((workdir / "models" / "w" / "pipeline.json").read_text())["stemmer"] == "porter"
    )
    assert "word2vec" in run("models").stdout
