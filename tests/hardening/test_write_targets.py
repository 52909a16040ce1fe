"""Round 3, class 8: a file textkit writes keeps being what it was.  A symlink is written
through (the link stays, its target gets the content), a FIFO or a device gets the bytes
written into it (never replaced by a regular file), a folder is refused with one line."""

from __future__ import annotations

import os
import shutil
import stat
import threading

import pytest

from textkit.atomic import atomic_write_bytes
from textkit.errors import TextkitError


def read_fifo_in_background(path) -> dict:
    got: dict = {}

    def reader():
        with open(path, "rb") as fh:
            got["data"] = fh.read()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    got["thread"] = thread
    return got


def test_a_symlink_is_written_through(tmp_path):
    target = tmp_path / "real.txt"
    target.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(target)
    atomic_write_bytes(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_text() == "new"
    dangling = tmp_path / "dangling.txt"
    dangling.symlink_to(tmp_path / "later.txt")
    atomic_write_bytes(dangling, b"made")
    assert dangling.is_symlink() and (tmp_path / "later.txt").read_text() == "made"


def test_a_fifo_gets_the_bytes_and_stays_a_fifo(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = read_fifo_in_background(fifo)
    atomic_write_bytes(fifo, b"through the pipe")
    got["thread"].join(5)
    assert got["data"] == b"through the pipe" and stat.S_ISFIFO(fifo.stat().st_mode)
    assert not list(tmp_path.glob(".pipe.*"))  # no temporary left beside it


def test_a_folder_is_refused(tmp_path):
    (tmp_path / "out").mkdir()
    with pytest.raises(TextkitError, match="folder"):
        atomic_write_bytes(tmp_path / "out", b"x")


def test_the_commands_write_through(workdir, run, kind_folders):
    shutil.copytree(kind_folders / "charrnn", workdir / "models" / "gen")
    fifo = workdir / "samples.fifo"
    os.mkfifo(fifo)
    got = read_fifo_in_background(fifo)
    r = run("generate", "--model", "gen", "--length", "40", "--seed", "1", "-o", fifo)
    got["thread"].join(5)
    assert r.exit_code == 0 and len(got["data"].decode()) >= 40
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    (workdir / "keep").mkdir()
    (workdir / "keep" / "pipe.json").write_text("{}")
    (workdir / "p.json").symlink_to(workdir / "keep" / "pipe.json")
    r = run("preprocess", "poems.txt", "-o", "out.txt", "--save-pipeline", "p.json")
    assert r.exit_code == 0 and (workdir / "p.json").is_symlink()
    assert '"tokenizer"' in (workdir / "keep" / "pipe.json").read_text()
