"""The record of one training run, shared by every trainer (the torch loop, the n-gram counter,
gensim's epochs): metrics rows appended to metrics.jsonl, the best row by a named metric with a
direction, patience for early stopping, and the result handed back to the caller."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from textkit.errors import TextkitError
from textkit.modelio import ModelFolder

MODES = ("min", "max")


@dataclass
class TrainResult:
    """What a ``fit`` returns: how far training went and its best and last evaluations."""

    steps: int
    monitor: str
    best: dict | None  # the metrics row of the best evaluation
    last: dict | None
    stopped_because: str
    interrupted: bool = False
    elapsed_s: float = 0.0
    units_per_s: float = 0.0  # training throughput, evaluation and checkpointing excluded
    history: list[dict] = field(default_factory=list)

    @property
    def best_step(self) -> int | None:
        return None if self.best is None else self.best.get("step")

    @property
    def best_value(self) -> float | None:
        return None if self.best is None else self.best.get(self.monitor)

    @property
    def best_val_loss(self) -> float | None:
        return None if self.best is None else self.best.get("val_loss")

    @property
    def last_val_loss(self) -> float | None:
        return None if self.last is None else self.last.get("val_loss")


class RunLog:
    """Metrics rows of a run and the best one by ``monitor`` (``mode`` "min" or "max")."""

    def __init__(
        self,
        folder: ModelFolder | None,
        monitor: str = "val_loss",
        mode: str = "min",
        patience: int | None = None,
        tiebreak: tuple[str, str] | None = None,
    ) -> None:
        if mode not in MODES or (tiebreak and tiebreak[1] not in MODES):
            raise TextkitError(f"mode must be one of {MODES}, got {mode!r}")
        self.folder, self.monitor, self.mode, self.patience = folder, monitor, mode, patience
        self.tiebreak = tiebreak  # e.g. ("val_loss", "min"): equal accuracy, lower loss wins
        self.best: dict | None = None
        self.bad_evals = 0
        self.history: list[dict] = []

    def is_better(self, value: float, row: dict | None = None) -> bool:
        if not math.isfinite(value):
            return False
        if self.best is None:
            return True
        best = self.best[self.monitor]
        if value == best and self.tiebreak and row is not None:
            key, mode = self.tiebreak
            new, old = row.get(key), self.best.get(key)
            if isinstance(new, (int, float)) and isinstance(old, (int, float)):
                return new < old if mode == "min" else new > old
        return value < best if self.mode == "min" else value > best

    def record(self, row: dict) -> bool:
        """Append ``row`` (it must hold the monitored metric); True if it is the new best."""
        if self.monitor not in row:
            raise KeyError(f"the evaluation reported no {self.monitor!r} metric")
        improved = self.is_better(float(row[self.monitor]), row)
        if improved:
            self.best, self.bad_evals = dict(row), 0
        else:
            self.bad_evals += 1
        if self.folder is not None:
            self.folder.append_metrics(row)
        self.history.append(row)
        return improved

    @property
    def last(self) -> dict | None:
        return self.history[-1] if self.history else None

    @property
    def patience_ran_out(self) -> bool:
        return bool(self.patience) and self.bad_evals >= self.patience

    def state_dict(self) -> dict:
        return {"best": self.best, "bad_evals": self.bad_evals}

    def load_state_dict(self, state: dict) -> None:
        self.best, self.bad_evals = state.get("best"), int(state.get("bad_evals", 0))

    def result(self, steps: int, stopped_because: str, **extra) -> TrainResult:
        return TrainResult(
            steps=steps,
            monitor=self.monitor,
            best=self.best,
            last=self.last,
            stopped_because=stopped_because,
            interrupted=stopped_because == "interrupted",
            history=self.history,
            **extra,
        )
