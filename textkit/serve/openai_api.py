"""OpenAI's completion and chat-completion shapes over a character model, so the official client
and the tools built on it work unchanged.

A chat request's prompt is its messages' contents, each on its own line, in order, with a final
newline (roles are not written: a character model never saw them); the continuation is the
assistant's reply.  A "token" is one character, so ``usage`` counts characters and ``logprobs``
are exact per-character log-probabilities under the model (before temperature, top-k or top-p).
A field textkit can't honour is a 400 naming it, never silently ignored."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import AsyncIterator

from textkit.charrnn.sample import MAX_LOGPROBS, CharLogprob
from textkit.serve.errors import ApiError
from textkit.serve.fields import MAX_TEXT, Fields
from textkit.serve.generation import GenerateRequest, Generation, Piece

# field -> the values that ask for nothing beyond what textkit does; any other is refused
HARMLESS: dict[str, tuple] = {
    "suffix": (None, ""),
    "logit_bias": (None, {}),
    "tools": (None, []),
    "tool_choice": (None, "none", "auto"),
    "functions": (None, []),
    "function_call": (None, "none", "auto"),
    "response_format": (None, {"type": "text"}),
    "presence_penalty": (None, 0),
    "frequency_penalty": (None, 0),
    "modalities": (None, ["text"]),
    "audio": (None,),
    "prediction": (None,),
}


def read_request(fields: Fields, chat: bool) -> GenerateRequest:
    """The generation a completions (or chat) request asks for; 400 for what can't be done."""
    for name, harmless in HARMLESS.items():
        if fields.data.get(name) not in harmless:
            raise ApiError(400, f"'{name}' is not supported by textkit's character models", name)
    if chat:
        fields.data["prompt"] = chat_prompt(fields.data.get("messages"))
        if fields.has("max_completion_tokens"):
            fields.data["max_tokens"] = fields.data["max_completion_tokens"]
    request = GenerateRequest.read(fields, many=True)
    best_of = fields.data.get("best_of")
    if best_of not in (None, request.n):  # best_of == n picks nothing: all are returned
        raise ApiError(400, "'best_of' is not supported: ask for 'n' texts instead", "best_of")
    return dataclasses.replace(request, logprobs=_logprobs_asked(fields, chat))


def _logprobs_asked(fields: Fields, chat: bool) -> int | None:
    """Alternatives per character, or None for no log-probabilities.  Completions ask with
    ``logprobs: K``; chat with ``logprobs: true`` and ``top_logprobs: K``."""
    if not chat:
        return fields.number("logprobs", 0, MAX_LOGPROBS, None, integer=True)
    top = fields.number("top_logprobs", 0, MAX_LOGPROBS, None, integer=True)
    if not fields.boolean("logprobs"):
        if top is not None:
            raise ApiError(400, "'top_logprobs' needs 'logprobs': true", "top_logprobs")
        return None
    return top or 0


def chat_prompt(messages) -> str:
    """Each message's content on its own line, in order, and a newline to start the reply."""
    if not isinstance(messages, list) or not messages:
        raise ApiError(400, "'messages' must be a non-empty list of {role, content}", "messages")
    lines = []
    for i, message in enumerate(messages):
        content = message.get("content") if isinstance(message, dict) else None
        if isinstance(content, list):  # the parts form: [{"type": "text", "text": ...}]
            if any(not isinstance(p, dict) or p.get("type") != "text" for p in content):
                raise ApiError(400, f"messages[{i}]: only text parts are supported", "messages")
            content = "".join(str(p.get("text", "")) for p in content)
        if not isinstance(content, str):
            raise ApiError(400, f"messages[{i}] needs a string 'content'", "messages")
        lines.append(content)
    prompt = "\n".join(lines) + "\n"
    if len(prompt) > MAX_TEXT:
        raise ApiError(400, f"'messages' hold more than {MAX_TEXT} characters", "messages")
    return prompt


class Reply:
    """The response bodies of one completions or chat request: whole, or as stream events."""

    def __init__(self, gen: Generation, fields: Fields, chat: bool) -> None:
        self.gen, self.chat = gen, chat
        self.echo = not chat and fields.boolean("echo")
        options = fields.data.get("stream_options")
        self.include_usage = isinstance(options, dict) and options.get("include_usage") is True
        kind = "chatcmpl" if chat else "cmpl"
        self.id, self.created = f"{kind}-{uuid.uuid4().hex[:24]}", int(time.time())

    def body(self) -> dict:
        """The whole response, after the generation finished."""
        gen, rows = self.gen, range(len(self.gen.texts))
        if self.chat:
            choices = [
                {"index": r, "logprobs": self._logprobs(gen.logprobs[r], self._offset(r, 0)),
                 "finish_reason": self._finish(r),
                 "message": {"role": "assistant", "content": gen.texts[r], "refusal": None}}
                for r in rows
            ]  # fmt: skip
        else:
            choices = [
                {"text": self._shown_prompt(r) + gen.texts[r], "index": r,
                 "logprobs": self._logprobs(gen.logprobs[r], self._offset(r, 0)),
                 "finish_reason": self._finish(r)}
                for r in rows
            ]  # fmt: skip
        return {**self._envelope(choices, chunk=False), "usage": self.usage()}

    async def events(self, pieces: AsyncIterator[Piece]) -> AsyncIterator[dict]:
        """Stream events: a start per choice (the assistant role, or the echoed prompt), the
        text as it grows, a finish per choice, then the usage when ``include_usage`` asked."""
        rows = range(len(self.gen.texts))
        if self.chat:
            yield self._chunk([self._piece(r, "", None, {"role": "assistant"}) for r in rows])
        elif self.echo:
            yield self._chunk([self._piece(r, self._shown_prompt(r), None) for r in rows])
        async for piece in pieces:
            offset = self._offset(piece.row, len(self.gen.texts[piece.row]) - len(piece.text))
            yield self._chunk([self._piece(piece.row, piece.text, piece.logprobs, at=offset)])
        ends = [self._piece(r, "", None) | {"finish_reason": self._finish(r)} for r in rows]
        yield self._chunk(ends)
        if self.include_usage:
            yield {**self._chunk([]), "usage": self.usage()}

    def usage(self) -> dict:
        prompt = sum(len(p.seed) for p in self.gen.prompts)
        made = sum(map(len, self.gen.texts))
        return {"prompt_tokens": prompt, "completion_tokens": made, "total_tokens": prompt + made}

    # ------------------------------------------------------------------ pieces of the shape
    def _envelope(self, choices: list[dict], chunk: bool) -> dict:
        kind = (
            ("chat.completion.chunk" if chunk else "chat.completion")
            if self.chat
            else "text_completion"
        )
        return {"id": self.id, "object": kind, "created": self.created, "model": self.gen.served.id,
                "system_fingerprint": None, "choices": choices}  # fmt: skip

    def _chunk(self, choices: list[dict]) -> dict:
        return self._envelope(choices, chunk=True)

    def _piece(self, row: int, text: str, logprobs, delta: dict | None = None, at: int = 0) -> dict:
        found = self._logprobs(logprobs, at) if logprobs else None
        if not self.chat:
            return {"text": text, "index": row, "logprobs": found, "finish_reason": None}
        said = {**(delta or {}), **({"content": text} if text or delta else {})}
        return {"index": row, "delta": said, "logprobs": found, "finish_reason": None}

    def _shown_prompt(self, row: int) -> str:
        return self.gen.prompt_of(row).seed if self.echo else ""

    def _offset(self, row: int, at: int) -> int:
        return len(self._shown_prompt(row)) + at

    def _finish(self, row: int) -> str:
        return "stop" if self.gen.finish_reasons[row] == "stop" else "length"

    def _logprobs(self, items: list[CharLogprob], offset: int) -> dict | None:
        if self.gen.request.logprobs is None:
            return None
        if self.chat:
            return {"content": [_chat_logprob(i) for i in items], "refusal": None}
        return {
            "tokens": [i.char for i in items],
            "token_logprobs": [i.logprob for i in items],
            "top_logprobs": [dict(i.top) for i in items],
            "text_offset": list(range(offset, offset + len(items))),
        }


def _chat_logprob(item: CharLogprob) -> dict:
    def token(char: str, logprob: float) -> dict:
        return {"token": char, "logprob": logprob, "bytes": list(char.encode("utf-8"))}

    return {**token(item.char, item.logprob), "top_logprobs": [token(c, v) for c, v in item.top]}
