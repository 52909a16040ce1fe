"""How to train (as opposed to what model to train): the settings every trainer shares, their
choices and ranges, and the learning-rate schedule.  Torch-free, so the CLI can read defaults and
choices without importing torch."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass, fields, replace

from textkit.checks import check_choice, check_number
from textkit.errors import TextkitError

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
SCHEDULES = ("cosine", "linear", "constant")
MAX_SEED = 2**63 - 1


@dataclass
class TrainConfig:
    """Optimiser, schedule, limits, evaluation and device settings of one training run."""

    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    clip: float = 5.0
    schedule: str = "cosine"
    warmup: int = 0
    max_steps: int | None = None
    epochs: float | None = None
    time_budget: float | None = None  # seconds
    eval_every: int = 100
    patience: int | None = None  # evaluations without improvement before stopping
    seed: int = 0
    device: str = "auto"
    amp: bool = True
    progress: bool | None = None  # None: only when stderr is a terminal
    overfit_batch: bool = False  # train on one batch only: a healthy setup drives its loss to ~0
    swa: float | None = None  # average the weights over this last fraction of training
    tensorboard: str | None = None  # also write TensorBoard event files into this folder
    plateau_evals: int = 5  # warn when the monitored metric hasn't moved in this many (0: off)

    def validate(self) -> None:
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("schedule", self.schedule, SCHEDULES)
        check_number("lr", self.lr, 0, 10, low_open=True)
        check_number("momentum", self.momentum, 0, 1, high_open=True)
        check_number("weight_decay", self.weight_decay, 0, 10)
        check_number("clip", self.clip, 0)
        check_number("warmup", self.warmup, 0, integer=True)
        check_number("max_steps", self.max_steps, 1, 10**12, integer=True, optional=True)
        check_number("epochs", self.epochs, 0, 1e9, low_open=True, optional=True)
        check_number("time_budget", self.time_budget, 0, 1e9, low_open=True, optional=True)
        check_number("eval_every", self.eval_every, 1, integer=True)
        check_number("patience", self.patience, 1, integer=True, optional=True)
        check_number("seed", self.seed, 0, MAX_SEED, integer=True)
        check_number("swa", self.swa, 0, 1, low_open=True, optional=True)
        check_number("plateau_evals", self.plateau_evals, 0, 10**6, integer=True)
        if self.max_steps is None and self.epochs is None and self.time_budget is None:
            raise TextkitError(
                "give a limit: max_steps, epochs or time_budget (--max-steps, --epochs, --time-budget)"
            )

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict) -> TrainConfig:
        """A config from a saved dict; keys this version doesn't know are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in known})

    def resumed(self, saved: dict, typed: Iterable[str]) -> TrainConfig:
        """For ``--resume``: the saved run's settings, except those named in ``typed`` (what the
        user typed again), so "the same command plus --resume" continues the same curve."""
        typed = set(typed)
        keep = {
            f.name: saved[f.name] for f in fields(self) if f.name in saved and f.name not in typed
        }
        local = ("device", "progress", "tensorboard")  # where this run happens, not what it is
        return replace(self, **{k: v for k, v in keep.items() if k not in local})


def lr_factor(cfg: TrainConfig, step: int, progress: float) -> float:
    """Multiplier of the base LR: linear warm-up, then constant, cosine or linear decay to 10%."""
    if cfg.warmup and step < cfg.warmup:
        return (step + 1) / cfg.warmup
    p = min(max(progress, 0.0), 1.0)
    if cfg.schedule == "cosine":
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * p))
    if cfg.schedule == "linear":
        return 1.0 - 0.9 * p
    return 1.0
