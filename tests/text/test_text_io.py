import io
import sys

import pytest

from textkit.errors import TextkitError
from textkit.text.io import read_corpus, read_text_file


def test_reads_file_and_normalises_newlines_and_bom(tmp_path):
    f = tmp_path / "a.txt"
    f.write_bytes(b"\xef\xbb\xbfline one\r\nline two\r\n")
    assert read_text_file(f) == "line one\nline two\n"


def test_several_files_and_directories_are_concatenated_in_order(tmp_path):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "b.txt").write_text("beta")
    (tmp_path / "d" / "a.txt").write_text("alpha\n")
    (tmp_path / "d" / ".hidden.txt").write_text("secret")
    (tmp_path / "c.txt").write_text("gamma")
    corpus = read_corpus([tmp_path / "c.txt", tmp_path / "d"])
    assert corpus.text == "gamma\nalpha\nbeta\n"
    assert [s.rsplit("/", 1)[-1] for s in corpus.sources] == ["c.txt", "a.txt", "b.txt"]


def test_stdin(monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO("from stdin ✓".encode())))
    assert read_corpus(["-"]).text == "from stdin ✓\n"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        (b"", "is empty"),
        (b"  \n\n", "is empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b"caf\xe9 au lait\nline two", "not valid utf-8 (byte 0xe9 at line 1, column 4)"),
    ],
)
def test_bad_files_give_clear_errors(tmp_path, content, message):
    f = tmp_path / "corpus.txt"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(
        TextkitError, match="(?i)" + message.replace("(", r"\(").replace(")", r"\)")
    ):
        read_corpus([f])


def test_encoding_option_reads_latin1(tmp_path):
    f = tmp_path / "latin.txt"
    f.write_bytes("café".encode("latin-1"))
    assert read_corpus([f], encoding="latin-1").text == "café\n"
    with pytest.raises(TextkitError, match="unknown encoding"):
        read_corpus([f], encoding="no-such-codec")


def test_empty_directory_and_no_input(tmp_path):
    with pytest.raises(TextkitError, match="no text files"):
        read_corpus([tmp_path])
    with pytest.raises(TextkitError, match="no input"):
        read_corpus([])


def test_fingerprint_tracks_content(tmp_path):
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text("same text")
    b.write_text("same text")
    assert read_corpus(a).fingerprint == read_corpus(b).fingerprint
    b.write_text("other text")
    assert read_corpus(a).fingerprint != read_corpus(b).fingerprint
