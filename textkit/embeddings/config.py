"""Settings of the embedding trainers (gensim is the engine), torch- and gensim-free so the CLI
shows them without importing either."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from textkit.errors import TextkitError
from textkit.settings import from_dict, redefault, setting, validate
from textkit.text.pipeline import Pipeline

ARCHITECTURES = ("skipgram", "cbow")
LOSSES = ("negative", "hs")
DOC_METHODS = ("dbow", "dm")
TAG_SOURCES = ("line", "file", "column")
BACKENDS = ("auto", "gensim", "torch")
EMBEDDINGS_PIPELINE = Pipeline()  # lower-cased words; numbers kept; no stemming
GENSIM_MAX_SEED = 2**31 - 1  # gensim seeds numpy's legacy generator, a 32-bit seed


class _Config:
    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict):
        return from_dict(cls, saved)

    @property
    def reproducible(self) -> bool:
        """A seed was given: one worker thread and seeded hashing, so a run repeats exactly."""
        return self.seed is not None


@dataclass(frozen=True)
class _Shared(_Config):
    """What word2vec and doc2vec share (gensim's parameters of the same names)."""

    loss: str = setting(
        "negative", choices=LOSSES, help="Negative sampling or hierarchical softmax."
    )
    vector_size: int = setting(100, low=1, high=10_000, integer=True, help="Dimensions.")
    window: int = setting(
        5, low=1, high=1000, integer=True, help="Context window (words each side)."
    )
    min_count: int = setting(
        5, low=1, high=10**9, integer=True, help="Ignore words seen fewer times than this."
    )
    epochs: int = setting(5, low=1, high=10_000, integer=True, help="Passes over the corpus.")
    negative: int = setting(5, low=1, high=100, integer=True, help="Negative samples per word.")
    sample: float = setting(
        1e-3, low=0, high=1, help="Frequent-word subsampling threshold (0: off)."
    )
    alpha: float = setting(0.025, low=0, high=10, low_open=True, help="Initial learning rate.")
    min_alpha: float = setting(
        0.0001, low=0, high=10, help="Final learning rate (linear decay to it)."
    )
    workers: int | None = setting(
        None, low=1, high=1024, integer=True, optional=True, help="Threads. [default: every core]"
    )
    seed: int | None = setting(
        None,
        low=0,
        high=GENSIM_MAX_SEED,
        integer=True,
        optional=True,
        help="Reproducible mode: one worker and seeded hashing, so the same command gives the "
        "same vectors (slower). [default: fast mode, every core]",
    )
    max_vocab: int | None = setting(
        None, low=1, high=10**9, integer=True, optional=True, help="Keep at most this many words."
    )


@dataclass(frozen=True)
class Word2VecConfig(_Shared):
    """word2vec (Mikolov et al. 2013) as gensim trains it (or the torch backend)."""

    architecture: str = setting(
        "skipgram",
        choices=ARCHITECTURES,
        help="Skip-gram (better for rare words) or CBOW (faster).",
    )
    backend: str = setting(
        "auto",
        choices=BACKENDS,
        help="gensim (CPU threads) or torch (PyTorch, CUDA when present); auto: torch on a CUDA "
        "GPU, else gensim.",
    )
    batch_words: int = setting(
        1024,
        low=1,
        high=10**8,
        integer=True,
        help="torch backend: centre words per step (larger: summed updates collide).",
    )

    def __post_init__(self) -> None:
        validate(self)
        if self.backend == "torch" and self.loss != "negative":
            raise TextkitError("the torch backend trains with negative sampling (loss='negative')")


@dataclass(frozen=True)
class Doc2VecConfig(_Shared):
    """doc2vec (Le and Mikolov 2014): PV-DBOW or PV-DM, as gensim trains it."""

    min_count: int = redefault(_Shared, "min_count", 2)
    epochs: int = redefault(_Shared, "epochs", 20)
    method: str = setting("dbow", choices=DOC_METHODS, help="PV-DBOW (dbow) or PV-DM (dm).")
    dbow_words: bool = setting(
        False,
        flag="--dbow-words",
        flag_value=True,
        help="dbow: train word vectors alongside (skip-gram).",
    )
    tags: str = setting(
        "line",
        choices=TAG_SOURCES,
        help="A document's tag: its line number, its file's name (a folder of files), or the "
        "input's --label-column.",
    )

    def __post_init__(self) -> None:
        validate(self)
