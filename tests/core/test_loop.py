"""The shared training loop on a task small enough to reason about exactly."""

import sys
import time

import pytest
import torch

from textkit.errors import TextkitError
from textkit.modelio import ModelFolder
from textkit.training import OPTIMIZERS, Task, TrainConfig, lr_factor, train
from textkit.training.config import resumed_config


class QuadraticTask(Task):
    """Minimise |w - 3|^2; ``val_script`` lets a test decide what evaluation reports."""

    steps_per_epoch = 10

    def __init__(self, val_script=None):
        torch.manual_seed(0)
        self.model = torch.nn.Linear(4, 1)
        self.val_script = list(val_script or [])
        self.best_rows = []

    def _loss(self):
        return sum(((p - 3.0) ** 2).sum() for p in self.model.parameters())

    def train_loss(self, step, device):
        return self._loss()

    def evaluate(self, device):
        value = self.val_script.pop(0) if self.val_script else self._loss().item()
        return {self.monitor: value}

    def on_best(self, row):
        self.best_rows.append(row)


def cfg(**kw):
    base = dict(max_steps=50, eval_every=10, device="cpu", progress=False, lr=0.05, clip=0.0)
    base.update(kw)
    return TrainConfig(**base)


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
def test_every_optimizer_reduces_the_loss(tmp_path, optimizer):
    task = QuadraticTask()
    start = task._loss().item()
    result = train(
        task, cfg(optimizer=optimizer, schedule="constant"), ModelFolder(tmp_path).create()
    )
    assert result.last_val_loss < 0.5 * start


def test_early_stopping_and_keep_best(tmp_path):
    task = QuadraticTask(val_script=[5.0, 4.0, 4.5, 4.2, 4.1, 1.0])
    result = train(task, cfg(max_steps=1000, patience=3), ModelFolder(tmp_path).create())
    assert result.stopped_because == "early stopping"
    assert result.steps == 50  # evaluations at 10..50; three without improving on 4.0
    assert (result.best_val_loss, result.best_step) == (4.0, 20)
    assert [r["step"] for r in task.best_rows] == [10, 20]


def test_time_budget_and_epochs_limits(tmp_path):
    start = time.monotonic()
    result = train(
        QuadraticTask(), cfg(max_steps=None, time_budget=0.3), ModelFolder(tmp_path).create()
    )
    assert result.stopped_because == "time budget"
    assert 0.3 <= time.monotonic() - start < 5
    result = train(
        QuadraticTask(), cfg(max_steps=None, epochs=2.5), ModelFolder(tmp_path / "e").create()
    )
    assert result.steps == 25 and result.stopped_because == "epochs"


def test_bad_configs_are_refused(tmp_path):
    folder = ModelFolder(tmp_path).create()
    for bad in (dict(max_steps=None), dict(lr=0), dict(optimizer="lbfgs"), dict(max_steps=-1)):
        with pytest.raises(TextkitError, match=next(iter(bad))):  # names the setting
            train(QuadraticTask(), cfg(**bad), folder)


def test_lr_schedule_shapes():
    c = TrainConfig(max_steps=100, schedule="cosine", warmup=10)
    assert lr_factor(c, 0, 0.0) == pytest.approx(0.1)
    assert lr_factor(c, 9, 0.09) == pytest.approx(1.0)
    assert lr_factor(c, 50, 0.5) == pytest.approx(0.55)
    assert lr_factor(c, 100, 1.0) == pytest.approx(0.1)
    assert lr_factor(TrainConfig(schedule="constant"), 70, 0.7) == 1.0


class AccuracyTask(QuadraticTask):
    """Reports an accuracy-like metric that should be maximised, beside the loss."""

    monitor, mode, loss_unit = "val_accuracy", "max", "nats/example"


def test_keep_best_follows_a_named_metric_and_direction(tmp_path):
    folder = ModelFolder(tmp_path).create()
    task = AccuracyTask(val_script=[0.5, 0.7, 0.6, 0.9, 0.8])
    result = train(task, cfg(max_steps=50), folder)
    assert (result.monitor, result.best_value, result.best_step) == ("val_accuracy", 0.9, 40)
    assert [r["step"] for r in task.best_rows] == [10, 20, 40]
    rows = folder.read_metrics()
    assert [r["val_accuracy"] for r in rows] == [0.5, 0.7, 0.6, 0.9, 0.8]
    assert all("val_loss" not in r for r in rows)  # only what the task reports
    assert (tmp_path / "loss.png").read_bytes()[:4] == b"\x89PNG"


def test_a_task_must_report_its_monitored_metric(tmp_path):
    class Silent(QuadraticTask):
        def evaluate(self, device):
            return {"something_else": 1.0}

    with pytest.raises(KeyError, match="val_loss"):
        train(Silent(), cfg(), ModelFolder(tmp_path).create())


def test_the_loss_is_read_from_the_device_rarely_not_every_step(tmp_path, monkeypatch):
    """No host-device sync per step: the training loss is summed on the device and read at
    evaluations (and every CHECK_EVERY steps), never once per step."""
    from textkit.training import loop

    reads = []
    original = loop._Run.running_loss
    monkeypatch.setattr(
        loop._Run, "running_loss", lambda self: reads.append(self.step) or original(self)
    )
    item_calls = []  # .item() called by textkit's own code (torch's optimisers read CPU scalars)
    real_item = torch.Tensor.item

    def counting_item(t):
        if sys._getframe(1).f_globals.get("__name__", "").startswith("textkit"):
            item_calls.append(1)
        return real_item(t)

    monkeypatch.setattr(torch.Tensor, "item", counting_item)
    task = QuadraticTask(val_script=[1.0] * 20)
    train(task, cfg(max_steps=200, eval_every=100), ModelFolder(tmp_path).create())
    assert reads == [50, 100, 100, 150, 200, 200]  # CHECK_EVERY=50, plus each evaluation
    assert len(item_calls) == len(reads)


def test_a_diverging_loss_stops_before_any_checkpoint_is_written(tmp_path):
    class Exploding(QuadraticTask):
        def train_loss(self, step, device):
            loss = self._loss()
            return loss * float("inf") if step >= 25 else loss

    folder = ModelFolder(tmp_path).create()
    with pytest.raises(TextkitError, match="diverged"):
        train(Exploding(), cfg(max_steps=100, eval_every=10), folder)
    assert [r["step"] for r in folder.read_metrics()] == [10, 20]
    assert folder.load_state()["step"] == 20  # the last good checkpoint, nothing after it


def test_task_base_class_defaults():
    task = Task()
    assert (task.monitor, task.mode, task.state_dict(), task.report(0, None)) == (
        "val_loss",
        "min",
        {},
        None,
    )
    with pytest.raises(NotImplementedError):
        task.train_loss(0, None)


def test_api_errors_name_the_python_parameter_and_the_flag():
    with pytest.raises(TextkitError, match=r"max_steps \(--max-steps\) must be >= 1"):
        TrainConfig(max_steps=-1).validate()
    for bad in (
        dict(lr=float("nan")),
        dict(clip=float("inf")),
        dict(momentum=-5),
        dict(epochs=float("nan")),
        dict(warmup=-10),
        dict(patience=0),
        dict(seed=10**23),
        dict(weight_decay=float("nan")),
    ):
        with pytest.raises(TextkitError, match=next(iter(bad))):
            TrainConfig(max_steps=10, **bad).validate()


def test_resumed_settings_keep_the_saved_run_unless_typed():
    saved = TrainConfig(lr=0.01, schedule="constant", max_steps=40, seed=5, eval_every=10).to_dict()
    now = resumed_config(saved, {"max_steps": 60})
    assert (now.lr, now.schedule, now.max_steps, now.seed) == (0.01, "constant", 60, 5)
