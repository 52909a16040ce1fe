"""Class 1: nothing is read without bound. Devices, pipes and sockets are refused before a byte
is read; binary input is caught from its first bytes; every read has a cap."""

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest

from textkit.errors import TextkitError
from textkit.text.io import read_corpus, read_small_text, read_text_file
from textkit.text.readers import read_documents

REPO = Path(__file__).resolve().parents[2]
CLI = [sys.executable, str(REPO / "cli.py")]


@pytest.mark.parametrize("device", ["/dev/urandom", "/dev/zero"])
def test_devices_are_refused_before_reading(device):
    for read in (read_text_file, read_small_text, lambda p: list(read_documents(p, "lines"))):
        with pytest.raises(TextkitError, match="not a regular file"):
            read(device)


def test_a_fifo_is_refused_without_blocking(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)  # opening it for reading would block forever with no writer
    with pytest.raises(TextkitError, match="not a regular file"):
        read_corpus([fifo])


def test_endless_standard_input_stops_at_the_size_cap(tmp_path):
    """`yes | textkit train-charrnn -`: refused at --max-size, not after filling the memory."""
    yes = subprocess.Popen(["yes", "to be or not to be"], stdout=subprocess.PIPE)
    done = subprocess.run(
        [*CLI, "train-charrnn", "-", "--max-size", "2M", "--models-dir", str(tmp_path / "models")],
        stdin=yes.stdout,
        capture_output=True,
        text=True,
        timeout=60,
    )
    yes.kill()
    assert done.returncode == 1 and "larger than 2.0 MiB" in done.stderr, done.stderr
    assert not (tmp_path / "models").exists() or not any((tmp_path / "models").iterdir())


def test_binary_is_recognised_from_the_first_bytes_of_a_huge_file(tmp_path):
    big = tmp_path / "disk.img"
    with open(big, "wb") as fh:  # 2 GB of zeros, sparse: reading it whole would be the bug
        fh.truncate(2 << 30)
    tracemalloc.start()
    with pytest.raises(TextkitError, match="binary"):
        read_text_file(big)
    with pytest.raises(TextkitError, match="binary"):
        list(read_documents(big, "lines"))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 1 << 20


def test_size_cap_on_files_and_pre_seeds(tmp_path):
    text = tmp_path / "big.txt"
    text.write_text("a line of ordinary text\n" * 1_000_000)  # 24 MB
    with pytest.raises(TextkitError, match=r"larger than 1\.0 MiB"):
        read_corpus([text], max_bytes=1 << 20)
    with pytest.raises(TextkitError, match=r"larger than 16\.0 MiB"):
        read_small_text(text)  # what --preseed @FILE and --stopwords @FILE use


def test_an_endless_line_in_a_streamed_file_is_refused(tmp_path, monkeypatch):
    from textkit.text import io

    monkeypatch.setattr(io, "MAX_LINE_BYTES", 1000)
    path = tmp_path / "one-line.txt"
    path.write_text("word " * 1000)
    with pytest.raises(TextkitError, match="line 1: longer than"):
        list(read_documents(path, "lines"))
