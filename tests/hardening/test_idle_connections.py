"""Round 3, class 16: a connection that sends nothing, trickles its headers or its body is
closed (or answered 408) after a bounded time, while ordinary keep-alive clients are served."""

from __future__ import annotations

import json
import socket
import time

import pytest


@pytest.fixture
def quick_server(monkeypatch, start_server, kind_folders):
    from textkit.serve import connections, fields

    monkeypatch.setattr(connections, "HEADERS_S", 0.5)
    monkeypatch.setattr(fields, "BODY_S", 0.5)
    return start_server([kind_folders / "intent"])


def _connect(server) -> socket.socket:
    return socket.create_connection(("127.0.0.1", server.port), timeout=5)


def _closed_within(sock: socket.socket, seconds: float) -> bytes:
    """What the server sent before closing; fails if it is still open after ``seconds``."""
    sock.settimeout(seconds)
    got = b""
    try:
        while chunk := sock.recv(4096):
            got += chunk
    except TimeoutError:
        pytest.fail(f"the connection was still open after {seconds} s")
    return got


def test_a_silent_connection_is_closed(quick_server):
    with _connect(quick_server) as sock:
        start = time.monotonic()
        assert _closed_within(sock, 3) == b""
        assert time.monotonic() - start < 3


def test_trickled_headers_are_cut_off(quick_server):
    with _connect(quick_server) as sock:
        start = time.monotonic()
        request = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"a" * 100
        try:
            for byte in request:
                sock.sendall(bytes([byte]))
                time.sleep(0.05)
        except OSError:
            pass  # closed while trickling: the point
        _closed_within(sock, 3)
        assert time.monotonic() - start < 4


def test_a_trickled_body_gets_a_408(quick_server):
    body = json.dumps({"text": "hello there"}).encode()
    with _connect(quick_server) as sock:
        sock.sendall(
            b"POST /v1/intent HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body[:5]
        )
        sock.settimeout(5)
        answer = b""
        while b'"timeout"' not in answer and (chunk := sock.recv(4096)):
            answer += chunk  # (head and body may come in separate segments)
        assert answer.startswith(b"HTTP/1.1 408") and b'"timeout"' in answer


def test_keep_alive_clients_are_served(quick_server):
    for _ in range(3):
        assert quick_server.get("/health").status_code == 200
        time.sleep(0.2)
    r = quick_server.post("/v1/intent", {"text": "when do you open on sunday?"})
    assert r.status_code == 200
