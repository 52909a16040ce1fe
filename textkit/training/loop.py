"""The one training loop every torch model in textkit shares.

A model plugs in through a ``Task`` (one step's loss, an evaluation that reports metrics, what to
save when the monitored metric improves).  The loop owns everything else: optimiser, LR schedule,
mixed precision, gradient clipping, evaluation every N steps, keep-best by a named metric, early
stopping, limits (steps / epochs / wall-clock), progress bar, exact resume, and saving cleanly on
Ctrl-C or SIGTERM.  The training loss is summed on the device and read only every
``CHECK_EVERY`` steps, at evaluations and for the progress bar, so a GPU is never made to wait
for the host at each step; a non-finite loss is still caught before any checkpoint is written.
"""

from __future__ import annotations

import math
import signal
import sys
import threading
import time
from collections.abc import Callable

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
from textkit.progress import Progress
from textkit.training.config import TrainConfig, lr_factor
from textkit.training.distributed import Dist, context
from textkit.training.runlog import RunLog, TrainResult
from textkit.training.watch import Sanity, TensorBoard, WeightAverage

CHECK_EVERY = 50  # steps between reads of the running loss when no progress bar asks sooner
SHOW_EVERY_S = 0.5  # seconds between progress-bar updates


class Task:
    """What the loop needs from a model; subclasses override what they use."""

    model: torch.nn.Module
    steps_per_epoch: int = 1
    units_per_step: int = 1  # e.g. characters, for throughput
    unit_name: str = "examples"  # what a unit is, for the progress bar
    monitor: str = "val_loss"  # the metric keep-best and early stopping follow
    mode: str = "min"  # "min" or "max": which direction is better
    loss_unit: str = "nats"  # the loss's unit, for plots ("nats/char")
    tiebreak: tuple[str, str] | None = None  # (metric, mode) deciding between equal monitors
    n_outputs: int | None = None  # classes of a softmax output: the first loss should be ln(n)
    sparse_optimizer: str = "adam"  # for sparse_parameters(): "adam" (SparseAdam) or "sgd"
    fingerprint: str | None = None  # of the training data: resume refuses other data

    def train_loss(self, step: int, device: torch.device) -> torch.Tensor:
        raise NotImplementedError

    def evaluate(self, device: torch.device) -> dict[str, float]:
        """Validation metrics (called in eval mode, under no_grad); must include ``monitor``."""
        raise NotImplementedError

    def on_best(self, row: dict) -> None:
        """The monitored metric improved: save the weights (``row`` is the metrics row)."""

    def report(self, step: int, device: torch.device) -> str | None:
        """Text to show after an evaluation (e.g. a sample), or None."""
        return None

    def state_dict(self) -> dict:
        """Task state a resumed run needs (e.g. a carried hidden state)."""
        return {}

    def sparse_parameters(self) -> list[torch.nn.Parameter]:
        """Parameters with sparse gradients (an EmbeddingBag's rows): the loop updates them with
        SparseAdam, the rest with the configured optimiser."""
        return []

    def load_state_dict(self, state: dict, device: torch.device) -> None:
        pass

    # train_loss calls train_model (the loop sets it: the model itself, or its
    # DistributedDataParallel wrapper under torchrun, whose backward all-reduces gradients)
    train_model: Callable = None  # type: ignore[assignment]

    def shard(self, dist: Dist) -> None:
        """Under torchrun: from now on train on this rank's share (``dist.rows``) of every
        batch, so the ranks together see the same batches as one process would.  ``state_dict``
        must then gather what is kept per row, and ``load_state_dict`` take this rank's rows."""
        raise TextkitError(f"{type(self).__name__} can't train on several processes")


def make_optimizer(cfg: TrainConfig, params) -> torch.optim.Optimizer:
    params = list(params)
    wd = cfg.weight_decay
    if cfg.optimizer == "sgd":
        return torch.optim.SGD(params, lr=cfg.lr, weight_decay=wd)
    if cfg.optimizer in ("momentum", "nesterov"):
        return torch.optim.SGD(
            params,
            lr=cfg.lr,
            momentum=cfg.momentum,
            nesterov=cfg.optimizer == "nesterov",
            weight_decay=wd,
        )
    if cfg.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=cfg.lr, alpha=0.95, weight_decay=wd)
    if cfg.optimizer == "adam":
        return torch.optim.Adam(params, lr=cfg.lr, weight_decay=wd)
    return torch.optim.AdamW(params, lr=cfg.lr, weight_decay=wd)


def _no_buffer_sync(ddp) -> dict:
    """DDP's "don't copy buffers every forward" under the name this torch knows (the old one
    warns from 2.13; every rank starts from the same seeded weights either way)."""
    import inspect

    if "forward_sync_buffers" in inspect.signature(ddp).parameters:
        return {"forward_sync_buffers": False}
    return {"broadcast_buffers": False}


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


class Trainer:
    """Trains tasks under one ``TrainConfig`` into one model folder.

    The constructor does what must happen once and first: it validates the settings, and for a
    resumed run reads the saved state and checks it continues the same data; then it resolves
    the device and seeds every RNG, so a model built after it starts from the seeded state.
    """

    def __init__(
        self,
        cfg: TrainConfig,
        folder: ModelFolder,
        *,
        resume: bool = False,
        fingerprint: str | None = None,
        log: Callable[[str], None] | None = None,
        plot: bool = True,
    ) -> None:
        cfg.validate()
        self.cfg, self.folder, self.plot = cfg, folder, plot
        self.dist = context()
        self.log = log or (lambda msg: print(msg, file=sys.stderr))
        if not self.dist.is_main:
            self.log = lambda msg: None
        self.saved_state: dict | None = None
        if resume:
            self.saved_state = folder.load_state()
            saved = self.saved_state.get("fingerprint")
            if fingerprint and saved and saved != fingerprint:
                raise TextkitError(
                    f"{folder.path} was trained on a different corpus; resume needs the same data"
                )
        self.fingerprint = fingerprint
        self.device = self.dist.device(resolve_device(cfg.device))
        seed_everything(cfg.seed)

    @property
    def is_main(self) -> bool:
        """Whether this process writes the model folder (always, outside torchrun)."""
        return self.dist.is_main

    def fit(self, task: Task) -> TrainResult:
        run = _Run(task, self.cfg, self.folder, self.device, self.log, self.fingerprint, self.dist)
        if self.saved_state is not None:
            run.restore(self.saved_state)
        run.seed_rank()
        result = run.loop()
        if self.plot and self.is_main:  # a throw-away run (one fold of a cross-fit) needs none
            from textkit.plots import plot_metrics

            plot_metrics(self.folder, task.loss_unit)
        return result


def train(
    task: Task,
    cfg: TrainConfig,
    folder: ModelFolder,
    resume: bool = False,
    log: Callable[[str], None] | None = None,
) -> TrainResult:
    """Train ``task.model`` until a limit, saving best weights, metrics and resumable state."""
    return Trainer(cfg, folder, resume=resume, fingerprint=task.fingerprint, log=log).fit(task)


class _Run:
    """The state of one run: optimiser, step, loss window and the metrics log, with the three
    things the loop does besides stepping: evaluate, checkpoint, restore."""

    def __init__(
        self,
        task: Task,
        cfg: TrainConfig,
        folder: ModelFolder,
        device: torch.device,
        log: Callable[[str], None],
        fingerprint: str | None,
        dist: Dist,
    ) -> None:
        self.task, self.cfg, self.folder, self.device, self.log = task, cfg, folder, device, log
        self.fingerprint, self.dist = fingerprint, dist
        self.model = task.model.to(device)
        task.train_model = self.model
        if dist.enabled:  # before the optimisers: a task may give up sparse gradients
            from torch.nn.parallel import DistributedDataParallel

            task.shard(dist)
            task.train_model = DistributedDataParallel(
                self.model,
                device_ids=[device.index] if device.type == "cuda" else None,
                **_no_buffer_sync(DistributedDataParallel),
            )
        sparse = {id(p) for p in task.sparse_parameters()}
        dense = [p for p in self.model.parameters() if id(p) not in sparse]
        self.dense = dense
        self.optimizers = [make_optimizer(cfg, dense)] if dense else []
        if sparse:
            self.optimizers.append(
                torch.optim.SparseAdam(list(task.sparse_parameters()), lr=cfg.lr)
            )
        self.scaler = grad_scaler(device, cfg.amp)
        self.runlog = RunLog(
            folder if dist.is_main else None, task.monitor, task.mode, cfg.patience, task.tiebreak
        )
        self.step, self.elapsed_before = 0, 0.0
        self.sanity = Sanity(task, cfg)
        self.swa = WeightAverage(self.model, cfg.swa) if cfg.swa else None
        self.board = TensorBoard(cfg.tensorboard) if cfg.tensorboard and dist.is_main else None
        self.start = time.monotonic()
        self.step_time, self.steps_run = 0.0, 0
        self._reset_window()

    # ------------------------------------------------------------------ bookkeeping
    def _reset_window(self) -> None:
        self.loss_sum = torch.zeros((), device=self.device)
        self.loss_count, self.window_units = 0, 0
        self.window_start = time.monotonic()

    def running_loss(self) -> float | None:
        """Mean training loss since the last evaluation (over all ranks: every rank must call
        this at the same step): one host-device sync."""
        if not self.loss_count:
            return None
        value = self.dist.mean(self.loss_sum / self.loss_count).item()
        if math.isfinite(value):
            self.sanity.running(value, self.step)
        else:
            raise TextkitError(
                f"training diverged before step {self.step} (loss {value}); nothing after the "
                "last checkpoint was saved. Lower --lr, keep --clip on, or try --no-amp"
            )
        return value

    @property
    def total_steps(self) -> int | None:
        total = self.cfg.max_steps
        if self.cfg.epochs is not None:
            by_epochs = math.ceil(self.cfg.epochs * self.task.steps_per_epoch)
            total = by_epochs if total is None else min(total, by_epochs)
        return total

    def elapsed(self) -> float:
        return self.elapsed_before + time.monotonic() - self.start

    # ------------------------------------------------------------------ checkpoints
    def checkpoint(self) -> None:
        task_state = self.task.state_dict()  # on every rank: it may gather rows from all
        if not self.dist.is_main:
            return
        self.folder.save_state(
            {
                "model": self.model.state_dict(),
                "optimizer": [o.state_dict() for o in self.optimizers],
                "scaler": self.scaler.state_dict(),
                "task": task_state,
                "rng": rng_state(),
                "step": self.step,
                "runlog": self.runlog.state_dict(),
                "elapsed": self.elapsed(),
                "config": self.cfg.to_dict(),
                "fingerprint": self.fingerprint,
            }
        )
        self.folder.publish()  # a new run becomes visible with its first checkpoint

    def restore(self, state: dict) -> None:
        try:
            self.model.load_state_dict(state["model"])
            saved = state["optimizer"]
            saved = saved if isinstance(saved, list) else [saved]  # textkit 0.1: one optimiser
            if len(saved) != len(self.optimizers):
                raise ValueError("the saved optimiser state is for another set of parameters")
            for optimizer, optimizer_state in zip(self.optimizers, saved, strict=True):
                optimizer.load_state_dict(optimizer_state)
            self.scaler.load_state_dict(state["scaler"])
            self.task.load_state_dict(state["task"], self.device)
            set_rng_state(state["rng"])
            self.step, self.elapsed_before = int(state["step"]), float(state.get("elapsed", 0.0))
        except (KeyError, RuntimeError, ValueError, TypeError, IndexError) as exc:
            raise TextkitError(
                f"{self.folder.file('train_state.pt')} does not fit this model ({exc}); "
                "train again without --resume"
            ) from exc
        if "runlog" in state:
            self.runlog.load_state_dict(state["runlog"])
        elif math.isfinite(state.get("best", math.inf)):  # a state saved by textkit 0.1
            self.runlog.best = {"step": state.get("best_step"), "val_loss": state["best"]}
            self.runlog.bad_evals = state.get("bad_evals", 0)
        total = self.total_steps
        if total is not None and self.step >= total:
            raise TextkitError(
                f"{self.folder.path} already trained {self.step} steps; "
                "raise max_steps/epochs (--max-steps/--epochs) to go on"
            )
        if self.dist.is_main:
            self.folder.truncate_metrics(self.step)
        best = self.runlog.best
        shown = f"best {self.runlog.monitor} {best[self.runlog.monitor]:.4f}" if best else "no best"
        self.log(f"resuming {self.folder.path} from step {self.step} ({shown})")

    def seed_rank(self) -> None:
        """Under torchrun each rank draws its own dropout masks: a seed from (seed, rank, step),
        so a resumed run draws the same ones again."""
        if self.dist.enabled:
            torch.manual_seed(self.cfg.seed * 1_000_003 + self.dist.rank * 7_919 + self.step)

    # ------------------------------------------------------------------ the steps
    def train_step(self) -> None:
        cfg, total = self.cfg, self.total_steps
        t0 = time.monotonic()
        progress = self.step / total if total else 0.0
        if cfg.time_budget:
            progress = max(progress, (t0 - self.start) / cfg.time_budget)
        lr = cfg.lr * lr_factor(cfg, self.step, progress)
        for optimizer in self.optimizers:
            for group in optimizer.param_groups:
                group["lr"] = lr
        with autocast(self.device, cfg.amp):
            loss = self.task.train_loss(0 if cfg.overfit_batch else self.step, self.device)
        for optimizer in self.optimizers:
            optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if cfg.clip and self.dense:  # dense gradients only: a sparse one can't be clipped in place
            self.scaler.unscale_(self.optimizers[0])
            torch.nn.utils.clip_grad_norm_(self.dense, cfg.clip)
        for optimizer in self.optimizers:
            self.scaler.step(optimizer)
        self.scaler.update()
        self.loss_sum += loss.detach().float()
        self.loss_count += 1
        if self.sanity.first is None:  # one sync, once: the loss at initialisation (or resume)
            self.sanity.first_loss(float(loss.detach()), resumed=self.step > 0)
        self.step += 1
        self.window_units += self.task.units_per_step  # the whole batch: all ranks together
        self.step_time += time.monotonic() - t0
        self.steps_run += 1

    def evaluate(self) -> dict:
        train_loss = self.running_loss()  # raises on divergence, before anything is saved
        units_per_s = self.window_units / max(time.monotonic() - self.window_start, 1e-9)
        metrics = self._validate(report=True)
        row = {
            "step": self.step,
            "epoch": round(self.step / self.task.steps_per_epoch, 3),
            "train_loss": train_loss,
            **{k: float(v) for k, v in metrics.items()},
            "lr": self.optimizers[0].param_groups[0]["lr"],
            "units_per_s": units_per_s,
            "elapsed_s": round(self.elapsed(), 2),
        }
        if self.runlog.record(row):
            self.task.on_best(row)
        self.sanity.evaluated(row[self.runlog.monitor], self.runlog.monitor, self.runlog.mode)
        if self.board:
            self.board.row(row, self.step)
        self.checkpoint()
        self._reset_window()
        return row

    def _validate(self, report: bool = False) -> dict:
        """The task's validation metrics (and, with ``report``, its text shown), computed once:
        on rank 0, shared with the others, so every rank makes the same keep-best and
        early-stopping decisions."""
        metrics = None
        if self.dist.is_main:
            self.model.eval()
            with torch.no_grad(), autocast(self.device, self.cfg.amp):
                metrics = self.task.evaluate(self.device)
            text = self.task.report(self.step, self.device) if report else None
            if text:
                tqdm.write(text, file=sys.stderr)
                if self.board:
                    self.board.text("sample", text, self.step)
            self.model.train()
        return self.dist.share(metrics)

    def finish_swa(self) -> None:
        """Evaluate the averaged weights; keep them (on_best) if they beat the best checkpoint,
        else put the trained weights back.  Recorded as a metrics row with ``"swa": true``."""
        # rank 0's average decides (a time-budgeted average may start a step apart per rank)
        if not (self.swa and self.dist.share(self.swa.ready)):
            return
        trained = {k: v.detach().clone() for k, v in self.model.state_dict().items()}
        if self.swa.ready:
            self.model.load_state_dict(self.swa.state())
        metrics = self._validate()
        row = {
            "step": self.step,
            "epoch": round(self.step / self.task.steps_per_epoch, 3),
            "swa": True,
            "swa_averaged": int(self.swa.average.n_averaged),
            **{k: float(v) for k, v in metrics.items()},
            "elapsed_s": round(self.elapsed(), 2),
        }
        if self.runlog.record(row):
            self.task.on_best(row)
            self.log(f"weight averaging kept: {self.runlog.monitor} {row[self.runlog.monitor]:.4f}")
        else:
            self.model.load_state_dict(trained)
        if self.board:
            self.board.row({f"swa_{k}": v for k, v in metrics.items()}, self.step)

    # ------------------------------------------------------------------ the loop
    def loop(self) -> TrainResult:
        cfg = self.cfg
        progress = Progress(
            self.total_steps,
            "step",
            desc="training",
            show=cfg.progress if self.dist.is_main else False,
            initial=self.step,
        )
        try:
            stopped = self._steps(progress)
        except Exception as exc:
            # the launcher SIGTERMs the survivors as soon as a rank dies: while this rank
            # finds out which one (up to PEER_EXIT_S), that must not kill it before it says so
            with _StopFlag():
                lost = self.dist.lost_peer(exc)
            if lost is None:
                raise
            raise TextkitError(f"{lost}; {self._last_checkpoint()}") from None
        finally:
            progress.close()
        if self.board:
            self.board.close()
        report = self.sanity.overfit_report(
            self.running_loss() if self.loss_count else self.runlog.last.get("train_loss")
        )
        if report:
            self.log(report)
        return self.runlog.result(
            self.step,
            stopped,
            elapsed_s=time.monotonic() - self.start,
            units_per_s=self.steps_run * self.task.units_per_step / max(self.step_time, 1e-9),
        )

    def _steps(self, progress: Progress) -> str:
        """Train until a limit, the time budget, early stopping or an interrupt: which one."""
        cfg, task, total = self.cfg, self.task, self.total_steps
        postfix: dict[str, str] = {}
        last_shown = 0.0
        stopped = "max steps"
        self.model.train()
        with _StopFlag() as flag:
            while True:
                self.train_step()
                progress.update(1)
                now = time.monotonic()
                if self.swa and self.swa.started(
                    self.step, total, now - self.start, cfg.time_budget
                ):
                    self.swa.update(self.model, self.step)
                if self.step % CHECK_EVERY == 0 or (
                    progress.active and not self.dist.enabled and now - last_shown >= SHOW_EVERY_S
                ):
                    loss = self.running_loss()
                    if progress.active and loss is not None:
                        last_shown = now
                        postfix["loss"] = f"{loss:.3f}"
                        rate = self.window_units / max(now - self.window_start, 1e-9)
                        postfix[f"{task.unit_name}/s"] = f"{rate:,.0f}"
                        progress.set_postfix(postfix)
                if total is not None and self.step >= total:
                    stopped = "max steps" if cfg.epochs is None else "epochs"
                    break
                # clocks, signals and a lost launcher differ between ranks: stop when any
                # rank says so, every rank at this same step
                time_up, interrupted, orphaned = self.dist.any(
                    [
                        bool(cfg.time_budget) and now - self.start >= cfg.time_budget,
                        flag.requested is not None,
                        self.dist.orphaned(),
                    ]
                )
                if orphaned:
                    self.log("the torchrun launcher is gone: stopping every rank here")
                    interrupted = True
                if time_up:
                    stopped = "time budget"
                    break
                if interrupted:
                    stopped = "interrupted"
                    break
                if self.step % cfg.eval_every == 0:
                    self._evaluate_and_show(progress, postfix)
                    if self.runlog.patience_ran_out:
                        stopped = "early stopping"
                        break
            if self.runlog.last is None or self.runlog.last["step"] != self.step:
                self._evaluate_and_show(progress, postfix)
            self.finish_swa()
        return stopped

    def _last_checkpoint(self) -> str:
        """Where a failed run can continue from, in words."""
        last = self.runlog.last
        if last is None:
            return "no checkpoint was saved yet"
        return (
            f"the last checkpoint (step {last['step']}) is in {self.folder.final_path}: "
            "continue with --resume"
        )

    def _evaluate_and_show(self, progress: Progress, postfix: dict) -> None:
        row = self.evaluate()
        monitor = self.runlog.monitor
        short = monitor.replace("_", " ")
        postfix[short] = f"{row[monitor]:.3f}"
        postfix["best"] = f"{self.runlog.best[monitor]:.3f}" if self.runlog.best else "-"
        progress.set_postfix(postfix)
