"""The memory-mapped corpus cache: same ids as encoding in memory, built once, refused when it
doesn't fit the model being resumed."""

from __future__ import annotations

import numpy as np
import pytest

from textkit.charrnn.data import Vocab
from textkit.charrnn.encoded import as_encoded, encode_files, encode_text
from textkit.errors import TextkitError
from textkit.text.io import read_corpus


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("TEXTKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "corpora"


def test_cached_ids_equal_in_memory_ids_and_are_built_once(workdir, cache):
    encoded = encode_files(["poems.txt"])
    whole = encode_text(read_corpus(["poems.txt"]))
    assert isinstance(encoded.ids, np.memmap)  # read through the page cache, not held
    assert np.array_equal(encoded.ids, whole.ids) and encoded.vocab.chars == whole.vocab.chars
    assert encoded.fingerprint == whole.fingerprint
    assert "".join(encoded.chunks(size=1000)) == read_corpus(["poems.txt"]).text
    (file,) = (f for f in cache.iterdir() if not f.name.endswith(".blake2b"))
    built = file.stat().st_mtime_ns
    again = encode_files(["poems.txt"])  # the same text: the cache file is reused, not rewritten
    assert file.stat().st_mtime_ns == built and np.array_equal(again.ids, encoded.ids)


def test_excerpt_is_whole_lines_of_the_training_part(workdir, cache):
    encoded = encode_files(["poems.txt"])
    text = read_corpus(["poems.txt"]).text
    limit = len(encoded) // 2
    for seed in range(5):
        excerpt = encoded.excerpt(100, seed, limit=limit)
        at = text.find(excerpt)
        assert at >= 0 and at + len(excerpt) <= limit
        assert excerpt.endswith("\n") and (at == 0 or text[at - 1] == "\n")
        assert 50 <= len(excerpt) <= 250


def test_resume_refuses_other_text_or_vocabulary(workdir, cache):
    encoded = encode_files(["poems.txt"])
    (workdir / "other.txt").write_text("quite another text\n" * 50, encoding="utf-8")
    with pytest.raises(TextkitError, match="different corpus"):
        as_encoded(["other.txt"], encoded.vocab, encoded.fingerprint)
    with pytest.raises(TextkitError, match="not in the model's vocabulary"):
        encode_files(["poems.txt"], vocab=Vocab(list("abc\n")))
    assert as_encoded(encoded, encoded.vocab, encoded.fingerprint) is encoded


def test_an_unwritable_cache_is_a_clear_error(workdir, monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("TEXTKIT_CACHE", str(blocker))
    with pytest.raises(TextkitError, match="TEXTKIT_CACHE"):
        encode_files(["poems.txt"])
