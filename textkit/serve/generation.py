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


MAX_CHOICES = 16  # texts one request may ask for (prompts x n), made in one batch per prompt
MAX_STOPS = 4  # stop strings, as OpenAI allows


@dataclass
class GenerateRequest:
    prompts: list[str]
    max_tokens: int
    temperature: float
    top_k: int | None
    top_p: float | None
    seed: int
    stop: tuple[str, ...]
    preseed: str | None
    stream: bool
    n: int = 1  # texts per prompt
    logprobs: int | None = None  # alternatives per character; None: no log-probabilities

    @classmethod
    def read(
        cls, fields: Fields, prompt_field: str = "prompt", *, many: bool = False
    ) -> GenerateRequest:
        """The sampling settings of a request, each checked (400 naming the field).  ``many``
        (the OpenAI endpoints) allows a list of prompts and ``n`` texts for each."""
        top_p = fields.number("top_p", 0.0, 1.0, None)
        if top_p == 0:
            raise ApiError(400, "'top_p' must be above 0 (1 keeps every character)", "top_p")
        seed = fields.number("seed", 0, MAX_SEED, None, integer=True)
        prompts, n = _prompts(fields, prompt_field, many), 1
        if many:
            n = fields.number("n", 1, MAX_CHOICES, 1, integer=True)
            if n * len(prompts) > MAX_CHOICES:
                raise ApiError(400, f"prompts x 'n' must be at most {MAX_CHOICES}", "n")
        return cls(
            prompts=prompts,
            max_tokens=fields.number("max_tokens", 1, MAX_TOKENS, DEFAULT_TOKENS, integer=True),
            temperature=fields.number("temperature", 0.0, 5.0, DEFAULT_TEMPERATURE),
            top_k=fields.number("top_k", 1, 1_000_000, None, integer=True),
            top_p=top_p,
            seed=seed if seed is not None else secrets.randbelow(2**31),
            stop=fields.stops("stop", MAX_STOPS if many else 1),
            preseed=fields.text("preseed", required=False, max_len=MAX_TEXT),
            stream=fields.boolean("stream"),
            n=n,
        )


def _prompts(fields: Fields, name: str, many: bool) -> list[str]:
    value = fields.data.get(name)
    if not isinstance(value, list):
        return [fields.text(name, required=False, default="")]
    if not value or (len(value) > 1 and not many):
        raise ApiError(400, f"'{name}' must be a string{' or a list of strings' * many}", name)
    if len(value) > MAX_CHOICES:
        raise ApiError(400, f"'{name}' holds more than {MAX_CHOICES} prompts", name)
    return fields.texts(name)


@dataclass(frozen=True)
class Piece:
    """New text of one choice (``row``: prompt index x n + sample index) and, when asked, its
    characters' log-probabilities."""

    row: int
    text: str
    logprobs: list = field(default_factory=list)


class Cancelled(Exception):
    """Raised inside the worker to end a generation early (client gone or time up)."""


@dataclass
class Generation:
    """One running generation: the worker appends pieces, the event loop takes them."""

    served: ServedModel
    request: GenerateRequest
    prompts: list[Prompt]
    time_limit: float
    notes: list[str] = field(default_factory=list)
    texts: list[str] = field(default_factory=list)
    logprobs: list[list] = field(default_factory=list)
    finish_reasons: list[str | None] = field(default_factory=list)
    finish_reason: str | None = None  # the first choice's, or why all of it ended early
    produced: int = 0  # characters the worker made (some may not have been sent)
    cancel: threading.Event = field(default_factory=threading.Event)
    worker_done: threading.Event = field(default_factory=threading.Event)
    _pending: list[Piece] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _loop: asyncio.AbstractEventLoop | None = None
    _wake: asyncio.Event | None = None

    def __post_init__(self) -> None:
        rows = len(self.prompts) * self.request.n
        self.texts, self.logprobs = [""] * rows, [[] for _ in range(rows)]
        self.finish_reasons = [None] * rows

    @property
    def text(self) -> str:
        return self.texts[0]

    def prompt_of(self, row: int) -> Prompt:
        return self.prompts[row // self.request.n]

    def run(self) -> None:
        """The worker: generate each prompt's ``n`` texts in one batch, recording each finish
        reason (length or stop; time_limit or cancelled for all).  Runs in a thread."""
        req, model = self.request, self.served.model
        deadline = time.monotonic() + self.time_limit
        held: dict[int, list] = {}

        def on_text(row: int, chunk: str) -> None:
            self.produced += len(chunk)
            if self.cancel.is_set():
                raise Cancelled("cancelled")
            if time.monotonic() > deadline:
                raise Cancelled("time_limit")
            self._push(Piece(first + row, chunk, held.pop(row, [])))

        try:
            for i, prompt in enumerate(self.prompts):
                first = i * req.n
                samples = model.generate(
                    length=req.max_tokens,
                    temperature=req.temperature,
                    num_samples=req.n,
                    top_k=req.top_k,
                    top_p=req.top_p,
                    stop_at=req.stop,
                    seed=(req.seed + i) % (MAX_SEED + 1),
                    prompt=prompt,
                    on_text=on_text,
                    logprobs=req.logprobs,
                    on_logprobs=held.__setitem__ if req.logprobs is not None else None,
                )
                for j, sample in enumerate(samples):
                    made = len(sample.generated) < req.max_tokens
                    self.finish_reasons[first + j] = "stop" if made else "length"
            self.finish_reason = self.finish_reasons[0]
        except Cancelled as why:
            self.finish_reason = str(why)
            self.finish_reasons = [r or self.finish_reason for r in self.finish_reasons]
        finally:
            self.worker_done.set()
            self._push(None)  # wake the reader for the end

    def _push(self, piece: Piece | None) -> None:
        with self._lock:
            was_empty = not self._pending
            self._pending.append(piece)
        if was_empty and self._loop is not None:
            self._loop.call_soon_threadsafe(self._wake.set)

    def _take(self) -> list[Piece]:
        """The pieces made since the last call, one per choice, added to ``texts``."""
        with self._lock:
            if self._wake is not None:
                self._wake.clear()
            taken, self._pending = self._pending, []
        merged: dict[int, Piece] = {}
        for p in taken:
            if p is None or not p.text:
                continue
            self.texts[p.row] += p.text
            self.logprobs[p.row] += p.logprobs
            before = merged.get(p.row)
            merged[p.row] = (
                p
                if before is None
                else Piece(p.row, before.text + p.text, before.logprobs + p.logprobs)
            )
        return list(merged.values())

    async def complete(self) -> list[str]:
        """Every choice's whole text (the worker runs in a thread; the loop stays free)."""
        try:
            await anyio.to_thread.run_sync(self.run, abandon_on_cancel=True)
        finally:
            self.cancel.set()
        self._take()
        return self.texts

    async def pieces(self) -> AsyncIterator[Piece]:
        """The texts as they grow; leaving early (the client disconnected) stops the worker."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        worker = asyncio.ensure_future(anyio.to_thread.run_sync(self.run, abandon_on_cancel=True))
        try:
            while True:
                waiter = asyncio.ensure_future(self._wake.wait())
                await asyncio.wait({worker, waiter}, return_when=asyncio.FIRST_COMPLETED)
                waiter.cancel()
                for piece in self._take():
                    yield piece
                if worker.done():
                    for piece in self._take():
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
        prompts = [
            served.model.prepare_prompt(text, request.preseed, files=False, notes=notes)
            for text in request.prompts
        ]
    except TextkitError as exc:
        raise ApiError(400, str(exc)) from None
    return Generation(served, request, prompts, time_limit, list(dict.fromkeys(notes)))
