"""Round 3, class 3: a cache is checked before it is reused.  The char-RNN's encoded corpus
and the word-level prepared corpus record a checksum when written; a cache that was permuted,
edited or half-written is said and rebuilt, never trained on."""

from __future__ import annotations

import numpy as np
import pytest

from textkit.charrnn.encoded import encode_files
from textkit.embeddings.corpus import prepare
from textkit.errors import TextkitWarning
from textkit.text.pipeline import Pipeline


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _damage_ids(path, how: str) -> None:
    ids = np.fromfile(path, dtype=np.int16)
    if how == "permuted":
        ids = np.random.default_rng(0).permutation(ids)
    elif how == "out of range":
        ids[10:20] = 30_000
    ids.tofile(path)


@pytest.mark.parametrize("how", ["permuted", "out of range", "no checksum"])
def test_a_damaged_encoded_corpus_is_rebuilt(cache, tmp_path, sonnets, how):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:30_000], encoding="utf-8")
    first = np.array(encode_files([corpus]).ids)
    (ids_file,) = (cache / "corpora").glob("*.int16")
    if how == "no checksum":  # a cache written before checksums, or killed in between
        next((cache / "corpora").glob("*.blake2b")).unlink()
        again = encode_files([corpus])
    else:
        _damage_ids(ids_file, how)
        with pytest.warns(TextkitWarning, match="failed its checksum"):
            again = encode_files([corpus])
    assert np.array_equal(np.array(again.ids), first)
    assert np.array_equal(np.array(encode_files([corpus]).ids), first)  # and now it holds


def test_an_intact_encoded_corpus_is_reused(cache, tmp_path, sonnets, monkeypatch):
    from textkit.charrnn import encoded

    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:30_000], encoding="utf-8")
    encode_files([corpus])
    monkeypatch.setattr(encoded, "_encode_into", lambda *a: pytest.fail("encoded again"))
    encode_files([corpus])


@pytest.mark.parametrize("how", ["edited", "truncated", "bad meta"])
def test_a_damaged_prepared_corpus_is_prepared_again(cache, tmp_path, sonnets, how):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000], encoding="utf-8")
    pipe = Pipeline()
    first = prepare(corpus, pipe, cache / "embeddings", progress=False)
    original = first.path.read_text()
    if how == "edited":
        first.path.write_text(original.replace("thee", "zzzz"))
    elif how == "truncated":
        first.path.write_text(original[: len(original) // 2])
    else:
        meta = first.path.with_suffix(".json")
        meta.write_text('{"tags": 3}')
    if how == "bad meta":
        again = prepare(corpus, pipe, cache / "embeddings", progress=False)
    else:
        with pytest.warns(TextkitWarning, match="failed its checksum"):
            again = prepare(corpus, pipe, cache / "embeddings", progress=False)
    assert again.path.read_text() == original and again.tags == first.tags
