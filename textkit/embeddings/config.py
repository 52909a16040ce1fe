"""Settings of the embedding trainers (gensim is the engine), torch- and gensim-free so the CLI
shows them without importing either."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from textkit.checks import check_choice, check_number
from textkit.errors import TextkitError

ARCHITECTURES = ("skipgram", "cbow")
LOSSES = ("negative", "hs")
DOC_METHODS = ("dbow", "dm")
TAG_SOURCES = ("line", "file", "column")
BACKENDS = ("auto", "gensim", "torch")


def _common(cfg) -> None:
    check_choice("loss", cfg.loss, LOSSES)
    check_number("vector_size", cfg.vector_size, 1, 10_000, integer=True)
    check_number("window", cfg.window, 1, 1000, integer=True)
    check_number("min_count", cfg.min_count, 1, 10**9, integer=True)
    check_number("epochs", cfg.epochs, 1, 10_000, integer=True)
    check_number("negative", cfg.negative, 1, 100, integer=True)
    check_number("sample", cfg.sample, 0, 1)
    check_number("alpha", cfg.alpha, 0, 10, low_open=True)
    check_number("min_alpha", cfg.min_alpha, 0, 10)
    check_number("workers", cfg.workers, 1, 1024, integer=True, optional=True)
    check_number("seed", cfg.seed, 0, 2**31 - 1, integer=True, optional=True)
    check_number("max_vocab", cfg.max_vocab, 1, 10**9, integer=True, optional=True)


class _Config:
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict):
        if not isinstance(saved, dict):
            raise TextkitError("the embedding settings must be an object")
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in known})

    @property
    def reproducible(self) -> bool:
        """A seed was given: one worker thread and seeded hashing, so a run repeats exactly."""
        return self.seed is not None


@dataclass(frozen=True)
class Word2VecConfig(_Config):
    """word2vec (Mikolov et al. 2013) as gensim trains it."""

    architecture: str = "skipgram"  # skipgram | cbow
    loss: str = "negative"  # negative sampling | hs (hierarchical softmax)
    vector_size: int = 100
    window: int = 5
    min_count: int = 5
    epochs: int = 5
    negative: int = 5
    sample: float = 1e-3  # frequent-word subsampling threshold (0: off)
    alpha: float = 0.025
    min_alpha: float = 0.0001
    workers: int | None = None  # None: every core (fast, not bit-for-bit repeatable)
    seed: int | None = None  # set: one worker and seeded hashing, so the run repeats exactly
    max_vocab: int | None = None  # keep only the most frequent words beyond that
    backend: str = "auto"  # gensim (CPU threads) | torch (CUDA when present) | auto: torch on CUDA
    device: str = "auto"  # torch backend: auto | cpu | cuda | cuda:N
    batch_words: int = 1024  # torch backend: centre words per step (larger: summed updates collide)

    def __post_init__(self) -> None:
        check_choice("architecture", self.architecture, ARCHITECTURES)
        check_choice("backend", self.backend, BACKENDS)
        check_number("batch_words", self.batch_words, 1, 10**8, integer=True)
        if self.backend == "torch" and self.loss != "negative":
            raise TextkitError("the torch backend trains with negative sampling (loss='negative')")
        _common(self)


@dataclass(frozen=True)
class Doc2VecConfig(_Config):
    """doc2vec (Le and Mikolov 2014): PV-DBOW or PV-DM, as gensim trains it."""

    method: str = "dbow"  # dbow (PV-DBOW) | dm (PV-DM)
    dbow_words: bool = False  # dbow: train word vectors alongside (skip-gram)
    loss: str = "negative"
    vector_size: int = 100
    window: int = 5
    min_count: int = 2
    epochs: int = 20
    negative: int = 5
    sample: float = 1e-3
    alpha: float = 0.025
    min_alpha: float = 0.0001
    workers: int | None = None
    seed: int | None = None
    max_vocab: int | None = None

    def __post_init__(self) -> None:
        check_choice("method", self.method, DOC_METHODS)
        if not isinstance(self.dbow_words, bool):
            raise TextkitError(f"dbow_words must be true or false, got {self.dbow_words!r}")
        _common(self)
