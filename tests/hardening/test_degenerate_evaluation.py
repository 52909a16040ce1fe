"""Round 3, classes 6 and 10: evaluation is information, never a crash: a test set with no
label the model knows, more folds than texts per label, a vocabulary that answers no analogy
or word-pair question (after training, after import, and in evaluate-embeddings)."""

from __future__ import annotations

import random
import shutil

import pytest


def test_a_test_set_with_no_known_label(workdir, run, kind_folders):
    shutil.copytree(kind_folders / "intent", workdir / "models" / "bot")
    (workdir / "other.csv").write_text("text,label\nwhat a day,weather\nrain again,weather\n")
    r = run("evaluate", "bot", "other.csv", "--curve")
    assert r.exit_code == 0 and "Traceback" not in r.output
    assert "answered" in r.stdout


@pytest.mark.parametrize("folds", [3, 50])
def test_more_folds_than_texts_per_label_is_refused_up_front(workdir, run, kind_folders, folds):
    shutil.copytree(kind_folders / "intent", workdir / "models" / "bot")
    rows = ["a b,x", "c d,x", "e f,y", "g h,y"]
    (workdir / "few.csv").write_text("text,label\n" + "\n".join(rows) + "\n")
    r = run("evaluate", "bot", "few.csv", "--cross-validate", folds)
    assert r.exit_code == 1 and "needs at least" in r.stderr and "'x' has 2" in r.stderr


def test_a_vocabulary_that_answers_no_question(workdir, run):
    rng = random.Random(0)
    words = [f"zq{i}" for i in range(40)]
    (workdir / "codes.txt").write_text(
        "\n".join(" ".join(rng.choice(words) for _ in range(15)) for _ in range(200))
    )
    r = run("train-word2vec", "codes.txt", "--name", "codes", "--epochs", "1")
    assert r.exit_code == 0 and "analogies -, WordSim353 Spearman -" in r.stderr
    assert (workdir / "models" / "codes" / "config.json").is_file()  # saved, not lost
    r = run("evaluate-embeddings", "codes")
    assert r.exit_code == 0 and "analogies: - of 0 answered" in r.stdout
    (workdir / "two.txt").write_text("2 3\nfoo 1 2 3\nbar 3 2 1\n")
    r = run("import-vectors", "two.txt", "--name", "two")
    assert r.exit_code == 0 and (workdir / "models" / "two" / "config.json").is_file()
    r = run("models")
    assert r.exit_code == 0 and "codes" in r.stdout and "two" in r.stdout
