"""Sampling throughput of a char-RNN on this machine, against the network's bare steps.

    python benchmarks/sampling.py [--preset wide] [--rounds 5] [--length 2000]

Throughput doesn't depend on the weights, so the preset's network is built untrained over a
132-character vocabulary (the poems corpus has 132).  Rounds alternate the measurements, and
medians are printed: `generate` with one stream, with 64 streams, and the bare one-step network
calls the sampler makes (no sampling, no decoding) at 1 and 64 streams -- the compute limit.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from textkit.charrnn import PRESETS, CharRNN
from textkit.charrnn.config import preset_config
from textkit.charrnn.data import Vocab
from textkit.charrnn.model import CharRNNNet


def bare(net: CharRNNNet, streams: int, steps: int) -> float:
    """Characters/s of the network calls alone, as the sampler makes them (one-step maths below
    17 streams, torch's recurrent layer above)."""
    state = (
        torch.zeros(net.layers, streams, net.hidden),
        torch.zeros(net.layers, streams, net.hidden),
    )
    ids = torch.zeros(streams, dtype=torch.long)
    weights = net._step_weights()
    threads = torch.get_num_threads()
    if streams <= 4:
        torch.set_num_threads(1)
    with torch.inference_mode():
        start = time.perf_counter()
        for _ in range(steps):
            if streams <= 16:
                _, state = net.step(ids, state, weights)
            else:
                _, state = net(ids.unsqueeze(1), state)
        seconds = time.perf_counter() - start
    torch.set_num_threads(threads)
    return streams * steps / seconds


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--preset", default="wide", choices=sorted(PRESETS))
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--length", type=int, default=2000)
    args = ap.parse_args()
    model = CharRNN(preset_config(args.preset))
    model.vocab_ = Vocab([chr(32 + i) for i in range(95)] + [chr(0xC0 + i) for i in range(37)])
    model.net = CharRNNNet(len(model.vocab_), model.config).eval()
    model.generate(50, seed=0)
    results: dict[str, list[float]] = {}
    for r in range(args.rounds):
        runs = {
            "generate, 1 stream": lambda r=r: (
                args.length / _timed(lambda: model.generate(args.length, seed=r))
            ),
            "bare steps, 1 stream": lambda: bare(model.net, 1, args.length),
            "generate, 64 streams": lambda r=r: (
                64
                * (args.length // 4)
                / _timed(lambda: model.generate(args.length // 4, num_samples=64, seed=r))
            ),
            "bare steps, 64 streams": lambda: bare(model.net, 64, args.length // 4),
        }
        for name, run in runs.items():
            results.setdefault(name, []).append(run())
    c = model.config
    print(
        f"{args.preset} network ({c.layers}x{c.hidden} {c.cell}, embedding {c.embedding}), "
        f"{torch.get_num_threads()} CPU threads, medians of {args.rounds} rounds (characters/s):"
    )
    med = {k: statistics.median(v) for k, v in results.items()}
    for name, value in med.items():
        print(f"  {name:24} {value:10,.0f}   ({', '.join(f'{x:,.0f}' for x in results[name])})")
    print(
        f"generate / bare steps: 1 stream {med['generate, 1 stream'] / med['bare steps, 1 stream']:.2f}, "
        f"64 streams {med['generate, 64 streams'] / med['bare steps, 64 streams']:.2f}"
    )


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
