"""CharMarkov: the classic character n-gram generator, the baseline neural models must beat.

Counts of every context of length 1..order are kept as sorted integer codes (a context of n
characters is a base-V number), so training and scoring are a few vectorised numpy passes.
Probabilities interpolate all orders (interpolated Kneser-Ney by default, or Witten-Bell) down
to an add-one unigram, so every character in the vocabulary has a finite loss.
"""

from __future__ import annotations

import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from textkit.charrnn.config import CharMarkovConfig, CharRNNConfig
from textkit.charrnn.data import Vocab, fit_seq_len, split_train_val
from textkit.charrnn.encoded import EncodedCorpus, as_encoded
from textkit.charrnn.generator import LOSS_UNIT, CharGenerator
from textkit.errors import TextkitError
from textkit.modelio import ModelFolder, read_array_header
from textkit.progress import Progress
from textkit.settings import with_overrides
from textkit.text.io import Corpus
from textkit.training.config import TrainConfig, chosen
from textkit.training.runlog import RunLog, TrainResult


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


def _tables(keys: np.ndarray, counts: np.ndarray, V: int) -> dict[str, np.ndarray]:
    """Per-context totals and number of distinct followers, from (context, next) counts."""
    ctx_keys, ctx_types = np.unique(keys // V, return_counts=True)
    ctx_totals = np.bincount(np.searchsorted(ctx_keys, keys // V), weights=counts)
    return {
        "keys": keys,
        "counts": counts,
        "ctx_keys": ctx_keys,
        "ctx_types": ctx_types.astype(np.int64),
        "ctx_totals": ctx_totals.astype(np.int64),
    }


def _discount(counts: np.ndarray) -> float:
    """The Kneser-Ney absolute discount n1 / (n1 + 2 n2) of one order."""
    n1, n2 = int((counts == 1).sum()), int((counts == 2).sum())
    return n1 / (n1 + 2 * n2) if n1 + n2 else 0.5


class CharMarkov(CharGenerator):
    """Character n-gram model, interpolated Kneser-Ney (default) or Witten-Bell smoothing.

    Kneser-Ney (the standard n-gram baseline) discounts every count by a fixed amount and gives
    the mass to lower orders, whose counts are *continuation* counts (in how many contexts a
    string occurs); Witten-Bell is the simpler classic, kept for comparison."""

    KIND = "charmarkov"

    def __init__(self, config: CharMarkovConfig | None = None, **overrides) -> None:
        self.config = with_overrides("CharMarkov", CharMarkovConfig, config, overrides)
        self.order, self.smoothing = self.config.order, self.config.smoothing
        self._np: dict[str, np.ndarray] = {}
        self.info: dict = {}

    def is_trained(self) -> bool:
        return bool(self._np) and self.vocab_ is not None

    # ------------------------------------------------------------------ training
    def _count(self, ids: np.ndarray) -> None:
        V, K = len(self.vocab_), self.order
        if V ** (K + 1) >= 2**63:
            raise TextkitError(
                f"--order {K} is too high for a {V}-character vocabulary "
                f"(at most {int(math.log(2**63) / math.log(V)) - 1})"
            )
        raw = {}  # order -> (joint keys, counts) of (n-character context, next character)
        for n in range(1, K + 1):
            raw[n] = np.unique(_codes(ids, n, V) * V + ids[n:], return_counts=True)
        kn = self.smoothing == "kneser-ney"
        unigram = np.bincount(ids, minlength=V)
        if kn:  # continuation count of c: how many distinct characters precede it
            unigram = np.bincount(raw[1][0] % V, minlength=V)
        t = {"unigram": unigram.astype(np.int64)}
        discounts = []
        for n in range(1, K + 1):
            keys, counts = raw[n]
            if kn and n < K:  # continuation counts: distinct left extensions of (context, c)
                keys, counts = np.unique(raw[n + 1][0] % V ** (n + 1), return_counts=True)
            for name, arr in _tables(keys, counts.astype(np.int64), V).items():
                t[f"{name}_{n}"] = arr
            discounts.append(_discount(counts))
        t["discounts"] = np.array(discounts, dtype=np.float64)
        self._np = {k: np.ascontiguousarray(v) for k, v in t.items()}

    def _probs(self, ctx_codes: list[np.ndarray | None], targets: np.ndarray) -> np.ndarray:
        """P(target | context) for arrays of targets; ``ctx_codes[n-1]`` is the order-n context
        code per query (negative where that context is unavailable)."""
        V, t = len(self.vocab_), self._np
        kn = self.smoothing == "kneser-ney"
        uni = t["unigram"]
        p = (uni[targets] + 1.0) / (uni.sum() + V)
        for n in range(1, self.order + 1):
            ctx = ctx_codes[n - 1]
            valid = ctx >= 0
            c = np.where(valid, ctx, 0)
            total = _lookup(t[f"ctx_keys_{n}"], t[f"ctx_totals_{n}"], c) * valid
            types = _lookup(t[f"ctx_keys_{n}"], t[f"ctx_types_{n}"], c)
            joint = _lookup(t[f"keys_{n}"], t[f"counts_{n}"], c * V + targets)
            seen = total > 0
            safe_total = np.maximum(total, 1)
            if kn:
                d = t["discounts"][n - 1]
                higher = np.maximum(joint - d, 0) / safe_total + d * types / safe_total * p
            else:
                higher = (joint + types * p) / np.maximum(total + types, 1)
            p = np.where(seen, higher, p)
        return p

    def loss_on_ids(self, ids: np.ndarray) -> float:
        """Mean next-character loss in nats/char (the first ``order`` characters use shorter
        contexts)."""
        V, K = len(self.vocab_), self.order
        targets = ids[1:]
        ctx = []
        for n in range(1, K + 1):
            code = np.full(len(targets), -1, dtype=np.int64)
            if len(ids) > n:
                code[n - 1 :] = _codes(ids, n, V)  # context of the target at position i >= n
            ctx.append(code)
        return float(-np.log(self._probs(ctx, targets)).mean())

    def fit(
        self,
        corpus: EncodedCorpus | Corpus | str | Path,
        out: str | Path | None = None,
        train_config: TrainConfig | dict | None = None,
        *,
        overwrite: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> TrainResult:
        """Count n-grams on the training split, score the held-out split, save to ``out`` if
        given (``overwrite=True`` replaces a model there).  Counting is one pass, so of
        ``train_config`` only the device is checked (counts live on the CPU); the held-out split
        is the one a char-RNN with the default sequence length makes, so losses compare."""
        from textkit.plots import plot_metrics

        self._check_out(out, overwrite)
        TrainConfig(**chosen(train_config)).check_device()
        corpus = as_encoded(corpus)
        self.vocab_, ids = corpus.vocab, corpus.ids
        seq_len = fit_seq_len(len(ids), CharRNNConfig.seq_len, corpus.sources)
        train_ids, val_ids = split_train_val(ids, self.config.val_fraction, seq_len, corpus.sources)
        start = time.monotonic()
        show = chosen(train_config).get("progress")
        with Progress(2, "stage", desc="counting n-grams", show=show) as progress:
            self._count(train_ids)
            progress.update()
            val = self.loss_on_ids(val_ids)
        with tempfile.TemporaryDirectory() as tmp:
            target = Path(out) if out is not None else Path(tmp) / "model"
            with self._run(target, overwrite=overwrite) as folder:
                self.folder = folder
                elapsed = time.monotonic() - start
                self._remember_corpus(folder, corpus, len(train_ids), seq_len)
                folder.save_arrays(self._np, self.WEIGHTS)
                runlog = RunLog(folder)
                row = {
                    "step": 0,
                    "epoch": 1.0,
                    "train_loss": None,
                    "val_loss": val,
                    "elapsed_s": elapsed,
                    "units_per_s": len(train_ids) / max(elapsed, 1e-9),
                }
                runlog.record(row)
                counts = sum(v.size for k, v in self._np.items() if k.startswith("counts"))
                self.info = {
                    **self._corpus_config(corpus, len(train_ids), len(val_ids)),
                    "best_metrics": row,
                    "num_params": int(counts),
                }
                self._write_config(folder)
                if out is not None:
                    plot_metrics(folder, LOSS_UNIT)
            self.folder = folder if out is not None else None
        if log:
            log(
                f"counted order-{self.order} n-grams in {elapsed:.1f}s: val loss {val:.4f} {LOSS_UNIT}"
            )
        return runlog.result(0, "counted", elapsed_s=elapsed, units_per_s=row["units_per_s"])

    def _write_config(self, folder: ModelFolder) -> None:
        folder.write_config(self.KIND, {"model": self.config.to_dict(), **self.info})

    def _write_folder(self, folder: ModelFolder) -> None:
        folder.save_arrays(self._np, self.WEIGHTS)
        self._copy_corpus(folder)
        self._write_config(folder)

    # ------------------------------------------------------------------ persistence
    @classmethod
    def _from_config(cls, config: dict) -> CharMarkov:
        settings = dict(config["model"])
        data = config.get("data", {})
        if isinstance(data, dict) and "val_fraction" in data:  # textkit 0.1 kept it under "data"
            settings["val_fraction"] = data["val_fraction"]
        model = cls(CharMarkovConfig(**settings))
        model.vocab_ = Vocab(config["vocab"])
        excerpt = config.get("preseed_excerpt")
        model.preseed_excerpt = excerpt if isinstance(excerpt, str) else None
        model.info = {k: v for k, v in config.items() if k not in ("model", "data")}
        return model

    def _load_arrays(self, folder: ModelFolder, device: str) -> None:
        """Count tables are numpy arrays and sampling them runs on the CPU, whatever ``device``."""
        path = folder.file(self.WEIGHTS)
        if set(read_array_header(path)) != set(self._expected_tables()):
            raise TextkitError(f"{path} does not match config.json; retrain")
        self._np = folder.load_arrays(self.WEIGHTS)

    def _expected_tables(self) -> list[str]:
        per_order = ("keys", "counts", "ctx_keys", "ctx_types", "ctx_totals")
        return ["unigram", "discounts"] + [
            f"{x}_{n}" for n in range(1, self.order + 1) for x in per_order
        ]

    # ------------------------------------------------------------------ sampling
    def _stepper(self, device: torch.device) -> _MarkovStepper:
        self._require_trained()
        return _MarkovStepper(self)


class _MarkovStepper:
    """State: the last ``order`` ids of every stream (-1 where the history is shorter)."""

    def __init__(self, model: CharMarkov) -> None:
        self.m = model

    def _logits(self, hist: np.ndarray) -> torch.Tensor:
        V, B = len(self.m.vocab_), hist.shape[0]
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

    @staticmethod
    def select(hist: np.ndarray, rows: torch.Tensor) -> np.ndarray:
        return hist[rows.cpu().numpy()]
