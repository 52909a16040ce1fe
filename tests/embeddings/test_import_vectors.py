"""Vectors as people download them: GloVe text without a header line, compressed files, and
lower-case vector sets queried lower-cased."""

from __future__ import annotations

import bz2
import gzip
import re

import pytest

from textkit.embeddings.vectors import Vectors
from textkit.errors import TextkitError, TextkitWarning

LINES = ["the 0.1 0.2 0.3", "government 0.2 0.1 0.4", "king 0.5 0.1 0.0", "queen 0.5 0.2 0.1"]


@pytest.mark.parametrize("suffix", [".txt", ".txt.gz", ".txt.bz2"])
def test_glove_files_have_no_header_and_may_be_compressed(tmp_path, suffix):
    path = tmp_path / f"glove{suffix}"
    text = "\n".join(LINES) + "\n"
    opener = {".txt": open, ".txt.gz": gzip.open, ".txt.bz2": bz2.open}[suffix]
    with opener(path, "wt", encoding="utf-8") as fh:
        fh.write(text)
    with pytest.warns(TextkitWarning, match="no header line: read as a GloVe text file"):
        v = Vectors.load_word2vec(path)
    assert v.keys == ["the", "government", "king", "queen"] and v.dim == 3


def test_a_compressed_word2vec_file_keeps_its_header(tmp_path):
    path = tmp_path / "w2v.txt.gz"
    with gzip.open(path, "wt", encoding="utf-8") as fh:
        fh.write("4 3\n" + "\n".join(LINES) + "\n")
    assert len(Vectors.load_word2vec(path)) == 4


def test_what_is_neither_is_one_clear_error(tmp_path):
    (tmp_path / "x.txt").write_text("just some words\nand more\n")
    with pytest.raises(TextkitError, match=re.escape("or 'word number number...' (GloVe)")):
        Vectors.load_word2vec(tmp_path / "x.txt")


def test_lower_case_vectors_are_queried_lower_cased(run, tmp_path):
    (tmp_path / "glove.txt").write_text("\n".join(LINES) + "\n")
    r = run(
        "import-vectors", tmp_path / "glove.txt", "--name", "glove", "--models-dir", tmp_path / "m"
    )
    assert r.exit_code == 0 and "queries will be lower-cased" in r.stderr
    r = run("similar", "glove", "Government", "--models-dir", tmp_path / "m", "-n", "1")
    assert r.exit_code == 0 and r.stdout.split()[1] in ("the", "king", "queen")
    r = run("import-vectors", tmp_path / "glove.txt", "--name", "cased", "--no-lower",
            "--models-dir", tmp_path / "m")  # fmt: skip
    assert run("similar", "cased", "Government", "--models-dir", tmp_path / "m").exit_code == 1
