"""Class 4: no weightless or half-written model is ever visible, and nothing is deleted before
its replacement exists."""

import errno
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textkit.errors import TextkitError
from textkit.modelio import ModelFolder, cleanup_stale, latest_model, list_models

REPO = Path(__file__).resolve().parents[2]


def _visible(models: Path) -> list[str]:
    return (
        sorted(p.name for p in models.iterdir() if not p.name.startswith("."))
        if models.exists()
        else []
    )


def test_a_run_failing_before_its_first_checkpoint_leaves_nothing(
    tmp_path, sonnets, tiny_rnn, tiny_config, monkeypatch
):
    from textkit.charrnn import rnn

    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000])

    def broken(self, step, device):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(rnn._CharTask, "train_loss", broken)
    with pytest.raises(RuntimeError, match="disk on fire"):
        tiny_rnn().fit(corpus, tmp_path / "models" / "m", tiny_config())
    assert list((tmp_path / "models").iterdir()) == []  # no folder, no stage, no lock file


def test_overwrite_replaces_the_old_model_only_once_the_new_one_has_a_checkpoint(
    tmp_path, sonnets, tiny_rnn, tiny_config, monkeypatch
):
    from textkit.charrnn import CharRNN, rnn

    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000])
    out = tmp_path / "models" / "m"
    tiny_rnn().fit(corpus, out, tiny_config(max_steps=20))
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    with pytest.raises(TextkitError, match="already holds a model"):
        tiny_rnn().fit(corpus, out, tiny_config(max_steps=20))  # the API refuses too

    original = rnn._CharTask.train_loss

    def fails_at_5(self, step, device):
        if step == 5:
            raise KeyboardInterrupt  # a second Ctrl-C, before the first checkpoint
        return original(self, step, device)

    monkeypatch.setattr(rnn._CharTask, "train_loss", fails_at_5)
    with pytest.raises(KeyboardInterrupt):
        tiny_rnn(hidden=32).fit(corpus, out, tiny_config(max_steps=40), overwrite=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    monkeypatch.setattr(rnn._CharTask, "train_loss", original)
    tiny_rnn(hidden=32).fit(corpus, out, tiny_config(max_steps=20), overwrite=True)
    assert CharRNN.load(out).config.hidden == 32
    assert _visible(tmp_path / "models") == ["m"]


def _train(tmp_path, corpus, *extra):
    return subprocess.Popen(
        [
            sys.executable,
            str(REPO / "cli.py"),
            "train-charrnn",
            str(corpus),
            "--preset",
            "tiny",
            "--models-dir",
            str(tmp_path / "models"),
            "--no-progress",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )


def _wait_for(predicate, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.02)
    raise AssertionError("timed out")


@pytest.mark.parametrize("sig", [signal.SIGKILL, signal.SIGINT])
def test_killed_before_the_first_checkpoint(tmp_path, sonnets, run, sig):
    """kill -9 (or Ctrl-C) while the first evaluation is still far away: no model is listed,
    `generate` doesn't pick a weightless folder, and the next run clears what was left."""
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets)
    proc = _train(tmp_path, corpus, "--eval-every", "100000", "--max-steps", "100000")
    models = tmp_path / "models"
    _wait_for(lambda: models.exists() and any(models.glob(".s.partial-*/corpus.txt.gz")))
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        # Ctrl-C while training evaluates and saves a complete model; before training began
        # it leaves nothing at all. Either way no stage is left behind.
        assert proc.returncode == 130 and "Traceback" not in err, err
        assert _visible(models) in ([], ["s"]) and not any(models.glob(".s.*"))
        if _visible(models):
            assert (models / "s" / "model.safetensors").is_file()
        return
    assert _visible(models) == [] and list_models(models) == []
    with pytest.raises(TextkitError, match="no trained model"):
        latest_model(models)
    assert any(models.glob(".s.partial-*"))  # what the kill left, hidden
    cleanup_stale(models)
    assert list(models.iterdir()) == []


def test_a_kill_between_the_two_renames_of_a_replacement_is_repaired(
    tmp_path, sonnets, tiny_rnn, tiny_config
):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000])
    models = tmp_path / "models"
    tiny_rnn().fit(corpus, models / "m", tiny_config(max_steps=20))
    os.rename(models / "m", models / ".m.partial-999999")  # the new model, not yet renamed
    cleanup_stale(models)
    assert (
        _visible(models) == ["m"] and ModelFolder(models / "m").read_config()["kind"] == "charrnn"
    )


def test_stale_temporary_files_of_dead_processes_are_removed(tmp_path, trained):
    models = tmp_path / "models"
    folder = models / "m"
    folder.mkdir(parents=True)
    for name in ("config.json", "model.safetensors"):
        (folder / name).write_bytes((trained / name).read_bytes())
    dead = folder / ".model.safetensors.999999.abc123.tmp"  # pid 999999 does not exist
    live = folder / f".config.json.{os.getpid()}.xyz789.tmp"  # a write in progress
    dead.write_bytes(b"half")
    live.write_bytes(b"half")
    cleanup_stale(models)
    assert not dead.exists() and live.exists()


def test_disk_full_while_saving_is_one_clear_error_and_keeps_the_last_file(tmp_path, monkeypatch):
    from textkit import atomic

    path = tmp_path / "config.json"
    atomic.atomic_write_bytes(path, b"good")

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(TextkitError, match="no space left on the device"):
        atomic.atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"good" and sorted(os.listdir(tmp_path)) == ["config.json"]
