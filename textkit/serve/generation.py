"""Generation for the server: one request's text made in a worker thread and handed to the event
loop as it grows, stopped by the client going away, a stop string, the length, or a time limit.

The worker calls ``on_text`` for every character; pieces are coalesced so the event loop is woken
at most once per batch of characters, not once per character."""

from __future__ import annotations

import asyncio
import secrets
import threading
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import anyio.to_thread

from textkit.errors import TextkitError
from textkit.serve.errors import ApiError
from textkit.serve.fields import MAX_TEXT, Fields
from textkit.serve.registry import ServedModel
from textkit.settings import MAX_SEED

if TYPE_CHECKING:
    from textkit.charrnn.generator import Prompt

MAX_TOKENS = 4000  # characters one request may ask for
DEFAULT_TOKENS = 200
DEFAULT_TEMPERATURE = 0.8


@dataclass
class GenerateRequest:
    prompt: str
    max_tokens: int
    temperature: float
    top_k: int | None
    top_p: float | None
    seed: int
    stop: str | None
    preseed: str | None
    stream: bool

    @classmethod
    def read(cls, fields: Fields, prompt_field: str = "prompt") -> GenerateRequest:
        """The sampling settings of a request, each checked (400 naming the field)."""
        prompt = fields.data.get(prompt_field)
        if isinstance(prompt, list) and len(prompt) == 1:  # OpenAI accepts a list of prompts
            fields.data[prompt_field] = prompt[0]
        top_p = fields.number("top_p", 0.0, 1.0, None)
        if top_p == 0:
            raise ApiError(400, "'top_p' must be above 0 (1 keeps every character)", "top_p")
        seed = fields.number("seed", 0, MAX_SEED, None, integer=True)
        return cls(
            prompt=fields.text(prompt_field, required=False, default=""),
            max_tokens=fields.number("max_tokens", 1, MAX_TOKENS, DEFAULT_TOKENS, integer=True),
            temperature=fields.number("temperature", 0.0, 5.0, DEFAULT_TEMPERATURE),
            top_k=fields.number("top_k", 1, 1_000_000, None, integer=True),
            top_p=top_p,
            seed=seed if seed is not None else secrets.randbelow(2**31),
            stop=fields.stop("stop"),
            preseed=fields.text("preseed", required=False, max_len=MAX_TEXT),
            stream=fields.boolean("stream"),
        )


class Cancelled(Exception):
    """Raised inside the worker to end a generation early (client gone or time up)."""


@dataclass
class Generation:
    """One running generation: the worker appends pieces, the event loop takes them."""

    served: ServedModel
    request: GenerateRequest
    prompt: Prompt
    time_limit: float
    notes: list[str] = field(default_factory=list)
    text: str = ""
    finish_reason: str | None = None
    produced: int = 0  # characters the worker made (some may not have been sent)
    cancel: threading.Event = field(default_factory=threading.Event)
    worker_done: threading.Event = field(default_factory=threading.Event)
    _pending: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    def run(self) -> None:
        """The worker: generate, recording the finish reason (length, stop, time_limit or
        cancelled).  Runs in a thread."""
        req, model = self.request, self.served.model
        deadline = time.monotonic() + self.time_limit

        def on_text(_row: int, chunk: str) -> None:
            self.produced += len(chunk)
            if self.cancel.is_set():
                raise Cancelled("cancelled")
            if time.monotonic() > deadline:
                raise Cancelled("time_limit")
            self._push(chunk)

        try:
            sample = model.generate(
                length=req.max_tokens,
                temperature=req.temperature,
                top_k=req.top_k,
                top_p=req.top_p,
                stop_at=req.stop,
                seed=req.seed,
                prompt=self.prompt,
                on_text=on_text,
            )[0]
            self.finish_reason = "stop" if len(sample.generated) < req.max_tokens else "length"
        except Cancelled as why:
            self.finish_reason = str(why)
        finally:
            self.worker_done.set()
            self._push("")  # wake the reader for the end

    def _push(self, chunk: str) -> None:
        with self._lock:
            was_empty = not self._pending
            self._pending.append(chunk)
        if was_empty and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def _take(self) -> str:
        with self._lock:
            self._wake.clear()
            piece, self._pending = "".join(self._pending), []
        self.text += piece
        return piece

    async def complete(self) -> str:
        """The whole text (the worker runs in a thread; the event loop stays free)."""
        try:
            await anyio.to_thread.run_sync(self.run, abandon_on_cancel=True)
        finally:
            self.cancel.set()
        self.text = "".join(self._pending)
        return self.text

    async def pieces(self) -> AsyncIterator[str]:
        """The text as it grows; leaving early (the client disconnected) stops the worker."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        worker = asyncio.ensure_future(anyio.to_thread.run_sync(self.run, abandon_on_cancel=True))
        try:
            while True:
                waiter = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({worker, waiter}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                piece = self._take()
                if piece:
                    yield piece
                if worker.done():
                    piece = self._take()
                    if piece:
                        yield piece
                    worker.result()  # a model error surfaces here
                    return
        finally:
            self.cancel.set()


def prepare(served: ServedModel, request: GenerateRequest, time_limit: float) -> Generation:
    """A Generation ready to run; bad settings or a prompt the model can't read are a 400 here,
    before any text is sent."""
    from textkit.charrnn.sample import check_sampling_options

    try:
        check_sampling_options(
            [request.temperature], request.top_k, request.top_p, request.max_tokens
        )
        notes: list[str] = []
        prompt = served.model.prepare_prompt(
            request.prompt, request.preseed, files=False, notes=notes
        )
    except TextkitError as exc:
        raise ApiError(400, str(exc)) from None
    return Generation(served, request, prompt, time_limit, notes)
