"""A real server for the serve tests: uvicorn in a thread on a free loopback port, over small
models trained once (the shipped chatbot, the shipped presidents, an LSTM on the sonnets)."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def serve_folders(tmp_path_factory, intent_model, repo, sonnets) -> dict[str, Path]:
    """The served folders by id: "bot" (intent), "presidents" (author), "sonnets" (an LSTM
    slow enough that 4,000 characters take most of a second on one thread)."""
    from textkit.authorship import AuthorClassifier
    from textkit.charrnn import CharRNN
    from textkit.training.config import TrainConfig

    root = tmp_path_factory.mktemp("serve")
    AuthorClassifier().fit(
        repo / "corpora" / "presidents.csv",
        root / "presidents",
        TrainConfig(max_steps=150, eval_every=50),
    )
    corpus = root / "sonnets.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    CharRNN(embedding=32, hidden=256, layers=2, seq_len=64, batch_size=16, dropout=0.0).fit(
        corpus,
        root / "sonnets",
        TrainConfig(max_steps=60, eval_every=30, device="cpu", progress=False, seed=0, lr=5e-3),
    )
    return {"bot": intent_model, "presidents": root / "presidents", "sonnets": root / "sonnets"}


@pytest.fixture(scope="module")
def server(start_server, serve_folders):
    """All three models, no token, loopback."""
    return start_server(serve_folders.values())
