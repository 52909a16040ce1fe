"""Shared fixtures: real text (the shipped sonnets, the shared poems dataset) and a small model
trained once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from textkit.charrnn import CharRNN
from textkit.training import TrainConfig

REPO = Path(__file__).resolve().parents[1]
SONNETS = REPO / "corpora" / "poems.txt"
SHARED_DATA = REPO.parent / "shared" / "data"
POEMS = SHARED_DATA / "poems" / "public_domain_poems.txt"


def tiny_rnn(**overrides) -> CharRNN:
    params = dict(embedding=16, hidden=64, layers=1, seq_len=50, batch_size=16, dropout=0.0)
    params.update(overrides)
    return CharRNN(**params)


def tiny_config(**overrides) -> TrainConfig:
    params = dict(max_steps=60, eval_every=20, device="cpu", progress=False, seed=0, lr=1e-2)
    params.update(overrides)
    return TrainConfig(**params)


@pytest.fixture(scope="session")
def sonnets() -> str:
    return SONNETS.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def poems() -> str:
    """60k characters of real public-domain poems (several poets, some non-ASCII)."""
    if not POEMS.is_file():
        pytest.skip(f"{POEMS} not present")
    return POEMS.read_text(encoding="utf-8")[:60_000]


@pytest.fixture(scope="session")
def trained(tmp_path_factory, sonnets) -> Path:
    """A small LSTM trained for 200 steps on the sonnets: enough to be far from uniform."""
    path = tmp_path_factory.mktemp("models") / "sonnets"
    corpus_file = path.parent / "sonnets.txt"
    corpus_file.write_text(sonnets, encoding="utf-8")
    tiny_rnn().fit(corpus_file, path, tiny_config(max_steps=200, eval_every=100))
    return path
