"""Streaming a corpus gives exactly the text (and fingerprint) reading it whole gives, whatever
the chunk boundaries cut: \\r\\n pairs, multi-byte characters, byte-order marks."""

from __future__ import annotations

from unittest import mock

import pytest
from hypothesis import given
from hypothesis import strategies as st

from textkit.errors import TextkitError
from textkit.text.io import read_corpus
from textkit.text.stream import corpus_chunks, scan_corpus

TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=60,
).filter(str.strip)


@given(
    texts=st.lists(TEXT, min_size=1, max_size=3),
    chunk=st.integers(1, 9),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16"]),
    crlf=st.booleans(),
)
def test_streamed_text_and_fingerprint_match_reading_whole(
    tmp_path_factory, texts, chunk, encoding, crlf
):
    root = tmp_path_factory.mktemp("stream")
    paths = []
    for i, text in enumerate(texts):
        path = root / f"{i}.txt"
        path.write_bytes((text.replace("\n", "\r\n") if crlf else text).encode(encoding))
        paths.append(path)
    whole = read_corpus(paths)
    with mock.patch("textkit.text.stream.CHUNK", chunk):  # cut everywhere
        assert "".join(corpus_chunks(paths)) == whole.text
        scan = scan_corpus(paths)
    assert scan.fingerprint == whole.fingerprint
    assert scan.n_chars == len(whole.text) and scan.chars == set(whole.text)


def test_streaming_refuses_what_reading_refuses(tmp_path):
    empty, binary, bad = tmp_path / "e.txt", tmp_path / "b.txt", tmp_path / "bad.txt"
    empty.write_text(" \n\n", encoding="utf-8")
    binary.write_bytes(b"abc\x00\x01\x02")
    bad.write_bytes(b"line one\nline \xff two\n")
    with pytest.raises(TextkitError, match="is empty"):
        scan_corpus([empty])
    with pytest.raises(TextkitError, match="binary"):
        scan_corpus([binary])
    with pytest.raises(TextkitError, match="line 2"):
        scan_corpus([bad])
    ok = tmp_path / "ok.txt"
    ok.write_text("more than five characters\n", encoding="utf-8")
    with pytest.raises(TextkitError, match="size limit"):
        scan_corpus([ok], max_chars=5)
