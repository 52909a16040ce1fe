"""`textkit serve` as a user runs it: refusals before anything listens, and a real process that
loads, answers, logs without user text, and stops on Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "::"])
def test_a_public_address_needs_a_token(run, serve_folders, host, monkeypatch):
    monkeypatch.delenv("TEXTKIT_TOKEN", raising=False)
    result = run("serve", serve_folders["bot"], "--host", host)
    assert result.exit_code == 2 and "--token" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [(["no-such-model"], "no-such-model"), (["--port", "70000"], "70000"),
     (["--max-concurrency", "0"], "max-concurrency"), (["--time-limit", "nan"], "time-limit")],
)  # fmt: skip
def test_bad_arguments_fail_before_listening(run, tmp_path, args, message):
    result = run("serve", "--models-dir", tmp_path, *args)
    assert result.exit_code in (1, 2) and message in result.stderr
    assert "Traceback" not in result.stderr


def test_models_it_cannot_serve_are_refused(run, kind_folders, tmp_path):
    result = run("serve", kind_folders / "word2vec")
    assert result.exit_code == 1 and "word2vec" in result.stderr
    empty = run("serve", "--models-dir", tmp_path)
    assert empty.exit_code == 1 and "no model to serve" in empty.stderr


def test_a_busy_port_is_a_clear_error(run, serve_folders):
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = run("serve", serve_folders["bot"], "--port", port)
    assert result.exit_code == 1 and f"can't listen on 127.0.0.1:{port}" in result.stderr


def start(args: list, cwd: Path, env: dict | None = None) -> tuple[subprocess.Popen, str]:
    """`python -m textkit serve ARGS --port 0`, and its URL once it says it is serving."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "textkit", "serve", *map(str, args), "--port", "0"],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    line = proc.stdout.readline()
    if not line.startswith("Serving"):
        proc.kill()
        raise AssertionError(line + proc.stderr.read())
    return proc, line.split(" at ", 1)[1].split()[0].rstrip("/")


def test_serve_with_no_argument_serves_the_newest_of_each_kind(tmp_path, serve_folders):
    models = tmp_path / "models"
    for name in ("bot", "presidents", "sonnets"):
        shutil.copytree(serve_folders[name], models / name)
    proc, url = start([], tmp_path)
    try:
        assert httpx.get(f"{url}/health").json()["status"] == "ok"
        ids = {m["id"] for m in httpx.get(f"{url}/v1/models").json()["data"]}
        assert ids == {"bot", "presidents", "sonnets"}
        secret = "my secret phrase about returns"
        reply = httpx.post(f"{url}/v1/intent", json={"text": secret})
        assert reply.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "POST /v1/intent 200" in err and "GET /health 200" in err
    assert "secret" not in err and "secret" not in out  # no user text in the log


def test_the_token_can_come_from_the_environment(tmp_path, serve_folders):
    proc, url = start(
        [serve_folders["bot"], "--host", "0.0.0.0"], tmp_path, env={"TEXTKIT_TOKEN": "from-env-123"}
    )
    try:
        url = url.replace("0.0.0.0", "127.0.0.1")
        assert httpx.post(f"{url}/v1/intent", json={"text": "hi"}).status_code == 401
        ok = httpx.post(
            f"{url}/v1/intent",
            json={"text": "hi"},
            headers={"Authorization": "Bearer from-env-123"},
        )
        assert ok.status_code == 200
        # bound to every interface, the Host allow-list is off (the token guards instead)
        assert httpx.get(f"{url}/health", headers={"Host": "example.com"}).status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def test_a_model_that_fails_to_load_stops_the_server(tmp_path, serve_folders):
    broken = tmp_path / "broken"
    shutil.copytree(serve_folders["bot"], broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:100])
    proc = subprocess.Popen(
        [sys.executable, "-m", "textkit", "serve", str(broken), "--port", "0"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started = time.monotonic()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1 and "failed to load" in err and "Traceback" not in err
    assert "Serving" not in out and time.monotonic() - started < 60
