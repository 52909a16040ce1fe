"""Connections that can't be held open for nothing.  uvicorn closes an idle keep-alive
connection after ``timeout_keep_alive``, but waits forever for a first request that never
comes or whose headers trickle in a byte at a time (slowloris); ``read_json`` bounds the body.
``server_config`` is the uvicorn Config every textkit server runs with."""

from __future__ import annotations

import asyncio

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

HEADERS_S = 10.0  # from connecting (or the last response) to a request's complete headers
BODY_S = 30.0  # from the headers to the complete body (read_json)
KEEP_ALIVE_S = 5.0  # an idle connection between requests


class GuardedH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol with a deadline for each request's headers."""

    _headers_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._wait_for_headers()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._wait_for_headers()

    def connection_lost(self, exc) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
        super().connection_lost(exc)

    def _wait_for_headers(self) -> None:
        if self._headers_timer is not None:
            self._headers_timer.cancel()
        self._headers_timer = self.loop.call_later(HEADERS_S, self._headers_deadline)

    def _headers_deadline(self) -> None:
        """Close the connection if no request's headers have come in full since the timer
        started (h11 still waits for a request: IDLE)."""
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.transport.close()


def server_config(app, **kwargs) -> uvicorn.Config:
    """The uvicorn Config of a textkit server: the guarded protocol and its timeouts."""
    return uvicorn.Config(app, http=GuardedH11Protocol, timeout_keep_alive=KEEP_ALIVE_S, **kwargs)
