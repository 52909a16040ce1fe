"""Character-level text generators: CharRNN (LSTM/GRU/RNN) and the CharMarkov baseline.

Names are imported lazily, so the torch-free settings (``textkit.charrnn.config``) can be read
without importing torch."""

from __future__ import annotations

import importlib

_EXPORTS = {
    "CELL_TYPES": "config",
    "CharMarkovConfig": "config",
    "CharRNNConfig": "config",
    "PRESETS": "config",
    "choose_preset": "config",
    "CharGenerator": "generator",
    "Sample": "generator",
    "CharMarkov": "markov",
    "CharRNN": "rnn",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f"textkit.charrnn.{_EXPORTS[name]}"), name)
    raise AttributeError(f"module 'textkit.charrnn' has no attribute {name!r}")
