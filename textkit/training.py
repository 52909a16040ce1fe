"""The one training loop every torch model in textkit shares.

A model plugs in through a small ``Task`` (how to compute one step's loss, how to evaluate, what
to save when validation improves).  The loop owns everything else: optimiser, LR schedule,
mixed precision, gradient clipping, evaluation every N steps, keep-best, early stopping, limits
(steps / epochs / wall-clock), progress bar, exact resume, and saving cleanly on Ctrl-C or
SIGTERM.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Protocol

import torch
from tqdm.auto import tqdm

from textkit.device import (
    autocast,
    grad_scaler,
    resolve_device,
    rng_state,
    seed_everything,
    set_rng_state,
)
from textkit.errors import TextkitError
from textkit.modelio import ModelFolder

OPTIMIZERS = ("sgd", "momentum", "nesterov", "rmsprop", "adam", "adamw")
SCHEDULES = ("constant", "cosine", "linear")


@dataclass
class TrainConfig:
    """How to train (as opposed to what model to train)."""

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

    def validate(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise TextkitError(f"unknown optimizer {self.optimizer!r}; choose from {OPTIMIZERS}")
        if self.schedule not in SCHEDULES:
            raise TextkitError(f"unknown schedule {self.schedule!r}; choose from {SCHEDULES}")
        if not self.lr > 0:
            raise TextkitError(f"learning rate must be > 0 (got {self.lr})")
        if self.max_steps is None and self.epochs is None and self.time_budget is None:
            raise TextkitError("give a limit: --max-steps, --epochs or --time-budget")
        for name in ("max_steps", "epochs", "time_budget", "eval_every"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                raise TextkitError(f"--{name.replace('_', '-')} must be > 0 (got {value})")
        if self.weight_decay < 0 or self.clip < 0:
            raise TextkitError("--weight-decay and --clip must be >= 0")


class Task(Protocol):
    """What the loop needs from a model."""

    model: torch.nn.Module
    steps_per_epoch: int
    units_per_step: int  # e.g. characters, for throughput
    unit_name: str  # what a unit is, for the progress bar ("chars")

    def train_loss(self, step: int, device: torch.device) -> torch.Tensor: ...
    def evaluate(self, device: torch.device) -> float: ...
    def save_best(self, row: dict) -> None: ...
    # optional: ``report(step, device) -> str | None``, shown after each evaluation
    def state_dict(self) -> dict: ...
    def load_state_dict(self, state: dict, device: torch.device) -> None: ...


@dataclass
class TrainResult:
    steps: int
    best_val_loss: float | None
    best_step: int | None
    last_val_loss: float | None
    stopped_because: str
    interrupted: bool = False
    elapsed_s: float = 0.0
    units_per_s: float = 0.0  # training throughput, evaluation and checkpointing excluded
    history: list[dict] = field(default_factory=list)


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    params = list(params)
    wd = cfg.weight_decay
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, weight_decay=wd)
    if cfg.optimizer in ("momentum", "nesterov"):
        return torch.optim.SGD(
            params, lr=cfg.lr, momentum=cfg.momentum, nesterov=cfg.optimizer == "nesterov",
            weight_decay=wd,
        )  # fmt: skip
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=0.95, weight_decay=wd)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=wd)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=wd)


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


class _StopFlag:
    """Turns the first Ctrl-C / SIGTERM into a request to stop after the current step."""

    def __init__(self) -> None:
        self.requested: str | None = None
        self._old: dict = {}

    def __enter__(self) -> _StopFlag:
        if threading.current_thread() is threading.main_thread():
            for sig in (signal.SIGINT, signal.SIGTERM):
                self._old[sig] = signal.signal(sig, self._handle)
        return self

    def _handle(self, signum, frame) -> None:
        self.requested = signal.Signals(signum).name
        # a second Ctrl-C stops at once
        signal.signal(signum, self._old.get(signum, signal.default_int_handler))

    def __exit__(self, *exc) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)


def train(
    task: Task,
    cfg: TrainConfig,
    folder: ModelFolder,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``task.model`` until a limit, saving best weights, metrics and resumable state."""
    cfg.validate()
    log = log or (lambda msg: print(msg, file=sys.stderr))
    device = resolve_device(cfg.device)
    seed_everything(cfg.seed)
    model = task.model.to(device)
    optimizer = make_optimizer(cfg, model.parameters())
    scaler = grad_scaler(device, cfg.amp)

    step, best, best_step, bad_evals, elapsed_before = 0, math.inf, None, 0, 0.0
    if resume:
        state = folder.load_state()
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        scaler.load_state_dict(state["scaler"])
        task.load_state_dict(state["task"], device)
        set_rng_state(state["rng"])
        step, best, bad_evals = state["step"], state["best"], state["bad_evals"]
        best_step, elapsed_before = state.get("best_step"), state.get("elapsed", 0.0)
        folder.truncate_metrics(step)
        log(f"resuming {folder.path} from step {step} (best val loss {best:.4f})")

    total_steps = cfg.max_steps
    if cfg.epochs is not None:
        by_epochs = math.ceil(cfg.epochs * task.steps_per_epoch)
        total_steps = by_epochs if total_steps is None else min(total_steps, by_epochs)
    if total_steps is not None and step >= total_steps:
        raise TextkitError(
            f"{folder.path} already trained {step} steps; raise --max-steps/--epochs to go on"
        )

    def save_state() -> None:
        folder.save_state(
            {
                "model": model.state_dict(),
                "optimizer": optimizer.state_dict(),
                "scaler": scaler.state_dict(),
                "task": task.state_dict(),
                "rng": rng_state(),
                "step": step,
                "best": best,
                "best_step": best_step,
                "bad_evals": bad_evals,
                "elapsed": elapsed_before + (time.monotonic() - start),
                "config": asdict(cfg),
            }
        )

    history: list[dict] = []
    last_val: float | None = None
    losses: list[float] = []
    units = 0
    start = time.monotonic()
    window_start = start
    stopped = "max steps"
    show = cfg.progress if cfg.progress is not None else sys.stderr.isatty()
    bar = tqdm(total=total_steps, initial=step, disable=not show, unit="step", dynamic_ncols=True)
    postfix: dict[str, str] = {}
    unit = getattr(task, "unit_name", "units")

    def evaluate() -> None:
        nonlocal best, best_step, bad_evals, last_val, losses, units, window_start
        model.eval()
        with torch.no_grad(), autocast(device, cfg.amp):
            val = float(task.evaluate(device))
        report = getattr(task, "report", None)  # optional: e.g. a text sample to show
        text = report(step, device) if report else None
        if text:
            tqdm.write(text, file=sys.stderr)
        model.train()
        now = time.monotonic()
        row = {
            "step": step,
            "epoch": round(step / task.steps_per_epoch, 3),
            "train_loss": sum(losses) / len(losses) if losses else None,
            "val_loss": val,
            "lr": optimizer.param_groups[0]["lr"],
            "units_per_s": units / max(now - window_start, 1e-9),
            "elapsed_s": round(elapsed_before + now - start, 2),
        }
        losses, units, window_start = [], 0, time.monotonic()
        last_val = val
        if val < best:
            best, best_step, bad_evals = val, step, 0
            task.save_best(row)
        else:
            bad_evals += 1
        save_state()
        folder.append_metrics(row)
        history.append(row)
        postfix.update(val=f"{val:.3f}", best=f"{best:.3f}")
        bar.set_postfix(postfix)

    model.train()
    step_time, steps_run = 0.0, 0
    with _StopFlag() as flag:
        while True:
            t0 = time.monotonic()
            progress = step / total_steps if total_steps else 0.0
            if cfg.time_budget:
                progress = max(progress, (time.monotonic() - start) / cfg.time_budget)
            for group in optimizer.param_groups:
                group["lr"] = cfg.lr * lr_factor(cfg, step, progress)
            with autocast(device, cfg.amp):
                loss = task.train_loss(step, device)
            if not torch.isfinite(loss):
                raise TextkitError(
                    f"training diverged at step {step} (loss {loss.item()}); lower --lr or --clip"
                )
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            if cfg.clip:
                scaler.unscale_(optimizer)
                torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.clip)
            scaler.step(optimizer)
            scaler.update()
            step += 1
            losses.append(loss.item())
            step_time += time.monotonic() - t0
            steps_run += 1
            units += task.units_per_step
            bar.update(1)
            postfix.update(loss=f"{losses[-1]:.3f}")
            postfix[f"{unit}/s"] = f"{units / max(time.monotonic() - window_start, 1e-9):,.0f}"
            bar.set_postfix(postfix)

            if total_steps is not None and step >= total_steps:
                stopped = "max steps" if cfg.epochs is None else "epochs"
                break
            if cfg.time_budget and time.monotonic() - start >= cfg.time_budget:
                stopped = "time budget"
                break
            if flag.requested:
                stopped = "interrupted"
                break
            if step % cfg.eval_every == 0:
                evaluate()
                if cfg.patience and bad_evals >= cfg.patience:
                    stopped = "early stopping"
                    break
        if not history or history[-1]["step"] != step:
            evaluate()
    bar.close()
    return TrainResult(
        steps=step,
        best_val_loss=best if best < math.inf else None,
        best_step=best_step,
        last_val_loss=last_val,
        stopped_because=stopped,
        interrupted=stopped == "interrupted",
        elapsed_s=time.monotonic() - start,
        units_per_s=steps_run * task.units_per_step / max(step_time, 1e-9),
        history=history,
    )
