"""Character-level text generators: CharRNN (LSTM/GRU/RNN) and the CharMarkov baseline.

Names are imported lazily, so the torch-free settings (``textkit.charrnn.config``) can be read
without importing torch."""

from __future__ import annotations

from textkit.lazy import lazy_exports

_EXPORTS = {
    "CELL_TYPES": ".config",
    "CharMarkovConfig": ".config",
    "CharRNNConfig": ".config",
    "PRESETS": ".config",
    "choose_preset": ".config",
    "CharGenerator": ".generator",
    "Sample": ".generator",
    "CharMarkov": ".markov",
    "CharRNN": ".rnn",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
