"""Word2Vec on real text (the Lee corpus): training, queries, reproducibility, the model folder,
evaluation, and the word2vec file formats."""

import json
import subprocess
import sys

import numpy as np
import pytest

from textkit.embeddings import Vectors, Word2Vec
from textkit.errors import TextkitError
from textkit.modelio import ModelFolder
from textkit.text.pipeline import Pipeline


def test_training_writes_a_complete_folder_with_per_epoch_loss(w2v_model):
    files = {p.name for p in w2v_model.iterdir()}
    assert {
        "config.json",
        "model.safetensors",
        "vocab.json",
        "pipeline.json",
        "metrics.jsonl",
        "loss.png",
    } <= files
    assert not any(f.endswith((".pkl", ".model", ".npy")) for f in files)
    rows = ModelFolder(w2v_model).read_metrics()
    assert [r["epoch"] for r in rows] == [1, 2, 3, 4, 5]
    losses = [r["train_loss"] for r in rows]
    assert all(np.isfinite(losses)) and all(x > 0 for x in losses) and losses[-1] < losses[0]
    config = json.loads((w2v_model / "config.json").read_text())
    assert config["engine"]["name"] == "gensim" and "analogy_accuracy" in config["best_metrics"]


def test_queries_and_analogy_arithmetic(w2v_model):
    m = Word2Vec.load(w2v_model)
    near = m.most_similar("government", topn=5)
    assert len(near) == 5 and "government" not in [w for w, _ in near]
    assert [s for _, s in near] == sorted((s for _, s in near), reverse=True)
    a, b, c = "australia", "australian", "israeli"
    unit = m.words_._unit
    query = unit[m.words_.index[a]] - unit[m.words_.index[b]] + unit[m.words_.index[c]]
    expected = next(
        w for w in (m.words_.keys[i] for i in np.argsort(-(unit @ query))) if w not in (a, b, c)
    )
    assert m.analogy(a, b, c, topn=1)[0][0] == expected
    assert m.similarity("government", "government") == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(
        TextkitError, match=r"not in the model's vocabulary .* did you mean government"
    ):
        m.most_similar("governmnet")


def test_reproducible_mode_repeats_exactly(lee_corpus, tmp_path):
    runs = [
        Word2Vec(vector_size=20, min_count=5, epochs=2, seed=7).fit(
            lee_corpus, tmp_path / f"r{i}", train_config={"progress": False}
        )
        for i in range(2)
    ]
    a, b = (Word2Vec.load(tmp_path / f"r{i}").words_.matrix for i in range(2))
    assert np.array_equal(a, b) and runs[0].steps == 2
    other = Word2Vec(vector_size=20, min_count=5, epochs=2, seed=8)
    other.fit(lee_corpus, train_config={"progress": False})
    assert not np.array_equal(a, other.words_.matrix)


def test_loading_imports_neither_gensim_nor_pickle(w2v_model):
    code = (
        "import sys, pickle\npickle.load = pickle.loads = None  # any unpickling would fail\n"
        "from textkit.loading import load_model\n"
        f"m = load_model({str(w2v_model)!r}); print(m.most_similar('government', topn=1)[0][0])\n"
        "assert 'gensim' not in sys.modules and 'torch' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip(), out.stderr


def test_a_stemmed_model_stems_its_queries_and_its_test_words(lee_corpus, tmp_path):
    m = Word2Vec(vector_size=20, min_count=2, epochs=1, seed=1, pipeline=Pipeline(stemmer="porter"))
    m.fit(lee_corpus, train_config={"progress": False})
    assert "govern" in m.words_ and "government" not in m.words_
    assert m.most_similar("government", topn=1) == m.most_similar("govern", topn=1)
    report = m.evaluate()
    assert report["test_words_processed"] and 0 <= report["analogies"]["oov_rate"] < 1


def test_evaluation_on_standard_and_user_files(w2v_model, tmp_path):
    m = Word2Vec.load(w2v_model)
    report = m.evaluate()
    assert set(report) >= {"analogies", "wordsim353", "simlex999", "analogy_accuracy"}
    assert 0 < report["wordsim353"]["oov_rate"] < 1 and -1 <= report["wordsim353"]["spearman"] <= 1
    (tmp_path / "pairs.tsv").write_text(
        "government\tfederal\t9\ngovernment\tsaid\t1\npolice\tofficers\t8\n"
    )
    (tmp_path / "an.txt").write_text(": mine\naustralia australian israel israeli\n")
    mine = m.evaluate(analogies=tmp_path / "an.txt", similarities=[tmp_path / "pairs.tsv"])
    assert mine["analogies"]["questions"] == 1 and "pairs" in mine
    (tmp_path / "bad.txt").write_text("just words\n")
    with pytest.raises(TextkitError, match="not a word-pair file"):
        m.evaluate(similarities=[tmp_path / "bad.txt"])


@pytest.mark.parametrize("binary", [False, True])
def test_word2vec_format_round_trip(w2v_model, tmp_path, binary):
    m = Word2Vec.load(w2v_model)
    path = m.words_.export(tmp_path / ("v.bin" if binary else "v.txt"), binary=binary)
    back = Vectors.load_word2vec(path)
    assert back.keys == m.words_.keys and np.allclose(back.matrix, m.words_.matrix, atol=1e-5)
    imported = Word2Vec.from_vectors(back)
    ours, theirs = imported.most_similar("government", topn=3), m.most_similar("government", topn=3)
    assert [w for w, _ in ours] == [w for w, _ in theirs]
    assert np.allclose([s for _, s in ours], [s for _, s in theirs], atol=1e-4)


def test_lying_or_broken_vector_files(tmp_path):
    (tmp_path / "lie.txt").write_text("1000 3\nking 1 2 3\nqueen 1 2 4\n")
    with pytest.raises(TextkitError, match="announces 1,000 vectors of 3 dimensions"):
        Vectors.load_word2vec(tmp_path / "lie.txt")
    (tmp_path / "short.txt").write_text("3 3\nking 1 2 3\nqueen 1 2\nman 1 2 3\n")
    with pytest.raises(TextkitError, match="corrupt or not a word2vec file"):
        Vectors.load_word2vec(tmp_path / "short.txt")
    (tmp_path / "nohead.txt").write_text("king 1 2 3 4\nqueen 1 2\n")  # GloVe, but ragged
    with pytest.raises(TextkitError, match="corrupt or not a word2vec file"):
        Vectors.load_word2vec(tmp_path / "nohead.txt")
    (tmp_path / "trunc.bin").write_bytes(b"5 100\n" + b"\0" * 50)
    with pytest.raises(TextkitError, match="too small"):
        Vectors.load_word2vec(tmp_path / "trunc.bin")


def test_bad_corpora(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    with pytest.raises(TextkitError, match="holds no words"):
        Word2Vec().fit(tmp_path / "empty.txt", tmp_path / "m1")
    (tmp_path / "rare.txt").write_text("every word here appears once\n")
    with pytest.raises(TextkitError, match="no word occurs at least 5 times"):
        Word2Vec(min_count=5).fit(tmp_path / "rare.txt", tmp_path / "m2")
    assert not (tmp_path / "m1").exists() and not (tmp_path / "m2").exists()


def test_the_preprocessed_corpus_is_cached(lee_corpus, tmp_path, monkeypatch):
    from textkit.text import readers

    monkeypatch.setenv("TEXTKIT_CACHE", str(tmp_path / "cache"))
    reads = []
    original = readers.read_documents
    monkeypatch.setattr(
        readers, "read_documents", lambda *a, **k: reads.append(a) or original(*a, **k)
    )
    Word2Vec(vector_size=10, epochs=1, min_count=5).fit(
        lee_corpus, tmp_path / "models" / "a", train_config={"progress": False}
    )
    Word2Vec(vector_size=12, epochs=1, min_count=5).fit(
        lee_corpus, tmp_path / "models" / "b", train_config={"progress": False}
    )
    assert len(reads) == 1  # the second run read the cached, preprocessed corpus
    assert len(list((tmp_path / "cache" / "embeddings").glob("*.txt"))) == 1
    assert sorted(p.name for p in (tmp_path / "models").iterdir()) == ["a", "b"]  # no cache here
    Word2Vec(vector_size=12, epochs=1, min_count=5, pipeline=Pipeline(stemmer="porter")).fit(
        lee_corpus, tmp_path / "models" / "c", train_config={"progress": False}
    )
    assert len(reads) == 2  # another pipeline: prepared again
