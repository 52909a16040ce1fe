"""The classic problems through the shared loop: every optimiser solves them, and a single layer
provably cannot learn XOR."""

import pytest
import torch

from textkit.modelio import ModelFolder
from textkit.training.classics import train_classic
from textkit.training.config import OPTIMIZERS


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_solves_line_or_and_xor(tmp_path, optimizer):
    task, result = train_classic(
        "line", ModelFolder(tmp_path / "line").create(), optimizer, steps=1000
    )
    slope, intercept = task.least_squares()
    w, b = task.model.weight.item(), task.model.bias.item()
    assert abs(w - slope) < 0.02 and abs(b - intercept) < 0.02, (optimizer, w, b, slope, intercept)
    _, result = train_classic("or", ModelFolder(tmp_path / "or").create(), optimizer, steps=1000)
    assert result.last["val_accuracy"] == 1.0 and result.last_val_loss < 0.2
    _, result = train_classic(
        "xor", ModelFolder(tmp_path / "xor").create(), optimizer, steps=2000, hidden=4
    )
    assert result.last["val_accuracy"] == 1.0 and result.last_val_loss < 0.2, (
        optimizer,
        result.last,
    )


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_a_single_layer_cannot_learn_xor(tmp_path, optimizer):
    task, result = train_classic(
        "xor", ModelFolder(tmp_path).create(), optimizer, steps=1000, hidden=0
    )
    assert max(r["val_accuracy"] for r in result.history) <= 0.75
    # and no single layer could: for any line, the four cases' logits obey l(0,1) + l(1,0) = l(0,0) + l(1,1)
    w = torch.randn(1000, 2)
    b = torch.randn(1000)
    x = task.x
    logits = x @ w.T + b
    assert torch.allclose(logits[1] + logits[2], logits[0] + logits[3], atol=1e-5)


def test_demo_command_and_compare(workdir, run):
    r = run("demo", "xor", "--optimizer", "adam", "--max-steps", "600")
    assert r.exit_code == 0 and "accuracy 100%" in r.stdout, r.output
    r = run("demo", "xor", "--optimizer", "sgd", "--hidden", "0", "--max-steps", "300")
    assert "cannot" not in r.stderr and "at most 3 of xor's 4 cases" in r.stdout
    r = run("compare", "xor-adam", "xor-sgd")
    assert r.exit_code == 0 and (workdir / "models" / "compare.png").is_file()
