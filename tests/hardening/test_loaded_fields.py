"""Round 3, class 12 (part): what a loader reads and later uses is validated when the folder is
loaded: a doc2vec or word2vec vocabulary with counts that are not whole non-negative numbers,
duplicate words, or words that are not text is one error naming the file."""

from __future__ import annotations

import json
import shutil

import pytest

from textkit.embeddings.model import Doc2Vec, Word2Vec
from textkit.errors import TextkitError


@pytest.mark.parametrize(
    "change",
    [
        lambda v: v["counts"].__setitem__(0, -5),
        lambda v: v["counts"].__setitem__(0, 2.5),
        lambda v: v["counts"].__setitem__(0, "7"),
        lambda v: v["counts"].__setitem__(0, True),
        lambda v: v["words"].__setitem__(1, v["words"][0]),
        lambda v: v["words"].__setitem__(0, 3),
        lambda v: v.__setitem__("counts", {"a": 1}),
    ],
)
@pytest.mark.parametrize("kind", ["word2vec", "doc2vec"])
def test_a_bad_vocabulary_is_refused_on_load(tmp_path, w2v_model, d2v_model, kind, change):
    source = w2v_model if kind == "word2vec" else d2v_model
    folder = tmp_path / "m"
    shutil.copytree(source, folder)
    vocab = json.loads((folder / "vocab.json").read_text())
    change(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    cls = Word2Vec if kind == "word2vec" else Doc2Vec
    with pytest.raises(TextkitError, match=r"vocab\.json is corrupt"):
        cls.load(folder)
