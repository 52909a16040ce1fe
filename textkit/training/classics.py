"""The problems the field teaches with, run through the same loop and optimisers as every textkit
model: a sanity suite for the loop, and `textkit demo` for comparing optimisers.

- ``line``: least squares, a line through a few points, fitted by gradient descent;
- ``or``: the OR function, learnt by one neuron (it is linearly separable);
- ``xor``: XOR, which needs a hidden layer: a single layer can get at most 3 of its 4 cases right
  (no line separates (0,1),(1,0) from (0,0),(1,1)), and a network with one hidden layer learns it.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from textkit.training.config import TrainConfig
from textkit.training.loop import Task, Trainer
from textkit.training.runlog import TrainResult

PROBLEMS = ("line", "or", "xor")
# a learning rate that works for each optimiser on these problems (SGD needs a big one)
DEMO_LR = {
    "sgd": 0.5,
    "momentum": 0.1,
    "nesterov": 0.1,
    "rmsprop": 0.02,
    "adam": 0.05,
    "adamw": 0.05,
}


class ClassicTask(Task):
    """One small full-batch problem; every step sees all of its examples."""

    steps_per_epoch = 1
    unit_name = "examples"

    def __init__(self, problem: str, hidden: int = 0, seed: int = 0) -> None:
        torch.manual_seed(seed)
        self.problem = problem
        if problem == "line":  # y = 2x - 1 with a little noise
            self.x = torch.linspace(-1, 1, 8).unsqueeze(1)
            self.y = (
                2 * self.x
                - 1
                + 0.05 * torch.tensor([0.3, -0.5, 0.1, 0.4, -0.2, 0.0, -0.3, 0.2]).unsqueeze(1)
            )
            self.model = nn.Linear(1, 1)
            self.loss_unit = "squared error"
        else:
            self.x = torch.tensor([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
            truth = [0.0, 1.0, 1.0, 1.0] if problem == "or" else [0.0, 1.0, 1.0, 0.0]
            self.y = torch.tensor(truth).unsqueeze(1)
            self.model = (
                nn.Sequential(nn.Linear(2, hidden), nn.Tanh(), nn.Linear(hidden, 1))
                if hidden
                else nn.Linear(2, 1)
            )
            self.loss_unit = "nats"
        self.units_per_step = len(self.x)

    def _loss(self, device: torch.device) -> torch.Tensor:
        out = self.model(self.x.to(device))
        if self.problem == "line":
            return F.mse_loss(out, self.y.to(device))
        return F.binary_cross_entropy_with_logits(out, self.y.to(device))

    def train_loss(self, step: int, device: torch.device) -> torch.Tensor:
        return self._loss(device)

    def evaluate(self, device: torch.device) -> dict[str, float]:
        metrics = {"val_loss": float(self._loss(device))}
        if self.problem != "line":
            pred = (self.model(self.x.to(device)) > 0).float()
            metrics["val_accuracy"] = float((pred == self.y.to(device)).float().mean())
        return metrics

    def least_squares(self) -> tuple[float, float]:
        """The exact solution (slope, intercept) the line problem should reach."""
        a = torch.cat([self.x, torch.ones_like(self.x)], 1)
        solution = torch.linalg.lstsq(a, self.y).solution
        return float(solution[0]), float(solution[1])


def train_classic(
    problem: str,
    folder,
    optimizer: str = "adam",
    lr: float | None = None,
    steps: int = 2000,
    hidden: int = 0,
    seed: int = 0,
    log=None,
) -> tuple[ClassicTask, TrainResult]:
    """Train one classic problem into ``folder`` (a ModelFolder) through the shared loop."""
    cfg = TrainConfig(
        optimizer=optimizer,
        lr=lr or DEMO_LR[optimizer],
        schedule="constant",
        clip=0.0,
        max_steps=steps,
        eval_every=max(1, steps // 20),
        seed=seed,
        device="cpu",
        progress=False,
        plateau_evals=0,
    )
    trainer = Trainer(cfg, folder, log=log or (lambda m: None))
    task = ClassicTask(problem, hidden, seed)
    result = trainer.fit(task)
    return task, result


def run_demo(
    problem: str,
    out: str | Path,
    optimizer: str = "adam",
    lr: float | None = None,
    steps: int = 2000,
    hidden: int = 0,
    seed: int = 0,
    overwrite: bool = False,
) -> tuple[ClassicTask, TrainResult]:
    """`textkit demo`: a model folder with the run's metrics and loss curve, to compare."""
    from textkit.modelio import training_run

    with training_run(out, overwrite=overwrite) as folder:
        folder.write_config(
            "demo",
            {
                "problem": problem,
                "optimizer": optimizer,
                "hidden": hidden,
                "lr": lr or DEMO_LR[optimizer],
                "steps": steps,
            },
        )
        task, result = train_classic(problem, folder, optimizer, lr, steps, hidden, seed)
        folder.write_config(
            "demo",
            {
                "problem": problem,
                "optimizer": optimizer,
                "hidden": hidden,
                "lr": lr or DEMO_LR[optimizer],
                "steps": steps,
                "best_metrics": result.best,
                "loss_unit": task.loss_unit,
            },
        )
    return task, result
