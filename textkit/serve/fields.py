"""Reading a JSON request body: size-capped, JSON only, and each field checked for its type and
range, so a bad request is a 400 naming the field (never a 500 from deep inside a model)."""

from __future__ import annotations

import asyncio
import json

from starlette.requests import Request

from textkit import safejson
from textkit.serve.connections import BODY_S
from textkit.serve.errors import ApiError
from textkit.settings import finite

MAX_BODY = 256 << 10  # bytes of one request body
MAX_TEXT = 10_000  # characters of one text
MAX_TEXTS = 100  # texts in one request


async def read_json(request: Request, max_body: int = MAX_BODY) -> Fields:
    """The body as fields: 415 unless it is declared JSON, 413 above ``max_body`` bytes (checked
    while reading, whatever Content-Length says), 400 unless it is one JSON object."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media != "application/json":
        raise ApiError(415, "the body must be JSON (Content-Type: application/json)")
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > max_body:
        raise ApiError(413, f"the body is larger than {max_body} bytes")
    body = bytearray()

    async def receive() -> None:
        async for chunk in request.stream():
            body.extend(chunk)
            if len(body) > max_body:
                raise ApiError(413, f"the body is larger than {max_body} bytes")

    try:
        await asyncio.wait_for(receive(), BODY_S)
    except asyncio.TimeoutError:
        raise ApiError(408, f"the body did not arrive within {BODY_S:.0f} s") from None
    try:
        data = safejson.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, f"the body is not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise ApiError(400, "the body must be a JSON object")
    return Fields(data)


class Fields:
    """Typed access to a request object's fields; unknown fields are ignored (OpenAI-style
    clients send more than a server uses)."""

    def __init__(self, data: dict) -> None:
        self.data = data

    def has(self, name: str) -> bool:
        return self.data.get(name) is not None

    def text(
        self,
        name: str,
        *,
        required: bool = True,
        max_len: int = MAX_TEXT,
        default: str | None = None,
    ) -> str | None:
        value = self.data.get(name)
        if value is None:
            if required:
                raise ApiError(400, f"'{name}' is required", name)
            return default
        if not isinstance(value, str):
            raise ApiError(400, f"'{name}' must be a string", name)
        if len(value) > max_len:
            raise ApiError(400, f"'{name}' is longer than {max_len} characters", name)
        return value

    def texts(self, name: str, max_items: int = MAX_TEXTS, max_len: int = MAX_TEXT) -> list[str]:
        value = self.data.get(name)
        if not isinstance(value, list) or not value:
            raise ApiError(400, f"'{name}' must be a non-empty list of strings", name)
        if len(value) > max_items:
            raise ApiError(400, f"'{name}' holds more than {max_items} texts", name)
        for item in value:
            if not isinstance(item, str):
                raise ApiError(400, f"'{name}' must be a list of strings", name)
            if len(item) > max_len:
                raise ApiError(400, f"a text in '{name}' is longer than {max_len} characters", name)
        return value

    def number(
        self, name: str, lo: float, hi: float, default: float | None, *, integer: bool = False
    ) -> float | int | None:
        value = self.data.get(name)
        if value is None:
            return default
        kind = "an integer" if integer else "a number"
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ApiError(400, f"'{name}' must be {kind}", name)
        if integer and isinstance(value, float):
            if not value.is_integer():
                raise ApiError(400, f"'{name}' must be {kind}", name)
            value = int(value)
        if not finite(value) or not lo <= value <= hi:
            raise ApiError(400, f"'{name}' must be between {lo} and {hi}", name)
        return value

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.data.get(name)
        if value is None:
            return default
        if not isinstance(value, bool):
            raise ApiError(400, f"'{name}' must be true or false", name)
        return value

    def stops(self, name: str = "stop", max_items: int = 1) -> tuple[str, ...]:
        """Stop strings: one string, or a list of up to ``max_items`` (the OpenAI shape)."""
        value = self.data.get(name)
        values = value if isinstance(value, list) else [] if value is None else [value]
        if len(values) > max_items:
            many = f"up to {max_items} stop strings" if max_items > 1 else "one stop string"
            raise ApiError(400, f"'{name}' supports {many}", name)
        for item in values:
            if not isinstance(item, str) or not item or len(item) > 100:
                raise ApiError(400, f"'{name}' must be strings of 1 to 100 characters", name)
        return tuple(values)
