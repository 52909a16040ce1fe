"""The char models' settings, defaults and choices in one torch-free place: ``CharRNNConfig``
(what the ``CharRNN`` constructor takes and config.json stores), the presets (overrides of it and
of the training settings), and ``CharMarkovConfig``.  The CLI reads its defaults from here."""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace

from textkit.errors import TextkitError
from textkit.settings import MAX_SEED, from_dict, setting, validate

CELL_TYPES = ("lstm", "gru", "rnn")
SMOOTHINGS = ("kneser-ney", "witten-bell")
VAL_FRACTION = dict(
    low=0,
    high=0.5,
    low_open=True,
    high_open=True,
    help="Share of the text (its end) held out for validation.",
)


@dataclass(frozen=True)
class CharRNNConfig:
    """Shape of the network and of its training batches."""

    cell: str = setting("lstm", choices=CELL_TYPES, help="Recurrent cell.")
    embedding: int = setting(48, help="Character embedding size.", low=1, high=65_536, integer=True)
    hidden: int = setting(256, help="Hidden units per layer.", low=1, high=65_536, integer=True)
    layers: int = setting(2, help="Recurrent layers.", low=1, high=64, integer=True)
    dropout: float = setting(
        0.1, help="Dropout between layers and before the output.", low=0, high=1, high_open=True
    )
    seq_len: int = setting(
        100,
        help="Characters per training sequence (truncated BPTT length).",
        low=1,
        high=1_000_000,
        integer=True,
    )
    batch_size: int = setting(
        32, help="Parallel streams per batch.", low=1, high=1_000_000, integer=True
    )
    val_fraction: float = setting(0.1, **VAL_FRACTION)
    eval_chars: int = setting(
        100_000,
        help="Validation characters scored at each evaluation.",
        low=1,
        high=10**12,
        integer=True,
    )

    def __post_init__(self) -> None:
        validate(self)

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
        return from_dict(cls, saved)


@dataclass(frozen=True)
class CharMarkovConfig:
    """The character n-gram baseline: context length and smoothing."""

    order: int = setting(
        5, help="Context length (characters) of the n-gram model.", low=1, high=32, integer=True
    )
    smoothing: str = setting(
        "kneser-ney", choices=SMOOTHINGS, help="Smoothing of the n-gram model."
    )
    val_fraction: float = setting(0.1, **VAL_FRACTION)

    def __post_init__(self) -> None:
        validate(self)

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class SampleConfig:
    """How ``generate`` samples (its defaults and ranges; the generate command's options)."""

    length: int = setting(
        500,
        short="-n",
        low=0,
        high=10_000_000,
        integer=True,
        help="Characters to generate per sample.",
    )
    temperature: float = setting(
        0.8,
        short="-t",
        low=0,
        high=100,
        help="Randomness: lower is safer, higher is wilder; 0 means greedy (argmax).",
    )
    top_k: int | None = setting(
        None,
        low=1,
        high=1_000_000,
        integer=True,
        optional=True,
        help="Sample only among the K most likely characters.",
    )
    top_p: float | None = setting(
        None,
        low=0,
        high=1,
        low_open=True,
        optional=True,
        help="Nucleus sampling: the smallest set of characters whose probability reaches P, in (0, 1].",
    )
    num_samples: int = setting(
        1, low=1, high=10_000, integer=True, help="Samples to generate in parallel (one batch)."
    )
    seed: int | None = setting(
        None,
        low=0,
        high=MAX_SEED,
        integer=True,
        optional=True,
        help="Random seed for reproducible samples.",
    )

    def __post_init__(self) -> None:
        validate(self)


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
SHAPE_KEYS = ("embedding", "hidden", "layers", "seq_len", "batch_size")
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
