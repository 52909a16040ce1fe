"""Launching textkit under torchrun as a user would, and finding its ranks."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

TINY_RNN = [
    "--hidden",
    "32",
    "--layers",
    "1",
    "--batch-size",
    "8",
    "--seq-len",
    "32",
    "--dropout",
    "0",
    "--device",
    "cpu",
    "--eval-every",
    "20",
]


def launch(procs: int, *args, cwd: Path, wait: bool = True, torchrun: bool = False):
    """``textkit ARGS`` in ``procs`` processes under torchrun (one plain process unless
    ``torchrun``); waits and asserts success, or (``wait=False``) returns the running launcher
    in a session of its own, its output and its ranks' together on one pipe."""
    launcher = (
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--standalone",
            f"--nproc_per_node={procs}",
            "-m",
            "textkit",
        ]
        if procs > 1 or torchrun
        else [sys.executable, "-m", "textkit"]
    )
    cmd = [*launcher, *map(str, args)]
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    if not wait:
        return subprocess.Popen(
            cmd,
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
    done = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    return done


def torchrun_ranks(torchrun_pid: int) -> dict[int, int]:
    """rank -> pid of the workers torchrun started (its children, by their RANK variable)."""
    found = {}
    for child in Path(f"/proc/{torchrun_pid}/task/{torchrun_pid}/children").read_text().split():
        env = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
        rank = next((int(v[5:]) for v in env if v.startswith(b"RANK=")), None)
        if rank is not None:
            found[rank] = int(child)
    return found


def wait_for_checkpoint(proc: subprocess.Popen, folder: Path, timeout: float = 120) -> None:
    """Until the run in ``proc`` has written its first checkpoint into ``folder``."""
    deadline = time.monotonic() + timeout
    while not (folder / "metrics.jsonl").is_file():
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
        time.sleep(0.5)


def start_long_run(workdir: Path) -> subprocess.Popen:
    """Two ranks training ``poems.txt`` into ``models/m`` with no step limit in sight, once
    its first checkpoint is written (for tests that stop, signal or kill it)."""
    proc = launch(2, "train-charrnn", "poems.txt", "--name", "m", "--max-steps", 100000,
                  *TINY_RNN, cwd=workdir, wait=False)  # fmt: skip
    wait_for_checkpoint(proc, workdir / "models" / "m")
    return proc
