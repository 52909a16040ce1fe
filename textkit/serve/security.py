"""The guards in front of every endpoint, as one plain ASGI middleware (so it never buffers a
streamed answer): the Host allow-list that stops DNS rebinding on a loopback server, the bearer
token, a request log that records method, path, status and time (never user text), and the last
catch: an unexpected failure is a 500 in the error shape, never a traceback or a dropped
connection."""

from __future__ import annotations

import hmac
import ipaddress
import logging
import socket
import time
import traceback

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from textkit.serve.errors import ApiError, error_response

log = logging.getLogger("textkit.serve")

LOOPBACK_NAMES = ("localhost", "127.0.0.1", "::1")
# the page, the readiness probes (textkit's and Rasa's REST channel's) and the version need no
# token: none of them says anything about a model or a user
OPEN_PATHS = ("/", "/health", "/webhooks/rest/", "/webhooks/rest", "/version")


def is_loopback(host: str) -> bool:
    """Whether ``host`` (a name or address, without port) only reaches this machine."""
    host = host.strip("[]").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def host_name(header: str) -> str:
    """The name in a Host header, without its port ("[::1]:8000" -> "::1")."""
    header = header.strip().lower()
    if header.startswith("["):
        return header[1 : header.find("]")] if "]" in header else header
    return header.rsplit(":", 1)[0] if header.count(":") == 1 else header


def listen_socket(host: str, port: int) -> socket.socket:
    """A listening TCP socket for the server.  Made with an explicit IPPROTO_TCP: asyncio turns
    Nagle's algorithm off only for such sockets, and without that every answer on a kept-alive
    connection waits ~40 ms for the client's delayed ACK (measured: 44 ms vs 1 ms)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    return sock


class Guard:
    """Refuses a foreign Host (400) when ``loopback_only``, a missing or wrong token (401)
    when ``token`` is set, and logs each request without its body or query string."""

    def __init__(
        self, app: ASGIApp, token: str | None, loopback_only: bool, log_requests: bool = True
    ) -> None:
        self.app = app
        self.token = token.encode() if token else None
        self.loopback_only = loopback_only
        self.log_requests = log_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self.refusal(scope)
        if refusal is not None:
            await refusal.response(self.challenge(refusal))(scope, receive, send)
            self.log(scope, refusal.status, time.perf_counter())
            return
        start, status = time.perf_counter(), 0

        async def send_logged(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_logged)
        except Exception as exc:
            where = traceback.extract_tb(exc.__traceback__)[-1]
            # the type and place only: an exception's message may quote the user's text
            log.error(
                "internal error: %s at %s:%d", type(exc).__name__, where.filename, where.lineno
            )
            if status:  # the answer had started: all that can be done is to end it
                raise
            status = 500
            failed = error_response(500, "the server failed to answer this request (see its log)")
            await failed(scope, receive, send)
        finally:
            self.log(scope, status or 500, start)

    def refusal(self, scope: Scope) -> ApiError | None:
        headers = Headers(scope=scope)
        if self.loopback_only and not is_loopback(host_name(headers.get("host", ""))):
            return ApiError(
                400,
                "this server answers only requests addressed to localhost "
                "(the Host header names another host)",
            )
        if self.token is None or scope["path"] in OPEN_PATHS or scope["method"] == "OPTIONS":
            return None
        scheme, _, given = headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not given:
            return ApiError(
                401,
                "this server needs a token: send 'Authorization: Bearer TOKEN' "
                "(never ?token= in the URL: URLs end up in logs and histories)",
            )
        if not hmac.compare_digest(given.strip().encode(), self.token):
            return ApiError(401, "the token is not right")
        return None

    @staticmethod
    def challenge(error: ApiError) -> dict[str, str] | None:
        return {"WWW-Authenticate": 'Bearer realm="textkit"'} if error.status == 401 else None

    def log(self, scope: Scope, status: int, start: float) -> None:
        if self.log_requests:
            ms = (time.perf_counter() - start) * 1000
            log.info("%s %s %d %.1f ms", scope["method"], scope["path"], status, ms)
