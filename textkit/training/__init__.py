"""Training shared by every model: settings (``config``, torch-free), the metrics log and
keep-best bookkeeping (``runlog``, also used by trainers that aren't torch), and the torch
training loop (``loop``).  Names are imported lazily, so reading the settings costs no torch."""

from __future__ import annotations

from textkit.lazy import lazy_exports

_EXPORTS = {
    "OPTIMIZERS": ".config",
    "SCHEDULES": ".config",
    "TrainConfig": ".config",
    "lr_factor": ".config",
    "RunLog": ".runlog",
    "Task": ".loop",
    "Trainer": ".loop",
    "TrainResult": ".runlog",
    "train": ".loop",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
