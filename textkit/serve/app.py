"""The HTTP API over the served models (Starlette).  Generation, batches and long texts run in
worker threads, so a slow request never holds up ``/health`` or another request (one short text
is classified on the event loop: see ``INLINE_CHARS``); every refusal has the one error shape
of ``textkit.serve.errors``."""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
from base64 import b64encode
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from textkit import __version__
from textkit.errors import TextkitError
from textkit.serve import openai_api
from textkit.serve.errors import ApiError, error_body, error_response
from textkit.serve.fields import read_json
from textkit.serve.generation import GenerateRequest, Generation, prepare
from textkit.serve.registry import CLASSIFIERS, GENERATORS, Registry, ServedModel
from textkit.serve.security import Guard

log = logging.getLogger("textkit.serve")

# A classification of one text this short runs on the event loop: measured 0.25 ms (intent) and
# 0.7 ms (author) for 200 characters, while handing it to a worker thread costs ~0.25 ms and
# halves throughput (benchmarks/serve.py).  Longer texts, batches and generation use threads.
INLINE_CHARS = 200
RASA_FALLBACK = "nlu_fallback"  # the intent name Rasa's FallbackClassifier gives "no intent"


@dataclass(frozen=True)
class Settings:
    token: str | None = None
    loopback_only: bool = True  # Host allow-list (DNS-rebinding guard) when bound to loopback
    cors_origins: tuple[str, ...] = ()
    time_limit: float = 60.0  # seconds one generation may run
    log_requests: bool = True


def create_app(registry: Registry, settings: Settings = Settings()) -> Starlette:
    """The ASGI app answering with ``registry``'s models (which may still be loading)."""
    api = Api(registry, settings)
    routes = [
        Route("/", api.page, methods=["GET"]),
        Route("/health", api.health, methods=["GET"]),
        Route("/v1/models", api.models, methods=["GET"]),
        Route("/v1/models/{model_id}", api.model, methods=["GET"]),
        Route("/v1/intent", api.intent, methods=["POST"]),
        Route("/model/parse", api.rasa_parse, methods=["POST"]),  # Rasa's NLU endpoint
        Route("/webhooks/rest/", api.rasa_channel_health, methods=["GET"]),
        Route("/webhooks/rest", api.rasa_channel_health, methods=["GET"]),
        Route("/status", api.status, methods=["GET"]),  # Rasa's server status shape
        Route("/version", api.version, methods=["GET"]),
        Route("/v1/chat", api.chat, methods=["POST"]),
        Route("/webhooks/rest/webhook", api.rasa_webhook, methods=["POST"]),  # Rasa REST channel
        Route("/v1/classify", api.classify, methods=["POST"]),
        Route("/v1/generate", api.generate, methods=["POST"]),
        Route("/v1/completions", api.completions, methods=["POST"]),  # OpenAI's shape
        Route("/v1/chat/completions", api.chat_completions, methods=["POST"]),
    ]
    middleware = []
    if settings.cors_origins:  # outermost, so a preflight is answered before the token check
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
            )
        )
    middleware.append(
        Middleware(
            Guard,
            token=settings.token,
            loopback_only=settings.loopback_only,
            log_requests=settings.log_requests,
        )
    )
    handlers = {ApiError: _api_error, TextkitError: _textkit_error, HTTPException: _http_error}
    app = Starlette(routes=routes, middleware=middleware, exception_handlers=handlers)
    app.state.api = api
    return app


# ---------------------------------------------------------------------- errors
async def _api_error(_request: Request, exc: ApiError) -> Response:
    return exc.response()


async def _textkit_error(_request: Request, exc: TextkitError) -> Response:
    return error_response(400, str(exc))


async def _http_error(_request: Request, exc: HTTPException) -> Response:
    messages = {
        404: "no such endpoint; GET / shows the page, GET /v1/models the models",
        405: "this endpoint does not take that method",
    }
    return error_response(
        exc.status_code, messages.get(exc.status_code, str(exc.detail)), headers=exc.headers
    )


# ---------------------------------------------------------------------- the page
@cache
def page() -> tuple[bytes, str]:
    """The page and its Content-Security-Policy, allowing exactly its own inline script and
    style (by hash) and requests to this server only."""
    html = files("textkit.serve").joinpath("page.html").read_text(encoding="utf-8")

    def hashes(tag: str) -> str:
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
        return " ".join(
            f"'sha256-{b64encode(hashlib.sha256(b.encode()).digest()).decode()}'" for b in blocks
        )

    csp = (
        f"default-src 'none'; script-src {hashes('script')}; style-src {hashes('style')}; "
        "connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    )
    return html.encode(), csp


# ---------------------------------------------------------------------- endpoints
class Api:
    def __init__(self, registry: Registry, settings: Settings) -> None:
        self.registry, self.settings = registry, settings
        self.finished: list[Generation] = []  # the last few generations (tests, operators)

    async def page(self, _request: Request) -> Response:
        body, csp = page()
        return HTMLResponse(
            body,
            headers={
                "Content-Security-Policy": csp,
                "X-Content-Type-Options": "nosniff",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "no-store",
            },
        )

    async def health(self, _request: Request) -> Response:
        registry = self.registry
        if registry.failed:
            return error_response(503, f"the models failed to load: {registry.failed}")
        if not registry.ready:
            return error_response(503, "the models are still loading")
        busy = {m.id: m.running for m in registry.models.values()}
        return JSONResponse(
            {"status": "ok", "models": len(registry.models), "running": busy, "pid": os.getpid()}
        )

    async def model(self, request: Request) -> Response:
        """OpenAI's GET /v1/models/{id}."""
        served = self.registry.models.get(request.path_params["model_id"])
        if served is None:
            raise ApiError(404, f"no model '{request.path_params['model_id']}' is served", "model")
        return JSONResponse(served.describe())

    async def models(self, _request: Request) -> Response:
        data = [m.describe() for m in self.registry.models.values()]
        return JSONResponse({"object": "list", "ready": self.registry.ready, "data": data})

    # ------------------------------------------------------------------ classifiers
    async def intent(self, request: Request, rasa: bool = False) -> Response:
        fields = await read_json(request)
        served = self.registry.pick(fields.text("model", required=False), ("intent",), "intent")
        text = fields.text("text")
        pred = await self._run(served, lambda: served.model.predict(text, k=10), text)
        ranking = [{"name": name, "confidence": round(c, 6)} for name, c in pred.ranking]
        name = pred.label
        if rasa and pred.out_of_scope:  # Rasa's FallbackClassifier names "no intent" so
            name = RASA_FALLBACK
            ranking.insert(0, {"name": RASA_FALLBACK, "confidence": round(pred.confidence, 6)})
        answer = {
            "text": text,
            "model": served.id,
            "intent": {"name": name, "confidence": round(pred.confidence, 6)},
            "intent_ranking": ranking,
            "entities": [e.to_rasa() for e in pred.entities],
            "out_of_scope": pred.out_of_scope,
            "reason": pred.reason,
        }
        if rasa:
            answer["fallback_threshold"] = round(served.model.threshold_, 6)
        return JSONResponse(answer)

    async def rasa_parse(self, request: Request) -> Response:
        """Rasa's /model/parse: the intent shape, with "nlu_fallback" for no intent."""
        return await self.intent(request, rasa=True)

    async def rasa_channel_health(self, _request: Request) -> Response:
        return JSONResponse({"status": "ok"})  # what Rasa's REST channel answers there

    async def status(self, _request: Request) -> Response:
        """Rasa's /status shape, with textkit's values (the served models)."""
        ids = list(self.registry.models)
        return JSONResponse({"model_file": ", ".join(ids), "model_id": ids[0] if ids else None,
                             "num_active_training_jobs": 0, "fingerprint": {},
                             "models": [m.describe() for m in self.registry.models.values()]})  # fmt: skip

    async def version(self, _request: Request) -> Response:
        return JSONResponse({"version": __version__, "minimum_compatible_version": __version__,
                             "server": "textkit"})  # fmt: skip

    async def chat(self, request: Request) -> Response:
        served, sender, message = await self._chat_request(request, default_sender="default")
        reply = await self._run(served, lambda: served.chatbot().reply(message, sender), message)
        return JSONResponse({"model": served.id, "sender": sender, **reply.to_dict()})

    async def rasa_webhook(self, request: Request) -> Response:
        served, sender, message = await self._chat_request(request, default_sender="default")
        reply = await self._run(served, lambda: served.chatbot().reply(message, sender), message)
        return JSONResponse([{"recipient_id": sender, "text": reply.text}])

    async def _chat_request(
        self, request: Request, default_sender: str | None
    ) -> tuple[ServedModel, str, str]:
        fields = await read_json(request)
        served = self.registry.pick(fields.text("model", required=False), ("intent",), "chat")
        sender = fields.text(
            "sender", required=default_sender is None, max_len=200, default=default_sender
        )
        return served, sender, fields.text("message")

    async def classify(self, request: Request) -> Response:
        fields = await read_json(request)
        served = self.registry.pick(fields.text("model", required=False), CLASSIFIERS, "classify")
        k = fields.number("k", 1, 100, 5, integer=True)
        if fields.has("texts") == fields.has("text"):
            raise ApiError(400, "send either 'text' (one text) or 'texts' (a list)", "text")
        if fields.has("text"):
            text = fields.text("text")
            pred = await self._run(served, lambda: served.model.predict(text, k=k), text)
            return JSONResponse({"model": served.id, **_prediction(pred)})
        texts = fields.texts("texts")
        combine = fields.boolean("combine", default=served.kind == "author")
        if combine and served.kind != "author":
            raise ApiError(400, "'combine' needs an author model (texts by one author)", "combine")
        if combine:
            pred = await self._run(
                served, lambda: served.model.predict_many(texts, k=k, combine=True)
            )
            return JSONResponse({"model": served.id, "texts": len(texts), **_prediction(pred)})
        preds = await self._run(served, lambda: served.model.predict_many(texts, k=k))
        return JSONResponse(
            {"model": served.id, "predictions": [{"text": p.text, **_prediction(p)} for p in preds]}
        )

    # ------------------------------------------------------------------ generators
    async def generate(self, request: Request) -> Response:
        fields = await read_json(request)
        served = self.registry.pick(fields.text("model", required=False), GENERATORS, "generate")
        gen = prepare(served, GenerateRequest.read(fields), self.settings.time_limit)

        def final(text: str) -> dict:
            return {
                "model": served.id,
                "text": text,
                "finish_reason": gen.finish_reason,
                "seed": gen.request.seed,
                "warnings": gen.notes,
            }

        if gen.request.stream:

            async def events() -> AsyncIterator[dict]:
                async for piece in gen.pieces():
                    yield {"text": piece.text}
                yield final("")

            return self._stream(gen, events())
        await self._generate(gen)
        return JSONResponse(final(gen.text))

    async def completions(self, request: Request) -> Response:
        """OpenAI's /v1/completions (see ``textkit.serve.openai_api``)."""
        return await self._openai(request, chat=False)

    async def chat_completions(self, request: Request) -> Response:
        """OpenAI's /v1/chat/completions (see ``textkit.serve.openai_api``)."""
        return await self._openai(request, chat=True)

    async def _openai(self, request: Request, chat: bool) -> Response:
        fields = await read_json(request)
        purpose = "chat completions" if chat else "completions"
        served = self.registry.pick(fields.text("model", required=False), GENERATORS, purpose)
        gen = prepare(served, openai_api.read_request(fields, chat), self.settings.time_limit)
        reply = openai_api.Reply(gen, fields, chat)
        if gen.request.stream:
            return self._stream(gen, reply.events(gen.pieces()))
        await self._generate(gen)
        return JSONResponse(reply.body())

    async def _generate(self, gen: Generation) -> list[str]:
        with gen.served.slot():
            try:
                return await gen.complete()
            finally:
                self._finished(gen)

    def _stream(self, gen: Generation, stream: AsyncIterator[dict]) -> Response:
        """Server-Sent Events: a ``data:`` line per event of ``stream``, then ``data: [DONE]``.
        The model's slot is taken now (429 before any stream starts) and given back when the
        response ends, however it ends."""
        gen.served.acquire()

        async def events() -> AsyncIterator[str]:
            try:
                async for event in stream:
                    yield _sse(event)
            except TextkitError as exc:
                yield _sse(error_body(400, str(exc)))
            except Exception as exc:  # the stream has started: report in it, never a traceback
                log.error("generation failed: %s", type(exc).__name__)
                yield _sse(error_body(500, "the generation failed (see the server's log)"))
            yield "data: [DONE]\n\n"

        def done() -> None:
            gen.served.release()
            self._finished(gen)

        return EventStream(events(), done)

    def _finished(self, gen: Generation) -> None:
        if gen.finish_reason is None:
            gen.finish_reason = "cancelled"
        self.finished = [*self.finished[-15:], gen]

    async def _run(self, served: ServedModel, work: Callable, text: str | None = None):
        """``work`` inside one of the model's slots: in a worker thread, or, for one short text
        (``INLINE_CHARS``), right here, where it costs less than the hop to a thread would."""
        with served.slot():
            if text is not None and len(text) <= INLINE_CHARS:
                return work()
            return await run_in_threadpool(work)


class EventStream(StreamingResponse):
    """An SSE response that runs ``done`` once when it ends: finished, failed, or the client
    went away before the first byte."""

    def __init__(self, events: AsyncIterator[str], done: Callable[[], None]) -> None:
        super().__init__(
            events,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
        self.done = done

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        finally:
            self.done()


def _prediction(pred) -> dict:
    out = pred.to_dict()
    out.pop("text")
    return out


def _sse(data: dict) -> str:
    return f"data: {json.dumps(data, ensure_ascii=False)}\n\n"
