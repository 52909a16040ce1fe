"""Server-Sent Events on a real socket, read with a plain socket so nothing buffers: the first
event comes long before the text is finished, ``[DONE]`` comes last, a client that goes away
stops its generation, and ``/health`` stays quick while generations stream."""

from __future__ import annotations

import json
import socket
import threading
import time

import pytest


class RawStream:
    """A POST whose answer is read event by event straight off the socket."""

    def __init__(self, port: int, path: str, body: dict) -> None:
        payload = json.dumps(body).encode()
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.sock.sendall(
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
            + payload
        )
        self.buffer = b""
        head = self._until(b"\r\n\r\n")
        self.status = int(head.split(b" ", 2)[1])
        self.headers = head.decode("latin-1").lower()
        self.chunked = "transfer-encoding: chunked" in self.headers
        self.body = b""

    def _until(self, mark: bytes) -> bytes:
        while mark not in self.buffer:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("the server closed the connection")
            self.buffer += data
        part, _, self.buffer = self.buffer.partition(mark)
        return part

    def _body_until(self, mark: bytes) -> bytes:
        """Body bytes (de-chunked) up to ``mark``."""
        while mark not in self.body:
            if self.chunked:
                size = int(self._until(b"\r\n"), 16)
                if size == 0:
                    raise EOFError("the answer ended")
                while len(self.buffer) < size + 2:
                    self.buffer += self.sock.recv(65536)
                self.body += self.buffer[:size]
                self.buffer = self.buffer[size + 2 :]
            else:
                data = self.sock.recv(65536)
                if not data:
                    raise EOFError("the answer ended")
                self.body += data
        part, _, self.body = self.body.partition(mark)
        return part

    def event(self) -> str:
        """The data of the next event."""
        event = self._body_until(b"\n\n").decode()
        assert event.startswith("data: "), event
        return event[len("data: ") :]

    def events(self) -> list[str]:
        out = []
        while not out or out[-1] != "[DONE]":
            out.append(self.event())
        return out

    def close(self) -> None:
        self.sock.close()


def wait_for(condition, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.fixture(scope="module")
def gen_server(start_server, serve_folders):
    return start_server([serve_folders["sonnets"]])


def test_first_event_comes_long_before_the_text_is_done(gen_server):
    body = {"prompt": "Shall I ", "max_tokens": 3000, "seed": 1}
    started = time.perf_counter()
    whole = gen_server.post("/v1/generate", body).json()["text"]
    whole_s = time.perf_counter() - started

    started = time.perf_counter()
    stream = RawStream(gen_server.port, "/v1/generate", {**body, "stream": True})
    assert stream.status == 200 and "text/event-stream" in stream.headers
    first = json.loads(stream.event())
    first_s = time.perf_counter() - started
    rest = stream.events()
    stream.close()
    # without streaming the first event would come with the whole text; a third leaves room
    # for a loaded machine
    assert first_s < whole_s / 3, (first_s, whole_s)
    assert rest[-1] == "[DONE]"
    final = json.loads(rest[-2])
    assert final["finish_reason"] == "length" and final["seed"] == 1
    pieces = [first] + [json.loads(e) for e in rest[:-2]]
    assert "finish_reason" not in pieces[0]
    assert "".join(p["text"] for p in pieces) == whole  # the same text as without streaming


def test_completions_stream_in_openai_chunks(gen_server):
    stream = RawStream(
        gen_server.port,
        "/v1/completions",
        {"prompt": "Shall I ", "max_tokens": 50, "seed": 2, "stream": True},
    )
    events = stream.events()
    stream.close()
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert all(c["object"] == "text_completion" for c in chunks)
    assert len({c["id"] for c in chunks}) == 1
    assert [c["choices"][0]["finish_reason"] for c in chunks][-1] == "length"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    text = "".join(c["choices"][0]["text"] for c in chunks)
    plain = gen_server.post("/v1/generate", {"prompt": "Shall I ", "max_tokens": 50, "seed": 2})
    assert text == plain.json()["text"]


def test_a_client_that_leaves_stops_its_generation(gen_server):
    before = len(gen_server.api.finished)
    stream = RawStream(gen_server.port, "/v1/generate", {"max_tokens": 4000, "stream": True})
    for _ in range(3):
        stream.event()
    stream.close()
    wait_for(lambda: len(gen_server.api.finished) > before)
    gen = gen_server.api.finished[-1]
    assert gen.finish_reason == "cancelled"
    wait_for(gen.worker_done.is_set, 5)  # the worker thread itself has stopped
    assert gen.produced < 4000
    assert gen_server.get("/health").json()["running"] == {"sonnets": 0}


def test_health_answers_quickly_while_two_generations_stream(gen_server):
    streams = [
        RawStream(gen_server.port, "/v1/generate", {"max_tokens": 4000, "stream": True})
        for _ in range(2)
    ]
    for stream in streams:
        stream.event()
    assert gen_server.get("/health").json()["running"] == {"sonnets": 2}
    times = []
    for _ in range(10):
        started = time.perf_counter()
        assert gen_server.get("/health").status_code == 200
        times.append(time.perf_counter() - started)
    for stream in streams:
        stream.close()
    # median; the generations are still running (a blocked event loop would wait for them,
    # most of a second; 0.3 s leaves room for a loaded machine)
    assert sorted(times)[5] < 0.3, times


def test_the_time_limit_ends_a_generation(start_server, serve_folders):
    server = start_server([serve_folders["sonnets"]], time_limit=0.2)
    reply = server.post("/v1/generate", {"max_tokens": 4000}).json()
    assert reply["finish_reason"] == "time_limit" and 0 < len(reply["text"]) < 4000
    stream = RawStream(server.port, "/v1/generate", {"max_tokens": 4000, "stream": True})
    events = stream.events()
    stream.close()
    assert json.loads(events[-2])["finish_reason"] == "time_limit"


def test_concurrent_generations_do_not_mix(gen_server):
    results = {}

    def run(seed):
        stream = RawStream(
            gen_server.port, "/v1/generate", {"max_tokens": 300, "seed": seed, "stream": True}
        )
        events = stream.events()
        stream.close()
        results[seed] = "".join(json.loads(e)["text"] for e in events[:-1])

    threads = [threading.Thread(target=run, args=(seed,)) for seed in (1, 2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    for seed in (1, 2, 3):
        alone = gen_server.post("/v1/generate", {"max_tokens": 300, "seed": seed}).json()
        assert results[seed] == alone["text"]
