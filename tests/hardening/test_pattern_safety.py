"""Round 3, class 2: a model folder's pipeline.json is data, yet its tokenizer pattern is
compiled and run on every text.  A pattern that backtracks catastrophically is stopped after a
bounded time (the command fails with one line; the server stays responsive), and a pattern with
capturing groups is refused when the pipeline is made or loaded."""

from __future__ import annotations

import json
import shutil
import threading
import time

import pytest

from textkit.errors import TextkitError
from textkit.text.pipeline import Pipeline

BACKTRACKING = [r"(?:a|aa)+$", r"(?:\w|\w\w)+$", r"(?:a|aa)+(?:a|aa)+$"]
TEXT = "a" * 60 + "!"


@pytest.mark.parametrize("pattern", BACKTRACKING)
def test_backtracking_patterns_are_stopped_in_bounded_time(pattern):
    pipe = Pipeline(tokenizer="regexp", pattern=pattern)
    start = time.monotonic()
    with pytest.raises(TextkitError, match="took too long"):
        pipe.tokens(TEXT)
    assert time.monotonic() - start < 2


@pytest.mark.parametrize("pattern", [r"(a)(b)", r"(\w+)", "[unclosed", r"(?P<x>\w)"])
def test_patterns_that_cannot_tokenize_are_refused(pattern):
    with pytest.raises(TextkitError, match="bad tokenizer pattern"):
        Pipeline(tokenizer="regexp", pattern=pattern)


def _hostile_copy(kind_folders, folder):
    shutil.copytree(kind_folders / "intent", folder)
    saved = json.loads((folder / "pipeline.json").read_text())
    saved.update(tokenizer="regexp", pattern=BACKTRACKING[0])
    (folder / "pipeline.json").write_text(json.dumps(saved))


def test_a_hostile_model_folder_fails_one_command_in_bounded_time(workdir, run, kind_folders):
    _hostile_copy(kind_folders, workdir / "models" / "bot")
    start = time.monotonic()
    r = run("classify", "bot", TEXT)
    assert r.exit_code == 1 and "took too long" in r.stderr and time.monotonic() - start < 10


def test_the_server_stays_responsive(start_server, kind_folders, tmp_path):
    _hostile_copy(kind_folders, tmp_path / "bot")
    server = start_server([tmp_path / "bot"])
    results = []

    def attack():
        results.append(server.post("/v1/intent", {"text": TEXT}).status_code)

    attackers = [threading.Thread(target=attack) for _ in range(3)]
    for t in attackers:
        t.start()
    start = time.monotonic()
    assert server.get("/health").status_code == 200
    assert time.monotonic() - start < 3  # the event loop was never held for long
    for t in attackers:
        t.join(30)
    assert results and all(code == 400 for code in results)
