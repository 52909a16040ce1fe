"""`textkit serve` under load, as a user runs it (a separate server process on loopback).

    python benchmarks/serve.py [--models BOT AUTHOR GENERATOR] [--requests 2000]

Without --models, three small models are trained into a temporary folder first (the shipped
chatbot, the shipped presidents, a small LSTM on the shipped poems).  Printed:

- start-up: from starting `textkit serve` with the three models to the first 200 on /health,
  beside `python -c "import torch"` timed in the same run (median of 3);
- /v1/intent requests/s and p50/p99 latency with 1, 8 and 32 concurrent clients (each client
  keeps one connection and sends requests back to back; the load stops after --requests), and
  the in-process `predict` time of the same model, so the ratio shows what HTTP adds;
- time to the first streamed character of /v1/generate, beside the time of the whole
  200-character generation without streaming;
- the server's resident memory before and after a flood of /v1/intent requests of long random
  "words" (24 of 400 letters each, under the 10,000-character cap), beside the same number of
  ordinary requests: what a hostile client can make a served model keep;
- the conversation store: /v1/chat requests/s and p50 at 8 clients (100 senders) with
  `--store memory`, `--store sqlite:///...`, sqlite with `--workers 2` and, where
  redis-server is installed, `--store redis://...`, each in a fresh server, taking turns for
  --rounds rounds (medians), against memory (`--only-stores`: just this part).

The load generator is a small asyncio HTTP/1.1 client (keep-alive, Content-Length bodies) so
that the client costs little of the 2 cores it shares with the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def train_models(root: Path) -> list[Path]:
    from textkit.authorship import AuthorClassifier
    from textkit.charrnn import CharRNN
    from textkit.intent import IntentClassifier
    from textkit.training.config import TrainConfig

    IntentClassifier().fit(REPO / "corpora" / "intents.json", root / "bot")
    AuthorClassifier().fit(REPO / "corpora" / "presidents.csv", root / "presidents")
    from textkit.charrnn.config import preset_config

    CharRNN(preset_config("small")).fit(
        REPO / "corpora" / "poems.txt",
        root / "poems",
        TrainConfig(max_steps=300, progress=False, device="cpu"),
    )
    return [root / "bot", root / "presidents", root / "poems"]


def start_server(models: list[Path], *extra: str) -> tuple[subprocess.Popen, int, float]:
    """A server process; its port and the seconds until /health said 200."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "textkit",
            "serve",
            *map(str, models),
            "--port",
            "0",
            "--no-log-requests",
            "--device",
            "cpu",
            *extra,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    first = proc.stderr.readline()  # "textkit: listening at http://127.0.0.1:PORT/; ..."
    port = int(first.split("127.0.0.1:")[1].split("/")[0])
    workers = int(extra[extra.index("--workers") + 1]) if "--workers" in extra else 1
    ready: set = set()  # the pids that said 200: every worker has loaded its models
    while True:
        status, body = asyncio.run(one_request(port, "GET", "/health"))
        if status == 200:
            ready.add(json.loads(body)["pid"])
            if len(ready) == workers:
                return proc, port, time.perf_counter() - started
        if proc.poll() is not None:
            raise SystemExit(proc.stderr.read())
        time.sleep(0.005)


async def one_request(port: int, method: str, path: str, body: dict | None = None):
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        return await exchange(reader, writer, port, method, path, body)
    finally:
        writer.close()


async def exchange(reader, writer, port: int, method: str, path: str, body: dict | None):
    payload = json.dumps(body).encode() if body is not None else b""
    head = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
    if body is not None:
        head += f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
    writer.write(head.encode() + b"\r\n" + payload)
    await writer.drain()
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        if name.lower() == "content-length":
            length = int(value)
    data = await reader.readexactly(length)
    return int(status_line.split()[1]), data


async def load(
    port: int, clients: int, requests: int, texts: list[str], chat: bool = False
) -> tuple[float, list]:
    """``clients`` connections sending /v1/intent (or, with ``chat``, /v1/chat from 100
    senders) back to back until ``requests`` are done."""
    latencies: list[float] = []
    remaining = [requests]

    async def client(i: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        n = i
        while remaining[0] > 0:
            remaining[0] -= 1
            start = time.perf_counter()
            text = texts[n % len(texts)]
            path, body = ("/v1/chat", {"sender": f"user{n % 100}", "message": text}) if chat else (
                "/v1/intent", {"text": text})  # fmt: skip
            status, _ = await exchange(reader, writer, port, "POST", path, body)
            latencies.append(time.perf_counter() - start)
            assert status == 200, status
            n += clients
        writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(client(i) for i in range(clients)))
    return time.perf_counter() - started, latencies


async def first_streamed_char(port: int, body: dict) -> tuple[float, float]:
    """Seconds to the first text event, and to the end of the stream."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    payload = json.dumps({**body, "stream": True}).encode()
    start = time.perf_counter()
    writer.write(
        f"POST /v1/generate HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: "
        f"application/json\r\nContent-Length: {len(payload)}\r\n\r\n".encode()
        + payload
    )
    await writer.drain()
    first = None
    while True:
        line = await reader.readline()
        if first is None and line.startswith(b'data: {"text"'):
            first = time.perf_counter() - start
        if line.startswith(b"data: [DONE]"):
            break
    writer.close()
    return first, time.perf_counter() - start


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def flood(port: int, pid: int, model: str, texts: list[str], n: int = 400) -> None:
    """RSS after ``n`` ordinary requests, then after ``n`` requests of long random words."""
    import random
    import string

    rng = random.Random(0)
    junk = [
        " ".join("".join(rng.choices(string.ascii_lowercase, k=400)) for _ in range(24))
        for _ in range(n)
    ]
    start = rss_mb(pid)
    asyncio.run(load(port, 8, n, texts))
    ordinary = rss_mb(pid)
    asyncio.run(load(port, 8, n, junk))
    hostile = rss_mb(pid)
    print(
        f"server RSS: {start:.0f} MB; after {n} ordinary requests {ordinary:.0f} MB; after {n} "
        f"requests of 24 random 400-letter words {hostile:.0f} MB"
    )


def save_costs(tmp: Path, n: int = 3000) -> None:
    """In this process: one user's load + save (one turn added; 100 users of 20 long turns),
    memory against SQLite, and SQLite with the whole state re-encoded by dataclasses.asdict
    (what a save did before issue 22's change: every turn copied and rewritten)."""
    from dataclasses import asdict

    from textkit.intent.store import MemoryStore, SQLiteStore, UserState

    def timed(store, label: str) -> None:
        users = [f"user{i}" for i in range(100)]
        long = "what are your opening hours on sunday, and do you open on bank holidays too?"
        for i in range(2000):  # every user at 20 turns
            state = store.load(users[i % 100])
            state.add_turn(long, "opening_hours", long)
            store.save(users[i % 100], state)
        start = time.perf_counter()
        for i in range(n):
            state = store.load(users[i % 100])
            state.add_turn(long, "opening_hours", long)
            store.save(users[i % 100], state)
        print(f"load + save, {label}: {(time.perf_counter() - start) / n * 1e6:.0f} µs")

    class Before(SQLiteStore):
        """The save before issue 22's change: the whole state, turns included, encoded by
        dataclasses.asdict into the one state column (and so decoded by every load)."""

        def load(self, user_id):
            text = self._read(self._key(user_id))
            return (UserState.from_json(text) if text else None) or UserState()

        def save(self, user_id, state):
            state.seen = time.time()
            self._db().execute(
                "INSERT INTO users (key, state, seen) VALUES (?, ?, ?) ON CONFLICT(key) DO "
                "UPDATE SET state = excluded.state, seen = excluded.seen",
                (self._key(user_id), json.dumps(asdict(state)), state.seen),
            )

    timed(MemoryStore(), "memory")
    timed(SQLiteStore(tmp / "saves.db"), "sqlite")
    timed(Before(tmp / "before.db"), "sqlite as before (asdict, turns in the state)")


def store_costs(bot: Path, texts: list[str], tmp: Path, requests: int, rounds: int) -> None:
    """/v1/chat at 8 clients with each store, each in a fresh server; the stores take turns
    for ``rounds`` rounds (so that a noisy minute hits them alike) and the median counts."""
    import shutil

    sqlite = f"sqlite:///{tmp / 'conversations.db'}"
    runs = {"memory": ["--store", "memory"], "sqlite": ["--store", sqlite],
            "sqlite, 2 workers": ["--store", sqlite, "--workers", "2"]}  # fmt: skip
    redis_server = None
    if shutil.which("redis-server"):
        port = 6390
        redis_server = subprocess.Popen(
            ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
        )
        time.sleep(0.5)
        runs["redis"] = ["--store", f"redis://127.0.0.1:{port}/0"]
    results: dict[str, list[tuple[float, float]]] = {name: [] for name in runs}
    try:
        for _ in range(rounds):
            for name, extra in runs.items():
                proc, port, _ = start_server([bot], *extra)
                try:
                    asyncio.run(load(port, 8, 200, texts, chat=True))  # warm up
                    seconds, lat = asyncio.run(load(port, 8, requests, texts, chat=True))
                    results[name].append((len(lat) / seconds, pct(lat, 0.5) * 1000))
                finally:
                    proc.terminate()
                    proc.wait()
    finally:
        if redis_server is not None:
            redis_server.terminate()
    m_rps = statistics.median(r for r, _ in results["memory"])
    for name, rows in results.items():
        rps = statistics.median(r for r, _ in rows)
        p50 = statistics.median(p for _, p in rows)
        each = ", ".join(f"{r:.0f}" for r, _ in rows)
        cost = f"; costs {1 - rps / m_rps:.0%} of memory's" if name != "memory" else ""
        print(
            f"/v1/chat, 8 clients, {name}: {rps:.0f} req/s (rounds: {each}; p50 {p50:.2f} ms{cost})"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models", nargs=3, type=Path, metavar=("BOT", "AUTHOR", "GENERATOR"))
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3, help="rounds of the store comparison")
    ap.add_argument("--only-stores", action="store_true", help="only the store comparison")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        models = args.models or train_models(Path(tmp))
        if args.only_stores:
            from textkit.intent import IntentClassifier

            texts = [p for it in IntentClassifier.load(models[0]).intents for p in it.patterns]
            save_costs(Path(tmp))
            store_costs(models[0], texts, Path(tmp), args.requests, args.rounds)
            return

        torch_s, startups = [], []
        for _ in range(3):
            t = time.perf_counter()
            subprocess.run([sys.executable, "-c", "import torch"], check=True)
            torch_s.append(time.perf_counter() - t)
            proc, port, seconds = start_server(models)
            startups.append(seconds)
            proc.terminate()
            proc.wait()
        print(
            f"start-up, 3 models:  {statistics.median(startups):.2f} s  "
            f"(import torch alone: {statistics.median(torch_s):.2f} s)"
        )

        from textkit.intent import IntentClassifier

        bot = IntentClassifier.load(models[0])
        texts = [p for it in bot.intents for p in it.patterns]
        t = time.perf_counter()
        for text in texts * 5:
            bot.predict(text, k=10)
        direct_ms = (time.perf_counter() - t) / (len(texts) * 5) * 1000
        print(f"in-process predict:  {direct_ms:.2f} ms per text")

        proc, port, _ = start_server(models)
        try:
            asyncio.run(load(port, 8, 200, texts))  # warm up
            print(f"{'clients':>7} {'req/s':>8} {'p50 ms':>7} {'p99 ms':>7} {'p50/predict':>12}")
            for clients in (1, 8, 32):
                seconds, lat = asyncio.run(load(port, clients, args.requests, texts))
                p50, p99 = pct(lat, 0.5) * 1000, pct(lat, 0.99) * 1000
                print(
                    f"{clients:7d} {len(lat) / seconds:8.0f} {p50:7.2f} {p99:7.2f} "
                    f"{p50 / direct_ms:12.1f}"
                )
            body = {"model": models[2].name, "prompt": "Shall I ", "max_tokens": 200, "seed": 1}
            firsts, wholes = [], []
            for _ in range(10):
                first, whole = asyncio.run(first_streamed_char(port, body))
                firsts.append(first)
                wholes.append(whole)
            flood(port, proc.pid, models[0].name, texts)
            print(
                f"/v1/generate 200 chars: first streamed char "
                f"{statistics.median(firsts) * 1000:.1f} ms, whole text "
                f"{statistics.median(wholes) * 1000:.0f} ms (median of 10)"
            )
        finally:
            proc.terminate()
            proc.wait()
        store_costs(models[0], texts, Path(tmp), args.requests, args.rounds)
    print(f"({os.cpu_count()} CPUs; server and load generator share them)")


if __name__ == "__main__":
    main()
