"""Plugs a classifier network and its labelled rows into the shared training loop: shuffled
mini-batches that are a pure function of (epoch, index), so resume stays exact; class weights;
validation loss, accuracy and macro-F1."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F

from textkit.classify.features import SparseRows
from textkit.training.distributed import Dist
from textkit.training.loop import Task


class _Rows:
    """A SparseRows on the device, with a fast gather of any set of rows."""

    def __init__(self, rows: SparseRows, labels: np.ndarray, device: torch.device) -> None:
        self.indptr = torch.from_numpy(rows.indptr).to(device)
        self.indices = torch.from_numpy(rows.indices).to(device)
        self.data = torch.from_numpy(rows.data).to(device)
        self.labels = torch.from_numpy(labels.astype(np.int64)).to(device)

    def __len__(self) -> int:
        return len(self.labels)

    def gather(self, rows: torch.Tensor):
        starts = self.indptr[rows]
        lens = self.indptr[rows + 1] - starts
        offsets = torch.cumsum(lens, 0) - lens
        pos = torch.repeat_interleave(starts - offsets, lens) + torch.arange(
            int(lens.sum()), device=lens.device
        )
        return self.indices[pos], offsets, self.data[pos], self.labels[rows]


class ClassifierTask(Task):
    unit_name = "texts"
    mode = "max"
    tiebreak = ("val_loss", "min")  # equal accuracy or F1 (common on small sets): lower loss wins

    def __init__(
        self,
        model: torch.nn.Module,
        train: tuple[SparseRows, np.ndarray],
        val: tuple[SparseRows, np.ndarray],
        batch_size: int,
        n_labels: int,
        class_weights: np.ndarray | None,
        monitor: str,
        seed: int,
        on_best: Callable[[dict], None],
        fingerprint: str,
    ) -> None:
        self.model, self.n_labels, self.seed = model, n_labels, seed
        self.n_outputs = n_labels
        self._train_np, self._val_np = train, val
        self.batch_size = min(batch_size, len(train[1]))
        self.steps_per_epoch = -(-len(train[1]) // self.batch_size)
        self.units_per_step = self.batch_size
        self.monitor = monitor
        self.mode = "min" if monitor == "val_loss" else "max"
        self.tiebreak = None if monitor == "val_loss" else ("val_loss", "min")
        self.weights = (
            None if class_weights is None else torch.from_numpy(class_weights.astype(np.float32))
        )
        self._on_best, self.fingerprint = on_best, fingerprint
        self._device: torch.device | None = None
        self.dist: Dist | None = None

    def _on(self, device: torch.device) -> None:
        if self._device != device:
            self.train_rows = _Rows(*self._train_np, device)
            self.val_rows = _Rows(*self._val_np, device) if len(self._val_np[1]) else None
            if self.weights is not None:
                self.weights = self.weights.to(device)
            self._device = device

    def batch_rows(self, step: int) -> torch.Tensor:
        """The training rows of ``step``: a seeded permutation per epoch, cut in order."""
        epoch, index = divmod(step, self.steps_per_epoch)
        gen = torch.Generator().manual_seed(self.seed * 1_000_003 + epoch)
        perm = torch.randperm(len(self._train_np[1]), generator=gen)
        return perm[index * self.batch_size : (index + 1) * self.batch_size]

    def train_loss(self, step: int, device: torch.device) -> torch.Tensor:
        self._on(device)
        rows = self.batch_rows(step)
        rows = rows[self.dist.rows(len(rows))] if self.dist else rows
        ids, offsets, w, y = self.train_rows.gather(rows.to(device))
        return F.cross_entropy(self.train_model(ids, offsets, w).float(), y, weight=self.weights)

    def shard(self, dist: Dist) -> None:
        """Each rank takes its share of every batch.  The bag's gradient turns dense: NCCL
        can't all-reduce sparse tensors (gloo can, but one path is simpler)."""
        self.dist = dist
        self.model.bag.sparse = False

    def logits(self, rows: _Rows, device: torch.device, chunk: int = 4096) -> torch.Tensor:
        out = []
        for start in range(0, len(rows), chunk):
            idx = torch.arange(start, min(start + chunk, len(rows)), device=device)
            ids, offsets, w, _ = rows.gather(idx)
            out.append(self.model(ids, offsets, w).float())
        return torch.cat(out)

    def evaluate(self, device: torch.device) -> dict[str, float]:
        self._on(device)
        rows = self.val_rows or self.train_rows  # no validation split: training fit instead
        logits = self.logits(rows, device)
        y = rows.labels
        pred = logits.argmax(1)
        return {
            "val_loss": F.cross_entropy(logits, y).item(),
            "val_accuracy": (pred == y).float().mean().item(),
            "val_macro_f1": macro_f1(pred, y, self.n_labels),
        }

    def on_best(self, row: dict) -> None:
        self._on_best(row)

    def sparse_parameters(self) -> list[torch.nn.Parameter]:
        return self.model.sparse_parameters()


def macro_f1(pred: torch.Tensor, y: torch.Tensor, n_labels: int) -> float:
    """Macro-averaged F1 over the labels present in ``y`` (as scikit-learn's with labels=y)."""
    present = torch.bincount(y, minlength=n_labels) > 0
    tp = torch.bincount(y[pred == y], minlength=n_labels).float()
    fp = torch.bincount(pred, minlength=n_labels).float() - tp
    fn = torch.bincount(y, minlength=n_labels).float() - tp
    f1 = 2 * tp / (2 * tp + fp + fn).clamp_min(1)
    return f1[present].mean().item()
