"""Char-RNN benchmark: textkit vs a plain PyTorch LSTM loop vs a character 5-gram, one process.

    python benchmarks/charrnn.py ../shared/data/poems/public_domain_poems.txt --budget 300

(the `wide` preset: 1x512 LSTM, LR 5e-3; `--preset small` for the 2x256 one).
Each neural model trains for the same wall-clock budget with the same size and batch shape;
all validation losses are measured by one function on the same held-out text (the last 10%),
so the numbers are directly comparable.  Prints val loss (nats/char), training chars/s and
sampling chars/s (one stream, and 64 streams in one batch).
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from textkit.charrnn import PRESETS, CharMarkov, CharRNN, CharRNNConfig
from textkit.charrnn.data import Vocab, split_train_val
from textkit.charrnn.model import CharRNNNet, detach_state
from textkit.device import autocast, resolve_device
from textkit.text.io import read_corpus
from textkit.training.config import TrainConfig


@torch.no_grad()
def stream_val_loss(
    net: CharRNNNet, ids: np.ndarray, device, streams: int = 32, chunk: int = 256
) -> float:
    """Mean next-char loss over all of ``ids`` in ``streams`` contiguous streams, state carried."""
    net.eval()
    n = (len(ids) - 1) // streams
    x = torch.from_numpy(ids[: n * streams]).long().view(streams, n).to(device)
    y = torch.from_numpy(ids[1 : n * streams + 1]).long().view(streams, n).to(device)
    state, total = None, 0.0
    for i in range(0, n, chunk):
        with autocast(device):
            logits, state = net(x[:, i : i + chunk], state)
        state = detach_state(state)
        total += F.cross_entropy(
            logits.float().reshape(-1, logits.size(-1)),
            y[:, i : i + chunk].reshape(-1),
            reduction="sum",
        ).item()
    return total / (n * streams)


def plain_pytorch_loop(train_ids, vocab_size, p, budget, device, lr, seed=0):
    """The usual hand-written loop: random windows, fresh zero state per batch, Adam, constant LR."""
    torch.manual_seed(seed)
    shape = {k: p[k] for k in ("embedding", "hidden", "layers")}
    net = CharRNNNet(vocab_size, CharRNNConfig(cell="lstm", dropout=0.1, **shape)).to(device)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    data = torch.from_numpy(train_ids).long().to(device)
    B, T = p["batch_size"], p["seq_len"]
    gen = torch.Generator().manual_seed(seed)
    start, steps = time.monotonic(), 0
    while time.monotonic() - start < budget:
        ix = torch.randint(len(data) - T - 1, (B,), generator=gen)
        x = torch.stack([data[i : i + T] for i in ix])
        y = torch.stack([data[i + 1 : i + T + 1] for i in ix])
        logits, _ = net(x)
        loss = F.cross_entropy(logits.reshape(-1, vocab_size), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(net.parameters(), 5.0)
        opt.step()
        steps += 1
    elapsed = time.monotonic() - start
    return net, steps * B * T / elapsed, steps


def sampling_speed(model: CharRNN, streams: int, length: int) -> float:
    model.generate(20, num_samples=streams, seed=0)  # warm-up
    start = time.monotonic()
    model.generate(length, num_samples=streams, seed=0)
    return streams * length / (time.monotonic() - start)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("corpus")
    ap.add_argument("--budget", type=float, default=300, help="training seconds per neural model")
    ap.add_argument("--preset", default="wide", choices=sorted(PRESETS))
    ap.add_argument("--device", default="auto")
    ap.add_argument("--lr", type=float, help="default: the preset's")
    ap.add_argument("--layers", type=int, help="override the preset")
    ap.add_argument("--hidden", type=int, help="override the preset")
    ap.add_argument(
        "--schedule",
        default="cosine",
        choices=["cosine", "linear", "constant"],
        help="textkit's LR schedule",
    )
    ap.add_argument("--sample-length", type=int, default=1000)
    args = ap.parse_args()
    device = resolve_device(args.device)
    p = dict(PRESETS[args.preset])
    p.update(
        {k: getattr(args, k) for k in ("layers", "hidden", "lr") if getattr(args, k) is not None}
    )
    args.lr = p["lr"]
    corpus = read_corpus([args.corpus])
    vocab = Vocab.from_text(corpus.text)
    ids = vocab.encode(corpus.text)
    train_ids, val_ids = split_train_val(ids, 0.1, p["seq_len"])
    print(
        f"corpus {args.corpus}: {len(ids):,} chars, vocab {len(vocab)}, val {len(val_ids):,} chars"
    )
    print(
        f"lr {args.lr:g}, textkit schedule {args.schedule}; plain loop: constant LR, random windows"
    )
    print(
        f"device {device} ({torch.cuda.get_device_name(device) if device.type == 'cuda' else f'{torch.get_num_threads()} CPU threads'}), "
        f"preset {args.preset} {dict((k, p[k]) for k in ('embedding', 'hidden', 'layers', 'seq_len', 'batch_size'))}, budget {args.budget:g}s"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        start = time.monotonic()
        markov = CharMarkov(order=5)
        markov.fit(corpus, Path(tmp) / "markov")
        fit_s = time.monotonic() - start
        rows.append(
            (
                "char 5-gram (Kneser-Ney)",
                markov.loss_on_ids(val_ids),
                len(train_ids) / fit_s,
                None,
                None,
            )
        )

        model = CharRNN(
            **{k: p[k] for k in ("embedding", "hidden", "layers", "seq_len", "batch_size")}
        )
        cfg = TrainConfig(
            max_steps=None,
            time_budget=args.budget,
            eval_every=p["eval_every"],
            lr=args.lr,
            device=args.device,
            progress=False,
        )
        result = model.fit(corpus, Path(tmp) / "rnn", cfg, preset=args.preset, log=lambda m: None)
        train_cps = result.steps * model.config.batch_size * model.config.seq_len / result.elapsed_s
        model.device = device
        model.net.to(device)
        rows.append(
            (
                "textkit CharRNN (LSTM)",
                stream_val_loss(model.net, val_ids, device),
                train_cps,
                sampling_speed(model, 1, args.sample_length),
                sampling_speed(model, 64, args.sample_length),
            )
        )

        net, plain_cps, _ = plain_pytorch_loop(
            train_ids, len(vocab), p, args.budget, device, args.lr
        )
        rows.append(
            (
                "plain PyTorch LSTM loop",
                stream_val_loss(net, val_ids, device),
                plain_cps,
                None,
                None,
            )
        )

    print(
        f"\n{'model':28} {'val nats/char':>13} {'bits/char':>9} {'train chars/s':>14} {'sample 1 stream':>16} {'sample 64 streams':>18}"
    )
    for name, val, tps, s1, s64 in rows:
        fmt = lambda v: "-" if v is None else f"{v:,.0f}"  # noqa: E731
        print(
            f"{name:28} {val:13.4f} {val / math.log(2):9.3f} {fmt(tps):>14} {fmt(s1):>16} {fmt(s64):>18}"
        )
    base = rows[0][1]
    print(
        f"\nval loss vs 5-gram: textkit {rows[1][1] / base:.3f}x, plain loop {rows[2][1] / base:.3f}x; "
        f"train throughput textkit / plain loop = {rows[1][2] / rows[2][2]:.2f}x"
    )


if __name__ == "__main__":
    main()
