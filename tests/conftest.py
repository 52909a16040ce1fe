"""Shared fixtures: real text (the shipped sonnets, the shared poems dataset), factories for
tiny models and training settings, and a small model trained once per session.

Torch is capped at one thread: on a loaded 2-core machine, torch's default thread pool spins
against the other processes and can slow a one-second sampling test to minutes.  Subprocesses
the tests start inherit the same limit through the environment.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"
# encoded corpora go to a cache folder of this test session, not the user's ~/.cache
os.environ["TEXTKIT_CACHE"] = tempfile.mkdtemp(prefix="textkit-test-cache-")

import pytest  # noqa: E402
import torch  # noqa: E402
from hypothesis import settings  # noqa: E402

torch.set_num_threads(1)
# property-based tests explore the same examples on every run (deterministic), write no
# example database into the checkout, and have no per-example deadline on a loaded machine
settings.register_profile("textkit", derandomize=True, database=None, deadline=None)
settings.load_profile("textkit")

_REPO = Path(__file__).resolve().parents[1]
_SHARED_DATA = _REPO.parent / "shared" / "data"


# what Python and the tools themselves leave (bytecode, caches, an editable install, a venv)
_TOOL_LEFTOVERS = (
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".egg-info",
    ".venv",
    ".gpu-wheels",
)


def _files_outside_git() -> set[str] | None:
    """Untracked and ignored paths of the checkout (ignored folders as one entry), or None
    where this is not a git checkout."""
    import subprocess

    listed = set()
    for extra in ([], ["--ignored", "--directory"]):
        try:
            out = subprocess.run(
                ["git", "ls-files", "--others", "--exclude-standard", *extra],
                cwd=_REPO,
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return None
        listed.update(out.splitlines())
    return {p for p in listed if not any(t in p for t in _TOOL_LEFTOVERS)}


@pytest.fixture(scope="session", autouse=True)
def leaves_the_checkout_clean():
    """Running the tests writes nothing into the checkout (models, caches, plots...)."""
    before = _files_outside_git()
    yield
    after = _files_outside_git()
    if before is not None and after is not None:
        assert not after - before, f"the tests left files in the checkout: {sorted(after - before)}"


@pytest.fixture(scope="session")
def repo() -> Path:
    """The repository root (where cli.py and corpora/ are)."""
    return _REPO


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``: the real datasets tests and benchmarks use (see its README)."""
    return _SHARED_DATA


def shared_path(relative: str) -> Path:
    """A file of ``../shared/data``.  Missing, the test is skipped, except when
    TEXTKIT_REQUIRE_DATA is set (CI sets it wherever the data folder exists): there a missing
    or renamed dataset fails the run instead of quietly testing less."""
    path = _SHARED_DATA / relative
    if not path.is_file():
        message = f"{path} not present (see ../shared/data/README)"
        if os.environ.get("TEXTKIT_REQUIRE_DATA"):
            pytest.fail(message)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def shared_file():
    """Factory: ``shared_file("intent/snips.json")`` -> the path, or skip/fail (shared_path)."""
    return shared_path


@pytest.fixture(scope="session")
def sonnets(repo) -> str:
    return (repo / "corpora" / "poems.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def poems() -> str:
    """60k characters of real public-domain poems (several poets, some non-ASCII)."""
    path = shared_path("poems/public_domain_poems.txt")
    return path.read_text(encoding="utf-8")[:60_000]


@pytest.fixture(scope="session")
def tiny_rnn():
    """Factory: a CharRNN small enough to train in a second or two."""
    from textkit.charrnn import CharRNN

    def make(**overrides):
        params = dict(embedding=16, hidden=64, layers=1, seq_len=50, batch_size=16, dropout=0.0)
        params.update(overrides)
        return CharRNN(**params)

    return make


@pytest.fixture(scope="session")
def tiny_config():
    """Factory: CPU training settings for a few dozen steps."""
    from textkit.training.config import TrainConfig

    def make(**overrides):
        params = dict(max_steps=60, eval_every=20, device="cpu", progress=False, seed=0, lr=1e-2)
        params.update(overrides)
        return TrainConfig(**params)

    return make


@pytest.fixture(scope="session")
def trained(tmp_path_factory, sonnets, tiny_rnn, tiny_config) -> Path:
    """A small LSTM trained for 200 steps on the sonnets: enough to be far from uniform."""
    path = tmp_path_factory.mktemp("models") / "sonnets"
    corpus_file = path.parent / "sonnets.txt"
    corpus_file.write_text(sonnets, encoding="utf-8")
    tiny_rnn().fit(corpus_file, path, tiny_config(max_steps=200, eval_every=100))
    return path


@pytest.fixture(scope="session")
def run():
    """Run the CLI in-process like a user would type it; a crash other than click's own exit
    fails the test (a bug must not pass as an error message)."""
    from click.testing import CliRunner

    from textkit.cli import main

    def invoke(*args, input=None):
        result = CliRunner().invoke(main, [str(a) for a in args], input=input)
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            result.exception
        )
        return result

    return invoke


@pytest.fixture
def workdir(tmp_path, monkeypatch, sonnets):
    """A fresh current directory holding poems.txt, as a user's project folder."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "poems.txt").write_text(sonnets, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="session")
def kind_folders(tmp_path_factory, sonnets, tiny_rnn, tiny_config) -> Path:
    """One small trained folder of every kind, named by its kind."""
    from textkit.charrnn import CharMarkov

    root = tmp_path_factory.mktemp("kinds")
    corpus = root / "s.txt"
    corpus.write_text(sonnets[:20_000], encoding="utf-8")
    tiny_rnn().fit(corpus, root / "charrnn", tiny_config(max_steps=4, eval_every=2))
    CharMarkov(order=3).fit(corpus, root / "charmarkov")
    from textkit.intent import IntentClassifier
    from textkit.training.config import TrainConfig

    IntentClassifier().fit(
        _REPO / "corpora" / "intents.json",
        root / "intent",
        TrainConfig(max_steps=20, eval_every=10),
    )
    from textkit.authorship import AuthorClassifier

    AuthorClassifier().fit(
        _REPO / "corpora" / "presidents.csv",
        root / "author",
        TrainConfig(max_steps=20, eval_every=10),
    )
    from gensim.test.utils import datapath

    from textkit.embeddings import Doc2Vec, Word2Vec

    Word2Vec(vector_size=8, epochs=1, seed=1).fit(
        datapath("lee_background.cor"), root / "word2vec", train_config={"progress": False}
    )
    Doc2Vec(vector_size=8, epochs=2, seed=1).fit(
        datapath("lee_background.cor"), root / "doc2vec", train_config={"progress": False}
    )
    return root


@pytest.fixture(scope="session")
def intents_file(repo) -> Path:
    return repo / "corpora" / "intents.json"


@pytest.fixture(scope="session")
def snips():
    """The SNIPS benchmark (7 intents): 1,400 training texts (200 per intent, a fixed sample)
    and the 700 test texts, as (texts, labels) pairs."""
    import json
    import random

    path = shared_path("intent/snips.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    by_intent: dict[str, list[str]] = {}
    for row in data["train"]:
        by_intent.setdefault(row["intent"], []).append(row["text"])
    rng = random.Random(0)
    train = [(t, k) for k in sorted(by_intent) for t in rng.sample(by_intent[k], 200)]
    test = [(r["text"], r["intent"]) for r in data["test"]]
    return train, test


@pytest.fixture(scope="session")
def intent_model(tmp_path_factory, intents_file) -> Path:
    """The shipped example chatbot, trained once (mlp, default settings)."""
    from textkit.intent import IntentClassifier

    path = tmp_path_factory.mktemp("intent") / "bot"
    IntentClassifier().fit(intents_file, path)
    return path


@pytest.fixture(scope="session")
def presidents(repo):
    """The shipped authorship example: State of the Union sentences of four presidents, as
    (train, test) lists of (text, author)."""
    import csv

    with open(repo / "corpora" / "presidents.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return (
        [(r["text"], r["author"]) for r in rows if r["split"] == "train"],
        [(r["text"], r["author"]) for r in rows if r["split"] == "test"],
    )


@pytest.fixture(scope="session")
def author_model(presidents):
    from textkit.authorship import AuthorClassifier

    clf = AuthorClassifier()
    clf.fit(presidents[0])
    return clf


@pytest.fixture(scope="session")
def lee_corpus() -> Path:
    """gensim's Lee background corpus: 300 real news documents, one per line."""
    from gensim.test.utils import datapath

    return Path(datapath("lee_background.cor"))


@pytest.fixture(scope="session")
def w2v_model(tmp_path_factory, lee_corpus) -> Path:
    from textkit.embeddings import Word2Vec

    path = tmp_path_factory.mktemp("w2v") / "models" / "lee"
    Word2Vec(vector_size=40, min_count=3, epochs=5, seed=1).fit(
        lee_corpus, path, train_config={"progress": False}
    )
    return path


@pytest.fixture(scope="session")
def d2v_model(tmp_path_factory, lee_corpus) -> Path:
    from textkit.embeddings import Doc2Vec

    path = tmp_path_factory.mktemp("d2v") / "models" / "leed"
    Doc2Vec(vector_size=40, min_count=2, epochs=30, seed=1).fit(
        lee_corpus, path, train_config={"progress": False}
    )
    return path


class LiveServer:
    """``app`` served by uvicorn on 127.0.0.1:<free port> until ``stop()``."""

    def __init__(self, app) -> None:
        import httpx
        import uvicorn

        from textkit.serve.security import listen_socket

        self.app = app
        sock = listen_socket("127.0.0.1", 0)
        self.port = sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        from textkit.serve.connections import server_config

        config = server_config(
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
