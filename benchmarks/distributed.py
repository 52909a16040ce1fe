"""Training throughput of one process against several under torchrun (DDP), side by side.

    python benchmarks/distributed.py ../shared/data/poems/public_domain_poems.txt \
        [--procs 2] [--steps 60] [--rounds 3] [--device cpu] [--preset small]

Runs the same `train-charrnn` (same global batch, same steps) as: one process with one thread,
one process with as many threads as there are processes in the torchrun run, and N processes of
one thread each under `torchrun --standalone --nproc_per_node=N` (gloo on CPU, NCCL on GPUs).
Rounds are interleaved and the medians reported, because these machines are noisy.  Throughput
is the characters/s of the last evaluation window (metrics.jsonl), i.e. training steps only.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def run(corpus: Path, workdir: Path, procs: int, threads: int, args) -> float:
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
        if procs > 1
        else [sys.executable, "-m", "textkit"]
    )
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "TEXTKIT_CACHE": str(workdir / "cache")}
    cmd = [
        *launcher,
        "train-charrnn",
        str(corpus),
        "--preset",
        args.preset,
        "--device",
        args.device,
        "--max-steps",
        str(args.steps),
        "--eval-every",
        str(args.steps // 2),
        "--no-progress",
        "--models-dir",
        str(workdir / "models"),
        "--name",
        "m",
        "--overwrite",
    ]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, cwd=workdir)
    if done.returncode != 0:
        raise SystemExit(done.stdout + done.stderr)
    rows = [json.loads(ln) for ln in (workdir / "models" / "m" / "metrics.jsonl").open()]
    return rows[-1]["units_per_s"]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--procs", type=int, default=2)
    ap.add_argument("--steps", type=int, default=60)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--preset", default="small")
    args = ap.parse_args()
    n = args.procs
    setups = {
        "1 process x 1 thread": (1, 1),
        f"1 process x {n} threads": (1, n),
        f"{n} processes x 1 thread (torchrun)": (n, 1),
    }
    if args.device != "cpu":  # on GPUs: 1 GPU against N GPUs
        setups = {"1 process (1 GPU)": (1, 1), f"{n} processes ({n} GPUs, torchrun)": (n, 1)}
    results: dict[str, list[float]] = {name: [] for name in setups}
    with tempfile.TemporaryDirectory() as tmp:
        for _ in range(args.rounds):
            for name, (procs, threads) in setups.items():
                results[name].append(run(args.corpus.resolve(), Path(tmp), procs, threads, args))
    base = statistics.median(next(iter(results.values())))
    device = args.device
    if device.startswith("cuda"):
        import torch

        device = f"{device} ({torch.cuda.get_device_name()})"
    print(
        f"train-charrnn --preset {args.preset} on {args.corpus.name}, {args.steps} steps, "
        f"device {device}, median of {args.rounds} interleaved rounds"
    )
    print(f"{'setup':40} {'chars/s':>10} {'ratio':>7}")
    for name, values in results.items():
        med = statistics.median(values)
        print(f"{name:40} {med:10,.0f} {med / base:7.2f}")


if __name__ == "__main__":
    main()
