"""``load_model(path)``: open any textkit model folder by the kind its config.json names."""

from __future__ import annotations

from pathlib import Path

from textkit.errors import TextkitError
from textkit.modelio import ModelFolder


def load_model(path: str | Path, device: str = "auto", kinds: tuple[str, ...] | None = None):
    """Load the model saved in ``path``, whatever its kind (or one of ``kinds``)."""
    from textkit.charrnn import CharMarkov, CharRNN

    loaders = {CharRNN.KIND: lambda: CharRNN.load(path, device=device),
               CharMarkov.KIND: lambda: CharMarkov.load(path)}  # fmt: skip
    kind = ModelFolder(path).read_config(kinds)["kind"]
    if kind not in loaders:
        raise TextkitError(f"{path} holds a {kind!r} model, which this textkit can't load")
    return loaders[kind]()
