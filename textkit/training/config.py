"""How to train (as opposed to what model to train): the settings every trainer shares, their
choices and ranges, and the learning-rate schedule.  Torch-free, so the CLI can read defaults and
choices without importing torch."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields

from textkit.errors import TextkitError
from textkit.progress import HEARTBEAT_S
from textkit.settings import DEVICES, MAX_SEED, from_dict, setting, validate, with_overrides

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
SCHEDULES = ("cosine", "linear", "constant")
LIMITS = ("max_steps", "epochs", "time_budget")
LOCAL = ("device", "progress", "tensorboard")  # where a run happens, not what it is


@dataclass
class TrainConfig:
    """Optimiser, schedule, limits, evaluation and device settings of one training run.

    ``lr``, ``eval_every`` and the limits default to None: the model kind fills them
    (``with_defaults``), so a config says only what its author chose."""

    optimizer: str = setting("adam", help="Optimiser.", choices=OPTIMIZERS)
    lr: float | None = setting(
        None, help="Peak learning rate.", low=0, high=10, low_open=True, optional=True
    )
    momentum: float = setting(
        0.9, help="Momentum for momentum/nesterov.", low=0, high=1, high_open=True
    )
    weight_decay: float = setting(0.0, help="L2 penalty (decoupled for adamw).", low=0, high=10)
    clip: float = setting(5.0, help="Gradient-norm clipping; 0 turns it off.", low=0)
    schedule: str = setting(
        "cosine",
        choices=SCHEDULES,
        help="LR schedule after warm-up, decaying to 10% at the end of training.",
    )
    warmup: int = setting(0, help="Steps of linear LR warm-up.", low=0, integer=True)
    max_steps: int | None = setting(
        None, help="Stop after this many steps.", low=1, high=10**12, integer=True, optional=True
    )
    epochs: float | None = setting(
        None,
        help="Stop after this many passes over the training data.",
        low=0,
        high=1e9,
        low_open=True,
        optional=True,
    )
    time_budget: float | None = setting(
        None,
        kind="duration",
        help="Stop after this much wall-clock time, e.g. 300, 5m, 1h.",
        low=0,
        high=1e9,
        low_open=True,
        optional=True,
    )
    eval_every: int | None = setting(
        None,
        help="Steps between validation runs and checkpoints.",
        low=1,
        integer=True,
        optional=True,
    )
    patience: int | None = setting(
        None,
        help="Stop after this many evaluations without improvement.",
        low=1,
        integer=True,
        optional=True,
    )
    seed: int = setting(
        0,
        help="Random seed; the same seed repeats a run exactly.",
        low=0,
        high=MAX_SEED,
        integer=True,
    )
    device: str = setting(
        "auto", help="Where to train; auto picks CUDA when present.", metavar=DEVICES
    )
    amp: bool = setting(
        True,
        flag="--no-amp",
        flag_value=False,
        help="Train in full fp32 precision on CUDA (mixed precision is the default there).",
    )
    progress: bool | None = setting(
        None,
        kind="bool",
        optional=True,
        flag="--progress/--no-progress",
        help="A progress bar (--progress) or nothing (--no-progress). [default: a bar on a "
        f"terminal, else a heartbeat line every {HEARTBEAT_S:.0f} s]",
    )
    overfit_batch: bool = setting(
        False,
        flag="--overfit-batch",
        flag_value=True,
        help="Debugging: train on one batch only; a healthy model drives its loss near zero.",
    )
    swa: float | None = setting(
        None,
        low=0,
        high=1,
        low_open=True,
        optional=True,
        flag_value=0.25,
        metavar="[FRACTION]",
        help="Stochastic weight averaging over this last fraction of training (alone: 0.25); "
        "the average is kept if it beats the best checkpoint.",
    )
    tensorboard: str | None = setting(
        None,
        kind="path",
        optional=True,
        metavar="DIR",
        help="Also write TensorBoard event files (losses, LR, throughput, samples) to DIR.",
    )
    plateau_evals: int = setting(
        5,
        low=0,
        high=10**6,
        integer=True,
        help="Warn when the monitored metric hasn't moved in this many evaluations (0: off).",
    )

    def validate(self) -> None:
        """Check every setting, and that the run has a limit and a learning rate."""
        validate(self)
        if all(getattr(self, name) is None for name in LIMITS):
            raise TextkitError(
                "give a limit: max_steps, epochs or time_budget (--max-steps, --epochs, --time-budget)"
            )
        if self.lr is None or self.eval_every is None:
            raise TextkitError(
                "lr and eval_every must be set: a model's fit fills them from its own defaults; "
                "a Trainer used directly needs them given"
            )

    def check_device(self) -> None:
        """Refuse a device this machine lacks (or doesn't know), also in trainers that run on
        the CPU whatever it says: a typed --device is never silently ignored."""
        if self.device not in ("auto", "cpu"):
            from textkit.device import resolve_device

            resolve_device(self.device)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict) -> TrainConfig:
        """A config from a saved dict; keys this version doesn't know are ignored."""
        return from_dict(cls, saved)


def chosen(train_config: TrainConfig | dict | None) -> dict:
    """What a caller chose: a dict's entries (misspelt names refused), or the fields of a
    TrainConfig that differ from the defaults; nothing for None."""
    if train_config is None:
        return {}
    if isinstance(train_config, TrainConfig):
        fresh = TrainConfig()
        return {
            f.name: getattr(train_config, f.name)
            for f in fields(TrainConfig)
            if getattr(train_config, f.name) != getattr(fresh, f.name)
        }
    if not isinstance(train_config, dict):
        raise TextkitError(f"train_config must be a TrainConfig or a dict, got {train_config!r}")
    with_overrides("train_config", TrainConfig, None, train_config)  # refuses unknown names
    return dict(train_config)


def run_config(choice: TrainConfig | dict | None, defaults: dict) -> TrainConfig:
    """The settings of a run: a model kind's ``defaults``, then what was chosen (``chosen``).
    A default limit applies only when no limit was chosen: any one of max_steps, epochs and
    time_budget replaces the others."""
    picked = chosen(choice)
    if any(picked.get(name) is not None for name in LIMITS):
        defaults = {k: v for k, v in defaults.items() if k not in LIMITS}
    cfg = TrainConfig(**{**defaults, **picked})
    cfg.validate()
    return cfg


def resumed_config(saved: dict, choice: TrainConfig | dict | None) -> TrainConfig:
    """For resuming: the saved run's settings, except those chosen again, so "the same command
    plus --resume" continues the same curve.  Where the run happens (device, progress,
    TensorBoard) is never taken from the saved run."""
    before = {k: v for k, v in TrainConfig.from_dict(saved).to_dict().items() if k not in LOCAL}
    return run_config(choice, before)


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
