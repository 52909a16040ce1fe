"""Training shared by every model: settings (``config``, torch-free), the metrics log and
keep-best bookkeeping (``runlog``, also used by trainers that aren't torch), and the torch
training loop (``loop``).  Names are imported lazily, so reading the settings costs no torch."""

from __future__ import annotations

import importlib

_EXPORTS = {
    "OPTIMIZERS": "config",
    "SCHEDULES": "config",
    "TrainConfig": "config",
    "lr_factor": "config",
    "RunLog": "runlog",
    "Task": "loop",
    "Trainer": "loop",
    "TrainResult": "runlog",
    "train": "loop",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"textkit.training.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'textkit.training' has no attribute {name!r}")
