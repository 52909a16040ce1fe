"""``load_model(path)``: the one way to open a textkit model folder, whatever its kind.

The kind named in config.json is looked up in ``textkit.kinds`` and its class imported only
then, so this module imports no model code (and no torch) of its own.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from textkit.errors import TextkitError
from textkit.kinds import KINDS
from textkit.modelio import ModelFolder


def model_class(kind: str) -> type:
    """The class that saves and loads models of ``kind``, imported on first use."""
    if kind not in KINDS:
        raise TextkitError(
            f"a {kind!r} model is not one this textkit can load (it knows {', '.join(KINDS)})"
        )
    module, _, name = KINDS[kind].target.partition(":")
    return getattr(importlib.import_module(module), name)


def load_model(path: str | Path, device: str = "auto", kinds: tuple[str, ...] | None = None):
    """Load the model saved in ``path``, whatever its kind (or one of ``kinds``)."""
    kind = ModelFolder(path).read_config(kinds)["kind"]
    return model_class(kind).load(path, device=device)
