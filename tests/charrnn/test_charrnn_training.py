"""Training a CharRNN through the shared loop: learning, exact resume, Ctrl-C and kill -9."""

import math
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
import torch

from textkit.charrnn import CharRNN
from textkit.errors import TextkitError
from textkit.modelio import ModelFolder, load_weights

REPO = Path(__file__).resolve().parents[2]


def test_charrnn_training_reduces_loss_on_real_poems(tmp_path, poems, tiny_rnn, tiny_config):
    corpus = tmp_path / "poems.txt"
    corpus.write_text(poems, encoding="utf-8")
    model = tiny_rnn()
    result = model.fit(corpus, tmp_path / "m", tiny_config(max_steps=200, eval_every=50))
    rows = ModelFolder(tmp_path / "m").read_metrics()
    vals = [r["val_loss"] for r in rows]
    assert vals == sorted(vals, reverse=True) and vals[-1] < vals[0] - 0.2
    # it has learned more than character frequencies: it beats the unigram entropy
    counts = Counter(poems)
    unigram = -sum(c / len(poems) * math.log(c / len(poems)) for c in counts.values())
    assert vals[-1] < unigram - 0.2
    assert result.best_val_loss == min(r["val_loss"] for r in rows)
    # the saved (best) weights are the ones left in the model
    saved = load_weights(tmp_path / "m" / "model.safetensors")
    assert all(torch.equal(saved[k], v) for k, v in model.net.state_dict().items())
    for name in ("config.json", "model.safetensors", "metrics.jsonl", "loss.png", "train_state.pt"):
        assert (tmp_path / "m" / name).is_file(), name


def _compare_runs(tmp_path, a, b, steps):
    ra_rows = ModelFolder(tmp_path / a).read_metrics()
    rb_rows = ModelFolder(tmp_path / b).read_metrics()
    assert [r["step"] for r in rb_rows] == steps
    for ra, rb in zip(ra_rows, rb_rows, strict=True):
        assert rb["val_loss"] == pytest.approx(ra["val_loss"], abs=1e-6)
        assert rb["train_loss"] == pytest.approx(ra["train_loss"], abs=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_interrupted_run_resumes_on_the_same_curve(
    tmp_path, sonnets, monkeypatch, cell, tiny_rnn, tiny_config
):
    """Ctrl-C at step 40 of 60, then --resume: the same losses as a run never interrupted
    (dropout RNG, carried hidden state, optimiser moments and the LR schedule all restored)."""
    from textkit.charrnn import rnn

    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:30_000], encoding="utf-8")
    hp = dict(cell=cell, dropout=0.2, layers=2, hidden=32)
    tiny_rnn(**hp).fit(corpus, tmp_path / "a", tiny_config(max_steps=60, eval_every=20))

    original = rnn._CharTask.train_loss

    def interrupt_at_40(self, step, device):
        if step == 39:
            os.kill(os.getpid(), signal.SIGINT)  # handled by the loop: stop after this step
        return original(self, step, device)

    monkeypatch.setattr(rnn._CharTask, "train_loss", interrupt_at_40)
    result = tiny_rnn(**hp).fit(corpus, tmp_path / "b", tiny_config(max_steps=60, eval_every=20))
    assert result.interrupted and result.steps == 40
    monkeypatch.setattr(rnn._CharTask, "train_loss", original)
    resumed = CharRNN.load(tmp_path / "b", device="cpu")
    result = resumed.resume(tmp_path / "b", corpus, tiny_config(max_steps=60, eval_every=20))
    assert result.steps == 60 and not result.interrupted
    _compare_runs(tmp_path, "a", "b", [20, 40, 60])


def test_resume_with_a_higher_limit_extends_training(tmp_path, sonnets, tiny_rnn, tiny_config):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:30_000], encoding="utf-8")
    constant = dict(schedule="constant", eval_every=20)
    tiny_rnn(dropout=0.1).fit(corpus, tmp_path / "a", tiny_config(max_steps=60, **constant))
    tiny_rnn(dropout=0.1).fit(corpus, tmp_path / "b", tiny_config(max_steps=20, **constant))
    CharRNN.load(tmp_path / "b").resume(
        tmp_path / "b", corpus, tiny_config(max_steps=60, **constant)
    )
    _compare_runs(tmp_path, "a", "b", [20, 40, 60])


def test_resume_refuses_another_corpus_and_finished_runs(tmp_path, sonnets, tiny_rnn, tiny_config):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000], encoding="utf-8")
    tiny_rnn().fit(corpus, tmp_path / "m", tiny_config(max_steps=20))
    with pytest.raises(TextkitError, match="already trained 20 steps"):
        CharRNN.load(tmp_path / "m").resume(tmp_path / "m", corpus, tiny_config(max_steps=20))
    other = tmp_path / "o.txt"
    other.write_text(sonnets[20_000:40_000], encoding="utf-8")
    with pytest.raises(TextkitError, match="different corpus"):
        CharRNN.load(tmp_path / "m").resume(tmp_path / "m", other, tiny_config(max_steps=40))


def _start_training(tmp_path, corpus, *extra):
    return subprocess.Popen(
        [
            sys.executable,
            str(REPO / "cli.py"),
            "train-charrnn",
            str(corpus),
            "--preset",
            "tiny",
            "--max-steps",
            "100000",
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


def _wait_for_metrics(folder, rows=1, timeout=60):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(folder.read_metrics()) >= rows:
            return
        time.sleep(0.05)
    raise AssertionError("training never wrote metrics")


def test_ctrl_c_saves_and_resume_continues(tmp_path, sonnets):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    proc = _start_training(tmp_path, corpus, "--eval-every", "10")
    folder = ModelFolder(tmp_path / "models" / "s")
    _wait_for_metrics(folder)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    steps = folder.load_state()["step"]
    assert steps >= 10 and folder.read_metrics()[-1]["step"] == steps
    CharRNN.load(folder.path).generate(20, seed=0)
    # `--resume` picks that model up again and trains on to the new limit
    done = subprocess.run(
        [
            sys.executable,
            str(REPO / "cli.py"),
            "train-charrnn",
            str(corpus),
            "--resume",
            "--max-steps",
            str(steps + 10),
            "--models-dir",
            str(tmp_path / "models"),
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert f"resuming {folder.path} from step {steps}" in done.stderr
    assert folder.load_state()["step"] == steps + 10


def _kill_during_write(proc, folder: Path, name: str, timeout: float = 60) -> bool:
    """kill -9 ``proc`` the moment the temporary file of ``name``'s atomic write appears in
    ``folder``; True when the kill is confirmed to have landed mid-write (the temporary file
    outlived the process: it was never renamed into place)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            writing = [e.name for e in os.scandir(folder) if e.name.startswith(f".{name}.")]
        except FileNotFoundError:
            writing = []
        if writing:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return any((folder / w).exists() for w in writing)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    return False


@pytest.mark.parametrize("name", ["model.safetensors", "train_state.pt"])
def test_kill_9_during_a_checkpoint_write_leaves_a_loadable_model(tmp_path, sonnets, name):
    """The kill is confirmed to land while the file is being written (its temporary file is
    left behind), not timed by sleeps; the model still loads, and resumes, from the last
    complete checkpoint.  A bigger net makes each write last long enough to be caught."""
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    for attempt in range(8):
        run = f"run{attempt}"
        folder = ModelFolder(tmp_path / "models" / run)
        proc = _start_training(
            tmp_path, corpus, "--eval-every", "2", "--name", run, "--hidden", "384"
        )
        _wait_for_metrics(folder, rows=2)
        if _kill_during_write(proc, folder.path, name):
            break
    else:
        pytest.fail(f"no kill landed during a write of {name} in 8 tries")
    model = CharRNN.load(folder.path, device="cpu")
    assert model.generate(10, seed=0)[0].text
    step = folder.load_state()["step"]
    assert step >= 2 and folder.read_metrics()[-1]["step"] >= step
    resumed = _start_training(
        tmp_path, corpus, "--resume", "--name", run, "--max-steps", str(step + 2)
    )
    assert resumed.wait(timeout=120) == 0, resumed.communicate()[1]
    assert folder.load_state()["step"] == step + 2


def test_samples_shown_during_training_leave_the_run_unchanged(
    tmp_path, sonnets, capsys, tiny_rnn, tiny_config
):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:30_000], encoding="utf-8")
    tiny_rnn(dropout=0.2).fit(corpus, tmp_path / "quiet", tiny_config(max_steps=40))
    tiny_rnn(dropout=0.2).fit(
        corpus, tmp_path / "shown", tiny_config(max_steps=40), show_samples=60
    )
    err = capsys.readouterr().err
    assert "--- sample at step 20" in err and "--- sample at step 40" in err
    quiet = ModelFolder(tmp_path / "quiet").read_metrics()
    shown = ModelFolder(tmp_path / "shown").read_metrics()
    assert [r["val_loss"] for r in quiet] == [r["val_loss"] for r in shown]
