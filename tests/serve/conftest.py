"""A real server for the serve tests: uvicorn in a thread on a free loopback port, over small
models trained once (the shipped chatbot, the shipped presidents, an LSTM on the sonnets)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest


class LiveServer:
    """``app`` served by uvicorn on 127.0.0.1:<free port> until ``stop()``."""

    def __init__(self, app) -> None:
        import uvicorn

        from textkit.serve.security import listen_socket

        self.app = app
        sock = listen_socket("127.0.0.1", 0)
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=1
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(
            target=self.server.run, kwargs={"sockets": [sock]}, daemon=True
        )
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            assert time.monotonic() < deadline, "the test server did not start"
            time.sleep(0.01)
        self.client = httpx.Client(base_url=self.url, timeout=30)

    @property
    def api(self):
        return self.app.state.api

    def post(self, path: str, json=None, **kw):
        return self.client.post(path, json=json, **kw)

    def get(self, path: str, **kw):
        return self.client.get(path, **kw)

    def stop(self) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(10)


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


@pytest.fixture(scope="session")
def start_server():
    """Factory: ``start_server(folders or registry, **settings)`` -> a running LiveServer."""
    from textkit.serve import Registry, Settings, create_app

    servers = []

    def start(models, max_concurrency=None, **settings) -> LiveServer:
        registry = models
        if not isinstance(models, Registry):
            registry = Registry()
            registry.load(list(models), max_concurrency, device="cpu")
        server = LiveServer(create_app(registry, Settings(log_requests=False, **settings)))
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def server(start_server, serve_folders) -> LiveServer:
    """All three models, no token, loopback."""
    return start_server(serve_folders.values())
