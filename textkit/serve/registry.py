"""The models a server answers with: loaded once at start-up from the folders named on the
command line (no request can name a path), each with its own concurrency limit."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textkit.intent.store import INBOX_DAYS
from textkit.kinds import KINDS, family_of, kinds_of
from textkit.serve.errors import ApiError

GENERATORS = kinds_of("generator")
CLASSIFIERS = kinds_of("classifier")
SERVABLE = tuple(k for k in KINDS if family_of(k).serve_concurrency)


@dataclass(frozen=True)
class Conversations:
    """How every served chatbot keeps its conversations: one set of settings for the server."""

    store_url: str = "memory"  # where (textkit.intent.store); one namespace per model
    inbox: bool = True  # keep what a bot couldn't answer (textkit inbox)...
    inbox_days: float = INBOX_DAYS  # ...for this long
    transcript: Any = None  # a conversation log shared by the chatbots (textkit.intent.transcript)


@dataclass
class ServedModel:
    id: str
    kind: str
    model: Any
    config: dict
    max_concurrency: int
    running: int = field(default=0, init=False)  # requests inside the model now
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _chatbot: Any = field(default=None, repr=False)
    conversations: Conversations = field(default_factory=Conversations)

    def acquire(self) -> None:
        """Take one of the model's slots, or refuse with 429 at once when all are busy."""
        with self._lock:
            if self.running >= self.max_concurrency:
                raise ApiError(
                    429,
                    f"model '{self.id}' is busy ({self.max_concurrency} requests "
                    "running); try again shortly",
                    "model",
                )
            self.running += 1

    def release(self) -> None:
        with self._lock:
            self.running -= 1

    @contextmanager
    def slot(self) -> Iterator[None]:
        self.acquire()
        try:
            yield
        finally:
            self.release()

    @property
    def labels(self) -> list[str] | None:
        return list(self.model.labels_) if self.kind in CLASSIFIERS else None

    def describe(self) -> dict:
        return {
            "id": self.id,
            "object": "model",
            "created": _timestamp(self.config.get("saved_at")),  # OpenAI's fields
            "owned_by": "textkit",
            "kind": self.kind,
            "family": KINDS[self.kind].family,
            "labels": self.labels,
            "version": self.config.get("textkit_version"),
            "saved_at": self.config.get("saved_at"),
        }

    def chatbot(self):
        """The model's Chatbot (per-sender context), made on first use."""
        from textkit.errors import TextkitError
        from textkit.intent.chatbot import Chatbot

        with self._lock:
            if self._chatbot is None:
                from textkit.intent.store import open_store

                try:
                    c = self.conversations
                    store = open_store(c.store_url, namespace=self.id, inbox_days=c.inbox_days)
                except TextkitError as exc:  # answering goes on; the conversations in memory
                    import warnings

                    from textkit.errors import TextkitWarning

                    warnings.warn(
                        f"{exc}; conversations are kept in memory", TextkitWarning, stacklevel=2
                    )
                    store = None
                try:
                    c = self.conversations
                    self._chatbot = Chatbot(
                        self.model, store=store, inbox=c.inbox, transcript=c.transcript
                    )
                except TextkitError as exc:
                    raise ApiError(400, f"model '{self.id}' can't chat: {exc}", "model") from None
            return self._chatbot


class Registry:
    """The served models by id (the folder's name; a repeated name gets -2, -3...)."""

    def __init__(self, conversations: Conversations | None = None) -> None:
        self.conversations = conversations or Conversations()
        self.models: dict[str, ServedModel] = {}
        self.ready = False
        self.failed: str | None = None

    def load(
        self, folders: list[Path], max_concurrency: int | None = None, device: str = "auto"
    ) -> None:
        """Load each folder (a kind of SERVABLE); then the registry is ready."""
        from textkit.loading import model_class
        from textkit.modelio import ModelFolder

        for path in folders:
            config = ModelFolder(path).read_config(SERVABLE)  # kept for describe()
            model = model_class(config["kind"]).load(path, device=device)
            if config["kind"] in GENERATORS and model._device().type == "cpu":
                _one_thread_per_request()
            name = Path(path).resolve().name
            model_id, n = name, 2
            while model_id in self.models:
                model_id, n = f"{name}-{n}", n + 1
            limit = max_concurrency or family_of(config["kind"]).serve_concurrency
            self.models[model_id] = ServedModel(
                model_id,
                config["kind"],
                model,
                config,
                limit,
                conversations=self.conversations,
            )
        self.ready = True

    def pick(self, model_id: str | None, kinds: tuple[str, ...], endpoint: str) -> ServedModel:
        """The model a request names, or the only one of the right kind when it names none."""
        if not self.ready:
            raise ApiError(503, "the models are still loading; try again shortly")
        if model_id is not None:
            served = self.models.get(model_id)
            if served is None:
                raise ApiError(404, f"no model '{model_id}'; GET /v1/models lists them", "model")
            if served.kind not in kinds:
                raise ApiError(
                    400,
                    f"model '{model_id}' is of kind '{served.kind}'; {endpoint} "
                    f"needs a model of kind {' or '.join(kinds)}",
                    "model",
                )
            return served
        fitting = [m for m in self.models.values() if m.kind in kinds]
        if len(fitting) == 1:
            return fitting[0]
        if not fitting:
            raise ApiError(
                400,
                f"no served model can answer {endpoint} (it needs a model of kind "
                f"{' or '.join(kinds)})",
                "model",
            )
        raise ApiError(
            400,
            f"several models fit {endpoint}: name one in 'model' "
            f"({', '.join(m.id for m in fitting)})",
            "model",
        )


def _one_thread_per_request() -> None:
    """Concurrent requests are the server's parallelism: each generation runs on one CPU thread
    (for one stream that is also the fastest setting, see ``charrnn.generator._few_threads``)."""
    import torch

    torch.set_num_threads(1)


def _timestamp(saved_at) -> int:
    """Unix seconds of a config's ``saved_at`` (ISO 8601), 0 when it has none."""
    from datetime import datetime

    try:
        return int(datetime.fromisoformat(str(saved_at)).timestamp())
    except ValueError:
        return 0
