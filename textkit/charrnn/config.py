"""The char models' settings, defaults and choices in one torch-free place: ``CharRNNConfig``
(what the ``CharRNN`` constructor takes and config.json stores), the presets (overrides of it and
of the training settings), and ``CharMarkovConfig``.  The CLI reads its defaults from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from textkit.checks import check_choice, check_number
from textkit.errors import TextkitError

CELL_TYPES = ("lstm", "gru", "rnn")
SMOOTHINGS = ("kneser-ney", "witten-bell")


@dataclass(frozen=True)
class CharRNNConfig:
    """Shape of the network and of its training batches."""

    cell: str = "lstm"
    embedding: int = 48
    hidden: int = 256
    layers: int = 2
    dropout: float = 0.1  # between recurrent layers and before the output layer
    seq_len: int = 100  # characters per training sequence (truncated BPTT length)
    batch_size: int = 32  # parallel contiguous streams
    val_fraction: float = 0.1  # share of the text (its end) held out for validation
    eval_chars: int = 100_000  # validation characters scored at each evaluation

    def __post_init__(self) -> None:
        check_choice("cell", self.cell, CELL_TYPES)
        for name, high in (("embedding", 65_536), ("hidden", 65_536), ("layers", 64),
                           ("seq_len", 1_000_000), ("batch_size", 1_000_000),
                           ("eval_chars", 10**12)):  # fmt: skip
            check_number(name, getattr(self, name), 1, high, integer=True)
        check_number("dropout", self.dropout, 0, 1, high_open=True)
        check_number("val_fraction", self.val_fraction, 0, 0.5, low_open=True, high_open=True)

    def to_dict(self) -> dict:
        return asdict(self)

    def num_params(self, vocab_size: int) -> int:
        gates = {"lstm": 4, "gru": 3, "rnn": 1}[self.cell]
        E, H, L = self.embedding, self.hidden, self.layers
        recurrent = sum(gates * H * ((E if k == 0 else H) + H + 2) for k in range(L))
        return vocab_size * E + recurrent + (H + 1) * vocab_size

    def training_memory(self, vocab_size: int) -> int:
        """Rough bytes to train: fp32 weights, gradients and two Adam moments, plus the
        activations of one batch kept for backpropagation (an estimate to refuse absurd
        shapes up front, not a budget)."""
        gates = {"lstm": 4, "gru": 3, "rnn": 1}[self.cell]
        per_step = self.embedding + self.layers * self.hidden * (gates + 2) + 3 * vocab_size
        activations = 2 * self.batch_size * self.seq_len * per_step * 4
        return 16 * self.num_params(vocab_size) + activations

    @classmethod
    def from_dict(cls, saved: dict) -> CharRNNConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in known})


@dataclass(frozen=True)
class CharMarkovConfig:
    """The character n-gram baseline: context length and smoothing."""

    order: int = 5
    smoothing: str = "kneser-ney"
    val_fraction: float = 0.1

    def __post_init__(self) -> None:
        check_number("order", self.order, 1, 32, integer=True)
        check_choice("smoothing", self.smoothing, SMOOTHINGS)
        check_number("val_fraction", self.val_fraction, 0, 0.5, low_open=True, high_open=True)

    def to_dict(self) -> dict:
        return asdict(self)


# Model, data and training defaults by use. "small" trains a verse-shaped sonnet model in ~2
# minutes on a 2-core CPU; "wide" is for corpora of a million characters and more on a CPU: on
# 3.3M characters of poems in 5 CPU minutes a 1x512 LSTM at LR 5e-3 beat 2x256 at 2e-3 (1.648 vs
# 1.807 nats/char), and 16 streams of 50 characters per step beat 32 of 100 (1.620 vs 1.651:
# four times the updates for the same characters; benchmarks/README.md); "medium"/"large" are
# for GPUs (char-rnn / torch-rnn sizes).  Keys are CharRNNConfig fields, plus the training
# settings max_steps, lr and eval_every (steps between evaluations: each costs the same
# whatever the step size, so small steps evaluate less often).
PRESETS: dict[str, dict] = {
    "tiny": dict(embedding=16, hidden=64, layers=1, seq_len=50, batch_size=16, max_steps=200, lr=5e-3, eval_every=100),
    "small": dict(embedding=48, hidden=256, layers=2, seq_len=100, batch_size=32, max_steps=800, lr=2e-3, eval_every=100),
    "wide": dict(embedding=48, hidden=512, layers=1, seq_len=50, batch_size=16, max_steps=8000, lr=5e-3, eval_every=400),
    "medium": dict(embedding=64, hidden=512, layers=3, seq_len=200, batch_size=64, max_steps=5000, lr=2e-3, eval_every=100),
    "large": dict(embedding=128, hidden=1024, layers=3, seq_len=256, batch_size=128, max_steps=20000, lr=2e-3, eval_every=100),
}  # fmt: skip
PRESET_CHOICES = ("auto", *PRESETS)
TRAINING_KEYS = ("max_steps", "lr", "eval_every")
LARGE_CORPUS = 1_000_000  # characters


def choose_preset(corpus_chars: int, device) -> str:
    """The preset `--preset auto` uses: small for small corpora (a bigger model overfits them
    within minutes), wide on a CPU or medium on a GPU from a million characters on.  ``device``
    is a torch.device or its type name."""
    if corpus_chars < LARGE_CORPUS:
        return "small"
    return "wide" if getattr(device, "type", str(device)) == "cpu" else "medium"


def preset_config(name: str, **overrides) -> CharRNNConfig:
    """A preset's network and batch shape, with ``overrides`` (None values ignored)."""
    if name not in PRESETS:
        raise TextkitError(f"unknown preset {name!r}; choose from {', '.join(PRESETS)}")
    shape = {k: v for k, v in PRESETS[name].items() if k not in TRAINING_KEYS}
    given = {k: v for k, v in overrides.items() if v is not None}
    return replace(CharRNNConfig(**shape), **given)


def preset_training(name: str) -> dict:
    """The training settings a preset sets (max_steps, lr, eval_every)."""
    return {k: PRESETS[name][k] for k in TRAINING_KEYS}
