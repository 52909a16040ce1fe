"""What a user sees of long work when stderr is not a terminal (a log file, CI, nohup): a
heartbeat line every HEARTBEAT_S seconds, even while one step takes long, from every trainer."""

from __future__ import annotations

import io
import re
import shutil
import time
from pathlib import Path

import pytest

from textkit import progress as progress_module
from textkit.progress import Progress

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def fast_heartbeat(monkeypatch):
    monkeypatch.setattr(progress_module, "HEARTBEAT_S", 0.05)


def test_heartbeat_lines_say_count_figures_rate_and_eta(fast_heartbeat):
    log = io.StringIO()
    with Progress(10, "step", desc="training", stream=log) as p:
        p.update(3)
        p.set_postfix({"loss": "1.523"})
        time.sleep(0.3)  # one long step: the timer still reports
    lines = log.getvalue().splitlines()
    assert len(lines) >= 2, lines
    assert re.fullmatch(
        r"training: step 3/10 \(30%\) · loss 1\.523 · [\d.,]+ step/s · \d+s elapsed · ETA \d+s",
        lines[-1],
    ), lines[-1]
    written = log.getvalue()
    time.sleep(0.2)
    assert log.getvalue() == written  # closed: no more lines


def test_no_progress_when_asked_and_a_bar_when_asked(fast_heartbeat):
    quiet = io.StringIO()
    with Progress(5, "fit", show=False, stream=quiet) as p:
        p.update(2)
        time.sleep(0.15)
    assert quiet.getvalue() == ""
    bar = io.StringIO()
    with Progress(5, "fit", show=True, stream=bar) as p:
        p.update(5)
    assert "5/5" in bar.getvalue() and "ETA" not in bar.getvalue()


def test_an_unknown_total_counts_without_an_eta(fast_heartbeat):
    log = io.StringIO()
    with Progress(None, "doc", desc="preparing the corpus", stream=log) as p:
        list(p.iterate(range(7)))
        time.sleep(0.15)
    last = log.getvalue().splitlines()[-1]
    assert last.startswith("preparing the corpus: doc 7 · ") and "ETA" not in last


@pytest.mark.parametrize(
    ("args", "shown"),
    [
        (["train-charrnn", "poems.txt", "--preset", "tiny", "--max-steps", "30"], ["training: step"]),
        (["train-charrnn", "poems.txt", "--kind", "charmarkov"], ["counting n-grams: stage"]),
        (["train-intent", "intents.json"], ["training (svm): fit"]),
        (["train-author", "presidents.csv"], ["training (svm): fit"]),
        (["train-intent", "intents.json", "--classifier", "mlp", "--max-steps", "30"],
         ["training (mlp): fit", "training: step"]),
        (["train-word2vec", "poems.txt", "--epochs", "2", "--min-count", "1"],
         ["preparing the corpus: doc", "training: epoch"]),
        (["train-doc2vec", "poems.txt", "--epochs", "2", "--min-count", "1"], ["training: epoch"]),
    ],
)  # fmt: skip
def test_every_trainer_beats_in_a_log(workdir, run, intents_file, args, shown, monkeypatch):
    monkeypatch.setattr(progress_module, "HEARTBEAT_S", 0.001)
    monkeypatch.setenv("TEXTKIT_CACHE", str(workdir / "cache"))  # prepared afresh, not cached
    shutil.copy(intents_file, workdir / "intents.json")
    shutil.copy(REPO / "corpora" / "presidents.csv", workdir / "presidents.csv")
    r = run(*args, "--name", "m")
    assert r.exit_code == 0, r.output
    for line in shown:
        assert line in r.stderr, r.stderr[-2000:]
    assert "\r" not in r.stderr  # no bar redrawn into a log file
