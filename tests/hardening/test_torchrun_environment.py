"""Round 3, class 11: variables that look like torchrun's but are not a torchrun job are one
clear line naming them; a stray WORLD_SIZE alone changes nothing; a rank killed mid-run leaves
the survivor one line naming it and the checkpoint to resume; ranks whose launcher was killed
stop and save instead of training on as orphans."""

from __future__ import annotations

import json
import os
import signal
import time

import pytest
import torch
from _support.torchrun import start_long_run, torchrun_ranks


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


def _saved_step(folder) -> int:
    step = torch.load(folder / "train_state.pt", weights_only=True)["step"]
    rows = [json.loads(line) for line in (folder / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["step"] == step  # the metrics and the resumable state agree
    return step


def _gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            return f.read().rsplit(b")", 1)[1].split()[0] == b"Z"
    except OSError:
        return True


def test_a_killed_rank_leaves_one_line_naming_it_and_the_checkpoint(workdir):
    proc = start_long_run(workdir)
    victim = torchrun_ranks(proc.pid)[1]
    os.kill(victim, signal.SIGKILL)
    out = proc.communicate(timeout=120)[0]
    said = [line for line in out.splitlines() if f"rank 1 (pid {victim})" in line]
    assert said, out
    assert "[rank0]: Traceback" not in out and "Connection reset" not in out, out
    step = _saved_step(workdir / "models" / "m")
    assert f"the last checkpoint (step {step}) is in models/m: continue with --resume" in said[0]


def test_ranks_of_a_killed_launcher_stop_and_save(workdir):
    proc = start_long_run(workdir)
    ranks = torchrun_ranks(proc.pid)
    os.kill(proc.pid, signal.SIGKILL)  # torchrun itself: nobody left to stop the ranks
    out = proc.communicate(timeout=120)[0]  # the pipe closes when the last rank exits
    deadline = time.monotonic() + 30
    while not all(map(_gone, ranks.values())) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert all(map(_gone, ranks.values())), out
    assert "launcher is gone" in out and "interrupted after" in out, out
    _saved_step(workdir / "models" / "m")
