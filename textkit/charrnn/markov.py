"""CharMarkov: the classic character n-gram generator, the baseline neural models must beat.

Counts of every context of length 1..order are kept as sorted integer codes (a context of n
characters is a base-V number), so training and scoring are a few vectorised numpy passes.
Probabilities interpolate all orders with Witten-Bell smoothing down to an add-one unigram,
so every character in the vocabulary has a finite loss.
"""

from __future__ import annotations

import math
import time
from pathlib import Path

import numpy as np
import torch

from textkit.charrnn.data import Vocab, split_train_val
from textkit.charrnn.generator import CharGenerator, corpus_excerpt
from textkit.errors import TextkitError
from textkit.modelio import WEIGHTS, ModelFolder, load_weights, save_weights
from textkit.text.io import Corpus


def _codes(ids: np.ndarray, n: int, vocab_size: int) -> np.ndarray:
    """Code of the n characters before each position n..len-1."""
    count = len(ids) - n
    code = np.zeros(count, dtype=np.int64)
    for j in range(n):
        code = code * vocab_size + ids[j : j + count]
    return code


def _lookup(keys: np.ndarray, values: np.ndarray, query: np.ndarray) -> np.ndarray:
    """values[key == query], or 0 where the query is absent."""
    if len(keys) == 0:
        return np.zeros(query.shape, dtype=values.dtype)
    pos = np.searchsorted(keys, query).clip(0, len(keys) - 1)
    return np.where(keys[pos] == query, values[pos], 0)


class CharMarkov(CharGenerator):
    """Character n-gram model with interpolated Witten-Bell smoothing."""

    KIND = "charmarkov"

    def __init__(self, order: int = 5, val_fraction: float = 0.1) -> None:
        if order < 1:
            raise TextkitError(f"--order must be >= 1 (got {order})")
        self.order, self.val_fraction = order, val_fraction
        self.tables: dict[str, torch.Tensor] = {}
        self.config: dict = {}

    # ------------------------------------------------------------------ training
    def _count(self, ids: np.ndarray) -> None:
        V = len(self.vocab)
        if V ** (self.order + 1) >= 2**63:
            raise TextkitError(
                f"--order {self.order} is too high for a {V}-character vocabulary "
                f"(at most {int(math.log(2**63) / math.log(V)) - 1})"
            )
        t = {"unigram": torch.from_numpy(np.bincount(ids, minlength=V).astype(np.int64))}
        for n in range(1, self.order + 1):
            ctx = _codes(ids, n, V)
            joint_keys, joint_counts = np.unique(ctx * V + ids[n:], return_counts=True)
            ctx_keys, ctx_types = np.unique(joint_keys // V, return_counts=True)
            ctx_totals = np.bincount(
                np.searchsorted(ctx_keys, joint_keys // V), weights=joint_counts
            ).astype(np.int64)
            t[f"joint_keys_{n}"] = torch.from_numpy(joint_keys)
            t[f"joint_counts_{n}"] = torch.from_numpy(joint_counts.astype(np.int64))
            t[f"ctx_keys_{n}"] = torch.from_numpy(ctx_keys)
            t[f"ctx_types_{n}"] = torch.from_numpy(ctx_types.astype(np.int64))
            t[f"ctx_totals_{n}"] = torch.from_numpy(ctx_totals)
        self.tables = t
        self._np = {k: v.numpy() for k, v in t.items()}

    def _probs(self, ctx_codes: list[np.ndarray | None], targets: np.ndarray) -> np.ndarray:
        """P(target | context) for arrays of targets; ``ctx_codes[n-1]`` is the order-n context
        code per query (or None / negative where that context is unavailable)."""
        V, t = len(self.vocab), self._np
        uni = t["unigram"]
        p = (uni[targets] + 1.0) / (uni.sum() + V)
        for n in range(1, self.order + 1):
            ctx = ctx_codes[n - 1]
            if ctx is None:
                break
            valid = ctx >= 0
            c = np.where(valid, ctx, 0)
            total = _lookup(t[f"ctx_keys_{n}"], t[f"ctx_totals_{n}"], c) * valid
            types = _lookup(t[f"ctx_keys_{n}"], t[f"ctx_types_{n}"], c)
            joint = _lookup(t[f"joint_keys_{n}"], t[f"joint_counts_{n}"], c * V + targets)
            seen = total > 0
            p = np.where(seen, (joint + types * p) / np.maximum(total + types, 1), p)
        return p

    def loss_on_ids(self, ids: np.ndarray) -> float:
        """Mean next-character loss in nats/char (the first ``order`` characters use shorter
        contexts)."""
        V, K = len(self.vocab), self.order
        targets = ids[1:]
        ctx = []
        for n in range(1, K + 1):
            code = np.full(len(targets), -1, dtype=np.int64)
            if len(ids) > n:
                code[n - 1 :] = _codes(ids, n, V)  # context of the target at position i >= n
            ctx.append(code)
        return float(-np.log(self._probs(ctx, targets)).mean())

    def fit(
        self, corpus: Corpus | str | Path, out: str | Path, log=None, seq_len: int = 100
    ) -> float:
        """Count n-grams on the training split, score the held-out split, save to ``out``.
        Returns the validation loss (nats/char)."""
        from textkit.plots import plot_losses
        from textkit.text.io import read_corpus

        if not isinstance(corpus, Corpus):
            corpus = read_corpus([corpus])
        self.vocab = Vocab.from_text(corpus.text)
        ids = self.vocab.encode(corpus.text)
        train_ids, val_ids = split_train_val(ids, self.val_fraction, seq_len)
        start = time.monotonic()
        self._count(train_ids)
        folder = ModelFolder(out).create()
        self.folder = folder
        val = self.loss_on_ids(val_ids)
        elapsed = time.monotonic() - start
        self.preseed_excerpt = corpus_excerpt(corpus.text[: len(train_ids)], seq_len)
        self._store_corpus(folder, corpus.text)
        save_weights(folder.file(WEIGHTS), self.tables)
        self.config = {
            "model": {"order": self.order},
            "data": {"val_fraction": self.val_fraction},
            "vocab": self.vocab.chars,
            "corpus": {"sources": corpus.sources, "fingerprint": corpus.fingerprint,
                       "chars": len(corpus.text), "train_chars": len(train_ids), "val_chars": len(val_ids)},
            "preseed_excerpt": self.preseed_excerpt,
            "best_val_loss": val,
            "best_step": 0,
            "num_params": int(sum(v.numel() for k, v in self.tables.items() if "counts" in k)),
        }  # fmt: skip
        folder.write_config(self.KIND, self.config)
        row = {"step": 0, "epoch": 1.0, "train_loss": None, "val_loss": val, "elapsed_s": elapsed,
               "units_per_s": len(train_ids) / max(elapsed, 1e-9)}  # fmt: skip
        folder.file("metrics.jsonl").unlink(missing_ok=True)
        folder.append_metrics(row)
        plot_losses(folder)
        return val

    # ------------------------------------------------------------------ persistence
    @classmethod
    def load(cls, path: str | Path) -> CharMarkov:
        folder = ModelFolder(path)
        cfg = folder.read_config((cls.KIND,))
        model = cls(order=cfg["model"]["order"], val_fraction=cfg["data"]["val_fraction"])
        model.vocab = Vocab(cfg["vocab"])
        model.preseed_excerpt = cfg.get("preseed_excerpt")
        model.config, model.folder = cfg, folder
        model.tables = load_weights(folder.file(WEIGHTS))
        model._np = {k: v.numpy() for k, v in model.tables.items()}
        return model

    # ------------------------------------------------------------------ sampling
    def _stepper(self, device: torch.device) -> _MarkovStepper:
        if not self.tables:
            raise TextkitError("the model is not trained: call fit() or CharMarkov.load()")
        return _MarkovStepper(self)


class _MarkovStepper:
    """State: the last ``order`` ids of every stream (-1 where the history is shorter)."""

    def __init__(self, model: CharMarkov) -> None:
        self.m = model

    def _logits(self, hist: np.ndarray) -> torch.Tensor:
        V, B = len(self.m.vocab), hist.shape[0]
        targets = np.broadcast_to(np.arange(V), (B, V)).reshape(-1)
        ctx = []
        for n in range(1, self.m.order + 1):
            last = hist[:, -n:]
            code = np.zeros(B, dtype=np.int64)
            for j in range(n):
                code = code * V + last[:, j]
            code = np.where((last >= 0).all(1), code, -1)
            ctx.append(np.repeat(code, V))
        p = self.m._probs(ctx, targets).reshape(B, V)
        return torch.from_numpy(np.log(p)).float()

    def start(self, prefix: list[int], batch: int):
        hist = np.full((batch, self.m.order), -1, dtype=np.int64)
        tail = prefix[-self.m.order :]
        if tail:
            hist[:, -len(tail) :] = tail
        return hist, self._logits(hist)

    def step(self, hist: np.ndarray, ids: torch.Tensor):
        hist = np.concatenate([hist[:, 1:], ids.cpu().numpy()[:, None]], axis=1)
        return hist, self._logits(hist)
