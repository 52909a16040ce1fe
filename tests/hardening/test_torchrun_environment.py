"""Round 3, class 11: variables that look like torchrun's but are not a torchrun job are one
clear line naming them; a stray WORLD_SIZE alone changes nothing."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "env",
    [
        {"WORLD_SIZE": "abc", "MASTER_ADDR": "localhost"},
        {"WORLD_SIZE": "2", "MASTER_ADDR": "localhost"},
        {"WORLD_SIZE": "2", "MASTER_ADDR": "localhost", "MASTER_PORT": "x", "RANK": "0",
         "LOCAL_RANK": "0"},
    ],
)  # fmt: skip
def test_a_partial_or_malformed_torchrun_environment(workdir, run, monkeypatch, env):
    from textkit.training import distributed

    monkeypatch.setattr(distributed, "_CONTEXT", None)  # as in a fresh process
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    r = run("train-charrnn", "poems.txt", "--preset", "tiny", "--max-steps", "2")
    assert r.exit_code == 1 and "looks like a torchrun job" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert "unset" in r.stderr


def test_a_stray_world_size_alone_is_ignored(workdir, run, monkeypatch):
    from textkit.training import distributed

    monkeypatch.setattr(distributed, "_CONTEXT", None)
    monkeypatch.setenv("WORLD_SIZE", "abc")
    assert run("models").exit_code == 0
    r = run("train-charrnn", "poems.txt", "--preset", "tiny", "--max-steps", "2", "--name", "t")
    assert r.exit_code == 0, r.output
