"""Round 3, class 7: a vector file is not trusted.  Values that are not finite numbers are
refused (a folder of them could never be loaded), duplicate words and rows past the header's
count are said out loud, and a file whose name claims a compression it lacks is one line."""

from __future__ import annotations

import bz2
import gzip

import numpy as np
import pytest

from textkit.embeddings.vectors import Vectors
from textkit.errors import TextkitError, TextkitWarning


@pytest.mark.parametrize(
    "rows", ["foo 1 nan\nbar 3 4\n", "foo 1 2\nbar inf 4\n", "foo 1 1e400\nbar 3 4\n"]
)
def test_values_that_are_not_finite_numbers_are_refused(tmp_path, rows):
    for name, text in (("w2v.txt", "2 2\n" + rows), ("glove.txt", rows)):
        (tmp_path / name).write_text(text)
        with pytest.raises(TextkitError, match="NaN, infinite or out-of-range"):
            Vectors.load_word2vec(tmp_path / name)


def test_duplicate_words_keep_the_first_vector_and_say_so(tmp_path):
    for name, text in (
        ("w.txt", "3 2\nfoo 1 2\nbar 3 4\nfoo 5 6\n"),
        ("g.txt", "foo 1 2\nfoo 5 6\nbar 3 4\n"),
    ):
        (tmp_path / name).write_text(text)
        with pytest.warns(TextkitWarning, match="1 duplicate word"):
            v = Vectors.load_word2vec(tmp_path / name)
        assert v.keys == ["foo", "bar"] and np.allclose(v.vector("foo"), [1, 2])


def test_a_header_that_under_reports_is_said(tmp_path):
    (tmp_path / "u.txt").write_text("2 2\nfoo 1 2\nbar 3 4\nbaz 5 6\nqux 1 1\n")
    with pytest.warns(TextkitWarning, match="announces 2 vectors but it holds 4"):
        assert len(Vectors.load_word2vec(tmp_path / "u.txt")) == 2


@pytest.mark.parametrize("name", ["v.txt.gz", "v.txt.bz2"])
def test_compression_names(tmp_path, name):
    (tmp_path / name).write_bytes(b"2 2\nfoo 1 2\nbar 3 4\n")  # named compressed, is not
    with pytest.raises(TextkitError, match=name):
        Vectors.load_word2vec(tmp_path / name)
    opener = gzip.open if name.endswith(".gz") else bz2.open
    with opener(tmp_path / name, "wb") as fh:  # really compressed: read, rows counted right
        fh.write(b"2 2\nfoo 1 2\nbar 3 4\n")
    assert Vectors.load_word2vec(tmp_path / name).keys == ["foo", "bar"]


def test_the_command_refuses_in_one_line_and_saves_nothing(workdir, run):
    (workdir / "bad.txt").write_text("2 2\nfoo 1 nan\nbar 3 4\n")
    r = run("import-vectors", "bad.txt", "--name", "bad")
    assert r.exit_code == 1 and len(r.stderr.strip().splitlines()) == 1
    assert not (workdir / "models" / "bad").exists()
